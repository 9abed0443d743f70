/**
 * The compute backends a user can ask for (backend.ts picks one). Apart from
 * backend.ts, which loads tfjs, so that the CLI can offer them as choices
 * without loading tfjs for `--help`.
 */
export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'];

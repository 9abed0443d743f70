/**
 * Compute backend selection. `auto` tries, in order: @tensorflow/tfjs-node-gpu
 * (CUDA), @tensorflow/tfjs-node (native CPU), the SIMD wasm backend, and the
 * pure-JS cpu backend. The native packages are optional peer dependencies:
 * they are loaded with a dynamic import inside try/catch and never installed
 * by gaitforge (their install script downloads libtensorflow).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BACKEND_CHOICES, type BackendChoice } from './backend-choice.js';
import { GaitforgeError, optionError } from './errors.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choice.js';

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendChoice;
  /** What runs: one of 'node-gpu' | 'node' | 'wasm' | 'cpu'. */
  chosen: Exclude<BackendChoice, 'auto'>;
  /** tfjs's own backend name ('tensorflow', 'wasm', 'cpu'). */
  tfBackend: string;
  /** Faster backends that were tried and why they were not used. */
  skipped: { backend: BackendChoice; reason: string }[];
  simd: boolean | null;
  threads: boolean | null;
  versions: Record<string, string>;
}

const require = createRequire(import.meta.url);

/** Loads a module by name; replaceable in tests. */
export type ModuleLoader = (name: string) => Promise<unknown>;
const defaultLoader: ModuleLoader = async (name) => {
  try {
    require.resolve(name);
  } catch {
    throw new Error(`Cannot find module '${name}'`);
  }
  return import(name);
};

let current: BackendInfo | null = null;


function wasmDir(): string {
  // The .wasm binaries ship inside the npm package: no network access.
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(m)) return 'not installed';
  return m.split('\n')[0]!.slice(0, 200);
}

async function tryNative(name: 'node-gpu' | 'node', load: ModuleLoader): Promise<string> {
  const pkg = name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  await load(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend (a second copy of tfjs-core?)`);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg}: the 'tensorflow' backend failed to initialise`);
  return pkg;
}

/**
 * Initialises a backend (idempotent for the same choice) and returns what was
 * chosen. Throws GaitforgeError E_BACKEND when an explicitly requested backend
 * cannot be used; `auto` falls through to the next one instead.
 */
export async function initBackend(choice: BackendChoice = 'auto', options: { loader?: ModuleLoader } = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) throw optionError('backend', choice, BACKEND_CHOICES.join('|'));
  if (current && (current.requested === choice || current.chosen === choice) && !options.loader) return current;
  const load = options.loader ?? defaultLoader;
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [choice];
  const skipped: BackendInfo['skipped'] = [];
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  for (const b of order) {
    try {
      if (b === 'node-gpu' || b === 'node') {
        const pkg = await tryNative(b, load);
        versions[pkg] = tf.version_core;
      } else if (b === 'wasm') {
        setWasmPaths(wasmDir());
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
        versions['tfjs-backend-wasm'] = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
      } else {
        if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
      }
      await tf.ready();
      const isWasm = b === 'wasm';
      current = {
        requested: choice, chosen: b, tfBackend: tf.getBackend(), skipped,
        simd: isWasm ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : null,
        threads: isWasm ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : null,
        versions,
      };
      return current;
    } catch (e) {
      if (choice !== 'auto') throw new GaitforgeError('E_BACKEND', `backend ${b} is not usable: ${describe(e)}`, { cause: e });
      skipped.push({ backend: b, reason: describe(e) });
    }
  }
  throw new GaitforgeError('E_BACKEND', `no backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by the last `initBackend`, or null. */
export function currentBackend(): BackendInfo | null {
  return current;
}

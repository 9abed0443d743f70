/** The library as the CLI sees it: every folder's building blocks (commands load it lazily, so `--help` never loads tfjs). */
export * from '../src/core/index.js';
export * from '../src/io/index.js';
export * from '../src/nn/index.js';
export * from '../src/train/index.js';
export * from '../src/eval/index.js';
export * from '../src/generator/index.js';
export * from '../src/classifier/index.js';
export * from '../src/identity/index.js';
export * from '../src/render/index.js';
export * from '../src/pipeline/index.js';

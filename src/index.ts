/** gaitforge's public library API. */
export * from './core/errors.js';
export * from './core/rng.js';
export * from './core/skeleton.js';
export * from './core/gaitset.js';
export * from './core/backend.js';
export * from './core/procedural.js';
export * from './core/kinematics.js';
export * from './core/summary.js';
export * from './core/progress.js';
export * from './core/version.js';
export * from './pipeline/demo.js';
export * from './pipeline/augment.js';
export * from './pipeline/config.js';
export * from './pipeline/cache.js';
export * from './io/index.js';
export * from './nn/index.js';
export * from './render/index.js';

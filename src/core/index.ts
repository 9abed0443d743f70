/** The base of gaitforge: GaitSet, skeleton, seeded random numbers, backends, errors, files, hashes, kinematics, affective features. Pure TypeScript except backend.ts. */
export * from './errors.js';
export * from './rng.js';
export * from './skeleton.js';
export * from './gaitset.js';
export * from './backend.js';
export * from './procedural.js';
export * from './kinematics.js';
export * from './affective.js';
export * from './summary.js';
export * from './progress.js';
export * from './version.js';
export * from './files.js';
export * from './hash.js';

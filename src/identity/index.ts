/**
 * Gait identity: the GaitTAKE-style identity model on skeletons (temporal
 * attention, GeM pooling, parallel embedding heads, triplet loss, P×K
 * sampling), its training, and cross-condition gallery/probe evaluation
 * (also of AT-GCN's identity head) beside nearest-neighbour baselines.
 */
export * from './config.js';
export * from './layers.js';
export * from './architecture.js';
export * from './losses.js';
export * from './sampler.js';
export * from './baselines.js';
export * from './model.js';
export * from './task.js';
export * from './train.js';
export * from './evaluate.js';

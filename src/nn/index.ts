/**
 * gaitforge's neural-network building blocks: spatial-temporal graph
 * convolutions, batch norm, attention and graph GRUs as tfjs layers, the
 * differentiable ops they are built from (fast on every backend), and model
 * save/load. Layout is channels last: a batch of gaits is [N, T, V, C].
 * Build models with the functional API; train with `model.apply(x, { training: true })`
 * inside `optimizer.minimize(..., trainableVariables(model))`; infer with
 * `model.apply(x)` or `predictInChunks` (batch norm then uses running statistics).
 */
export * from './ops.js';
export * from './batch-norm.js';
export * from './stgcn.js';
export * from './attention.js';
export * from './graph-gru.js';
export * from './serialize.js';
export * from './model-utils.js';

/**
 * gaitforge's neural-network building blocks: spatial-temporal graph
 * convolutions and friends, as tfjs layers that train fast on every backend.
 *
 * Tensor layout: channels last. A batch of gaits is x: [N, T, V, C]
 * (N samples, T frames, V joints, C channels; C = 3 coordinates at the input).
 *  - `STGCNBlock({ filters, temporalKernel, stride, residual, dropout, transposed,
 *     activation, batchNorm, edgeImportance, adjacency })`: [N, T, V, Cin] → [N, ceil(T/stride), V, filters]
 *     (transposed: [N, T·stride, V, filters]).
 *  - `FastBatchNorm({ momentum, epsilon })`: [..., C] → [..., C], batch norm over the last axis.
 *  - `SpatialAttention({ units })`: [N, T, V, C] → [N, T, V, C] (joints reweighted per frame).
 *  - `TemporalAttentionPool({ units, returnWeights })`: [N, T, C] → [N, C] (and weights [N, T]).
 *  - `GraphGRU({ units, returnSequences })`: [N, T, V, C] → [N, T, V, H] (or last state [N, V, H]).
 *  - fast differentiable ops for custom layers: `temporalConv`, `temporalConvTranspose`,
 *    `matMul2d`, `denseLastAxis`, `addBias`, `columnSums`, `graphMix` (sparse joint mixing),
 *    `graphAggregate` (dense), `batchNormTrain`, `batchNormInfer`.
 *  - `saveModel(model, dir, meta)` / `loadModel(dir)`: tfjs layers-format model.json + weights.bin + meta.json.
 *  - `trainableVariables(model)`, `predictInChunks(model, x)` (≤ 64 samples at a time),
 *    `flushDenormals(model)` (denormal weights make wasm kernels ~100x slower: call it after each epoch).
 *
 * Build models with the functional API (`tf.input`, `layer.apply`), train with
 * `model.apply(x, { training: true })` inside `optimizer.minimize(..., trainableVariables(model))`,
 * and run inference with `model.apply(x)` / `predictInChunks` (batch norm then uses running statistics).
 */
export * from './ops.js';
export * from './batch-norm.js';
export * from './stgcn.js';
export * from './attention.js';
export * from './graph-gru.js';
export * from './serialize.js';
export * from './model-utils.js';

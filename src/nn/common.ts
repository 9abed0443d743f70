/**
 * Shared plumbing of gaitforge's custom layers: argument checks, seeded
 * initialisers and the batch-norm weights every block carries.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.js';
import { batchNormInfer, batchNormTrain } from './ops.js';
import { ConfigRangeError } from '../core/errors.js';

export type Initializer = ReturnType<typeof tf.initializers.zeros>;
export type LayerVariable = import('@tensorflow/tfjs-layers/dist/variables.js').LayerVariable;
/** `layer.addWeight` (protected in tfjs) handed to helpers by the layer itself. */
export type AddWeight = (name: string, shape: number[], init: Initializer, trainable?: boolean) => LayerVariable;

/** The one tensor a single-input layer was called with. */
export function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** The one shape a single-input layer was built with. */
export function singleShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
  return Array.isArray(shape[0]) ? (shape as tf.Shape[])[0]! : (shape as tf.Shape);
}

/** True when a layer is called in training mode (`model.apply(x, { training: true })`). */
export function isTraining(kwargs: Record<string, unknown> | undefined): boolean {
  return kwargs?.['training'] === true;
}

/** A 31-bit seed for one weight of one layer, derived from the layer's seed. */
export function weightSeed(seed: number, purpose: string): number {
  return new Rng(seed, purpose).int(2 ** 31 - 1);
}

/** The noise key of the training step running now (see `withNoiseKey`), or null. */
let noiseScope: { key: number; counts: Map<string, number> } | null = null;

/**
 * Runs `fn` (synchronously) with a noise key: every dropout mask drawn inside
 * is seeded from (layer seed, purpose, key, count of that layer's masks in
 * this call) instead of the layer's call counter. The training engine derives
 * the key from seed, epoch, step and data-parallel rank, so a resumed run
 * draws the masks an uninterrupted one draws and replicas draw different
 * ones. Restores the previous key afterwards (nesting is allowed).
 */
export function withNoiseKey<T>(key: number, fn: () => T): T {
  const prev = noiseScope;
  noiseScope = { key, counts: new Map() };
  try {
    return fn();
  } finally {
    noiseScope = prev;
  }
}

/**
 * Seed of a layer's next random mask: from the active noise key when inside
 * `withNoiseKey`, else from `counter()` (the layer's own call count).
 */
export function noiseSeed(layerSeed: number, purpose: string, counter: () => number): number {
  if (!noiseScope) return weightSeed(layerSeed, `${purpose}/${counter()}`);
  const n = noiseScope.counts.get(purpose) ?? 0;
  noiseScope.counts.set(purpose, n + 1);
  return weightSeed(layerSeed, `${purpose}/key${noiseScope.key}/${n}`);
}

/**
 * PyTorch's default for conv/linear kernels: uniform in ±1/sqrt(fan_in)
 * (kaiming_uniform with a = sqrt(5)), seeded.
 */
export function torchUniform(seed: number, purpose: string): Initializer {
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: weightSeed(seed, purpose) });
}

/** Batch-norm weights over C channels: gamma, beta (trainable), moving mean and variance. */
export interface BatchNormWeights {
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

export function addBatchNorm(addWeight: AddWeight, prefix: string, channels: number): BatchNormWeights {
  const add = (name: string, init: Initializer, trainable: boolean) => addWeight(`${prefix}_${name}`, [channels], init, trainable);
  return {
    gamma: add('gamma', tf.initializers.ones(), true),
    beta: add('beta', tf.initializers.zeros(), true),
    movingMean: add('moving_mean', tf.initializers.zeros(), false),
    movingVariance: add('moving_variance', tf.initializers.ones(), false),
  };
}

/**
 * Applies batch norm over the last axis of x: [..., C]. Training mode
 * normalises with the batch statistics and moves the running statistics by
 * `momentum` (PyTorch's convention: new = (1 - m)·old + m·batch, unbiased
 * variance); inference uses the running statistics. `relu` fuses a ReLU
 * after it. Returns a new tensor.
 */
export function applyBatchNorm(x: tf.Tensor, w: BatchNormWeights, training: boolean, momentum: number, eps: number, relu = false): tf.Tensor {
  const gamma = w.gamma.read() as tf.Tensor1D;
  const beta = w.beta.read() as tf.Tensor1D;
  if (!training) {
    return batchNormInfer(x, w.movingMean.read() as tf.Tensor1D, w.movingVariance.read() as tf.Tensor1D, gamma, beta, eps, relu);
  }
  const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps, relu);
  const m = x.size / x.shape[x.shape.length - 1]!;
  tf.tidy(() => {
    const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
    w.movingMean.write(tf.add(tf.mul(w.movingMean.read(), 1 - momentum), tf.mul(mean, momentum)));
    w.movingVariance.write(tf.add(tf.mul(w.movingVariance.read(), 1 - momentum), tf.mul(unbiased, momentum)));
  });
  mean.dispose();
  variance.dispose();
  return y;
}

export function checkInt(layer: string, field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigRangeError(`${layer}: ${field} = ${String(value)} is out of range: expected an integer in [${min}, ${max}]`);
  return value;
}

export function checkNumber(layer: string, field: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new ConfigRangeError(`${layer}: ${field} = ${String(value)} is out of range: expected a number in [${min}, ${max}]`);
  return value;
}

export function checkChoice<T extends string>(layer: string, field: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new ConfigRangeError(`${layer}: ${field} = ${JSON.stringify(value)} is not one of ${allowed.join('|')}`);
  return value;
}

/**
 * GaitTAKE's objective for the training engine (src/train): the triplet loss
 * over every embedding head of a P×K batch, plus the weighted identity
 * cross-entropy when the model has that head, with optional fresh
 * pose-estimator noise on every training batch. Built from plain data, so
 * data-parallel replicas (replica.ts) rebuild it in a worker thread.
 */
import * as tf from '@tensorflow/tfjs';
import { addEstimatorNoise } from '../core/procedural.js';
import { Rng } from '../core/rng.js';
import { trainableVariables } from '../nn/index.js';
import type { GradientTask } from '../train/engine.js';
import { crossEntropy } from '../nn/objectives.js';
import { gatherRows } from '../io/model-input.js';
import { buildIdentityModel } from './architecture.js';
import type { ResolvedIdentityConfig } from './config.js';
import { tripletLoss } from './losses.js';

/** Training inputs, computed once: rows are gaits. */
export interface IdentityData {
  /** Model input positions [N, modelT, V, 3] flat. */
  positions: Float32Array;
  /** Training identity class per gait (0 … identities − 1). */
  classes: Int32Array;
  /** Frame rate of the model input (after the frame stride), for the augmentation noise. */
  fps: number;
}

export interface IdentityTaskSpec {
  config: ResolvedIdentityConfig;
  /** Model frames (after the frame stride) and joints. */
  T: number;
  V: number;
  /** Training identities (the cross-entropy head's classes when `crossEntropyWeight` > 0). */
  numIdentities: number;
  /** Seed of the weight initialisation. */
  initSeed: number;
  data: IdentityData;
}

export class IdentityTask implements GradientTask {
  readonly variables: tf.Variable[];
  readonly replicated: tf.Variable[];
  readonly metricNames = ['loss', 'triplet'] as const;
  /** A P×K batch is P groups of K walks: a data-parallel shard keeps an identity's walks together. */
  readonly shardUnit: number;
  private readonly ceWeight: number;

  constructor(
    readonly model: tf.LayersModel,
    readonly config: ResolvedIdentityConfig,
    readonly data: IdentityData,
  ) {
    // the default decay rule of the engine (kernels only)
    this.variables = trainableVariables(model);
    this.replicated = model.weights.map((w) => w.read() as tf.Variable);
    this.shardUnit = config.K;
    this.ceWeight = model.outputs.length > 2 ? config.crossEntropyWeight : 0;
  }

  /** Metrics: [objective, triplet loss]. */
  loss(rows: Int32Array, noiseSeed: number): { total: tf.Scalar; metrics: tf.Tensor1D } {
    const { data, config: c } = this;
    const shape = this.model.inputs[0]!.shape;
    const T = shape[1]!;
    const V = shape[2]!;
    const per = T * V * 3;
    const xs = gatherRows(data.positions, per, rows);
    if (c.augmentNoise > 0) {
      const rng = new Rng(noiseSeed, 'identity/augment');
      for (let k = 0; k < rows.length; k++) addEstimatorNoise(xs.subarray(k * per, (k + 1) * per), T, V, data.fps, c.augmentNoise, c.augmentNoiseTime, rng);
    }
    const labels = Int32Array.from(rows, (i) => data.classes[i]!);
    const outs = this.model.apply(tf.tensor4d(xs, [rows.length, T, V, 3]), { training: true }) as tf.Tensor[];
    // every P×K batch, and every data-parallel shard of it (shardUnit), holds at least 2 identities of K ≥ 2 walks
    const triplet = tripletLoss(outs[0] as tf.Tensor3D, labels, c.margin, c.triplet);
    const total = this.ceWeight > 0 ? (tf.add(triplet, tf.mul(crossEntropy(outs[2] as tf.Tensor2D, tf.tensor1d(labels, 'int32')), this.ceWeight)) as tf.Scalar) : triplet;
    return { total, metrics: tf.stack([total, triplet]) as tf.Tensor1D };
  }
}

/** Builds the model and the task from plain data. `dispose()` releases the model. */
export function buildIdentityTask(spec: IdentityTaskSpec): { task: IdentityTask; model: tf.LayersModel; dispose(): void } {
  const model = buildIdentityModel({ config: spec.config, T: spec.T, V: spec.V, numIdentities: spec.numIdentities, seed: spec.initSeed });
  return { task: new IdentityTask(model, spec.config, spec.data), model, dispose: () => model.dispose() };
}

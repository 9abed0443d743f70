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
import { buildIdentityModel, modelFrames } from './architecture.js';
import type { ResolvedIdentityConfig } from './config.js';
import { tripletLoss } from './losses.js';

/** Training inputs, computed once: rows are gaits. */
export interface IdentityData {
  /** Model input positions [N, modelT, V, 3] flat. */
  positions: Float32Array;
  /** Training identity class per gait (0 … identities − 1). */
  classes: Int32Array;
  /** Frames (after the frame stride) and joints of each row. */
  T: number;
  V: number;
  /** Frame rate of the model input (after the frame stride), for the augmentation noise. */
  fps: number;
}

/** Rows `rows` of [N, fullT, V, 3] positions, each cut to a window of T frames at a seeded random start. */
function randomWindows(positions: Float32Array, fullT: number, V: number, T: number, rows: Int32Array, rng: Rng): Float32Array {
  const frame = V * 3;
  const out = new Float32Array(rows.length * T * frame);
  rows.forEach((r, k) => {
    const start = (r * fullT + rng.int(fullT - T + 1)) * frame;
    out.set(positions.subarray(start, start + T * frame), k * T * frame);
  });
  return out;
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
    const { T: fullT, V } = data;
    const window = modelFrames(c.trainFrames, c.frameStride);
    const T = window > 0 && window < fullT ? window : fullT;
    const per = T * V * 3;
    const xs = T === fullT ? gatherRows(data.positions, per, rows) : randomWindows(data.positions, fullT, V, T, rows, new Rng(noiseSeed, 'identity/window'));
    if (c.augmentNoise > 0) {
      const rng = new Rng(noiseSeed, 'identity/augment');
      for (let k = 0; k < rows.length; k++) addEstimatorNoise(xs.subarray(k * per, (k + 1) * per), T, V, data.fps, c.augmentNoise, c.augmentNoiseTime, rng);
    }
    const labels = Int32Array.from(rows, (i) => data.classes[i]!);
    const outs = this.model.apply(tf.tensor4d(xs, [rows.length, T, V, 3]), { training: true }) as tf.Tensor[];
    // every P×K batch, and every data-parallel shard of it (shardUnit), holds at least 2 identities of K ≥ 2 walks
    const triplet = tripletLoss(outs[0] as tf.Tensor3D, labels, c.margin, c.triplet, c.tripletMean);
    const total = this.ceWeight > 0 ? (tf.add(triplet, tf.mul(crossEntropy(outs[2] as tf.Tensor2D, tf.tensor1d(labels, 'int32')), this.ceWeight)) as tf.Scalar) : triplet;
    return { total, metrics: tf.stack([total, triplet]) as tf.Tensor1D };
  }
}

/** Builds the model and the task from plain data. `dispose()` releases the model. */
export function buildIdentityTask(spec: IdentityTaskSpec): { task: IdentityTask; model: tf.LayersModel; dispose(): void } {
  const model = buildIdentityModel({ config: spec.config, T: spec.T, V: spec.V, numIdentities: spec.numIdentities, seed: spec.initSeed });
  return { task: new IdentityTask(model, spec.config, spec.data), model, dispose: () => model.dispose() };
}

/**
 * A tiny model for engine tests: a two-layer perceptron (no batch norm, no
 * noise) regressing y from x, whose full-batch gradient is exactly the
 * row-weighted mean of shard gradients. Also a replica module
 * (`createReplica`) for the data-parallel engine.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientTask } from '../../src/train/engine.js';
import type { ReplicaHandle } from '../../src/train/parallel.js';

export interface MlpSpec {
  /** Rows of inputs [N, D] and targets [N]. */
  x: Float32Array;
  y: Float32Array;
  D: number;
  hidden: number;
  seed: number;
}

export class MlpTask implements GradientTask {
  readonly variables: tf.Variable[];
  readonly replicated: tf.Variable[];
  readonly decayed = [true, false, true, false];
  readonly metricNames = ['mse'];

  constructor(readonly spec: MlpSpec) {
    const { D, hidden, seed } = spec;
    this.variables = [
      tf.variable(tf.randomNormal([D, hidden], 0, 1 / Math.sqrt(D), 'float32', seed)),
      tf.variable(tf.zeros([hidden])),
      tf.variable(tf.randomNormal([hidden, 1], 0, 1 / Math.sqrt(hidden), 'float32', seed + 1)),
      tf.variable(tf.zeros([1])),
    ];
    this.replicated = this.variables;
  }

  loss(rows: Int32Array): { total: tf.Scalar; metrics: tf.Tensor1D } {
    const { x, y, D } = this.spec;
    const xs = tf.tensor2d(Float32Array.from({ length: rows.length * D }, (_, k) => x[rows[Math.floor(k / D)]! * D + (k % D)]!), [rows.length, D]);
    const ys = tf.tensor2d(Float32Array.from(rows, (i) => y[i]!), [rows.length, 1]);
    const [w1, b1, w2, b2] = this.variables;
    const h = tf.relu(tf.add(tf.matMul(xs, w1!), b1!));
    const out = tf.add(tf.matMul(h, w2!), b2!);
    const total = tf.mean(tf.square(tf.sub(out, ys))) as tf.Scalar;
    return { total, metrics: tf.reshape(total, [1]) as tf.Tensor1D };
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

export function createReplica(spec: MlpSpec): ReplicaHandle {
  const task = new MlpTask(spec);
  return { task, dispose: () => task.dispose() };
}

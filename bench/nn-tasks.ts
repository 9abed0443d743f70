/**
 * The nn benchmark's two reference models (nn-models.ts) as training-engine
 * tasks (src/train/engine.ts), so their training steps run exactly as
 * gaitforge trains (one Adam, data-parallel replicas), and as replica modules
 * that the engine's worker threads rebuild.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientTask } from '../src/train/engine.js';
import type { ReplicaHandle } from '../src/train/parallel.js';
import { trainableVariables } from '../src/nn/index.js';
import { buildClassifier, buildCvae, CLASSES, pushPullLoss, V, withCondition } from './nn-models.js';

export interface BenchTaskSpec {
  model: 'classifier' | 'cvae';
  T: number;
  kt: number;
  /** Inputs [rows, T, V, 3] and labels [rows]. */
  x: Float32Array;
  labels: Int32Array;
}

export function buildBenchTask(spec: BenchTaskSpec): ReplicaHandle {
  const { T, kt } = spec;
  const gather = (rows: Int32Array) => {
    const per = T * V * 3;
    const out = new Float32Array(rows.length * per);
    rows.forEach((r, k) => out.set(spec.x.subarray(r * per, (r + 1) * per), k * per));
    return tf.tensor4d(out, [rows.length, T, V, 3]);
  };
  const oneHot = (rows: Int32Array) => tf.oneHot(tf.tensor1d(Int32Array.from(rows, (r) => spec.labels[r]!), 'int32'), CLASSES).toFloat() as tf.Tensor2D;
  if (spec.model === 'classifier') {
    const clf = buildClassifier(T, kt);
    const task: GradientTask = {
      variables: trainableVariables(clf),
      replicated: clf.weights.map((w) => w.read() as tf.Variable),
      metricNames: ['loss'],
      loss(rows) {
        const total = tf.losses.softmaxCrossEntropy(oneHot(rows), clf.apply(gather(rows), { training: true }) as tf.Tensor) as tf.Scalar;
        return { total, metrics: total.reshape([1]) as tf.Tensor1D };
      },
    };
    return { task, dispose: () => clf.dispose() };
  }
  const vae = buildCvae(T, kt);
  const task: GradientTask = {
    variables: vae.vars,
    replicated: [...vae.encoder.weights, ...vae.decoder.weights].map((w) => w.read() as tf.Variable),
    metricNames: ['loss'],
    loss(rows, noiseSeed) {
      const x = gather(rows);
      const oh = oneHot(rows);
      const [mu, logvar] = vae.encoder.apply(withCondition(x, oh), { training: true }) as tf.Tensor[];
      const eps = tf.randomNormal(mu!.shape, 0, 1, 'float32', noiseSeed);
      const z = tf.add(mu!, tf.mul(eps, tf.exp(tf.mul(logvar!, 0.5))));
      const yhat = vae.decoder.apply(tf.concat([z, oh], 1), { training: true }) as tf.Tensor4D;
      const total = pushPullLoss(x, yhat, mu!, logvar!);
      return { total, metrics: total.reshape([1]) as tf.Tensor1D };
    },
  };
  return {
    task,
    dispose() {
      vae.encoder.dispose();
      vae.decoder.dispose();
    },
  };
}

export const createReplica = buildBenchTask;

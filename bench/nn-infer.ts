/**
 * Inference replicas of the nn benchmark's models (nn-models.ts) for the
 * replica threads (src/train/parallel.ts): the classifier's forward pass and
 * the CVAE decoder, built with the same seeds as on the calling thread.
 */
import * as tf from '@tensorflow/tfjs';
import { predictInChunks } from '../src/nn/index.js';
import type { InferenceReplica } from '../src/train/parallel.js';
import { buildClassifier, buildCvae, CLASSES, LATENT, V } from './nn-models.js';

export interface BenchInferSpec {
  model: 'classifier' | 'cvae';
  T: number;
  kt: number;
}

/** Input rows: classifier [n, T, V, 3] positions; CVAE decoder [n, LATENT + CLASSES] latent and condition. */
export interface BenchInferInput {
  n: number;
  x: Float32Array;
}

/** A forward pass of the bench model: the model and a function running it on n rows (output read back, tensors disposed). */
export function benchForward(spec: BenchInferSpec): { run(x: Float32Array, n: number): Float32Array; dispose(): void } {
  const { T, kt } = spec;
  const model = spec.model === 'classifier' ? buildClassifier(T, kt) : null;
  const vae = spec.model === 'cvae' ? buildCvae(T, kt) : null;
  const net = model ?? vae!.decoder;
  return {
    run(x, n) {
      const input = spec.model === 'classifier' ? tf.tensor4d(x, [n, T, V, 3]) : tf.tensor2d(x, [n, LATENT + CLASSES]);
      const o = predictInChunks(net, input) as tf.Tensor;
      input.dispose();
      const out = o.dataSync() as Float32Array;
      o.dispose();
      return out;
    },
    dispose() {
      model?.dispose();
      vae?.encoder.dispose();
      vae?.decoder.dispose();
    },
  };
}

export function createReplica(spec: BenchInferSpec): InferenceReplica {
  const f = benchForward(spec);
  return { call: (input) => f.run((input as BenchInferInput).x, (input as BenchInferInput).n), dispose: f.dispose };
}

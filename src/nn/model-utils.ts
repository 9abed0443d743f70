/**
 * Helpers for training and running models built from gaitforge's layers.
 */
import * as tf from '@tensorflow/tfjs';

/** The tf.Variables an optimizer should update: `opt.minimize(loss, true, trainableVariables(model))`. */
export function trainableVariables(model: tf.LayersModel | tf.layers.Layer): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Largest batch run through a model at once by `predictInChunks` (the wasm heap is capped near 2 GB). */
export const DEFAULT_INFERENCE_CHUNK = 64;

/**
 * Inference over a large batch in chunks of at most `chunk` samples along
 * axis 0: x: [N, ...] → the model's output(s) for all N, concatenated.
 * Runs in inference mode (batch norm uses its running statistics). Caller
 * disposes the result; x is not disposed.
 */
export function predictInChunks(model: tf.LayersModel, x: tf.Tensor, chunk = DEFAULT_INFERENCE_CHUNK): tf.Tensor | tf.Tensor[] {
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunk = ${chunk} is out of range: expected an integer ≥ 1`);
  const n = x.shape[0]!;
  if (n <= chunk) return tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]);
  const parts: (tf.Tensor | tf.Tensor[])[] = [];
  try {
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      parts.push(tf.tidy(() => model.apply(x.slice(i, m), { training: false }) as tf.Tensor | tf.Tensor[]));
    }
    if (!Array.isArray(parts[0])) return tf.concat(parts as tf.Tensor[], 0);
    const k = (parts[0] as tf.Tensor[]).length;
    return Array.from({ length: k }, (_, j) => tf.concat(parts.map((p) => (p as tf.Tensor[])[j]!), 0));
  } finally {
    for (const p of parts) tf.dispose(p);
  }
}

/** Smallest positive normal float32; nonzero magnitudes below it are denormal. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Replaces denormal float32 weights (0 < |w| < 1.18e-38, e.g. after long
 * training with weight decay) by 0, in place: WebAssembly SIMD has no
 * flush-to-zero mode, so denormal weights slow wasm convolutions and matMuls
 * by two orders of magnitude, and 0 changes no output meaningfully.
 * `loadModel` and `saveModel` call it; training loops should call it after
 * each epoch. Returns how many values were flushed.
 */
export function flushDenormals(model: tf.LayersModel | tf.layers.Layer): number {
  let flushed = 0;
  for (const w of model.weights) {
    const v = w.read();
    if (v.dtype !== 'float32') continue;
    const data = v.dataSync() as Float32Array;
    let copy: Float32Array | null = null;
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]!);
      if (a !== 0 && a < FLOAT32_MIN_NORMAL) {
        copy ??= data.slice();
        copy[i] = 0;
        flushed++;
      }
    }
    if (copy) {
      const t = tf.tensor(copy, v.shape, 'float32');
      w.write(t);
      t.dispose();
    }
  }
  return flushed;
}

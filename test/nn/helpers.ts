import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../../src/core/backend.js';

export const BACKENDS: BackendChoice[] = ['wasm', 'cpu'];

export async function useBackend(b: BackendChoice): Promise<void> {
  await initBackend(b);
}

/** Deterministic pseudo-random tensor in [-1, 1) (no tfjs RNG involved). */
export function rand(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    d[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tf.tensor(d, shape);
}

/**
 * Central-difference gradient of the scalar f at `inputs[which]`, in float64
 * arithmetic on the differences of f (f itself runs in float32).
 */
export function numericGrad(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], which: number, eps = 1e-2): Float64Array {
  const it = centralDifferences(f, inputs, which, eps);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/**
 * numericGrad for large inputs (hundreds of forward passes): yields to the
 * event loop between elements, so the test worker can answer Vitest's RPC.
 */
export async function numericGradYielding(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], which: number, eps = 1e-2): Promise<Float64Array> {
  const it = centralDifferences(f, inputs, which, eps);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The central differences of numericGrad, pausing after each element. */
function* centralDifferences(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], which: number, eps: number): Generator<void, Float64Array> {
  const base = inputs[which]!.dataSync().slice();
  const out = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number) => {
      const d = base.slice();
      d[i] = d[i]! + delta;
      return tf.tidy(() => {
        const args = inputs.map((t, j) => (j === which ? tf.tensor(d, t.shape) : t));
        return f(...args).dataSync()[0]!;
      });
    };
    out[i] = (at(eps) - at(-eps)) / (2 * eps);
    yield;
  }
  return out;
}

/** max |a - b| / max(1, max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  return err / scale;
}

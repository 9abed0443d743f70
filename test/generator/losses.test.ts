import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { Rng } from '../../src/core/rng.js';
import { anchorFrames, boneTerm, pushPullLoss } from '../../src/generator/losses.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** STEP eqs. 3-7 as plain loops in float64, each term a mean (the reference for the vectorised version). */
function reference(x: Float64Array, y: Float64Array, N: number, T: number, F: number) {
  const at = (a: Float64Array, n: number, t: number, f: number) => a[(n * T + t) * F + f]!;
  let lo = 0;
  let vel = 0;
  let acc = 0;
  let ld = 0;
  for (let n = 0; n < N; n++)
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++) {
        lo += (at(x, n, t, f) - at(y, n, t, f)) ** 2;
        if (t >= 1) {
          const vr = at(x, n, t, f) - at(x, n, t - 1, f);
          const vs = at(y, n, t, f) - at(y, n, t - 1, f);
          vel += (vr - vs) ** 2;
        }
        if (t >= 2) {
          const ar = at(x, n, t, f) - 2 * at(x, n, t - 1, f) + at(x, n, t - 2, f);
          const as = at(y, n, t, f) - 2 * at(y, n, t - 1, f) + at(y, n, t - 2, f);
          acc += (ar - as) ** 2;
        }
        for (const w of [0, Math.floor(T / 2), T - 1]) ld += (at(x, n, t, f) - at(x, n, w, f) - (at(y, n, t, f) - at(y, n, w, f))) ** 2 / (N * T * F);
      }
  return { lo: lo / (N * T * F), lc: vel / (N * (T - 1) * F) + acc / (N * (T - 2) * F), ld };
}

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const r = new Rng(seed, 'test/losses');
  return Float64Array.from({ length: n }, () => r.normal(0, scale));
}

describe('push-pull loss', () => {
  const N = 3;
  const T = 7;
  const V = 4;
  const F = V * 3;
  const w = { lambdaC: 0.5, lambdaD: 2, lambdaB: 3, beta: 0.1 };

  it('matches a loop implementation of STEP eqs. 3-7, with the seams between gaits excluded', () => {
    const x = randomArray(N * T * F, 1);
    const y = randomArray(N * T * F, 2);
    const ref = reference(x, y, N, T, F);
    const got = tf.tidy(() => {
      const L = pushPullLoss(tf.tensor4d(Float32Array.from(x), [N, T, V, 3]), tf.tensor4d(Float32Array.from(y), [N, T, V, 3]), tf.zeros([N, 5]), tf.zeros([N, 5]), w);
      return tf.stack([L.lo, L.lc, L.ld, L.kl, L.total, L.lb]).arraySync() as number[];
    });
    expect(got[0]).toBeCloseTo(ref.lo, 4);
    expect(got[1]).toBeCloseTo(ref.lc, 4);
    expect(got[2]).toBeCloseTo(ref.ld, 4);
    expect(got[3]).toBeCloseTo(0, 6); // μ = 0, log σ² = 0: the posterior is the prior
    expect(got[4]).toBeCloseTo(ref.lo + w.lambdaC * ref.lc + w.lambdaD * ref.ld, 3);
    expect(got[5]).toBe(0); // no bone term given: L_b is 0 and not in the total
  });

  it('L_b compares bone lengths in metres / scale, undoing the standardisation', () => {
    // two joints, one bone (0 → 1); mean gait: joint 1 sits 1 m above joint 0; scale 0.5
    const T1 = 2;
    const mean = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0];
    const scale = 0.5;
    const b = boneTerm([[0, 1]], 2, mean, scale);
    // real: standardised zeros = the mean gait (bone 1 m); fake: joint 1 moved +0.1 standardised in x at frame 1
    const fake = new Float32Array(1 * T1 * 2 * 3);
    fake[(1 * 2 + 1) * 3] = 0.1;
    const lb = tf.tidy(() =>
      pushPullLoss(tf.zeros([1, T1, 2, 3]), tf.tensor4d(fake, [1, T1, 2, 3]), tf.zeros([1, 1]), tf.zeros([1, 1]), w, b).lb.arraySync() as number);
    // bone lengths in model units: 1 / 0.5 = 2 for the real one; |(0.1, 2, 0)| for the fake one at frame 1
    const expected = (Math.hypot(0.1, 2) - 2) ** 2 / 2;
    expect(lb).toBeCloseTo(expected, 6);
    tf.dispose([b.incidence, b.meanBones]);
  });

  it('a constant offset costs only L_o; a per-gait drift costs L_c and L_d', () => {
    const x = randomArray(N * T * F, 3);
    const shifted = Float32Array.from(x, (v) => v + 0.5);
    // drift: x̂_t = x_t + 0.1·t (a body sliding away over time)
    const drift = Float32Array.from(x, (v, i) => v + 0.1 * (Math.floor(i / F) % T));
    const [a, b] = tf.tidy(() => {
      const xt = tf.tensor4d(Float32Array.from(x), [N, T, V, 3]);
      const z = tf.zeros([N, 2]);
      const la = pushPullLoss(xt, tf.tensor4d(shifted, [N, T, V, 3]), z, z, w);
      const lb = pushPullLoss(xt, tf.tensor4d(drift, [N, T, V, 3]), z, z, w);
      return [[la.lo, la.lc, la.ld].map((s) => s.arraySync() as number), [lb.lc, lb.ld].map((s) => s.arraySync() as number)];
    });
    expect(a![0]).toBeCloseTo(0.25, 5);
    expect(a![1]).toBeCloseTo(0, 5);
    expect(a![2]).toBeCloseTo(0, 5);
    expect(b![0]).toBeGreaterThan(0.005);
    expect(b![1]).toBeGreaterThan(0.01);
  });

  it('KL is the closed form for N(μ, σ²) against N(0, 1)', () => {
    const mu = [0.3, -1.2];
    const logvar = [0.5, -0.7];
    const kl = tf.tidy(() => pushPullLoss(tf.zeros([1, 3, 2, 3]), tf.zeros([1, 3, 2, 3]), tf.tensor2d([mu]), tf.tensor2d([logvar]), w).kl.arraySync() as number);
    const ref = mu.reduce((s, m, i) => s - 0.5 * (1 + logvar[i]! - m * m - Math.exp(logvar[i]!)), 0) / 2;
    expect(kl).toBeCloseTo(ref, 5);
  });

  it('anchors are the first, middle and last frame', () => {
    expect(anchorFrames(75)).toEqual([0, 37, 74]);
    expect(anchorFrames(2)).toEqual([0, 1]);
  });

  it('is differentiable and leaves no tensors behind', () => {
    const x = tf.tensor4d(Float32Array.from(randomArray(N * T * F, 4)), [N, T, V, 3]);
    const y = tf.variable(tf.tensor4d(Float32Array.from(randomArray(N * T * F, 5)), [N, T, V, 3]));
    const bones = boneTerm([[0, 1], [1, 2], [1, 3]], V, Array.from({ length: T * F }, (_, i) => Math.cos(i)), 0.3);
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => pushPullLoss(x, y, tf.zeros([N, 2]), tf.zeros([N, 2]), w, bones).total, [y]);
      return tf.keep(grads[y.name]!);
    });
    const vals = g.dataSync();
    expect(vals.every(Number.isFinite)).toBe(true);
    expect(Math.max(...Array.from(vals, Math.abs))).toBeGreaterThan(0);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, bones.incidence, bones.meanBones]);
  });
});

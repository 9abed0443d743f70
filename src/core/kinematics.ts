/**
 * Kinematic measurements of single gaits ([T, V, 3] Float32Array views, Y up).
 * Pure TypeScript; shared by the dataset summary, the affective features and
 * the plausibility metrics.
 */
import { JOINTS } from './skeleton.js';

/** Position of joint j at frame t. */
export function joint(g: Float32Array, V: number, t: number, j: number): [number, number, number] {
  const o = (t * V + j) * 3;
  return [g[o]!, g[o + 1]!, g[o + 2]!];
}

/** Mean horizontal speed of the root (m/s): its ground-plane path length over the clip duration, smoothed over 5 frames. */
export function rootSpeed(g: Float32Array, T: number, V: number, fps: number): number {
  if (T < 2) return 0;
  const k = Math.min(5, T - 1);
  let dist = 0;
  let prev = joint(g, V, 0, JOINTS.root);
  let n = 0;
  for (let t = k; t < T; t += k) {
    const cur = joint(g, V, t, JOINTS.root);
    dist += Math.hypot(cur[0] - prev[0], cur[2] - prev[2]);
    prev = cur;
    n = t;
  }
  return n > 0 ? (dist * fps) / n : 0;
}

/**
 * A copy of g: [T, V, 3] with every joint coordinate smoothed over time by a
 * Gaussian of standard deviation `sigmaFrames` frames, truncated at ±3σ; at
 * the ends the kernel is cut off and renormalised (no padding invented).
 * σ = 0 returns an unchanged copy. Used before finite differences, which
 * amplify per-frame sensor noise (the k-th difference of white noise grows
 * with fps^k).
 */
export function gaussianSmoothTrajectories(g: Float32Array, T: number, V: number, sigmaFrames: number): Float32Array {
  if (!(sigmaFrames >= 0) || !Number.isFinite(sigmaFrames)) throw new RangeError(`sigmaFrames = ${sigmaFrames} must be a finite number ≥ 0`);
  const out = Float32Array.from(g.subarray(0, T * V * 3));
  if (sigmaFrames === 0 || T < 2) return out;
  const r = Math.ceil(3 * sigmaFrames);
  const w = Float64Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * sigmaFrames * sigmaFrames)));
  const C = V * 3;
  for (let c = 0; c < C; c++)
    for (let t = 0; t < T; t++) {
      let s = 0;
      let n = 0;
      for (let k = Math.max(0, t - r); k <= Math.min(T - 1, t + r); k++) {
        const wk = w[k - t + r]!;
        s += wk * g[k * C + c]!;
        n += wk;
      }
      out[t * C + c] = s / n;
    }
  return out;
}

/** Moving average of a series with a centred window of `w` samples. */
export function smooth(x: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(x.length);
  const h = Math.floor(w / 2);
  for (let i = 0; i < x.length; i++) {
    let s = 0;
    let n = 0;
    for (let k = Math.max(0, i - h); k <= Math.min(x.length - 1, i + h); k++) {
      s += x[k]!;
      n++;
    }
    out[i] = s / n;
  }
  return out;
}

/**
 * Frames at which a foot is lowest within each step: local minima of the
 * (smoothed) foot height, at least `minGap` seconds apart.
 */
export function footMinima(g: Float32Array, T: number, V: number, fps: number, foot: number, minGap = 0.5): number[] {
  const y = smooth(Array.from({ length: T }, (_, t) => g[(t * V + foot) * 3 + 1]!), 5);
  const minima: number[] = [];
  for (let t = 1; t < T - 1; t++) {
    if (y[t]! <= y[t - 1]! && y[t]! < y[t + 1]!) {
      const last = minima[minima.length - 1];
      if (last !== undefined && (t - last) / fps < minGap) {
        if (y[t]! < y[last]!) minima[minima.length - 1] = t;
      } else minima.push(t);
    }
  }
  return minima;
}

/**
 * Gait-cycle time (s) from the foot-height minima of both feet (the mean
 * interval between consecutive minima of the same foot), or NaN when the
 * clip holds less than one cycle of either foot.
 */
export function gaitCycleTime(g: Float32Array, T: number, V: number, fps: number): number {
  const intervals: number[] = [];
  for (const foot of [JOINTS.legA[2], JOINTS.legB[2]]) {
    const m = footMinima(g, T, V, fps, foot);
    for (let i = 1; i < m.length; i++) intervals.push((m[i]! - m[i - 1]!) / fps);
  }
  return intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length : NaN;
}

/** Unit horizontal walking direction (x, z) from the root's first to last frame; [0, 1] when it does not move. */
export function heading(g: Float32Array, T: number, V: number): [number, number] {
  const a = joint(g, V, 0, JOINTS.root);
  const b = joint(g, V, T - 1, JOINTS.root);
  const dx = b[0] - a[0];
  const dz = b[2] - a[2];
  const n = Math.hypot(dx, dz);
  return n > 1e-9 ? [dx / n, dz / n] : [0, 1];
}

/**
 * Stride length (m) from the foot-height minima of both feet: the mean
 * horizontal (x, z) distance a foot travels between consecutive minima of
 * the same foot (one full gait cycle), or NaN when the clip holds less than
 * one cycle of either foot (as `gaitCycleTime`).
 */
export function strideLength(g: Float32Array, T: number, V: number, fps: number): number {
  let sum = 0;
  let n = 0;
  for (const foot of [JOINTS.legA[2], JOINTS.legB[2]]) {
    const m = footMinima(g, T, V, fps, foot);
    for (let i = 1; i < m.length; i++) {
      const a = joint(g, V, m[i - 1]!, foot);
      const b = joint(g, V, m[i]!, foot);
      sum += Math.hypot(b[0] - a[0], b[2] - a[2]);
      n++;
    }
  }
  return n > 0 ? sum / n : NaN;
}

/** Signed binomial weights of the k-th forward difference, e.g. k = 3: [-1, 3, -3, 1]. */
const DIFF_WEIGHTS: Record<number, number[]> = { 1: [-1, 1], 2: [1, -2, 1], 3: [-1, 3, -3, 1] };

/**
 * Mean magnitude of the k-th time derivative of joint j (k = 1 speed m/s,
 * 2 acceleration m/s², 3 jerk m/s³) by unsmoothed forward differences: the
 * mean over t of |Δᵏp(t)|·fpsᵏ. 0 when the clip has no more than k frames.
 */
export function derivativeMagnitude(g: Float32Array, T: number, V: number, fps: number, j: number, k: 1 | 2 | 3): number {
  const w = DIFF_WEIGHTS[k]!;
  if (T <= k) return 0;
  const scale = fps ** k;
  let s = 0;
  for (let t = 0; t + k < T; t++) {
    let dx = 0;
    let dy = 0;
    let dz = 0;
    for (let i = 0; i <= k; i++) {
      const o = ((t + i) * V + j) * 3;
      dx += w[i]! * g[o]!;
      dy += w[i]! * g[o + 1]!;
      dz += w[i]! * g[o + 2]!;
    }
    s += Math.hypot(dx, dy, dz) * scale;
  }
  return s / (T - k);
}

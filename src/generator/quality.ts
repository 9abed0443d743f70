/**
 * Motion statistics that tell walking from static poses and drifting or
 * deforming bodies, used to compare generated gaits with real ones. Pure
 * TypeScript over GaitSet positions ([N, T, V, 3], metres).
 */
import type { GaitSet } from '../core/gaitset.js';
import { gaitCycleTime } from '../core/kinematics.js';
import { EDGES, JOINTS } from '../core/skeleton.js';

export interface MotionStats {
  /** Mean speed of every joint over frames and gaits, m/s (body translation included), over steps of `stride` frames. */
  jointSpeed: number;
  /** Mean speed of the non-root joints relative to the root, m/s: limb motion (a rigid pose carried along scores 0). */
  limbSpeed: number;
  /** Horizontal root displacement from the first to the last frame per second, mean over gaits, m/s. */
  rootProgress: number;
  /** Mean bone length, metres. */
  boneLength: number;
  /**
   * Bone-length instability: the coefficient of variation over time of each
   * bone's length (std / mean), averaged over bones and gaits. A rigid
   * skeleton scores 0; noise and stretching raise it.
   */
  boneLengthCV: number;
}

const dist = (g: Float32Array, a: number, b: number) => Math.hypot(g[b]! - g[a]!, g[b + 1]! - g[a + 1]!, g[b + 2]! - g[a + 2]!);

/**
 * Frames per speed step: about 0.1 s. Speeds from single-frame differences
 * measure sensor noise as much as motion (noise speed grows with fps); over
 * 0.1 s that part shrinks by the number of frames in the step.
 */
export function speedStride(fps: number): number {
  return Math.max(1, Math.round(fps / 10));
}

/** Motion statistics of a set (edges default to the E-Gait skeleton, root joint 0). */
export function motionStats(set: GaitSet, edges: readonly (readonly [number, number])[] = EDGES, root: number = JOINTS.root): MotionStats {
  const { T, V, N, fps } = set;
  const k = Math.min(speedStride(fps), Math.max(1, T - 1));
  let speed = 0;
  let limb = 0;
  let progress = 0;
  let len = 0;
  let cv = 0;
  const lengths = new Float64Array(T);
  for (let n = 0; n < N; n++) {
    const g = set.gait(n);
    let s = 0;
    let l = 0;
    for (let t = k; t < T; t++) {
      const r0 = ((t - k) * V + root) * 3;
      const r1 = (t * V + root) * 3;
      for (let j = 0; j < V; j++) {
        const a = ((t - k) * V + j) * 3;
        const b = (t * V + j) * 3;
        s += dist(g, a, b);
        if (j !== root) {
          const dx = g[b]! - g[r1]! - (g[a]! - g[r0]!);
          const dy = g[b + 1]! - g[r1 + 1]! - (g[a + 1]! - g[r0 + 1]!);
          const dz = g[b + 2]! - g[r1 + 2]! - (g[a + 2]! - g[r0 + 2]!);
          l += Math.hypot(dx, dy, dz);
        }
      }
    }
    if (T > 1) {
      speed += (s * fps) / (k * (T - k) * V);
      limb += (l * fps) / (k * (T - k) * (V - 1));
      const r = ((T - 1) * V + root) * 3;
      const r0 = root * 3;
      progress += (Math.hypot(g[r]! - g[r0]!, g[r + 2]! - g[r0 + 2]!) * fps) / (T - 1);
    }
    for (const [p, c] of edges) {
      let m = 0;
      for (let t = 0; t < T; t++) {
        lengths[t] = dist(g, (t * V + p) * 3, (t * V + c) * 3);
        m += lengths[t]!;
      }
      m /= T;
      let v = 0;
      for (let t = 0; t < T; t++) v += (lengths[t]! - m) ** 2;
      len += m;
      cv += m > 1e-9 ? Math.sqrt(v / T) / m : 0;
    }
  }
  const nb = N * edges.length;
  return { jointSpeed: speed / N, limbSpeed: limb / N, rootProgress: progress / N, boneLength: len / nb, boneLengthCV: cv / nb };
}

/**
 * Step frequency of a set, steps per second: for each gait, two steps per
 * gait cycle (core/kinematics `gaitCycleTime`, from the foot-height minima
 * of both feet), averaged over the gaits whose clip holds at least one full
 * cycle of a foot. `gaits` counts those; `frequency` is NaN when none does
 * (clips shorter than a cycle, or feet that never lift).
 */
export function stepFrequency(set: GaitSet): { frequency: number; gaits: number } {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < set.N; i++) {
    const cycle = gaitCycleTime(set.gait(i), set.T, set.V, set.fps);
    if (Number.isFinite(cycle) && cycle > 0) {
      sum += 2 / cycle;
      n++;
    }
  }
  return { frequency: n > 0 ? sum / n : NaN, gaits: n };
}

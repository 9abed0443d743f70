import { describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import {
  applySimilarity, centreGait, canonicalViewGait, gaitDirection, preprocess, procrustesGait, resampleFps, resampleGait,
  resolvePreprocess, REST_POSE, rotateYaw, scaleGait, skeletonHeight, tileGait, umeyama,
} from '../../src/io/index.js';

const V = 16;
/** A rigid "walk": REST_POSE translated along `dir` (x, z) by `step` per frame, starting at `start`. */
function walk(T: number, dir: [number, number], step = 0.05, start: [number, number, number] = [0.3, 0.9, -0.2]): Float32Array {
  const g = new Float32Array(T * V * 3);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < V; j++) {
      const o = (t * V + j) * 3;
      g[o] = REST_POSE[j * 3]! + start[0] + dir[0] * step * t;
      g[o + 1] = REST_POSE[j * 3 + 1]! + start[1];
      g[o + 2] = REST_POSE[j * 3 + 2]! + start[2] + dir[1] * step * t;
    }
  return g;
}
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('preprocessing', () => {
  it('umeyama recovers a known similarity (rotation, translation, scale) and rejects reflections', () => {
    const src = Array.from(REST_POSE);
    // R = rotation by 40° about the axis (1, 2, 2)/3 (Rodrigues), s = 1.7, t = (0.3, -1, 2)
    const ax = [1 / 3, 2 / 3, 2 / 3];
    const th = (40 * Math.PI) / 180;
    const K = [[0, -ax[2]!, ax[1]!], [ax[2]!, 0, -ax[0]!], [-ax[1]!, ax[0]!, 0]];
    const R = [0, 1, 2].map((a) => [0, 1, 2].map((b) => (a === b ? 1 : 0) + Math.sin(th) * K[a]![b]! + (1 - Math.cos(th)) * [0, 1, 2].reduce((s, k) => s + K[a]![k]! * K[k]![b]!, 0)));
    const m = { R, s: 1.7, t: [0.3, -1, 2] as [number, number, number] };
    const dst = applySimilarity(Float32Array.from(src), m);
    const fit = umeyama(src, dst, { withScale: true });
    fit.R.forEach((row, a) => row.forEach((v, b) => expect(v).toBeCloseTo(R[a]![b]!, 5)));
    expect(fit.s).toBeCloseTo(1.7, 5);
    fit.t.forEach((v, a) => expect(v).toBeCloseTo(m.t[a]!, 5));
    // A mirrored target: the best proper rotation, never a reflection.
    const mirrored = Float32Array.from(dst, (v, i) => (i % 3 === 0 ? -v : v));
    const r2 = umeyama(src, mirrored).R;
    const det = r2[0]![0]! * (r2[1]![1]! * r2[2]![2]! - r2[1]![2]! * r2[2]![1]!) - r2[0]![1]! * (r2[1]![0]! * r2[2]![2]! - r2[1]![2]! * r2[2]![0]!) + r2[0]![2]! * (r2[1]![0]! * r2[2]![1]! - r2[1]![1]! * r2[2]![0]!);
    expect(det).toBeCloseTo(1, 6);
  });

  it('yaw-only Procrustes undoes a rotation about the vertical; the full fit aligns the first frame to the reference', () => {
    const g = rotateYaw(walk(6, [0, 1]), 1.1, 0.3, -0.2);
    const a = procrustesGait(g, 6, V, REST_POSE, { rotation: 'yaw' });
    close(a.subarray(0, V * 3), REST_POSE, 1e-5);
    const b = procrustesGait(g, 6, V, REST_POSE);
    close(b.subarray(0, V * 3), REST_POSE, 1e-5);
    // later frames moved along +Z in the reference frame (0.05 m per frame)
    expect(b[5 * V * 3 + 2]! - b[2]!).toBeCloseTo(0.25, 5);
  });

  it('canonical view turns a walk along +X (or any direction) to +Z about the first root; facing is used when standing still', () => {
    const g = walk(10, [1, 0]);
    const c = canonicalViewGait(g, 10, V);
    expect(gaitDirection(c, 10, V)![0]).toBeCloseTo(0, 6);
    expect(gaitDirection(c, 10, V)![1]).toBeCloseTo(1, 6);
    close(c.subarray(0, 3), g.subarray(0, 3)); // pivot: the frame-0 root stays
    // standing still, turned by 90°: the facing (from hips and shoulders) is used
    const still = rotateYaw(walk(4, [0, 0]), Math.PI / 2, 0.3, -0.2);
    expect(gaitDirection(still, 4, V)).not.toBeNull();
    close(canonicalViewGait(still, 4, V), walk(4, [0, 0]), 1e-5);
    // all joints at one point: no direction, the gait is returned unchanged
    const point = new Float32Array(4 * V * 3).fill(0.5);
    expect(gaitDirection(point, 4, V)).toBeNull();
    close(canonicalViewGait(point, 4, V), point);
  });

  it('centring modes, scale normalisation, resampling and tiling', () => {
    const g = walk(5, [0, 1]);
    const c = centreGait(g, 5, V, 'first-frame');
    close(c.subarray(0, 3), [0, 0, 0]);
    expect(c[4 * V * 3 + 2]).toBeCloseTo(0.2, 6);
    const xz = centreGait(g, 5, V, 'first-frame-xz');
    expect(xz[1]).toBeCloseTo(0.9, 6);
    const pf = centreGait(g, 5, V, 'per-frame');
    close(pf.subarray(4 * V * 3, 4 * V * 3 + 3), [0, 0, 0]);
    // REST_POSE: legs 0.44 + 0.43, root→spine 0.25, spine→neck 0.3, neck→head 0.17
    expect(skeletonHeight(g, 5, V)).toBeCloseTo(0.44 + 0.43 + 0.25 + 0.3 + 0.17, 5);
    expect(skeletonHeight(scaleGait(g, 5, V, 1.6), 5, V)).toBeCloseTo(1.6, 5);
    const r = resampleGait(g, 5, V, 9);
    close(r.subarray(8 * V * 3), g.subarray(4 * V * 3));
    expect(r[1 * V * 3 + 2]).toBeCloseTo((g[2]! + g[V * 3 + 2]!) / 2, 6);
    const f = resampleFps(g, 5, V, 30, 15);
    expect(f.T).toBe(3);
    close(f.positions.subarray(2 * V * 3), g.subarray(4 * V * 3));
    const t = tileGait(g, 5, V, 12);
    close(t.subarray(11 * V * 3), g.subarray(1 * V * 3, 2 * V * 3));
  });

  it('preprocess applies the steps to a set, keeps columns, and validates its config', () => {
    const set = proceduralDataset({ identities: 2, perEmotion: 1, frames: 20, seed: 5 });
    const turned = new GaitSet({ ...set, labels: set.labels, positions: Float32Array.from(set.positions), labelNames: set.labelNames, T: set.T });
    const out = preprocess(turned, { centre: 'first-frame', view: 'canonical', scale: 'height', height: 1.6, frames: 30 });
    expect(out.T).toBe(30);
    expect(out.ids).toEqual(set.ids);
    for (let i = 0; i < out.N; i++) {
      const g = out.gait(i);
      close(g.subarray(0, 3), [0, 0, 0], 1e-6);
      expect(skeletonHeight(g, 30, V)).toBeCloseTo(1.6, 2);
      expect(gaitDirection(g, 30, V)![1]).toBeCloseTo(1, 5);
    }
    expect(() => resolvePreprocess({ view: 'sideways' as never })).toThrow(/view = "sideways" is not one of none, canonical, procrustes/);
    expect(() => resolvePreprocess({ height: -1 })).toThrow(RangeError);
  });
});

/**
 * A toy gait distribution whose answer is known, for the PCA-space
 * generators' tests: gaits of label l are m_l plus Σ_i a_i·sd_i·d_i,
 * a_i ~ N(0, 1) independent, over orthonormal directions d_i that leave the
 * root joint alone (so the canonical frame of every gait is the walk's own
 * and the model's view of the gaits is exactly this one). The label means
 * m_l = w + (l − (L − 1)/2)·shift·d_0 are one procedural walk w (canonical
 * frame) moved along the first direction: with a shift of about sd_0 the
 * labels overlap, so what a label adds to a sample can be measured.
 */
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { Rng } from '../../src/core/rng.js';
import { canonicalizeAll } from '../../src/generator/normalize.js';

export interface Toy {
  set: GaitSet;
  /** m_l, [T, V, 3] each. */
  means: Float32Array[];
  /** d_i, unit [T·V·3] each. */
  directions: Float64Array[];
  sds: number[];
}

export function toyGaits(o: { perLabel: number; sds: number[]; shift: number; frames?: number; seed?: number; labels?: string[] }): Toy {
  const labels = o.labels ?? ['sad', 'happy'];
  const T = o.frames ?? 16;
  const walk = proceduralDataset({ identities: 1, perEmotion: 1, frames: T, emotions: ['neutral'], noise: 0, seed: o.seed ?? 1 });
  const V = walk.V;
  const D = T * V * 3;
  const base = canonicalizeAll(walk.positions, T, V);
  const rng = new Rng(o.seed ?? 1, 'test/toy-gaits');
  const directions: Float64Array[] = [];
  for (let i = 0; i < o.sds.length; i++) {
    const d = Float64Array.from({ length: D }, (_, j) => (Math.floor(j / 3) % V === 0 ? 0 : rng.normal()));
    for (const e of directions) {
      const dot = d.reduce((a, v, j) => a + v * e[j]!, 0);
      for (let j = 0; j < D; j++) d[j]! -= dot * e[j]!;
    }
    const n = Math.hypot(...d);
    directions.push(d.map((v) => v / n));
  }
  const means = labels.map((_, l) => Float32Array.from(base, (v, j) => v + (l - (labels.length - 1) / 2) * o.shift * directions[0]![j]!));
  const N = labels.length * o.perLabel;
  const positions = new Float32Array(N * D);
  const lab = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const l = n % labels.length;
    lab[n] = l;
    const a = o.sds.map((s) => s * rng.normal());
    for (let j = 0; j < D; j++) positions[n * D + j] = means[l]![j]! + a.reduce((acc, v, i) => acc + v * directions[i]![j]!, 0);
  }
  const set = new GaitSet({
    positions, labels: lab, labelNames: [...labels], T, V, fps: 30,
    ids: Array.from({ length: N }, (_, n) => `toy-${n}`), identity: Array.from({ length: N }, (_, n) => `walker${n % 40}`),
  });
  return { set, means, directions, sds: o.sds };
}

/**
 * Per label of `set`: the mean and variance of each gait's coefficient along every direction,
 * a_i = (g − m_l)·d_i, and the largest RMS distance of a gait from the toy's span (the labels'
 * means and the directions).
 */
export function toyMoments(toy: Toy, set: GaitSet): { mean: number[][]; variance: number[][]; residual: number } {
  const D = set.T * set.V * 3;
  const names = toy.set.labelNames;
  const mean = names.map(() => toy.sds.map(() => 0));
  const sq = names.map(() => toy.sds.map(() => 0));
  const count = names.map(() => 0);
  let residual = 0;
  // an orthonormal basis of the span about m_0: the directions, then the other labels' mean differences
  const span = [...toy.directions];
  for (let l = 1; l < toy.means.length; l++) {
    const d = Float64Array.from(toy.means[l]!, (v, j) => v - toy.means[0]![j]!);
    for (const e of span) {
      const dot = d.reduce((a, v, j) => a + v * e[j]!, 0);
      for (let j = 0; j < D; j++) d[j]! -= dot * e[j]!;
    }
    const norm = Math.hypot(...d);
    if (norm > 1e-9) span.push(d.map((v) => v / norm));
  }
  for (let n = 0; n < set.N; n++) {
    const l = names.indexOf(set.labelNames[set.labels[n]!]!);
    const g = set.gait(n);
    const diff = Float64Array.from(g, (v, j) => v - toy.means[l]![j]!);
    const a = toy.directions.map((d) => d.reduce((acc, v, j) => acc + v * diff[j]!, 0));
    a.forEach((v, i) => {
      mean[l]![i]! += v;
      sq[l]![i]! += v * v;
    });
    count[l]!++;
    const off = Float64Array.from(g, (v, j) => v - toy.means[0]![j]!);
    for (const e of span) {
      const dot = e.reduce((acc, v, j) => acc + v * off[j]!, 0);
      for (let j = 0; j < D; j++) off[j]! -= dot * e[j]!;
    }
    residual = Math.max(residual, Math.sqrt(off.reduce((acc, v) => acc + v * v, 0) / D));
  }
  const m = mean.map((r, l) => r.map((v) => v / count[l]!));
  return { mean: m, variance: sq.map((r, l) => r.map((v, i) => v / count[l]! - m[l]![i]! ** 2)), residual };
}

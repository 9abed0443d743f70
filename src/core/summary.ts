/**
 * Dataset summaries: counts per label and identity, and simple per-gait
 * kinematic statistics (speed, stride, cycle time, arm swing, head
 * inclination) averaged per label. Pure TypeScript.
 */
import type { GaitSet } from './gaitset.js';
import { gaitCycleTime, heading, joint, rootSpeed } from './kinematics.js';
import { JOINTS } from './skeleton.js';
import { Rng } from './rng.js';

export interface GaitStats {
  speed: number;
  stride: number;
  cycleTime: number;
  armSwing: number;
  headIncline: number;
}
export const GAIT_STAT_NAMES: (keyof GaitStats)[] = ['speed', 'stride', 'cycleTime', 'armSwing', 'headIncline'];

/** Simple kinematic statistics of one gait. */
export function gaitStats(g: Float32Array, T: number, V: number, fps: number): GaitStats {
  const speed = rootSpeed(g, T, V, fps);
  const cycleTime = gaitCycleTime(g, T, V, fps);
  const [hx, hz] = heading(g, T, V);
  let swing = 0;
  for (const hand of [JOINTS.armA[2], JOINTS.armB[2]]) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < T; t++) {
      const h = joint(g, V, t, hand);
      const r = joint(g, V, t, JOINTS.root);
      const f = (h[0] - r[0]) * hx + (h[2] - r[2]) * hz;
      lo = Math.min(lo, f);
      hi = Math.max(hi, f);
    }
    swing += (hi - lo) / 4; // half the range, averaged over both hands
  }
  let incline = 0;
  for (let t = 0; t < T; t++) {
    const h = joint(g, V, t, JOINTS.head);
    const n = joint(g, V, t, JOINTS.neck);
    const d = [h[0] - n[0], h[1] - n[1], h[2] - n[2]];
    incline += Math.acos(Math.max(-1, Math.min(1, d[1]! / Math.hypot(d[0]!, d[1]!, d[2]!))));
  }
  return { speed, stride: speed * cycleTime, cycleTime, armSwing: swing, headIncline: ((incline / T) * 180) / Math.PI };
}

export interface DatasetSummary {
  gaits: number;
  T: number;
  V: number;
  fps: number;
  labels: Record<string, number>;
  identities: number;
  perIdentity: Record<string, number>;
  sources: Record<string, number>;
  /** Mean of each statistic per label (NaN-free: gaits with NaN stride are skipped for that stat). */
  meanByLabel: Record<string, GaitStats>;
}

function mean(xs: number[]): number {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

export function summarizeDataset(set: GaitSet): DatasetSummary {
  const perIdentity: Record<string, number> = {};
  const sources: Record<string, number> = {};
  const stats: GaitStats[] = [];
  for (let i = 0; i < set.N; i++) {
    const id = set.identity[i] ?? '(none)';
    perIdentity[id] = (perIdentity[id] ?? 0) + 1;
    sources[set.source[i]!] = (sources[set.source[i]!] ?? 0) + 1;
    stats.push(gaitStats(set.gait(i), set.T, set.V, set.fps));
  }
  const meanByLabel: Record<string, GaitStats> = {};
  set.indicesByLabel().forEach((idx, l) => {
    const m = {} as GaitStats;
    for (const k of GAIT_STAT_NAMES) m[k] = mean(idx.map((i) => stats[i]![k]));
    meanByLabel[set.labelNames[l]!] = m;
  });
  return {
    gaits: set.N, T: set.T, V: set.V, fps: set.fps, labels: set.countsByLabel(),
    identities: Object.keys(perIdentity).filter((k) => k !== '(none)').length, perIdentity, sources, meanByLabel,
  };
}

/**
 * Accuracy of a nearest-centroid classifier on z-scored feature rows, trained
 * on a seeded half of the identities and tested on the other half (or a
 * stratified half of the gaits when there are no identities). A cheap
 * difficulty gauge for a dataset.
 */
export function nearestCentroidAccuracy(features: number[][], labels: ArrayLike<number>, identity: (string | null)[], seed: number): number {
  const n = features.length;
  const rng = new Rng(seed, 'summary/nearest-centroid');
  const ids = [...new Set(identity.filter((x): x is string => x != null))].sort();
  const isTrain = new Array<boolean>(n);
  if (ids.length >= 2) {
    const train = new Set(rng.shuffle(ids).slice(0, Math.ceil(ids.length / 2)));
    for (let i = 0; i < n; i++) isTrain[i] = train.has(identity[i] ?? '');
  } else {
    const perm = rng.permutation(n);
    perm.forEach((i, k) => (isTrain[i] = k % 2 === 0));
  }
  const d = features[0]?.length ?? 0;
  const mu = new Array(d).fill(0);
  const sd = new Array(d).fill(0);
  const clean = (x: number) => (Number.isFinite(x) ? x : 0);
  const trainIdx = [...Array(n).keys()].filter((i) => isTrain[i]);
  for (const i of trainIdx) features[i]!.forEach((x, k) => (mu[k] += clean(x) / trainIdx.length));
  for (const i of trainIdx) features[i]!.forEach((x, k) => (sd[k] += (clean(x) - mu[k]) ** 2 / trainIdx.length));
  const z = (row: number[]) => row.map((x, k) => (clean(x) - mu[k]) / (Math.sqrt(sd[k]) || 1));
  const L = Math.max(...Array.from(labels)) + 1;
  const cent = Array.from({ length: L }, () => new Array(d).fill(0));
  const cnt = new Array(L).fill(0);
  for (const i of trainIdx) {
    const r = z(features[i]!);
    cnt[labels[i]!]++;
    r.forEach((x, k) => (cent[labels[i]!]![k] += x));
  }
  cent.forEach((c, l) => c.forEach((_, k) => (c[k] /= Math.max(1, cnt[l]))));
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (isTrain[i]) continue;
    const r = z(features[i]!);
    let best = -1;
    let bestD = Infinity;
    cent.forEach((c, l) => {
      if (!cnt[l]) return;
      const dd = c.reduce((a, x, k) => a + (x - r[k]!) ** 2, 0);
      if (dd < bestD) {
        bestD = dd;
        best = l;
      }
    });
    total++;
    if (best === labels[i]) correct++;
  }
  return total ? correct / total : NaN;
}

/** Nearest-centroid accuracy on the gait statistics above. */
export function statsBaselineAccuracy(set: GaitSet, seed: number): number {
  const rows = Array.from({ length: set.N }, (_, i) => {
    const s = gaitStats(set.gait(i), set.T, set.V, set.fps);
    return GAIT_STAT_NAMES.map((k) => s[k]);
  });
  return nearestCentroidAccuracy(rows, set.labels, set.identity, seed);
}

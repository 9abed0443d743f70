/**
 * Cross-condition identification as gait-recognition benchmarks evaluate it
 * (CASIA-B: gallery = normal walks, probes = bag / coat walks): the gallery is
 * every gait of the gallery condition (default 'neutral'), with one probe set
 * per other condition. A probe is never matched against a gallery gait of its
 * own recording (`recordingKeys`). Per probe condition: rank-1 and rank-5 (the
 * probe's identity among the k nearest gallery gaits) and mAP over probes.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';

export const CROSS_CONDITION_RULE =
  'gallery: every gait of the gallery condition; probes: the gaits of each other condition; a probe is ranked against the gallery gaits not of its own recording; rank-k: the probe identity among the k nearest gallery gaits; mAP: mean average precision of the ranked gallery';

/** The recording each gait was cut from: `recording` column, else the id before '#', else the id. */
export function recordingKeys(set: GaitSet): string[] {
  const column = (set as unknown as { recording?: readonly (string | null | undefined)[] }).recording;
  return set.ids.map((id, i) => {
    const r = column?.[i];
    if (r != null && r !== '') return r;
    const k = id.indexOf('#');
    return k > 0 ? id.slice(0, k) : id;
  });
}

export interface CrossConditionSplit {
  galleryCondition: string;
  /** Gallery gait indices (gallery condition, with an identity). */
  gallery: number[];
  /** Probe gait indices per probe condition (label name), conditions in label order. */
  probes: Record<string, number[]>;
  recording: string[];
}

/**
 * Splits `set` by condition (label). Gaits without identity are left out.
 * Throws E_LABEL when the gallery condition is not a label of the set or has
 * no gaits, E_SHAPE when no other condition has gaits.
 */
export function crossConditionSplit(set: GaitSet, galleryCondition = 'neutral'): CrossConditionSplit {
  const g = set.labelNames.indexOf(galleryCondition);
  if (g < 0) throw new GaitforgeError('E_LABEL', `gallery condition ${JSON.stringify(galleryCondition)} is not a label of the set (${set.labelNames.join(', ')})`);
  const gallery: number[] = [];
  const probes: Record<string, number[]> = {};
  for (let i = 0; i < set.N; i++) {
    if (set.identity[i] == null) continue;
    const l = set.labels[i]!;
    if (l === g) gallery.push(i);
    else (probes[set.labelNames[l]!] ??= []).push(i);
  }
  if (gallery.length === 0) throw new GaitforgeError('E_LABEL', `no gait with an identity has the gallery condition ${JSON.stringify(galleryCondition)}`);
  const ordered: Record<string, number[]> = {};
  for (const n of set.labelNames) if (probes[n]) ordered[n] = probes[n]!;
  if (Object.keys(ordered).length === 0) throw new GaitforgeError('E_SHAPE', `every gait has the gallery condition ${JSON.stringify(galleryCondition)}: there are no probes`);
  return { galleryCondition, gallery, probes: ordered, recording: recordingKeys(set) };
}

/** Per-gait features compared with a distance (smaller = more alike). */
export interface IdentityFeatures {
  /** [N, dim] row-major. */
  data: ArrayLike<number>;
  dim: number;
  /** The distance is the mean over `parts` equal slices of the Euclidean distance within each slice (1 = plain Euclidean). */
  parts: number;
}

/** Distance between gaits i and j of a feature space. */
export function featureDistance(f: IdentityFeatures, i: number, j: number): number {
  const w = f.dim / f.parts;
  let total = 0;
  for (let p = 0; p < f.parts; p++) {
    let s = 0;
    for (let d = p * w; d < (p + 1) * w; d++) {
      const x = f.data[i * f.dim + d]! - f.data[j * f.dim + d]!;
      s += x * x;
    }
    total += Math.sqrt(s);
  }
  return total / f.parts;
}

/**
 * The gallery gaits a probe is compared with (all but those of its own
 * recording), nearest first (ties: lower index first).
 */
export function rankedGallery(f: IdentityFeatures, split: CrossConditionSplit, probe: number): { index: number; distance: number }[] {
  const own = split.recording[probe];
  return split.gallery
    .filter((g) => split.recording[g] !== own)
    .map((g) => ({ index: g, distance: featureDistance(f, probe, g) }))
    .sort((a, b) => a.distance - b.distance || a.index - b.index);
}

/** Metrics by probe condition plus `mean` (the unweighted mean over conditions). */
export type ByCondition = Record<string, number>;

export interface IdentificationMetrics {
  rank1: ByCondition;
  rank5: ByCondition;
  mAP: ByCondition;
  /** Probes scored per condition. */
  probes: Record<string, number>;
  /** Probes left out because no gallery gait of their identity remains once their own recording is excluded. */
  unmatchable: Record<string, number>;
}

/** Rank-1, rank-5 and mAP of a feature space under a cross-condition split. */
export function identificationMetrics(f: IdentityFeatures, set: GaitSet, split: CrossConditionSplit): IdentificationMetrics {
  if (f.dim % f.parts !== 0) throw new RangeError(`feature dim ${f.dim} is not a multiple of parts ${f.parts}`);
  const out: IdentificationMetrics = { rank1: {}, rank5: {}, mAP: {}, probes: {}, unmatchable: {} };
  for (const [cond, probes] of Object.entries(split.probes)) {
    let r1 = 0;
    let r5 = 0;
    let ap = 0;
    let scored = 0;
    let skipped = 0;
    for (const p of probes) {
      const who = set.identity[p];
      const ranked = rankedGallery(f, split, p);
      const relevant = ranked.reduce((s, r) => s + (set.identity[r.index] === who ? 1 : 0), 0);
      if (relevant === 0) {
        skipped++;
        continue;
      }
      scored++;
      let hits = 0;
      let precisionSum = 0;
      let first = -1;
      ranked.forEach((r, k) => {
        if (set.identity[r.index] !== who) return;
        hits++;
        precisionSum += hits / (k + 1);
        if (first < 0) first = k;
      });
      if (first === 0) r1++;
      if (first < 5) r5++;
      ap += precisionSum / relevant;
    }
    out.rank1[cond] = scored ? r1 / scored : NaN;
    out.rank5[cond] = scored ? r5 / scored : NaN;
    out.mAP[cond] = scored ? ap / scored : NaN;
    out.probes[cond] = scored;
    out.unmatchable[cond] = skipped;
  }
  for (const m of [out.rank1, out.rank5, out.mAP]) {
    const v = Object.values(m).filter(Number.isFinite);
    m['mean'] = v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  }
  return out;
}

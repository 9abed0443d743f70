/**
 * Physical plausibility of gaits, measured the same way on generated and real
 * gaits. Per gait:
 *  - boneCv / maxBoneCv: mean and largest over bones of the coefficient of
 *    variation (std / mean) of the bone's length over frames (near 0 for a
 *    rigid skeleton; a generator that stretches limbs raises it);
 *  - collapsedBones: bones shorter than `collapseFraction` × the median bone
 *    length in some frame (coinciding joints), left out of the CVs;
 *  - footSkate: mean horizontal foot speed (m/s, central differences) while
 *    the foot is within `contactHeight` of the clip's lowest foot height;
 *  - jerk: mean |Δ³p|·fps³ (m/s³) over joints and frames, unsmoothed.
 * A gait is flagged for a collapsed bone or a maxBoneCv above `maxBoneCv`.
 */
import { GaitforgeError, checkRange } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { derivativeMagnitude } from '../core/kinematics.js';
import { EDGES, JOINTS, NUM_JOINTS } from '../core/skeleton.js';
import { describeSample, type SampleSummary } from './stats.js';

export interface PlausibilityConfig {
  /** A bone shorter than this fraction of the gait's median bone length in any frame is collapsed. Default 0.05. */
  collapseFraction?: number;
  /** Flag gaits whose largest bone-length coefficient of variation exceeds this. Default 0.15. */
  maxBoneCv?: number;
  /** A foot within this height (m) of the clip's lowest foot position is in contact. Default 0.05. */
  contactHeight?: number;
}

export const DEFAULT_PLAUSIBILITY: Required<PlausibilityConfig> = { collapseFraction: 0.05, maxBoneCv: 0.15, contactHeight: 0.05 };

export function resolvePlausibility(c: PlausibilityConfig = {}): Required<PlausibilityConfig> {
  const r = { ...DEFAULT_PLAUSIBILITY, ...c };
  checkRange('collapseFraction', r.collapseFraction, 0, 1);
  checkRange('maxBoneCv', r.maxBoneCv, 0, 10);
  checkRange('contactHeight', r.contactHeight, 0, 10);
  return r;
}

/** Plausibility measurements of one gait. */
export interface GaitPlausibility {
  /** Mean over non-collapsed bones of std/mean bone length over frames. */
  boneCv: number;
  /** Largest of those coefficients. */
  maxBoneCv: number;
  /** Bones that collapse (near-zero length) in some frame. */
  collapsedBones: number;
  /** Mean horizontal foot speed while in contact (m/s). */
  footSkate: number;
  /** Share of (foot, frame) pairs in contact. */
  contactFraction: number;
  /** Mean jerk magnitude over joints and frames (m/s³). */
  jerk: number;
  flagged: boolean;
  /** Why it is flagged (empty when it is not). */
  reasons: string[];
}

/** Plausibility of one gait g: [T, V, 3] (V = 16, the E-Gait skeleton). */
export function plausibilityOf(g: Float32Array, T: number, V: number, fps: number, config: PlausibilityConfig = {}): GaitPlausibility {
  const c = resolvePlausibility(config);
  if (V !== NUM_JOINTS) throw new GaitforgeError('E_SHAPE', `plausibility needs the 16-joint E-Gait skeleton, got V = ${V}`);
  if (g.length < T * V * 3) throw new GaitforgeError('E_SHAPE', `gait has ${g.length} values, expected T·V·3 = ${T * V * 3}`);
  const B = EDGES.length;
  const len = new Float64Array(B * T);
  const meanLen = new Float64Array(B);
  const minLen = new Float64Array(B).fill(Infinity);
  EDGES.forEach(([a, b], e) => {
    for (let t = 0; t < T; t++) {
      const oa = (t * V + a) * 3;
      const ob = (t * V + b) * 3;
      const l = Math.hypot(g[oa]! - g[ob]!, g[oa + 1]! - g[ob + 1]!, g[oa + 2]! - g[ob + 2]!);
      len[e * T + t] = l;
      meanLen[e]! += l / T;
      if (l < minLen[e]!) minLen[e] = l;
    }
  });
  const median = Float64Array.from(meanLen).sort()[Math.floor(B / 2)]!;
  let collapsed = 0;
  let cvSum = 0;
  let cvN = 0;
  let cvMax = 0;
  for (let e = 0; e < B; e++) {
    if (!(minLen[e]! >= c.collapseFraction * median) || median === 0) {
      collapsed++;
      continue;
    }
    let s = 0;
    for (let t = 0; t < T; t++) s += (len[e * T + t]! - meanLen[e]!) ** 2;
    const cv = T > 1 ? Math.sqrt(s / (T - 1)) / meanLen[e]! : 0;
    cvSum += cv;
    cvN++;
    if (cv > cvMax) cvMax = cv;
  }

  // foot contact and skating
  const feet = [JOINTS.legA[2], JOINTS.legB[2]];
  let floor = Infinity;
  for (const f of feet) for (let t = 0; t < T; t++) floor = Math.min(floor, g[(t * V + f) * 3 + 1]!);
  let contact = 0;
  let skate = 0;
  for (const f of feet)
    for (let t = 0; t < T; t++) {
      if (g[(t * V + f) * 3 + 1]! - floor > c.contactHeight || T < 2) continue;
      const t0 = Math.max(0, t - 1);
      const t1 = Math.min(T - 1, t + 1);
      const o0 = (t0 * V + f) * 3;
      const o1 = (t1 * V + f) * 3;
      skate += (Math.hypot(g[o1]! - g[o0]!, g[o1 + 2]! - g[o0 + 2]!) * fps) / (t1 - t0);
      contact++;
    }

  let jerk = 0;
  for (let j = 0; j < V; j++) jerk += derivativeMagnitude(g, T, V, fps, j, 3) / V;

  const reasons: string[] = [];
  if (collapsed > 0) reasons.push(`${collapsed} collapsed bone(s) (shorter than ${c.collapseFraction} × the median bone length in some frame)`);
  if (cvMax > c.maxBoneCv) reasons.push(`bone length varies by up to ${(100 * cvMax).toFixed(1)}% (limit ${(100 * c.maxBoneCv).toFixed(1)}%)`);
  return {
    boneCv: cvN > 0 ? cvSum / cvN : 0, maxBoneCv: cvMax, collapsedBones: collapsed,
    footSkate: contact > 0 ? skate / contact : 0, contactFraction: contact / (2 * T), jerk,
    flagged: reasons.length > 0, reasons,
  };
}

/** Plausibility of a set: distributions of the per-gait measurements and the flagged gaits. */
export interface PlausibilitySummary {
  n: number;
  boneCv: SampleSummary;
  maxBoneCv: SampleSummary;
  footSkate: SampleSummary;
  jerk: SampleSummary;
  /** Gaits with at least one collapsed bone. */
  collapsedGaits: number;
  flagged: number;
  flaggedFraction: number;
  /** Up to 5 flagged gaits: "id: reason; reason". */
  examples: string[];
}

/** Per-gait plausibility and its summary for every gait of a set (at the set's fps). */
export function plausibility(set: GaitSet, config: PlausibilityConfig = {}): { perGait: GaitPlausibility[]; summary: PlausibilitySummary } {
  if (set.N === 0) throw new GaitforgeError('E_SHAPE', 'plausibility of an empty set');
  const c = resolvePlausibility(config);
  const perGait = Array.from({ length: set.N }, (_, i) => plausibilityOf(set.gait(i), set.T, set.V, set.fps, c));
  const col = (k: 'boneCv' | 'maxBoneCv' | 'footSkate' | 'jerk') => describeSample(perGait.map((p) => p[k]));
  const flaggedIdx = perGait.flatMap((p, i) => (p.flagged ? [i] : []));
  return {
    perGait,
    summary: {
      n: set.N, boneCv: col('boneCv'), maxBoneCv: col('maxBoneCv'), footSkate: col('footSkate'), jerk: col('jerk'),
      collapsedGaits: perGait.filter((p) => p.collapsedBones > 0).length,
      flagged: flaggedIdx.length, flaggedFraction: flaggedIdx.length / set.N,
      examples: flaggedIdx.slice(0, 5).map((i) => `${set.ids[i]}: ${perGait[i]!.reasons.join('; ')}`),
    },
  };
}

/** Generated vs real plausibility, with the generated/real ratio of each mean measurement. */
export interface PlausibilityComparison {
  real: PlausibilitySummary;
  generated: PlausibilitySummary;
  /** generated mean / real mean (Infinity when the real mean is 0 and the generated one is not). */
  ratio: { boneCv: number; footSkate: number; jerk: number };
}

export function comparePlausibility(real: GaitSet, generated: GaitSet, config: PlausibilityConfig = {}): PlausibilityComparison {
  const r = plausibility(real, config).summary;
  const g = plausibility(generated, config).summary;
  const ratio = (k: 'boneCv' | 'footSkate' | 'jerk') => {
    const a = g[k].mean;
    const b = r[k].mean;
    return b > 0 ? a / b : a > 0 ? Infinity : 1;
  };
  return { real: r, generated: g, ratio: { boneCv: ratio('boneCv'), footSkate: ratio('footSkate'), jerk: ratio('jerk') } };
}

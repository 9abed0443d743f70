/**
 * Memorisation check: does a generator copy its training set? (A low FID
 * cannot tell.) Each generated gait's nearest-training distance is compared
 * with held-out real gaits': a generator that models the distribution lands
 * about as far away as new real gaits, one that memorises much closer.
 * Distance: RMS joint distance ‖a − b‖ / √(T·V) (m), by default each root moved to
 * start at x = z = 0. τ = the `quantile` of the held-out distances; the close
 * fraction (generated gaits nearer than τ) is about `quantile` without
 * copying; flagged above `copyFactor` × `quantile`, a margin for the sampling
 * noise of both. Exact copies (< 1e-6 m) are counted separately.
 */
import { checkRange, ConfigRangeError, GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { nearestNeighbours } from './nearest.js';
import { sampleQuantile, describeSample, type SampleSummary } from './stats.js';

export interface MemorisationConfig {
  /** Quantile of the held-out distances that defines "close". Default 0.05. */
  quantile?: number;
  /** Flag when the close fraction exceeds copyFactor × quantile. Default 3. */
  copyFactor?: number;
  /** Move each gait's first root position to x = z = 0 before comparing. Default true. */
  centre?: boolean;
}

export const DEFAULT_MEMORISATION: Required<MemorisationConfig> = { quantile: 0.05, copyFactor: 3, centre: true };

export function resolveMemorisation(c: MemorisationConfig = {}): Required<MemorisationConfig> {
  const r = { ...DEFAULT_MEMORISATION, ...c };
  checkRange('quantile', r.quantile, 0.001, 0.5);
  checkRange('copyFactor', r.copyFactor, 1, 1 / r.quantile);
  if (typeof r.centre !== 'boolean') throw new ConfigRangeError(`centre = ${String(r.centre)} is out of range: expected true or false`);
  return r;
}

export interface MemorisationResult {
  /** Nearest-training distance of the generated gaits (RMS joint distance, m). */
  generated: SampleSummary;
  /** Nearest-training distance of the held-out real gaits (m). */
  heldOut: SampleSummary;
  /** Median generated distance / median held-out distance (≈ 1 for a generator that generalises, → 0 for one that copies). */
  medianRatio: number;
  /** τ: the `quantile` of the held-out distances (m). */
  threshold: number;
  /** Share of generated gaits nearer to a training gait than τ. */
  closeFraction: number;
  /** The close fraction a non-copying generator is expected to give (= quantile). */
  expectedFraction: number;
  /** Generated gaits within 1e-6 m RMS of a training gait. */
  exactCopies: number;
  /** True when closeFraction > copyFactor × quantile. */
  flagged: boolean;
  /** One line explaining the verdict. */
  reason: string;
  warnings: string[];
  /** Per generated gait: index of its nearest training gait and the distance (m). */
  nearestTrain: { index: Int32Array; distance: Float64Array };
  config: Required<MemorisationConfig>;
}

/** Flattened gaits [N, T·V·3] in float64, optionally with each gait's first root x, z moved to 0. */
export function flattenGaits(set: GaitSet, centre = true): Float64Array {
  const D = set.stride;
  const out = new Float64Array(set.N * D);
  const p = set.positions;
  for (let i = 0; i < set.N; i++) {
    const o = i * D;
    const rx = centre ? p[o]! : 0; // joint 0 (root) of frame 0
    const rz = centre ? p[o + 2]! : 0;
    for (let k = 0; k < D; k += 3) {
      out[o + k] = p[o + k]! - rx;
      out[o + k + 1] = p[o + k + 1]!;
      out[o + k + 2] = p[o + k + 2]! - rz;
    }
  }
  return out;
}

/**
 * Compares generated gaits' nearest-training distances with held-out real
 * gaits' (all three sets must have the same T and V). Cost: (generated +
 * held-out) × training × T·V·3 multiply-adds.
 */
export function memorisation(train: GaitSet, generated: GaitSet, heldOut: GaitSet, config: MemorisationConfig = {}): MemorisationResult {
  const c = resolveMemorisation(config);
  for (const [name, s] of [['generated', generated], ['held-out', heldOut]] as const)
    if (s.T !== train.T || s.V !== train.V)
      throw new GaitforgeError('E_SHAPE', `memorisation: ${name} gaits are [T=${s.T}, V=${s.V}] but training gaits are [T=${train.T}, V=${train.V}]`);
  if (train.N < 2) throw new GaitforgeError('E_SHAPE', `memorisation needs at least 2 training gaits, got ${train.N}`);
  if (generated.N < 1 || heldOut.N < 2)
    throw new GaitforgeError('E_SHAPE', `memorisation needs generated gaits and at least 2 held-out gaits, got ${generated.N} and ${heldOut.N}`);
  const warnings: string[] = [];
  if (heldOut.N < 20) warnings.push(`only ${heldOut.N} held-out gaits: the ${c.quantile} quantile of their distances is a rough estimate`);
  const D = train.stride;
  const scale = 1 / Math.sqrt(train.T * train.V);
  const ref = flattenGaits(train, c.centre);
  const gen = nearestNeighbours(flattenGaits(generated, c.centre), ref, D);
  const held = nearestNeighbours(flattenGaits(heldOut, c.centre), ref, D);
  const gd = gen.distance.map((x) => x * scale);
  const hd = held.distance.map((x) => x * scale);
  const threshold = sampleQuantile(hd, c.quantile);
  let close = 0;
  let exact = 0;
  for (const x of gd) {
    if (x < threshold) close++;
    if (x < 1e-6) exact++;
  }
  const closeFraction = close / gd.length;
  const generatedSummary = describeSample(gd);
  const heldSummary = describeSample(hd);
  const medianRatio = heldSummary.median > 0 ? generatedSummary.median / heldSummary.median : generatedSummary.median > 0 ? Infinity : 1;
  const limit = c.copyFactor * c.quantile;
  const flagged = closeFraction > limit;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const reason = flagged
    ? `${pct(closeFraction)} of generated gaits lie closer to a training gait than ${pct(c.quantile)} of held-out real gaits do (τ = ${threshold.toFixed(4)} m; limit ${pct(limit)}): the generator reproduces training gaits`
    : `${pct(closeFraction)} of generated gaits lie closer to a training gait than τ = ${threshold.toFixed(4)} m (expected ≈ ${pct(c.quantile)}, limit ${pct(limit)}): no sign of copying`;
  return {
    generated: generatedSummary, heldOut: heldSummary, medianRatio, threshold, closeFraction, expectedFraction: c.quantile,
    exactCopies: exact, flagged, reason, warnings, nearestTrain: { index: gen.index, distance: gd }, config: c,
  };
}

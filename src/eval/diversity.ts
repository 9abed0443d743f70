/**
 * Diversity and MultiModality (Action2Motion; used by ACTOR and MDM) on
 * features of a frozen evaluator or affective features. Diversity: the mean
 * Euclidean distance of `pairs` (default 200) random pairs from the whole set;
 * it should match the real data's (lower = collapsed output). MultiModality:
 * per label, the mean distance of `pairs` (default 20) random same-label
 * pairs, then the mean over labels. Pairs are seeded, never a gait with itself.
 */
import { ConfigRangeError, GaitforgeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { rowDistance, toFeatureMatrix, type FeatureInput, type FeatureMatrix } from './features.js';

export interface DiversityOptions {
  /** Feature dimension, required for flat arrays. */
  dim?: number;
  /** Pairs to average over. Default 200 (Diversity) / 20 per label (MultiModality). */
  pairs?: number;
  seed: number;
}

/** Mean distance between `pairs` random pairs from pool (indices into m), drawn from rng. */
function meanPairDistance(m: FeatureMatrix, pool: ArrayLike<number>, pairs: number, rng: Rng): number {
  let s = 0;
  for (let p = 0; p < pairs; p++) {
    const i = rng.int(pool.length);
    let j = rng.int(pool.length - 1);
    if (j >= i) j++;
    s += rowDistance(m, pool[i]!, m, pool[j]!);
  }
  return s / pairs;
}

function checkPairs(pairs: number): void {
  if (!Number.isInteger(pairs) || pairs < 1) throw new ConfigRangeError(`pairs = ${pairs} is out of range: expected an integer ≥ 1`);
}

/** Diversity of features x: [n, d] (n ≥ 2): mean distance over `pairs` random distinct pairs. */
export function diversity(x: FeatureInput | FeatureMatrix, options: DiversityOptions): number {
  const m = toFeatureMatrix(x, options.dim);
  const pairs = options.pairs ?? 200;
  checkPairs(pairs);
  if (m.n < 2) throw new GaitforgeError('E_SHAPE', `diversity needs at least 2 samples, got ${m.n}`);
  const pool = Int32Array.from({ length: m.n }, (_, i) => i);
  return meanPairDistance(m, pool, pairs, new Rng(options.seed, 'eval/diversity'));
}

export interface MultiModalityResult {
  /** Per label id: the mean within-label pair distance, or null when the label has fewer than 2 samples. */
  perLabel: (number | null)[];
  /** Mean over the labels that have a value. */
  mean: number;
  /** Labels left out (fewer than 2 samples), as messages. */
  warnings: string[];
}

/**
 * MultiModality of features x: [n, d] with labels: [n] in 0..numLabels−1
 * (numLabels defaults to max label + 1). Each label draws its pairs from its
 * own seeded stream, so adding a label does not change the others' values.
 */
export function multimodality(
  x: FeatureInput | FeatureMatrix,
  labels: ArrayLike<number>,
  options: DiversityOptions & { numLabels?: number; labelNames?: readonly string[] },
): MultiModalityResult {
  const m = toFeatureMatrix(x, options.dim);
  const pairs = options.pairs ?? 20;
  checkPairs(pairs);
  if (labels.length !== m.n) throw new GaitforgeError('E_SHAPE', `${labels.length} labels for ${m.n} feature rows`);
  let maxLabel = -1;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0) throw new GaitforgeError('E_LABEL', `row ${i}: label ${l} is not a non-negative integer`);
    if (l > maxLabel) maxLabel = l;
  }
  const L = options.numLabels ?? maxLabel + 1;
  if (maxLabel >= L) throw new GaitforgeError('E_LABEL', `label ${maxLabel} is not below numLabels = ${L}`);
  const byLabel: number[][] = Array.from({ length: L }, () => []);
  for (let i = 0; i < labels.length; i++) byLabel[labels[i]!]!.push(i);
  const warnings: string[] = [];
  const perLabel = byLabel.map((pool, l) => {
    if (pool.length < 2) {
      warnings.push(`label ${options.labelNames?.[l] ?? l} has ${pool.length} sample(s): no MultiModality`);
      return null;
    }
    return meanPairDistance(m, pool, pairs, new Rng(options.seed, `eval/multimodality/${l}`));
  });
  const vals = perLabel.filter((v): v is number => v !== null);
  if (vals.length === 0) throw new GaitforgeError('E_SHAPE', 'MultiModality: no label has 2 or more samples');
  return { perLabel, mean: vals.reduce((a, b) => a + b, 0) / vals.length, warnings };
}

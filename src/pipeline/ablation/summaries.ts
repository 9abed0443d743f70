/**
 * The statistics of an ablation's cells. A cell's metrics are read per split
 * unit (a seed, or a fold of a seed's repeat); a summary groups the cells of
 * one (model, augmenter, synthetic amount, real fraction):
 *  - its metrics come from the predictions pooled over a repeat's folds (the
 *    confusion matrices summed; holdout: each seed is its own repeat), mean
 *    over repeats, with the corrected interval of the per-unit values
 *    (Nadeau & Bengio 2003; for k-fold, Bouckaert & Frank 2004: J = k · r
 *    units, variance × (1/J + n_test/n_train));
 *  - gains and comparisons are paired by unit and tested the same way, Holm
 *    over each family; no p-value below MIN_SEEDS_FOR_TESTS units.
 */
import { accuracyOf, balancedAccuracy, macroF1 } from '../../classifier/metrics.js';
import { correctedMeanCI, correctedResampledTTest, holmAdjust, MIN_SEEDS_FOR_TESTS } from '../../eval/stats.js';
import { CLASSICAL_AUGMENTERS } from '../augment.js';
import { LEARNED_AUGMENTERS } from './config.js';
import { primaryScore, secondaryScore, type CellResult, type EmotionCellResult } from './results.js';

/**
 * Mean with the 95% corrected resampled interval of the per-unit values,
 * clipped to [0, 1] (`clipped` says when).
 */
export type BoundedCI = ReturnType<typeof correctedMeanCI>;

/** What the summaries of both tasks hold: one (classifier, augmenter, amount, real fraction) over its units. */
interface SummaryBase {
  classifier: string;
  augmenter: string;
  /** The synthetic amount (per label, or per real gait with syntheticUnit 'ratio'). */
  count: number;
  /** The share of each unit's real training groups (1: all of them). */
  realFraction: number;
  /** Repeats (seeds) and split units (k-fold: repeats × folds; holdout: the seeds). */
  seeds: number;
  units: number;
  /** Real training gaits per label, mean over units and labels: the learning curve's x. */
  realPerLabel: number;
  /** Mean validation accuracy over units (null for the identity task, and for cells from versions that did not record it). */
  valAccuracy: number | null;
  /**
   * The first metric (accuracy, or rank-1) paired by unit against the same
   * model's real-only cell at the same real fraction, corrected t-test; null
   * for the baseline or < 2 pairs. `p` and `pHolm` (Holm-adjusted over every
   * gain of the report) are null below MIN_SEEDS_FOR_TESTS units.
   */
  gain: PairedDifference | null;
}

export interface EmotionSummary extends SummaryBase {
  task: 'emotion';
  accuracy: BoundedCI;
  /** The mean recall over labels (real sets are imbalanced). */
  balancedAccuracy: BoundedCI;
  macroF1: BoundedCI;
}

export interface IdentitySummary extends SummaryBase {
  task: 'identity';
  /** Cross-condition rank-1 and mAP, means over probe conditions. */
  rank1: BoundedCI;
  mAP: BoundedCI;
}

export type CellSummary = EmotionSummary | IdentitySummary;

/** A summary's first and second metric: accuracy and macro-F1, or rank-1 and mAP. */
export function summaryScores(s: CellSummary): [BoundedCI, BoundedCI] {
  return s.task === 'identity' ? [s.rank1, s.mAP] : [s.accuracy, s.macroF1];
}

/** A paired difference of the first metric over units with the corrected t-test (p null below MIN_SEEDS_FOR_TESTS). */
export interface PairedDifference {
  meanDiff: number;
  lo: number;
  hi: number;
  p: number | null;
  /** Holm-adjusted over the differences of its family (the gains, or the comparisons). */
  pHolm: number | null;
  n: number;
  nTrain: number;
  nTest: number;
}

/**
 * A learned augmenter against a classical one at the same classifier, amount
 * and real fraction: its metric minus the classical augmenter's, paired by
 * unit (both cells of a unit share its split). `bestClassical`: the classical
 * augmenter with the best mean validation accuracy there (chosen on
 * validation, never on test).
 */
export interface AugmenterComparison extends PairedDifference {
  classifier: string;
  count: number;
  realFraction: number;
  learned: string;
  classical: string;
  bestClassical: boolean;
}

/**
 * The smallest real fraction at which an augmenter (at an amount; 'none':
 * real data only) matches real-only training on all of the real data: its
 * gain over that cell, paired by unit, has an interval above −1 pp.
 */
export interface DataEquivalence {
  classifier: string;
  augmenter: string;
  count: number;
  /** The fraction, or null when none reaches it. */
  realFraction: number | null;
  /** The difference at that fraction (or at the largest fraction tried when none reaches it). */
  difference: PairedDifference | null;
}

/** Equivalence margin of DataEquivalence: the interval's lower end must lie above −1 pp. */
export const EQUIVALENCE_MARGIN = 0.01;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const unitKey = (c: CellResult) => `${c.seed}/${c.fold ?? '-'}`;
const fractionOf = (c: { realFraction?: number }) => c.realFraction ?? 1;
const settingKey = (c: CellResult) => `${c.classifier}\u0000${c.augmenter}\u0000${c.count}\u0000${fractionOf(c)}`;

/** A summary metric: the mean over repeats of the pooled value, with the corrected interval of the per-unit values. */
function pooledCI(g: CellResult[], perUnit: (c: CellResult) => number, pooled: ((cells: EmotionCellResult[]) => number) | null): BoundedCI {
  const sizes = { nTrain: mean(g.map((c) => c.trainReal)), nTest: mean(g.map((c) => c.testGaits)) };
  const ci = correctedMeanCI(g.map(perUnit), sizes);
  if (!pooled || g.every((c) => c.fold === undefined)) return ci;
  const bySeed = new Map<number, EmotionCellResult[]>();
  for (const c of g as EmotionCellResult[]) bySeed.set(c.seed, [...(bySeed.get(c.seed) ?? []), c]);
  const m = mean([...bySeed.values()].map(pooled));
  if (ci.halfWidth === null) return { ...ci, mean: m };
  const lo = m - ci.halfWidth;
  const hi = m + ci.halfWidth;
  return { ...ci, mean: m, lo: Math.max(0, lo), hi: Math.min(1, hi), clipped: lo < 0 || hi > 1 };
}

/** The confusion matrices of cells, summed. */
function summedConfusion(cells: EmotionCellResult[]): number[][] {
  return cells.reduce<number[][]>((acc, c) => (acc.length ? acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)) : c.confusion.map((r) => [...r])), []);
}

/**
 * Mean ± CI per (classifier, augmenter, amount, real fraction) and the paired
 * gain over the same classifier's real-only cells at that fraction; Holm
 * over all gains.
 */
export function summarizeCells(cells: CellResult[]): CellSummary[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) groups.set(settingKey(c), [...(groups.get(settingKey(c)) ?? []), c]);
  const baseline = (classifier: string, f: number) => new Map(cells.filter((c) => c.classifier === classifier && c.count === 0 && fractionOf(c) === f).map((c) => [unitKey(c), c]));
  const out: CellSummary[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.seed - b.seed || (a.fold ?? 0) - (b.fold ?? 0));
    const { classifier, augmenter, count } = g[0]!;
    const realFraction = fractionOf(g[0]!);
    const gain = count > 0 ? pairedDifference(g, baseline(classifier, realFraction)) : null;
    const labels = g[0]!.task === 'emotion' ? (g[0] as EmotionCellResult).confusion.length : 0;
    const base = {
      classifier, augmenter, count, realFraction, seeds: new Set(g.map((c) => c.seed)).size, units: g.length, gain,
      realPerLabel: labels > 0 ? mean(g.map((c) => c.trainReal)) / labels : mean(g.map((c) => c.trainReal)),
    };
    if (g[0]!.task === 'identity') out.push({ ...base, task: 'identity', rank1: pooledCI(g, primaryScore, null), mAP: pooledCI(g, secondaryScore, null), valAccuracy: null });
    else {
      const e = g as EmotionCellResult[];
      const vals = e.map((c) => c.valAccuracy).filter((v): v is number => typeof v === 'number');
      out.push({
        ...base, task: 'emotion',
        accuracy: pooledCI(g, primaryScore, (cs) => accuracyOf(summedConfusion(cs))),
        balancedAccuracy: pooledCI(g, (c) => (c as EmotionCellResult).balancedAccuracy, (cs) => balancedAccuracy(summedConfusion(cs))),
        macroF1: pooledCI(g, secondaryScore, (cs) => macroF1(summedConfusion(cs))),
        valAccuracy: vals.length === g.length ? mean(vals) : null,
      });
    }
  }
  adjustFamily(out.map((s) => s.gain));
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.realFraction - b.realFraction || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
}

/**
 * Cells minus the reference cell of the same unit (units without one are
 * left out), by the corrected t-test with n_train = real training gaits and
 * n_test = test gaits (means over the pairs); null below 2 pairs.
 */
function pairedDifference(cells: CellResult[], reference: Map<string, CellResult>): PairedDifference | null {
  const paired = cells.filter((c) => reference.has(unitKey(c)));
  if (paired.length < 2) return null;
  const nTrain = mean(paired.map((c) => c.trainReal));
  const nTest = mean(paired.map((c) => c.testGaits));
  const t = correctedResampledTTest(paired.map(primaryScore), paired.map((c) => primaryScore(reference.get(unitKey(c))!)), { nTrain, nTest });
  return { meanDiff: t.meanDiff, lo: t.lo, hi: t.hi, p: paired.length >= MIN_SEEDS_FOR_TESTS ? t.p : null, pHolm: null, n: t.n, nTrain, nTest };
}

/** Fills pHolm of every difference with a p-value, Holm-adjusted over them as one family. */
function adjustFamily(diffs: (PairedDifference | null)[]): void {
  const tested = diffs.filter((d): d is PairedDifference => d?.p != null);
  holmAdjust(tested.map((d) => d.p!)).forEach((p, i) => (tested[i]!.pHolm = p));
}

/**
 * Every learned augmenter against every classical one (mirroring, rotation,
 * time warping, noise, the stacked classical augmentation, the mean shift; in
 * the identity task only the mean shift) run by the same classifier at the
 * same amount and real fraction: does generating gaits beat the cheap ways
 * to make more? Paired by unit like the gains; p Holm-adjusted over these
 * comparisons as their own family.
 */
export function compareLearnedWithClassical(cells: CellResult[]): AugmenterComparison[] {
  const cellsOf = (classifier: string, augmenter: string, count: number, f: number) =>
    cells.filter((c) => c.classifier === classifier && c.augmenter === augmenter && c.count === count && fractionOf(c) === f);
  const valOf = (cs: CellResult[]) => {
    const v = cs.map((c) => (c.task === 'emotion' ? c.valAccuracy : undefined)).filter((x): x is number => typeof x === 'number');
    return v.length === cs.length && v.length > 0 ? mean(v) : -Infinity;
  };
  const out: AugmenterComparison[] = [];
  // one representative cell per (classifier, amount, fraction) with synthetic gaits
  const settings = new Map(cells.filter((c) => c.count > 0).map((c) => [`${c.classifier}\u0000${c.count}\u0000${fractionOf(c)}`, c]));
  for (const s of settings.values()) {
    const f = fractionOf(s);
    const classical = CLASSICAL_AUGMENTERS.filter((a) => cellsOf(s.classifier, a, s.count, f).length > 0);
    const best = [...classical].sort((a, b) => valOf(cellsOf(s.classifier, b, s.count, f)) - valOf(cellsOf(s.classifier, a, s.count, f)))[0];
    for (const learned of LEARNED_AUGMENTERS)
      for (const other of classical) {
        const d = pairedDifference(cellsOf(s.classifier, learned, s.count, f), new Map(cellsOf(s.classifier, other, s.count, f).map((c) => [unitKey(c), c])));
        if (d) out.push({ classifier: s.classifier, count: s.count, realFraction: f, learned, classical: other, bestClassical: other === best, ...d });
      }
  }
  adjustFamily(out);
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.realFraction - b.realFraction || a.count - b.count || a.learned.localeCompare(b.learned) || a.classical.localeCompare(b.classical));
}

/**
 * For every (classifier, augmenter, amount): the smallest real fraction at
 * which it matches real-only training on all of the real data (its paired
 * difference from that cell has an interval above −EQUIVALENCE_MARGIN).
 * Empty without real fractions below 1.
 */
export function dataEquivalence(cells: CellResult[]): DataEquivalence[] {
  const fractions = [...new Set(cells.map(fractionOf))].sort((a, b) => a - b);
  if (fractions.length < 2) return [];
  const out: DataEquivalence[] = [];
  const settings = new Map(cells.map((c) => [`${c.classifier}\u0000${c.augmenter}\u0000${c.count}`, c]));
  for (const s of settings.values()) {
    const full = new Map(cells.filter((c) => c.classifier === s.classifier && c.count === 0 && fractionOf(c) === 1).map((c) => [unitKey(c), c]));
    let found: DataEquivalence | null = null;
    let last: PairedDifference | null = null;
    for (const f of fractions) {
      if (s.count === 0 && f === 1) continue;
      const d = pairedDifference(cells.filter((c) => c.classifier === s.classifier && c.augmenter === s.augmenter && c.count === s.count && fractionOf(c) === f), full);
      if (!d) continue;
      last = d;
      if (d.lo > -EQUIVALENCE_MARGIN) {
        found = { classifier: s.classifier, augmenter: s.augmenter, count: s.count, realFraction: f, difference: d };
        break;
      }
    }
    out.push(found ?? { classifier: s.classifier, augmenter: s.augmenter, count: s.count, realFraction: null, difference: last });
  }
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
}

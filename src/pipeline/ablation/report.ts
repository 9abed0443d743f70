/**
 * The ablation's outputs: results.json and results.parquet (one row per
 * seed × augmenter × count × classifier), report.md (the splits' grouping
 * and sizes, mean and 95% interval per cell clipped to [0, 100], the gain
 * over the real-only baseline with the corrected resampled t-test across
 * seeds and Holm-adjusted p-values (none below 5 seeds), each learned
 * augmenter against each classical one at the same count, FID of each
 * generator beside its real-vs-real floor with sizes, confusion matrices
 * chosen on validation, resolved configs, versions, backend, wall time) and
 * SVG plots.
 */
import path from 'node:path';
import type { ResolvedGrouping } from '../../core/gaitset.js';
import { writeFilesAtomic, type OutputFile } from '../../core/files.js';
import { correctedMeanCI, correctedResampledTTest, formatCI, holmAdjust, meanCI, MIN_SEEDS_FOR_TESTS, signedPercent } from '../../eval/stats.js';
import { writeRecordsParquet } from '../../io/records.js';
import { primaryScore, secondaryScore, type CellResult, type EmotionCellResult, type FidCellResult, type GeneratorCellResult, type IdentityCellResult } from './results.js';
import { CLASSICAL_AUGMENTERS, resolveAugment } from '../augment.js';
import { IDENTITY_TASK_CONTROL, LEARNED_AUGMENTERS, usesEvaluator, type ResolvedAblation } from './config.js';
import { resolveGenerator, type GeneratorConfig } from '../../generator/config.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../../classifier/config.js';
import { resolveIdentityConfig } from '../../identity/config.js';
import { accuracySpec, confusionSpec, renderVegaLite, type AccuracyPoint } from '../plots.js';

export interface ReportMeta {
  dataset: string;
  gaits: number;
  labelNames: string[];
  backend: string;
  versions: Record<string, string>;
  wallSeconds: number;
  date: string;
  /** The grouping the splits used (splits.json), when known. */
  groupedBy?: ResolvedGrouping;
}

export interface ReportInput {
  config: ResolvedAblation;
  cells: CellResult[];
  generators: GeneratorCellResult[];
  fids: FidCellResult[];
  meta: ReportMeta;
  /** Extra Markdown appended to the report (e.g. filmstrips). */
  appendix?: string;
  /** Extra files written with the report (paths relative to the run folder). */
  extraFiles?: OutputFile[];
}

/** What the summaries of both tasks hold: one (classifier, augmenter, count) over its seeds. */
interface SummaryBase {
  classifier: string;
  augmenter: string;
  count: number;
  seeds: number;
  /** Mean validation accuracy over seeds (null for the identity task, and for cells from versions that did not record it). */
  valAccuracy: number | null;
  /**
   * The first metric (accuracy, or rank-1) paired over seeds against the same
   * model's real-only cell with the corrected resampled t-test (Nadeau &
   * Bengio 2003); null for the baseline or < 2 pairs. `p` and `pHolm`
   * (Holm-adjusted over every gain of the report) are null below
   * MIN_SEEDS_FOR_TESTS seeds.
   */
  gain: PairedDifference | null;
}

/**
 * Mean over seeds with the 95% corrected resampled interval (the seeds'
 * re-splits share training gaits: variance × (1/J + n_test/n_train),
 * eval/stats.ts correctedMeanCI), clipped to [0, 1] (`clipped` says when).
 */
type BoundedCI = ReturnType<typeof correctedMeanCI>;

export interface EmotionSummary extends SummaryBase {
  task: 'emotion';
  accuracy: BoundedCI;
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

/** A paired difference of accuracies over seeds with the corrected resampled t-test (p null below MIN_SEEDS_FOR_TESTS). */
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
 * A learned augmenter against a classical one at the same classifier and
 * count: accuracy with the generated gaits minus accuracy with the classical
 * augmenter's gaits, paired by seed (both cells of a seed share its split).
 */
export interface AugmenterComparison extends PairedDifference {
  classifier: string;
  count: number;
  learned: string;
  classical: string;
}

const pct = (x: number) => (100 * x).toFixed(2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Mean ± CI per (classifier, augmenter, count) and the paired gain over
 * count 0: corrected resampled t-test across the seeds' re-splits (n_train
 * = real training gaits, n_test = test gaits, means over the seeds), Holm
 * adjustment over all gains. Below MIN_SEEDS_FOR_TESTS paired seeds a gain
 * has an interval but no p-value.
 */
export function summarizeCells(cells: CellResult[]): CellSummary[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = `${c.classifier}\u0000${c.augmenter}\u0000${c.count}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(c);
  }
  const baseline = (classifier: string) => new Map(cells.filter((c) => c.classifier === classifier && c.count === 0).map((c) => [c.seed, c]));
  const out: CellSummary[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.seed - b.seed);
    const { classifier, augmenter, count } = g[0]!;
    const gain = count > 0 ? pairedDifference(g, baseline(classifier)) : null;
    const sizes = { nTrain: mean(g.map((c) => c.trainReal)), nTest: mean(g.map((c) => c.testGaits)) };
    const first = correctedMeanCI(g.map(primaryScore), sizes);
    const second = correctedMeanCI(g.map(secondaryScore), sizes);
    const base = { classifier, augmenter, count, seeds: g.length, gain };
    if (g[0]!.task === 'identity') out.push({ ...base, task: 'identity', rank1: first, mAP: second, valAccuracy: null });
    else {
      const vals = (g as EmotionCellResult[]).map((c) => c.valAccuracy).filter((v): v is number => typeof v === 'number');
      out.push({ ...base, task: 'emotion', accuracy: first, macroF1: second, valAccuracy: vals.length === g.length ? mean(vals) : null });
    }
  }
  adjustFamily(out.map((s) => s.gain));
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
}

/**
 * Cells minus the reference cell of the same seed (seeds without one are left
 * out), by the corrected resampled t-test with n_train = real training gaits
 * and n_test = test gaits (means over the pairs); null below 2 pairs.
 */
function pairedDifference(cells: CellResult[], reference: Map<number, CellResult>): PairedDifference | null {
  const paired = cells.filter((c) => reference.has(c.seed));
  if (paired.length < 2) return null;
  const nTrain = mean(paired.map((c) => c.trainReal));
  const nTest = mean(paired.map((c) => c.testGaits));
  const t = correctedResampledTTest(paired.map(primaryScore), paired.map((c) => primaryScore(reference.get(c.seed)!)), { nTrain, nTest });
  return { meanDiff: t.meanDiff, lo: t.lo, hi: t.hi, p: paired.length >= MIN_SEEDS_FOR_TESTS ? t.p : null, pHolm: null, n: t.n, nTrain, nTest };
}

/** Fills pHolm of every difference with a p-value, Holm-adjusted over them as one family. */
function adjustFamily(diffs: (PairedDifference | null)[]): void {
  const tested = diffs.filter((d): d is PairedDifference => d?.p != null);
  holmAdjust(tested.map((d) => d.p!)).forEach((p, i) => (tested[i]!.pHolm = p));
}

/**
 * Every learned augmenter (STEP-Gen, the baseline CVAE) against every
 * classical one (mirroring, rotation, time warping, noise, the mean shift;
 * in the identity task only the mean shift) run by the same classifier at the same count: does generating gaits beat the cheap way to
 * make more? Paired by seed like the gains; p Holm-adjusted over these
 * comparisons as their own family.
 */
export function compareLearnedWithClassical(cells: CellResult[]): AugmenterComparison[] {
  const cellsOf = (classifier: string, augmenter: string, count: number) => cells.filter((c) => c.classifier === classifier && c.augmenter === augmenter && c.count === count);
  const out: AugmenterComparison[] = [];
  // one representative cell per (classifier, count) with synthetic gaits
  const settings = new Map(cells.filter((c) => c.count > 0).map((c) => [`${c.classifier}\u0000${c.count}`, c]));
  for (const { classifier, count } of settings.values()) {
    for (const learned of LEARNED_AUGMENTERS)
      for (const classical of CLASSICAL_AUGMENTERS) {
        const d = pairedDifference(cellsOf(classifier, learned, count), new Map(cellsOf(classifier, classical, count).map((c) => [c.seed, c])));
        if (d) out.push({ classifier, count, learned, classical, ...d });
      }
  }
  adjustFamily(out);
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.count - b.count || a.learned.localeCompare(b.learned) || a.classical.localeCompare(b.classical));
}

/** The recognition ratio of a FID cell (null without an evaluator). */
function recognitionRatioOf(f: FidCellResult): number | null {
  return f.recognition?.ratio ?? null;
}

/**
 * The generator entries of results.json: each generator cell (one per seed)
 * with its FIDs beside their floors and its recognition ratio from the
 * seed's FID cell (null where there is no evaluator or no FID cell).
 */
export function generatorEntries(generators: GeneratorCellResult[], fids: FidCellResult[]): (GeneratorCellResult & {
  fidAffective: number | null; floorAffective: number | null; fidEvaluator: number | null; floorEvaluator: number | null; recognitionRatio: number | null;
})[] {
  return generators.map((g) => {
    const f = fids.find((x) => x.seed === g.seed && x.augmenter === g.augmenter);
    return {
      ...g,
      fidAffective: f?.affective.fid ?? null, floorAffective: f?.affective.floor ?? null,
      fidEvaluator: f?.evaluator?.fid ?? null, floorEvaluator: f?.evaluator?.floor ?? null,
      recognitionRatio: f ? recognitionRatioOf(f) : null,
    };
  });
}

/** "mean ± half-width" in %, or "mean [lo, hi]" when the interval was clipped at 0 or 100%. */
export function ciPct(ci: BoundedCI): string {
  if (ci.halfWidth === null) return `${pct(ci.mean)} (n = 1)`;
  return ci.clipped ? `${pct(ci.mean)} [${pct(ci.lo!)}, ${pct(ci.hi!)}]` : `${pct(ci.mean)} ± ${pct(ci.halfWidth)}`;
}

/** Writes results.json, results.parquet, report.md and plots/*.svg into `runDir` (atomically). */
export async function writeAblationReport(runDir: string, input: ReportInput): Promise<{ report: string; files: string[] }> {
  const { config, cells, fids, meta } = input;
  const summaries = summarizeCells(cells);
  const classifiers = [...new Set(cells.map((c) => c.classifier))];
  const augmenters = [...new Set(cells.map((c) => c.augmenter))].filter((a) => a !== 'none');

  // Plot: accuracy vs count, each augmenter's line starting from the real-only point.
  const points: AccuracyPoint[] = [];
  for (const s of summaries) {
    const { mean, lo, hi } = summaryScores(s)[0];
    const p = { classifier: s.classifier, count: s.count, mean, lo: lo ?? mean, hi: hi ?? mean };
    if (s.augmenter === 'none') for (const a of augmenters.length ? augmenters : ['none']) points.push({ ...p, augmenter: a });
    else points.push({ ...p, augmenter: s.augmenter });
  }
  const identityTask = config.task === 'identity';
  const files: OutputFile[] = [{ path: path.join(runDir, 'plots', 'accuracy.svg'), data: await renderVegaLite(accuracySpec(points, identityTask ? 'cross-condition rank-1 (mean)' : undefined)) }];
  const confusionLinks: string[] = [];
  for (const clf of identityTask ? [] : classifiers) {
    const sum = (sel: EmotionCellResult[]) => sel.reduce<number[][] | null>((acc, c) => (acc ? acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)) : c.confusion.map((r) => [...r])), null);
    const base = sum(cells.filter((c): c is EmotionCellResult => c.task === 'emotion' && c.classifier === clf && c.count === 0));
    // The augmented cell shown is the one with the best mean validation accuracy (never chosen on test);
    // cells from versions that did not record validation accuracy fall back to test, and say so.
    const augmented = summaries.filter((s): s is EmotionSummary => s.task === 'emotion' && s.classifier === clf && s.count > 0);
    const byVal = augmented.every((s) => s.valAccuracy !== null);
    const best = [...augmented].sort((a, b) => (byVal ? b.valAccuracy! - a.valAccuracy! : b.accuracy.mean - a.accuracy.mean))[0];
    const emotionCells = cells.filter((c): c is EmotionCellResult => c.task === 'emotion');
    for (const [name, m, title] of [
      [`confusion-${clf}-real-only.svg`, base, `${clf}: real only`],
      ...(best ? [[`confusion-${clf}-best.svg`, sum(emotionCells.filter((c) => c.classifier === clf && c.augmenter === best.augmenter && c.count === best.count)), `${clf}: + ${best.count}/label ${best.augmenter} (best on ${byVal ? 'validation' : 'test: for display only'})`]] : []),
    ] as [string, number[][] | null, string][]) {
      if (!m) continue;
      files.push({ path: path.join(runDir, 'plots', name), data: await renderVegaLite(confusionSpec(meta.labelNames, m, `${title} (summed over seeds)`)) });
      confusionLinks.push(`![${title}](plots/${name})`);
    }
  }

  const lines: string[] = [];
  lines.push('# gaitforge ablation report', '');
  lines.push(`Dataset: ${meta.dataset} (${meta.gaits} real gaits; labels ${meta.labelNames.join(', ')}). Seeds: ${config.seeds.join(', ')}.`);
  const sizes = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`) : '—');
  const baseCells = cells.filter((c) => c.count === 0);
  if (identityTask) {
    const t = config.identity!;
    lines.push(
      `Task: identity (cross-condition identification by the GaitTAKE model). Split of each seed: ${t.targetFraction} of the identities are targets, the rest donors; ` +
        `training holds every donor walk and the targets' ${t.galleryCondition} walks; the probes are the targets' walks in every other condition, matched against their ${t.galleryCondition} walks (the gallery). ` +
        `No recording is on two sides, and no probe is seen by a generator or an identity model; every seed's split is in splits.json. ` +
        (t.walks === 'restyle'
          ? `Augmentation: each learned generator (conditioned on identity) restyles n of each target's ${t.galleryCondition} walks (all it has when fewer) into every other condition (identity.walks restyle: the walk plus the decoder's difference between the two conditions${t.restyleLatent === 'shifted' ? ", the new one decoded at the walk's latent code shifted by the condition's latent effect" : ', both at the walk\'s latent code'}). `
          : `Augmentation: each learned generator (conditioned on identity) makes n walks per target and per condition other than ${t.galleryCondition}, drawn from its identity prior. `) +
        (config.augmenters.includes(IDENTITY_TASK_CONTROL)
          ? `The control ${IDENTITY_TASK_CONTROL} uses no generator: n of each target's ${t.galleryCondition} walks (all it has when fewer) moved into every other condition by the difference between the training walks' mean gaits of that condition and of ${t.galleryCondition}. `
          : '') +
        `The identity model keeps its last epoch (no identity can be held out for selection).`,
    );
    const idCells = baseCells.filter((c): c is IdentityCellResult => c.task === 'identity');
    lines.push(`Sizes per seed: training ${sizes(idCells.map((c) => c.trainReal))} real walks, ${sizes(idCells.map((c) => c.identity.targets))} targets, gallery ${sizes(idCells.map((c) => c.identity.galleryGaits))}, probes ${sizes(idCells.map((c) => c.testGaits))}.`);
  } else {
    lines.push(`Splits: train ${config.splits.train} / val ${config.splits.val} / test ${config.splits.test}, stratified by label, grouped by ${meta.groupedBy ?? config.splits.groupBy}${config.splits.groupBy === 'auto' ? ' (chosen automatically)' : ''}${meta.groupedBy && meta.groupedBy !== 'gait' ? `: no ${meta.groupedBy === 'identity-or-recording' ? 'walker or recording' : meta.groupedBy} has gaits on two sides` : meta.groupedBy === 'gait' ? ': gait by gait (the data has neither identities nor recordings)' : ''}; every seed's split is in splits.json; the test split is real gaits only, never seen by a generator nor used for model selection.`);
    lines.push(`Sizes per seed (real gaits): train ${sizes(baseCells.map((c) => c.trainReal))}, val ${sizes(baseCells.flatMap((c) => (c.task !== 'emotion' || c.valGaits === undefined ? [] : [c.valGaits])))}, test ${sizes(baseCells.map((c) => c.testGaits))}.`);
  }
  const pairedSeeds = Math.min(...summaries.filter((s) => s.gain).map((s) => s.gain!.n), Infinity);
  const tested = summaries.filter((s) => s.gain?.p != null).length;
  if (Number.isFinite(pairedSeeds) && pairedSeeds < MIN_SEEDS_FOR_TESTS)
    lines.push('', `> **Warning: ${pairedSeeds} seed${pairedSeeds === 1 ? '' : 's'}.** With fewer than ${MIN_SEEDS_FOR_TESTS} seeds the intervals below are wide and no p-values are given: this run cannot support a finding. Run at least ${MIN_SEEDS_FOR_TESTS} seeds (\`seeds: ${MIN_SEEDS_FOR_TESTS}\`).`);
  const [m1, m2, unit] = identityTask ? ['rank-1', 'mAP', 'model'] : ['accuracy', 'macro-F1', 'classifier'];
  lines.push('', identityTask ? '## Cross-condition rank-1 and mAP (%, mean over probe conditions; mean and 95% CI over seeds)' : '## Test accuracy and macro-F1 (%, mean and 95% CI over seeds)', '');
  lines.push(
    `${identityTask ? 'Rank-1' : 'Accuracy'} and ${m2} intervals are corrected resampled t intervals over seeds (variance × (1/J + n_test/n_train), as for the gains below), clipped to [0, 100] (shown as [lo, hi] where clipped). ` +
      `Gain: ${m1} minus the same ${unit}'s real-only ${m1}, paired by seed, with the 95% interval of the corrected resampled t-test ` +
      '(Nadeau & Bengio 2003: variance × (1/J + n_test/n_train), because the seeds\' re-splits share training gaits)' +
      (tested ? `; p is that test's two-sided p, Holm-adjusted over all ${tested} gains of this report.` : '.'),
    '',
  );
  lines.push(
    identityTask
      ? `| model | augmenter | synthetic/(target, condition) | seeds | ${m1} | ${m2} | val accuracy | gain (pp) | p (Holm) |`
      : '| classifier | augmenter | synthetic/label | seeds | accuracy | macro-F1 | val accuracy | gain (pp) | p (Holm) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of summaries) {
    const gain = s.gain ? `${signedPercent(s.gain.meanDiff)} [${pct(s.gain.lo)}, ${pct(s.gain.hi)}]` : '—';
    const [first, second] = summaryScores(s);
    lines.push(`| ${s.classifier} | ${s.augmenter} | ${s.count} | ${s.seeds} | ${ciPct(first)} | ${ciPct(second)} | ${s.valAccuracy === null ? '—' : pct(s.valAccuracy)} | ${gain} | ${s.gain?.pHolm != null ? s.gain.pHolm.toFixed(3) : '—'} |`);
  }
  const comparisons = compareLearnedWithClassical(cells);
  if (comparisons.length) {
    const compared = comparisons.filter((c) => c.p != null).length;
    // the identity task's only augmenter without a generator is its mean-shift control
    const other = identityTask ? 'control' : 'classical';
    lines.push('', identityTask ? '### Generated against the control without a generator' : '### Generated against classical augmentation', '');
    lines.push(
      `Difference: ${m1} with the learned augmenter's gaits minus ${m1} with the ${other} augmenter's, the same ${unit} and count, paired by seed, ` +
        'with the 95% interval of the same corrected test' +
        (compared ? `; p Holm-adjusted over these ${compared} comparisons.` : '.') +
        ` A positive difference means the generated gaits were worth more than the ${other} ones.`,
      '',
    );
    lines.push(`| ${identityTask ? 'model' : 'classifier'} | synthetic/${identityTask ? '(target, condition)' : 'label'} | learned | ${other} | seeds | difference (pp) | p (Holm) |`, '|---|---:|---|---|---:|---:|---:|');
    for (const c of comparisons)
      lines.push(`| ${c.classifier} | ${c.count} | ${c.learned} | ${c.classical} | ${c.n} | ${signedPercent(c.meanDiff)} [${pct(c.lo)}, ${pct(c.hi)}] | ${c.pHolm != null ? c.pHolm.toFixed(3) : '—'} |`);
  }
  lines.push('', '![accuracy vs synthetic count](plots/accuracy.svg)', '');
  if (fids.length) {
    lines.push('## Generators: FID against the real test split (mean ± 95% CI over seeds)', '');
    lines.push(
      'Each FID is printed beside the real-vs-real floor, measured the same way: the test split is cut into two halves (grouped, so no walker or recording is in both); ' +
        'n generated gaits and n real gaits of one half are each compared with the same n-gait reference from the other half, every set with the same gaits per label ' +
        "(the reference half's proportions), in the same dimension (the features' own when n > 2d, else the reference's top ⌈n/2⌉ − 1 principal components) and with one ridge. " +
        'The floor is above 0 from sampling noise alone; a generator is only as good as its distance to it. The affective space uses derivatives of smoothed trajectories (docs/metrics.md). ' +
        'The evaluator space is that of two Baseline-STEP evaluators cross-fitted on the test split (each trained on one half, scoring the generated gaits and the other half), so neither has seen the gaits the generator learned from.',
      '',
    );
    lines.push('| generator | seeds | n (= floor n) | dim (affective / evaluator) | FID (affective) | floor (affective) | FID (evaluator) | floor (evaluator) | recognition ratio | training-set copy ratio |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const range = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`) : '—');
    for (const g of [...new Set(fids.map((f) => f.augmenter))]) {
      const sel = fids.filter((f) => f.augmenter === g);
      const ev = sel.filter((f) => f.evaluator);
      const ci = (xs: number[]) => (xs.length ? formatCI(meanCI(xs), 3) : '—');
      const ratios = sel.map(recognitionRatioOf).filter((x): x is number => x !== null);
      const copies = sel.map((f) => f.recognition?.trainingCopyRatio ?? null).filter((x): x is number => x !== null);
      lines.push(
        `| ${g} | ${sel.length} | ${range(sel.map((f) => f.affective.n))} | ${range(sel.map((f) => f.affective.dim))} / ${range(ev.map((f) => f.evaluator!.dim))} | ` +
          `${ci(sel.map((f) => f.affective.fid))} | ${ci(sel.map((f) => f.affective.floor))} | ${ci(ev.map((f) => f.evaluator!.fid))} | ${ci(ev.map((f) => f.evaluator!.floor))} | ${ci(ratios)} | ${ci(copies)} |`,
      );
    }
    const skipped = fids.filter((f) => f.evaluatorSkipped);
    lines.push(
      '',
      fids.some((f) => f.recognition)
        ? "Recognition ratio: the cross-fitted evaluators' accuracy on the generated gaits (truth: the label each was sampled for) divided by their accuracy on the real test gaits they never trained on, per seed; 1 means generated gaits carry their label as often as real ones. " +
            "Training-set copy ratio: the generator's training gaits scored the same way; it sits near 1 because no evaluator trained on them, and its distance from 1 is the ratio's noise."
        : !usesEvaluator(input.config)
          ? 'Recognition ratio: not measured: the config sets `evaluator: false` (FIDs in the affective space only).'
          : 'Recognition ratio: not measured (no evaluator space; see below).',
      ...(skipped.length ? ['', `No evaluator space for ${skipped.length} of ${fids.length} generators: ${skipped[0]!.evaluatorSkipped}`] : []),
    );
    const spaces = fids.flatMap((f) => [f.affective, ...(f.evaluator ? [f.evaluator] : [])]);
    const ridged = spaces.filter((x) => x.ridge > 0);
    if (ridged.length)
      lines.push('', `Note: ${ridged.length} of ${spaces.length} FIDs had a singular covariance even in their projected dimension and were computed with a small ridge (the same for the FID and its floor); results.json gives each ridge.`);
    lines.push('');
  }
  if (confusionLinks.length) lines.push('## Confusion matrices', '', ...confusionLinks, '');
  if (input.appendix) lines.push(input.appendix, '');
  lines.push('## Run', '');
  lines.push(`- date: ${meta.date}`, `- backend: ${meta.backend}`, `- versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`- wall time: ${meta.wallSeconds.toFixed(1)} s (this invocation; cached cells cost nothing)`);
  lines.push(`- cells: ${cells.length} ${identityTask ? 'identity-model' : 'classifier'} runs, ${input.generators.length} generators`);
  lines.push('', '### Configuration', '', 'The ablation config as resolved:', '', '```json', JSON.stringify(config, null, 2), '```');
  lines.push('', 'Generator configs as trained (every default filled in):', '');
  for (const v of config.augmenters.filter((a) => a === 'stepgen' || a === 'cvae-baseline'))
    lines.push('', `${v}:`, '', '```json', JSON.stringify(resolveGenerator({ ...(config.generator as GeneratorConfig), variant: v } as GeneratorConfig), null, 2), '```');
  if (identityTask) lines.push('', 'Identity model config as trained (every default filled in):', '', '```json', JSON.stringify(resolveIdentityConfig({ ...config.identity!.model, valFraction: 0 }), null, 2), '```');
  else {
    lines.push('', 'Classifier config as trained (every default filled in):', '', '```json', JSON.stringify(resolveClassifierConfig(config.classifier as ClassifierConfig), null, 2), '```');
    lines.push('', 'Classical augmenters:', '', '```json', JSON.stringify(resolveAugment(config.augment), null, 2), '```');
  }
  const report = lines.join('\n') + '\n';

  const rows = cells.map((c) => ({
    seed: c.seed, augmenter: c.augmenter, count: c.count, classifier: c.classifier,
    ...(c.task === 'identity'
      ? {
          rank1: c.rank1, mAP: c.mAP, rank5: c.rank5,
          ...Object.fromEntries([
            ...(['rank1', 'rank5', 'mAP'] as const).flatMap((m) => Object.entries(c.identity[m]).map(([cond, v]) => [`${m}_${cond}`, v])),
            ...Object.entries(c.identity.probes).map(([cond, v]) => [`probes_${cond}`, v]),
            ['gallery_gaits', c.identity.galleryGaits], ['targets', c.identity.targets],
          ]),
        }
      : { accuracy: c.accuracy, macro_f1: c.macroF1, top2: c.top2 }),
    train_real: c.trainReal, train_synthetic: c.trainSynthetic, test_gaits: c.testGaits, best_epoch: c.bestEpoch, wall_seconds: c.wallSeconds,
    ...(c.task === 'emotion' ? { ...Object.fromEntries(Object.entries(c.perClassRecall).map(([l, v]) => [`recall_${l}`, v])), confusion: c.confusion } : {}),
    key: c.key,
  }));
  rows.sort((a, b) => a.seed - b.seed || a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
  if (rows.length) writeRecordsParquet(path.join(runDir, 'results.parquet'), rows, { gaitforge_ablation: JSON.stringify(config) });
  files.push(
    { path: path.join(runDir, 'results.json'), data: JSON.stringify({ config, meta, summaries, comparisons, cells: rows, generators: generatorEntries(input.generators, fids), fids }, null, 2) },
    { path: path.join(runDir, 'report.md'), data: report },
    ...(input.extraFiles ?? []).map((f) => ({ ...f, path: path.join(runDir, f.path) })),
  );
  writeFilesAtomic(files);
  return { report: path.join(runDir, 'report.md'), files: [...files.map((f) => f.path), path.join(runDir, 'results.parquet')] };
}

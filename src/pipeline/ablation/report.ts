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
import { formatCI, meanCI, MIN_SEEDS_FOR_TESTS, signedPercent } from '../../eval/stats.js';
import { writeRecordsParquet } from '../../io/records.js';
import { groupKey } from './grid.js';
import type { CellResult, EmotionCellResult, FidCellResult, GeneratorCellResult, IdentityCellResult } from './results.js';
import {
  compareLearnedWithClassical, dataEquivalence, EQUIVALENCE_MARGIN, summarizeCells, summaryScores, type BoundedCI, type EmotionSummary, type PairedDifference,
} from './summaries.js';
import { resolveAugment } from '../augment.js';
import { IDENTITY_TASK_CONTROL, isKfold, isLearnedAugmenter, usesEvaluator, type ResolvedAblation } from './config.js';
import { resolveGeneratorFamily } from '../../generator/family.js';
import { generatorConfig } from './cells/generator.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../../classifier/config.js';
import { resolveIdentityConfig } from '../../identity/config.js';
import { accuracySpec, confusionSpec, learningCurveSpec, renderVegaLite, type AccuracyPoint, type CurvePoint } from '../plots.js';

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
  /** The machine (cores, processor, memory, Node) and the command line, when known. */
  machine?: string;
  command?: string;
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
    const f = fids.find((x) => groupKey(x) === groupKey(g));
    return {
      ...g,
      fidAffective: f?.affective.fid ?? null, floorAffective: f?.affective.floor ?? null,
      fidEvaluator: f?.evaluator?.fid ?? null, floorEvaluator: f?.evaluator?.floor ?? null,
      recognitionRatio: f ? recognitionRatioOf(f) : null,
    };
  });
}

const pct = (x: number) => (100 * x).toFixed(2);

/** "mean ± half-width" in %, or "mean [lo, hi]" when the interval was clipped at 0 or 100%. */
export function ciPct(ci: BoundedCI): string {
  if (ci.halfWidth === null) return `${pct(ci.mean)} (n = 1)`;
  return ci.clipped ? `${pct(ci.mean)} [${pct(ci.lo!)}, ${pct(ci.hi!)}]` : `${pct(ci.mean)} ± ${pct(ci.halfWidth)}`;
}

/** A paired difference in pp: "+1.23 [-0.45, +2.91]". */
const diffPct = (d: PairedDifference) => `${signedPercent(d.meanDiff)} [${pct(d.lo)}, ${pct(d.hi)}]`;

/** How the splits were made, in words. */
function splitsText(config: ResolvedAblation, meta: ReportMeta): string {
  const s = config.splits;
  const grouped = `grouped by ${meta.groupedBy ?? s.groupBy}${s.groupBy === 'auto' ? ' (chosen automatically)' : ''}` +
    (meta.groupedBy && meta.groupedBy !== 'gait' ? `: no ${meta.groupedBy === 'identity-or-recording' ? 'walker or recording' : meta.groupedBy} has gaits on two sides` : meta.groupedBy === 'gait' ? ': gait by gait (the data has neither identities nor recordings)' : '');
  const how = isKfold(s)
    ? `Splits: ${s.folds}-fold cross-validation repeated over ${config.seeds.length} seed${config.seeds.length === 1 ? '' : 's'} (each seed its own fold assignment; every gait is tested exactly once per repeat), stratified by label, ${grouped}; ` +
      `${s.val} of the training folds' groups are held out for model selection; every fold of every repeat is in splits.json`
    : `Splits: train ${s.train} / val ${s.val} / test ${s.test}, stratified by label, ${grouped}; every seed's split is in splits.json`;
  const fractions = config.realFractions
    ? `. Real data: each split's training gaits and a nested subset of ${config.realFractions.filter((f) => f < 1).join(', ')} of its groups, stratified by label (every label keeps a group), on which the generators train too; the validation and test splits are those of all the data`
    : '';
  return `${how}${fractions}; the test split is real gaits only, never seen by a generator nor used for model selection.`;
}

/** Writes results.json, results.parquet, report.md and plots/*.svg into `runDir` (atomically). */
export async function writeAblationReport(runDir: string, input: ReportInput): Promise<{ report: string; files: string[] }> {
  const { config, cells, fids, meta } = input;
  const summaries = summarizeCells(cells);
  const comparisons = compareLearnedWithClassical(cells);
  const equivalence = dataEquivalence(cells);
  const classifiers = [...new Set(cells.map((c) => c.classifier))];
  const augmenters = [...new Set(cells.map((c) => c.augmenter))].filter((a) => a !== 'none');
  const identityTask = config.task === 'identity';
  const kfold = isKfold(config.splits);
  const fractions = [...new Set(summaries.map((s) => s.realFraction))].sort((a, b) => a - b);
  const ratio = config.syntheticUnit === 'ratio';
  const amount = identityTask ? 'synthetic/(target, condition)' : ratio ? 'synthetic per real gait' : 'synthetic/label';
  const over = kfold ? 'repeats' : 'seeds';

  // Plots: the metric against the synthetic amount at all of the real data (each augmenter's line starting from the
  // real-only point), and with real fractions the learning curve over the amount of real data.
  const points: AccuracyPoint[] = [];
  for (const s of summaries.filter((x) => x.realFraction === 1)) {
    const { mean, lo, hi } = summaryScores(s)[0];
    const p = { classifier: s.classifier, count: s.count, mean, lo: lo ?? mean, hi: hi ?? mean };
    if (s.augmenter === 'none') for (const a of augmenters.length ? augmenters : ['none']) points.push({ ...p, augmenter: a });
    else points.push({ ...p, augmenter: s.augmenter });
  }
  const files: OutputFile[] = [{ path: path.join(runDir, 'plots', 'accuracy.svg'), data: await renderVegaLite(accuracySpec(points, identityTask ? 'cross-condition rank-1 (mean)' : undefined)) }];
  if (fractions.length > 1) {
    const curve: CurvePoint[] = summaries.map((s) => {
      const { mean, lo, hi } = summaryScores(s)[0];
      return { classifier: s.classifier, line: s.augmenter === 'none' ? 'real only' : `${s.augmenter} ×${s.count}`, real: s.realPerLabel, mean, lo: lo ?? mean, hi: hi ?? mean };
    });
    files.push({ path: path.join(runDir, 'plots', 'learning-curve.svg'), data: await renderVegaLite(learningCurveSpec(curve)) });
  }
  const confusionLinks: string[] = [];
  const emotionCells = cells.filter((c): c is EmotionCellResult => c.task === 'emotion' && (c.realFraction ?? 1) === 1);
  for (const clf of identityTask ? [] : classifiers) {
    const sum = (sel: EmotionCellResult[]) => sel.reduce<number[][] | null>((acc, c) => (acc ? acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)) : c.confusion.map((r) => [...r])), null);
    const base = sum(emotionCells.filter((c) => c.classifier === clf && c.count === 0));
    // The augmented cell shown is the one with the best mean validation accuracy (never chosen on test);
    // cells from versions that did not record validation accuracy fall back to test, and say so.
    const augmented = summaries.filter((s): s is EmotionSummary => s.task === 'emotion' && s.classifier === clf && s.count > 0 && s.realFraction === 1);
    const byVal = augmented.every((s) => s.valAccuracy !== null);
    const best = [...augmented].sort((a, b) => (byVal ? b.valAccuracy! - a.valAccuracy! : b.accuracy.mean - a.accuracy.mean))[0];
    for (const [name, m, title] of [
      [`confusion-${clf}-real-only.svg`, base, `${clf}: real only`],
      ...(best ? [[`confusion-${clf}-best.svg`, sum(emotionCells.filter((c) => c.classifier === clf && c.augmenter === best.augmenter && c.count === best.count)), `${clf}: + ${best.count} ${ratio ? '×' : '/label'} ${best.augmenter} (best on ${byVal ? 'validation' : 'test: for display only'})`]] : []),
    ] as [string, number[][] | null, string][]) {
      if (!m) continue;
      files.push({ path: path.join(runDir, 'plots', name), data: await renderVegaLite(confusionSpec(meta.labelNames, m, `${title} (summed over ${kfold ? 'folds and repeats' : 'seeds'})`)) });
      confusionLinks.push(`![${title}](plots/${name})`);
    }
  }

  const lines: string[] = [];
  lines.push('# gaitforge ablation report', '');
  lines.push(`Dataset: ${meta.dataset} (${meta.gaits} real gaits; labels ${meta.labelNames.join(', ')}). Seeds: ${config.seeds.join(', ')}.`);
  const sizes = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`) : '—');
  const baseCells = cells.filter((c) => c.count === 0 && (c.realFraction ?? 1) === 1);
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
    lines.push(splitsText(config, meta));
    lines.push(`Sizes per ${kfold ? 'fold' : 'seed'} (real gaits): train ${sizes(baseCells.map((c) => c.trainReal))}, val ${sizes(baseCells.flatMap((c) => (c.task !== 'emotion' || c.valGaits === undefined ? [] : [c.valGaits])))}, test ${sizes(baseCells.map((c) => c.testGaits))}.`);
    if (ratio) lines.push('Synthetic amounts are ratios: per label, synthetic gaits per real training gait of that label in the cell.');
  }
  const pairedUnits = Math.min(...summaries.filter((s) => s.gain).map((s) => s.gain!.n), Infinity);
  const tested = summaries.filter((s) => s.gain?.p != null).length;
  if (Number.isFinite(pairedUnits) && pairedUnits < MIN_SEEDS_FOR_TESTS)
    lines.push('', `> **Warning: ${pairedUnits} ${kfold ? 'paired folds' : `seed${pairedUnits === 1 ? '' : 's'}`}.** With fewer than ${MIN_SEEDS_FOR_TESTS} the intervals below are wide and no p-values are given: this run cannot support a finding. Run at least ${MIN_SEEDS_FOR_TESTS} seeds (\`seeds: ${MIN_SEEDS_FOR_TESTS}\`) or k-fold splits.`);
  const [m1, m2, unit] = identityTask ? ['rank-1', 'mAP', 'model'] : ['accuracy', 'macro-F1', 'classifier'];
  const test = kfold
    ? "the corrected repeated k-fold t-test (Bouckaert & Frank 2004: over the k · r folds' differences, variance × (1/(k·r) + n_test/n_train), df = k·r − 1)"
    : "the corrected resampled t-test (Nadeau & Bengio 2003: variance × (1/J + n_test/n_train), because the seeds' re-splits share training gaits)";
  lines.push('', identityTask ? `## Cross-condition rank-1 and mAP (%, mean over probe conditions; mean and 95% CI over ${over})` : `## Test accuracy, balanced accuracy and macro-F1 (%, mean and 95% CI over ${over})`, '');
  lines.push(
    (kfold ? `Each metric comes from the predictions pooled over a repeat's folds (mean over repeats); its interval is the corrected one of the per-fold values. ` : '') +
      `${identityTask ? 'Rank-1' : 'Accuracy'} intervals are corrected intervals (as for the gains below), clipped to [0, 100] (shown as [lo, hi] where clipped). ` +
      `Gain: ${m1} minus the same ${unit}'s real-only ${m1} at the same real fraction, paired by ${kfold ? 'fold' : 'seed'}, with the 95% interval of ${test}` +
      (tested ? `; p is that test's two-sided p, Holm-adjusted over all ${tested} gains of this report.` : '.'),
    '',
  );
  for (const f of fractions) {
    if (fractions.length > 1) lines.push(`### ${f === 1 ? 'All of the real data' : `${f} of the real data`} (${sizes(summaries.filter((s) => s.realFraction === f).map((s) => Math.round(s.realPerLabel)))} real training gaits per label)`, '');
    lines.push(
      identityTask
        ? `| model | augmenter | ${amount} | seeds | ${m1} | ${m2} | val accuracy | gain (pp) | p (Holm) |`
        : `| classifier | augmenter | ${amount} | ${over} | accuracy | balanced accuracy | macro-F1 | val accuracy | gain (pp) | p (Holm) |`,
      identityTask ? '|---|---|---:|---:|---:|---:|---:|---:|---:|' : '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of summaries.filter((x) => x.realFraction === f)) {
      const gain = s.gain ? diffPct(s.gain) : '—';
      const scores = s.task === 'identity' ? [s.rank1, s.mAP] : [s.accuracy, s.balancedAccuracy, s.macroF1];
      lines.push(`| ${s.classifier} | ${s.augmenter} | ${s.count} | ${s.seeds} | ${scores.map(ciPct).join(' | ')} | ${s.valAccuracy === null ? '—' : pct(s.valAccuracy)} | ${gain} | ${s.gain?.pHolm != null ? s.gain.pHolm.toFixed(3) : '—'} |`);
    }
    const here = comparisons.filter((c) => c.realFraction === f);
    if (here.length) {
      const compared = comparisons.filter((c) => c.p != null).length;
      // the best classical augmenter is worth marking where there are several
      const starred = !identityTask && new Set(here.map((c) => c.classical)).size > 1;
      // the identity task's only augmenter without a generator is its mean-shift control
      const other = identityTask ? 'control' : 'classical';
      const h = fractions.length > 1 ? '####' : '###';
      lines.push('', `${h} ${identityTask ? 'Generated against the control without a generator' : 'Generated against classical augmentation'}`, '');
      lines.push(
        `Difference: ${m1} with the learned augmenter's gaits minus ${m1} with the ${other} augmenter's, the same ${unit}, amount and real fraction, paired by ${kfold ? 'fold' : 'seed'}, ` +
          'with the 95% interval of the same corrected test' +
          (compared ? `; p Holm-adjusted over all ${compared} comparisons of this report.` : '.') +
          ` A positive difference means the generated gaits were worth more than the ${other} ones.` +
          (starred ? ' ★: the best classical augmenter there by mean validation accuracy.' : ''),
        '',
      );
      lines.push(`| ${unit} | ${amount} | learned | ${other} | ${over === 'repeats' ? 'folds' : 'seeds'} | difference (pp) | p (Holm) |`, '|---|---:|---|---|---:|---:|---:|');
      for (const c of here)
        lines.push(`| ${c.classifier} | ${c.count} | ${c.learned} | ${c.classical}${c.bestClassical && starred ? ' ★' : ''} | ${c.n} | ${diffPct(c)} | ${c.pHolm != null ? c.pHolm.toFixed(3) : '—'} |`);
    }
    lines.push('');
  }
  if (fractions.length > 1) {
    lines.push('## Learning curve', '', '![learning curve](plots/learning-curve.svg)', '');
    lines.push(
      `Data equivalence: the smallest real fraction at which real + synthetic gaits match real-only training on all of the real data (the paired difference's 95% interval lies above −${100 * EQUIVALENCE_MARGIN} pp).`,
      '',
      `| ${unit} | augmenter | ${amount} | smallest fraction | difference there (pp) |`,
      '|---|---|---:|---:|---:|',
    );
    for (const e of equivalence)
      lines.push(`| ${e.classifier} | ${e.augmenter} | ${e.count} | ${e.realFraction ?? `none of ${fractions.filter((f) => f < 1 || e.count > 0).join(', ')}`} | ${e.difference ? diffPct(e.difference) : '—'} |`);
    lines.push('');
  }
  lines.push(`![${m1} vs synthetic amount](plots/accuracy.svg)`, '');
  if (fids.length) {
    lines.push(`## Generators: FID against the real test split (mean ± 95% CI over ${kfold ? 'folds' : 'seeds'})`, '');
    lines.push(
      'Each FID is printed beside the real-vs-real floor, measured the same way: the test split is cut into two halves (grouped, so no walker or recording is in both); ' +
        'n generated gaits and n real gaits of one half are each compared with the same n-gait reference from the other half, every set with the same gaits per label ' +
        "(the reference half's proportions), in the same dimension (the features' own when n > 2d, else the reference's top ⌈n/2⌉ − 1 principal components) and with one ridge. " +
        'The floor is above 0 from sampling noise alone; a generator is only as good as its distance to it. The affective space uses derivatives of smoothed trajectories (docs/metrics.md). ' +
        'The evaluator space is that of two Baseline-STEP evaluators cross-fitted on the test split (each trained on one half, scoring the generated gaits and the other half), so neither has seen the gaits the generator learned from.',
      '',
    );
    lines.push(`| generator | ${kfold ? 'folds' : 'seeds'} | n (= floor n) | dim (affective / evaluator) | FID (affective) | floor (affective) | FID (evaluator) | floor (evaluator) | recognition ratio | training-set copy ratio |`, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const range = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`) : '—');
    const byGenerator = new Map(fids.map((f) => [`${f.augmenter}${f.realFraction !== undefined ? ` (${f.realFraction} of the real data)` : ''}`, f.realFraction]));
    for (const [g, frac] of byGenerator) {
      const sel = fids.filter((f) => `${f.augmenter}${f.realFraction !== undefined ? ` (${f.realFraction} of the real data)` : ''}` === g && f.realFraction === frac);
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
  lines.push(...(meta.command ? [`- command: \`${meta.command}\``] : []), `- date: ${meta.date}`, ...(meta.machine ? [`- machine: ${meta.machine}`] : []), `- backend: ${meta.backend}`, `- versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`- wall time: ${meta.wallSeconds.toFixed(1)} s (this invocation; cached cells cost nothing)`);
  lines.push(`- cells: ${cells.length} ${identityTask ? 'identity-model' : 'classifier'} runs, ${input.generators.length} generators`);
  lines.push('', '### Configuration', '', 'The ablation config as resolved:', '', '```json', JSON.stringify(config, null, 2), '```');
  lines.push('', 'Generator configs as trained (every default filled in):', '');
  for (const v of config.augmenters.filter(isLearnedAugmenter))
    lines.push('', `${v}:`, '', '```json', JSON.stringify(resolveGeneratorFamily(generatorConfig(config, v)), null, 2), '```');
  if (identityTask) lines.push('', 'Identity model config as trained (every default filled in):', '', '```json', JSON.stringify(resolveIdentityConfig({ ...config.identity!.model, valFraction: 0 }), null, 2), '```');
  else {
    lines.push('', 'Classifier config as trained (every default filled in):', '', '```json', JSON.stringify(resolveClassifierConfig(config.classifier as ClassifierConfig), null, 2), '```');
    lines.push('', 'Classical augmenters:', '', '```json', JSON.stringify(resolveAugment(config.augment), null, 2), '```');
  }
  const report = lines.join('\n') + '\n';

  const rows = cells.map((c) => ({
    seed: c.seed, ...(c.fold !== undefined ? { fold: c.fold } : {}), ...(c.realFraction !== undefined ? { real_fraction: c.realFraction } : {}),
    augmenter: c.augmenter, count: c.count, classifier: c.classifier,
    ...(c.task === 'identity'
      ? {
          rank1: c.rank1, mAP: c.mAP, rank5: c.rank5,
          ...Object.fromEntries([
            ...(['rank1', 'rank5', 'mAP'] as const).flatMap((m) => Object.entries(c.identity[m]).map(([cond, v]) => [`${m}_${cond}`, v])),
            ...Object.entries(c.identity.probes).map(([cond, v]) => [`probes_${cond}`, v]),
            ['gallery_gaits', c.identity.galleryGaits], ['targets', c.identity.targets],
          ]),
        }
      : { accuracy: c.accuracy, balanced_accuracy: c.balancedAccuracy, macro_f1: c.macroF1, top2: c.top2 }),
    train_real: c.trainReal, train_synthetic: c.trainSynthetic, test_gaits: c.testGaits, best_epoch: c.bestEpoch, wall_seconds: c.wallSeconds,
    ...(c.task === 'emotion' ? { ...Object.fromEntries(Object.entries(c.perClassRecall).map(([l, v]) => [`recall_${l}`, v])), confusion: c.confusion } : {}),
    key: c.key,
  }));
  rows.sort((a, b) => a.seed - b.seed || (a.fold ?? 0) - (b.fold ?? 0) || (a.real_fraction ?? 1) - (b.real_fraction ?? 1) || a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
  if (rows.length) writeRecordsParquet(path.join(runDir, 'results.parquet'), rows, { gaitforge_ablation: JSON.stringify(config) });
  files.push(
    { path: path.join(runDir, 'results.json'), data: JSON.stringify({ config, meta, summaries, comparisons, equivalence, cells: rows, generators: generatorEntries(input.generators, fids), fids }, null, 2) },
    { path: path.join(runDir, 'report.md'), data: report },
    ...(input.extraFiles ?? []).map((f) => ({ ...f, path: path.join(runDir, f.path) })),
  );
  writeFilesAtomic(files);
  return { report: path.join(runDir, 'report.md'), files: [...files.map((f) => f.path), path.join(runDir, 'results.parquet')] };
}

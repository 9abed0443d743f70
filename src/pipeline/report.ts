/**
 * The ablation's outputs: results.json and results.parquet (one row per
 * seed × augmenter × count × classifier), report.md (mean ± 95% CI per cell,
 * gain over the real-only baseline with a paired t-test across seeds, FID of
 * each generator beside the real-vs-real floor, config, versions, backend,
 * wall time) and SVG plots.
 */
import path from 'node:path';
import { writeFilesAtomic, type OutputFile } from '../core/files.js';
import { formatCI, meanCI, pairedTTest } from '../eval/stats.js';
import { writeRecordsParquet } from '../io/records.js';
import type { CellResult, FidCellResult, GeneratorCellResult } from './ablate.js';
import type { ResolvedAblation } from './config.js';
import { accuracySpec, confusionSpec, renderVegaLite, type AccuracyPoint } from './plots.js';

export interface ReportMeta {
  dataset: string;
  gaits: number;
  labelNames: string[];
  backend: string;
  versions: Record<string, string>;
  wallSeconds: number;
  date: string;
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

export interface CellSummary {
  classifier: string;
  augmenter: string;
  count: number;
  seeds: number;
  accuracy: ReturnType<typeof meanCI>;
  macroF1: ReturnType<typeof meanCI>;
  /** Paired over seeds against the same classifier's real-only cell; null for the baseline or < 2 pairs. */
  gain: { meanDiff: number; lo: number; hi: number; p: number; n: number } | null;
}

const pct = (x: number) => (100 * x).toFixed(2);

/** Mean ± CI per (classifier, augmenter, count) and the paired gain over count 0. */
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
    let gain: CellSummary['gain'] = null;
    if (count > 0) {
      const base = baseline(classifier);
      const paired = g.filter((c) => base.has(c.seed));
      if (paired.length >= 2) {
        const t = pairedTTest(paired.map((c) => c.accuracy), paired.map((c) => base.get(c.seed)!.accuracy));
        gain = { meanDiff: t.meanDiff, lo: t.lo, hi: t.hi, p: t.p, n: t.n };
      }
    }
    out.push({ classifier, augmenter, count, seeds: g.length, accuracy: meanCI(g.map((c) => c.accuracy)), macroF1: meanCI(g.map((c) => c.macroF1)), gain });
  }
  return out.sort((a, b) => a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
}

function ciPct(ci: ReturnType<typeof meanCI>): string {
  return ci.halfWidth === null ? `${pct(ci.mean)} (n = 1)` : `${pct(ci.mean)} ± ${pct(ci.halfWidth)}`;
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
    const { mean, lo, hi } = s.accuracy;
    const p = { classifier: s.classifier, count: s.count, mean, lo: lo ?? mean, hi: hi ?? mean };
    if (s.augmenter === 'none') for (const a of augmenters.length ? augmenters : ['none']) points.push({ ...p, augmenter: a });
    else points.push({ ...p, augmenter: s.augmenter });
  }
  const files: OutputFile[] = [{ path: path.join(runDir, 'plots', 'accuracy.svg'), data: await renderVegaLite(accuracySpec(points)) }];
  const confusionLinks: string[] = [];
  for (const clf of classifiers) {
    const sum = (sel: CellResult[]) => sel.reduce<number[][] | null>((acc, c) => (acc ? acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)) : c.confusion.map((r) => [...r])), null);
    const base = sum(cells.filter((c) => c.classifier === clf && c.count === 0));
    const best = summaries.filter((s) => s.classifier === clf && s.count > 0).sort((a, b) => b.accuracy.mean - a.accuracy.mean)[0];
    for (const [name, m, title] of [
      [`confusion-${clf}-real-only.svg`, base, `${clf}: real only`],
      ...(best ? [[`confusion-${clf}-best.svg`, sum(cells.filter((c) => c.classifier === clf && c.augmenter === best.augmenter && c.count === best.count)), `${clf}: + ${best.count}/label ${best.augmenter}`]] : []),
    ] as [string, number[][] | null, string][]) {
      if (!m) continue;
      files.push({ path: path.join(runDir, 'plots', name), data: await renderVegaLite(confusionSpec(meta.labelNames, m, `${title} (summed over seeds)`)) });
      confusionLinks.push(`![${title}](plots/${name})`);
    }
  }

  const lines: string[] = [];
  lines.push('# gaitforge ablation report', '');
  lines.push(`Dataset: ${meta.dataset} (${meta.gaits} real gaits; labels ${meta.labelNames.join(', ')}). Seeds: ${config.seeds.join(', ')}.`);
  lines.push(`Splits: train ${config.splits.train} / val ${config.splits.val} / test ${config.splits.test}, stratified by label${config.splits.byIdentity ? ', identity-disjoint' : ''}; the test split is real gaits only, never seen by a generator nor used for model selection.`);
  lines.push('', '## Test accuracy and macro-F1 (%, mean ± 95% CI over seeds)', '');
  lines.push('Gain: accuracy minus the same classifier\'s real-only accuracy, paired by seed (mean, 95% CI, two-sided paired t-test p).', '');
  lines.push('| classifier | augmenter | synthetic/label | seeds | accuracy | macro-F1 | gain (pp) | p |', '|---|---|---:|---:|---:|---:|---:|---:|');
  for (const s of summaries) {
    const gain = s.gain ? `${s.gain.meanDiff >= 0 ? '+' : ''}${pct(s.gain.meanDiff)} [${pct(s.gain.lo)}, ${pct(s.gain.hi)}]` : '—';
    lines.push(`| ${s.classifier} | ${s.augmenter} | ${s.count} | ${s.seeds} | ${ciPct(s.accuracy)} | ${ciPct(s.macroF1)} | ${gain} | ${s.gain ? s.gain.p.toFixed(3) : '—'} |`);
  }
  lines.push('', '![accuracy vs synthetic count](plots/accuracy.svg)', '');
  if (fids.length) {
    lines.push('## Generators: FID against the real test split (mean ± 95% CI over seeds)', '');
    lines.push('Each FID is printed beside the real-vs-real floor: the FID of two disjoint halves of the real test split, which is above 0 from sampling noise alone. A generator is only as good as its distance to that floor.', '');
    lines.push('| generator | seeds | FID (affective) | floor (affective) | FID (evaluator) | floor (evaluator) |', '|---|---:|---:|---:|---:|---:|');
    for (const g of [...new Set(fids.map((f) => f.augmenter))]) {
      const sel = fids.filter((f) => f.augmenter === g);
      const ev = sel.filter((f) => f.evaluator);
      const ci = (xs: number[]) => (xs.length ? formatCI(meanCI(xs), 3) : '—');
      lines.push(`| ${g} | ${sel.length} | ${ci(sel.map((f) => f.affective.fid))} | ${ci(sel.map((f) => f.affective.floor))} | ${ci(ev.map((f) => f.evaluator!.fid))} | ${ci(ev.map((f) => f.evaluator!.floor))} |`);
    }
    const spaces = fids.flatMap((f) => [f.affective, ...(f.evaluator ? [f.evaluator] : [])]);
    const ridged = spaces.filter((s) => s.ridge > 0 || s.warnings.some((w) => w.startsWith('floor: added a ridge')));
    if (ridged.length)
      lines.push('', `Note: ${ridged.length} of ${spaces.length} FIDs (or their floors) had a singular covariance (fewer gaits than feature dimensions, or collinear features) and were computed with a small ridge on the diagonals; results.json lists each warning and ridge.`);
    const hashes = [...new Set(fids.map((f) => f.evaluator?.checkpointHash).filter(Boolean))];
    if (hashes.length) lines.push('', `Evaluator: each seed's real-only Baseline-STEP (checkpoint ${hashes.join(', ')}).`);
    lines.push('');
  }
  if (confusionLinks.length) lines.push('## Confusion matrices', '', ...confusionLinks, '');
  if (input.appendix) lines.push(input.appendix, '');
  lines.push('## Run', '');
  lines.push(`- date: ${meta.date}`, `- backend: ${meta.backend}`, `- versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`- wall time: ${meta.wallSeconds.toFixed(1)} s (this invocation; cached cells cost nothing)`);
  lines.push(`- cells: ${cells.length} classifier runs, ${input.generators.length} generators`);
  lines.push('', '```json', JSON.stringify(config, null, 2), '```');
  const report = lines.join('\n') + '\n';

  const rows = cells.map((c) => ({
    seed: c.seed, augmenter: c.augmenter, count: c.count, classifier: c.classifier, accuracy: c.accuracy, macro_f1: c.macroF1, top2: c.top2,
    train_real: c.trainReal, train_synthetic: c.trainSynthetic, test_gaits: c.testGaits, best_epoch: c.bestEpoch, wall_seconds: c.wallSeconds,
    ...Object.fromEntries(Object.entries(c.perClassRecall).map(([l, v]) => [`recall_${l}`, v])),
    confusion: c.confusion, key: c.key,
  }));
  rows.sort((a, b) => a.seed - b.seed || a.classifier.localeCompare(b.classifier) || a.augmenter.localeCompare(b.augmenter) || a.count - b.count);
  if (rows.length) writeRecordsParquet(path.join(runDir, 'results.parquet'), rows, { gaitforge_ablation: JSON.stringify(config) });
  files.push(
    { path: path.join(runDir, 'results.json'), data: JSON.stringify({ config, meta, summaries, cells: rows, generators: input.generators, fids }, null, 2) },
    { path: path.join(runDir, 'report.md'), data: report },
    ...(input.extraFiles ?? []).map((f) => ({ ...f, path: path.join(runDir, f.path) })),
  );
  writeFilesAtomic(files);
  return { report: path.join(runDir, 'report.md'), files: [...files.map((f) => f.path), path.join(runDir, 'results.parquet')] };
}

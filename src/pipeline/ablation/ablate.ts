/**
 * `gaitforge ablate`: measures what synthetic gaits are worth. For every
 * seed it re-splits the real data (the test split is real only and is never
 * seen by a generator nor used for model selection), trains each learned
 * generator once on the train split, makes the synthetic sets, trains every
 * model on real train + synthetic, selects on val, evaluates on test
 * (run.ts over the cells of cells/), and writes results and a report
 * (report.ts). `ablate merge` joins shards run in separate folders.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentBackend } from '../../core/backend.js';
import { GaitforgeError } from '../../core/errors.js';
import { writeFilesAtomic, type OutputFile } from '../../core/files.js';
import type { GaitSet, ResolvedGrouping } from '../../core/gaitset.js';
import type { Progress } from '../../core/progress.js';
import { VERSION } from '../../core/version.js';
import { loadGenerator } from '../../generator/index.js';
import { readGaitFile } from '../../io/index.js';
import { gaitStripSvg } from '../../render/index.js';
import { machineThreads } from '../../train/parallel.js';
import { classicalAugment, type ClassicalAugmenter } from '../augment.js';
import { canonicalJson, hashFloats } from '../cache.js';
import { countsPerLabel } from './cells/classifier.js';
import { generatorModelDir } from './cells/generator.js';
import { isLearnedAugmenter, realRowsOf, resolveAblation, usesEvaluator, type AblationConfig, type ResolvedAblation } from './config.js';
import { gridCells, groupKey } from './grid.js';
import { splitSets, splitUnits, unitName } from './splits.js';
import { writeAblationReport, type ReportMeta } from './report.js';
import { compareLearnedWithClassical, summarizeCells, type AugmenterComparison, type CellSummary } from './summaries.js';
import type { AblationOutcome, FidCellResult } from './results.js';
import { collectResults, runAblation } from './run.js';

/**
 * One FID cell per generator (seed, augmenter): where a folder holds a
 * generator scored both with and without the evaluator, the one `withEvaluator`
 * asks for.
 */
function oneFidPerGenerator(fids: FidCellResult[], withEvaluator: boolean): FidCellResult[] {
  const asked = (f: FidCellResult) => f.evaluator !== null || f.evaluatorSkipped !== undefined;
  const byGenerator = new Map<string, FidCellResult>();
  for (const f of fids) {
    const k = groupKey(f);
    const had = byGenerator.get(k);
    if (!had || (asked(had) !== withEvaluator && asked(f) === withEvaluator)) byGenerator.set(k, f);
  }
  return [...byGenerator.values()];
}

/**
 * Whether two resolved configs run the same grid. `evaluator` only decides
 * which FID cells (keyed by it) are computed, so one folder holds runs with
 * and without it.
 */
function sameGrid(a: ResolvedAblation, b: ResolvedAblation): boolean {
  const grid = ({ evaluator: _, ...rest }: ResolvedAblation) => canonicalJson(rest);
  return grid(a) === grid(b);
}

/** A run folder's `ablation.json`, its config completed with what folders written before a field existed ran. */
function readManifest(file: string): RunManifest {
  const m = JSON.parse(readFileSync(file, 'utf8')) as RunManifest;
  const id = m.config.identity;
  if (id) {
    // folders written before identity.walks existed sampled their walks, and before identity.restyleLatent restyled at the posterior mean
    if (id.walks === undefined) id.walks = 'sample';
    if (id.restyleLatent === undefined) id.restyleLatent = id.walks === 'restyle' ? 'posterior' : null;
  }
  return m;
}

/** What `ablation.json` in a run folder records: the config and the data it belongs to. */
interface RunManifest {
  config: ResolvedAblation;
  dataHash: string;
  dataset: string;
  gaits: number;
  labelNames: string[];
  /** The grouping of the splits. */
  groupedBy?: ResolvedGrouping;
}

export interface AblateRequest {
  /** The real dataset (.parquet / .arrow). */
  dataPath: string;
  config: AblationConfig;
  runDir: string;
  shard?: { index: number; count: number };
  workers?: number;
  /**
   * Data-parallel threads of every training; workers × threads must not
   * exceed the machine's cores. Default 1, so results do not depend on
   * --workers (a thread count > 1 is part of every cell's cache key).
   */
  threads?: number;
  /** Write results and report after running (default true). */
  report?: boolean;
  maxNewCells?: number;
  progress?: Progress;
  /** Extra Markdown for the report (e.g. filmstrips). */
  appendix?: string;
  /** The command line that ran it, for the report and its results page. */
  command?: string;
}

export interface AblateSummary {
  runDir: string;
  /** What was measured: 'emotion' (accuracy) or 'identity' (summaries' accuracy is the mean cross-condition rank-1). */
  task: 'emotion' | 'identity';
  report: string | null;
  cells: number;
  built: number;
  complete: boolean;
  summaries: CellSummary[];
  /** Each learned augmenter against each classical one at the same classifier and count, paired by seed. */
  comparisons: AugmenterComparison[];
  wallSeconds: number;
}

/**
 * The whole `gaitforge ablate`: validates the config against the data before
 * any training, refuses a run folder that holds another experiment, runs (or
 * resumes) the grid and writes the results and report.
 */
export async function ablate(req: AblateRequest): Promise<AblateSummary> {
  const t0 = performance.now();
  const config0 = resolveAblation(req.config);
  const data = realRowsOf(await readGaitFile(req.dataPath), config0.nonReal);
  const config = resolveAblation(req.config, data);
  const dataHash = hashFloats(data.positions);
  const manifest: RunManifest = {
    config, dataHash, dataset: path.resolve(req.dataPath), gaits: data.N, labelNames: data.labelNames, ...(config.task === 'identity' ? {} : { groupedBy: data.grouping(config.splits.groupBy) }),
  };
  const manifestPath = path.join(req.runDir, 'ablation.json');
  if (existsSync(manifestPath)) {
    const old = readManifest(manifestPath);
    if (!sameGrid(old.config, config) || old.dataHash !== dataHash)
      throw new GaitforgeError('E_CONFIG', `run folder ${req.runDir} holds another ablation (different ${old.dataHash !== dataHash ? 'dataset' : 'config'}); use a new --run-dir`);
  } else writeFilesAtomic([{ path: manifestPath, data: JSON.stringify(manifest, null, 2) }]);
  const threads = ablationThreads(req.workers ?? 1, req.threads);
  const outcome = await runAblation(data, config, { runDir: req.runDir, shard: req.shard, workers: req.workers, threads, dataPath: req.dataPath, maxNewCells: req.maxNewCells, progress: req.progress });
  const wallSeconds = (performance.now() - t0) / 1000;
  let report: string | null = null;
  if (req.report !== false && outcome.cells.length > 0 && !req.shard) {
    const strips = config.task === 'identity' ? { markdown: '', files: [] } : await filmstripAppendix(data, config, req.runDir, outcome);
    const appendix = [strips.markdown, req.appendix ?? ''].filter(Boolean).join('\n\n');
    report = (await writeAblationReport(req.runDir, { config, ...outcome, meta: reportMeta(manifest, wallSeconds, req.command), appendix, extraFiles: strips.files })).report;
  }
  return { runDir: req.runDir, task: config.task ?? 'emotion', report, cells: outcome.cells.length, built: outcome.built, complete: outcome.complete, summaries: summarizeCells(outcome.cells), comparisons: compareLearnedWithClassical(outcome.cells), wallSeconds };
}

/**
 * Threads per training when `workers` run at once: `threads` (default 1;
 * E_OPTION when workers × threads exceeds the machine's cores).
 */
export function ablationThreads(workers: number, threads = 1): number {
  const cores = machineThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new GaitforgeError('E_OPTION', `invalid threads: ${threads} (expected a positive integer)`);
  if (workers * threads > cores)
    throw new GaitforgeError('E_OPTION', `workers × threads = ${workers} × ${threads} exceeds this machine's ${cores} cores; lower --workers or --threads`);
  return threads;
}

/**
 * One real and one synthetic filmstrip per label for the report: real gaits
 * from the first seed's test split, synthetic ones from that seed's first
 * learned generator (else its first classical augmenter).
 */
async function filmstripAppendix(data: GaitSet, r: ResolvedAblation, runDir: string, outcome: AblationOutcome): Promise<{ markdown: string; files: OutputFile[] }> {
  const unit = splitUnits(r)[0]!;
  const seed = unit.seed;
  const [train, , test] = splitSets(data, r, unit);
  const one = countsPerLabel(data.labelNames, 1);
  let synthetic: GaitSet | null = null;
  // the first unit's generator trained on all of its real training gaits
  const g = outcome.generators.find((x) => x.seed === seed && x.fold === unit.fold && x.realFraction === undefined);
  if (g) {
    const gen = await loadGenerator(generatorModelDir(runDir, g));
    try {
      synthetic = gen.sample(one, { seed }).withLabelNames(data.labelNames);
    } finally {
      gen.dispose();
    }
  } else {
    const classical = r.augmenters.find((a) => a !== 'none' && !isLearnedAugmenter(a));
    if (classical) synthetic = classicalAugment(train, classical as ClassicalAugmenter, one, seed, r.augment);
  }
  const files: OutputFile[] = [];
  const lines = ['## Real and synthetic gaits', '', `${unitName(unit).replace(/^s/, 'S')}: a real test gait and a ${synthetic?.generator[0] ?? 'synthetic'} gait per label (side and front views over a gait cycle).`, ''];
  for (const [l, name] of data.labelNames.entries()) {
    const realIdx = test.labels.indexOf(l);
    const synIdx = synthetic ? synthetic.labels.indexOf(l) : -1;
    const cells: string[] = [];
    if (realIdx >= 0) {
      files.push({ path: `strips/${name}-real.svg`, data: gaitStripSvg(test, realIdx, { title: `${name}: real (${test.ids[realIdx]})` }) });
      cells.push(`![${name} real](strips/${name}-real.svg)`);
    }
    if (synthetic && synIdx >= 0) {
      files.push({ path: `strips/${name}-synthetic.svg`, data: gaitStripSvg(synthetic, synIdx, { title: `${name}: ${synthetic.generator[synIdx]}` }) });
      cells.push(`![${name} synthetic](strips/${name}-synthetic.svg)`);
    }
    lines.push(...cells, '');
  }
  return { markdown: lines.join('\n'), files };
}

function reportMeta(m: RunManifest, wallSeconds: number, command?: string): ReportMeta {
  const b = currentBackend();
  return {
    dataset: m.dataset, gaits: m.gaits, labelNames: m.labelNames, backend: b ? `${b.chosen} (tfjs '${b.tfBackend}'${b.simd ? ', SIMD' : ''})` : 'unknown',
    versions: { gaitforge: VERSION, ...(b?.versions ?? {}) }, wallSeconds, date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    ...(command ? { command } : {}),
    ...(m.groupedBy ? { groupedBy: m.groupedBy } : {}),
  };
}

/**
 * `gaitforge ablate merge`: joins the results of shards run in separate
 * folders (same config and data) into one report in `outDir`.
 */
export async function mergeAblation(runDirs: string[], outDir: string, command?: string): Promise<AblateSummary> {
  const t0 = performance.now();
  if (runDirs.length === 0) throw new GaitforgeError('E_OPTION', 'ablate merge needs at least one run folder');
  const manifests = runDirs.map((d) => {
    const f = path.join(d, 'ablation.json');
    if (!existsSync(f)) throw new GaitforgeError('E_IO', `${d} is not an ablation run folder (no ablation.json)`);
    return readManifest(f);
  });
  const first = manifests[0]!;
  manifests.forEach((m, i) => {
    if (!sameGrid(m.config, first.config) || m.dataHash !== first.dataHash)
      throw new GaitforgeError('E_CONFIG', `${runDirs[i]} ran another ablation than ${runDirs[0]} (config or data differ)`);
  });
  const collected = collectResults(runDirs);
  const got = { ...collected, fids: oneFidPerGenerator(collected.fids, usesEvaluator(first.config)) };
  const want = gridCells(first.config).length;
  const wallSeconds = (performance.now() - t0) / 1000;
  if (!existsSync(path.join(outDir, 'ablation.json'))) writeFilesAtomic([{ path: path.join(outDir, 'ablation.json'), data: JSON.stringify(first, null, 2) }]);
  const report = (await writeAblationReport(outDir, { config: first.config, ...got, meta: reportMeta(first, wallSeconds, command) })).report;
  return { runDir: outDir, task: first.config.task ?? 'emotion', report, cells: got.cells.length, built: 0, complete: got.cells.length >= want, summaries: summarizeCells(got.cells), comparisons: compareLearnedWithClassical(got.cells), wallSeconds };
}

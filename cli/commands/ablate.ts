import { commaList, configFrom, defineCommand, emit, globalOptions, numberList, progressBar, say, table, type CommandOptions, type GlobalArgs } from '../util.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { SPLIT_GROUPINGS } from '../../src/core/gaitset.js';
import type { AblationConfig } from '../../src/pipeline/ablation/config.js';
import { ABLATION_TASKS, AUGMENTERS, CLASSIFIERS, IDENTITY_TASK_AUGMENTERS } from '../../src/pipeline/ablation/names.js';
import { signedPercent } from '../../src/eval/stats.js';

function parseShard(s: string | undefined): { index: number; count: number } | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) throw new GaitforgeError('E_OPTION', `--shard ${JSON.stringify(s)}: expected i/n with 1 ≤ i ≤ n (e.g. 2/8)`);
  return { index: i - 1, count: n };
}

function printSummary(lib: typeof import('../lib.js'), argv: GlobalArgs, r: import('../lib.js').AblateSummary): void {
  const pct = (x: number) => (100 * x).toFixed(1);
  const diff = (d: { meanDiff: number; lo: number; hi: number; pHolm: number | null }) =>
    `${signedPercent(d.meanDiff, 1)} [${pct(d.lo)}, ${pct(d.hi)}]${d.pHolm != null ? ` (Holm p=${d.pHolm.toFixed(3)})` : ''}`;
  const curve = new Set(r.summaries.map((s) => s.realFraction)).size > 1;
  const rows = r.summaries.map((s) => {
    const [score] = lib.summaryScores(s);
    return [s.classifier, ...(curve ? [s.realFraction] : []), s.augmenter, s.count, s.units, score.lo === null ? pct(score.mean) : `${pct(score.mean)} [${pct(score.lo)}, ${pct(score.hi!)}]`, s.gain ? diff(s.gain) : '—'];
  });
  const few = r.summaries.some((s) => s.gain && s.gain.p === null);
  const comparisons = r.comparisons.map((c) => [c.classifier, ...(curve ? [c.realFraction] : []), c.count, `${c.learned} − ${c.classical}`, c.n, diff(c)]);
  emit(argv, r, [
    ...(few ? [`warning: fewer than 5 seeds: intervals only, no p-values; do not read a gain from this run`] : []),
    table(r.task === 'identity' ? ['model', 'augmenter', 'per (target, condition)', 'seeds', 'rank-1 %', 'gain pp'] : ['classifier', ...(curve ? ['real fraction'] : []), 'augmenter', 'synthetic', 'units', 'accuracy %', 'gain pp'], rows),
    ...(comparisons.length ? ['', r.task === 'identity' ? 'generated against the control without a generator (paired by seed):' : 'generated against classical augmentation (paired by seed):', table(r.task === 'identity' ? ['model', 'per (target, condition)', 'augmenters', 'seeds', 'difference pp'] : ['classifier', ...(curve ? ['real fraction'] : []), 'synthetic', 'augmenters', 'units', 'difference pp'], comparisons)] : []),
    '',
    `${r.cells} cells (${r.built} built now${r.complete ? '' : ', grid not complete'}) in ${r.wallSeconds.toFixed(0)} s`,
    r.report ? `report: ${r.report}` : `no report written${r.complete ? '' : ' (partial run)'}`,
  ]);
}

/**
 * The options of `ablate run`; those with a `field` set that field of the
 * ablation config (over the --config file), the others are built below. The
 * config is checked as a whole, so a bad value is one error naming its field.
 */
const RUN_OPTIONS = {
  data: { type: 'string', demandOption: true, describe: 'Real gait dataset (.parquet or .arrow)' },
  config: { type: 'string', describe: 'Ablation config (JSON or YAML); CLI options override it' },
  'run-dir': { type: 'string', demandOption: true, describe: 'Run folder (cells, results, report, plots); re-run to resume' },
  task: { field: 'task', type: 'string', choices: ABLATION_TASKS, describe: "emotion (classifiers, default) or identity: GaitTAKE's cross-condition rank-1 with generated walks of training identities in unrecorded conditions (config section identity, docs/identity.md)" },
  seeds: { field: 'seeds', type: 'number', describe: 'Number of repeats (seeds 1..S)' },
  counts: {
    // a value that is not a whole number goes on as it is, for the config check to name
    field: 'counts', type: 'string', coerce: (s: string) => commaList(s).map((c) => (/^\d+$/.test(c) ? Number(c) : c)),
    describe: 'Synthetic gaits per label (task identity: per target identity and condition), comma-separated (e.g. 0,250,500)',
  },
  augmenters: { field: 'augmenters', type: 'string', coerce: commaList, describe: `Comma-separated augmenters: ${AUGMENTERS.join(', ')} (task identity: ${IDENTITY_TASK_AUGMENTERS.join(', ')})` },
  classifiers: { field: 'classifiers', type: 'string', coerce: commaList, describe: `Comma-separated classifiers: ${CLASSIFIERS.join(', ')}` },
  'group-by': { type: 'string', choices: SPLIT_GROUPINGS, describe: 'Split grouping (default auto: identity when every gait has one, else identity or recording, else gait)' },
  folds: { type: 'number', describe: 'Repeated grouped k-fold cross-validation with this many folds (splits.mode kfold; each seed is one repeat)' },
  'real-fractions': { type: 'string', describe: 'A learning curve: shares of the real training data, comma-separated (e.g. 0.1,0.25,0.5,1)' },
  'synthetic-ratio': { type: 'string', describe: 'Synthetic gaits per real training gait of each label, comma-separated (e.g. 1,5), instead of --counts' },
  'drop-synthetic': { type: 'boolean', describe: 'Run on the real rows of a dataset that also holds synthetic ones (default: refuse such data)' },
  workers: { type: 'number', default: 1, describe: 'Parallel workers (worker threads) on this machine, taking groups of cells from one longest-first queue' },
  threads: { type: 'number', describe: "Data-parallel threads of each training (default 1: results then do not depend on --workers); workers × threads ≤ this machine's cores" },
  shard: { type: 'string', describe: 'Run one slice i/n of the grid (e.g. one Slurm array task)' },
  report: { type: 'boolean', default: true, describe: 'Write results and report (--no-report for shards)' },
} as const satisfies CommandOptions<AblationConfig>;

const run = defineCommand({
  command: ['run', '$0'],
  describe: 'Run (or resume) an augmentation ablation',
  builder: (y) => globalOptions(y).options(RUN_OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const shard = parseShard(argv.shard);
    if (!Number.isInteger(argv.workers) || argv.workers < 1) throw new lib.GaitforgeError('E_OPTION', `--workers ${argv.workers}: expected a positive integer`);
    const file: AblationConfig = argv.config ? lib.loadAblationConfig(argv.config) : {};
    const fractions = argv['real-fractions'] === undefined ? undefined : numberList('real-fractions', argv['real-fractions']);
    const ratios = argv['synthetic-ratio'] === undefined ? undefined : numberList('synthetic-ratio', argv['synthetic-ratio']);
    if (ratios && argv.counts) throw new lib.GaitforgeError('E_OPTION', 'pass either --counts or --synthetic-ratio, not both');
    const { counts: _replaced, ...withoutCounts } = file;
    const groupBy = argv['group-by'];
    const config = lib.checkAblationConfig({
      ...(ratios ? withoutCounts : file), // --synthetic-ratio replaces the file's counts
      ...configFrom(RUN_OPTIONS, argv),
      ...(groupBy || argv.folds !== undefined
        ? { splits: { ...file.splits, ...(groupBy ? { groupBy } : {}), ...(argv.folds !== undefined ? { mode: 'kfold', folds: argv.folds } : {}) } }
        : {}),
      ...(fractions ? { realFractions: fractions } : {}),
      ...(ratios ? { syntheticRatio: ratios } : {}),
      ...(argv['drop-synthetic'] ? { nonReal: 'drop' } : {}),
    });
    const r = await lib.ablate({ dataPath: argv.data, config, runDir: argv['run-dir'], shard, workers: argv.workers, threads: argv.threads, report: argv.report, progress: progressBar(argv), command: `gaitforge ${process.argv.slice(2).join(' ')}` });
    say(argv, `ablation in ${argv['run-dir']}`);
    printSummary(lib, argv, r);
  },
});

const merge = defineCommand({
  command: 'merge <dirs..>',
  describe: 'Join the results of shards (run folders) into one report',
  builder: (y) =>
    globalOptions(y)
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Run folders of the shards' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for the merged results and report' }),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    printSummary(lib, argv, await lib.mergeAblation(argv.dirs, argv.out, `gaitforge ${process.argv.slice(2).join(' ')}`));
  },
});

export const ablateCommand = defineCommand({
  command: 'ablate',
  describe: 'Augmentation ablations: what synthetic gaits are worth to each classifier, or to the identity model (run, merge)',
  builder: (y) => y.command(run).command(merge),
  handler: () => undefined,
});

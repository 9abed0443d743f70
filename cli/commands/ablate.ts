import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, progressBar, say, table, type GlobalArgs } from '../util.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { signedPercent } from '../../src/eval/stats.js';

interface RunArgs extends GlobalArgs {
  data: string;
  config?: string;
  'run-dir': string;
  task?: string;
  seeds?: number;
  counts?: string;
  augmenters?: string;
  classifiers?: string;
  'group-by'?: string;
  folds?: number;
  'real-fractions'?: string;
  'synthetic-ratio'?: string;
  'drop-synthetic'?: boolean;
  workers: number;
  threads?: number;
  shard?: string;
  report: boolean;
}

interface MergeArgs extends GlobalArgs {
  dirs: string[];
  out: string;
}

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

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

const run: CommandModule<object, RunArgs> = {
  command: ['run', '$0'],
  describe: 'Run (or resume) an augmentation ablation',
  builder: (y) =>
    globalOptions(y)
      .option('data', { type: 'string', demandOption: true, describe: 'Real gait dataset (.parquet or .arrow)' })
      .option('config', { type: 'string', describe: 'Ablation config (JSON or YAML); CLI options override it' })
      .option('run-dir', { type: 'string', demandOption: true, describe: 'Run folder (cells, results, report, plots); re-run to resume' })
      .option('task', { type: 'string', choices: ['emotion', 'identity'], describe: "emotion (classifiers, default) or identity: GaitTAKE's cross-condition rank-1 with generated walks of training identities in unrecorded conditions (config section identity, docs/identity.md)" })
      .option('seeds', { type: 'number', describe: 'Number of repeats (seeds 1..S)' })
      .option('counts', { type: 'string', describe: 'Synthetic gaits per label (task identity: per target identity and condition), comma-separated (e.g. 0,250,500)' })
      .option('augmenters', { type: 'string', describe: 'none,stepgen,cvae-baseline,mirror,rotate,timewarp,noise,classical,mean-shift (task identity: none,stepgen,cvae-baseline,mean-shift)' })
      .option('classifiers', { type: 'string', describe: 'baseline-step,step,at-gcn' })
      .option('group-by', { type: 'string', choices: ['auto', 'identity', 'recording', 'identity-or-recording', 'gait'], describe: 'Split grouping (default auto: identity when every gait has one, else identity or recording, else gait)' })
      .option('folds', { type: 'number', describe: 'Repeated grouped k-fold cross-validation with this many folds (splits.mode kfold; each seed is one repeat)' })
      .option('real-fractions', { type: 'string', describe: 'A learning curve: shares of the real training data, comma-separated (e.g. 0.1,0.25,0.5,1)' })
      .option('synthetic-ratio', { type: 'string', describe: 'Synthetic gaits per real training gait of each label, comma-separated (e.g. 1,5), instead of --counts' })
      .option('drop-synthetic', { type: 'boolean', describe: 'Run on the real rows of a dataset that also holds synthetic ones (default: refuse such data)' })
      .option('workers', { type: 'number', default: 1, describe: 'Parallel workers (worker threads) on this machine, each running a shard' })
      .option('threads', { type: 'number', describe: "Data-parallel threads of each training (default 1: results then do not depend on --workers); workers × threads ≤ this machine's cores" })
      .option('shard', { type: 'string', describe: 'Run one slice i/n of the grid (e.g. one Slurm array task)' })
      .option('report', { type: 'boolean', default: true, describe: 'Write results and report (--no-report for shards)' }) as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend as never);
    const shard = parseShard(argv.shard);
    if (!Number.isInteger(argv.workers) || argv.workers < 1) throw new lib.GaitforgeError('E_OPTION', `--workers ${argv.workers}: expected a positive integer`);
    const config: import('../lib.js').AblationConfig = argv.config ? lib.loadAblationConfig(argv.config) : {};
    const counts = list(argv.counts);
    if (counts) config.counts = counts.map((c) => (/^\d+$/.test(c) ? Number(c) : (c as never)));
    if (argv.task !== undefined) config.task = argv.task as never;
    if (argv.seeds !== undefined) config.seeds = argv.seeds;
    if (argv.augmenters) config.augmenters = list(argv.augmenters) as never;
    if (argv.classifiers) config.classifiers = list(argv.classifiers) as never;
    if (argv['group-by']) config.splits = { ...(config.splits ?? {}), groupBy: argv['group-by'] as never };
    if (argv.folds !== undefined) config.splits = { ...(config.splits ?? {}), mode: 'kfold', folds: argv.folds };
    const numbers = (name: string, v: string | undefined) =>
      list(v)?.map((x) => {
        const n = Number(x);
        if (x === '' || !Number.isFinite(n)) throw new lib.GaitforgeError('E_OPTION', `--${name} ${JSON.stringify(v)}: ${JSON.stringify(x)} is not a number`);
        return n;
      });
    const fractions = numbers('real-fractions', argv['real-fractions']);
    if (fractions) config.realFractions = fractions;
    const ratios = numbers('synthetic-ratio', argv['synthetic-ratio']);
    if (ratios) {
      if (counts) throw new lib.GaitforgeError('E_OPTION', 'pass either --counts or --synthetic-ratio, not both');
      delete config.counts;
      config.syntheticRatio = ratios;
    }
    if (argv['drop-synthetic']) config.nonReal = 'drop';
    const r = await lib.ablate({ dataPath: argv.data, config, runDir: argv['run-dir'], shard, workers: argv.workers, threads: argv.threads, report: argv.report, progress: progressBar(argv), command: `gaitforge ${process.argv.slice(2).join(' ')}` });
    say(argv, `ablation in ${argv['run-dir']}`);
    printSummary(lib, argv, r);
  },
};

const merge: CommandModule<object, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'Join the results of shards (run folders) into one report',
  builder: (y) =>
    globalOptions(y)
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Run folders of the shards' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for the merged results and report' }) as unknown as Argv<MergeArgs>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend as never);
    printSummary(lib, argv, await lib.mergeAblation(argv.dirs, argv.out, `gaitforge ${process.argv.slice(2).join(' ')}`));
  },
};

export const ablateCommand: CommandModule = {
  command: 'ablate',
  describe: 'Augmentation ablations: what synthetic gaits are worth to each classifier (run, merge)',
  builder: (y) => y.command(run as CommandModule).command(merge as CommandModule),
  handler: () => undefined,
};

import { FEATURE_SPACES } from '../../src/eval/features.js';
import { defineCommand, emit, fmt, globalOptions, seedOption, table, threadsOption, type CommandOptions } from '../util.js';

const OPTIONS = {
  real: { type: 'string', demandOption: true, describe: 'Real gaits (.parquet or .arrow)' },
  fake: { type: 'string', demandOption: true, describe: 'Generated gaits (.parquet or .arrow)' },
  features: {
    type: 'string', default: 'evaluator', choices: FEATURE_SPACES,
    describe: "'evaluator': penultimate features of a frozen Baseline-STEP; 'affective': the 29 affective features (model-free)",
  },
  evaluator: { type: 'string', describe: 'Evaluator classifier directory (default: the shipped samples/evaluator when it fits the data, for T=75, V=16, 4 emotions; else one trained on --train and cached)' },
  train: { type: 'string', describe: 'Real training split, disjoint from --real: trains (once, then cached) an evaluator for data the shipped one does not fit' },
  'cache-dir': { type: 'string', describe: 'Folder of cached per-dataset evaluators (default: .gaitforge-evaluators beside the --train file)' },
  'evaluator-epochs': { type: 'number', describe: 'Epochs of a per-dataset evaluator trained on --train. Default 10' },
  seed: seedOption('Seed of the real-vs-real split'),
  threads: threadsOption("Threads of the evaluator's forward passes (worker threads on wasm/cpu; 1 on tfjs-node); the features do not depend on it. Default: this machine's cores"),
} as const satisfies CommandOptions;

export const fidCommand = defineCommand({
  command: 'fid',
  describe: 'FID of generated gaits against real gaits, next to the real-vs-real floor (evaluator or affective feature space)',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const threads = lib.resolveThreads(argv.threads);
    if (argv.evaluator !== undefined && argv.features !== 'evaluator')
      throw new lib.GaitforgeError('E_OPTION', '--evaluator is only used with --features evaluator');
    const real = await lib.readGaitFile(argv.real);
    const fake = await lib.readGaitFile(argv.fake);
    if (argv.train !== undefined && argv.features !== 'evaluator') throw new lib.GaitforgeError('E_OPTION', '--train is only used with --features evaluator');
    const train = argv.train ? await lib.readGaitFile(argv.train) : null;
    const ev = argv.features === 'evaluator'
      ? await lib.chooseEvaluator([{ set: real, name: `the real set (${argv.real})`, real: true }, { set: fake, name: `the generated set (${argv.fake})`, real: false }], {
          dir: argv.evaluator, train, trainName: argv.train, cacheDir: lib.evaluatorCacheRoot(argv['cache-dir'], argv.train), epochs: argv['evaluator-epochs'], threads,
        })
      : null;
    try {
      const r = await lib.fidFromSets(real, fake, { features: argv.features, evaluator: ev?.evaluator, evaluatorName: ev?.name, seed: argv.seed, threads });
      const space = ev ? `evaluator (Baseline-STEP ${r.evaluatorHash}): ${ev.description}` : `affective (${r.dim} features, min–max scaled on the real set)`;
      emit(argv, { real: argv.real, fake: argv.fake, ...r, evaluatorDir: ev?.dir ?? null, evaluatorUsed: lib.evaluatorUsed(ev) }, [
        `feature space: ${space}`,
        table(['', 'gaits', 'FID'], [
          ['generated vs real reference', `${r.n} vs ${r.n}`, fmt(r.fid)],
          ['real vs real reference (floor)', `${r.floorN} vs ${r.n}`, fmt(r.floor)],
          ['generated vs real, all gaits', `${r.fakeGaits} vs ${r.realGaits}`, fmt(r.fidAll)],
        ]),
        `read the first two rows together: same reference, equal sizes (FID grows as the sets shrink, so the all-gaits row is not comparable with the floor); all gaits: mean term ${fmt(r.meanTerm)} + covariance term ${fmt(r.covTerm)}`,
        ...r.warnings.map((w) => `warning: ${w}`),
      ]);
    } finally {
      ev?.evaluator.dispose();
    }
  },
});

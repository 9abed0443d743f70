import type { Argv, CommandModule } from 'yargs';
import { emit, fmt, globalOptions, table, threadsOption, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  real: string;
  fake: string;
  evaluator?: string;
  features: string;
  seed: number;
  threads: number;
}

export const fidCommand: CommandModule<object, Args> = {
  command: 'fid',
  describe: 'FID of generated gaits against real gaits, next to the real-vs-real floor (evaluator or affective feature space)',
  builder: (y) =>
    globalOptions(y)
      .option('real', { type: 'string', demandOption: true, describe: 'Real gaits (.parquet or .arrow)' })
      .option('fake', { type: 'string', demandOption: true, describe: 'Generated gaits (.parquet or .arrow)' })
      .option('features', {
        type: 'string', default: 'evaluator', choices: ['evaluator', 'affective'],
        describe: "'evaluator': penultimate features of a frozen Baseline-STEP; 'affective': the 29 affective features (model-free)",
      })
      .option('evaluator', { type: 'string', describe: 'Evaluator classifier directory (default: the shipped samples/evaluator, for T=75, V=16, 4 emotions)' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed of the real-vs-real split' })
      .option('threads', threadsOption("Threads of the evaluator's forward passes (worker threads on wasm/cpu; 1 on tfjs-node); the features do not depend on it. Default: this machine's cores")) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../../src/index.js');
    await lib.initBackend(argv.backend as never);
    const threads = lib.resolveThreads(argv.threads);
    if (argv.evaluator !== undefined && argv.features !== 'evaluator')
      throw new lib.GaitforgeError('E_OPTION', '--evaluator is only used with --features evaluator');
    const real = await lib.readGaitFile(argv.real);
    const fake = await lib.readGaitFile(argv.fake);
    const ev = argv.features === 'evaluator' ? await lib.loadEvaluator(argv.evaluator) : null;
    try {
      const r = await lib.fidFromSets(real, fake, { features: argv.features as never, evaluator: ev?.evaluator, evaluatorName: ev?.name, seed: argv.seed, threads });
      const space = ev ? `evaluator (Baseline-STEP ${r.evaluatorHash}, ${ev.dir})` : `affective (${r.dim} features, min–max scaled on the real set)`;
      emit(argv, { real: argv.real, fake: argv.fake, ...r, evaluatorDir: ev?.dir ?? null }, [
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
};

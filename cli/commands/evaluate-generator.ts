import { LATENT_PRIORS } from '../../src/generator/latent.js';
import { defineCommand, emit, globalOptions, PRIOR_HELP, progressBar, seedOption, table, threadsOption, type CommandOptions } from '../util.js';

type Lib = typeof import('../lib.js');
type GeneratorEvaluation = import('../lib.js').GeneratorEvaluation;

/** The evaluation as text: one table of generated vs real, then the verdicts and warnings; `evaluatorUsed` says which evaluator ran (null: none). */
export function evaluationText(lib: Lib, e: GeneratorEvaluation, evaluatorUsed: string | null): string[] {
  const rows = lib.evaluationRows(e);
  const counts = Object.entries(e.counts).map(([l, c]) => `${l} ${c}`).join(', ');
  const evaluator = e.evaluator
    ? `evaluator ${e.evaluator.scheme === 'cross-fit' ? 'Baseline-STEP × 2' : 'Baseline-STEP'} ${e.evaluator.folds.map((f) => f.checkpointHash).join(', ')}: ${evaluatorUsed}`
    : 'no evaluator (affective space only)';
  return [
    `generator ${e.generator.tag}; ${evaluator}`,
    `${e.repeats} draws (seed ${e.seed}${e.prior ? `, ${e.prior} prior, temperature ${e.temperature}` : ''}${e.steps !== null ? `, ${e.steps} steps, guidance ${e.guidance}` : ''}): each splits the ${e.realGaits} real gaits into a reference half (${e.referenceGaits}) and a held-out half (${e.heldOutHalfGaits}) and samples ${e.generatedPerDraw} gaits (${counts})`,
    '',
    table(['metric (mean ± 95% CI)', 'generated', 'real'], rows),
    '',
    ...(e.memorisation ? [`memorisation: ${e.memorisation.flaggedDraws} of ${e.repeats} draws flagged; ${e.memorisation.reason}`] : ['memorisation: not checked (pass --train)']),
    ...(e.recognition && !e.recognition.trainingCopyRatio ? ['recognition ratio: no training-set copy to anchor it against (pass --train)'] : []),
    ...e.warnings.map((w) => `warning: ${w}`),
    `${e.seconds.toFixed(1)} s`,
  ];
}

const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Generator directory (from train-generator)' },
  real: { type: 'string', demandOption: true, describe: 'Held-out real gaits the generator did not train on (.parquet or .arrow)' },
  train: { type: 'string', describe: "The generator's training gaits: enables the memorisation check" },
  'per-label': { type: 'number', describe: 'Generated gaits per label in each draw (default: as many as the held-out half of --real has)' },
  repeats: { type: 'number', default: 10, describe: 'Independent draws (R) for the confidence intervals' },
  features: {
    type: 'string', default: 'all', choices: ['all', 'affective'],
    describe: "'all': affective and evaluator feature spaces; 'affective': no evaluator (data unlike the shipped evaluator's)",
  },
  evaluator: {
    type: 'string',
    describe: "An evaluator classifier directory to score with as it is (default: two Baseline-STEPs cross-fitted on --real, each trained on one half and scoring the other, so none has seen the generator's training gaits)",
  },
  'cache-dir': { type: 'string', describe: 'Folder of cached cross-fitted evaluators (default: .gaitforge-evaluators beside the --real file)' },
  'evaluator-epochs': { type: 'number', describe: 'Epochs of each cross-fitted evaluator. Default 10' },
  temperature: { type: 'number', describe: 'STEP-Gen: scale of the latent noise (default 1)' },
  prior: { type: 'string', choices: LATENT_PRIORS, describe: `STEP-Gen: ${PRIOR_HELP}` },
  steps: { type: 'number', describe: "flow: integration steps of the sampler (default: the model's)" },
  guidance: { type: 'number', describe: "flow: classifier-free guidance W (default: the model's)" },
  seed: seedOption('Random seed (splits and samples of every draw)'),
  threads: threadsOption("Threads decoding the generated gaits and running the evaluator (worker threads on wasm/cpu; 1 on tfjs-node); the results do not depend on it. Default: this machine's cores"),
} as const satisfies CommandOptions;

export const evaluateGeneratorCommand = defineCommand({
  command: 'evaluate-generator',
  describe: 'Score a trained generator against held-out real gaits: FID (with the real-vs-real floor), Diversity, MultiModality, recognition accuracy, memorisation, plausibility; mean ± 95% CI over R draws',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const threads = lib.resolveThreads(argv.threads);
    if (argv.evaluator !== undefined && argv.features === 'affective') throw new lib.GaitforgeError('E_OPTION', '--evaluator is not used with --features affective');
    const real = await lib.readGaitFile(argv.real);
    const train = argv.train ? await lib.readGaitFile(argv.train) : undefined;
    const gen = await lib.loadGenerator(argv.model);
    let given: Awaited<ReturnType<typeof lib.chooseEvaluator>> | null = null;
    let crossFit: Awaited<ReturnType<typeof lib.crossFitEvaluators>> | null = null;
    try {
      if (argv.features === 'all' && argv.evaluator !== undefined) given = await lib.chooseEvaluator([{ set: real, name: `the real set (${argv.real})`, real: true }], { dir: argv.evaluator });
      else if (argv.features === 'all')
        crossFit = await lib.crossFitEvaluators(real, {
          name: `the real set (${argv.real})`, cacheDir: lib.evaluatorCacheRoot(argv['cache-dir'], argv.real), epochs: argv['evaluator-epochs'], threads, progress: progressBar(argv),
        });
      const e = await lib.evaluateGenerator(gen, real, {
        seed: argv.seed, perLabel: argv['per-label'], repeats: argv.repeats, temperature: argv.temperature, prior: argv.prior, steps: argv.steps, guidance: argv.guidance,
        evaluator: crossFit?.folds ?? given?.evaluator ?? null, evaluatorName: given?.name, train, threads, progress: progressBar(argv),
      });
      const description = crossFit?.description ?? (given ? `${given.description}; it scores all of --real, so its ratio is anchored at 1 only if it never trained on the generator's training gaits` : null);
      const evaluatorUsed = crossFit
        ? { source: 'cross-fit', dirs: crossFit.dirs, checkpointHashes: crossFit.folds.map((f) => f.classifier.checkpointHash), description: crossFit.description, records: crossFit.records }
        : lib.evaluatorUsed(given);
      emit(argv, { model: argv.model, real: argv.real, train: argv.train ?? null, evaluatorUsed, ...e }, evaluationText(lib, e, description));
    } finally {
      crossFit?.dispose();
      given?.evaluator.dispose();
      gen.dispose();
    }
  },
});

import { defineCommand, emit, globalOptions, progressBar, seedOption, type CommandOptions } from '../util.js';

const OPTIONS = {
  seed: seedOption("Random seed: offsets every repeat's seed, so another seed draws other walkers, splits and initialisations"),
  full: { type: 'boolean', default: false, describe: "Paper-sized configuration: every generator, augmenter and classifier at STEP's counts (hours on wasm; meant for a GPU)" },
  out: { type: 'string', default: 'gaitforge-demo', describe: 'Output folder (re-run to resume)' },
  workers: { type: 'number', describe: 'Worker threads running the ablation (default: the cores, at most 2 for the quick demo)' },
} as const satisfies CommandOptions;

export const demo = defineCommand({
  command: 'demo',
  describe: "Run the main job end to end on the built-in procedural data: does STEP gain from STEP-Gen's gaits? Trains and scores STEP-Gen, trains STEP with and without its gaits over 7 walker-disjoint splits, writes the report and a GLB",
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const { initBackend, runDemo } = await import('../lib.js');
    const backend = await initBackend(argv.backend);
    const r = await runDemo({ seed: argv.seed, full: argv.full, outDir: argv.out, workers: argv.workers, progress: progressBar(argv) });
    emit(argv, { backend: backend.chosen, ...r }, [`gaitforge demo (${backend.chosen} backend):`, ...r.steps.map((s) => `- ${s}`)]);
  },
});

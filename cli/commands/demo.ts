import type { CommandModule } from 'yargs';
import { emit, globalOptions, progressBar, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  seed: number;
  full: boolean;
  out: string;
  workers?: number;
}

export const demo: CommandModule<object, Args> = {
  command: 'demo',
  describe: 'Run the main job end to end on the built-in procedural data: train STEP-Gen and the baseline CVAE, FID, augmentation ablation, report, GLB',
  builder: (y) =>
    globalOptions(y)
      .option('seed', { type: 'number', default: 1, describe: 'Random seed' })
      .option('full', { type: 'boolean', default: false, describe: 'Paper-sized configuration (hours on wasm; meant for a GPU)' })
      .option('out', { type: 'string', default: 'gaitforge-demo', describe: 'Output folder (re-run to resume)' })
      .option('workers', { type: 'number', describe: 'Worker threads running the ablation (default: the cores, at most 2 for the quick demo)' }) as never,
  handler: async (argv) => {
    const { initBackend, runDemo } = await import('../lib.js');
    const backend = await initBackend(argv.backend as never);
    const r = await runDemo({ seed: argv.seed, full: argv.full, outDir: argv.out, workers: argv.workers, progress: progressBar(argv) });
    emit(argv, { backend: backend.chosen, ...r }, [`gaitforge demo (${backend.chosen} backend):`, ...r.steps.map((s) => `- ${s}`)]);
  },
};

import type { CommandModule } from 'yargs';
import { emit, globalOptions, progressBar, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  seed: number;
  full: boolean;
}

export const demo: CommandModule<object, Args> = {
  command: 'demo',
  describe: 'Run the main job end to end on the built-in procedural demo data',
  builder: (y) =>
    globalOptions(y)
      .option('seed', { type: 'number', default: 1, describe: 'Random seed' })
      .option('full', { type: 'boolean', default: false, describe: 'Paper-sized configuration (slow)' }) as never,
  handler: async (argv) => {
    const { runDemo } = await import('../../src/index.js');
    const r = await runDemo({ seed: argv.seed, full: argv.full }, progressBar(argv));
    emit(argv, r, ['gaitforge demo:', ...r.steps.map((s) => `- ${s}`)]);
  },
};

import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  model: string;
  data: string;
}

export const evaluateCommand: CommandModule<object, Args> = {
  command: 'evaluate',
  describe: 'Evaluate a trained classifier on labelled gaits: accuracy, macro-F1, per-class recall, confusion matrix, top-2, identity rank-1 (AT-GCN)',
  builder: (y) =>
    globalOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'Classifier directory written by train-classifier' })
      .option('data', { type: 'string', demandOption: true, describe: 'Test gaits (.parquet or .arrow); labels are matched to the model by name' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../../src/index.js');
    await lib.initBackend(argv.backend as never);
    const clf = await lib.loadClassifier(argv.model);
    try {
      const set = await lib.readGaitFile(argv.data);
      const ev = lib.evaluateClassifier(clf, set);
      emit(argv, ev, [`${argv.data} with ${argv.model} (${clf.kind}, checkpoint ${clf.checkpointHash})`, '', lib.evaluationMarkdown(ev)]);
    } finally {
      clf.dispose();
    }
  },
};

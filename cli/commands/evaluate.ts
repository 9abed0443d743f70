import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, threadsOption, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  model: string;
  data: string;
  'gallery-condition': string;
  threads: number;
}

export const evaluateCommand: CommandModule<object, Args> = {
  command: 'evaluate',
  describe: 'Evaluate a trained classifier on labelled gaits: accuracy, macro-F1, per-class recall, confusion matrix, top-2, and (AT-GCN) cross-condition identification',
  builder: (y) =>
    globalOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'Classifier directory written by train-classifier' })
      .option('data', { type: 'string', demandOption: true, describe: 'Test gaits (.parquet or .arrow); labels are matched to the model by name' })
      .option('gallery-condition', { type: 'string', default: 'neutral', describe: "AT-GCN's identity embeddings: the label whose walks form the gallery; the walks of every other label are the probes" })
      .option('threads', threadsOption("Threads of the classifier's forward passes (worker threads on wasm/cpu; 1 on tfjs-node); the results do not depend on it. Default: this machine's cores")) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend as never);
    const threads = lib.resolveThreads(argv.threads);
    const clf = await lib.loadClassifier(argv.model);
    try {
      const set = await lib.readGaitFile(argv.data);
      const ev = await lib.evaluateClassifierOnThreads(clf, set, { threads, galleryCondition: argv['gallery-condition'] });
      emit(argv, ev, [`${argv.data} with ${argv.model} (${clf.kind}, checkpoint ${clf.checkpointHash})`, '', lib.evaluationMarkdown(ev)]);
    } finally {
      clf.dispose();
    }
  },
};

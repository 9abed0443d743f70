import { defineCommand, emit, globalOptions, threadsOption, type CommandOptions } from '../util.js';

const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Classifier directory written by train-classifier' },
  data: { type: 'string', demandOption: true, describe: 'Test gaits (.parquet or .arrow); labels are matched to the model by name' },
  'gallery-condition': { type: 'string', default: 'neutral', describe: "AT-GCN's identity embeddings: the label whose walks form the gallery; the walks of every other label are the probes" },
  threads: threadsOption("Threads of the classifier's forward passes (worker threads on wasm/cpu; 1 on tfjs-node); the results do not depend on it. Default: this machine's cores"),
} as const satisfies CommandOptions;

export const evaluateCommand = defineCommand({
  command: 'evaluate',
  describe: 'Evaluate a trained classifier on labelled gaits: accuracy, macro-F1, per-class recall, confusion matrix, top-2, and (AT-GCN) cross-condition identification',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
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
});

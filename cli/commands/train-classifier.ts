import { CLASSIFIER_KINDS, CLASSIFIER_SELECTIONS, type ClassifierConfig } from '../../src/classifier/config.js';
import { configFrom, defineCommand, emit, fmt, globalOptions, progressBar, say, seedOption, table, threadsOption, stopOnSigint, type CommandOptions } from '../util.js';

/** The options; those with a `field` set that ClassifierConfig field. */
const OPTIONS = {
  model: { type: 'string', demandOption: true, choices: CLASSIFIER_KINDS, describe: 'Classifier architecture' },
  train: { type: 'string', demandOption: true, describe: 'Real training gaits (.parquet or .arrow)' },
  augment: { type: 'string', array: true, describe: 'Synthetic gait files added to the training set (never to validation)' },
  val: { type: 'string', describe: 'Validation gaits (default: --val-fraction of the real --train gaits, grouped by walker, else by recording)' },
  'val-fraction': { type: 'number', describe: 'Fraction of the real training gaits held out for validation (default 0.15)' },
  out: { type: 'string', demandOption: true, describe: 'Model directory to write (model.json, weights.bin, meta.json, history.json, curves.svg)' },
  epochs: { field: 'epochs', type: 'number', describe: 'Training epochs (default 40)' },
  'batch-size': { field: 'batchSize', type: 'number', describe: 'Gaits per step (default 16)' },
  lr: { field: 'lr', type: 'number', describe: 'Adam learning rate (default 0.003; ×0.1 at 50% and 75% of the epochs)' },
  'weight-decay': { field: 'weightDecay', type: 'number', describe: 'L2 weight decay on kernels (default 5e-4)' },
  balanced: { field: 'balanced', type: 'boolean', describe: 'Class-balanced sampling (every label equally likely per draw)' },
  'temporal-kernel': { field: 'temporalKernel', type: 'number', describe: 'Temporal kernel of the ST-GCN layers (odd, default 9)' },
  dropout: { field: 'dropout', type: 'number', describe: 'Dropout rate (default 0.1)' },
  hidden: { field: 'hidden', type: 'number', describe: 'AT-GCN: hidden channels per joint of the graph GRU (default 32)' },
  'frame-stride': { field: 'frameStride', type: 'number', describe: 'AT-GCN: use every k-th frame (default 2)' },
  identity: { type: 'boolean', describe: 'AT-GCN: identity task on/off (default on; --no-identity)' },
  'next-frame': { type: 'boolean', describe: 'AT-GCN: next-frame prediction task on/off (default on; --no-next-frame)' },
  'select-by': { field: 'selectBy', type: 'string', choices: CLASSIFIER_SELECTIONS, describe: 'Which epoch is the model: highest validation accuracy, lowest validation loss, or the last (default accuracy)' },
  seed: seedOption('Random seed (initialisation, validation split, batches, dropout)'),
  resume: { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" },
  threads: threadsOption(),
} as const satisfies CommandOptions<ClassifierConfig>;

export const trainClassifierCommand = defineCommand({
  command: 'train-classifier',
  describe: 'Train a gait emotion classifier (Baseline-STEP, STEP or AT-GCN) on real gaits, optionally augmented with synthetic ones; selects the epoch on a validation split',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    if (argv.val && argv['val-fraction'] !== undefined) throw new lib.GaitforgeError('E_OPTION', 'pass either --val or --val-fraction, not both');
    const config: ClassifierConfig = {
      ...configFrom(OPTIONS, argv),
      tasks: { ...(argv.identity !== undefined ? { identity: argv.identity } : {}), ...(argv['next-frame'] !== undefined ? { nextFrame: argv['next-frame'] } : {}) },
    };
    lib.resolveClassifierConfig(config); // option errors before any file is read
    await lib.initBackend(argv.backend);
    const real = await lib.readGaitFile(argv.train);
    const synthetic = [];
    for (const f of argv.augment ?? []) {
      const s = await lib.readGaitFile(f);
      // augmenting files count as synthetic whatever their source column says: they never enter validation
      synthetic.push(new lib.GaitSet({ ...s, positions: s.positions, labels: s.labels, labelNames: s.labelNames, T: s.T, source: s.source.map(() => 'synthetic' as const) }, { validateValues: false }));
    }
    const train = synthetic.length ? lib.GaitSet.concat([real, ...synthetic]) : real;
    const val = argv.val ? await lib.readGaitFile(argv.val) : undefined;
    say(argv, `training ${argv.model} on ${real.N} real${synthetic.length ? ` + ${train.N - real.N} synthetic` : ''} gaits (${train.labelNames.join(', ')})`);
    const stop = stopOnSigint(argv);
    const r = await lib.trainClassifier(argv.model, train, config, {
      outDir: argv.out, seed: argv.seed, val, valFraction: argv['val-fraction'], progress: progressBar(argv),
      resume: argv.resume, signal: stop.signal, threads: argv.threads,
    });
    stop.done();
    if (!r.completed) {
      emit(argv, { dir: r.dir, completed: false, epochs: r.history.length }, `stopped after epoch ${r.history.length}: resume with --resume`);
      return;
    }
    const best = r.history[r.bestEpoch - 1]!;
    const last = r.history[r.history.length - 1]!;
    const row = (name: string, h: typeof best) => [name, h.epoch, fmt(h.trainLoss), fmt(h.trainAccuracy, 3), h.valLoss != null ? fmt(h.valLoss) : '—', h.valAccuracy != null ? fmt(h.valAccuracy, 3) : '—'];
    const dropped = r.syntheticDropped > 0
      ? [`left ${r.syntheticDropped} synthetic gait${r.syntheticDropped > 1 ? 's' : ''} out of training: ${r.syntheticDropped > 1 ? 'they share' : 'it shares'} a walker or recording with the validation gaits (meta.json trainSyntheticDropped)`]
      : [];
    emit(argv, { dir: r.dir, bestEpoch: r.bestEpoch, bestValAccuracy: r.bestValAccuracy, checkpointHash: r.checkpointHash, syntheticDropped: r.syntheticDropped, best, last }, [
      ...dropped,
      `trained ${argv.model}: ${r.dir} (best epoch ${r.bestEpoch} of ${r.history.length} by validation accuracy, checkpoint ${r.checkpointHash})`,
      table(['', 'epoch', 'train loss', 'train acc', 'val loss', 'val acc'], [row('best', best), row('last', last)]),
      `${fmt(last.samplesPerSec, 3)} training gaits/s in the last epoch; curves: ${r.dir}/curves.svg, ${r.dir}/history.json`,
    ]);
  },
});

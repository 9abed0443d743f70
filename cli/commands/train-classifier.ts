import type { Argv, CommandModule } from 'yargs';
import { emit, fmt, globalOptions, progressBar, say, table, threadsOption, stopOnSigint, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  model: string;
  train: string;
  augment?: string[];
  val?: string;
  'val-fraction'?: number;
  out: string;
  epochs?: number;
  'batch-size'?: number;
  lr?: number;
  'weight-decay'?: number;
  balanced?: boolean;
  'temporal-kernel'?: number;
  dropout?: number;
  hidden?: number;
  'frame-stride'?: number;
  identity?: boolean;
  'next-frame'?: boolean;
  'select-by'?: string;
  seed: number;
  threads: number;
  resume: boolean;
}

export const trainClassifierCommand: CommandModule<object, Args> = {
  command: 'train-classifier',
  describe: 'Train a gait emotion classifier (Baseline-STEP, STEP or AT-GCN) on real gaits, optionally augmented with synthetic ones; selects the epoch on a validation split',
  builder: (y) =>
    globalOptions(y)
      .option('model', { type: 'string', demandOption: true, choices: ['baseline-step', 'step', 'at-gcn'], describe: 'Classifier architecture' })
      .option('train', { type: 'string', demandOption: true, describe: 'Real training gaits (.parquet or .arrow)' })
      .option('augment', { type: 'string', array: true, describe: 'Synthetic gait files added to the training set (never to validation)' })
      .option('val', { type: 'string', describe: 'Validation gaits (default: --val-fraction of the real --train gaits, grouped by walker, else by recording)' })
      .option('val-fraction', { type: 'number', describe: 'Fraction of the real training gaits held out for validation (default 0.15)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Model directory to write (model.json, weights.bin, meta.json, history.json, curves.svg)' })
      .option('epochs', { type: 'number', describe: 'Training epochs (default 40)' })
      .option('batch-size', { type: 'number', describe: 'Gaits per step (default 16)' })
      .option('lr', { type: 'number', describe: 'Adam learning rate (default 0.003; ×0.1 at 50% and 75% of the epochs)' })
      .option('weight-decay', { type: 'number', describe: 'L2 weight decay on kernels (default 5e-4)' })
      .option('balanced', { type: 'boolean', describe: 'Class-balanced sampling (every label equally likely per draw)' })
      .option('temporal-kernel', { type: 'number', describe: 'Temporal kernel of the ST-GCN layers (odd, default 9)' })
      .option('dropout', { type: 'number', describe: 'Dropout rate (default 0.1)' })
      .option('hidden', { type: 'number', describe: 'AT-GCN: hidden channels per joint of the graph GRU (default 32)' })
      .option('frame-stride', { type: 'number', describe: 'AT-GCN: use every k-th frame (default 2)' })
      .option('identity', { type: 'boolean', describe: 'AT-GCN: identity task on/off (default on; --no-identity)' })
      .option('next-frame', { type: 'boolean', describe: 'AT-GCN: next-frame prediction task on/off (default on; --no-next-frame)' })
      .option('select-by', { type: 'string', choices: ['accuracy', 'loss', 'last'], describe: 'Which epoch is the model: highest validation accuracy, lowest validation loss, or the last (default accuracy)' })
      .option('seed', { type: 'number', default: 1, describe: 'Random seed (initialisation, validation split, batches, dropout)' })
      .option('resume', { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" })
      .option('threads', threadsOption()) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    if (argv.val && argv['val-fraction'] !== undefined) throw new lib.GaitforgeError('E_OPTION', 'pass either --val or --val-fraction, not both');
    const config: import('../lib.js').ClassifierConfig = {
      epochs: argv.epochs, batchSize: argv['batch-size'], lr: argv.lr, weightDecay: argv['weight-decay'], balanced: argv.balanced,
      temporalKernel: argv['temporal-kernel'], dropout: argv.dropout, hidden: argv.hidden, frameStride: argv['frame-stride'],
      selectBy: argv['select-by'] as import('../lib.js').ClassifierConfig['selectBy'],
      tasks: { ...(argv.identity !== undefined ? { identity: argv.identity } : {}), ...(argv['next-frame'] !== undefined ? { nextFrame: argv['next-frame'] } : {}) },
    };
    lib.resolveClassifierConfig(config); // option errors before any file is read
    await lib.initBackend(argv.backend as never);
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
    const r = await lib.trainClassifier(argv.model as never, train, config, {
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
};

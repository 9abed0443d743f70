import type { Argv, CommandModule } from 'yargs';
import { emit, fmt, globalOptions, progressBar, say, threadsOption, stopOnSigint, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  model: string;
  train: string;
  out: string;
  epochs?: number;
  lr?: number;
  'identities-per-batch'?: number;
  'walks-per-identity'?: number;
  heads?: number;
  'embedding-dim'?: number;
  channels?: string;
  triplet?: string;
  margin?: number;
  'cross-entropy'?: number;
  'gem-p'?: number;
  'frame-stride'?: number;
  'val-fraction'?: number;
  'gallery-condition': string;
  hidden?: number;
  bones?: boolean;
  pooling?: string;
  'augment-noise'?: number;
  normalize?: boolean;
  seed: number;
  threads: number;
  resume: boolean;
}

export const trainIdentityCommand: CommandModule<object, Args> = {
  command: 'train-identity',
  describe: 'Train a gait identity model (GaitTAKE: temporal attention, GeM, triplet loss; or AT-GCN with its identity head) on gaits with identities',
  builder: (y) =>
    globalOptions(y)
      .option('model', { type: 'string', demandOption: true, choices: ['gaittake', 'at-gcn'], describe: 'Identity model' })
      .option('train', { type: 'string', demandOption: true, describe: 'Training gaits with identities (.parquet or .arrow)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Model directory to write' })
      .option('epochs', { type: 'number', describe: 'Training epochs (gaittake default 60, at-gcn default 40)' })
      .option('lr', { type: 'number', describe: 'Adam learning rate (gaittake default 0.001, at-gcn 0.003)' })
      .option('identities-per-batch', { type: 'number', describe: 'gaittake: P of the P×K batches (default 8)' })
      .option('walks-per-identity', { type: 'number', describe: 'gaittake: K of the P×K batches (default 4)' })
      .option('heads', { type: 'number', describe: 'gaittake: parallel embedding heads (default 4)' })
      .option('embedding-dim', { type: 'number', describe: 'gaittake: dimension of each head (default 64)' })
      .option('channels', { type: 'string', describe: 'gaittake: comma-separated ST-GCN block widths (default 32,64,64)' })
      .option('triplet', { type: 'string', choices: ['weighted', 'batch-hard'], describe: "gaittake: triplet loss form (default GaitTAKE's weighted)" })
      .option('margin', { type: 'number', describe: 'gaittake: triplet margin (default 0.5)' })
      .option('cross-entropy', { type: 'number', describe: 'gaittake: weight of an identity cross-entropy head (default 0 = none)' })
      .option('gem-p', { type: 'number', describe: 'gaittake: initial GeM exponent, learned (default 3)' })
      .option('frame-stride', { type: 'number', describe: 'Use every k-th frame (default 2)' })
      .option('val-fraction', { type: 'number', describe: 'gaittake: fraction of training identities held out to select the epoch (default 0.2; 0 = last epoch). at-gcn: its validation split (default 0.15)' })
      .option('gallery-condition', { type: 'string', default: 'neutral', describe: 'gaittake: gallery condition (label) of the validation protocol' })
      .option('augment-noise', { type: 'number', describe: 'gaittake: fresh pose-estimator noise (m) added to every training batch (default 0 = off)' })
      .option('pooling', { type: 'string', choices: ['parts', 'all'], describe: 'gaittake: GeM within each body part (default) or over all joints' })
      .option('bones', { type: 'boolean', describe: "gaittake: append each joint's bone vector and length to the input (default on; --no-bones)" })
      .option('normalize', { type: 'boolean', describe: 'gaittake: unit-length embeddings per head (default on; --no-normalize)' })
      .option('hidden', { type: 'number', describe: 'at-gcn: hidden channels per joint (default 32)' })
      .option('seed', { type: 'number', default: 1, describe: 'Random seed (initialisation, splits, batches)' })
      .option('resume', { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" })
      .option('threads', threadsOption()) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const only: Record<string, string[]> = {
      gaittake: ['identities-per-batch', 'walks-per-identity', 'heads', 'embedding-dim', 'channels', 'triplet', 'margin', 'cross-entropy', 'gem-p', 'augment-noise', 'pooling', 'bones', 'normalize'],
      'at-gcn': ['hidden'],
    };
    for (const [kind, flags] of Object.entries(only))
      for (const flag of flags)
        if (kind !== argv.model && (argv as unknown as Record<string, unknown>)[flag] !== undefined)
          throw new lib.GaitforgeError('E_OPTION', `--${flag} applies to --model ${kind} only, not ${argv.model}`);
    const channels = argv.channels?.split(',').map((s) => Number(s.trim()));
    const config = argv.model === 'gaittake'
      ? lib.resolveIdentityConfig({
        epochs: argv.epochs, lr: argv.lr, P: argv['identities-per-batch'], K: argv['walks-per-identity'], heads: argv.heads, embeddingDim: argv['embedding-dim'],
        channels, triplet: argv.triplet as never, margin: argv.margin, crossEntropyWeight: argv['cross-entropy'], gemP: argv['gem-p'],
        frameStride: argv['frame-stride'], valFraction: argv['val-fraction'], bones: argv.bones, normalize: argv.normalize, augmentNoise: argv['augment-noise'], pooling: argv.pooling as never,
      })
      : lib.resolveClassifierConfig({ epochs: argv.epochs, lr: argv.lr, hidden: argv.hidden, frameStride: argv['frame-stride'] });
    await lib.initBackend(argv.backend as never);
    const set = await lib.readGaitFile(argv.train);
    say(argv, `training ${argv.model} on ${set.N} gaits of ${new Set(set.identity).size} identities`);
    const stop = stopOnSigint(argv);
    const r = await lib.trainIdentityModel(argv.model as never, set, config, {
      outDir: argv.out, seed: argv.seed, progress: progressBar(argv), galleryCondition: argv['gallery-condition'],
      valFraction: argv.model === 'at-gcn' ? argv['val-fraction'] : undefined,
      resume: argv.resume, signal: stop.signal, threads: argv.threads,
    });
    stop.done();
    if (!r.completed) {
      emit(argv, { dir: r.dir, completed: false, epochs: r.kind === 'gaittake' ? r.history.length : null }, `stopped${r.kind === 'gaittake' ? ` after epoch ${r.history.length}` : ''}: resume with --resume`);
      return;
    }
    emit(argv, r, [
      `trained ${r.kind}: ${r.dir} (checkpoint ${r.checkpointHash}, epoch ${r.bestEpoch}${r.bestValRank1 != null ? `, validation rank-1 ${fmt(r.bestValRank1, 3)}` : ''}; ${r.trainIdentities.length} training identities)`,
    ]);
  },
};

import type { ClassifierConfig } from '../../src/classifier/config.js';
import { GEM_POOLINGS, IDENTITY_MODEL_KINDS, IDENTITY_PRESETS, TRIPLET_MODES, type IdentityConfig } from '../../src/identity/config.js';
import { configFrom, defineCommand, emit, fmt, globalOptions, progressBar, say, seedOption, threadsOption, stopOnSigint, type CommandOptions } from '../util.js';

/**
 * The options; those with a `field` set that field of the GaitTAKE config
 * (IdentityConfig) or, for --model at-gcn, of its ClassifierConfig.
 */
const OPTIONS = {
  model: { type: 'string', demandOption: true, choices: IDENTITY_MODEL_KINDS, describe: 'Identity model' },
  train: { type: 'string', demandOption: true, describe: 'Training gaits with identities (.parquet or .arrow)' },
  out: { type: 'string', demandOption: true, describe: 'Model directory to write' },
  preset: { field: 'preset', type: 'string', choices: IDENTITY_PRESETS, describe: "gaittake: 'default', or 'gaittake-paper', GaitTAKE §4's training (P×K = 8×8 batches of 30-frame windows, attention within 10-frame clips, the triplet loss averaged over its non-zero terms); options given here override the preset's values. Default 'default'" },
  epochs: { field: 'epochs', type: 'number', describe: 'Training epochs (gaittake default 60, at-gcn default 40)' },
  lr: { field: 'lr', type: 'number', describe: 'Adam learning rate (gaittake default 0.001, at-gcn 0.003)' },
  'identities-per-batch': { field: 'P', type: 'number', describe: 'gaittake: P of the P×K batches (default 8)' },
  'walks-per-identity': { field: 'K', type: 'number', describe: 'gaittake: K of the P×K batches (default 4)' },
  heads: { field: 'heads', type: 'number', describe: 'gaittake: parallel embedding heads (default 4)' },
  'embedding-dim': { field: 'embeddingDim', type: 'number', describe: 'gaittake: dimension of each head (default 64)' },
  channels: {
    field: 'channels', type: 'string', coerce: (s: string) => s.split(',').map((x) => Number(x.trim())),
    describe: 'gaittake: comma-separated ST-GCN block widths (default 32,64,64)',
  },
  triplet: { field: 'triplet', type: 'string', choices: TRIPLET_MODES, describe: "gaittake: triplet loss form (default GaitTAKE's weighted)" },
  margin: { field: 'margin', type: 'number', describe: 'gaittake: triplet margin (default 0.5)' },
  'cross-entropy': { field: 'crossEntropyWeight', type: 'number', describe: 'gaittake: weight of an identity cross-entropy head (default 0 = none)' },
  'gem-p': { field: 'gemP', type: 'number', describe: 'gaittake: initial GeM exponent, learned (default 3)' },
  'frame-stride': { field: 'frameStride', type: 'number', describe: 'Use every k-th frame (default 2)' },
  'val-fraction': { field: 'valFraction', type: 'number', describe: 'gaittake: fraction of training identities held out to select the epoch (default 0.2; 0 = last epoch). at-gcn: its validation split (default 0.15)' },
  'gallery-condition': { type: 'string', default: 'neutral', describe: 'gaittake: gallery condition (label) of the validation protocol' },
  'augment-noise': { field: 'augmentNoise', type: 'number', describe: 'gaittake: fresh pose-estimator noise (m) added to every training batch (default 0 = off)' },
  pooling: { field: 'pooling', type: 'string', choices: GEM_POOLINGS, describe: 'gaittake: GeM within each body part (default) or over all joints' },
  bones: { field: 'bones', type: 'boolean', describe: "gaittake: append each joint's bone vector and length to the input (default on; --no-bones)" },
  normalize: { field: 'normalize', type: 'boolean', describe: 'gaittake: unit-length embeddings per head (default on; --no-normalize)' },
  hidden: { field: 'hidden', type: 'number', describe: 'at-gcn: hidden channels per joint (default 32)' },
  seed: seedOption('Random seed (initialisation, splits, batches)'),
  resume: { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" },
  threads: threadsOption(),
} as const satisfies CommandOptions<IdentityConfig & ClassifierConfig>;

/** The options of one model only: given with the other, they are an error naming both. */
const ONLY = {
  gaittake: ['preset', 'identities-per-batch', 'walks-per-identity', 'heads', 'embedding-dim', 'channels', 'triplet', 'margin', 'cross-entropy', 'gem-p', 'augment-noise', 'pooling', 'bones', 'normalize'],
  'at-gcn': ['hidden'],
} as const satisfies Record<(typeof IDENTITY_MODEL_KINDS)[number], readonly (keyof typeof OPTIONS)[]>;

export const trainIdentityCommand = defineCommand({
  command: 'train-identity',
  describe: 'Train a gait identity model (GaitTAKE: temporal attention, GeM, triplet loss; or AT-GCN with its identity head) on gaits with identities',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    for (const kind of IDENTITY_MODEL_KINDS)
      for (const flag of ONLY[kind])
        if (kind !== argv.model && argv[flag] !== undefined)
          throw new lib.GaitforgeError('E_OPTION', `--${flag} applies to --model ${kind} only, not ${argv.model}`);
    const given = configFrom(OPTIONS, argv);
    const config = argv.model === 'gaittake'
      ? lib.resolveIdentityConfig(given)
      : lib.resolveClassifierConfig({ epochs: given.epochs, lr: given.lr, hidden: given.hidden, frameStride: given.frameStride });
    await lib.initBackend(argv.backend);
    const set = await lib.readGaitFile(argv.train);
    say(argv, `training ${argv.model} on ${set.N} gaits of ${new Set(set.identity).size} identities`);
    const stop = stopOnSigint(argv);
    const r = await lib.trainIdentityModel(argv.model, set, config, {
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
});

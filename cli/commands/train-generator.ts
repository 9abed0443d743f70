import type { Argv, CommandModule } from 'yargs';
import { emit, fmt, globalOptions, progressBar, table, threadsOption, stopOnSigint, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  data: string;
  out: string;
  val?: string;
  preset?: string;
  variant?: string;
  epochs?: number;
  'batch-size'?: number;
  lr?: number;
  'weight-decay'?: number;
  'lambda-c'?: number;
  'lambda-d'?: number;
  'lambda-b'?: number;
  beta?: number;
  'latent-dim'?: number;
  'identity-dim'?: number;
  'decoder-condition'?: string;
  prior?: string;
  'temporal-kernel'?: number;
  'val-fraction'?: number;
  seed: number;
  threads: number;
  resume: boolean;
  overwrite: boolean;
  evaluator?: string;
  'identity-feature-model'?: string;
  'identity-feature-weight'?: number;
  config?: string;
  width?: number;
  depth?: number;
  components?: number;
  'explained-variance'?: number;
  'label-dropout'?: number;
  guidance?: number;
  steps?: number;
  sampler?: string;
  'bone-weight'?: number;
  'foot-weight'?: number;
  'velocity-weight'?: number;
  shrinkage?: number;
}

export const trainGeneratorCommand: CommandModule<object, Args> = {
  command: 'train-generator',
  describe: 'Train a gait generator on a gait dataset: STEP-Gen (or the baseline CVAE), a flow, or fit the PCA-Gaussian floor (--variant); Ctrl-C stops after the current step and --resume continues',
  builder: (y) =>
    globalOptions(y)
      .option('data', { type: 'string', demandOption: true, describe: 'Training gaits (.parquet or .arrow)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Model directory to write (checkpoints, loss curve)' })
      .option('val', { type: 'string', describe: 'Validation gaits (default: --val-fraction of --data held out)' })
      .option('preset', { type: 'string', choices: ['default', 'step-paper'], describe: "'default' (temporal kernel 9, 80 epochs, lr 0.002 ×0.1 at 70%) or 'step-paper' (STEP: kernel 75, 150 epochs, batch 8, lr 0.001 ×0.1 at 50%, 75%, 88%)" })
      .option('variant', { type: 'string', choices: ['stepgen', 'cvae-baseline', 'flow', 'pca-gaussian'], describe: 'stepgen (push-pull loss), cvae-baseline (λc = λd = 0), flow (rectified flow in PCA space, docs/flow.md) or pca-gaussian (a Gaussian per label in PCA space: the floor)' })
      .option('config', { type: 'string', describe: "Generator config file (JSON or YAML): the fields of the variant's config (GeneratorConfig, FlowConfig, PcaGaussianConfig); options given here override it" })
      .option('width', { type: 'number', describe: 'flow: width of the denoiser MLP' })
      .option('depth', { type: 'number', describe: 'flow: residual blocks of the denoiser' })
      .option('components', { type: 'number', describe: 'flow, pca-gaussian: at most this many principal components (k)' })
      .option('explained-variance', { type: 'number', describe: 'flow, pca-gaussian: keep the fewest components explaining this fraction of the variance' })
      .option('label-dropout', { type: 'number', describe: 'flow: probability of training a gait with the null label (classifier-free guidance)' })
      .option('guidance', { type: 'number', describe: 'flow: default guidance W of sampling (1: conditional, 0: unconditional)' })
      .option('steps', { type: 'number', describe: 'flow: default integration steps of sampling' })
      .option('sampler', { type: 'string', choices: ['euler', 'heun'], describe: 'flow: integration rule of sampling' })
      .option('bone-weight', { type: 'number', describe: 'flow: weight of the bone-length term on the x0 estimate' })
      .option('foot-weight', { type: 'number', describe: 'flow: weight of the foot-skating term on the x0 estimate' })
      .option('velocity-weight', { type: 'number', describe: 'flow: weight of the joint-velocity term on the x0 estimate' })
      .option('shrinkage', { type: 'number', describe: "pca-gaussian: shrinkage of each label's covariance towards the pooled one, in [0, 1] (default: Ledoit-Wolf's)" })
      .option('epochs', { type: 'number', describe: 'Training epochs (default 80; step-paper 150)' })
      .option('batch-size', { type: 'number', describe: 'Gaits per step' })
      .option('lr', { type: 'number', describe: "Adam learning rate (default 0.002, ×0.1 after 70% of the epochs; step-paper 0.001, ×0.1 at 50%, 75%, 88%)" })
      .option('weight-decay', { type: 'number', describe: 'L2 weight decay' })
      .option('lambda-c', { type: 'number', describe: 'Weight of the push loss L_c (velocities, accelerations)' })
      .option('lambda-d', { type: 'number', describe: 'Weight of the pull loss L_d (drift against anchor frames)' })
      .option('lambda-b', { type: 'number', describe: 'Weight of the bone-length term L_b (not in STEP; 0 in step-paper)' })
      .option('beta', { type: 'number', describe: 'Weight of the KL term' })
      .option('latent-dim', { type: 'number', describe: 'Latent size' })
      .option('decoder-condition', { type: 'string', describe: "Where the decoder sees the label: 'input' (beside z, as STEP; --preset step-paper) or 'every-layer' (also before every decoder layer; default)" })
      .option('prior', { type: 'string', describe: "The latent prior the trained generator samples from unless asked for another: 'mixture' (default), 'fitted' (STEP; --preset step-paper), 'identity' (the default with --identity-dim > 0) or 'standard' (every fitted prior is written either way)" })
      .option('identity-dim', { type: 'number', describe: 'Size of a learned identity embedding beside the label (0, the default: no identity conditioning); every training gait then needs an identity, and `generate --identities` picks walkers' })
      .option('identity-feature-model', { type: 'string', describe: "A GaitTAKE identity model directory (train-identity --model gaittake) for L_id: reconstructions are pulled towards their walk's identity embedding (not in STEP; see docs/generator.md)" })
      .option('identity-feature-weight', { type: 'number', describe: 'Weight of L_id (default 1 with --identity-feature-model, else 0)' })
      .option('temporal-kernel', { type: 'number', describe: 'Temporal kernel of the ST-GCN layers (odd)' })
      .option('val-fraction', { type: 'number', describe: 'Fraction of --data held out for the validation loss' })
      .option('seed', { type: 'number', default: 1, describe: 'Random seed (initialisation, split, shuffling, noise)' })
      .option('resume', { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace a generator already in --out' })
      .option('evaluator', { type: 'string', describe: "Evaluator classifier directory for the model card's evaluator-space metrics (default: two Baseline-STEPs cross-fitted on the validation gaits)" })
      .option('threads', threadsOption()) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend as never);
    const file = argv.config === undefined ? {} : (lib.loadAblationConfig(argv.config) as object); // any JSON or YAML object
    const variant = argv.variant ?? (file as { variant?: string }).variant;
    if (variant === 'flow' || variant === 'pca-gaussian') return trainPcaFamily(lib, argv, file, variant);
    const flags: import('../lib.js').GeneratorConfig = {
      preset: argv.preset as never, variant: argv.variant as never, epochs: argv.epochs, batchSize: argv['batch-size'], lr: argv.lr,
      weightDecay: argv['weight-decay'], lambdaC: argv['lambda-c'], lambdaD: argv['lambda-d'], lambdaB: argv['lambda-b'], beta: argv.beta,
      latentDim: argv['latent-dim'], identityDim: argv['identity-dim'], decoderCondition: argv['decoder-condition'] as import('../lib.js').GeneratorConfig['decoderCondition'], prior: argv.prior as import('../lib.js').GeneratorConfig['prior'], temporalKernel: argv['temporal-kernel'], valFraction: argv['val-fraction'],
      identityFeatureWeight: argv['identity-feature-weight'] ?? (argv['identity-feature-model'] !== undefined ? 1 : undefined),
    };
    // the flow's flags, so that STEP-Gen's resolver names them as fields it does not have
    const flowFlags = Object.fromEntries(Object.entries(pcaFamilyFlags(argv)).filter(([k]) => !(k in flags)));
    const config = { ...file, ...defined({ ...flags, ...flowFlags }) } as import('../lib.js').GeneratorConfig;
    if ((config.identityFeatureWeight ?? 0) > 0 && argv['identity-feature-model'] === undefined)
      throw new lib.GaitforgeError('E_OPTION', `--identity-feature-weight ${config.identityFeatureWeight} needs --identity-feature-model DIR (the GaitTAKE model L_id reads)`);
    if (config.identityFeatureWeight === 0 && argv['identity-feature-model'] !== undefined)
      throw new lib.GaitforgeError('E_OPTION', '--identity-feature-model is not used with --identity-feature-weight 0');
    lib.resolveGenerator(config); // option errors before any file is read
    const train = await lib.readGaitFile(argv.data);
    const val = argv.val ? await lib.readGaitFile(argv.val) : undefined;
    const stop = stopOnSigint(argv);
    const r = await lib.trainGeneratorWithCard(train, config, {
      dataName: argv.data, evaluatorDir: argv.evaluator, outDir: argv.out, seed: argv.seed, resume: argv.resume, overwrite: argv.overwrite, val, signal: stop.signal, progress: progressBar(argv), threads: argv.threads,
      identityFeatureModel: argv['identity-feature-model'],
    });
    stop.done();
    if (r.training.family !== 'cvae') throw new Error('unreachable');
    const { history } = r.training.result;
    const last = history[history.length - 1];
    const best = history[r.bestEpoch - 1];
    const row = (name: string, h: typeof last) =>
      h ? [name, h.epoch, fmt(h.train.lo), fmt(h.train.lc), fmt(h.train.ld), fmt(h.train.lb), fmt(h.train.kl), fmt(h.train.total), h.val ? fmt(h.val.total) : '—']
        : [name, '—', '', '', '', '', '', '', ''];
    const card = r.card ? { path: r.card.path, skipped: r.card.skipped, recognitionRatio: r.card.evaluation?.recognition?.ratio ?? null } : null;
    emit(argv, { dir: r.dir, bestEpoch: r.bestEpoch, completed: r.completed, epochs: history.length, final: last ?? null, best: best ?? null, card }, [
      `${r.completed ? 'trained' : 'stopped'}: ${r.dir} (${history.length} epochs, best epoch ${r.bestEpoch})`,
      table(['', 'epoch', 'L_o', 'L_c', 'L_d', 'L_b', 'KL', 'total', 'val total'], [row('last', last), row('best', best)]),
      last ? `${fmt(last.samplesPerSec, 3)} training gaits/s in the last epoch; loss curve: ${r.dir}/loss.csv` : '',
      r.card ? `model card: ${r.card.path}${r.card.skipped ? ` (no metrics: ${r.card.skipped})` : ''}` : '',
      r.completed ? '' : `resume with: gaitforge train-generator --data ${argv.data} --out ${argv.out} --resume (same options)`,
    ].filter(Boolean));
    if (!r.completed) process.exitCode = 130;
  },
};

type Lib = typeof import('../lib.js');

/** The entries of `o` that are not undefined (flags not given leave a config file's value). */
function defined(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The flags a config field of the PCA-space families comes from (undefined: not given). */
function pcaFamilyFlags(argv: Args): Record<string, unknown> {
  return {
    epochs: argv.epochs, batchSize: argv['batch-size'], lr: argv.lr, weightDecay: argv['weight-decay'], valFraction: argv['val-fraction'],
    width: argv.width, depth: argv.depth, maxComponents: argv.components, explainedVariance: argv['explained-variance'], labelDropout: argv['label-dropout'],
    guidance: argv.guidance, steps: argv.steps, sampler: argv.sampler, boneWeight: argv['bone-weight'], footWeight: argv['foot-weight'], velocityWeight: argv['velocity-weight'],
    shrinkage: argv.shrinkage,
    // STEP-Gen's flags, so that the family's resolver names them as fields it does not have
    preset: argv.preset, latentDim: argv['latent-dim'], lambdaC: argv['lambda-c'], lambdaD: argv['lambda-d'], lambdaB: argv['lambda-b'], beta: argv.beta,
    identityDim: argv['identity-dim'], decoderCondition: argv['decoder-condition'], prior: argv.prior, temporalKernel: argv['temporal-kernel'], identityFeatureWeight: argv['identity-feature-weight'],
  };
}

/** train-generator --variant flow | pca-gaussian: trainGeneratorFamily, then a summary. */
async function trainPcaFamily(lib: Lib, argv: Args, file: object, variant: 'flow' | 'pca-gaussian'): Promise<void> {
  const config = { ...file, ...defined(pcaFamilyFlags(argv)), variant } as import('../lib.js').GeneratorFamilyConfig;
  lib.resolveGeneratorFamily(config); // config errors before any file is read
  if (argv['identity-feature-model'] !== undefined) throw new lib.GaitforgeError('E_OPTION', `--identity-feature-model is STEP-Gen's (L_id): not used by the ${variant} variant`);
  if (variant === 'pca-gaussian' && argv.val !== undefined) throw new lib.GaitforgeError('E_OPTION', '--val is not used by the pca-gaussian variant: it has no validation loss (nothing is selected)');
  const train = await lib.readGaitFile(argv.data);
  const val = argv.val ? await lib.readGaitFile(argv.val) : undefined;
  const stop = stopOnSigint(argv);
  const w = await lib.trainGeneratorWithCard(train, config, {
    dataName: argv.data, evaluatorDir: argv.evaluator, outDir: argv.out, seed: argv.seed, resume: argv.resume, overwrite: argv.overwrite, val, signal: stop.signal, progress: progressBar(argv), threads: argv.threads,
  });
  stop.done();
  const r = w.training;
  const card = w.card ? { path: w.card.path, skipped: w.card.skipped, recognitionRatio: w.card.evaluation?.recognition?.ratio ?? null } : null;
  const cardLine = w.card ? `model card: ${w.card.path}${w.card.skipped ? ` (no metrics: ${w.card.skipped})` : ''}` : '';
  if (r.family === 'pca-gaussian') {
    const g = r.result;
    emit(argv, { ...g, variant, card }, [`fitted: ${g.dir} (k = ${g.k} components explaining ${fmt(100 * g.explained, 4)}% of the variance; shrinkage ${g.shrinkage.map((x) => fmt(x, 2)).join(', ')}) in ${fmt(g.seconds, 3)} s`, cardLine].filter(Boolean));
    return;
  }
  if (r.family !== 'flow') throw new Error('unreachable');
  const f = r.result;
  const last = f.history[f.history.length - 1];
  const best = f.history[f.bestEpoch - 1];
  const row = (name: string, h: typeof last) =>
    h ? [name, h.epoch, fmt(h.train.flow), fmt(h.train.bone), fmt(h.train.foot), fmt(h.train.velocity), fmt(h.train.total), h.val ? fmt(h.val.total) : '—'] : [name, '—', '', '', '', '', '', ''];
  emit(argv, { dir: f.dir, variant, bestEpoch: f.bestEpoch, completed: f.completed, epochs: f.history.length, k: f.k, explained: f.explained, final: last ?? null, best: best ?? null, card }, [
    `${f.completed ? 'trained' : 'stopped'}: ${f.dir} (${f.history.length} epochs, best epoch ${f.bestEpoch}; k = ${f.k} components, ${fmt(100 * f.explained, 4)}% of the variance)`,
    table(['', 'epoch', 'L_flow', 'L_bone', 'L_foot', 'L_vel', 'total', 'val total'], [row('last', last), row('best', best)]),
    last ? `${fmt(last.samplesPerSec, 3)} training gaits/s in the last epoch; loss curve: ${f.dir}/loss.csv` : '',
    cardLine,
    f.completed ? '' : `resume with: gaitforge train-generator --variant flow --data ${argv.data} --out ${argv.out} --resume (same options)`,
  ].filter(Boolean));
  if (!f.completed) process.exitCode = 130;
}

import { DECODER_CONDITIONS, GENERATOR_PRESETS, GENERATOR_VARIANTS, type GeneratorConfig } from '../../src/generator/config.js';
import type { GeneratorFamilyConfig } from '../../src/generator/family.js';
import { FLOW_SAMPLERS, type FlowConfig } from '../../src/generator/flow/config.js';
import { LATENT_PRIORS } from '../../src/generator/latent.js';
import type { PcaGaussianConfig } from '../../src/generator/pca-gaussian/config.js';
import { configFrom, defineCommand, emit, fmt, globalOptions, progressBar, seedOption, table, threadsOption, stopOnSigint, type CommandOptions, type GlobalArgs } from '../util.js';

/**
 * The options; those with a `field` set that field of the variant's config.
 * Every given field goes to the variant's resolver, so a flag of another
 * family (--width for STEP-Gen, --lambda-c for the flow) is an error naming it.
 */
const OPTIONS = {
  data: { type: 'string', demandOption: true, describe: 'Training gaits (.parquet or .arrow)' },
  out: { type: 'string', demandOption: true, describe: 'Model directory to write (checkpoints, loss curve)' },
  val: { type: 'string', describe: 'Validation gaits (default: --val-fraction of --data held out)' },
  preset: { field: 'preset', type: 'string', choices: GENERATOR_PRESETS, describe: "'default' (temporal kernel 9, 80 epochs, lr 0.002 ×0.1 at 70%) or 'step-paper' (STEP: kernel 75, 150 epochs, batch 8, lr 0.001 ×0.1 at 50%, 75%, 88%)" },
  variant: { field: 'variant', type: 'string', choices: GENERATOR_VARIANTS, describe: 'stepgen (push-pull loss), cvae-baseline (λc = λd = 0), flow (rectified flow in PCA space, docs/flow.md) or pca-gaussian (a Gaussian per label in PCA space: the floor)' },
  config: { type: 'string', describe: "Generator config file (JSON or YAML): the fields of the variant's config (GeneratorConfig, FlowConfig, PcaGaussianConfig); options given here override it" },
  width: { field: 'width', type: 'number', describe: 'flow: width of the denoiser MLP' },
  depth: { field: 'depth', type: 'number', describe: 'flow: residual blocks of the denoiser' },
  components: { field: 'maxComponents', type: 'number', describe: 'flow, pca-gaussian: at most this many principal components (k)' },
  'explained-variance': { field: 'explainedVariance', type: 'number', describe: 'flow, pca-gaussian: keep the fewest components explaining this fraction of the variance' },
  'label-dropout': { field: 'labelDropout', type: 'number', describe: 'flow: probability of training a gait with the null label (classifier-free guidance)' },
  guidance: { field: 'guidance', type: 'number', describe: 'flow: default guidance W of sampling (1: conditional, 0: unconditional)' },
  steps: { field: 'steps', type: 'number', describe: 'flow: default integration steps of sampling' },
  sampler: { field: 'sampler', type: 'string', choices: FLOW_SAMPLERS, describe: 'flow: integration rule of sampling' },
  'bone-weight': { field: 'boneWeight', type: 'number', describe: 'flow: weight of the bone-length term on the x0 estimate' },
  'foot-weight': { field: 'footWeight', type: 'number', describe: 'flow: weight of the foot-skating term on the x0 estimate' },
  'velocity-weight': { field: 'velocityWeight', type: 'number', describe: 'flow: weight of the joint-velocity term on the x0 estimate' },
  shrinkage: { field: 'shrinkage', type: 'number', describe: "pca-gaussian: shrinkage of each label's covariance towards the pooled one, in [0, 1] (default: Ledoit-Wolf's)" },
  epochs: { field: 'epochs', type: 'number', describe: 'Training epochs (default 80; step-paper 150)' },
  'batch-size': { field: 'batchSize', type: 'number', describe: 'Gaits per step' },
  lr: { field: 'lr', type: 'number', describe: 'Adam learning rate (default 0.002, ×0.1 after 70% of the epochs; step-paper 0.001, ×0.1 at 50%, 75%, 88%)' },
  'weight-decay': { field: 'weightDecay', type: 'number', describe: 'L2 weight decay' },
  'lambda-c': { field: 'lambdaC', type: 'number', describe: 'Weight of the push loss L_c (velocities, accelerations)' },
  'lambda-d': { field: 'lambdaD', type: 'number', describe: 'Weight of the pull loss L_d (drift against anchor frames)' },
  'lambda-b': { field: 'lambdaB', type: 'number', describe: 'Weight of the bone-length term L_b (not in STEP; 0 in step-paper)' },
  beta: { field: 'beta', type: 'number', describe: 'Weight of the KL term' },
  'latent-dim': { field: 'latentDim', type: 'number', describe: 'Latent size' },
  'decoder-condition': { field: 'decoderCondition', type: 'string', choices: DECODER_CONDITIONS, describe: "Where the decoder sees the label: 'input' (beside z, as STEP; --preset step-paper) or 'every-layer' (also before every decoder layer; default)" },
  prior: { field: 'prior', type: 'string', choices: LATENT_PRIORS, describe: "The latent prior the trained generator samples from unless asked for another: 'mixture' (default), 'fitted' (STEP; --preset step-paper), 'identity' (the default with --identity-dim > 0) or 'standard' (every fitted prior is written either way)" },
  'identity-dim': { field: 'identityDim', type: 'number', describe: 'Size of a learned identity embedding beside the label (0, the default: no identity conditioning); every training gait then needs an identity, and `generate --identities` picks walkers' },
  'identity-feature-model': { type: 'string', describe: "A GaitTAKE identity model directory (train-identity --model gaittake) for L_id: reconstructions are pulled towards their walk's identity embedding (not in STEP; see docs/generator.md)" },
  'identity-feature-weight': { field: 'identityFeatureWeight', type: 'number', describe: 'Weight of L_id (default 1 with --identity-feature-model, else 0)' },
  'temporal-kernel': { field: 'temporalKernel', type: 'number', describe: 'Temporal kernel of the ST-GCN layers (odd)' },
  'val-fraction': { field: 'valFraction', type: 'number', describe: 'Fraction of --data held out for the validation loss' },
  seed: seedOption('Random seed (initialisation, split, shuffling, noise)'),
  resume: { type: 'boolean', default: false, describe: "Continue --out's last checkpoint (same data, config and seed)" },
  overwrite: { type: 'boolean', default: false, describe: 'Replace a generator already in --out' },
  evaluator: { type: 'string', describe: "Evaluator classifier directory for the model card's evaluator-space metrics (default: two Baseline-STEPs cross-fitted on the validation gaits)" },
  threads: threadsOption(),
} as const satisfies CommandOptions<GeneratorConfig & FlowConfig & PcaGaussianConfig>;

type Lib = typeof import('../lib.js');
type Trained = Awaited<ReturnType<Lib['trainGeneratorWithCard']>>;
/** What the summaries print of the arguments. */
type PrintArgs = GlobalArgs & { data: string; out: string };

export const trainGeneratorCommand = defineCommand({
  command: 'train-generator',
  describe: 'Train a gait generator on a gait dataset: STEP-Gen (or the baseline CVAE), a flow, or fit the PCA-Gaussian floor (--variant); Ctrl-C stops after the current step and --resume continues',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const file: object = argv.config === undefined ? {} : lib.loadAblationConfig(argv.config); // any JSON or YAML object: the resolver checks its fields
    const given = configFrom(OPTIONS, argv);
    const variant = argv.variant ?? ('variant' in file ? file.variant : undefined);
    const idModel = argv['identity-feature-model'];
    let config: GeneratorFamilyConfig;
    if (variant === 'flow' || variant === 'pca-gaussian') {
      config = { ...file, ...given, variant };
      lib.resolveGeneratorFamily(config); // config errors before any file is read
      if (idModel !== undefined) throw new lib.GaitforgeError('E_OPTION', `--identity-feature-model is STEP-Gen's (L_id): not used by the ${variant} variant`);
      if (variant === 'pca-gaussian' && argv.val !== undefined) throw new lib.GaitforgeError('E_OPTION', '--val is not used by the pca-gaussian variant: it has no validation loss (nothing is selected)');
    } else {
      // L_id is on (weight 1) when its model is named without a weight
      const weight = given.identityFeatureWeight ?? (idModel !== undefined ? 1 : undefined);
      const cvae: GeneratorConfig = { ...file, ...given, ...(weight !== undefined ? { identityFeatureWeight: weight } : {}) };
      if ((cvae.identityFeatureWeight ?? 0) > 0 && idModel === undefined)
        throw new lib.GaitforgeError('E_OPTION', `--identity-feature-weight ${cvae.identityFeatureWeight} needs --identity-feature-model DIR (the GaitTAKE model L_id reads)`);
      if (cvae.identityFeatureWeight === 0 && idModel !== undefined)
        throw new lib.GaitforgeError('E_OPTION', '--identity-feature-model is not used with --identity-feature-weight 0');
      lib.resolveGenerator(cvae); // option errors before any file is read
      config = cvae;
    }
    const train = await lib.readGaitFile(argv.data);
    const val = argv.val ? await lib.readGaitFile(argv.val) : undefined;
    const stop = stopOnSigint(argv);
    const w = await lib.trainGeneratorWithCard(train, config, {
      dataName: argv.data, evaluatorDir: argv.evaluator, outDir: argv.out, seed: argv.seed, resume: argv.resume, overwrite: argv.overwrite, val, signal: stop.signal, progress: progressBar(argv), threads: argv.threads,
      identityFeatureModel: idModel,
    });
    stop.done();
    printTrained(argv, w);
  },
});

/** The summary of a training or fit: the loss table of the last and best epochs, the model card; exit code 130 when stopped. */
function printTrained(argv: PrintArgs, w: Trained): void {
  const r = w.training;
  const card = w.card ? { path: w.card.path, skipped: w.card.skipped, recognitionRatio: w.card.evaluation?.recognition?.ratio ?? null } : null;
  const cardLine = w.card ? `model card: ${w.card.path}${w.card.skipped ? ` (no metrics: ${w.card.skipped})` : ''}` : '';
  if (r.family === 'pca-gaussian') {
    const g = r.result;
    emit(argv, { ...g, variant: r.family, card }, [`fitted: ${g.dir} (k = ${g.k} components explaining ${fmt(100 * g.explained, 4)}% of the variance; shrinkage ${g.shrinkage.map((x) => fmt(x, 2)).join(', ')}) in ${fmt(g.seconds, 3)} s`, cardLine].filter(Boolean));
    return;
  }
  if (r.family === 'flow') {
    const f = r.result;
    const last = f.history[f.history.length - 1];
    const best = f.history[f.bestEpoch - 1];
    const row = (name: string, h: typeof last) =>
      h ? [name, h.epoch, fmt(h.train.flow), fmt(h.train.bone), fmt(h.train.foot), fmt(h.train.velocity), fmt(h.train.total), h.val ? fmt(h.val.total) : '—'] : [name, '—', '', '', '', '', '', ''];
    emit(argv, { dir: f.dir, variant: r.family, bestEpoch: f.bestEpoch, completed: f.completed, epochs: f.history.length, k: f.k, explained: f.explained, final: last ?? null, best: best ?? null, card }, [
      `${f.completed ? 'trained' : 'stopped'}: ${f.dir} (${f.history.length} epochs, best epoch ${f.bestEpoch}; k = ${f.k} components, ${fmt(100 * f.explained, 4)}% of the variance)`,
      table(['', 'epoch', 'L_flow', 'L_bone', 'L_foot', 'L_vel', 'total', 'val total'], [row('last', last), row('best', best)]),
      last ? `${fmt(last.samplesPerSec, 3)} training gaits/s in the last epoch; loss curve: ${f.dir}/loss.csv` : '',
      cardLine,
      f.completed ? '' : `resume with: gaitforge train-generator --variant flow --data ${argv.data} --out ${argv.out} --resume (same options)`,
    ].filter(Boolean));
    if (!f.completed) process.exitCode = 130;
    return;
  }
  const { history } = r.result;
  const last = history[history.length - 1];
  const best = history[w.bestEpoch - 1];
  const row = (name: string, h: typeof last) =>
    h ? [name, h.epoch, fmt(h.train.lo), fmt(h.train.lc), fmt(h.train.ld), fmt(h.train.lb), fmt(h.train.kl), fmt(h.train.total), h.val ? fmt(h.val.total) : '—']
      : [name, '—', '', '', '', '', '', '', ''];
  emit(argv, { dir: w.dir, bestEpoch: w.bestEpoch, completed: w.completed, epochs: history.length, final: last ?? null, best: best ?? null, card }, [
    `${w.completed ? 'trained' : 'stopped'}: ${w.dir} (${history.length} epochs, best epoch ${w.bestEpoch})`,
    table(['', 'epoch', 'L_o', 'L_c', 'L_d', 'L_b', 'KL', 'total', 'val total'], [row('last', last), row('best', best)]),
    last ? `${fmt(last.samplesPerSec, 3)} training gaits/s in the last epoch; loss curve: ${w.dir}/loss.csv` : '',
    cardLine,
    w.completed ? '' : `resume with: gaitforge train-generator --data ${argv.data} --out ${argv.out} --resume (same options)`,
  ].filter(Boolean));
  if (!w.completed) process.exitCode = 130;
}

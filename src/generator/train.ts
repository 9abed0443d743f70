/**
 * Training STEP-Gen / the baseline CVAE over the training engine (src/train):
 * its loss (push-pull + KL + bone term), batches and validation, best and last
 * checkpoints, a loss curve and exact `resume`.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { VERSION } from '../core/version.js';
import { Rng } from '../core/rng.js';
import { yieldToEventLoop } from '../core/yield.js';
import { trainableVariables } from '../nn/model-utils.js';
import { loadModel } from '../nn/serialize.js';
import { freshState, readOptimizerState, writeCheckpoint, type FitState } from '../train/checkpoint.js';
import { Engine, type GradientTask } from '../train/engine.js';
import { decayedWeights } from '../train/optimizer.js';
import { fit } from '../train/fit.js';
import { startReplicas, resolveThreads } from '../train/parallel.js';
import {
  copyCheckpoint, LATENT_FILE, readManifest,
  writeLossCurve, writeManifest, type EpochLog, type GeneratorManifest, type LossValues,
} from './checkpoint.js';
import { generatorSchedule, resolveGenerator, summedKlWeight, type GeneratorConfig, type ResolvedGeneratorConfig } from './config.js';
import './layers.js';
import { fitLatentPrior } from './latent.js';
import { boneTerm, LOSS_TERMS, pushPullLoss, type BoneTerm } from './losses.js';
import { buildCvae, oneHot, type Cvae } from './model.js';
import { loadIdentityFeatureTerm, type IdentityFeatureTerm } from './identity-features.js';
import type { GeneratorReplicaSpec } from './replica.js';
import { checkRunInput, findResume, freshRunDir, manifestFields, prepareGaits, runDataHash, splitRun } from './run.js';
import { walkerBoneLengths } from './rigid.js';

export type { EpochLog, LossValues } from './checkpoint.js';
export { skeletonEdges, validationSplit } from './run.js';

export interface TrainGeneratorOptions {
  /** Model directory (created). */
  outDir: string;
  /** Seed of initialisation, splitting, shuffling and noise. */
  seed: number;
  /** Continue from `outDir`'s last checkpoint (a fresh start when it has none). */
  resume?: boolean;
  /** Replace a generator already in `outDir` (otherwise that is an error unless resuming). */
  overwrite?: boolean;
  progress?: Progress;
  /** Validation gaits; default: `valFraction` of the training gaits, held out stratified by label. */
  val?: GaitSet;
  /** Stops after the current step; the last finished epoch stays on disk for `resume`. */
  signal?: AbortSignal;
  /** Called after every finished (and saved) epoch. */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Data-parallel threads (wasm and cpu backends; src/train/parallel.ts).
   * Default 1 (the CLI's `--threads` defaults to the machine's cores); always
   * 1 on the native backends. Results are deterministic for a seed and a
   * thread count.
   */
  threads?: number;
  /**
   * A trained GaitTAKE identity model directory (src/identity) for L_id;
   * needed when the config's identityFeatureWeight > 0, and only then. It
   * must take the training gaits' T and V.
   */
  identityFeatureModel?: string;
}

export interface TrainGeneratorResult {
  dir: string;
  /** 1-based epoch of the best checkpoint (lowest validation loss, or training loss without validation gaits). */
  bestEpoch: number;
  history: EpochLog[];
  /** False when stopped by `signal` before the last epoch. */
  completed: boolean;
  /** The gaits the generator trained on (`train` less a held-out validation part). */
  trainPart: GaitSet;
  /** The validation gaits model selection used (`options.val`, or the part held out of `train`); null when none. */
  valPart: GaitSet | null;
}

/** Standardised training gaits and their labels: what the generator's loss reads its rows from. */
export interface CvaeData {
  /** [N, T, V, 3] flat, standardised. */
  x: Float32Array;
  labels: Int32Array;
  shape: [number, number, number];
  /** Identity index of every gait (into the model's identity names); an identity-conditioned generator's only. */
  identities?: Int32Array;
}

/**
 * The condition inputs of rows: the one-hot labels [N, L], and for an
 * identity-conditioned generator (numIdentities > 0) the one-hot identities
 * [N, I]. Caller disposes.
 */
export function conditionTensors(labels: ArrayLike<number>, numLabels: number, identities: ArrayLike<number> | undefined, numIdentities: number): tf.Tensor2D[] {
  if (numIdentities === 0) return [oneHot(labels, numLabels)];
  if (!identities || identities.length !== labels.length)
    throw new GaitforgeError('E_VALUE', `an identity-conditioned generator needs an identity for each of the ${labels.length} gaits`);
  return [oneHot(labels, numLabels), oneHot(identities, numIdentities)];
}

/**
 * Posterior means and log-variances ([N, D] row-major) of standardised gaits `x` ([N, ...shape])
 * under `encoder` in inference mode, in batches of `batchSize` (default 64). Leaves no tensors behind.
 */
export function encodePosteriors(
  encoder: tf.LayersModel, x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], D: number, numLabels: number,
  identities: ArrayLike<number> | undefined, numIdentities: number, batchSize = 64,
): { mu: Float32Array; logvar: Float32Array } {
  const n = labels.length;
  const per = shape[0] * shape[1] * shape[2];
  const mu = new Float32Array(n * D);
  const logvar = new Float32Array(n * D);
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    const [m, l] = tf.tidy(() => encoder.apply(
      [
        tf.tensor4d(x.subarray(s * per, e * per), [e - s, ...shape]),
        ...conditionTensors(Array.from({ length: e - s }, (_, i) => labels[s + i]!), numLabels, identities && Array.from({ length: e - s }, (_, i) => identities[s + i]!), numIdentities),
      ],
      { training: false }) as tf.Tensor[]);
    mu.set(m!.dataSync(), s * D);
    logvar.set(l!.dataSync(), s * D);
    tf.dispose([m!, l!]);
  }
  return { mu, logvar };
}

/**
 * The generator's objective for the training engine: the loss terms of a CVAE
 * on rows of `data`. Owns its bone term (`dispose()`); the models belong to the caller.
 */
export class CvaeTask implements GradientTask {
  readonly variables: tf.Variable[];
  readonly decayed: boolean[];
  readonly replicated: tf.Variable[];
  readonly metricNames = LOSS_TERMS;

  constructor(
    readonly cvae: Cvae,
    readonly cfg: ResolvedGeneratorConfig,
    readonly numLabels: number,
    public data: CvaeData,
    private readonly bones?: BoneTerm,
    /** Identities I of an identity-conditioned generator (0: conditioned on the label only). */
    readonly numIdentities = 0,
    /** L_id's identity model (owned: disposed with the task). */
    private readonly features?: IdentityFeatureTerm,
  ) {
    // both halves, in a fixed order (the optimizer state is saved in it)
    this.variables = [...trainableVariables(cvae.encoder), ...trainableVariables(cvae.decoder)];
    this.decayed = decayedWeights([cvae.encoder, cvae.decoder]);
    this.replicated = [...cvae.encoder.weights, ...cvae.decoder.weights].map((w) => w.read() as tf.Variable);
  }

  /** The loss terms in the order of LOSS_TERMS for x: [N, T, V, 3] and the condition inputs (conditionTensors). */
  terms(x: tf.Tensor4D, cond: tf.Tensor2D[], noiseSeed: number, training: boolean): { total: tf.Scalar; stacked: tf.Tensor1D } {
    const [mu, logvar] = this.cvae.encoder.apply([x, ...cond], { training }) as tf.Tensor2D[];
    const eps = tf.randomNormal(mu!.shape, 0, 1, 'float32', noiseSeed);
    const z = tf.add(mu!, tf.mul(tf.exp(tf.mul(logvar!, 0.5)), eps));
    const xHat = this.cvae.decoder.apply([z, ...cond], { training }) as tf.Tensor4D;
    const L = pushPullLoss(x, xHat, mu!, logvar!, this.cfg, this.bones, this.features && ((a, b) => this.features!.term(a, b)));
    return { total: L.total, stacked: tf.stack(LOSS_TERMS.map((k) => L[k])) as tf.Tensor1D };
  }

  loss(rows: Int32Array, noiseSeed: number): { total: tf.Scalar; metrics: tf.Tensor1D } {
    const { x, labels, shape, identities } = this.data;
    const per = shape[0] * shape[1] * shape[2];
    const xt = tf.tensor4d(gatherRows(x, per, rows), [rows.length, ...shape]);
    const cond = conditionTensors(Int32Array.from(rows, (i) => labels[i]!), this.numLabels, identities && Int32Array.from(rows, (i) => identities[i]!), this.numIdentities);
    const r = this.terms(xt, cond, noiseSeed, true);
    return { total: r.total, metrics: r.stacked };
  }

  dispose(): void {
    if (this.bones) tf.dispose([this.bones.incidence, this.bones.meanBones]);
    this.features?.dispose();
  }
}

/**
 * One CVAE with its engine: a training step and the evaluation loss on
 * standardised gaits. Owns its models and engine (`dispose()`).
 */
export class CvaeTrainer {
  readonly cvae: Cvae;
  readonly cfg: ResolvedGeneratorConfig;
  readonly numLabels: number;
  readonly task: CvaeTask;
  readonly engine: Engine;

  /**
   * `bones` (owned, disposed with the trainer) adds the bone-length term L_b,
   * `features` (owned) L_id; `engine` options add data-parallel replicas;
   * `numIdentities` > 0 for an identity-conditioned generator.
   */
  constructor(
    cvae: Cvae, cfg: ResolvedGeneratorConfig, numLabels: number, bones?: BoneTerm, data?: CvaeData, replicas?: ConstructorParameters<typeof Engine>[1]['replicas'], numIdentities = 0,
    features?: IdentityFeatureTerm,
  ) {
    this.cvae = cvae;
    this.cfg = cfg;
    this.numLabels = numLabels;
    this.task = new CvaeTask(cvae, cfg, numLabels, data ?? { x: new Float32Array(0), labels: new Int32Array(0), shape: [1, 1, 3] }, bones, numIdentities, features);
    this.engine = new Engine(this.task, { lr: cfg.lr, weightDecay: cfg.weightDecay, replicas });
  }

  get optimizer() {
    return this.engine.optimizer;
  }

  /**
   * One optimisation step on the standardised gaits x: [N, T, V, 3] with
   * labels (and identity indices for an identity-conditioned generator),
   * replacing the task's data. Returns the loss terms before the update.
   * Leaves no tensors behind.
   */
  async step(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], noiseSeed: number, identities?: ArrayLike<number>): Promise<LossValues> {
    this.task.data = { x, labels: Int32Array.from(labels), shape, ...(identities ? { identities: Int32Array.from(identities) } : {}) };
    return toValues(await this.engine.step(Int32Array.from({ length: labels.length }, (_, i) => i), noiseSeed));
  }

  /** Loss terms in inference mode (batch norm with running statistics). Leaves no tensors behind. */
  async evaluate(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], noiseSeed: number, identities?: ArrayLike<number>): Promise<LossValues> {
    const n = labels.length;
    const out = tf.tidy(() => this.task.terms(tf.tensor4d(x, [n, ...shape]), conditionTensors(labels, this.numLabels, identities, this.task.numIdentities), noiseSeed, false).stacked);
    const v = await out.data();
    out.dispose();
    return toValues(v);
  }

  /** Posterior means and log-variances ([N, D] row-major) in inference mode, in batches of up to 64 (encodePosteriors). */
  encode(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], identities?: ArrayLike<number>): { mu: Float32Array; logvar: Float32Array } {
    return encodePosteriors(this.cvae.encoder, x, labels, shape, this.cfg.latentDim, this.numLabels, identities, this.task.numIdentities);
  }

  async dispose(): Promise<void> {
    this.task.dispose();
    await this.engine.dispose();
    this.cvae.encoder.dispose();
    this.cvae.decoder.dispose();
  }
}

function toValues(v: ArrayLike<number>): LossValues {
  return Object.fromEntries(LOSS_TERMS.map((k, i) => [k, v[i]!])) as unknown as LossValues;
}

function zeroValues(): LossValues {
  return toValues(new Float64Array(LOSS_TERMS.length));
}

/** acc += w · v, term by term. */
function accumulate(acc: LossValues, v: LossValues, w: number): void {
  for (const k of LOSS_TERMS) acc[k] += w * v[k];
}

/** Copies gaits `idx` of `data` ([N, T, V, 3] flat) into one batch buffer. */
function gatherRows(data: Float32Array, per: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) out.set(data.subarray(idx[k]! * per, (idx[k]! + 1) * per), k * per);
  return out;
}

/** Mean loss terms of `data` in inference mode, in batches of up to 64, with noise fixed by `seed`. */
async function evaluateSet(trainer: CvaeTrainer, data: Float32Array, labels: Int32Array, shape: [number, number, number], seed: number, identities?: Int32Array): Promise<LossValues> {
  const per = shape[0] * shape[1] * 3;
  const n = labels.length;
  const rng = new Rng(seed, 'generator/val/noise');
  const acc = zeroValues();
  for (let s = 0; s < n; s += 64) {
    const e = Math.min(n, s + 64);
    const v = await trainer.evaluate(data.subarray(s * per, e * per), labels.subarray(s, e), shape, rng.tfSeed(), identities?.subarray(s, e));
    accumulate(acc, v, (e - s) / n);
    await yieldToEventLoop(); // `await out.data()` alone does not let the event loop run
  }
  return acc;
}

/**
 * The identity names of an identity-conditioned generator: every gait of the
 * training set (and of given validation gaits) needs an identity, and
 * validation identities must be training identities. Sorted.
 */
function trainingIdentities(train: GaitSet, val?: GaitSet): string[] {
  for (const [set, what] of [[train, 'training'], ...(val ? [[val, 'validation']] : [])] as [GaitSet, string][]) {
    const i = set.identity.findIndex((x) => x == null || x === '');
    if (i >= 0) throw new GaitforgeError('E_VALUE', `${what} gait ${i} (${set.ids[i]}) has no identity: an identity-conditioned generator (config identityDim > 0) needs an identity on every gait`);
  }
  const names = [...new Set(train.identity as string[])].sort();
  if (val) {
    const known = new Set(names);
    const i = val.identity.findIndex((x) => !known.has(x!));
    if (i >= 0) throw new GaitforgeError('E_VALUE', `validation gait ${i} (${val.ids[i]}) has identity ${JSON.stringify(val.identity[i])}, which no training gait has`);
  }
  return names;
}

/** Index of every gait's identity in `names` (an identity-conditioned generator's), or undefined without names. */
export function identityIndices(set: GaitSet, names: readonly string[] | undefined): Int32Array | undefined {
  if (!names) return undefined;
  const at = new Map(names.map((n, i) => [n, i]));
  return Int32Array.from(set.identity, (n, i) => {
    const k = at.get(n!);
    if (k === undefined) throw new GaitforgeError('E_VALUE', `gait ${i} (${set.ids[i]}) has identity ${JSON.stringify(n)}, which the generator does not know`);
    return k;
  });
}

/**
 * Trains a generator on `train` (and nothing else) and writes its model
 * directory (see checkpoint.ts). Validates everything before writing: bad
 * input throws one GaitforgeError (or RangeError for a bad config) and leaves
 * the disk untouched.
 */
export async function trainGenerator(train: GaitSet, config: GeneratorConfig, options: TrainGeneratorOptions): Promise<TrainGeneratorResult> {
  const cfg = resolveGenerator(config);
  const { outDir, seed } = options;
  const progress = options.progress ?? silentProgress;
  const edges = checkRunInput(train, options);
  const featureDir = options.identityFeatureModel;
  if (cfg.identityFeatureWeight > 0 && !featureDir)
    throw optionError('identityFeatureModel', featureDir, `a GaitTAKE identity model directory: the config's identityFeatureWeight = ${cfg.identityFeatureWeight} needs one for L_id`);
  if (featureDir !== undefined && cfg.identityFeatureWeight === 0)
    throw optionError('identityFeatureModel', featureDir, 'no model: identityFeatureWeight is 0, so L_id is not trained (give the config identityFeatureWeight > 0)');
  const { trainPart, valPart } = splitRun(train, options.val, cfg, seed);
  const identityNames = cfg.identityDim > 0 ? trainingIdentities(train, options.val) : undefined;
  const dataHash = runDataHash(train, options.val);
  const threads = resolveThreads(options.threads);

  // What is already in outDir decides between a fresh run and a resumed one.
  const found = findResume<GeneratorManifest, EpochLog>(options, { seed, dataHash, T: train.T, V: train.V, labelNames: train.labelNames, config: cfg, identityNames }, readManifest);
  const resumeFrom = found && { ...found, state: upgradeState(found.state) };

  const T = train.T;
  const V = train.V;
  const shape: [number, number, number] = [T, V, 3];
  const { data: trainX, norm } = prepareGaits(trainPart, resumeFrom?.manifest.normalization ?? null);
  const valX = valPart ? prepareGaits(valPart, norm).data : null;
  const features = featureDir ? await loadIdentityFeatureTerm(featureDir, norm, T, V) : undefined;
  if (resumeFrom && features && resumeFrom.manifest.identityFeatureModel?.checkpointHash !== features.checkpointHash) {
    features.dispose();
    throw new GaitforgeError('E_MODEL', `cannot resume ${outDir}: the identity feature model ${featureDir} is not the one it was trained with (${resumeFrom.manifest.identityFeatureModel?.dir ?? 'none'})`);
  }

  let cvae: Cvae;
  if (resumeFrom) {
    const enc = await loadModel(path.join(resumeFrom.last, 'encoder'));
    const dec = await loadModel(path.join(resumeFrom.last, 'decoder'));
    cvae = { encoder: enc.model, decoder: dec.model };
  } else {
    cvae = buildCvae(cfg, { T, V, labels: train.labelNames.length, edges, identities: identityNames?.length ?? 0 }, seed);
  }
  const trainIds = identityIndices(trainPart, identityNames);
  const valIds = valPart ? identityIndices(valPart, identityNames) : undefined;
  const data: CvaeData = { x: trainX, labels: trainPart.labels, shape, ...(trainIds ? { identities: trainIds } : {}) };
  const spec: GeneratorReplicaSpec = {
    cfg, dims: { T, V, labels: train.labelNames.length, edges, identities: identityNames?.length ?? 0 }, seed, norm: { mean: norm.mean, scale: norm.scale }, data,
    ...(featureDir ? { identityFeatureModel: featureDir } : {}),
  };
  const replicas = threads > 1 ? await startReplicas(new URL('./replica.js', import.meta.url), spec, threads - 1) : null;
  // L_b is logged for every run and enters the loss with weight λb.
  const trainer = new CvaeTrainer(cvae, cfg, train.labelNames.length, boneTerm(edges, V, norm.mean, norm.scale), data, replicas, identityNames?.length ?? 0, features);
  try {
    if (resumeFrom) trainer.engine.setOptimizerState(readOptimizerState(resumeFrom.last));
    else freshRunDir(options);
    const manifest: GeneratorManifest = resumeFrom?.manifest ?? {
      ...manifestFields(cfg.variant, cfg, train, trainPart, valPart, edges, norm, dataHash, seed), summedKlWeight: summedKlWeight(cfg, T, V),
      ...(identityNames ? { identityNames, identityBoneLengths: walkerBoneLengths(train.positions, T, V, train.identity, identityNames) } : {}),
      ...(features ? { identityFeatureModel: { dir: features.dir, checkpointHash: features.checkpointHash } } : {}),
    };
    if (!resumeFrom) writeManifest(outDir, manifest);

    const state: FitState<EpochLog> = resumeFrom?.state ?? freshState();
    const B = cfg.batchSize;
    const nTrain = trainPart.N;
    // A last batch of a single gait is dropped: batch norm needs two.
    const batches = Math.floor(nTrain / B) + (nTrain % B >= 2 ? 1 : 0);
    progress.start(`train ${cfg.variant}${threads > 1 ? ` ×${threads}` : ''}`, (cfg.epochs - state.epoch) * batches);
    let done = 0;
    const completed = await fit<EpochLog>({
      engine: trainer.engine, epochs: cfg.epochs, schedule: generatorSchedule(cfg), state, seed, purpose: 'generator/train', what: cfg.variant,
      signal: options.signal,
      batches: (epoch) => {
        const perm = new Rng(seed, `generator/train/shuffle/${epoch}`).permutation(nTrain);
        return Array.from({ length: batches }, (_, b) => perm.subarray(b * B, Math.min(nTrain, (b + 1) * B)));
      },
      onStep: (epoch, _b, m) => {
        const v = toValues(m);
        progress.update(++done, { epoch: `${epoch + 1}/${cfg.epochs}`, lo: v.lo, lc: v.lc, ld: v.ld, lb: v.lb, kl: v.kl, ...(features ? { lid: v.lid } : {}), loss: v.total });
      },
      endEpoch: async (t) => {
        const train = toValues(t.metrics);
        const val = valX && valPart ? await evaluateSet(trainer, valX, valPart.labels, shape, seed, valIds) : null;
        const log: EpochLog = { epoch: t.epoch + 1, lr: t.lr, train, val, seconds: t.seconds, samplesPerSec: t.seen / t.seconds };
        return { log, score: [val ? val.total : train.total] };
      },
      checkpoint: async (st, improved) => {
        const log = st.history[st.history.length - 1]!;
        const meta = { gaitforgeVersion: VERSION, dataHash, seed, epoch: st.epoch };
        await writeCheckpoint(path.join(outDir, 'last'), {
          models: { encoder: { model: cvae.encoder, meta: { role: 'encoder', ...meta } }, decoder: { model: cvae.decoder, meta: { role: 'decoder', ...meta } } },
          optimizer: await trainer.engine.getOptimizerState(),
          state: st,
          files: { 'checkpoint.json': JSON.stringify({ epoch: st.epoch, train: log.train, val: log.val }, null, 2) },
        });
        if (improved) {
          const { mu, logvar } = trainer.encode(trainX, trainPart.labels, shape, trainIds);
          const prior = fitLatentPrior(mu, logvar, trainPart.labels, train.labelNames, cfg.latentDim, seed, trainIds && identityNames ? { index: trainIds, names: identityNames } : undefined);
          copyCheckpoint(path.join(outDir, 'last'), path.join(outDir, 'best'), { [LATENT_FILE]: JSON.stringify(prior) });
        }
        writeLossCurve(outDir, st.history);
        Object.assign(manifest, { epochsDone: st.epoch, bestEpoch: st.bestEpoch, completed: st.epoch === cfg.epochs });
        writeManifest(outDir, manifest);
        progress.update(done, { epoch: `${st.epoch}/${cfg.epochs}`, loss: log.train.total, ...(log.val ? { val: log.val.total } : {}), 'lc+ld': log.train.lc + log.train.ld });
        options.onEpoch?.(log);
      },
    });
    progress.stop();
    if (!completed) progress.log(`stopped after epoch ${state.epoch} of ${cfg.epochs}; resume continues from ${path.join(outDir, 'last')}`);
    return { dir: outDir, bestEpoch: state.bestEpoch, history: state.history, completed: state.epoch === cfg.epochs, trainPart, valPart };
  } finally {
    await trainer.dispose();
  }
}

/** state.json of an older checkpoint, which kept `bestLoss` instead of a score vector. */
function upgradeState(s: FitState<EpochLog> & { bestLoss?: number }): FitState<EpochLog> {
  if (s.bestScore === undefined) return { epoch: s.epoch, history: s.history, bestEpoch: s.bestEpoch, bestScore: Number.isFinite(s.bestLoss) ? [s.bestLoss!] : null };
  return s;
}

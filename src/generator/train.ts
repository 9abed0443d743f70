/**
 * Training STEP-Gen / the baseline CVAE: Adam with L2 weight decay and STEP's
 * step schedule, per-epoch loss terms and validation loss, best and last
 * checkpoints, a loss curve, and `resume` from the last checkpoint that gives
 * the same weights as an uninterrupted run on the same backend (every epoch's
 * shuffling and noise come from their own seeded streams, and the optimizer
 * state is saved exactly).
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError, optionError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { EDGES, NUM_JOINTS, SKELETON_NAME } from '../core/skeleton.js';
import { VERSION } from '../core/version.js';
import { trainableVariables } from '../nn/model-utils.js';
import { loadModel, saveModel } from '../nn/serialize.js';
import {
  checkpointDir, copyCheckpoint, ensureDir, gaitSetHash, LATENT_FILE, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, readManifest,
  readOptimizerState, swapDir, writeFileAtomic, writeLossCurve, writeManifest, writeOptimizerState,
  type EpochLog, type GeneratorManifest, type LossValues, type TrainState,
} from './checkpoint.js';
import { generatorLearningRate, resolveGenerator, type GeneratorConfig, type ResolvedGeneratorConfig } from './config.js';
import './layers.js';
import { fitLatentPrior } from './latent.js';
import { boneTerm, LOSS_TERMS, pushPullLoss, type BoneTerm } from './losses.js';
import { buildCvae, oneHot, type Cvae } from './model.js';
import { canonicalizeAll, fitNormalization, standardize, type GaitNormalization } from './normalize.js';
import { Adam } from './optimizer.js';

export type { EpochLog, LossValues } from './checkpoint.js';

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
}

export interface TrainGeneratorResult {
  dir: string;
  /** 1-based epoch of the best checkpoint (lowest validation loss, or training loss without validation gaits). */
  bestEpoch: number;
  history: EpochLog[];
  /** False when stopped by `signal` before the last epoch. */
  completed: boolean;
}

/** Skeleton edges for a set; the generator's graph needs a known skeleton. */
export function skeletonEdges(skeleton: string, V: number): [number, number][] {
  if (skeleton !== SKELETON_NAME || V !== NUM_JOINTS)
    throw new GaitforgeError('E_SHAPE', `the generator needs the ${SKELETON_NAME} skeleton with ${NUM_JOINTS} joints, got ${skeleton} with V = ${V}`);
  return EDGES.map(([a, b]) => [a, b] as [number, number]);
}

/**
 * One CVAE with its optimizer: a training step and the evaluation loss on
 * standardised gaits. Owns its models and optimizer (`dispose()`).
 */
export class CvaeTrainer {
  readonly cvae: Cvae;
  readonly cfg: ResolvedGeneratorConfig;
  readonly optimizer: Adam;
  readonly numLabels: number;
  private readonly vars: tf.Variable[];
  private readonly bones: BoneTerm | undefined;

  /** `bones` (owned, disposed with the trainer) adds the bone-length term L_b. */
  constructor(cvae: Cvae, cfg: ResolvedGeneratorConfig, numLabels: number, bones?: BoneTerm) {
    this.cvae = cvae;
    this.cfg = cfg;
    this.numLabels = numLabels;
    this.bones = bones;
    // both halves, in a fixed order (the optimizer state is saved in it)
    this.vars = [...trainableVariables(cvae.encoder), ...trainableVariables(cvae.decoder)];
    this.optimizer = new Adam(this.vars, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  }

  /** The loss terms as a tensor in the order of LOSS_TERMS for x: [N, T, V, 3], y: [N, L]. */
  private terms(x: tf.Tensor4D, y: tf.Tensor2D, noiseSeed: number, training: boolean): { total: tf.Scalar; stacked: tf.Tensor1D } {
    const [mu, logvar] = this.cvae.encoder.apply([x, y], { training }) as tf.Tensor2D[];
    const eps = tf.randomNormal(mu!.shape, 0, 1, 'float32', noiseSeed);
    const z = tf.add(mu!, tf.mul(tf.exp(tf.mul(logvar!, 0.5)), eps));
    const xHat = this.cvae.decoder.apply([z, y], { training }) as tf.Tensor4D;
    const L = pushPullLoss(x, xHat, mu!, logvar!, this.cfg, this.bones);
    return { total: L.total, stacked: tf.stack(LOSS_TERMS.map((k) => L[k])) as tf.Tensor1D };
  }

  /**
   * One optimisation step on standardised gaits x: [N, T, V, 3] with labels y.
   * Returns the loss terms before the update. Leaves no tensors behind.
   */
  async step(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], noiseSeed: number): Promise<LossValues> {
    const n = labels.length;
    const out = tf.tidy(() => {
      const xt = tf.tensor4d(x, [n, ...shape]);
      const yt = oneHot(labels, this.numLabels);
      let stacked!: tf.Tensor1D;
      const { grads } = tf.variableGrads(() => {
        const r = this.terms(xt, yt, noiseSeed, true);
        stacked = tf.keep(r.stacked);
        return r.total;
      }, this.vars);
      this.optimizer.apply(this.vars.map((v) => grads[v.name] ?? tf.zerosLike(v)));
      return stacked;
    });
    const v = await out.data();
    out.dispose();
    return toValues(v);
  }

  /** Loss terms in inference mode (batch norm with running statistics). Leaves no tensors behind. */
  async evaluate(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number], noiseSeed: number): Promise<LossValues> {
    const n = labels.length;
    const out = tf.tidy(() => this.terms(tf.tensor4d(x, [n, ...shape]), oneHot(labels, this.numLabels), noiseSeed, false).stacked);
    const v = await out.data();
    out.dispose();
    return toValues(v);
  }

  /** Posterior means and log-variances ([N, D] row-major) in inference mode, in batches of up to 64. */
  encode(x: Float32Array, labels: ArrayLike<number>, shape: [number, number, number]): { mu: Float32Array; logvar: Float32Array } {
    const n = labels.length;
    const D = this.cfg.latentDim;
    const per = shape[0] * shape[1] * shape[2];
    const mu = new Float32Array(n * D);
    const logvar = new Float32Array(n * D);
    for (let s = 0; s < n; s += 64) {
      const e = Math.min(n, s + 64);
      const [m, l] = tf.tidy(() => this.cvae.encoder.apply(
        [tf.tensor4d(x.subarray(s * per, e * per), [e - s, ...shape]), oneHot(Array.from({ length: e - s }, (_, i) => labels[s + i]!), this.numLabels)],
        { training: false }) as tf.Tensor[]);
      mu.set(m!.dataSync(), s * D);
      logvar.set(l!.dataSync(), s * D);
      tf.dispose([m!, l!]);
    }
    return { mu, logvar };
  }

  dispose(): void {
    if (this.bones) tf.dispose([this.bones.incidence, this.bones.meanBones]);
    this.optimizer.dispose();
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
async function evaluateSet(trainer: CvaeTrainer, data: Float32Array, labels: Int32Array, shape: [number, number, number], seed: number): Promise<LossValues> {
  const per = shape[0] * shape[1] * 3;
  const n = labels.length;
  const rng = new Rng(seed, 'generator/val/noise');
  const acc = zeroValues();
  for (let s = 0; s < n; s += 64) {
    const e = Math.min(n, s + 64);
    const v = await trainer.evaluate(data.subarray(s * per, e * per), labels.subarray(s, e), shape, rng.tfSeed());
    accumulate(acc, v, (e - s) / n);
  }
  return acc;
}

function checkLabelsPresent(set: GaitSet, what: string, hint: string): void {
  const counts = set.countsByLabel();
  for (const [label, c] of Object.entries(counts))
    if (c === 0) throw new GaitforgeError('E_LABEL', `label ${JSON.stringify(label)} has no gaits in ${what}${hint}`);
}

/** Standardised canonical copies of a set's positions. */
function prepare(set: GaitSet, norm: GaitNormalization | null) {
  const canon = canonicalizeAll(set.positions, set.T, set.V);
  const n = norm ?? fitNormalization(canon, set.stride);
  return { data: standardize(canon, n), norm: n };
}

function describeDiff(m: GeneratorManifest, want: Pick<GeneratorManifest, 'seed' | 'dataHash' | 'T' | 'V' | 'labelNames' | 'config'>): string | null {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const k of ['seed', 'dataHash', 'T', 'V', 'labelNames'] as const)
    if (!same(m[k], want[k])) return k === 'dataHash' ? 'the training data differ' : `${k} differs (${JSON.stringify(m[k])} there)`;
  for (const k of Object.keys(want.config) as (keyof ResolvedGeneratorConfig)[])
    if (!same(m.config[k], want.config[k])) return `config differs: ${k} = ${JSON.stringify(m.config[k])} there, ${JSON.stringify(want.config[k])} now`;
  return null;
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
  if (!Number.isSafeInteger(seed) || seed < 0) throw optionError('seed', seed, 'a non-negative integer');
  if (typeof outDir !== 'string' || outDir === '') throw optionError('outDir', outDir, 'a directory path');
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new GaitforgeError('E_IO', `${outDir} exists and is not a directory`);
  const edges = skeletonEdges(train.skeleton, train.V);
  if (train.N < 2) throw new GaitforgeError('E_SHAPE', `the training set has ${train.N} gait(s); a generator needs at least 2`);
  checkLabelsPresent(train, 'the training set', ' (every label of the set needs gaits; drop the label or add gaits)');

  let trainPart = train;
  let valPart: GaitSet | null = null;
  if (options.val) {
    const v = options.val;
    if (v.T !== train.T || v.V !== train.V || v.skeleton !== train.skeleton)
      throw new GaitforgeError('E_SHAPE', `validation gaits are [T=${v.T}, V=${v.V}, ${v.skeleton}], training gaits [T=${train.T}, V=${train.V}, ${train.skeleton}]`);
    valPart = v.N > 0 ? v.withLabelNames(train.labelNames) : null;
  } else if (cfg.valFraction > 0) {
    const [a, b] = train.stratifiedSplit([1 - cfg.valFraction, cfg.valFraction], seed);
    trainPart = a!;
    valPart = b!.N > 0 ? b! : null;
    checkLabelsPresent(trainPart, 'the training part', ` after holding out valFraction = ${cfg.valFraction} for validation (lower valFraction or add gaits)`);
  }
  if (trainPart.N < 2) throw new GaitforgeError('E_SHAPE', `only ${trainPart.N} gait(s) left for training after the validation split`);
  const dataHash = options.val
    ? createHash('sha256').update(gaitSetHash(train)).update(gaitSetHash(options.val)).digest('hex')
    : gaitSetHash(train);

  // What is already in outDir decides between a fresh run and a resumed one.
  const manifestFile = path.join(outDir, MANIFEST_FILE);
  let resumeFrom: { manifest: GeneratorManifest; state: TrainState; last: string } | null = null;
  if (existsSync(manifestFile)) {
    if (options.resume) {
      const m = readManifest(outDir);
      const diff = describeDiff(m, { seed, dataHash, T: train.T, V: train.V, labelNames: train.labelNames, config: cfg });
      if (diff) throw new GaitforgeError('E_MODEL', `cannot resume ${outDir}: ${diff}; resume needs the same data, config and seed`);
      const last = checkpointDir(outDir, 'last');
      const stateFile = path.join(last, 'state.json');
      if (m.epochsDone > 0 && existsSync(stateFile))
        resumeFrom = { manifest: m, state: JSON.parse(readFileSync(stateFile, 'utf8')) as TrainState, last };
    } else if (!options.overwrite) {
      throw new GaitforgeError('E_IO', `${outDir} already holds a generator (${MANIFEST_FILE}); resume it or choose overwrite / another directory`);
    }
  }

  const T = train.T;
  const V = train.V;
  const shape: [number, number, number] = [T, V, 3];
  const per = T * V * 3;
  const { data: trainX, norm } = prepare(trainPart, resumeFrom?.manifest.normalization ?? null);
  const valX = valPart ? prepare(valPart, norm).data : null;

  let cvae: Cvae;
  if (resumeFrom) {
    const enc = await loadModel(path.join(resumeFrom.last, 'encoder'));
    const dec = await loadModel(path.join(resumeFrom.last, 'decoder'));
    cvae = { encoder: enc.model, decoder: dec.model };
  } else {
    cvae = buildCvae(cfg, { T, V, labels: train.labelNames.length, edges }, seed);
  }
  // L_b is logged for every run and enters the loss with weight λb.
  const trainer = new CvaeTrainer(cvae, cfg, train.labelNames.length, boneTerm(edges, V, norm.mean, norm.scale));
  try {
    if (resumeFrom) trainer.optimizer.setState(readOptimizerState(resumeFrom.last));
    else {
      if (options.overwrite)
        for (const f of [MANIFEST_FILE, 'best', 'last', 'best.old', 'last.old', 'loss.csv', 'loss.json']) rmSync(path.join(outDir, f), { recursive: true, force: true });
      ensureDir(outDir);
    }
    const manifest: GeneratorManifest = resumeFrom?.manifest ?? {
      format: MANIFEST_FORMAT, formatVersion: MANIFEST_VERSION, gaitforgeVersion: VERSION, name: cfg.variant, config: cfg,
      labelNames: [...train.labelNames], skeleton: train.skeleton, T, V, fps: train.fps, edges, normalization: norm, dataHash, seed,
      trainGaits: trainPart.N, valGaits: valPart?.N ?? 0, epochsDone: 0, bestEpoch: 0, completed: false,
      backend: currentBackend()?.chosen ?? tf.getBackend(),
    };
    if (!resumeFrom) writeManifest(outDir, manifest);

    const state: TrainState = resumeFrom?.state ?? { epoch: 0, history: [], bestEpoch: 0, bestLoss: Infinity };
    const B = cfg.batchSize;
    const nTrain = trainPart.N;
    // A last batch of a single gait is dropped: batch norm needs two.
    const batches = Math.floor(nTrain / B) + (nTrain % B >= 2 ? 1 : 0);
    const left = cfg.epochs - state.epoch;
    progress.start(`train ${cfg.variant}`, left * batches);
    let done = 0;
    let aborted = false;
    for (let epoch = state.epoch; epoch < cfg.epochs && !aborted; epoch++) {
      trainer.optimizer.lr = generatorLearningRate(cfg, epoch);
      const perm = new Rng(seed, `generator/train/shuffle/${epoch}`).permutation(nTrain);
      const noise = new Rng(seed, `generator/train/noise/${epoch}`);
      const acc = zeroValues();
      let seen = 0;
      const t0 = performance.now();
      for (let b = 0; b < batches; b++) {
        const idx = perm.subarray(b * B, Math.min(nTrain, (b + 1) * B));
        const labels = Int32Array.from(idx, (i) => trainPart.labels[i]!);
        const v = await trainer.step(gatherRows(trainX, per, idx), labels, shape, noise.tfSeed());
        if (!Number.isFinite(v.total))
          throw new GaitforgeError('E_VALUE', `training diverged in epoch ${epoch + 1}, step ${b + 1}: the loss is ${v.total} (lower lr, currently ${trainer.optimizer.lr})`);
        accumulate(acc, v, idx.length);
        seen += idx.length;
        done++;
        progress.update(done, { epoch: `${epoch + 1}/${cfg.epochs}`, lo: v.lo, lc: v.lc, ld: v.ld, lb: v.lb, kl: v.kl, loss: v.total });
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
      }
      if (aborted) break;
      const seconds = (performance.now() - t0) / 1000;
      for (const k of LOSS_TERMS) acc[k] /= seen;
      const val = valX && valPart ? await evaluateSet(trainer, valX, valPart.labels, shape, seed) : null;
      const log: EpochLog = { epoch: epoch + 1, lr: trainer.optimizer.lr, train: acc, val, seconds, samplesPerSec: seen / seconds };
      state.history.push(log);
      state.epoch = epoch + 1;
      const score = val ? val.total : acc.total;
      const improved = score < state.bestLoss;
      if (improved) {
        state.bestLoss = score;
        state.bestEpoch = epoch + 1;
      }
      await saveLast(outDir, trainer, state, { gaitforgeVersion: VERSION, dataHash, seed, epoch: epoch + 1 });
      if (improved) {
        const { mu, logvar } = trainer.encode(trainX, trainPart.labels, shape);
        const prior = fitLatentPrior(mu, logvar, trainPart.labels, train.labelNames, cfg.latentDim);
        copyCheckpoint(path.join(outDir, 'last'), path.join(outDir, 'best'), { [LATENT_FILE]: JSON.stringify(prior) });
      }
      writeLossCurve(outDir, state.history);
      Object.assign(manifest, { epochsDone: state.epoch, bestEpoch: state.bestEpoch, completed: state.epoch === cfg.epochs });
      writeManifest(outDir, manifest);
      progress.update(done, {
        epoch: `${epoch + 1}/${cfg.epochs}`, loss: acc.total, ...(val ? { val: val.total } : {}), 'lc+ld': acc.lc + acc.ld,
      });
      options.onEpoch?.(log);
      if (options.signal?.aborted) aborted = true;
    }
    progress.stop();
    if (aborted) progress.log(`stopped after epoch ${state.epoch} of ${cfg.epochs}; resume continues from ${path.join(outDir, 'last')}`);
    return { dir: outDir, bestEpoch: state.bestEpoch, history: state.history, completed: state.epoch === cfg.epochs };
  } finally {
    trainer.dispose();
  }
}

/** Writes last/ (models, optimizer state, history) into a temporary directory and swaps it in. */
async function saveLast(outDir: string, trainer: CvaeTrainer, state: TrainState, meta: Record<string, unknown>): Promise<void> {
  const tmp = path.join(outDir, `last.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  await saveModel(trainer.cvae.encoder, path.join(tmp, 'encoder'), { role: 'encoder', ...meta });
  await saveModel(trainer.cvae.decoder, path.join(tmp, 'decoder'), { role: 'decoder', ...meta });
  writeOptimizerState(tmp, await trainer.optimizer.getState());
  const last = state.history[state.history.length - 1]!;
  writeFileSync(path.join(tmp, 'checkpoint.json'), JSON.stringify({ epoch: state.epoch, train: last.train, val: last.val }, null, 2));
  writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(state));
  swapDir(tmp, path.join(outDir, 'last'));
}

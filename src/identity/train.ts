/**
 * Training of identity models.
 *
 * GaitTAKE: P×K batches, the triplet loss over every embedding head (plus an
 * optional identity cross-entropy), Adam (src/generator's, with its L2
 * decay), and the epoch selected by mean cross-condition rank-1 on
 * validation identities held out of the training identities (never on the
 * evaluated data). AT-GCN: the classifier's own training with the identity
 * task on (src/classifier). Both write `training-gaits.json` so an evaluation
 * can refuse gaits the model was trained on.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import type { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { addEstimatorNoise } from '../core/procedural.js';
import { VERSION } from '../core/version.js';
import { flushDenormals, saveModel, trainableVariables } from '../nn/index.js';
import { Adam } from '../train/optimizer.js';
import { crossEntropy } from '../classifier/objectives.js';
import { modelPositions, gatherRows } from '../classifier/input.js';
import { trainClassifier, dataHash, type TrainClassifierResult } from '../classifier/train.js';
import type { ClassifierConfig } from '../classifier/config.js';
import { checkpointHashOf } from '../classifier/model.js';
import { buildIdentityModel } from './architecture.js';
import { resolveIdentityConfig, type IdentityConfig } from './config.js';
import { tripletLoss } from './losses.js';
import {
  gaitHash, IDENTITY_FORMAT, IDENTITY_FORMAT_VERSION, identityPreprocess, runIdentityModel, TRAINING_GAITS_FILE, type IdentityMeta, type IdentityModelKind,
} from './model.js';
import { crossConditionSplit, identificationMetrics } from './protocol.js';
import { pkBatches } from './sampler.js';

/** One epoch of the GaitTAKE training record (history.json). */
export interface IdentityEpochLog {
  epoch: number;
  seconds: number;
  /** Mean training loss (triplet, plus weighted cross-entropy when on). */
  trainLoss: number;
  /** Mean triplet loss. */
  triplet: number;
  /** The learned GeM exponent at the end of the epoch. */
  gemP: number;
  /** Mean cross-condition rank-1 and mAP on the validation identities (null when not validated). */
  valRank1: number | null;
  valMAP: number | null;
  samplesPerSec: number;
}

export interface TrainIdentityOptions {
  outDir: string;
  seed: number;
  /** Condition (label) of the gallery in validation. Default 'neutral'. */
  galleryCondition?: string;
  /** AT-GCN: fraction of the training gaits held out by the classifier's validation split (GaitTAKE takes `valFraction` from its config). */
  valFraction?: number;
  progress?: Progress;
}

export interface TrainIdentityResult {
  kind: IdentityModelKind;
  dir: string;
  checkpointHash: string;
  bestEpoch: number;
  /** GaitTAKE: mean validation rank-1 at the selected epoch (null without validation); AT-GCN: null. */
  bestValRank1: number | null;
  /** GaitTAKE's epochs; AT-GCN's are in its history.json. */
  history: IdentityEpochLog[];
  trainIdentities: string[];
}

function requireIdentities(set: GaitSet): string[] {
  for (let i = 0; i < set.N; i++)
    if (set.identity[i] == null) throw new GaitforgeError('E_VALUE', `gait ${i} (${set.ids[i]}) has no identity: identity models train on gaits with identities only`);
  const names = [...new Set(set.identity as string[])].sort();
  if (names.length < 2) throw new GaitforgeError('E_SHAPE', `the training set has ${names.length} identity; at least 2 are needed`);
  return names;
}

function trainingGaitsFile(dir: string, set: GaitSet, identities: string[]) {
  const gaitHashes = Array.from({ length: set.N }, (_, i) => gaitHash(set, i));
  return { path: path.join(dir, TRAINING_GAITS_FILE), data: JSON.stringify({ identities, gaitHashes }) };
}

/**
 * Trains an identity model of `kind` on `train` (every gait needs an
 * identity) and saves it to `options.outDir`. `config` is an IdentityConfig
 * for GaitTAKE and a ClassifierConfig for AT-GCN (its identity task is
 * always on). Deterministic for a seed on a backend.
 */
export async function trainIdentityModel(
  kind: IdentityModelKind,
  train: GaitSet,
  config: IdentityConfig | ClassifierConfig,
  options: TrainIdentityOptions,
): Promise<TrainIdentityResult> {
  if (kind !== 'gaittake' && kind !== 'at-gcn') throw new GaitforgeError('E_OPTION', `unknown identity model ${JSON.stringify(kind)} (expected gaittake|at-gcn)`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new GaitforgeError('E_OPTION', `seed = ${options.seed}: expected a non-negative integer`);
  const identities = requireIdentities(train);
  if (kind === 'at-gcn') {
    const c = config as ClassifierConfig;
    const r: TrainClassifierResult = await trainClassifier('at-gcn', train, { ...c, tasks: { ...(c.tasks ?? {}), identity: true } }, {
      outDir: options.outDir, seed: options.seed, progress: options.progress, valFraction: options.valFraction,
    });
    writeFilesAtomic([trainingGaitsFile(options.outDir, train, identities)]);
    return { kind, dir: r.dir, checkpointHash: r.checkpointHash, bestEpoch: r.bestEpoch, bestValRank1: null, history: [], trainIdentities: identities };
  }
  return trainGaitTake(train, config as IdentityConfig, options, identities);
}

async function trainGaitTake(all: GaitSet, config: IdentityConfig, options: TrainIdentityOptions, identities: string[]): Promise<TrainIdentityResult> {
  const cfg = resolveIdentityConfig(config);
  const { seed, outDir } = options;
  const progress = options.progress ?? silentProgress;
  const galleryCondition = options.galleryCondition ?? 'neutral';

  // ---- identity-disjoint validation split of the training identities
  let trainSet = all;
  let valSet: GaitSet | null = null;
  let valIdentities: string[] = [];
  if (cfg.valFraction > 0) {
    const order = [...identities];
    new Rng(seed, 'identity/val-split').shuffle(order);
    const nVal = Math.max(2, Math.round(cfg.valFraction * order.length));
    if (order.length - nVal < 2)
      throw new GaitforgeError('E_SHAPE', `${order.length} training identities are too few to hold out ${nVal} for validation; pass valFraction 0 or more identities`);
    valIdentities = order.slice(0, nVal).sort();
    const isVal = new Set(valIdentities);
    const tr: number[] = [];
    const va: number[] = [];
    for (let i = 0; i < all.N; i++) (isVal.has(all.identity[i]!) ? va : tr).push(i);
    trainSet = all.select(tr);
    valSet = all.select(va);
  }
  const valSplit = valSet ? crossConditionSplit(valSet, galleryCondition) : null;
  const trainIdentities = identities.filter((n) => !valIdentities.includes(n));
  const idIndex = new Map(trainIdentities.map((n, i) => [n, i]));
  const classes = Int32Array.from(trainSet.identity, (n) => idIndex.get(n!)!);

  const { T, V } = trainSet;
  const pre = identityPreprocess(V);
  const pos = modelPositions(trainSet, pre, cfg.frameStride);
  const modelT = pos.T;
  const valPos = valSet ? modelPositions(valSet, pre, cfg.frameStride).data : null;
  const model = buildIdentityModel({ config: cfg, T: modelT, V, numIdentities: trainIdentities.length, seed: deriveSeed(seed, 'identity/init') });
  const vars = trainableVariables(model);
  const pVar = model.getLayer('gem').trainableWeights[0]!;
  const useCE = model.outputs.length > 2;
  const adam = identityOptimizer(vars, cfg);
  const stepsPerEpoch = Math.max(1, Math.ceil(trainSet.N / (cfg.P * cfg.K)));
  const batchRng = new Rng(seed, 'identity/batches');
  const per = modelT * V * 3;
  const history: IdentityEpochLog[] = [];
  let best = { epoch: 0, rank1: -Infinity, mAP: -Infinity, weights: null as Float32Array[] | null };

  try {
    progress.start('train gaittake', cfg.epochs);
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const t0 = performance.now();
      let lossSum = 0;
      let tripletSum = 0;
      let seen = 0;
      let step = 0;
      for (const b of pkBatches(classes, cfg.P, cfg.K, stepsPerEpoch, batchRng.derive(`epoch/${epoch}`))) {
        const labels = Int32Array.from(b, (i) => classes[i]!);
        const xs = gatherRows(pos.data, per, b);
        if (cfg.augmentNoise > 0) {
          const noiseRng = batchRng.derive(`noise/${epoch}/${step}`);
          const fps = trainSet.fps / cfg.frameStride;
          for (let k = 0; k < b.length; k++) addEstimatorNoise(xs.subarray(k * per, (k + 1) * per), modelT, V, fps, cfg.augmentNoise, cfg.augmentNoiseTime, noiseRng);
        }
        step++;
        const r = identityTrainStep(model, adam, vars, tf.tensor4d(xs, [b.length, modelT, V, 3]), labels, cfg.margin, cfg.triplet, useCE ? cfg.crossEntropyWeight : 0);
        lossSum += r.loss;
        tripletSum += r.triplet;
        seen += b.length;
        await new Promise<void>((resolve) => setImmediate(resolve)); // keeps progress output and signals responsive
      }
      flushDenormals(model);
      const seconds = (performance.now() - t0) / 1000;
      const log: IdentityEpochLog = {
        epoch, seconds, trainLoss: lossSum / stepsPerEpoch, triplet: tripletSum / stepsPerEpoch, gemP: Math.max(1, (pVar.read().dataSync() as Float32Array)[0]!),
        valRank1: null, valMAP: null, samplesPerSec: seen / seconds,
      };
      if (!Number.isFinite(log.trainLoss)) throw new GaitforgeError('E_VALUE', `training gaittake diverged at epoch ${epoch} (loss ${log.trainLoss}); lower the learning rate (now ${cfg.lr})`);
      const validateNow = epoch % cfg.validateEvery === 0 || epoch === cfg.epochs;
      if (valSet && valSplit && valPos && validateNow) {
        const e = runIdentityModel(model, valPos, valSet.N, modelT, V);
        const m = identificationMetrics({ data: e.embeddings, dim: e.dim, parts: cfg.heads }, valSet, valSplit);
        log.valRank1 = m.rank1['mean']!;
        log.valMAP = m.mAP['mean']!;
        if (log.valRank1 > best.rank1 || (log.valRank1 === best.rank1 && log.valMAP > best.mAP))
          best = { epoch, rank1: log.valRank1, mAP: log.valMAP, weights: model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)) };
      }
      if (!valSet && epoch === cfg.epochs) best = { epoch, rank1: NaN, mAP: NaN, weights: null };
      history.push(log);
      progress.update(epoch, { loss: log.trainLoss, p: log.gemP, ...(log.valRank1 != null ? { valR1: log.valRank1 } : {}) });
    }
    progress.stop();
    if (best.weights) {
      const snapshot = best.weights;
      tf.tidy(() => model.setWeights(model.weights.map((w, i) => tf.tensor(snapshot[i]!, w.shape as number[], 'float32'))));
    }
    const meta: IdentityMeta = {
      format: IDENTITY_FORMAT, formatVersion: IDENTITY_FORMAT_VERSION, version: VERSION, kind: 'gaittake', config: cfg, T, V, fps: trainSet.fps,
      skeleton: trainSet.skeleton, frameStride: cfg.frameStride, modelT, preprocess: pre, trainIdentities, valIdentities, galleryCondition, seed,
      dataHash: dataHash([all]), trainGaits: trainSet.N,
      validation: valSet ? `${valIdentities.length} of the ${identities.length} training identities held out (identity-disjoint); epoch selected by mean cross-condition rank-1 on them` : 'none: the last epoch is kept',
      bestEpoch: best.epoch, bestValRank1: valSet ? best.rank1 : null, gemP: Math.max(1, (pVar.read().dataSync() as Float32Array)[0]!),
      backend: currentBackend()?.tfBackend ?? tf.getBackend(),
    };
    await saveModel(model, outDir, meta);
    writeFilesAtomic([
      { path: path.join(outDir, 'history.json'), data: JSON.stringify({ kind: 'gaittake', bestEpoch: best.epoch, bestValRank1: meta.bestValRank1, history }, null, 2) },
      trainingGaitsFile(outDir, all, identities),
    ]);
    return { kind: 'gaittake', dir: outDir, checkpointHash: checkpointHashOf(outDir), bestEpoch: best.epoch, bestValRank1: meta.bestValRank1, history, trainIdentities };
  } finally {
    adam.dispose();
    model.dispose();
  }
}

/** The optimizer of identity training over `vars` (in a fixed order); the caller disposes it. */
export function identityOptimizer(vars: tf.Variable[], c: { lr: number; weightDecay: number }): Adam {
  return new Adam(vars, { lr: c.lr, weightDecay: c.weightDecay });
}

/**
 * One optimisation step on a P×K batch x: [n, T, V, 3] (disposed here) with
 * class labels [n]. Returns the loss and its triplet part. Leaves no tensors
 * behind except the optimizer's state.
 */
export function identityTrainStep(
  model: tf.LayersModel, adam: Adam, vars: tf.Variable[], x: tf.Tensor4D, labels: Int32Array,
  margin: number, mode: 'weighted' | 'batch-hard', ceWeight: number,
): { loss: number; triplet: number } {
  try {
    let tripletValue = 0;
    const loss = tf.tidy(() => {
      let tri: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const outs = model.apply(x, { training: true }) as tf.Tensor[];
        const t = tripletLoss(outs[0] as tf.Tensor3D, labels, margin, mode);
        tri = tf.keep(t.clone());
        if (ceWeight <= 0) return t;
        return tf.add(t, tf.mul(crossEntropy(outs[2] as tf.Tensor2D, tf.tensor1d(labels, 'int32')), ceWeight)) as tf.Scalar;
      }, vars);
      adam.apply(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)));
      tripletValue = tri!.dataSync()[0]!;
      tf.dispose(tri!);
      return value;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return { loss: v, triplet: tripletValue };
  } finally {
    x.dispose();
  }
}

/**
 * Training of the three classifiers: Adam with weight decay and a step
 * learning-rate schedule, optional class-balanced sampling, model selection
 * on a validation split only (never a test split), the best checkpoint
 * saved with everything inference needs, and loss/accuracy curves.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { saveModel, trainableVariables } from '../nn/index.js';
import { AFFECTIVE_FEATURE_NAMES, affectiveFeatures, applyMinMax, fitMinMax, NUM_AFFECTIVE_FEATURES } from './affective.js';
import { buildArchitecture } from './architectures.js';
import { CLASSIFIER_KINDS, learningRateAt, resolveClassifierConfig, type ClassifierConfig, type ClassifierKind, type ResolvedClassifierConfig } from './config.js';
import { curvesSvg } from './curves.js';
import { alignLabels } from './evaluate.js';
import { classifierPreprocess, epochBatches, gatherRows, modelPositions } from './input.js';
import { checkpointHashOf, CLASSIFIER_FORMAT, CLASSIFIER_FORMAT_VERSION, ModelRunner, type ClassifierMeta } from './model.js';
import { batchAccuracy, crossEntropy, nextFrameLoss, uncertaintyWeighted } from './objectives.js';

/** One epoch of the training record (history.json). */
export interface EpochLog {
  epoch: number;
  lr: number;
  seconds: number;
  /** Mean training loss (the combined objective for AT-GCN). */
  trainLoss: number;
  /** Emotion accuracy on the training batches (training mode: dropout on, batch statistics). */
  trainAccuracy: number;
  /** Emotion cross-entropy and accuracy on the validation split (null on epochs not validated). */
  valLoss: number | null;
  valAccuracy: number | null;
  /** Training throughput of the epoch's optimisation steps (gaits/s). */
  samplesPerSec: number;
  /** AT-GCN: mean loss of each task. */
  taskLosses?: Record<string, number>;
  /** AT-GCN: learned task weights exp(−s_i) at the end of the epoch. */
  taskWeights?: Record<string, number>;
}

export interface TrainClassifierOptions {
  /** Directory for the checkpoint (model.json, weights.bin, meta.json), history.json and curves.svg. */
  outDir: string;
  seed: number;
  /** Validation split; when absent, `valFraction` of the real training gaits is held out. */
  val?: GaitSet;
  /** Fraction of the real training gaits held out for validation when `val` is absent. Default 0.15. */
  valFraction?: number;
  progress?: Progress;
}

export interface TrainClassifierResult {
  dir: string;
  bestEpoch: number;
  bestValAccuracy: number;
  history: EpochLog[];
  checkpointHash: string;
}

/**
 * Holds out a validation split of the real gaits of `set` (synthetic gaits
 * always stay in training, so validation measures real data only). When
 * split is stratified by label and grouped (GaitSet.grouping: by identity
 * when every real gait has one, else by recording, else per gait), so no
 * walker or recording is in both parts. Throws E_SHAPE when either part
 * would be empty.
 */
export function splitValidation(set: GaitSet, valFraction: number, seed: number): { train: GaitSet; val: GaitSet; rule: string } {
  if (!(valFraction > 0 && valFraction < 1)) throw new GaitforgeError('E_OPTION', `valFraction = ${valFraction} is out of range: expected a number in (0, 1)`);
  const real: number[] = [];
  const synthetic: number[] = [];
  for (let i = 0; i < set.N; i++) (set.source[i] === 'real' ? real : synthetic).push(i);
  const pool = real.length > 0 ? set.select(real) : set;
  const groupedBy = pool.grouping();
  const [tr, va] = pool.stratifiedSplit([1 - valFraction, valFraction], deriveSeed(seed, 'classifier/val-split'), { groupBy: groupedBy });
  if (va!.N === 0 || tr!.N === 0)
    throw new GaitforgeError('E_SHAPE', `a validation fraction of ${valFraction} of ${pool.N} real gaits leaves an empty ${va!.N === 0 ? 'validation' : 'training'} split; pass a validation set or change the fraction`);
  const train = real.length > 0 && synthetic.length > 0 ? GaitSet.concat([tr!, set.select(synthetic)]) : tr!;
  const rule = `${Math.round(valFraction * 100)}% of the ${real.length > 0 ? 'real ' : ''}training gaits, stratified by label, grouped by ${groupedBy}`;
  return { train: train.withLabelNames(set.labelNames), val: va!, rule };
}

/** Throws E_VALUE when a gait id occurs in both sets (a leak between training and validation). */
export function checkDisjoint(a: GaitSet, b: GaitSet, what: string): void {
  const ids = new Set(a.ids);
  for (const id of b.ids) if (ids.has(id)) throw new GaitforgeError('E_VALUE', `gait ${JSON.stringify(id)} is in both the training and the ${what} set`);
}

/** sha256 of the positions, labels and ids of sets (hex, 16 characters). */
export function dataHash(sets: GaitSet[]): string {
  const h = createHash('sha256');
  for (const s of sets) {
    h.update(`${s.N}/${s.T}/${s.V}/${s.labelNames.join(',')}\n`);
    h.update(new Uint8Array(s.positions.buffer, s.positions.byteOffset, s.positions.byteLength));
    h.update(new Uint8Array(s.labels.buffer, s.labels.byteOffset, s.labels.byteLength));
    h.update(s.ids.join('\n'));
  }
  return h.digest('hex').slice(0, 16);
}

/** Weight decay applies to kernels only (not biases, BatchNorm, edge importance or attention vectors). */
const DECAYED = /(^|[/_])kernel(_\d+)?$/;

interface Prepared {
  positions: Float32Array;
  affective: Float32Array | null;
  labels: Int32Array;
  /** Identity class per gait, −1 when unknown or not a training identity. */
  identity: Int32Array;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Trains a classifier of `kind` on `train` and saves the epoch with the best
 * validation accuracy (ties: the lower validation loss, then the earlier
 * epoch) to `options.outDir`. Deterministic for a seed on a backend.
 */
export async function trainClassifier(
  kind: ClassifierKind,
  train: GaitSet,
  config: ClassifierConfig,
  options: TrainClassifierOptions,
): Promise<TrainClassifierResult> {
  if (!CLASSIFIER_KINDS.includes(kind)) throw new GaitforgeError('E_OPTION', `unknown classifier ${JSON.stringify(kind)} (expected ${CLASSIFIER_KINDS.join('|')})`);
  const cfg = resolveClassifierConfig(config);
  const { seed, outDir } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GaitforgeError('E_OPTION', `seed = ${seed}: expected a non-negative integer`);
  const progress = options.progress ?? silentProgress;
  if (train.N < 2) throw new GaitforgeError('E_SHAPE', `the training set has ${train.N} gaits; at least 2 are needed`);

  // ---- splits (validation only: a test split never enters this function)
  let trainSet: GaitSet;
  let valSet: GaitSet;
  let validation: string;
  if (options.val) {
    if (options.valFraction !== undefined) throw new GaitforgeError('E_OPTION', 'pass either a validation set or a validation fraction, not both');
    trainSet = train;
    valSet = alignLabels(options.val, train.labelNames);
    if (valSet.T !== train.T || valSet.V !== train.V)
      throw new GaitforgeError('E_SHAPE', `validation gaits are [T=${valSet.T}, V=${valSet.V}], training gaits [T=${train.T}, V=${train.V}]`);
    checkDisjoint(trainSet, valSet, 'validation');
    validation = `a separate validation set of ${valSet.N} gaits`;
  } else {
    const s = splitValidation(train, options.valFraction ?? 0.15, seed);
    trainSet = s.train;
    valSet = s.val;
    validation = s.rule;
  }
  const labelNames = [...trainSet.labelNames];
  const L = labelNames.length;
  const { T, V } = trainSet;
  const frameStride = kind === 'at-gcn' ? cfg.frameStride : 1;
  const preprocessConfig = classifierPreprocess(V);

  // ---- identities (AT-GCN identity head)
  const idNames = [...new Set(trainSet.identity.filter((x): x is string => x != null))].sort();
  const useIdentity = kind === 'at-gcn' && cfg.tasks.identity && idNames.length >= 2;
  const identityNames = useIdentity ? idNames : [];
  const tasks = { emotion: true, identity: useIdentity, nextFrame: kind === 'at-gcn' && cfg.tasks.nextFrame };

  // ---- inputs, computed once
  const pos = modelPositions(trainSet, preprocessConfig, frameStride);
  const modelT = pos.T;
  const scaler = kind === 'step' ? fitMinMax(affectiveFeatures(trainSet), trainSet.N, NUM_AFFECTIVE_FEATURES, AFFECTIVE_FEATURE_NAMES) : null;
  const idIndex = new Map(identityNames.map((n, i) => [n, i]));
  const data: Prepared = {
    positions: pos.data,
    affective: scaler ? Float32Array.from(applyMinMax(scaler, affectiveFeatures(trainSet))) : null,
    labels: trainSet.labels,
    identity: Int32Array.from(trainSet.identity, (x) => (x != null && idIndex.has(x) ? idIndex.get(x)! : -1)),
  };

  const metaBase = {
    format: CLASSIFIER_FORMAT, formatVersion: CLASSIFIER_FORMAT_VERSION, version: VERSION, kind, config: cfg, labelNames, identityNames,
    T, V, fps: trainSet.fps, skeleton: trainSet.skeleton, frameStride, modelT, preprocess: preprocessConfig, affectiveScaler: scaler,
    tasks, seed, dataHash: dataHash([trainSet, valSet]), trainGaits: trainSet.N,
    trainSynthetic: trainSet.source.filter((s) => s !== 'real').length, valGaits: valSet.N, validation,
    backend: currentBackend()?.tfBackend ?? tf.getBackend(),
  } satisfies Omit<ClassifierMeta, 'outputs' | 'bestEpoch' | 'bestValAccuracy'>;

  const built = buildArchitecture({
    kind, config: cfg, T: modelT, V, numLabels: L, numIdentities: identityNames.length,
    affectiveDim: scaler ? NUM_AFFECTIVE_FEATURES : 0, seed: deriveSeed(seed, 'classifier/init'),
  });
  const model = built.model;
  const runner = new ModelRunner(model, { ...metaBase, outputs: built.outputs });
  const taskNames = ['emotion', ...(tasks.identity ? ['identity'] : []), ...(tasks.nextFrame ? ['nextFrame'] : [])];
  const logVars = taskNames.length > 1 ? tf.variable(tf.zeros([taskNames.length]), true, `classifier_task_log_vars_${deriveSeed(seed, 'logvars')}`) : null;
  const optimizer = tf.train.adam(cfg.lr);
  const valInputs = runner.inputs(valSet);

  try {
    const vars = [...trainableVariables(model), ...(logVars ? [logVars] : [])];
    const decayed = new Set(model.trainableWeights.filter((w) => DECAYED.test(w.originalName ?? w.name)).map((w) => (w.read() as tf.Variable).name));
    const history: EpochLog[] = [];
    let best = { epoch: 0, acc: -Infinity, loss: Infinity, weights: null as Float32Array[] | null };
    const batchRng = new Rng(seed, 'classifier/batches');
    const perGait = modelT * V * 3;
    progress.start(`train ${kind}`, cfg.epochs);
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const t0 = performance.now();
      const lr = learningRateAt(cfg, epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const batches = epochBatches(data.labels, L, cfg.batchSize, cfg.balanced, batchRng.derive(`epoch/${epoch}`));
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      const taskSums = new Array<number>(taskNames.length).fill(0);
      for (const b of batches) {
        const r = trainStep(model, optimizer, vars, decayed, cfg, logVars, taskNames, {
          positions: tf.tensor4d(gatherRows(data.positions, perGait, b), [b.length, modelT, V, 3]),
          affective: data.affective ? tf.tensor2d(gatherRows(data.affective, NUM_AFFECTIVE_FEATURES, b), [b.length, NUM_AFFECTIVE_FEATURES]) : null,
          labels: tf.tensor1d(Int32Array.from(b, (i) => data.labels[i]!), 'int32'),
          identity: tasks.identity ? Int32Array.from(b, (i) => data.identity[i]!) : null,
        }, built.outputs);
        await yieldToEventLoop(); // keeps progress output, signals and test runners responsive during long epochs
        lossSum += r.loss * b.length;
        accSum += r.accuracy * b.length;
        r.taskLosses.forEach((x, k) => (taskSums[k]! += x * b.length));
        seen += b.length;
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const log: EpochLog = {
        epoch, lr, seconds: 0, trainLoss: lossSum / seen, trainAccuracy: accSum / seen, valLoss: null, valAccuracy: null, samplesPerSec: seen / trainSeconds,
      };
      if (logVars) {
        log.taskLosses = Object.fromEntries(taskNames.map((n, k) => [n, taskSums[k]! / seen]));
        const s = logVars.dataSync();
        log.taskWeights = Object.fromEntries(taskNames.map((n, k) => [n, Math.exp(-s[k]!)]));
      }
      if (!Number.isFinite(log.trainLoss))
        throw new GaitforgeError('E_VALUE', `training ${kind} diverged at epoch ${epoch} (loss ${log.trainLoss}); lower the learning rate (now ${lr})`);
      if (epoch % cfg.validateEvery === 0 || epoch === cfg.epochs) {
        const v = validate(runner, valSet, valInputs, L);
        log.valLoss = v.loss;
        log.valAccuracy = v.accuracy;
        if (v.accuracy > best.acc || (v.accuracy === best.acc && v.loss < best.loss)) {
          best = { epoch, acc: v.accuracy, loss: v.loss, weights: model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)) };
        }
      }
      log.seconds = (performance.now() - t0) / 1000;
      history.push(log);
      progress.update(epoch, {
        loss: log.trainLoss, acc: log.trainAccuracy, ...(log.valAccuracy != null ? { val: log.valAccuracy } : {}),
      });
    }
    progress.stop();

    // ---- restore and save the selected epoch
    const snapshot = best.weights!;
    tf.tidy(() => model.setWeights(model.weights.map((w, i) => tf.tensor(snapshot[i]!, w.shape as number[], 'float32'))));
    const meta: ClassifierMeta = { ...metaBase, outputs: built.outputs, bestEpoch: best.epoch, bestValAccuracy: best.acc };
    mkdirSync(outDir, { recursive: true });
    await saveModel(model, outDir, meta);
    writeAtomic(path.join(outDir, 'history.json'), JSON.stringify({ kind, bestEpoch: best.epoch, bestValAccuracy: best.acc, history }, null, 2));
    writeAtomic(path.join(outDir, 'curves.svg'), curvesSvg(history, `${kind}: best epoch ${best.epoch}`));
    return { dir: outDir, bestEpoch: best.epoch, bestValAccuracy: best.acc, history, checkpointHash: checkpointHashOf(outDir) };
  } finally {
    optimizer.dispose();
    logVars?.dispose();
    model.dispose();
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Batch {
  positions: tf.Tensor4D;
  affective: tf.Tensor2D | null;
  labels: tf.Tensor1D;
  identity: Int32Array | null;
}

/**
 * One optimisation step on a batch; disposes the batch tensors. Returns the
 * loss, the batch's emotion accuracy and each task's loss. Leaves no tensors
 * behind except the optimizer's state (created on its first step).
 */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  decayed: Set<string>,
  cfg: ResolvedClassifierConfig,
  logVars: tf.Variable | null,
  taskNames: string[],
  batch: Batch,
  outputs: string[],
): { loss: number; accuracy: number; taskLosses: number[] } {
  try {
    const result = tf.tidy(() => {
      let taskLosses: tf.Scalar[] = [];
      let logits: tf.Tensor2D | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const inputs = batch.affective ? [batch.positions, batch.affective] : batch.positions;
        const outs = model.apply(inputs, { training: true }) as tf.Tensor[];
        logits = tf.keep(outs[0]!.clone() as tf.Tensor2D);
        const losses: tf.Scalar[] = [crossEntropy(outs[0] as tf.Tensor2D, batch.labels)];
        if (taskNames.includes('identity')) {
          const ids = batch.identity!;
          const mask = tf.tensor1d(Float32Array.from(ids, (x) => (x >= 0 ? 1 : 0)));
          const target = tf.tensor1d(Int32Array.from(ids, (x) => Math.max(0, x)), 'int32');
          losses.push(crossEntropy(outs[outputs.indexOf('identity')] as tf.Tensor2D, target, mask));
        }
        if (taskNames.includes('nextFrame')) losses.push(nextFrameLoss(batch.positions, outs[outputs.indexOf('nextFrame')] as tf.Tensor4D));
        taskLosses = losses.map((l) => tf.keep(l.clone()));
        return logVars ? uncertaintyWeighted(losses, logVars as tf.Tensor as tf.Tensor1D) : losses[0]!;
      }, vars);
      if (cfg.weightDecay > 0) {
        for (const v of vars) if (decayed.has(v.name) && grads[v.name]) grads[v.name] = tf.add(grads[v.name]!, tf.mul(v, cfg.weightDecay));
      }
      optimizer.applyGradients(grads);
      const acc = batchAccuracy(logits!, batch.labels);
      const stacked = tf.stack(taskLosses);
      tf.dispose([logits!, ...taskLosses]); // kept out of the gradient scope above; released here
      return { value, acc, taskLosses: stacked };
    });
    const loss = result.value.dataSync()[0]!;
    const accuracy = result.acc.dataSync()[0]!;
    const taskLosses = Array.from(result.taskLosses.dataSync());
    tf.dispose([result.value, result.acc, result.taskLosses]);
    return { loss, accuracy, taskLosses };
  } finally {
    tf.dispose([batch.positions, batch.affective ?? [], batch.labels]);
  }
}

/** Emotion cross-entropy and accuracy on a validation set (inference mode). */
function validate(runner: ModelRunner, set: GaitSet, inputs: { positions: Float32Array; affective: Float32Array | null }, L: number): { loss: number; accuracy: number } {
  const { logits } = runner.forwardPrepared(inputs, set.N);
  let loss = 0;
  let hits = 0;
  for (let i = 0; i < set.N; i++) {
    let m = -Infinity;
    let arg = 0;
    for (let l = 0; l < L; l++) {
      const z = logits[i * L + l]!;
      if (z > m) {
        m = z;
        arg = l;
      }
    }
    let s = 0;
    for (let l = 0; l < L; l++) s += Math.exp(logits[i * L + l]! - m);
    loss += Math.log(s) + m - logits[i * L + set.labels[i]!]!;
    if (arg === set.labels[i]) hits++;
  }
  return { loss: loss / set.N, accuracy: hits / set.N };
}

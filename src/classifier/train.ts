/**
 * Training of the three classifiers over the training engine (src/train):
 * optional class-balanced sampling, model selection on a validation split
 * only (never a test split), the selected checkpoint saved with everything
 * inference needs, and loss/accuracy curves.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { GaitSet } from '../core/gaitset.js';
import { gaitSetsHash } from '../core/hash.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { saveModel } from '../nn/index.js';
import { assignFlat, type Engine } from '../train/engine.js';
import { checkpointDir, checkpointHashOf, ensureDir, freshState, removeCheckpoint, writeCheckpoint, type FitState } from '../train/checkpoint.js';
import { fit, startEngine } from '../train/fit.js';
import { resolveThreads } from '../train/parallel.js';
import { AFFECTIVE_FEATURE_NAMES, affectiveFeatures, applyMinMax, fitMinMax, NUM_AFFECTIVE_FEATURES } from '../core/affective.js';
import { CLASSIFIER_KINDS, classifierSchedule, resolveClassifierConfig, selectionScore, type ClassifierConfig, type ClassifierKind } from './config.js';
import { curvesSvg } from './curves.js';
import { alignLabels } from './evaluate.js';
import { classifierPreprocess, modelPositions } from '../io/model-input.js';
import { epochBatches } from '../train/batches.js';
import { finishedRun, interruptedRun } from '../train/run.js';
import { CLASSIFIER_FORMAT, CLASSIFIER_FORMAT_VERSION, ModelRunner, type ClassifierMeta } from './model.js';
import { buildClassifierTask, type ClassifierData, type ClassifierTaskSpec } from './task.js';

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
  /**
   * Continue from `outDir/last/` (the checkpoint of the last finished epoch)
   * when there is one; a fresh start otherwise. The result is bit-identical
   * to an uninterrupted run on the same backend and thread count.
   */
  resume?: boolean;
  /** Stops after the current step; the last finished epoch stays in `outDir/last/` for `resume`. */
  signal?: AbortSignal;
  /** Called after every finished (and checkpointed) epoch. */
  onEpoch?: (log: EpochLog) => void;
  /** Keep `outDir/last/` (weights, optimizer state) after the last epoch; default: removed once training completes. */
  keepLast?: boolean;
  /** Data-parallel threads (src/train/parallel.ts). Default 1; always 1 on the native backends. */
  threads?: number;
}

export interface TrainClassifierResult {
  dir: string;
  bestEpoch: number;
  bestValAccuracy: number;
  history: EpochLog[];
  /** Content hash of the saved best checkpoint ('' when stopped before any epoch was validated). */
  checkpointHash: string;
  /** False when stopped by `signal` before the last epoch. */
  completed: boolean;
  /** Synthetic gaits left out of training because they share a walker or recording with the validation gaits. */
  syntheticDropped: number;
}

/**
 * Holds out a validation split of the real gaits of `set` (synthetic gaits
 * never enter validation), stratified by label and grouped (GaitSet.grouping
 * 'auto'), so no walker or recording is in both parts; synthetic gaits of a
 * validation walker or recording (restyled or mean-shifted walks keep their
 * source's) leave training (`dropSyntheticOfHeldOut`). Throws E_SHAPE when
 * either part would be empty.
 */
export function splitValidation(set: GaitSet, valFraction: number, seed: number): { train: GaitSet; val: GaitSet; rule: string; syntheticDropped: number } {
  if (!(valFraction > 0 && valFraction < 1)) throw new GaitforgeError('E_OPTION', `valFraction = ${valFraction} is out of range: expected a number in (0, 1)`);
  const real: number[] = [];
  const synthetic: number[] = [];
  for (let i = 0; i < set.N; i++) (set.source[i] === 'real' ? real : synthetic).push(i);
  const pool = real.length > 0 ? set.select(real) : set;
  const groupedBy = pool.grouping();
  const [tr, va] = pool.stratifiedSplit([1 - valFraction, valFraction], deriveSeed(seed, 'classifier/val-split'), { groupBy: groupedBy });
  if (va!.N === 0 || tr!.N === 0)
    throw new GaitforgeError('E_SHAPE', `a validation fraction of ${valFraction} of ${pool.N} real gaits leaves an empty ${va!.N === 0 ? 'validation' : 'training'} split; pass a validation set or change the fraction`);
  const kept = real.length > 0 && synthetic.length > 0 ? dropSyntheticOfHeldOut(GaitSet.concat([tr!, set.select(synthetic)]), va!) : { train: tr!, dropped: 0 };
  const rule = `${Math.round(valFraction * 100)}% of the ${real.length > 0 ? 'real ' : ''}training gaits, stratified by label, grouped by ${groupedBy}`;
  return { train: kept.train.withLabelNames(set.labelNames), val: va!, rule, syntheticDropped: kept.dropped };
}

/**
 * `train` without its synthetic gaits (source not 'real') whose identity or
 * recording is one of `heldOut`'s: an edit of a held-out walk would let the
 * model see the walker it is selected on. Returns the count dropped.
 */
export function dropSyntheticOfHeldOut(train: GaitSet, heldOut: GaitSet): { train: GaitSet; dropped: number } {
  const walkers = new Set<string | null>(heldOut.identity.filter((x) => x != null));
  const recordings = new Set<string | null>(heldOut.recording.filter((x) => x != null));
  const keep: number[] = [];
  for (let i = 0; i < train.N; i++) {
    const leaks = train.source[i] !== 'real' && ((train.identity[i] != null && walkers.has(train.identity[i])) || (train.recording[i] != null && recordings.has(train.recording[i])));
    if (!leaks) keep.push(i);
  }
  return keep.length === train.N ? { train, dropped: 0 } : { train: train.select(keep), dropped: train.N - keep.length };
}

/** Throws E_VALUE when a gait id occurs in both sets (a leak between training and validation). */
export function checkDisjoint(a: GaitSet, b: GaitSet, what: string): void {
  const ids = new Set(a.ids);
  for (const id of b.ids) if (ids.has(id)) throw new GaitforgeError('E_VALUE', `gait ${JSON.stringify(id)} is in both the training and the ${what} set`);
}

/** state.json of a classifier checkpoint: the fit loop's state plus the task weights and the best epoch's scores. */
interface ClassifierFitState extends FitState<EpochLog> {
  bestValAccuracy: number;
  /** What the run must match to be resumed. */
  run: { kind: ClassifierKind; seed: number; dataHash: string; config: unknown };
}

/**
 * Trains a classifier of `kind` on `train` and saves the epoch that
 * `config.selectBy` selects (default: the best validation accuracy, ties to
 * the lower validation loss, then the earlier epoch) to `options.outDir`.
 * Deterministic for a seed on a backend.
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
  let syntheticDropped = 0;
  if (options.val) {
    if (options.valFraction !== undefined) throw new GaitforgeError('E_OPTION', 'pass either a validation set or a validation fraction, not both');
    valSet = alignLabels(options.val, train.labelNames);
    const kept = dropSyntheticOfHeldOut(train, valSet);
    trainSet = kept.train;
    syntheticDropped = kept.dropped;
    if (valSet.T !== train.T || valSet.V !== train.V)
      throw new GaitforgeError('E_SHAPE', `validation gaits are [T=${valSet.T}, V=${valSet.V}], training gaits [T=${train.T}, V=${train.V}]`);
    checkDisjoint(trainSet, valSet, 'validation');
    validation = `a separate validation set of ${valSet.N} gaits`;
  } else {
    const s = splitValidation(train, options.valFraction ?? 0.15, seed);
    trainSet = s.train;
    valSet = s.val;
    validation = s.rule;
    syntheticDropped = s.syntheticDropped;
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
  const data: ClassifierData = {
    positions: pos.data,
    affective: scaler ? Float32Array.from(applyMinMax(scaler, affectiveFeatures(trainSet))) : null,
    labels: trainSet.labels,
    identity: Int32Array.from(trainSet.identity, (x) => (x != null && idIndex.has(x) ? idIndex.get(x)! : -1)),
  };

  const metaBase = {
    format: CLASSIFIER_FORMAT, formatVersion: CLASSIFIER_FORMAT_VERSION, version: VERSION, kind, config: cfg, labelNames, identityNames,
    T, V, fps: trainSet.fps, skeleton: trainSet.skeleton, frameStride, modelT, preprocess: preprocessConfig, affectiveScaler: scaler,
    tasks, seed, dataHash: gaitSetsHash([trainSet, valSet]), trainGaits: trainSet.N,
    trainSynthetic: trainSet.source.filter((s) => s !== 'real').length, trainSyntheticDropped: syntheticDropped, valGaits: valSet.N, validation,
    backend: currentBackend()?.tfBackend ?? tf.getBackend(),
  } satisfies Omit<ClassifierMeta, 'outputs' | 'bestEpoch' | 'bestValAccuracy'>;

  const taskNames = ['emotion', ...(tasks.identity ? ['identity'] : []), ...(tasks.nextFrame ? ['nextFrame'] : [])];
  const spec: ClassifierTaskSpec = {
    arch: {
      kind, config: cfg, T: modelT, V, numLabels: L, numIdentities: identityNames.length,
      affectiveDim: scaler ? NUM_AFFECTIVE_FEATURES : 0, seed: deriveSeed(seed, 'classifier/init'),
    },
    taskNames,
    data,
  };
  const run = { kind, seed, dataHash: metaBase.dataHash, config: cfg };

  // A resumable checkpoint of an earlier, interrupted run of the same training.
  const lastDir = checkpointDir(outDir, 'last');
  const resumed = options.resume ? interruptedRun<ClassifierFitState>(outDir, run, (s) => s.run)?.state ?? null : null;
  if (resumed) resumed.bestValAccuracy ??= -Infinity; // JSON has no −Infinity
  if (options.resume && !resumed) {
    const done = finishedRun(outDir, run, cfg.epochs, (meta: ClassifierMeta, h: { bestEpoch: number; bestValAccuracy: number; history: EpochLog[] }) => ({
      fingerprint: { kind: meta.kind, seed: meta.seed, dataHash: meta.dataHash, config: meta.config },
      result: (): TrainClassifierResult => ({ dir: outDir, bestEpoch: h.bestEpoch, bestValAccuracy: h.bestValAccuracy, history: h.history, checkpointHash: checkpointHashOf(outDir), completed: true, syntheticDropped: meta.trainSyntheticDropped ?? 0 }),
    }));
    if (done) return done;
  }
  const threads = resolveThreads(options.threads);
  const built = buildClassifierTask(spec);
  const { model, task } = built;
  const runner = new ModelRunner(model, { ...metaBase, outputs: built.outputs });
  const valInputs = runner.inputs(valSet);
  let engine: Engine | null = null;
  try {
    engine = await startEngine({
      task, model, lastDir, resume: resumed !== null, threads, replica: new URL('./replica.js', import.meta.url), spec, lr: cfg.lr, weightDecay: cfg.weightDecay,
    });
    if (resumed && built.logVars) assignFlat([built.logVars], Float32Array.from((resumed as ClassifierFitState & { logVars: number[] }).logVars));
    ensureDir(outDir);
    const state: ClassifierFitState = resumed ?? { ...freshState<EpochLog>(), bestValAccuracy: -Infinity, run };
    const batchRng = new Rng(seed, 'classifier/batches');
    const eng = engine;
    progress.start(`train ${kind}${threads > 1 ? ` ×${threads}` : ''}`, cfg.epochs);
    progress.update(state.epoch);
    const completed = await fit<EpochLog>({
      engine: eng, epochs: cfg.epochs, schedule: classifierSchedule(cfg), state, seed, purpose: 'classifier/train', what: kind,
      signal: options.signal,
      batches: (epoch) => epochBatches(data.labels, L, cfg.batchSize, cfg.balanced, batchRng.derive(`epoch/${epoch + 1}`)),
      endEpoch: async (t) => {
        const epoch = t.epoch + 1;
        const log: EpochLog = {
          epoch, lr: t.lr, seconds: 0, trainLoss: t.metrics[0]!, trainAccuracy: t.metrics[1]!, valLoss: null, valAccuracy: null, samplesPerSec: t.seen / t.seconds,
        };
        if (built.logVars) {
          log.taskLosses = Object.fromEntries(taskNames.map((n, k) => [n, t.metrics[2 + k]!]));
          const s = built.logVars.dataSync();
          log.taskWeights = Object.fromEntries(taskNames.map((n, k) => [n, Math.exp(-s[k]!)]));
        }
        let score: number[] | null = null;
        if (epoch % cfg.validateEvery === 0 || epoch === cfg.epochs) {
          const v = validate(runner, valSet, valInputs, L);
          log.valLoss = v.loss;
          log.valAccuracy = v.accuracy;
          score = selectionScore(cfg, epoch, v);
        }
        log.seconds = t.seconds;
        return { log, score };
      },
      checkpoint: async (st, improved) => {
        const log = st.history[st.history.length - 1]!;
        if (improved) {
          // the best epoch so far is the directory's model (what loadClassifier reads)
          state.bestValAccuracy = log.valAccuracy!;
          await saveModel(model, outDir, { ...metaBase, outputs: built.outputs, bestEpoch: st.bestEpoch, bestValAccuracy: state.bestValAccuracy } satisfies ClassifierMeta);
        }
        await writeCheckpoint(lastDir, {
          models: { model: { model, meta: { role: 'last', epoch: st.epoch } } },
          optimizer: await eng.getOptimizerState(),
          state: { ...state, logVars: built.logVars ? Array.from(built.logVars.dataSync()) : [] },
        });
        writeHistory(outDir, kind, state);
        progress.update(st.epoch, { loss: log.trainLoss, acc: log.trainAccuracy, ...(log.valAccuracy != null ? { val: log.valAccuracy } : {}) });
        options.onEpoch?.(log);
      },
    });
    progress.stop();
    if (completed && !options.keepLast) removeCheckpoint(lastDir);
    if (!completed) progress.log(`stopped after epoch ${state.epoch} of ${cfg.epochs}; resume continues from ${lastDir}`);
    const hash = state.bestEpoch > 0 ? checkpointHashOf(outDir) : '';
    return { dir: outDir, bestEpoch: state.bestEpoch, bestValAccuracy: state.bestValAccuracy, history: state.history, checkpointHash: hash, completed, syntheticDropped };
  } finally {
    await engine?.dispose();
    built.dispose();
  }
}

/** history.json and curves.svg of a classifier directory (rewritten after every epoch). */
function writeHistory(outDir: string, kind: ClassifierKind, s: ClassifierFitState): void {
  writeFilesAtomic([
    { path: path.join(outDir, 'history.json'), data: JSON.stringify({ kind, bestEpoch: s.bestEpoch, bestValAccuracy: s.bestValAccuracy, history: s.history }, null, 2) },
    { path: path.join(outDir, 'curves.svg'), data: curvesSvg(s.history, `${kind}: best epoch ${s.bestEpoch}`) },
  ]);
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

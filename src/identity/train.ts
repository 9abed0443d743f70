/**
 * Training of identity models.
 *
 * GaitTAKE: an adapter over the training engine (src/train: the fit loop,
 * Adam with the one decay rule, checkpoints with exact resume,
 * data-parallel threads): P×K batches, the objective of task.ts, and the
 * epoch selected by mean cross-condition rank-1 on validation identities
 * held out of the training identities (never on the evaluated data).
 * AT-GCN: the classifier's own training with the identity task on
 * (src/classifier). Both write `training-gaits.json` so an evaluation can
 * refuse gaits the model was trained on.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import type { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { flushDenormals, saveModel } from '../nn/index.js';
import type { Engine } from '../train/engine.js';
import { checkpointDir, checkpointHashOf, ensureDir, freshState, removeCheckpoint, writeCheckpoint, type FitState } from '../train/checkpoint.js';
import { fit, startEngine } from '../train/fit.js';
import { resolveThreads } from '../train/parallel.js';
import { modelPositions } from '../io/model-input.js';
import { trainClassifier, type TrainClassifierResult } from '../classifier/train.js';
import type { ClassifierConfig } from '../classifier/config.js';
import { finishedRun, interruptedRun } from '../train/run.js';
import { gaitSetsHash } from '../core/hash.js';
import { resolveIdentityConfig, type IdentityConfig, type ResolvedIdentityConfig } from './config.js';
import {
  gaitHash, IDENTITY_FORMAT, IDENTITY_FORMAT_VERSION, identityPreprocess, runIdentityModel, TRAINING_GAITS_FILE, type IdentityMeta, type IdentityModelKind,
} from './model.js';
import { crossConditionSplit, identificationMetrics } from '../eval/identification.js';
import { pkBatches } from './sampler.js';
import { buildIdentityTask, type IdentityTaskSpec } from './task.js';

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
  /**
   * Continue from `outDir/last/` (the checkpoint of the last finished epoch)
   * when there is one; a fresh start otherwise. The result is bit-identical
   * to an uninterrupted run on the same backend and thread count.
   */
  resume?: boolean;
  /** Stops after the current step; the last finished epoch stays in `outDir/last/` for `resume`. */
  signal?: AbortSignal;
  /** GaitTAKE: called after every finished (and checkpointed) epoch. */
  onEpoch?: (log: IdentityEpochLog) => void;
  /** Keep `outDir/last/` (weights, optimizer state) after the last epoch; default: removed once training completes. */
  keepLast?: boolean;
  /** Data-parallel threads (src/train/parallel.ts). Default 1; always 1 on the native backends. */
  threads?: number;
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
  /** False when stopped by `signal` before the last epoch (training-gaits.json is then not written yet). */
  completed: boolean;
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
      resume: options.resume, signal: options.signal, keepLast: options.keepLast, threads: options.threads,
    });
    if (r.completed) writeFilesAtomic([trainingGaitsFile(options.outDir, train, identities)]);
    return { kind, dir: r.dir, checkpointHash: r.checkpointHash, bestEpoch: r.bestEpoch, bestValRank1: null, history: [], trainIdentities: identities, completed: r.completed };
  }
  return trainGaitTake(train, config as IdentityConfig, options, identities);
}

/** state.json of a GaitTAKE checkpoint: the fit loop's state plus the selected epoch's rank-1. */
interface IdentityFitState extends FitState<IdentityEpochLog> {
  /** Mean validation rank-1 of the selected epoch (null before the first validation, and without validation). */
  bestValRank1: number | null;
  /** What the run must match to be resumed. */
  run: { kind: 'gaittake'; seed: number; dataHash: string; galleryCondition: string; config: ResolvedIdentityConfig };
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
  const spec: IdentityTaskSpec = {
    config: cfg, T: modelT, V, numIdentities: trainIdentities.length, initSeed: deriveSeed(seed, 'identity/init'),
    data: { positions: pos.data, classes, T: modelT, V, fps: trainSet.fps / cfg.frameStride },
  };
  const metaBase = {
    format: IDENTITY_FORMAT, formatVersion: IDENTITY_FORMAT_VERSION, version: VERSION, kind: 'gaittake', config: cfg, T, V, fps: trainSet.fps,
    skeleton: trainSet.skeleton, frameStride: cfg.frameStride, modelT, preprocess: pre, trainIdentities, valIdentities, galleryCondition, seed,
    dataHash: gaitSetsHash([all]), trainGaits: trainSet.N,
    validation: valSet ? `${valIdentities.length} of the ${identities.length} training identities held out (identity-disjoint); epoch selected by mean cross-condition rank-1 on them` : 'none: the last epoch is kept',
  } satisfies Omit<IdentityMeta, 'bestEpoch' | 'bestValRank1' | 'gemP' | 'backend'>;
  const backend = currentBackend()?.tfBackend ?? tf.getBackend();
  const run: IdentityFitState['run'] = { kind: 'gaittake', seed, dataHash: metaBase.dataHash, galleryCondition, config: cfg };

  // A resumable checkpoint of an earlier, interrupted run of the same training.
  const lastDir = checkpointDir(outDir, 'last');
  const resumed = options.resume ? interruptedRun<IdentityFitState>(outDir, run, (s) => ({ ...s.run, config: resolveIdentityConfig(s.run.config) }))?.state ?? null : null;
  if (options.resume && !resumed) {
    const done = existsSync(path.join(outDir, TRAINING_GAITS_FILE)) && finishedRun(outDir, run, cfg.epochs, (meta: IdentityMeta, h: { bestEpoch: number; bestValRank1: number | null; history: IdentityEpochLog[] }) => ({
      // settings added since the folder was written read as their defaults
      fingerprint: { kind: meta.kind, seed: meta.seed, dataHash: meta.dataHash, galleryCondition: meta.galleryCondition, config: resolveIdentityConfig(meta.config) },
      result: (): TrainIdentityResult => ({ kind: 'gaittake', dir: outDir, checkpointHash: checkpointHashOf(outDir), bestEpoch: h.bestEpoch, bestValRank1: h.bestValRank1, history: h.history, trainIdentities, completed: true }),
    }));
    if (done) return done;
  }
  const threads = resolveThreads(options.threads);
  const built = buildIdentityTask(spec);
  const { model, task } = built;
  const pVar = model.getLayer('gem').trainableWeights[0]!;
  const gemP = () => Math.max(1, (pVar.read().dataSync() as Float32Array)[0]!);
  const stepsPerEpoch = Math.max(1, Math.ceil(trainSet.N / (cfg.P * cfg.K)));
  const batchRng = new Rng(seed, 'identity/batches');
  let engine: Engine | null = null;
  try {
    engine = await startEngine({
      task, model, lastDir, resume: resumed !== null, threads, replica: new URL('./replica.js', import.meta.url), spec, lr: cfg.lr, weightDecay: cfg.weightDecay,
    });
    ensureDir(outDir);
    const state: IdentityFitState = resumed ?? { ...freshState<IdentityEpochLog>(), bestValRank1: null, run };
    const eng = engine;
    progress.start(`train gaittake${threads > 1 ? ` ×${threads}` : ''}`, cfg.epochs);
    progress.update(state.epoch);
    const completed = await fit<IdentityEpochLog>({
      engine: eng, epochs: cfg.epochs, schedule: { lr: cfg.lr, milestones: [], factor: 1 }, state, seed, purpose: 'identity/train', what: 'gaittake',
      signal: options.signal,
      batches: (epoch) => pkBatches(classes, cfg.P, cfg.K, stepsPerEpoch, batchRng.derive(`epoch/${epoch + 1}`)),
      endEpoch: async (t) => {
        const epoch = t.epoch + 1;
        flushDenormals(model);
        const log: IdentityEpochLog = {
          epoch, seconds: t.seconds, trainLoss: t.metrics[0]!, triplet: t.metrics[1]!, gemP: gemP(), valRank1: null, valMAP: null, samplesPerSec: t.seen / t.seconds,
        };
        let score: number[] | null = null;
        if (valSet && valSplit && valPos && (epoch % cfg.validateEvery === 0 || epoch === cfg.epochs)) {
          const e = runIdentityModel(model, valPos, valSet.N, modelT, V);
          const m = identificationMetrics({ data: e.embeddings, dim: e.dim, parts: cfg.heads }, valSet, valSplit);
          log.valRank1 = m.rank1['mean']!;
          log.valMAP = m.mAP['mean']!;
          score = [-log.valRank1, -log.valMAP]; // ties: the earlier epoch
        } else if (!valSet && epoch === cfg.epochs) score = [0]; // without validation the last epoch is kept
        return { log, score };
      },
      checkpoint: async (st, improved) => {
        const log = st.history[st.history.length - 1]!;
        if (improved) {
          // the selected epoch so far is the directory's model (what loadIdentityModel reads)
          state.bestValRank1 = valSet ? log.valRank1 : null;
          await saveModel(model, outDir, { ...metaBase, bestEpoch: st.bestEpoch, bestValRank1: state.bestValRank1, gemP: log.gemP, backend } satisfies IdentityMeta);
        }
        await writeCheckpoint(lastDir, {
          models: { model: { model, meta: { role: 'last', epoch: st.epoch } } },
          optimizer: await eng.getOptimizerState(),
          state,
        });
        writeFilesAtomic([historyFile(outDir, state)]);
        progress.update(st.epoch, { loss: log.trainLoss, p: log.gemP, ...(log.valRank1 != null ? { valR1: log.valRank1 } : {}) });
        options.onEpoch?.(log);
      },
    });
    progress.stop();
    if (!completed) {
      progress.log(`stopped after epoch ${state.epoch} of ${cfg.epochs}; resume continues from ${lastDir}`);
      const hash = state.bestEpoch > 0 ? checkpointHashOf(outDir) : '';
      return { kind: 'gaittake', dir: outDir, checkpointHash: hash, bestEpoch: state.bestEpoch, bestValRank1: state.bestValRank1, history: state.history, trainIdentities, completed };
    }
    writeFilesAtomic([trainingGaitsFile(outDir, all, identities)]);
    if (!options.keepLast) removeCheckpoint(lastDir);
    return {
      kind: 'gaittake', dir: outDir, checkpointHash: checkpointHashOf(outDir), bestEpoch: state.bestEpoch, bestValRank1: state.bestValRank1, history: state.history,
      trainIdentities, completed,
    };
  } finally {
    await engine?.dispose();
    built.dispose();
  }
}

/** history.json of a GaitTAKE directory (rewritten after every epoch). */
function historyFile(outDir: string, s: IdentityFitState) {
  return { path: path.join(outDir, 'history.json'), data: JSON.stringify({ kind: 'gaittake', bestEpoch: s.bestEpoch, bestValRank1: s.bestValRank1, history: s.history }, null, 2) };
}



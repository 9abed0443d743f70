/**
 * Training the flow: its adapter over the training engine (src/train): the
 * PCA space fitted on the training part, the objective of objective.ts,
 * validation, best and last checkpoints, a loss curve and exact `resume`; the
 * run pieces every family shares come from ../run.ts. Model directory (as
 * checkpoint.ts, with these parts): generator.json (name 'flow', the basis' k),
 * pca.json + pca.bin (the basis, pca.ts), best/denoiser/, last/ (denoiser,
 * optimizer, state), loss.csv + loss.json (FLOW_TERMS, train and validation).
 */
import type * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { GaitSet } from '../../core/gaitset.js';
import { silentProgress, type Progress } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import { VERSION } from '../../core/version.js';
import { loadModel } from '../../nn/serialize.js';
import { freshState, readOptimizerState, writeCheckpoint, type FitState } from '../../train/checkpoint.js';
import { Engine } from '../../train/engine.js';
import { fit } from '../../train/fit.js';
import { resolveThreads, startReplicas } from '../../train/parallel.js';
import { generatorSchedule } from '../config.js';
import { copyCheckpoint, writeLossCurve, writeManifest, type ManifestFields } from '../checkpoint.js';
import { PCA_BIN, PCA_JSON, writePca } from '../pca.js';
import { fitPcaSpace, readPcaFamilyManifest, readPcaSpace, toSpace, type PcaManifestFields, type PcaSpace } from '../pca-space.js';
import { checkRunInput, findResume, freshRunDir, manifestFields, prepareGaits, runDataHash, splitRun, type RunOptions } from '../run.js';
import { resolveFlow, type FlowConfig, type ResolvedFlowConfig } from './config.js';
import { buildDenoiser } from './model.js';
import { FLOW_TERMS, flowGeometry, FlowTask, flowValues, footContacts, type FlowData, type FlowLossValues } from './objective.js';
import type { FlowReplicaSpec } from './replica.js';

export type FlowManifest = ManifestFields<ResolvedFlowConfig> & PcaManifestFields;

export interface FlowEpochLog {
  /** 1-based epoch. */
  epoch: number;
  lr: number;
  /** Mean training loss terms over the epoch's gaits (labels dropped as in training). */
  train: FlowLossValues;
  /** Validation terms: conditional (no label dropped), the mean of VAL_DRAWS noise draws per gait, fixed by the seed; null without validation gaits. */
  val: FlowLossValues | null;
  seconds: number;
  samplesPerSec: number;
}

/** Noise draws per validation gait (the flow loss of one draw of t and ε is noisy). */
export const VAL_DRAWS = 4;

export interface TrainFlowOptions extends RunOptions {
  progress?: Progress;
  /** Stops after the current step; the last finished epoch stays on disk for `resume`. */
  signal?: AbortSignal;
  onEpoch?: (log: FlowEpochLog) => void;
  /** Data-parallel threads (wasm and cpu backends). Default 1. Results are deterministic for a seed and a thread count. */
  threads?: number;
}

export interface TrainFlowResult {
  dir: string;
  bestEpoch: number;
  history: FlowEpochLog[];
  completed: boolean;
  trainPart: GaitSet;
  valPart: GaitSet | null;
  /** Components of the PCA space and the variance they explain. */
  k: number;
  explained: number;
}

export function readFlowManifest(dir: string): FlowManifest {
  return readPcaFamilyManifest<ResolvedFlowConfig>(dir, 'flow', (c) => resolveFlow(c));
}

/** The objective's rows of a set: its coefficients in `space`, labels and foot contacts. */
export function flowData(set: GaitSet, standardised: Float32Array, space: PcaSpace): FlowData {
  return { z: toSpace(space, standardised), labels: set.labels, contacts: footContacts(set.positions, set.T, set.V) };
}

/**
 * Trains a flow on `train` and writes its model directory. Validates
 * everything before writing: bad input throws one GaitforgeError (or a
 * ConfigRangeError for a bad config) and leaves the disk untouched.
 */
export async function trainFlow(train: GaitSet, config: FlowConfig, options: TrainFlowOptions): Promise<TrainFlowResult> {
  const cfg = resolveFlow(config);
  const { outDir, seed } = options;
  const progress = options.progress ?? silentProgress;
  const edges = checkRunInput(train, options);
  const { trainPart, valPart } = splitRun(train, options.val, { valFraction: cfg.valFraction, identityDim: 0 }, seed);
  const dataHash = runDataHash(train, options.val);
  const threads = resolveThreads(options.threads);
  const resumeFrom = findResume<FlowManifest, FlowEpochLog>(options, { seed, dataHash, T: train.T, V: train.V, labelNames: train.labelNames, config: cfg }, readFlowManifest);

  const { T, V } = train;
  const L = train.labelNames.length;
  const { data: trainX, norm } = prepareGaits(trainPart, resumeFrom?.manifest.normalization ?? null);
  const space = resumeFrom
    ? readPcaSpace(outDir, resumeFrom.manifest)
    : fitPcaSpace(trainX, train.stride, { explainedVariance: cfg.explainedVariance, maxComponents: cfg.maxComponents, seed, scale: cfg.componentScale });
  const k = space.basis.k;
  const data = flowData(trainPart, trainX, space);
  const valData = valPart ? flowData(valPart, prepareGaits(valPart, norm).data, space) : null;

  const model: tf.LayersModel = resumeFrom ? (await loadModel(path.join(resumeFrom.last, 'denoiser'))).model : buildDenoiser(cfg, { k, labels: L }, seed);
  const spec: FlowReplicaSpec = {
    cfg, k, labels: L, seed, data, edges, T, V, fps: train.fps, norm: { mean: norm.mean, scale: norm.scale },
    basis: space.basis, scales: space.scales,
  };
  const replicas = threads > 1 ? await startReplicas(new URL('./replica.js', import.meta.url), spec, threads - 1) : null;
  const task = new FlowTask(model, cfg, L, data, flowGeometry(space, norm, edges, T, V, train.fps));
  const engine = new Engine(task, { lr: cfg.lr, weightDecay: cfg.weightDecay, replicas });
  try {
    if (resumeFrom) engine.setOptimizerState(readOptimizerState(resumeFrom.last));
    else freshRunDir(options, [PCA_JSON, PCA_BIN]);
    const manifest: FlowManifest = resumeFrom?.manifest ?? {
      ...manifestFields('flow', cfg, train, trainPart, valPart, edges, norm, dataHash, seed),
      pca: { k, explained: space.basis.explained, scale: cfg.componentScale },
    };
    if (!resumeFrom) {
      writePca(outDir, space.basis);
      writeManifest(outDir, manifest);
    }
    const state: FitState<FlowEpochLog> = resumeFrom?.state ?? freshState();
    const B = cfg.batchSize;
    const nTrain = trainPart.N;
    // a last batch of a single gait is dropped (a data-parallel shard needs two)
    const batches = Math.floor(nTrain / B) + (nTrain % B >= 2 ? 1 : 0);
    progress.start(`train flow${threads > 1 ? ` ×${threads}` : ''}`, (cfg.epochs - state.epoch) * batches);
    let done = 0;
    const valRows = valPart ? Int32Array.from({ length: valPart.N }, (_, i) => i) : null;
    const completed = await fit<FlowEpochLog>({
      engine, epochs: cfg.epochs, schedule: generatorSchedule(cfg), state, seed, purpose: 'generator/flow/train', what: 'flow', signal: options.signal,
      batches: (epoch) => {
        const perm = new Rng(seed, `generator/flow/shuffle/${epoch}`).permutation(nTrain);
        return Array.from({ length: batches }, (_, b) => perm.subarray(b * B, Math.min(nTrain, (b + 1) * B)));
      },
      onStep: (epoch, _b, m) => progress.update(++done, { epoch: `${epoch + 1}/${cfg.epochs}`, ...flowValues(m) }),
      endEpoch: async (t) => {
        let val: FlowLossValues | null = null;
        if (valData && valRows) {
          const own = task.data;
          task.data = valData;
          try {
            val = task.evaluate(valRows, seed, VAL_DRAWS);
          } finally {
            task.data = own;
          }
        }
        const log: FlowEpochLog = { epoch: t.epoch + 1, lr: t.lr, train: flowValues(t.metrics), val, seconds: t.seconds, samplesPerSec: t.seen / t.seconds };
        return { log, score: [val ? val.total : log.train.total] };
      },
      checkpoint: async (st, improved) => {
        const log = st.history[st.history.length - 1]!;
        await writeCheckpoint(path.join(outDir, 'last'), {
          models: { denoiser: { model, meta: { role: 'denoiser', gaitforgeVersion: VERSION, dataHash, seed, epoch: st.epoch } } },
          optimizer: await engine.getOptimizerState(),
          state: st,
          files: { 'checkpoint.json': JSON.stringify({ epoch: st.epoch, train: log.train, val: log.val }, null, 2) },
        });
        if (improved) copyCheckpoint(path.join(outDir, 'last'), path.join(outDir, 'best'), {}, ['denoiser', 'checkpoint.json']);
        writeLossCurve(outDir, st.history, FLOW_TERMS);
        Object.assign(manifest, { epochsDone: st.epoch, bestEpoch: st.bestEpoch, completed: st.epoch === cfg.epochs });
        writeManifest(outDir, manifest);
        progress.update(done, { epoch: `${st.epoch}/${cfg.epochs}`, loss: log.train.total, ...(log.val ? { val: log.val.total } : {}) });
        options.onEpoch?.(log);
      },
    });
    progress.stop();
    if (!completed) progress.log(`stopped after epoch ${state.epoch} of ${cfg.epochs}; resume continues from ${path.join(outDir, 'last')}`);
    return { dir: outDir, bestEpoch: state.bestEpoch, history: state.history, completed: state.epoch === cfg.epochs, trainPart, valPart, k, explained: space.basis.explained };
  } finally {
    task.dispose();
    await engine.dispose();
    model.dispose();
  }
}

/**
 * A trained classifier: the tfjs model plus what it needs to turn a GaitSet
 * into inputs (preprocessing, frame stride, affective scaler), saved as a
 * directory (src/nn `saveModel`: model.json, weights.bin, meta.json) next to
 * history.json and curves.svg.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { DEFAULT_INFERENCE_CHUNK as INFERENCE_CHUNK, loadModel } from '../nn/index.js';
import { checkpointHashOf } from '../train/checkpoint.js';
import { affectiveFeatures, applyMinMax, minMaxFromJSON, type MinMaxScaler } from '../core/affective.js';
import type { OutputName } from './architectures.js';
import { CLASSIFIER_KINDS, resolveClassifierConfig, type ClassifierKind, type ResolvedClassifierConfig } from './config.js';
import { inputPositions, type ModelInputMeta } from '../io/model-input.js';
import { argmaxRows } from './metrics.js';
import '../nn/head-layers.js'; // registers the head layers before a model is deserialised

export const CLASSIFIER_FORMAT = 'gaitforge-classifier';
export const CLASSIFIER_FORMAT_VERSION = 1;

/** Largest number of gaits run through a model at once (the wasm heap is capped near 2 GB). */

/** meta.json of a classifier directory. */
export interface ClassifierMeta extends ModelInputMeta {
  format: typeof CLASSIFIER_FORMAT;
  formatVersion: number;
  /** gaitforge version that trained it. */
  version: string;
  kind: ClassifierKind;
  config: ResolvedClassifierConfig;
  labelNames: string[];
  /** Identity classes of the identity head (empty without one). */
  identityNames: string[];
  /** STEP: min–max scaler of the affective features, fitted on the training split. */
  affectiveScaler: MinMaxScaler | null;
  /** Model outputs, in order. */
  outputs: OutputName[];
  /** AT-GCN: tasks actually trained (identity is off when the data had no identities). */
  tasks: { emotion: boolean; identity: boolean; nextFrame: boolean };
  seed: number;
  /** sha256 of the training and validation data (positions, labels, ids). */
  dataHash: string;
  trainGaits: number;
  trainSynthetic: number;
  /** Synthetic gaits left out of training because they share a walker or recording with the validation gaits (absent in older directories). */
  trainSyntheticDropped?: number;
  valGaits: number;
  /** How the validation split was made. */
  validation: string;
  bestEpoch: number;
  bestValAccuracy: number;
  backend: string;
}

/** Per-gait outputs of a forward pass, row-major Float32Arrays. */
export interface ForwardResult {
  logits: Float32Array;
  features: Float32Array;
  featureDim: number;
  identity: Float32Array | null;
}

/** A loaded classifier. Call `dispose()` when done. */
export interface Classifier {
  readonly kind: ClassifierKind;
  readonly labelNames: string[];
  readonly identityNames: string[];
  /** Content hash (core/hash.ts, SHA-256 hex) of model.json + weights.bin. */
  readonly checkpointHash: string;
  readonly meta: ClassifierMeta;
  readonly hasIdentityHead: boolean;
  /** Class probabilities probs: [N, L] (softmax of the logits) and the argmax per gait. */
  predict(set: GaitSet): { probs: Float32Array; predicted: Int32Array };
  /**
   * Penultimate features [N, dim]: Baseline-STEP's pooled ST-GCN features
   * (64), STEP's hybrid dense layer (128), AT-GCN's attention-pooled embedding (V·H).
   */
  features(set: GaitSet): { data: Float32Array; dim: number };
  dispose(): void;
}

/** Softmax of row-major logits [N, L] (float64 accumulation). */
export function softmaxRows(logits: Float32Array, L: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += L) {
    let m = -Infinity;
    for (let l = 0; l < L; l++) m = Math.max(m, logits[i + l]!);
    let s = 0;
    for (let l = 0; l < L; l++) s += Math.exp(logits[i + l]! - m);
    for (let l = 0; l < L; l++) out[i + l] = Math.exp(logits[i + l]! - m) / s;
  }
  return out;
}

/** Softmax probabilities [N, L] of logits and the argmax per gait (the first of equal maxima). */
export function predictionsOf(logits: Float32Array, L: number): { probs: Float32Array; predicted: Int32Array } {
  const probs = softmaxRows(logits, L);
  return { probs, predicted: argmaxRows(probs, L) };
}

/** Turns sets into model inputs and runs the model in chunks. Shared by training (validation) and inference. */
export class ModelRunner {
  constructor(
    readonly model: tf.LayersModel,
    readonly meta: Pick<ClassifierMeta, 'kind' | 'T' | 'V' | 'frameStride' | 'modelT' | 'preprocess' | 'affectiveScaler' | 'outputs' | 'labelNames'>,
  ) {}


  /** Scaled affective features [N, D] (STEP only), float32. */
  affective(set: GaitSet): Float32Array | null {
    if (!this.meta.affectiveScaler) return null;
    return Float32Array.from(applyMinMax(this.meta.affectiveScaler, affectiveFeatures(set)));
  }

  /** Input arrays for all gaits of `set`: positions [N, T', V, 3] and affective [N, D] or null. */
  inputs(set: GaitSet): { positions: Float32Array; affective: Float32Array | null } {
    return { positions: inputPositions(set, this.meta), affective: this.affective(set) };
  }

  /** Input tensors for rows [start, end) of prepared arrays. Caller disposes. */
  tensors(inp: { positions: Float32Array; affective: Float32Array | null }, start: number, end: number): tf.Tensor[] {
    const { modelT, V } = this.meta;
    const per = modelT * V * 3;
    const x = tf.tensor4d(inp.positions.subarray(start * per, end * per), [end - start, modelT, V, 3]);
    if (!inp.affective) return [x];
    const D = this.meta.affectiveScaler!.dim;
    return [x, tf.tensor2d(inp.affective.subarray(start * D, end * D), [end - start, D])];
  }

  /** Inference-mode forward pass over every gait, ≤ INFERENCE_CHUNK at a time. Leaves no tensors behind. */
  forward(set: GaitSet): ForwardResult {
    return this.forwardPrepared(this.inputs(set), set.N);
  }

  /** `forward` on inputs already prepared by `inputs()` for n gaits. */
  forwardPrepared(inp: { positions: Float32Array; affective: Float32Array | null }, n: number): ForwardResult {
    const L = this.meta.labelNames.length;
    const idIdx = this.meta.outputs.indexOf('identity');
    const logits = new Float32Array(n * L);
    let features = new Float32Array(0);
    let featureDim = 0;
    let identity: Float32Array | null = null;
    for (let s = 0; s < n; s += INFERENCE_CHUNK) {
      const e = Math.min(n, s + INFERENCE_CHUNK);
      const outs = tf.tidy(() => {
        const xs = this.tensors(inp, s, e);
        const o = this.model.apply(xs.length === 1 ? xs[0]! : xs, { training: false });
        return Array.isArray(o) ? (o as tf.Tensor[]) : [o as tf.Tensor];
      });
      try {
        logits.set(outs[0]!.dataSync() as Float32Array, s * L);
        const f = outs[1]!;
        if (featureDim === 0) {
          featureDim = f.shape[1]!;
          features = new Float32Array(n * featureDim);
        }
        features.set(f.dataSync() as Float32Array, s * featureDim);
        if (idIdx >= 0) {
          const k = outs[idIdx]!.shape[1]!;
          identity ??= new Float32Array(n * k);
          identity.set(outs[idIdx]!.dataSync() as Float32Array, s * k);
        }
      } finally {
        tf.dispose(outs);
      }
    }
    return { logits, features, featureDim, identity };
  }
}

class LoadedClassifier implements Classifier {
  readonly kind: ClassifierKind;
  readonly labelNames: string[];
  readonly identityNames: string[];
  readonly hasIdentityHead: boolean;
  private readonly runner: ModelRunner;

  constructor(
    readonly model: tf.LayersModel,
    readonly meta: ClassifierMeta,
    readonly checkpointHash: string,
    readonly dir: string,
  ) {
    this.kind = meta.kind;
    this.labelNames = [...meta.labelNames];
    this.identityNames = [...meta.identityNames];
    this.hasIdentityHead = meta.outputs.includes('identity');
    this.runner = new ModelRunner(model, meta);
  }

  predict(set: GaitSet): { probs: Float32Array; predicted: Int32Array } {
    return predictionsOf(this.runner.forward(set).logits, this.labelNames.length);
  }

  features(set: GaitSet): { data: Float32Array; dim: number } {
    const r = this.runner.forward(set);
    return { data: r.features, dim: r.featureDim };
  }

  /** Internal: the runner (saliency needs the model and the input preparation). */
  get modelRunner(): ModelRunner {
    return this.runner;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The directory a classifier was loaded from by `loadClassifier`, else null. */
export function classifierDirOf(clf: Classifier): string | null {
  return clf instanceof LoadedClassifier ? clf.dir : null;
}

/** The ModelRunner behind a classifier returned by `loadClassifier`. */
export function runnerOf(clf: Classifier): ModelRunner {
  if (!(clf instanceof LoadedClassifier)) throw new GaitforgeError('E_MODEL', 'this classifier was not loaded by loadClassifier');
  return clf.modelRunner;
}

function checkMeta(dir: string, m: Partial<ClassifierMeta>): ClassifierMeta {
  const bad = (what: string) => new GaitforgeError('E_MODEL', `${path.join(dir, 'meta.json')}: ${what}`);
  if (m.format !== CLASSIFIER_FORMAT) throw bad(`format is ${JSON.stringify(m.format)}, not "${CLASSIFIER_FORMAT}" (not a gaitforge classifier directory)`);
  if (m.formatVersion !== CLASSIFIER_FORMAT_VERSION) throw bad(`formatVersion ${m.formatVersion} is not supported (expected ${CLASSIFIER_FORMAT_VERSION})`);
  if (!CLASSIFIER_KINDS.includes(m.kind as ClassifierKind)) throw bad(`kind ${JSON.stringify(m.kind)} is not one of ${CLASSIFIER_KINDS.join(', ')}`);
  if (!Array.isArray(m.labelNames) || m.labelNames.length === 0) throw bad('labelNames is missing');
  for (const k of ['T', 'V', 'frameStride', 'modelT'] as const) if (!Number.isInteger(m[k]) || (m[k] as number) < 1) throw bad(`${k} is not a positive integer`);
  if (!Array.isArray(m.outputs) || m.outputs[0] !== 'logits' || m.outputs[1] !== 'features') throw bad('outputs must start with logits, features');
  let config: ResolvedClassifierConfig;
  try {
    config = resolveClassifierConfig(m.config);
  } catch (e) {
    throw bad(`config: ${(e as Error).message}`);
  }
  const affectiveScaler = m.affectiveScaler == null ? null : minMaxFromJSON(m.affectiveScaler);
  if (m.kind === 'step' && !affectiveScaler) throw bad('a STEP model needs affectiveScaler');
  return { ...(m as ClassifierMeta), config, affectiveScaler, identityNames: m.identityNames ?? [] };
}

/** Loads a classifier directory written by `trainClassifier`. Throws E_MODEL naming what is missing or wrong. */
export async function loadClassifier(dir: string): Promise<Classifier> {
  const { model, meta } = await loadModel<Partial<ClassifierMeta>>(dir);
  try {
    const m = checkMeta(dir, meta);
    const outs = model.outputs.length;
    if (outs !== m.outputs.length) throw new GaitforgeError('E_MODEL', `${dir}: the model has ${outs} outputs, meta.json names ${m.outputs.length}`);
    return new LoadedClassifier(model, m, checkpointHashOf(dir), path.resolve(dir));
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * A trained identity model as something that embeds gaits: the GaitTAKE
 * model of this module (a directory of model.json, weights.bin, meta.json,
 * history.json, training-gaits.json) or an AT-GCN classifier with its
 * identity head (src/classifier), whose attention-pooled embedding is
 * compared by cosine distance as the classifier's own rank-1 does.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { NUM_JOINTS } from '../core/skeleton.js';
import type { PreprocessConfig } from '../io/preprocess.js';
import { loadModel } from '../nn/index.js';
import { inputPositions, type ModelInputMeta } from '../io/model-input.js';
import { contentHash } from '../core/hash.js';
import { CLASSIFIER_FORMAT, loadClassifier } from '../classifier/model.js';
import { DEFAULT_INFERENCE_CHUNK as INFERENCE_CHUNK } from '../nn/model-utils.js';
import { checkpointHashOf } from '../train/checkpoint.js';
import { resolveIdentityConfig, type IdentityModelKind, type ResolvedIdentityConfig } from './config.js';
import type { IdentityFeatures } from '../eval/identification.js';
import './layers.js'; // registers GeMPool before a model is deserialised
import '../nn/head-layers.js';

export const IDENTITY_FORMAT = 'gaitforge-identity';
export const IDENTITY_FORMAT_VERSION = 1;
/** Written next to every model trained by `trainIdentityModel`: the training identities and a hash of every training gait. */
export const TRAINING_GAITS_FILE = 'training-gaits.json';

export { IDENTITY_MODEL_KINDS, type IdentityModelKind } from './config.js';

/**
 * What the identity model sees: root-centred on the first frame and turned
 * to walk along +Z, but not scaled (body size identifies people).
 */
export function identityPreprocess(V: number): PreprocessConfig {
  return V === NUM_JOINTS ? { centre: 'first-frame', view: 'canonical' } : { centre: 'first-frame', view: 'none' };
}

/** meta.json of a GaitTAKE directory. */
export interface IdentityMeta extends ModelInputMeta {
  format: typeof IDENTITY_FORMAT;
  formatVersion: number;
  version: string;
  kind: 'gaittake';
  config: ResolvedIdentityConfig;
  /** Identities the model was trained on (validation identities excluded). */
  trainIdentities: string[];
  /** Identities held out to select the epoch. */
  valIdentities: string[];
  galleryCondition: string;
  seed: number;
  dataHash: string;
  trainGaits: number;
  validation: string;
  bestEpoch: number;
  /** Mean cross-condition rank-1 on the validation identities at the selected epoch (NaN without validation). */
  bestValRank1: number | null;
  /** The learned GeM exponent at the selected epoch. */
  gemP: number;
  backend: string;
}

/** Content hash (16 hex characters) of one gait's positions. */
export function gaitHash(set: GaitSet, i: number): string {
  return contentHash([set.gait(i)]).slice(0, 16);
}

/** A model that embeds gaits for identification. Call `dispose()` when done. */
export interface IdentityEmbedder {
  readonly kind: IdentityModelKind;
  readonly checkpointHash: string;
  /** Training identity names (empty when unknown). */
  readonly trainIdentities: string[];
  /** Hashes of the training gaits, when the directory records them. */
  readonly trainGaitHashes: Set<string> | null;
  /** Features of every gait of `set` with the distance to compare them by. */
  embed(set: GaitSet): IdentityFeatures;
  dispose(): void;
}

/**
 * Inference over prepared positions [n, T, V, 3] (≤ INFERENCE_CHUNK gaits
 * at a time): embeddings [n, heads·D] and attention weights [n, T]. Leaves no tensors.
 */
export function runIdentityModel(model: tf.LayersModel, positions: Float32Array, n: number, T: number, V: number): { embeddings: Float32Array; dim: number; attention: Float32Array } {
  const per = T * V * 3;
  const [, heads, D] = (model.outputs[0]!.shape as number[]);
  const dim = heads! * D!;
  const embeddings = new Float32Array(n * dim);
  const attention = new Float32Array(n * T);
  for (let s = 0; s < n; s += INFERENCE_CHUNK) {
    const e = Math.min(n, s + INFERENCE_CHUNK);
    const outs = tf.tidy(() => model.apply(tf.tensor4d(positions.subarray(s * per, e * per), [e - s, T, V, 3]), { training: false }) as tf.Tensor[]);
    try {
      embeddings.set(outs[0]!.dataSync() as Float32Array, s * dim);
      attention.set(outs[1]!.dataSync() as Float32Array, s * T);
    } finally {
      tf.dispose(outs);
    }
  }
  return { embeddings, dim, attention };
}

/** A loaded GaitTAKE model. */
export class GaitTakeModel implements IdentityEmbedder {
  readonly kind = 'gaittake' as const;
  readonly trainIdentities: string[];

  constructor(
    readonly model: tf.LayersModel,
    readonly meta: IdentityMeta,
    readonly checkpointHash: string,
    readonly trainGaitHashes: Set<string> | null,
  ) {
    this.trainIdentities = [...meta.trainIdentities];
  }

  private run(set: GaitSet) {
    return runIdentityModel(this.model, inputPositions(set, this.meta), set.N, this.meta.modelT, this.meta.V);
  }

  /** Embeddings [N, heads·D]; distance: mean over heads of the Euclidean distance. */
  embed(set: GaitSet): IdentityFeatures {
    const r = this.run(set);
    return { data: r.embeddings, dim: r.dim, parts: this.meta.config.heads };
  }

  /** Temporal attention weights [N, T'] (each row sums to 1). */
  attention(set: GaitSet): { data: Float32Array; T: number } {
    return { data: this.run(set).attention, T: this.meta.modelT };
  }

  dispose(): void {
    this.model.dispose();
  }
}

function readTrainingGaits(dir: string): { identities: string[]; hashes: Set<string> } | null {
  const file = path.join(dir, TRAINING_GAITS_FILE);
  if (!existsSync(file)) return null;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { identities?: unknown; gaitHashes?: unknown };
    if (!Array.isArray(j.identities) || !Array.isArray(j.gaitHashes)) throw new Error('identities or gaitHashes is not an array');
    return { identities: j.identities.map(String), hashes: new Set(j.gaitHashes.map(String)) };
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Loads a GaitTAKE directory or an AT-GCN classifier directory with an identity head. Throws E_MODEL naming what is wrong. */
export async function loadIdentityModel(dir: string): Promise<IdentityEmbedder> {
  const metaFile = path.join(dir, 'meta.json');
  if (!existsSync(metaFile)) throw new GaitforgeError('E_MODEL', `model directory ${dir} has no meta.json`);
  let format: unknown;
  try {
    format = (JSON.parse(readFileSync(metaFile, 'utf8')) as { format?: unknown }).format;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${metaFile} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const training = readTrainingGaits(dir);
  if (format === CLASSIFIER_FORMAT) {
    const clf = await loadClassifier(dir);
    if (clf.kind !== 'at-gcn' || !clf.hasIdentityHead) {
      clf.dispose();
      throw new GaitforgeError('E_MODEL', `${dir} is a ${clf.kind} classifier without an identity head; train one with train-identity --model at-gcn`);
    }
    return {
      kind: 'at-gcn', checkpointHash: clf.checkpointHash, trainIdentities: training?.identities ?? [...clf.identityNames],
      trainGaitHashes: training?.hashes ?? null,
      embed(set: GaitSet): IdentityFeatures {
        // cosine distance = Euclidean distance of unit vectors (same ranking)
        const f = clf.features(set);
        for (let i = 0; i < set.N; i++) {
          let s = 0;
          for (let d = 0; d < f.dim; d++) s += f.data[i * f.dim + d]! ** 2;
          const n = Math.sqrt(s) || 1;
          for (let d = 0; d < f.dim; d++) f.data[i * f.dim + d]! /= n;
        }
        return { data: f.data, dim: f.dim, parts: 1 };
      },
      dispose: () => clf.dispose(),
    };
  }
  if (format !== IDENTITY_FORMAT) throw new GaitforgeError('E_MODEL', `${metaFile}: format is ${JSON.stringify(format)}, neither "${IDENTITY_FORMAT}" nor "${CLASSIFIER_FORMAT}"`);
  const { model, meta } = await loadModel<Partial<IdentityMeta>>(dir);
  try {
    const bad = (what: string) => new GaitforgeError('E_MODEL', `${metaFile}: ${what}`);
    if (meta.formatVersion !== IDENTITY_FORMAT_VERSION) throw bad(`formatVersion ${meta.formatVersion} is not supported (expected ${IDENTITY_FORMAT_VERSION})`);
    for (const k of ['T', 'V', 'frameStride', 'modelT'] as const) if (!Number.isInteger(meta[k]) || (meta[k] as number) < 1) throw bad(`${k} is not a positive integer`);
    let config: ResolvedIdentityConfig;
    try {
      config = resolveIdentityConfig(meta.config);
    } catch (e) {
      throw bad(`config: ${(e as Error).message}`);
    }
    if (model.outputs.length < 2) throw bad('the model has fewer than 2 outputs (embeddings, attention)');
    const m = { ...(meta as IdentityMeta), config, trainIdentities: meta.trainIdentities ?? [] };
    return new GaitTakeModel(model, m, checkpointHashOf(dir), training?.hashes ?? null);
  } catch (e) {
    model.dispose();
    throw e;
  }
}

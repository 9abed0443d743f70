/**
 * The STEP-Gen network (a conditional VAE of ST-GCN layers, STEP Fig. 2),
 * channels last; the objective is in losses.ts, training in train.ts.
 * Encoder: x: [N, T, V, 3] with the one-hot label y: [N, L] appended to every
 *   node → ST-GCN blocks (64, 32, 32) → average pool over T and V → two dense
 *   heads → μ, log σ²: [N, latent] ('per-position': pool over V only, and the
 *   heads read the [T, C] series with a learned map per frame, LatentReadout).
 * Decoder: [z, y] → dense to the first decoder width → repeated over T × V
 *   ('repeat') or a learned map to every frame and joint (LatentGrid,
 *   'per-position') → transposed ST-GCN blocks (32, 64) → a last transposed
 *   block to 3 channels without ReLU or batch norm (the outputs are
 *   coordinates: a batch norm would pin each batch's mean coordinate).
 * With `identityDim` > 0 both halves also take the one-hot identity [N, I],
 * embedded by a bias-free dense layer (one table per half) and appended to the
 * label: c = [y, e(id)] takes y's place. Initialisers are seeded from the run seed.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../core/rng.js';
import { torchUniform, weightSeed } from '../nn/common.js';
import { STGCNBlock } from '../nn/stgcn.js';
import { ConfigRangeError } from '../core/errors.js';
import type { ResolvedGeneratorConfig } from './config.js';
import { LabelBroadcast, LatentGrid, LatentReadout, LatentUnpool } from './layers.js';

export interface CvaeShape {
  T: number;
  V: number;
  /** Number of labels L. */
  labels: number;
  /** Skeleton edges (joints = V). */
  edges: [number, number][];
  /** Number of identities I of an identity-conditioned generator (config identityDim > 0); 0 or absent otherwise. */
  identities?: number;
}

export interface Cvae {
  /** [x: [N, T, V, 3], y: [N, L](, id: [N, I])] → [μ: [N, latent], log σ²: [N, latent]]. */
  encoder: tf.LayersModel;
  /** [z: [N, latent], y: [N, L](, id: [N, I])] → x̂: [N, T, V, 3]. */
  decoder: tf.LayersModel;
}

/**
 * The condition inputs of one half: the label, and with identityDim > 0 the
 * identity, embedded and appended to it. Returns the model inputs after the
 * first and the condition vector [N, L (+ identityDim)].
 */
function conditionInputs(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number, half: 'enc' | 'dec'): { inputs: tf.SymbolicTensor[]; cond: tf.SymbolicTensor } {
  const y = tf.input({ shape: [s.labels], name: 'label' });
  if (c.identityDim === 0) return { inputs: [y], cond: y };
  const I = s.identities ?? 0;
  if (!Number.isInteger(I) || I < 1) throw new ConfigRangeError(`identities = ${String(s.identities)} is out of range: an identity-conditioned generator (identityDim = ${c.identityDim}) needs at least 1 identity`);
  const id = tf.input({ shape: [I], name: 'identity' });
  const name = `${half}_identity`;
  // N(0, 1) rows, as PyTorch's nn.Embedding starts: each identity's vector on the scale of the one-hot label beside it
  const init = tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: weightSeed(seed, `generator/${name}`) });
  const e = tf.layers.dense({ units: c.identityDim, useBias: false, name, kernelInitializer: init }).apply(id) as tf.SymbolicTensor;
  return { inputs: [y, id], cond: tf.layers.concatenate({ name: `${half}_condition` }).apply([y, e]) as tf.SymbolicTensor };
}

/** Builds the encoder; weights are initialised from `seed`. */
export function buildEncoder(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): tf.LayersModel {
  const x = tf.input({ shape: [s.T, s.V, 3], name: 'gait' });
  const { inputs, cond } = conditionInputs(c, s, seed, 'enc');
  let h = new LabelBroadcast({ name: 'enc_label' }).apply([x, cond]) as tf.SymbolicTensor;
  c.encoderChannels.forEach((filters, i) => {
    const name = `enc_stgcn${i + 1}`;
    h = new STGCNBlock({ filters, temporalKernel: c.temporalKernel, edges: s.edges, seed: deriveSeed(seed, `generator/${name}`), name }).apply(h) as tf.SymbolicTensor;
  });
  let heads: tf.SymbolicTensor[];
  if (c.latentMap === 'repeat') {
    const pooled = tf.layers.globalAveragePooling2d({ name: 'enc_pool' }).apply(h) as tf.SymbolicTensor;
    heads = ['enc_mu', 'enc_logvar'].map((name) =>
      tf.layers.dense({ units: c.latentDim, name, kernelInitializer: torchUniform(seed, `generator/${name}`) }).apply(pooled) as tf.SymbolicTensor);
  } else {
    heads = ['enc_mu', 'enc_logvar'].map((name) =>
      new LatentReadout({ units: c.latentDim, name, seed: deriveSeed(seed, `generator/${name}`) }).apply(h) as tf.SymbolicTensor);
  }
  return tf.model({ inputs: [x, ...inputs], outputs: heads, name: 'encoder' });
}

/** Builds the decoder; weights are initialised from `seed`. */
export function buildDecoder(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): tf.LayersModel {
  const z = tf.input({ shape: [c.latentDim], name: 'latent' });
  const { inputs, cond } = conditionInputs(c, s, seed, 'dec');
  const zy = tf.layers.concatenate({ name: 'dec_concat' }).apply([z, cond]) as tf.SymbolicTensor;
  const width = c.decoderChannels[0]!;
  let h: tf.SymbolicTensor;
  if (c.latentMap === 'repeat') {
    h = tf.layers.dense({ units: width, name: 'dec_fc', kernelInitializer: torchUniform(seed, 'generator/dec_fc') }).apply(zy) as tf.SymbolicTensor;
    h = new LatentUnpool({ frames: s.T, joints: s.V, name: 'dec_unpool' }).apply(h) as tf.SymbolicTensor;
  } else {
    h = new LatentGrid({ frames: s.T, joints: s.V, filters: width, seed: deriveSeed(seed, 'generator/dec_grid'), name: 'dec_grid' }).apply(zy) as tf.SymbolicTensor;
  }
  const widths = [...c.decoderChannels, 3];
  widths.forEach((filters, i) => {
    const last = i === widths.length - 1;
    const name = `dec_stgcn${i + 1}`;
    if (c.decoderCondition === 'every-layer') h = new LabelBroadcast({ name: `${name}_condition` }).apply([h, cond]) as tf.SymbolicTensor;
    h = new STGCNBlock({
      filters, temporalKernel: c.temporalKernel, transposed: true, edges: s.edges, seed: deriveSeed(seed, `generator/${name}`), name,
      ...(last ? { activation: 'linear' as const, batchNorm: false } : {}),
    }).apply(h) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: [z, ...inputs], outputs: h, name: 'decoder' });
}

export function buildCvae(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): Cvae {
  return { encoder: buildEncoder(c, s, seed), decoder: buildDecoder(c, s, seed) };
}

/** One-hot labels (or identities): [N, L]. Caller disposes. */
export function oneHot(labels: ArrayLike<number>, L: number): tf.Tensor2D {
  const a = new Float32Array(labels.length * L);
  for (let i = 0; i < labels.length; i++) a[i * L + labels[i]!] = 1;
  return tf.tensor2d(a, [labels.length, L]);
}

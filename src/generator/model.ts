/**
 * The STEP-Gen network (a conditional VAE of ST-GCN layers, STEP Fig. 2),
 * channels last. Only the architecture lives here; the objective is in
 * losses.ts and the training loop in train.ts.
 *
 * Encoder: x: [N, T, V, 3] with the one-hot label y: [N, L] appended to every
 *   node → ST-GCN blocks (64, 32, 32) → average pool over T and V → two
 *   parallel 1×1 convolutions (dense layers on the pooled vector) → μ, log σ²: [N, latent].
 *   With latentMap 'per-position' the pool is over V only and the two heads
 *   read the [T, C] series with a learned map per frame (LatentReadout).
 * Decoder: [z, y]: [N, latent + L] → 1×1 deconvolution (a dense layer) to the
 *   first decoder width → repeated over T × V (latentMap 'repeat'), or one
 *   learned linear map to every frame and joint (LatentGrid, 'per-position')
 *   → transposed ST-GCN blocks (32, 64)
 *   → a last transposed block to 3 channels with no ReLU and no batch norm
 *   (a batch norm there would pin each batch's mean coordinate to a learned
 *   constant in training, and the outputs are coordinates, not features).
 * Every ST-GCN block carries batch norm and ReLU (nn/stgcn.ts). All
 * initialisers are seeded from the run seed.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../core/rng.js';
import { torchUniform } from '../nn/common.js';
import { STGCNBlock } from '../nn/stgcn.js';
import type { ResolvedGeneratorConfig } from './config.js';
import { LabelBroadcast, LatentGrid, LatentReadout, LatentUnpool } from './layers.js';

export interface CvaeShape {
  T: number;
  V: number;
  /** Number of labels L. */
  labels: number;
  /** Skeleton edges (joints = V). */
  edges: [number, number][];
}

export interface Cvae {
  /** [x: [N, T, V, 3], y: [N, L]] → [μ: [N, latent], log σ²: [N, latent]]. */
  encoder: tf.LayersModel;
  /** [z: [N, latent], y: [N, L]] → x̂: [N, T, V, 3]. */
  decoder: tf.LayersModel;
}

/** Builds the encoder; weights are initialised from `seed`. */
export function buildEncoder(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): tf.LayersModel {
  const x = tf.input({ shape: [s.T, s.V, 3], name: 'gait' });
  const y = tf.input({ shape: [s.labels], name: 'label' });
  let h = new LabelBroadcast({ name: 'enc_label' }).apply([x, y]) as tf.SymbolicTensor;
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
  return tf.model({ inputs: [x, y], outputs: heads, name: 'encoder' });
}

/** Builds the decoder; weights are initialised from `seed`. */
export function buildDecoder(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): tf.LayersModel {
  const z = tf.input({ shape: [c.latentDim], name: 'latent' });
  const y = tf.input({ shape: [s.labels], name: 'label' });
  const zy = tf.layers.concatenate({ name: 'dec_concat' }).apply([z, y]) as tf.SymbolicTensor;
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
    h = new STGCNBlock({
      filters, temporalKernel: c.temporalKernel, transposed: true, edges: s.edges, seed: deriveSeed(seed, `generator/${name}`), name,
      ...(last ? { activation: 'linear' as const, batchNorm: false } : {}),
    }).apply(h) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: [z, y], outputs: h, name: 'decoder' });
}

export function buildCvae(c: ResolvedGeneratorConfig, s: CvaeShape, seed: number): Cvae {
  return { encoder: buildEncoder(c, s, seed), decoder: buildDecoder(c, s, seed) };
}

/** One-hot labels: [N, L]. Caller disposes. */
export function oneHot(labels: ArrayLike<number>, L: number): tf.Tensor2D {
  const a = new Float32Array(labels.length * L);
  for (let i = 0; i < labels.length; i++) a[i * L + labels[i]!] = 1;
  return tf.tensor2d(a, [labels.length, L]);
}

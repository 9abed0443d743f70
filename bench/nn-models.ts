/**
 * The two reference architectures of the nn benchmark, built from gaitforge's
 * layers to match /shared/reference/torch_stgcn_bench.py block for block
 * (a Baseline-STEP-like classifier and a STEP-Gen-like conditional VAE), with
 * their training losses. Benchmark code: the real models live in
 * src/classifier and src/generator.
 */
import * as tf from '@tensorflow/tfjs';
import { LabelBroadcast, LatentUnpool } from '../src/generator/layers.js';
import { FastBatchNorm, STGCNBlock, trainableVariables } from '../src/nn/index.js';

export const V = 16;
export const CLASSES = 4;
export const LATENT = 32;

/** Classifier: data BN over (joint, coord) → ST-GCN 3→32 (no residual), 32→64 /2, 64→64 /2 → mean → linear. */
export function buildClassifier(T: number, kt: number, seed = 1): tf.LayersModel {
  const x = tf.input({ shape: [T, V, 3] });
  let h = tf.layers.reshape({ targetShape: [T, V * 3] }).apply(x) as tf.SymbolicTensor;
  h = new FastBatchNorm().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [T, V, 3] }).apply(h) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 32, temporalKernel: kt, residual: false, seed }).apply(h) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 64, temporalKernel: kt, stride: 2, seed: seed + 1 }).apply(h) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 64, temporalKernel: kt, stride: 2, seed: seed + 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ dataFormat: 'channelsLast' }).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: logits });
}

/** Conditional VAE: encoder and decoder as separate models; the glue (one-hot broadcast, sampling) is in the step functions. */
export interface Cvae {
  encoder: tf.LayersModel; // [N, T, V, 3 + classes] → [mu, logvar]: [N, latent] each
  decoder: tf.LayersModel; // [N, latent + classes] → [N, T, V, 3]
  vars: tf.Variable[];
  T: number;
}

export function buildCvae(T: number, kt: number, seed = 1): Cvae {
  const xin = tf.input({ shape: [T, V, 3 + CLASSES] });
  let h = new STGCNBlock({ filters: 64, temporalKernel: kt, seed }).apply(xin) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 32, temporalKernel: kt, seed: seed + 1 }).apply(h) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 32, temporalKernel: kt, seed: seed + 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ dataFormat: 'channelsLast' }).apply(h) as tf.SymbolicTensor;
  const mu = tf.layers.dense({ units: LATENT, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(h) as tf.SymbolicTensor;
  const logvar = tf.layers.dense({ units: LATENT, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: xin, outputs: [mu, logvar] });

  const zin = tf.input({ shape: [LATENT + CLASSES] });
  let d = tf.layers.dense({ units: 32, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(zin) as tf.SymbolicTensor;
  d = new LatentUnpool({ frames: T, joints: V }).apply(d) as tf.SymbolicTensor; // repeat over frames and joints, as STEP-Gen does
  d = new STGCNBlock({ filters: 32, temporalKernel: kt, transposed: true, seed: seed + 3 }).apply(d) as tf.SymbolicTensor;
  d = new STGCNBlock({ filters: 64, temporalKernel: kt, transposed: true, seed: seed + 4 }).apply(d) as tf.SymbolicTensor;
  d = new STGCNBlock({ filters: 3, temporalKernel: kt, transposed: true, seed: seed + 5 }).apply(d) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: zin, outputs: d });
  return { encoder, decoder, vars: [...trainableVariables(encoder), ...trainableVariables(decoder)], T };
}

/**
 * STEP's push-pull loss (mean-reduced L_o + L_c + L_d + KL), x, y: [N, T, V, C]; d = x − y is linear in both.
 * Frame differences are slices of the 2-D view [N, T·V·C], as STEP-Gen's losses take them (a 4-D slice
 * along T is copied on wasm one C-float row at a time).
 */
export function pushPullLoss(x: tf.Tensor4D, y: tf.Tensor4D, mu: tf.Tensor, logvar: tf.Tensor): tf.Scalar {
  const [n, t, v, c] = x.shape;
  const f = v * c;
  const d = tf.sub(x, y).reshape([n, t * f]) as tf.Tensor2D;
  const lo = tf.mean(tf.square(d));
  const vel = tf.sub(d.slice([0, f], [n, (t - 1) * f]), d.slice([0, 0], [n, (t - 1) * f]));
  const acc = tf.sub(vel.slice([0, f], [n, (t - 2) * f]), vel.slice([0, 0], [n, (t - 2) * f]));
  const lc = tf.add(tf.mean(tf.square(vel)), tf.mean(tf.square(acc)));
  const frames = d.reshape([n, t, f]);
  let ld: tf.Tensor = tf.scalar(0);
  for (const a of [0, Math.floor(t / 2), t - 1]) ld = tf.add(ld, tf.mean(tf.square(tf.sub(frames, d.slice([0, a * f], [n, f]).reshape([n, 1, f])))));
  const kl = tf.mul(-0.5, tf.mean(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar)))));
  return tf.addN([lo, lc, ld, kl]) as tf.Scalar;
}

/**
 * One-hot [N, classes] broadcast over frames and joints and appended to x: [N, T, V, 3] → [N, T, V, 3 + classes],
 * as STEP-Gen's LabelBroadcast does it (an add with zeros: tf.broadcastTo's Tile and its gradient cost 2-3% of a CVAE step on wasm).
 */
export function withCondition(x: tf.Tensor4D, onehot: tf.Tensor2D): tf.Tensor4D {
  return new LabelBroadcast().apply([x, onehot]) as tf.Tensor4D;
}

/** Forward FLOPs of one ST-GCN block per sample (multiply-adds × 2), the aggregation counted dense as in PyTorch's einsum. */
export function blockFlops(t: number, tOut: number, cin: number, f: number, kt: number, projected: boolean): number {
  const K = 3;
  const gcn = 2 * t * V * cin * K * f;
  const agg = 2 * t * V * K * V * f;
  const tcn = 2 * tOut * V * f * f * kt;
  const res = projected ? 2 * tOut * V * cin * f : 0;
  return gcn + agg + tcn + res;
}

export function classifierFlops(T: number, kt: number): number {
  const t2 = Math.ceil(T / 2);
  const t3 = Math.ceil(t2 / 2);
  return blockFlops(T, T, 3, 32, kt, false) + blockFlops(T, t2, 32, 64, kt, true) + blockFlops(t2, t3, 64, 64, kt, true) + 2 * 64 * CLASSES;
}

export function encoderFlops(T: number, kt: number): number {
  return blockFlops(T, T, 3 + CLASSES, 64, kt, true) + blockFlops(T, T, 64, 32, kt, true) + blockFlops(T, T, 32, 32, kt, false) + 2 * 2 * 32 * LATENT;
}

export function decoderFlops(T: number, kt: number): number {
  return 2 * (LATENT + CLASSES) * 32 + blockFlops(T, T, 32, 32, kt, false) + blockFlops(T, T, 32, 64, kt, true) + blockFlops(T, T, 64, 3, kt, true);
}

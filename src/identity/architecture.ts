/**
 * The GaitTAKE identity model on skeletons (its keypoint-guided branch;
 * gaitforge has no silhouettes), channels last:
 *
 *   x: [N, T, V, 3] canonical positions (see model.ts) ⊕ each joint's bone vector and
 *     length (when `bones`) ⊕ frame-to-frame velocities of all of these
 *   → joint BatchNorm → ST-GCN blocks (temporal stride 1, so one pose feature
 *     per frame and joint: [N, T, V, C])
 *   → temporal attention (GaitTAKE §3.1, eqs. 6-9): two per-frame layers score
 *     each frame's [V·C] feature, a softmax over frames gives weights β: [N, T]
 *     (Σ_t β = 1), the sequence feature is Σ_t β_t f_t: [N, V, C]; with
 *     `clipLength`, one softmax per clip and the clips' features averaged
 *   → Generalized-Mean pooling with a learned p (eq. 10) within each body part
 *     (torso, arms, legs; `pooling: 'parts'`, as GaitGL pools within horizontal strips) or
 *     over all joints (`'all'`): [N, parts·C]
 *   → C parallel fully connected heads (§3.3), each an embedding of `embeddingDim`:
 *     [N, heads, D] (one dense layer of heads·D units reshaped: the heads share
 *     the input and have separate weights, which is exactly C parallel FC layers),
 *     each head's embedding scaled to unit length when `normalize`
 *   → optionally a dense identity-logit head on the pooled feature (cross-entropy).
 *
 * Outputs, in order: embeddings [N, heads, D], attention weights β [N, T],
 * and, with a cross-entropy head, identity logits [N, identities].
 * Layers are named: the seeded initialisers derive each weight from (seed, name).
 * With `trainFrames` the model takes any number of frames (it trains on windows).
 */
import * as tf from '@tensorflow/tfjs';
import { AppendVelocity, JointBatchNorm, LastAxisDense } from '../nn/head-layers.js';
import { STGCNBlock, TemporalAttentionPool } from '../nn/index.js';
import type { ResolvedIdentityConfig } from './config.js';
import { AppendBones, BODY_PARTS, GeMPool, L2NormalizeLast } from './layers.js';
import { PARENTS } from '../core/skeleton.js';

export interface IdentityArchitectureSpec {
  config: ResolvedIdentityConfig;
  /** Frames the model sees (after the frame stride). */
  T: number;
  V: number;
  /** Training identities for the cross-entropy head (used only when config.crossEntropyWeight > 0). */
  numIdentities: number;
  seed: number;
}

/** Model frames (after the frame stride) of `frames` of a gait's frames; 0 stays 0. */
export function modelFrames(frames: number, frameStride: number): number {
  return frames === 0 ? 0 : Math.max(1, Math.ceil(frames / frameStride));
}

/** Builds the model; the caller disposes it. */
export function buildIdentityModel(spec: IdentityArchitectureSpec): tf.LayersModel {
  const { config: c, V, seed } = spec;
  const T = c.trainFrames > 0 ? null : spec.T;
  const x = tf.input({ shape: [T, V, 3], name: 'positions' });
  let h: tf.SymbolicTensor = x;
  if (c.bones) {
    if (V !== PARENTS.length) throw new RangeError(`bones = true needs the ${PARENTS.length}-joint skeleton; the gaits have V = ${V}`);
    h = new AppendBones({ name: 'bones' }).apply(h) as tf.SymbolicTensor;
  }
  h = new AppendVelocity({ name: 'velocity' }).apply(h) as tf.SymbolicTensor;
  h = new JointBatchNorm({ name: 'input_bn', momentum: c.bnMomentum }).apply(h) as tf.SymbolicTensor;
  c.channels.forEach((filters, i) => {
    h = new STGCNBlock({ name: `stgcn${i + 1}`, filters, temporalKernel: c.temporalKernel, residual: i > 0, bnMomentum: c.bnMomentum, seed }).apply(h) as tf.SymbolicTensor;
  });
  const C = c.channels[c.channels.length - 1]!;
  const frames = tf.layers.reshape({ name: 'frame_features', targetShape: [T, V * C] }).apply(h) as tf.SymbolicTensor;
  const [pooledFrames, beta] = new TemporalAttentionPool({ name: 'temporal_attention', units: c.attentionUnits, returnWeights: true, clipLength: modelFrames(c.clipLength, c.frameStride), seed }).apply(frames) as tf.SymbolicTensor[];
  const seq = tf.layers.reshape({ name: 'sequence_feature', targetShape: [V, C] }).apply(pooledFrames!) as tf.SymbolicTensor;
  if (c.pooling === 'parts' && V !== BODY_PARTS.flat().length) throw new RangeError(`pooling = 'parts' needs the 16-joint skeleton; the gaits have V = ${V}`);
  const pooled = new GeMPool({ name: 'gem', p: c.gemP, groups: c.pooling === 'parts' ? BODY_PARTS : null }).apply(seq) as tf.SymbolicTensor;
  const flat = new LastAxisDense({ name: 'embedding_heads', units: c.heads * c.embeddingDim, seed }).apply(pooled) as tf.SymbolicTensor;
  let emb = tf.layers.reshape({ name: c.normalize ? 'head_embeddings' : 'embeddings', targetShape: [c.heads, c.embeddingDim] }).apply(flat) as tf.SymbolicTensor;
  if (c.normalize) emb = new L2NormalizeLast({ name: 'embeddings' }).apply(emb) as tf.SymbolicTensor;
  const outputs = [emb, beta!];
  if (c.crossEntropyWeight > 0 && spec.numIdentities >= 2)
    outputs.push(new LastAxisDense({ name: 'identity_head', units: spec.numIdentities, seed }).apply(pooled) as tf.SymbolicTensor);
  return tf.model({ inputs: x, outputs, name: 'gaittake' });
}

/**
 * The three classifier architectures as tfjs functional models, channels
 * last. Each takes x: [N, T, V, 3] (canonical positions, io/model-input.ts)
 * and outputs logits, never probabilities, so the losses can use log-softmax.
 *  - Baseline-STEP (STEP §4.3): input BatchNorm over joints × coordinates →
 *    ST-GCN 32 (stride 1, no residual) → 64 (stride 2) → 64 (stride 2) → global
 *    average pool → dense to the labels. Outputs [logits, pooled [N, 64]].
 *  - STEP: Baseline-STEP's pooled features ⊕ the 29 scaled affective features
 *    (second input) → dense `hybridUnits` + ReLU → dropout → dense to the
 *    labels. Outputs [logits, hybrid features [N, hybridUnits]].
 *  - AT-GCN: positions ⊕ velocities → input BatchNorm → graph GRU (H per joint)
 *    → spatial attention per frame → temporal attention pooling of the [V·H]
 *    states → embedding → dropout → emotion head; optional identity head and
 *    next-frame head (H → 3 per joint and frame: displacement to the next frame).
 *    Outputs [logits, embedding, identity logits?, displacement [N, T, V, 3]?].
 * Layers are named explicitly: seeded initialisers derive each weight's stream
 * from (seed, layer name), so a model is reproducible whatever else was built.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphGRU, SpatialAttention, STGCNBlock, TemporalAttentionPool } from '../nn/index.js';
import type { ClassifierKind, ResolvedClassifierConfig } from './config.js';
import { AppendVelocity, JointBatchNorm, LastAxisDense, SeededDropout } from '../nn/head-layers.js';

/** Output names in model order. */
export type OutputName = 'logits' | 'features' | 'identity' | 'nextFrame';

export interface ArchitectureSpec {
  kind: ClassifierKind;
  config: ResolvedClassifierConfig;
  /** Frames the model sees (after the frame stride). */
  T: number;
  V: number;
  numLabels: number;
  /** Identity classes (AT-GCN identity head); 0 = no identity head. */
  numIdentities: number;
  /** Affective features (STEP); 0 otherwise. */
  affectiveDim: number;
  /** Weight-initialisation and dropout seed. */
  seed: number;
}

export interface BuiltModel {
  model: tf.LayersModel;
  outputs: OutputName[];
}

/** Baseline-STEP's ST-GCN trunk: x → pooled [N, 64]. */
function stepTrunk(x: tf.SymbolicTensor, c: ResolvedClassifierConfig, seed: number): tf.SymbolicTensor {
  let h = new JointBatchNorm({ name: 'input_bn', momentum: c.bnMomentum }).apply(x) as tf.SymbolicTensor;
  const blocks: [number, number, boolean][] = [[32, 1, false], [64, 2, true], [64, 2, true]];
  blocks.forEach(([filters, stride, residual], i) => {
    h = new STGCNBlock({
      name: `stgcn${i + 1}`, filters, stride, residual, temporalKernel: c.temporalKernel, dropout: c.dropout, bnMomentum: c.bnMomentum, seed,
    }).apply(h) as tf.SymbolicTensor;
  });
  return tf.layers.globalAveragePooling2d({ name: 'pool', dataFormat: 'channelsLast' }).apply(h) as tf.SymbolicTensor;
}

/** Builds the model for `spec`. The caller disposes `model`. */
export function buildArchitecture(spec: ArchitectureSpec): BuiltModel {
  const { kind, config: c, T, V, numLabels, seed } = spec;
  const x = tf.input({ shape: [T, V, 3], name: 'positions' });
  if (kind === 'baseline-step') {
    const pooled = stepTrunk(x, c, seed);
    const logits = new LastAxisDense({ name: 'emotion_head', units: numLabels, seed }).apply(pooled) as tf.SymbolicTensor;
    return { model: tf.model({ inputs: x, outputs: [logits, pooled], name: 'baseline_step' }), outputs: ['logits', 'features'] };
  }
  if (kind === 'step') {
    if (spec.affectiveDim < 1) throw new RangeError('STEP needs affective features (affectiveDim ≥ 1)');
    const aff = tf.input({ shape: [spec.affectiveDim], name: 'affective' });
    const pooled = stepTrunk(x, c, seed);
    const hybrid = tf.layers.concatenate({ name: 'hybrid', axis: -1 }).apply([pooled, aff]) as tf.SymbolicTensor;
    const hidden = new LastAxisDense({ name: 'hybrid_dense', units: c.hybridUnits, activation: 'relu', seed }).apply(hybrid) as tf.SymbolicTensor;
    const dropped = new SeededDropout({ name: 'hybrid_dropout', rate: c.dropout, seed }).apply(hidden) as tf.SymbolicTensor;
    const logits = new LastAxisDense({ name: 'emotion_head', units: numLabels, seed }).apply(dropped) as tf.SymbolicTensor;
    return { model: tf.model({ inputs: [x, aff], outputs: [logits, hidden], name: 'step' }), outputs: ['logits', 'features'] };
  }
  // AT-GCN
  const H = c.hidden;
  let h = new AppendVelocity({ name: 'velocity' }).apply(x) as tf.SymbolicTensor;
  h = new JointBatchNorm({ name: 'input_bn', momentum: c.bnMomentum }).apply(h) as tf.SymbolicTensor;
  h = new GraphGRU({ name: 'graph_gru', units: H, returnSequences: true, seed }).apply(h) as tf.SymbolicTensor;
  const attended = new SpatialAttention({ name: 'spatial_attention', seed }).apply(h) as tf.SymbolicTensor;
  const frames = tf.layers.reshape({ name: 'frames', targetShape: [T, V * H] }).apply(attended) as tf.SymbolicTensor;
  const embedding = new TemporalAttentionPool({ name: 'temporal_attention', seed }).apply(frames) as tf.SymbolicTensor;
  const dropped = new SeededDropout({ name: 'embedding_dropout', rate: c.dropout, seed }).apply(embedding) as tf.SymbolicTensor;
  const outputs: tf.SymbolicTensor[] = [new LastAxisDense({ name: 'emotion_head', units: numLabels, seed }).apply(dropped) as tf.SymbolicTensor, embedding];
  const names: OutputName[] = ['logits', 'features'];
  if (spec.numIdentities > 0) {
    outputs.push(new LastAxisDense({ name: 'identity_head', units: spec.numIdentities, seed }).apply(dropped) as tf.SymbolicTensor);
    names.push('identity');
  }
  if (c.tasks.nextFrame) {
    outputs.push(new LastAxisDense({ name: 'next_frame_head', units: 3, seed }).apply(attended) as tf.SymbolicTensor);
    names.push('nextFrame');
  }
  return { model: tf.model({ inputs: x, outputs, name: 'at_gcn' }), outputs: names };
}

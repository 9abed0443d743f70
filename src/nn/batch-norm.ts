/**
 * `FastBatchNorm`: batch normalisation over the last axis of any tensor
 * [..., C], on ops.ts's batch-norm ops (one-pass column statistics,
 * hand-written gradients; tf.layers.batchNormalization is slow on wasm).
 * Running statistics follow PyTorch (new = (1 − momentum)·old +
 * momentum·batch, unbiased variance). E.g. ST-GCN's "data BN": reshape
 * [N, T, V, C] to [N, T, V·C] and normalise each (joint, coordinate) channel.
 */
import * as tf from '@tensorflow/tfjs';
import { addBatchNorm, applyBatchNorm, checkNumber, isTraining, single, singleShape, type AddWeight, type BatchNormWeights } from './common.js';

export interface FastBatchNormArgs {
  /** Default 0.1 (PyTorch convention). */
  momentum?: number;
  /** Default 1e-5. */
  epsilon?: number;
  name?: string;
  trainable?: boolean;
}

export class FastBatchNorm extends tf.layers.Layer {
  static className = 'FastBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  protected bn: BatchNormWeights | null = null;
  protected readonly adder: AddWeight = (name, shape, init, trainable = true) =>
    this.addWeight(name, shape, 'float32', init, undefined, trainable);

  constructor(args: FastBatchNormArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.momentum = checkNumber('FastBatchNorm', 'momentum', args.momentum ?? 0.1, 0, 1);
    this.epsilon = checkNumber('FastBatchNorm', 'epsilon', args.epsilon ?? 1e-5, 0, 1);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    this.bn = addBatchNorm(this.adder, 'bn', shape[shape.length - 1]!);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => applyBatchNorm(single(inputs), this.bn!, isTraining(kwargs), this.momentum, this.epsilon));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FastBatchNorm);

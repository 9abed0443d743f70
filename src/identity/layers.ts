/**
 * Layers of the identity model that src/nn does not have.
 *  - `gem(x, p)`: Generalized-Mean pooling over axis 1, (mean_v max(x, ε)^p)^(1/p):
 *    x: [N, V, C] → [N, C]. p = 1 is average pooling; p → ∞ approaches max pooling.
 *  - `GeMPool`: the same with p a learned scalar (GaitTAKE eq. 10).
 */
import * as tf from '@tensorflow/tfjs';
import { single, singleShape, type LayerVariable } from '../nn/common.js';

/** Inputs are clamped to at least this before the power (GeM is defined on non-negative features). */
export const GEM_EPSILON = 1e-6;

/** GeM over axis 1: x: [N, V, C], p: scalar (number or tensor) → [N, C]. Caller disposes. */
export function gem(x: tf.Tensor, p: number | tf.Scalar): tf.Tensor {
  return tf.tidy(() => {
    const pt = typeof p === 'number' ? tf.scalar(p) : p;
    return tf.pow(tf.mean(tf.pow(tf.maximum(x, GEM_EPSILON), pt), 1), tf.div(1, pt));
  });
}

export interface GeMPoolArgs {
  /** Initial p. Default 3. */
  p?: number;
  name?: string;
  trainable?: boolean;
}

/** Generalized-Mean pooling over joints with a learned exponent: x: [N, V, C] → [N, C]. */
export class GeMPool extends tf.layers.Layer {
  static className = 'GeMPool';
  readonly p0: number;
  private pVar: LayerVariable | null = null;

  constructor(args: GeMPoolArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.p0 = args.p ?? 3;
    if (!(this.p0 >= 1 && this.p0 <= 100)) throw new RangeError(`GeMPool: p = ${this.p0} is out of range: expected a number in [1, 100]`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape);
    if (s.length !== 3) throw new RangeError(`GeMPool expects [N, V, C] input, got rank ${s.length}`);
    this.pVar = this.addWeight('p', [], 'float32', tf.initializers.constant({ value: this.p0 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [s[0]!, s[2]!];
  }

  /** The current exponent p. */
  get p(): number {
    return (this.pVar!.read().dataSync() as Float32Array)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // p is kept ≥ 1 so the pooling stays between average and max pooling
    return tf.tidy(() => gem(single(inputs), tf.maximum(this.pVar!.read(), 1) as tf.Scalar));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), p: this.p0 };
  }
}
tf.serialization.registerClass(GeMPool);

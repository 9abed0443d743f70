/**
 * Small layers the classifier heads need, built on src/nn's fast
 * differentiable ops (the stock tfjs Dense and BatchNormalization gradients
 * take slow paths on the wasm backend, and stock Dropout with a seed draws
 * the same mask at every call). Each is registered for serialisation.
 */
import * as tf from '@tensorflow/tfjs';
import { addBatchNorm, isTraining, single, singleShape, noiseSeed, torchUniform, type LayerVariable } from './common.js';
import { denseLastAxis } from './ops.js';
import { FastBatchNorm } from './batch-norm.js';
import { ConfigRangeError } from '../core/errors.js';

interface BaseArgs {
  name?: string;
  trainable?: boolean;
}

/**
 * Batch norm over the joints × coordinates of x: [N, T, V, C] (V·C
 * channels, statistics over N and T), as STEP's input BatchNorm1d(V·C):
 * FastBatchNorm over a [N, T, V·C] view. Output has the input's shape.
 */
export class JointBatchNorm extends FastBatchNorm {
  static override className = 'JointBatchNorm';

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape);
    if (s.length !== 4) throw new RangeError(`JointBatchNorm expects [N, T, V, C] input, got rank ${s.length}`);
    this.bn = addBatchNorm(this.adder, 'bn', s[2]! * s[3]!);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [n, t, v, c] = x.shape as [number, number, number, number];
      return super.call(x.reshape([n, t, v * c]), kwargs).reshape([n, t, v, c]);
    });
  }
}
tf.serialization.registerClass(JointBatchNorm);

/**
 * A dense layer over the last axis of x: [..., Cin] → [..., units], with
 * PyTorch's default seeded initialisation and an optional ReLU.
 */
export class LastAxisDense extends tf.layers.Layer {
  static className = 'LastAxisDense';
  readonly units: number;
  readonly activation: 'relu' | 'linear';
  readonly seed: number;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: BaseArgs & { units: number; activation?: 'relu' | 'linear'; seed?: number }) {
    super({ name: args.name, trainable: args.trainable });
    if (!Number.isInteger(args.units) || args.units < 1) throw new ConfigRangeError(`LastAxisDense: units = ${args.units} is out of range: expected an integer ≥ 1`);
    this.units = args.units;
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape);
    const cin = s[s.length - 1]!;
    this.kernel = this.addWeight('kernel', [cin, this.units], 'float32', torchUniform(this.seed, `${this.name}/kernel`));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [...s.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = denseLastAxis(single(inputs), this.kernel!.read() as tf.Tensor2D, this.bias!.read() as tf.Tensor1D);
      return this.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}
tf.serialization.registerClass(LastAxisDense);

/**
 * Inverted dropout in training mode only; the mask of the k-th training call
 * is drawn from a seed derived from (seed, layer name, k), so a run is
 * reproducible and masks differ from step to step; inside the training
 * engine's `withNoiseKey` the mask depends on the step instead of k.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: BaseArgs & { rate: number; seed?: number }) {
    super({ name: args.name, trainable: args.trainable });
    if (!(args.rate >= 0 && args.rate < 1)) throw new ConfigRangeError(`SeededDropout: rate = ${args.rate} is out of range [0, 1)`);
    this.rate = args.rate;
    this.seed = args.seed ?? 1;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      if (!isTraining(kwargs) || this.rate === 0) return x.clone();
      return tf.dropout(x, this.rate, undefined, noiseSeed(this.seed, this.name, () => this.calls++));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/**
 * Appends frame-to-frame velocities to positions: x: [N, T, V, C] →
 * [N, T, V, 2C] with channels [x_t, x_t − x_{t−1}] (zero velocity at t = 0).
 * Gives a recurrent model motion directly rather than only through its memory.
 */
export class AppendVelocity extends tf.layers.Layer {
  static className = 'AppendVelocity';

  constructor(args: BaseArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [...s.slice(0, -1), s[s.length - 1] == null ? null : 2 * s[s.length - 1]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const [n, t, v, c] = x.shape;
      if (t < 2) return tf.concat([x, tf.zerosLike(x)], 3);
      const d = tf.sub(x.slice([0, 1, 0, 0], [n, t - 1, v, c]), x.slice([0, 0, 0, 0], [n, t - 1, v, c]));
      return tf.concat([x, tf.concat([tf.zeros([n, 1, v, c]), d], 1)], 3);
    });
  }
}
tf.serialization.registerClass(AppendVelocity);

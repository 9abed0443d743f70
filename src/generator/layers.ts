/**
 * The small layers STEP-Gen needs around the ST-GCN blocks, channels last:
 *  - LabelBroadcast appends a per-gait vector (the one-hot label) to every
 *    node of every frame: [x: [N, T, V, C], y: [N, L]] → [N, T, V, C + L];
 *  - LatentUnpool repeats a per-gait vector over T × V (STEP's "Repeat" box):
 *    [N, C] → [N, T, V, C];
 *  - LatentGrid maps a per-gait vector to every frame and joint with its own
 *    learned linear map: [N, D] → [N, T, V, C];
 *  - LatentReadout, its encoder-side mirror: the mean over joints, then a
 *    learned linear map over every frame: [N, T, V, C] → [N, D].
 * The last two start as their STEP counterparts (repeat; average pooling) and
 * learn per-frame differences from there: a random per-frame start gives the
 * decoder frame-to-frame variation it must unlearn. Broadcasting is an add
 * with zeros (its gradient a plain reduction, unlike tf.tile's); LatentGrid's
 * product is nn's matMul2d.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.js';
import { denseLastAxis } from '../nn/ops.js';
import { ConfigRangeError } from '../core/errors.js';

type LayerArgs = { name?: string; trainable?: boolean };

/** [x: [N, T, V, C], y: [N, L]] → [N, T, V, C + L]. */
export class LabelBroadcast extends tf.layers.Layer {
  static className = 'GaitforgeLabelBroadcast';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [xs, ys] = inputShape as tf.Shape[];
    const c = xs![3];
    const l = ys![1];
    return [xs![0]!, xs![1]!, xs![2]!, c == null || l == null ? null : c + l];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, y] = inputs as tf.Tensor[];
      const [n, t, v] = x!.shape as number[];
      const l = y!.shape[1]!;
      return tf.concat([x!, tf.add(y!.reshape([n!, 1, 1, l]), tf.zeros([1, t!, v!, l]))], 3);
    });
  }
}
tf.serialization.registerClass(LabelBroadcast);

export interface GridArgs extends LayerArgs {
  /** Frames T of the output. */
  frames: number;
  /** Joints V of the output. */
  joints: number;
}

function checkGrid(layer: string, args: GridArgs): void {
  for (const [k, v] of [['frames', args.frames], ['joints', args.joints]] as const)
    if (!Number.isInteger(v) || v < 1) throw new ConfigRangeError(`${layer}: ${k} = ${String(v)} is out of range: expected a positive integer`);
}

/** [N, C] → [N, T, V, C]: the same vector at every frame and joint. */
export class LatentUnpool extends tf.layers.Layer {
  static className = 'GaitforgeLatentUnpool';
  readonly frames: number;
  readonly joints: number;

  constructor(args: GridArgs) {
    super(args);
    checkGrid('LatentUnpool', args);
    this.frames = args.frames;
    this.joints = args.joints;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0]!, this.frames, this.joints, s[1]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs)!;
      const [n, c] = h.shape as number[];
      return tf.add(h.reshape([n!, 1, 1, c!]), tf.zeros([this.frames, this.joints, c!]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), frames: this.frames, joints: this.joints };
  }
}
tf.serialization.registerClass(LatentUnpool);

export interface LatentGridArgs extends GridArgs {
  /** Output channels C. */
  filters: number;
  /** Seed of the kernel initialiser. Default 1. */
  seed?: number;
}

/**
 * [N, D] → [N, T, V, C]: out[n, t, v, :] = W[t, v] · h[n] + b[t, v], i.e. a
 * dense layer to T·V·C units reshaped to the grid. Weights: kernel [D, T·V·C], bias [T·V·C].
 */
export class LatentGrid extends tf.layers.Layer {
  static className = 'GaitforgeLatentGrid';
  readonly frames: number;
  readonly joints: number;
  readonly filters: number;
  readonly seed: number;
  private kernel: ReturnType<tf.layers.Layer['addWeight']> | null = null;
  private bias: ReturnType<tf.layers.Layer['addWeight']> | null = null;

  constructor(args: LatentGridArgs) {
    super(args);
    checkGrid('LatentGrid', args);
    if (!Number.isInteger(args.filters) || args.filters < 1) throw new ConfigRangeError(`LatentGrid: filters = ${String(args.filters)} is out of range: expected a positive integer`);
    this.frames = args.frames;
    this.joints = args.joints;
    this.filters = args.filters;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as tf.Shape)[1]!;
    const per = this.joints * this.filters;
    const units = this.frames * per;
    this.kernel = this.addWeight('kernel', [d, units], 'float32', tf.initializers.zeros());
    this.bias = this.addWeight('bias', [units], 'float32', tf.initializers.zeros());
    // One uniform ±1/sqrt(D) map (PyTorch's default bound) for every frame.
    const base = uniformArray(d * per, 1 / Math.sqrt(d), new Rng(this.seed, 'generator/latent-grid'));
    const k = new Float32Array(d * units);
    for (let i = 0; i < d; i++) for (let t = 0; t < this.frames; t++) k.set(base.subarray(i * per, (i + 1) * per), i * units + t * per);
    tf.tidy(() => {
      this.kernel!.write(tf.tensor2d(k, [d, units]));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0]!, this.frames, this.joints, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs)!;
      const y = denseLastAxis(h, this.kernel!.read() as tf.Tensor2D, this.bias!.read() as tf.Tensor1D);
      return y.reshape([h.shape[0]!, this.frames, this.joints, this.filters]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), frames: this.frames, joints: this.joints, filters: this.filters, seed: this.seed };
  }
}
tf.serialization.registerClass(LatentGrid);

function uniformArray(n: number, bound: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
}

export interface LatentReadoutArgs extends LayerArgs {
  /** Output size D. */
  units: number;
  /** Seed of the kernel initialiser. Default 1. */
  seed?: number;
}

/**
 * [N, T, V, C] → [N, D]: the mean over joints, flattened to [N, T·C], times a
 * kernel [T·C, D] plus a bias [D].
 */
export class LatentReadout extends tf.layers.Layer {
  static className = 'GaitforgeLatentReadout';
  readonly units: number;
  readonly seed: number;
  private kernel: ReturnType<tf.layers.Layer['addWeight']> | null = null;
  private bias: ReturnType<tf.layers.Layer['addWeight']> | null = null;

  constructor(args: LatentReadoutArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new ConfigRangeError(`LatentReadout: units = ${String(args.units)} is out of range: expected a positive integer`);
    this.units = args.units;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, t, , c] = inputShape as number[];
    this.kernel = this.addWeight('kernel', [t! * c!, this.units], 'float32', tf.initializers.zeros());
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    // The same uniform ±1/sqrt(C) map for every frame, divided by T: average pooling, then a dense layer.
    const base = uniformArray(c! * this.units, 1 / Math.sqrt(c!), new Rng(this.seed, 'generator/latent-readout'));
    const k = new Float32Array(t! * c! * this.units);
    for (let f = 0; f < t!; f++) for (let i = 0; i < base.length; i++) k[f * base.length + i] = base[i]! / t!;
    tf.tidy(() => {
      this.kernel!.write(tf.tensor2d(k, [t! * c!, this.units]));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs)!;
      const [n, t, , c] = x.shape as number[];
      const pooled = tf.mean(x, 2).reshape([n!, t! * c!]);
      return denseLastAxis(pooled, this.kernel!.read() as tf.Tensor2D, this.bias!.read() as tf.Tensor1D);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed };
  }
}
tf.serialization.registerClass(LatentReadout);

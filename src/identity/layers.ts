/**
 * Layers of the identity model that src/nn does not have.
 *  - `gem(x, p)`: Generalized-Mean pooling over axis 1, (mean_v max(x, ε)^p)^(1/p):
 *    x: [N, V, C] → [N, C]. p = 1 is average pooling; p → ∞ approaches max pooling.
 *  - `GeMPool`: the same with p a learned scalar (GaitTAKE eq. 10), within each
 *    group of joints (body parts), the parts' features concatenated: [N, V, C] → [N, G·C].
 *  - `AppendBones`: per-frame bone features of every joint: x: [N, T, V, 3] →
 *    [N, T, V, 7] = [x_v, x_v − x_parent(v), |x_v − x_parent(v)|] (zeros for the root).
 */
import * as tf from '@tensorflow/tfjs';
import { single, singleShape, type LayerVariable } from '../nn/common.js';
import { matMul2d } from '../nn/ops.js';
import { PARENTS } from '../core/skeleton.js';

/** Inputs are clamped to at least this before the power (GeM is defined on non-negative features). */
export const GEM_EPSILON = 1e-6;

/** GeM over axis 1: x: [N, V, C], p: scalar (number or tensor) → [N, C]. Caller disposes. */
export function gem(x: tf.Tensor, p: number | tf.Scalar): tf.Tensor {
  return tf.tidy(() => {
    const pt = typeof p === 'number' ? tf.scalar(p) : p;
    return tf.pow(tf.mean(tf.pow(tf.maximum(x, GEM_EPSILON), pt), 1), tf.div(1, pt));
  });
}

/** The 16-joint skeleton's body parts: torso and head, the two arms, the two legs. */
export const BODY_PARTS: number[][] = [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]];

export interface GeMPoolArgs {
  /** Initial p. Default 3. */
  p?: number;
  /** Joint groups pooled separately (each joint in at most one); default one group of all joints. */
  groups?: number[][] | null;
  name?: string;
  trainable?: boolean;
}

/** Generalized-Mean pooling over joints with a learned exponent: x: [N, V, C] → [N, C]. */
export class GeMPool extends tf.layers.Layer {
  static className = 'GeMPool';
  readonly p0: number;
  readonly groups: number[][] | null;
  private pVar: LayerVariable | null = null;

  constructor(args: GeMPoolArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.p0 = args.p ?? 3;
    if (!(this.p0 >= 1 && this.p0 <= 100)) throw new RangeError(`GeMPool: p = ${this.p0} is out of range: expected a number in [1, 100]`);
    this.groups = args.groups ? args.groups.map((g) => [...g]) : null;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape);
    if (s.length !== 3) throw new RangeError(`GeMPool expects [N, V, C] input, got rank ${s.length}`);
    for (const g of this.groups ?? [])
      for (const v of g) if (!(Number.isInteger(v) && v >= 0 && v < s[1]!)) throw new RangeError(`GeMPool: joint ${v} of a group is out of range for V = ${s[1]}`);
    this.pVar = this.addWeight('p', [], 'float32', tf.initializers.constant({ value: this.p0 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [s[0]!, s[2]! * (this.groups?.length ?? 1)];
  }

  /** The current exponent p. */
  get p(): number {
    return (this.pVar!.read().dataSync() as Float32Array)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // p is kept ≥ 1 so the pooling stays between average and max pooling
    return tf.tidy(() => {
      const x = single(inputs);
      const p = tf.maximum(this.pVar!.read(), 1) as tf.Scalar;
      if (!this.groups) return gem(x, p);
      // joints picked with slices: the gradient of tf.gather needs UnsortedSegmentSum, which wasm lacks
      const [n, , c] = x.shape as [number, number, number];
      const pick = (g: number[]) => (g.length === 1 ? x.slice([0, g[0]!, 0], [n, 1, c]) : tf.concat(g.map((v) => x.slice([0, v, 0], [n, 1, c])), 1));
      return tf.concat(this.groups.map((g) => gem(pick(g), p)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), p: this.p0, groups: this.groups };
  }
}
tf.serialization.registerClass(GeMPool);

export interface AppendBonesArgs {
  /** Parent joint of every joint (−1 for the root). Default the 16-joint skeleton's. */
  parents?: number[];
  name?: string;
  trainable?: boolean;
}

/**
 * Appends each joint's bone (the vector from its parent joint) and the bone's
 * length to the positions: x: [N, T, V, 3] → [N, T, V, 7]. The lengths make
 * body proportions, which pose-estimator noise blurs frame by frame, directly
 * available to the per-frame encoder instead of leaving it to approximate a
 * square root with ReLUs.
 */
export class AppendBones extends tf.layers.Layer {
  static className = 'AppendBones';
  readonly parents: number[];

  constructor(args: AppendBonesArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.parents = [...(args.parents ?? PARENTS)];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = singleShape(inputShape);
    if (s.length !== 4 || s[3] !== 3) throw new RangeError(`AppendBones expects [N, T, V, 3] input, got [${s.join(', ')}]`);
    if (s[2] !== this.parents.length) throw new RangeError(`AppendBones: ${this.parents.length} parents for V = ${s[2]} joints`);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [...s.slice(0, 3), 7];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const [N, T, V] = x.shape;
      // each joint's parent picked with a 0/1 matMul (exact), not tf.gather: the gradient of a gather
      // needs UnsortedSegmentSum, which wasm lacks, and a generator trains through this model (L_id)
      const pick = new Float32Array(V * V);
      this.parents.forEach((p, v) => (pick[(p < 0 ? v : p) * V + v] = 1));
      const rows = tf.transpose(x, [0, 1, 3, 2]).reshape([N * T * 3, V]) as tf.Tensor2D;
      const parent = matMul2d(rows, tf.tensor2d(pick, [V, V])).reshape([N, T, 3, V]).transpose([0, 1, 3, 2]);
      const bone = tf.sub(x, parent);
      const length = tf.sqrt(tf.add(tf.sum(tf.square(bone), 3, true), 1e-12));
      return tf.concat([x, bone, length], 3);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), parents: this.parents };
  }
}
tf.serialization.registerClass(AppendBones);

/** Scales every vector along the last axis to unit Euclidean length: [..., D] → [..., D]. */
export class L2NormalizeLast extends tf.layers.Layer {
  static className = 'L2NormalizeLast';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
    });
  }
}
tf.serialization.registerClass(L2NormalizeLast);

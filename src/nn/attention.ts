/**
 * Attention blocks (AT-GCN style), channels last.
 *  - `SpatialAttention`: per frame, a softmax over joints of a small MLP score
 *    reweights the joints: x: [N, T, V, C] → x · α · V, α: [N, T, V] (Σ_v α = 1,
 *    so uniform attention leaves x unchanged).
 *  - `TemporalAttentionPool`: a softmax over frames pools frame features:
 *    h: [N, T, C] → Σ_t β_t h_t: [N, C], optionally also β: [N, T]. With
 *    `clipLength` L, GaitTAKE's clip form: the first ⌊T/L⌋ clips of L frames
 *    are pooled each by its own softmax and the clip features averaged.
 * Score MLP: s = tanh(x W1 + b1) w2, all 2-D matMuls with fast gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, single, singleShape, torchUniform, type LayerVariable } from './common.js';
import { denseLastAxis } from './ops.js';
import { ConfigRangeError } from '../core/errors.js';

export interface AttentionArgs {
  /** Hidden size of the score MLP. Default: the input channels C. */
  units?: number;
  /** Seed of the weight initialisers. Default 1. */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export interface TemporalAttentionPoolArgs extends AttentionArgs {
  /** Also return the frame weights β: [N, T] as a second output. Default false. */
  returnWeights?: boolean;
  /** Frames per clip (0: one softmax over the whole sequence). Frames after the last whole clip get weight 0. Default 0. */
  clipLength?: number;
}

/** Score MLP weights shared by both blocks. */
class ScoreMlp {
  w1!: LayerVariable;
  b1!: LayerVariable;
  w2!: LayerVariable;
  constructor(
    private readonly layer: tf.layers.Layer,
    private readonly add: (name: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) => LayerVariable,
  ) {}
  build(c: number, units: number, seed: number) {
    this.w1 = this.add('score_kernel', [c, units], torchUniform(seed, `${this.layer.name}/w1`));
    this.b1 = this.add('score_bias', [units], tf.initializers.zeros());
    this.w2 = this.add('score_vector', [units, 1], torchUniform(seed, `${this.layer.name}/w2`));
  }
  /** x: [..., C] → scores [...]. */
  score(x: tf.Tensor): tf.Tensor {
    const h = tf.tanh(denseLastAxis(x, this.w1.read() as tf.Tensor2D, this.b1.read() as tf.Tensor1D));
    return denseLastAxis(h, this.w2.read() as tf.Tensor2D).reshape(x.shape.slice(0, -1));
  }
}

function resolveAttention(layer: string, args: AttentionArgs): { units: number | null; seed: number } {
  if (args.units != null) checkInt(layer, 'units', args.units, 1, 65536);
  const seed = args.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new ConfigRangeError(`${layer}: seed = ${String(seed)} is not a safe integer`);
  return { units: args.units ?? null, seed };
}

/** Spatial attention: x: [N, T, V, C] → [N, T, V, C], joints reweighted per frame. */
export class SpatialAttention extends tf.layers.Layer {
  static className = 'SpatialAttention';
  readonly units: number | null;
  readonly seed: number;
  private readonly mlp = new ScoreMlp(this, (n, s, i) => this.addWeight(n, s, 'float32', i));

  constructor(args: AttentionArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    ({ units: this.units, seed: this.seed } = resolveAttention('SpatialAttention', args));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 4) throw new RangeError(`SpatialAttention expects [N, T, V, C] input, got rank ${shape.length}`);
    this.mlp.build(shape[3]!, this.units ?? shape[3]!, this.seed);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  /** Joint weights α: [N, T, V] for x: [N, T, V, C] (caller disposes). */
  weightsFor(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, t, v] = x.shape;
      return tf.softmax(this.mlp.score(x).reshape([n * t, v])).reshape([n, t, v]) as tf.Tensor3D;
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const [n, t, v] = x.shape;
      const alpha = this.weightsFor(x).reshape([n, t, v, 1]);
      return tf.mul(x, tf.mul(alpha, v));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed };
  }
}
tf.serialization.registerClass(SpatialAttention);

/**
 * Temporal attention pooling: h: [N, T, C] → [N, C] (and β: [N, T] when
 * `returnWeights`).
 */
export class TemporalAttentionPool extends tf.layers.Layer {
  static className = 'TemporalAttentionPool';
  readonly units: number | null;
  readonly seed: number;
  readonly returnWeights: boolean;
  readonly clipLength: number;
  private readonly mlp = new ScoreMlp(this, (n, s, i) => this.addWeight(n, s, 'float32', i));

  constructor(args: TemporalAttentionPoolArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    ({ units: this.units, seed: this.seed } = resolveAttention('TemporalAttentionPool', args));
    this.returnWeights = args.returnWeights ?? false;
    this.clipLength = args.clipLength ?? 0;
    if (this.clipLength !== 0) checkInt('TemporalAttentionPool', 'clipLength', this.clipLength, 1, 65536);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 3) throw new RangeError(`TemporalAttentionPool expects [N, T, C] input, got rank ${shape.length}`);
    this.mlp.build(shape[2]!, this.units ?? shape[2]!, this.seed);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [n, t, c] = singleShape(inputShape);
    return this.returnWeights ? [[n ?? null, c ?? null], [n ?? null, t ?? null]] : [n ?? null, c ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const h = single(inputs) as tf.Tensor3D;
      const [n, t, c] = h.shape;
      const L = this.clipLength;
      if (L === 0 || L >= t) {
        const beta = tf.softmax(this.mlp.score(h)) as tf.Tensor2D;
        const pooled = tf.sum(tf.mul(h, beta.expandDims(2)), 1);
        return this.returnWeights ? [pooled, beta] : pooled;
      }
      const S = Math.floor(t / L);
      const clips = h.slice([0, 0, 0], [n, S * L, c]).reshape([n * S, L, c]);
      const beta = tf.softmax(this.mlp.score(clips)) as tf.Tensor2D; // [n·S, L], one softmax per clip
      const pooled = tf.mean(tf.sum(tf.mul(clips, beta.expandDims(2)), 1).reshape([n, S, c]), 1);
      if (!this.returnWeights) return pooled;
      const weights = tf.div(beta.reshape([n, S * L]), S); // each frame's share of the pooled feature
      return [pooled, S * L === t ? weights : tf.concat([weights, tf.zeros([n, t - S * L])], 1)];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed, returnWeights: this.returnWeights, ...(this.clipLength ? { clipLength: this.clipLength } : {}) };
  }
}
tf.serialization.registerClass(TemporalAttentionPool);

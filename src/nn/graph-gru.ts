/**
 * Graph-convolutional GRU (T-GCN style) run over frames, channels last:
 * x: [N, T, V, C] → all hidden states [N, T, V, H] (or the last, [N, V, H]).
 *   [r, u] = σ(Â [x_t, h] W_g + b_g),  c = tanh(Â [x_t, r ⊙ h] W_c + b_c),
 *   h' = u ⊙ h + (1 − u) ⊙ c,  h_0 = 0,  Â = D^-1/2 (A + I) D^-1/2.
 * The input half Â (x W_x) is one matMul for all frames before the loop; the
 * hidden state is kept joint-major, [V, N·H], so Â is a plain left matMul and
 * no transposes run per step.
 */
import * as tf from '@tensorflow/tfjs';
import { EDGES, normalizedAdjacency } from '../core/skeleton.js';
import { checkInt, single, singleShape, torchUniform, type LayerVariable } from './common.js';
import { matMul2d } from './ops.js';
import { ConfigRangeError } from '../core/errors.js';

export interface GraphGRUArgs {
  /** Hidden channels per joint, H. */
  units: number;
  /** Return every hidden state [N, T, V, H] (default) or only the last [N, V, H]. */
  returnSequences?: boolean;
  /** Skeleton edges; default the 16-joint E-Gait skeleton. Joints = input V. */
  edges?: [number, number][];
  /** Initial bias of the reset/update gates (T-GCN uses 1). Default 1. */
  gateBias?: number;
  /** Seed of the weight initialisers. Default 1. */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class GraphGRU extends tf.layers.Layer {
  static className = 'GraphGRU';
  readonly units: number;
  readonly returnSequences: boolean;
  readonly edges: [number, number][];
  readonly gateBias: number;
  readonly seed: number;
  private wx!: LayerVariable;
  private whGates!: LayerVariable;
  private whCand!: LayerVariable;
  private bGates!: LayerVariable;
  private bCand!: LayerVariable;
  private adj: Float32Array | null = null;

  constructor(args: GraphGRUArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.units = checkInt('GraphGRU', 'units', args.units, 1, 65536);
    this.returnSequences = args.returnSequences ?? true;
    this.edges = (args.edges ?? EDGES).map(([a, b]) => [a, b] as [number, number]);
    this.gateBias = args.gateBias ?? 1;
    this.seed = args.seed ?? 1;
    if (!Number.isFinite(this.gateBias)) throw new ConfigRangeError(`GraphGRU: gateBias = ${this.gateBias} is not finite`);
    if (!Number.isSafeInteger(this.seed)) throw new ConfigRangeError(`GraphGRU: seed = ${String(this.seed)} is not a safe integer`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 4) throw new RangeError(`GraphGRU expects [N, T, V, C] input, got rank ${shape.length}`);
    const v = shape[2]!;
    const c = shape[3]!;
    const h = this.units;
    for (const [a, b] of this.edges)
      if (!(a >= 0 && a < v && b >= 0 && b < v)) throw new RangeError(`GraphGRU: edge (${a}, ${b}) is out of range for V = ${v} joints`);
    this.adj = normalizedAdjacency(v, this.edges);
    this.wx = this.addWeight('input_kernel', [c, 3 * h], 'float32', torchUniform(this.seed, `${this.name}/wx`));
    this.whGates = this.addWeight('gate_kernel', [h, 2 * h], 'float32', torchUniform(this.seed, `${this.name}/whg`));
    this.whCand = this.addWeight('candidate_kernel', [h, h], 'float32', torchUniform(this.seed, `${this.name}/whc`));
    this.bGates = this.addWeight('gate_bias', [2 * h], 'float32', tf.initializers.constant({ value: this.gateBias }));
    this.bCand = this.addWeight('candidate_bias', [h], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, t, v] = singleShape(inputShape);
    return this.returnSequences ? [n ?? null, t ?? null, v ?? null, this.units] : [n ?? null, v ?? null, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const [n, t, v, c] = x.shape;
      const H = this.units;
      const a = tf.tensor2d(this.adj!, [v, v]);
      // Â (x W_x) for all frames: [V, T·N·3H] → frame-major rows [T, V·N·3H]
      const xv = tf.transpose(x, [2, 1, 0, 3]).reshape([v * t * n, c]) as tf.Tensor2D;
      const xw = matMul2d(xv, this.wx.read() as tf.Tensor2D).reshape([v, t * n * 3 * H]) as tf.Tensor2D;
      const gx = tf.transpose(matMul2d(a, xw).reshape([v, t, n * 3 * H]), [1, 0, 2]).reshape([t, v * n * 3 * H]) as tf.Tensor2D;
      const whg = this.whGates.read() as tf.Tensor2D;
      const whc = this.whCand.read() as tf.Tensor2D;
      const bg = this.bGates.read();
      const bc = this.bCand.read();
      const agg = (m: tf.Tensor2D, width: number) => matMul2d(a, m.reshape([v, n * width]) as tf.Tensor2D).reshape([v * n, width]) as tf.Tensor2D;
      let h = tf.zeros([v * n, H]) as tf.Tensor2D; // joint-major rows (v, n)
      const states: tf.Tensor2D[] = [];
      for (let s = 0; s < t; s++) {
        const gxs = gx.slice([s, 0], [1, v * n * 3 * H]).reshape([v * n, 3 * H]) as tf.Tensor2D;
        const gates = tf.sigmoid(tf.add(tf.add(gxs.slice([0, 0], [v * n, 2 * H]), agg(matMul2d(h, whg), 2 * H)), bg)) as tf.Tensor2D;
        const r = gates.slice([0, 0], [v * n, H]);
        const u = gates.slice([0, H], [v * n, H]);
        const cand = tf.tanh(tf.add(tf.add(gxs.slice([0, 2 * H], [v * n, H]), agg(matMul2d(tf.mul(r, h) as tf.Tensor2D, whc), H)), bc));
        h = tf.add(cand, tf.mul(u, tf.sub(h, cand))) as tf.Tensor2D;
        states.push(h);
      }
      if (!this.returnSequences) return tf.transpose(h.reshape([v, n, H]), [1, 0, 2]);
      return tf.transpose(tf.stack(states).reshape([t, v, n, H]), [2, 0, 1, 3]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), units: this.units, returnSequences: this.returnSequences,
      edges: this.edges.map(([a, b]) => [a, b]), gateBias: this.gateBias, seed: this.seed,
    };
  }
}
tf.serialization.registerClass(GraphGRU);

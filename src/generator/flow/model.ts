/**
 * The flow's denoiser: a residual MLP over the k PCA coefficients of a gait
 * (no graph: the PCA basis already couples every joint and frame); the
 * objective is in objective.ts, training in train.ts.
 *   inputs  x_t: [N, k] (noised, scaled coefficients), t: [N, 1] in [0, 1],
 *           y: [N, L + 1] one-hot label, the last column the null label (guidance)
 *   emb     = W_t2 · swish(W_t1 · [sin, cos](t · 1000 · ω_j)) + E·y    [N, W],  ω_j = 10000^(−j/F) (DDPM's)
 *   h       = W_in · x_t                                                [N, W]
 *   depth × h ← h + W_2 · swish(LN(W_1 · swish(LN(h)) + P_i · swish(emb)))
 *   output  = W_out · swish(LN(h))                                      [N, k]
 * (velocity or x̂0, by the config's `prediction`). W_out starts at zero, so the
 * first prediction is 0 for every input. Weights are seeded from the run seed.
 * The whole MLP is one custom layer over nn's fast ops (matMul2d, addBias):
 * built from tfjs-layers' Dense and LayerNormalization it is several times
 * slower on wasm (layer bookkeeping dominates at this size, and the stock Dense
 * gradient takes wasm's slow transposed matMul).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigRangeError } from '../../core/errors.js';
import { torchUniform, type LayerVariable } from '../../nn/common.js';
import { denseLastAxis, matMul2d } from '../../nn/ops.js';
import type { ResolvedFlowConfig } from './config.js';

export interface FlowDenoiserArgs {
  /** PCA components k (the input and output width). */
  k: number;
  /** Labels L (the label input has L + 1 columns: the null label last). */
  labels: number;
  width: number;
  /** Residual blocks. */
  depth: number;
  /** Sinusoidal frequencies F of the time embedding. */
  timeFeatures: number;
  seed: number;
  name?: string;
  trainable?: boolean;
}

type Dense = { kernel: LayerVariable; bias: LayerVariable };
type Norm = { gamma: LayerVariable; beta: LayerVariable };

/** [x_t: [N, k], t: [N, 1], y: [N, L + 1]] → [N, k] (the module comment). */
export class FlowDenoiser extends tf.layers.Layer {
  static className = 'GaitforgeFlowDenoiser';
  readonly args: Omit<FlowDenoiserArgs, 'name' | 'trainable'>;
  private w: { time1: Dense; time2: Dense; label: LayerVariable; input: Dense; blocks: { norm1: Norm; fc1: Dense; emb: Dense; norm2: Norm; fc2: Dense }[]; outNorm: Norm; out: Dense } | null = null;

  constructor(a: FlowDenoiserArgs) {
    super({ name: a.name, trainable: a.trainable });
    for (const [field, v, min] of [['k', a.k, 1], ['labels', a.labels, 1], ['width', a.width, 1], ['depth', a.depth, 0], ['timeFeatures', a.timeFeatures, 1]] as const)
      if (!Number.isInteger(v) || v < min) throw new ConfigRangeError(`FlowDenoiser: ${field} = ${v} is out of range: expected an integer ≥ ${min}`);
    this.args = { k: a.k, labels: a.labels, width: a.width, depth: a.depth, timeFeatures: a.timeFeatures, seed: a.seed };
  }

  override build(): void {
    const { k, labels, width: W, depth, timeFeatures: F, seed } = this.args;
    const dense = (name: string, cin: number, cout: number, zero = false): Dense => ({
      kernel: this.addWeight(`${name}_kernel`, [cin, cout], 'float32', zero ? tf.initializers.zeros() : torchUniform(seed, `flow/${name}/kernel`)),
      bias: this.addWeight(`${name}_bias`, [cout], 'float32', tf.initializers.zeros()),
    });
    const norm = (name: string): Norm => ({
      gamma: this.addWeight(`${name}_gamma`, [W], 'float32', tf.initializers.ones()),
      beta: this.addWeight(`${name}_beta`, [W], 'float32', tf.initializers.zeros()),
    });
    this.w = {
      time1: dense('time_fc1', 2 * F, W),
      time2: dense('time_fc2', W, W),
      label: this.addWeight('label_embedding', [labels + 1, W], 'float32', torchUniform(seed, 'flow/label_embedding')),
      input: dense('input', k, W),
      blocks: Array.from({ length: depth }, (_, i) => ({
        norm1: norm(`block${i + 1}_norm1`), fc1: dense(`block${i + 1}_fc1`, W, W), emb: dense(`block${i + 1}_emb`, W, W),
        norm2: norm(`block${i + 1}_norm2`), fc2: dense(`block${i + 1}_fc2`, W, W),
      })),
      outNorm: norm('output_norm'),
      out: dense('output', W, k, true),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape[])[0]![0]!, this.args.k];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, t, y] = inputs as tf.Tensor2D[];
      const w = this.w!;
      const F = this.args.timeFeatures;
      const lin = (h: tf.Tensor, d: Dense) => denseLastAxis(h, d.kernel.read() as tf.Tensor2D, d.bias.read() as tf.Tensor1D);
      const swish = (h: tf.Tensor) => tf.mul(h, tf.sigmoid(h));
      const ln = (h: tf.Tensor, n: Norm) => {
        const d = tf.sub(h, tf.mean(h, -1, true));
        return tf.add(tf.mul(tf.mul(d, tf.rsqrt(tf.add(tf.mean(tf.square(d), -1, true), 1e-5))), n.gamma.read()), n.beta.read());
      };
      const omega = tf.tensor2d(Float32Array.from({ length: F }, (_, j) => 1000 * Math.exp((-Math.log(10000) * j) / F)), [1, F]);
      const a = tf.mul(t!, omega);
      const temb = lin(swish(lin(tf.concat([tf.sin(a), tf.cos(a)], 1), w.time1)), w.time2);
      const cond = swish(tf.add(temb, matMul2d(y!, w.label.read() as tf.Tensor2D)));
      let h = lin(x!, w.input);
      for (const b of w.blocks) {
        let u = lin(swish(ln(h, b.norm1)), b.fc1);
        u = lin(swish(ln(tf.add(u, lin(cond, b.emb)), b.norm2)), b.fc2);
        h = tf.add(h, u);
      }
      return lin(swish(ln(h, w.outNorm)), w.out);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
tf.serialization.registerClass(FlowDenoiser);

export interface DenoiserShape {
  /** PCA components k. */
  k: number;
  /** Labels L. */
  labels: number;
}

/** Builds the denoiser: [x_t: [N, k], t: [N, 1], y: [N, L + 1]] → [N, k]. Weights initialised from `seed`. */
export function buildDenoiser(c: ResolvedFlowConfig, s: DenoiserShape, seed: number): tf.LayersModel {
  const x = tf.input({ shape: [s.k], name: 'x_t' });
  const t = tf.input({ shape: [1], name: 't' });
  const y = tf.input({ shape: [s.labels + 1], name: 'label' });
  const out = new FlowDenoiser({ k: s.k, labels: s.labels, width: c.width, depth: c.depth, timeFeatures: c.timeFeatures, seed, name: 'denoiser' }).apply([x, t, y]) as tf.SymbolicTensor;
  return tf.model({ inputs: [x, t, y], outputs: out, name: 'flow' });
}

/** One-hot labels with the null column: [N, L + 1]; `labels[i]` = L is the null label. Caller disposes. */
export function labelInput(labels: ArrayLike<number>, L: number): tf.Tensor2D {
  const a = new Float32Array(labels.length * (L + 1));
  for (let i = 0; i < labels.length; i++) a[i * (L + 1) + labels[i]!] = 1;
  return tf.tensor2d(a, [labels.length, L + 1]);
}

/**
 * The one optimizer of gaitforge: Adam with PyTorch's coupled L2 weight decay
 * (g ← g + λ·w before the moment updates, not AdamW) on the variables the
 * caller marks; `decayedVariables` marks the kernels, not biases, batch-norm
 * parameters, edge-importance masks, attention vectors or task weights.
 * Not tf.train.adam: it has no weight decay, a learning rate fixed at
 * construction, and a float32 running β^t that `setWeights` recomputes, so
 * resumed runs drift. Here the state is exactly (step, m, v), the bias
 * corrections are float64 from the integer step, and resume is bit-identical.
 */
import * as tf from '@tensorflow/tfjs';
import { GaitforgeError } from '../core/errors.js';

export interface AdamOptions {
  lr: number;
  weightDecay: number;
  /** Which variables weight decay applies to (same order as the variables). Default: `decayedVariables(vars)`. */
  decayed?: boolean[];
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Serialisable optimizer state: the step count and m, v of every variable, in variable order. */
export interface AdamState {
  step: number;
  shapes: number[][];
  /** m of every variable, then v of every variable. */
  values: Float32Array[];
}

export class Adam {
  lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Number of updates applied so far. */
  step = 0;
  private readonly vars: tf.Variable[];
  private readonly sizes: number[];
  /** m and v of all variables, concatenated in variable order: one update is a dozen kernels, not a dozen per variable. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** λ for decayed entries, 0 elsewhere ([total]), or null without decay. */
  private readonly decayMask: tf.Tensor1D | null;

  /** `vars`: the trainable variables, in a fixed order (the state is saved in it). */
  constructor(vars: tf.Variable[], o: AdamOptions) {
    this.vars = vars;
    this.sizes = vars.map((x) => x.size);
    this.lr = o.lr;
    this.weightDecay = o.weightDecay;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.epsilon = o.epsilon ?? 1e-8;
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // tf.variable keeps its initial tensor registered: create them in a tidy so only the variables remain
    [this.m, this.v] = tf.tidy(() => [tf.variable(tf.zeros([total]), false), tf.variable(tf.zeros([total]), false)]);
    const decayed = o.decayed ?? decayedVariables(vars);
    if (decayed.length !== vars.length) throw new Error(`Adam: ${decayed.length} decay flags for ${vars.length} variables`);
    if (this.weightDecay > 0 && decayed.some((d) => d)) {
      const mask = new Float32Array(total);
      let off = 0;
      vars.forEach((x, i) => {
        if (decayed[i]) mask.fill(this.weightDecay, off, off + x.size);
        off += x.size;
      });
      this.decayMask = tf.tensor1d(mask);
    } else this.decayMask = null;
  }

  /** Number of values over all variables (the length of a flat gradient). */
  get size(): number {
    return this.m.size;
  }

  /** Applies one update. `grads[i]` belongs to `vars[i]`; the caller disposes the gradients. */
  apply(grads: tf.Tensor[]): void {
    if (grads.length !== this.vars.length) throw new Error(`Adam.apply: ${grads.length} gradients for ${this.vars.length} variables`);
    this.update(() => tf.concat(grads.map((x) => x.reshape([-1]))));
  }

  /** Applies one update from a flat gradient (all variables concatenated in order, `size` values). */
  applyFlat(grad: Float32Array): void {
    if (grad.length !== this.size) throw new Error(`Adam.applyFlat: ${grad.length} values for ${this.size}`);
    this.update(() => tf.tensor1d(grad));
  }

  private update(flatGrad: () => tf.Tensor): void {
    this.step++;
    const c1 = 1 - Math.pow(this.beta1, this.step);
    const c2 = 1 - Math.pow(this.beta2, this.step);
    const next = tf.tidy(() => {
      const w = tf.concat(this.vars.map((x) => x.reshape([-1])));
      let g = flatGrad();
      if (this.decayMask) g = tf.add(g, tf.mul(w, this.decayMask));
      const m = tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      this.m.assign(m);
      this.v.assign(v);
      const denom = tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon);
      return tf.sub(w, tf.mul(tf.div(m, denom), this.lr / c1));
    });
    // Hand the new values back through one download: on wasm, tf.split and 1-D tf.slice copy
    // element by element and cost more than the whole update.
    const values = next.dataSync();
    next.dispose();
    let off = 0;
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        x.assign(tf.tensor(values.subarray(off, off + this.sizes[i]!), x.shape));
        off += this.sizes[i]!;
      });
    });
  }

  /** A copy of the state (reads the tensors). */
  async getState(): Promise<AdamState> {
    const split = (flat: Float32Array) => {
      let off = 0;
      return this.sizes.map((n) => flat.slice(off, (off += n)));
    };
    const m = new Float32Array(await this.m.data());
    const v = new Float32Array(await this.v.data());
    return { step: this.step, shapes: this.vars.map((x) => [...x.shape]), values: [...split(m), ...split(v)] };
  }

  /** Restores a state saved by `getState` for the same variables (E_MODEL on a mismatch). */
  setState(s: AdamState): void {
    const n = this.vars.length;
    if (s.values.length !== 2 * n || s.shapes.length !== n)
      throw new GaitforgeError('E_MODEL', `optimizer state holds ${s.shapes.length} variables, the model has ${n}`);
    this.vars.forEach((x, i) => {
      if (s.shapes[i]!.join('x') !== x.shape.join('x'))
        throw new GaitforgeError('E_MODEL', `optimizer state variable ${i} has shape [${s.shapes[i]}], the model's is [${x.shape}]`);
    });
    const join = (parts: Float32Array[]) => {
      const out = new Float32Array(this.m.size);
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    };
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(join(s.values.slice(0, n))));
      this.v.assign(tf.tensor1d(join(s.values.slice(n))));
    });
    this.step = s.step;
  }

  dispose(): void {
    tf.dispose([this.m, this.v, ...(this.decayMask ? [this.decayMask] : [])]);
  }
}

/** Layer weight names that weight decay applies to: kernels (`kernel`, `gcn_kernel`, `tcn_kernel`, `gate_kernel`, ...). */
export const DECAYED_WEIGHT = /(^|[/_])kernel(_\d+)?$/;

/** The decay rule for the trainable weights of layers models, in order: true for kernels (by the weight's own name). */
export function decayedWeights(models: readonly tf.LayersModel[]): boolean[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => DECAYED_WEIGHT.test(w.originalName ?? w.name)));
}

/**
 * The decay rule for bare variables: true for the kernels among `vars` (by
 * variable name, the layer-scoped name tfjs gives a layer weight), false for
 * everything else.
 */
export function decayedVariables(vars: readonly tf.Variable[]): boolean[] {
  return vars.map((v) => DECAYED_WEIGHT.test(v.name.replace(/_\d+$/, '')));
}

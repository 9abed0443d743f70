/**
 * The flow's objective (the architecture is model.ts): conditional flow
 * matching on the straight path between a gait's coefficients and noise,
 *   x_t = (1 − t)·x0 + t·ε,  t ~ U(0, 1),  ε ~ N(0, I),  v = dx_t/dt = ε − x0,
 * the label replaced by the null label with probability `labelDropout`
 * (classifier-free guidance). The denoiser predicts v (L_flow = mean (v̂ − v)²)
 * or x0 (L_flow = mean (x̂0 − x0)²); x̂0 = x_t − t·v̂ (or x̂0 itself) is decoded
 * to metres inside the graph (pca-space.ts `metresMap`, linear), where MDM's
 * geometric terms compare it with x0's decoding:
 *  - L_bone: mean squared difference of bone lengths (m²);
 *  - L_foot: mean squared horizontal foot speed ((m/s)²) in the steps where the
 *    real foot is in contact (within 5 cm of the clip's lowest foot height);
 *  - L_vel: mean squared error of joint velocities ((m/s)²).
 * total = L_flow + boneWeight·L_bone + footWeight·L_foot + velocityWeight·L_vel
 * (every term logged whatever its weight). t, ε and the dropped labels are drawn
 * from the engine's noise seed, so a step is a function of (seed, epoch, step, rank).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/rng.js';
import { JOINTS } from '../../core/skeleton.js';
import { trainableVariables } from '../../nn/model-utils.js';
import { matMul2d } from '../../nn/ops.js';
import type { GradientTask } from '../../train/engine.js';
import { decayedWeights } from '../../train/optimizer.js';
import { boneLengths, boneTerm, type BoneTerm } from '../losses.js';
import { metresMap, type PcaSpace } from '../pca-space.js';
import type { GaitNormalization } from '../normalize.js';
import type { ResolvedFlowConfig } from './config.js';
import { labelInput } from './model.js';

export const FLOW_TERMS = ['flow', 'bone', 'foot', 'velocity', 'total'] as const;
export type FlowTerm = (typeof FLOW_TERMS)[number];
export type FlowLossValues = Record<FlowTerm, number>;

/** A foot is in contact within this height (m) of the clip's lowest foot position (eval/plausibility.ts' default). */
export const CONTACT_HEIGHT = 0.05;
const FEET = [JOINTS.legA[2], JOINTS.legB[2]] as const;

/** What the objective reads its rows from. */
export interface FlowData {
  /** Coefficients [N, k] (pca-space.ts). */
  z: Float32Array;
  labels: Int32Array;
  /** Foot contacts [N, T − 1, 2]: 1 where a foot is in contact in both frames of a step (`footContacts`). */
  contacts: Float32Array;
}

/** Foot contacts [N, T − 1, 2] of gaits ([N, T, V, 3], metres, Y up): 1 where the foot is within CONTACT_HEIGHT of the clip's floor in frames t and t + 1. */
export function footContacts(positions: Float32Array, T: number, V: number): Float32Array {
  const N = positions.length / (T * V * 3);
  const out = new Float32Array(N * (T - 1) * 2);
  for (let n = 0; n < N; n++) {
    const y = (t: number, f: number) => positions[((n * T + t) * V + f) * 3 + 1]!;
    let floor = Infinity;
    for (const f of FEET) for (let t = 0; t < T; t++) floor = Math.min(floor, y(t, f));
    FEET.forEach((f, s) => {
      for (let t = 0; t + 1 < T; t++) out[(n * (T - 1) + t) * 2 + s] = y(t, f) - floor <= CONTACT_HEIGHT && y(t + 1, f) - floor <= CONTACT_HEIGHT ? 1 : 0;
    });
  }
  return out;
}

/** The tensors of the geometric terms (owned: `dispose()`). */
export interface FlowGeometry {
  /** Coefficients → metres: positions = z·matrix + offset ([k, D], [1, D]). */
  matrix: tf.Tensor2D;
  offset: tf.Tensor2D;
  /** Bone incidence over metres (losses.ts' bone term with a zero mean and scale 1). */
  bones: BoneTerm;
  T: number;
  V: number;
  fps: number;
}

export function flowGeometry(space: PcaSpace, norm: GaitNormalization, edges: readonly (readonly [number, number])[], T: number, V: number, fps: number): FlowGeometry {
  return { ...metresMap(space, norm), bones: boneTerm(edges, V, new Float32Array(T * V * 3), 1), T, V, fps };
}

export function disposeGeometry(g: FlowGeometry): void {
  tf.dispose([g.matrix, g.offset, g.bones.incidence, g.bones.meanBones]);
}

/** The randomness of one step for `rows` (see the module comment). */
export interface StepNoise {
  t: Float32Array;
  eps: Float32Array;
  labels: Int32Array;
}

/** Draws a step's t, ε and labels (dropped to the null label L with probability `dropout`) from `noiseSeed`. */
export function stepNoise(labels: ArrayLike<number>, k: number, L: number, dropout: number, noiseSeed: number): StepNoise {
  const rng = new Rng(noiseSeed, 'flow/step');
  const B = labels.length;
  const t = new Float32Array(B);
  const eps = new Float32Array(B * k);
  const y = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    t[i] = rng.next();
    y[i] = rng.next() < dropout ? L : labels[i]!;
    for (let j = 0; j < k; j++) eps[i * k + j] = rng.normal();
  }
  return { t, eps, labels: y };
}

/**
 * The loss terms (FLOW_TERMS order, stacked) and the total for coefficients
 * z0: [B, k] with labels, contacts [B, T − 1, 2] and a step's noise. Returns
 * new tensors (call inside tf.tidy / variableGrads).
 */
export function flowLoss(model: tf.LayersModel, cfg: ResolvedFlowConfig, L: number, z0: Float32Array, contacts: Float32Array, noise: StepNoise, g: FlowGeometry, training: boolean): { total: tf.Scalar; stacked: tf.Tensor1D } {
  const B = noise.t.length;
  const k = z0.length / B;
  const xt = new Float32Array(B * k);
  const target = new Float32Array(B * k);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < k; j++) {
      const a = i * k + j;
      const t = noise.t[i]!;
      xt[a] = (1 - t) * z0[a]! + t * noise.eps[a]!;
      target[a] = cfg.prediction === 'velocity' ? noise.eps[a]! - z0[a]! : z0[a]!;
    }
  const tT = tf.tensor2d(noise.t, [B, 1]);
  const xtT = tf.tensor2d(xt, [B, k]);
  const pred = model.apply([xtT, tT, labelInput(noise.labels, L)], { training }) as tf.Tensor2D;
  const lFlow = tf.mean(tf.square(tf.sub(pred, tf.tensor2d(target, [B, k])))) as tf.Scalar;
  const x0hat = cfg.prediction === 'velocity' ? tf.sub(xtT, tf.mul(tT, pred)) : pred;
  const { T, V, fps } = g;
  const metres = (z: tf.Tensor2D) => tf.add(matMul2d(z, g.matrix), g.offset).reshape([B, T, V, 3]) as tf.Tensor4D;
  const pHat = metres(x0hat as tf.Tensor2D);
  const p = metres(tf.tensor2d(z0, [B, k]));
  const lBone = tf.mean(tf.square(tf.sub(boneLengths(pHat, g.bones), boneLengths(p, g.bones)))) as tf.Scalar;
  const step = (x: tf.Tensor4D) => tf.mul(tf.sub(tf.slice(x, [0, 1, 0, 0], [B, T - 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [B, T - 1, -1, -1])), fps);
  const lVel = tf.mean(tf.square(step(tf.sub(pHat, p) as tf.Tensor4D))) as tf.Scalar;
  // horizontal (x, z) speed² of each foot, [B, T − 1, 2]
  const feet = tf.concat(FEET.map((f) => tf.slice(pHat, [0, 0, f, 0], [B, T, 1, 3])), 2) as tf.Tensor4D;
  const v = step(feet);
  const speed2 = tf.add(tf.square(tf.slice(v, [0, 0, 0, 0], [B, T - 1, 2, 1])), tf.square(tf.slice(v, [0, 0, 0, 2], [B, T - 1, 2, 1]))).reshape([B, T - 1, 2]);
  const mask = tf.tensor3d(contacts, [B, T - 1, 2]);
  const lFoot = tf.div(tf.sum(tf.mul(speed2, mask)), Math.max(1, contacts.reduce((a, x) => a + x, 0))) as tf.Scalar;
  let total = lFlow as tf.Tensor;
  if (cfg.boneWeight > 0) total = tf.add(total, tf.mul(cfg.boneWeight, lBone));
  if (cfg.footWeight > 0) total = tf.add(total, tf.mul(cfg.footWeight, lFoot));
  if (cfg.velocityWeight > 0) total = tf.add(total, tf.mul(cfg.velocityWeight, lVel));
  return { total: total as tf.Scalar, stacked: tf.stack([lFlow, lBone, lFoot, lVel, total]) as tf.Tensor1D };
}

/** Rows `idx` of a row-major [N, per] array. */
export function gather(data: Float32Array, per: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let r = 0; r < idx.length; r++) out.set(data.subarray(idx[r]! * per, (idx[r]! + 1) * per), r * per);
  return out;
}

/** The flow's objective for the training engine. Owns its geometry (`dispose()`); the model belongs to the caller. */
export class FlowTask implements GradientTask {
  readonly variables: tf.Variable[];
  readonly decayed: boolean[];
  readonly replicated: tf.Variable[];
  readonly metricNames = FLOW_TERMS;
  readonly k: number;

  constructor(readonly model: tf.LayersModel, readonly cfg: ResolvedFlowConfig, readonly numLabels: number, public data: FlowData, readonly geometry: FlowGeometry) {
    this.variables = trainableVariables(model);
    this.decayed = decayedWeights([model]);
    this.replicated = model.weights.map((w) => w.read() as tf.Variable);
    this.k = geometry.matrix.shape[0];
  }

  /** The loss of rows of `data`, labels dropped with the config's probability when `dropLabels`. */
  terms(rows: ArrayLike<number>, noiseSeed: number, training: boolean, dropLabels: boolean): { total: tf.Scalar; stacked: tf.Tensor1D } {
    const { z, labels, contacts } = this.data;
    const y = Array.from(rows, (i) => labels[i]!);
    const noise = stepNoise(y, this.k, this.numLabels, dropLabels ? this.cfg.labelDropout : 0, noiseSeed);
    const steps = (this.geometry.T - 1) * 2;
    return flowLoss(this.model, this.cfg, this.numLabels, gather(z, this.k, rows), gather(contacts, steps, rows), noise, this.geometry, training);
  }

  loss(rows: Int32Array, noiseSeed: number): { total: tf.Scalar; metrics: tf.Tensor1D } {
    const r = this.terms(rows, noiseSeed, true, true);
    return { total: r.total, metrics: r.stacked };
  }

  /** The conditional loss terms (no label dropped) of rows, averaged over `draws` noise draws from `seed`. Leaves no tensors behind. */
  evaluate(rows: ArrayLike<number>, seed: number, draws: number): FlowLossValues {
    const rng = new Rng(seed, 'flow/val');
    const acc = new Float64Array(FLOW_TERMS.length);
    for (let d = 0; d < draws; d++) {
      const s = tf.tidy(() => this.terms(rows, rng.tfSeed(), false, false).stacked);
      s.dataSync().forEach((v, i) => (acc[i]! += v / draws));
      s.dispose();
    }
    return flowValues(acc);
  }

  dispose(): void {
    disposeGeometry(this.geometry);
  }
}

export function flowValues(v: ArrayLike<number>): FlowLossValues {
  return Object.fromEntries(FLOW_TERMS.map((k, i) => [k, v[i]!])) as FlowLossValues;
}

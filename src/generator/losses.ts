/**
 * STEP-Gen's objective (STEP eqs. 3-8), vectorised, kept apart from the
 * architecture. Every term is a mean, so its size does not depend on T, V or
 * the batch size:
 *  - L_o  = mean over gaits, frames, joints and axes of (x − x̂)²              (eq. 3)
 *  - L_c  = mean (vel_R − vel_S)² + mean (acc_R − acc_S)², with vel and acc the
 *           first and second frame differences                                (eqs. 4-6, "push")
 *  - L_d  = Σ over anchor frames ω ∈ {0, ⌊T/2⌋, T−1} of
 *           mean ((x_t − x_ω) − (x̂_t − x̂_ω))²                                   (eq. 7, "pull")
 *  - KL   = −½ mean over gaits and latent dimensions of (1 + log σ² − μ² − σ²)
 *  - L_b  = mean over gaits, frames and bones of (|b̂| − |b|)², bone lengths in
 *           model units (metres / scale); not in STEP, see BoneTerm
 *  - L_id = an identity model's feature distance between x̂ and x; not in STEP,
 *           see identity-features.ts (0 without one)
 *  - total = L_o + λc·L_c + λd·L_d + λb·L_b + β·KL + λid·L_id                 (eq. 8 + KL + L_b + L_id)
 * L_o, L_c and L_d are linear in d = x − x̂; frame differences are slices of its
 * 2-D view [N·T, V·3] (a constant mask drops rows across gait seams), which
 * keeps the hot path off 4-D slices.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul2d } from '../nn/ops.js';

export interface LossWeights {
  lambdaC: number;
  lambdaD: number;
  lambdaB: number;
  beta: number;
  /** λid, the weight of L_id; 0 (or absent) leaves it out. */
  identityFeatureWeight?: number;
}

/**
 * What the bone-length term needs: gaits are standardised (x = (p − m) / s,
 * m the mean gait), so a bone of x is not a bone of the body; with B the
 * bone-difference matrix, bones(p) / s = bones(x) + bones(m) / s.
 * Holds tensors: `dispose()` them.
 */
export interface BoneTerm {
  /** [V·3, E·3]: column (e, k) = axis k of child(e) − parent(e). */
  incidence: tf.Tensor2D;
  /** bones(m) / s: [T, E·3]. */
  meanBones: tf.Tensor2D;
  edges: number;
}

/** Builds a BoneTerm for `edges` over V joints from the mean gait m ([T, V, 3] flat) and the scale s. */
export function boneTerm(edges: readonly (readonly [number, number])[], V: number, mean: ArrayLike<number>, scale: number): BoneTerm {
  const E = edges.length;
  const T = mean.length / (V * 3);
  const inc = new Float32Array(V * 3 * E * 3);
  const mb = new Float32Array(T * E * 3);
  edges.forEach(([p, c], e) => {
    for (let k = 0; k < 3; k++) {
      inc[(c * 3 + k) * E * 3 + e * 3 + k] = 1;
      inc[(p * 3 + k) * E * 3 + e * 3 + k] = -1;
      for (let t = 0; t < T; t++) mb[t * E * 3 + e * 3 + k] = (mean[(t * V + c) * 3 + k]! - mean[(t * V + p) * 3 + k]!) / scale;
    }
  });
  return { incidence: tf.tensor2d(inc, [V * 3, E * 3]), meanBones: tf.tensor2d(mb, [T, E * 3]), edges: E };
}

/** Bone lengths (model units) of standardised gaits x: [N, T, V, 3] → [N·T·E]. */
export function boneLengths(x: tf.Tensor, b: BoneTerm): tf.Tensor1D {
  const [N, T, V, C] = x.shape as [number, number, number, number];
  const bones = matMul2d(x.reshape([N * T, V * C]) as tf.Tensor2D, b.incidence).reshape([N, T, b.edges * 3]);
  const metric = tf.add(bones, b.meanBones).reshape([N * T * b.edges, 3]);
  return tf.sqrt(tf.add(tf.sum(tf.square(metric), 1), 1e-12)) as tf.Tensor1D;
}

export interface LossTerms<T = tf.Scalar> {
  /** Position MSE (eq. 3). */
  lo: T;
  /** Push: velocity + acceleration matching (eq. 6). */
  lc: T;
  /** Pull: drift against the anchor frames (eq. 7). */
  ld: T;
  /** Bone lengths (0 without a BoneTerm). */
  lb: T;
  /** KL divergence of the posterior from N(0, I). */
  kl: T;
  /** Identity-feature distance (0 without an identity model). */
  lid: T;
  /** lo + λc·lc + λd·ld + λb·lb + β·kl + λid·lid. */
  total: T;
}

export const LOSS_TERMS: readonly (keyof LossTerms)[] = ['lo', 'lc', 'ld', 'lb', 'kl', 'lid', 'total'];

/** Anchor frames of the pull loss: first, middle, last (deduplicated for tiny T). */
export function anchorFrames(T: number): number[] {
  return [...new Set([0, Math.floor(T / 2), T - 1])];
}

/**
 * Rows r of a [N·T − k, 1] mask: 1 where rows r … r + k of the [N·T, ·] view
 * lie in the same gait (so a k-th frame difference starting at row r is valid).
 */
function seamMask(N: number, T: number, k: number): tf.Tensor2D {
  const rows = N * T - k;
  const m = new Float32Array(rows);
  for (let r = 0; r < rows; r++) m[r] = (r % T) + k < T ? 1 : 0;
  return tf.tensor2d(m, [rows, 1]);
}

/** Mean of the squared first (k = 1) or second (k = 2) frame differences of d: [N·T, F], over valid rows only. */
function diffTerm(d: tf.Tensor2D, N: number, T: number): { vel: tf.Scalar; acc: tf.Scalar } {
  const F = d.shape[1];
  const rows = N * T;
  const zero = tf.scalar(0);
  if (T < 2) return { vel: zero, acc: zero };
  const dv = tf.sub(tf.slice(d, [1, 0], [rows - 1, F]), tf.slice(d, [0, 0], [rows - 1, F]));
  const vel = tf.div(tf.sum(tf.mul(tf.square(dv), seamMask(N, T, 1))), N * (T - 1) * F) as tf.Scalar;
  if (T < 3) return { vel, acc: zero };
  const da = tf.sub(tf.slice(dv, [1, 0], [rows - 2, F]), tf.slice(dv, [0, 0], [rows - 2, F]));
  const acc = tf.div(tf.sum(tf.mul(tf.square(da), seamMask(N, T, 2))), N * (T - 2) * F) as tf.Scalar;
  return { vel, acc };
}

/**
 * The loss terms for real gaits x and reconstructions x̂.
 * x, xHat: [N, T, V, C]; mu, logvar: [N, latent]; `bones` enables L_b,
 * `features` (identity-features.ts) L_id.
 * Returns new scalars (call inside `tf.tidy`/`tf.variableGrads`, or dispose them).
 */
export function pushPullLoss(
  x: tf.Tensor, xHat: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor, w: LossWeights, bones?: BoneTerm,
  features?: (x: tf.Tensor4D, xHat: tf.Tensor4D) => tf.Scalar,
): LossTerms {
  const [N, T, V, C] = x.shape as [number, number, number, number];
  const F = V * C;
  const d = tf.sub(x, xHat).reshape([N * T, F]) as tf.Tensor2D;
  const lo = tf.mean(tf.square(d)) as tf.Scalar;
  const { vel, acc } = diffTerm(d, N, T);
  const lc = tf.add(vel, acc) as tf.Scalar;
  // Drift: (x_t − x_ω) − (x̂_t − x̂_ω) = d_t − d_ω; the anchor frame is a column block of the [N, T·F] view.
  const rowsPerGait = d.reshape([N, T * F]) as tf.Tensor2D;
  const d3 = d.reshape([N, T, F]);
  let ld = tf.scalar(0) as tf.Scalar;
  for (const a of anchorFrames(T)) {
    const anchor = tf.slice(rowsPerGait, [0, a * F], [N, F]).reshape([N, 1, F]);
    ld = tf.add(ld, tf.mean(tf.square(tf.sub(d3, anchor)))) as tf.Scalar;
  }
  const kl = tf.mul(-0.5, tf.mean(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)))) as tf.Scalar;
  const lb = bones ? (tf.mean(tf.square(tf.sub(boneLengths(xHat, bones), boneLengths(x, bones)))) as tf.Scalar) : tf.scalar(0);
  const lid = features ? features(x as tf.Tensor4D, xHat as tf.Tensor4D) : tf.scalar(0);
  let total = lo as tf.Tensor;
  if (w.lambdaC !== 0) total = tf.add(total, tf.mul(w.lambdaC, lc));
  if (w.lambdaD !== 0) total = tf.add(total, tf.mul(w.lambdaD, ld));
  if (w.lambdaB !== 0 && bones) total = tf.add(total, tf.mul(w.lambdaB, lb));
  if (w.beta !== 0) total = tf.add(total, tf.mul(w.beta, kl));
  if ((w.identityFeatureWeight ?? 0) !== 0 && features) total = tf.add(total, tf.mul(w.identityFeatureWeight!, lid));
  return { lo, lc, ld, lb, kl, lid, total: total as tf.Scalar };
}

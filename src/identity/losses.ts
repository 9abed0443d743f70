/**
 * Triplet losses over P×K batches of multi-head embeddings.
 *
 * e: [N, H, D] (H heads, each trained independently as GaitTAKE §3.3 does),
 * labels: identity index per gait. Distances are Euclidean within each head.
 * For every anchor a and head:
 *  - 'batch-hard': [m + max_p D_ap − min_n D_an]_+ (hardest positive and negative);
 *  - 'weighted' (GaitTAKE eq. 11): [m + Σ_p w_p D_ap − Σ_n w_n D_an]_+ with
 *    w_p = softmax over the anchor's positives of D_ap and w_n = softmax over its
 *    negatives of −D_an (far positives and near negatives weigh most).
 * The loss is the mean over heads and the anchors that have a positive and a
 * negative ('all'), or over those terms that are not zero ('nonzero').
 */
import * as tf from '@tensorflow/tfjs';
import type { TripletMean, TripletMode } from './config.js';

const BIG = 1e9;

/** Pairwise Euclidean distances per head: e: [N, H, D] → [H, N, N]. Caller disposes. */
export function pairwiseDistances(e: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const x = tf.transpose(e, [1, 0, 2]) as tf.Tensor3D; // [H, N, D]
    const sq = tf.sum(tf.square(x), 2); // [H, N]
    const dot = tf.matMul(x, x, false, true); // [H, N, N]
    const d2 = tf.sub(tf.add(sq.expandDims(2), sq.expandDims(1)), tf.mul(dot, 2));
    return tf.sqrt(tf.add(tf.relu(d2), 1e-12)) as tf.Tensor3D;
  });
}

/** The triplet loss (a scalar) of embeddings e: [N, H, D] with identity labels: [N]. Caller disposes. */
export function tripletLoss(e: tf.Tensor3D, labels: Int32Array, margin: number, mode: TripletMode, mean: TripletMean = 'all'): tf.Scalar {
  const n = labels.length;
  const pos = new Float32Array(n * n);
  const neg = new Float32Array(n * n);
  const valid = new Float32Array(n);
  for (let a = 0; a < n; a++) {
    let np = 0;
    let nn = 0;
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      if (labels[a] === labels[b]) (pos[a * n + b] = 1), np++;
      else (neg[a * n + b] = 1), nn++;
    }
    valid[a] = np > 0 && nn > 0 ? 1 : 0;
  }
  const count = valid.reduce((s, v) => s + v, 0);
  if (count === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const d = pairwiseDistances(e); // [H, N, N]
    const P = tf.tensor2d(pos, [n, n]);
    const Nm = tf.tensor2d(neg, [n, n]);
    let ap: tf.Tensor;
    let an: tf.Tensor;
    if (mode === 'batch-hard') {
      ap = tf.max(tf.mul(d, P), 2);
      an = tf.min(tf.add(d, tf.mul(tf.sub(1, Nm), BIG)), 2);
    } else {
      const wp = tf.mul(tf.softmax(tf.sub(tf.mul(d, P), tf.mul(tf.sub(1, P), BIG))), P);
      const wn = tf.mul(tf.softmax(tf.sub(tf.mul(tf.neg(d), Nm), tf.mul(tf.sub(1, Nm), BIG))), Nm);
      ap = tf.sum(tf.mul(wp, d), 2);
      an = tf.sum(tf.mul(wn, d), 2);
    }
    const per = tf.mul(tf.relu(tf.add(tf.sub(ap, an), margin)), tf.tensor1d(valid)); // [H, N]
    // the number of non-zero terms is piecewise constant: read as a number, it carries no gradient
    const terms = mean === 'all' ? count * e.shape[1] : Math.max(1, (per.dataSync() as Float32Array).reduce((n, v) => n + (v > 0 ? 1 : 0), 0));
    return tf.div(tf.sum(per), terms) as tf.Scalar;
  });
}


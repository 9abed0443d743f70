/**
 * Training objectives, kept apart from the architectures: cross-entropy for
 * emotion and identity, next-frame L2, and the learned uncertainty weighting
 * of AT-GCN's tasks (Kendall, Gal & Cipolla 2018: loss = Σ exp(−s_i)·L_i + s_i).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Mean softmax cross-entropy of logits [n, L] against integer labels [n].
 * `mask` [n] (1 = counts, 0 = ignored) averages over the counted rows only
 * (0 when none count). Returns a scalar the caller disposes.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const L = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, L), logp), 1));
    if (!mask) return tf.mean(nll) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Next-frame prediction loss. x: [n, T, V, 3] the (canonical) input poses,
 * delta: [n, T, V, 3] the predicted displacement from frame t to t+1 at every
 * frame; the prediction of frame t+1 is x_t + delta_t and the loss is the
 * mean squared error of those predictions over t = 0..T-2, joints and
 * coordinates (in m²). Returns a scalar the caller disposes.
 */
export function nextFrameLoss(x: tf.Tensor4D, delta: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [n, T, V, C] = x.shape;
    const cur = x.slice([0, 0, 0, 0], [n, T - 1, V, C]);
    const next = x.slice([0, 1, 0, 0], [n, T - 1, V, C]);
    const d = delta.slice([0, 0, 0, 0], [n, T - 1, V, C]);
    return tf.mean(tf.square(tf.sub(tf.add(cur, d), next))) as tf.Scalar;
  });
}

/**
 * Σ exp(−s_i)·L_i + s_i over the tasks, s_i = log σ_i² learned. `losses` and
 * `logVars` are in the same order; logVars is a [k] variable. Returns a scalar
 * the caller disposes.
 */
export function uncertaintyWeighted(losses: tf.Scalar[], logVars: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const l = tf.stack(losses) as tf.Tensor1D;
    return tf.sum(tf.add(tf.mul(tf.exp(tf.neg(logVars)), l), logVars)) as tf.Scalar;
  });
}

/** Fraction of rows whose argmax equals the label. logits: [n, L], labels: [n]. Caller disposes. */
export function batchAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
}

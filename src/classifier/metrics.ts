/**
 * Classification metrics on plain arrays (pure TypeScript): confusion
 * matrices, accuracy, macro-F1, per-class recall, top-k accuracy and
 * gallery/probe rank-1 identification.
 */
import { GaitforgeError } from '../core/errors.js';

/**
 * Confusion counts `[L][L]`: row = true label, column = predicted label.
 * Throws E_LABEL for a label outside 0..L-1.
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numLabels: number): number[][] {
  if (truth.length !== predicted.length)
    throw new GaitforgeError('E_SHAPE', `confusion matrix: ${truth.length} true labels but ${predicted.length} predictions`);
  const m = Array.from({ length: numLabels }, () => new Array<number>(numLabels).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (!(t >= 0 && t < numLabels && Number.isInteger(t))) throw new GaitforgeError('E_LABEL', `item ${i}: true label ${t} is not one of 0..${numLabels - 1}`);
    if (!(p >= 0 && p < numLabels && Number.isInteger(p))) throw new GaitforgeError('E_LABEL', `item ${i}: predicted label ${p} is not one of 0..${numLabels - 1}`);
    m[t]![p]!++;
  }
  return m;
}

/** Rows divided by their sums (rows with no items stay all zero). */
export function rowNormalize(m: number[][]): number[][] {
  return m.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((x) => (s > 0 ? x / s : 0));
  });
}

/** Fraction of items on the diagonal (NaN for an empty matrix). */
export function accuracyOf(m: number[][]): number {
  let d = 0;
  let s = 0;
  m.forEach((row, i) => row.forEach((x, j) => ((s += x), i === j && (d += x))));
  return s > 0 ? d / s : NaN;
}

/** Recall of each class (NaN for a class with no true items). */
export function perClassRecall(m: number[][]): number[] {
  return m.map((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    return s > 0 ? row[i]! / s : NaN;
  });
}

/** Precision of each class (NaN for a class never predicted). */
export function perClassPrecision(m: number[][]): number[] {
  return m.map((_, j) => {
    const s = m.reduce((a, row) => a + row[j]!, 0);
    return s > 0 ? m[j]![j]! / s : NaN;
  });
}

/**
 * Macro-F1 over the classes present in the truth (classes with no true
 * items are left out, as sklearn's `labels=` restricted to present classes).
 * A present class that is never predicted has F1 = 0.
 */
export function macroF1(m: number[][]): number {
  const rec = perClassRecall(m);
  const prec = perClassPrecision(m);
  const f1s: number[] = [];
  rec.forEach((r, i) => {
    if (Number.isNaN(r)) return;
    const p = Number.isNaN(prec[i]!) ? 0 : prec[i]!;
    f1s.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
  });
  return f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : NaN;
}

/**
 * Fraction of items whose true label is among the k most probable.
 * probs: [N, L] row-major. Ties are broken towards the lower label index.
 */
export function topKAccuracy(probs: ArrayLike<number>, truth: ArrayLike<number>, numLabels: number, k: number): number {
  const n = truth.length;
  if (probs.length !== n * numLabels) throw new GaitforgeError('E_SHAPE', `top-k: ${probs.length} probabilities for ${n} items × ${numLabels} labels`);
  if (n === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const pt = probs[i * numLabels + t]!;
    let above = 0;
    for (let l = 0; l < numLabels; l++) {
      const p = probs[i * numLabels + l]!;
      if (p > pt || (p === pt && l < t)) above++;
    }
    if (above < k) hit++;
  }
  return hit / n;
}

/** Row-wise argmax of [N, L] scores (ties → lowest index). */
export function argmaxRows(scores: ArrayLike<number>, numLabels: number): Int32Array {
  const n = scores.length / numLabels;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let l = 1; l < numLabels; l++) if (scores[i * numLabels + l]! > scores[i * numLabels + best]!) best = l;
    out[i] = best;
  }
  return out;
}

/** Balanced accuracy: the mean recall over the labels with gaits (row = true label), NaN when none has any. */
export function balancedAccuracy(confusion: number[][]): number {
  const recalls = perClassRecall(confusion).filter((r) => !Number.isNaN(r));
  return recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : NaN;
}

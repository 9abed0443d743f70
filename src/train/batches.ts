import { GaitforgeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/**
 * The order in which one epoch visits the training gaits, cut into batches.
 * Plain: a seeded permutation. Balanced: N draws with replacement, each
 * label equally likely, a uniform gait within the label (labels with no
 * gaits are skipped). The last batch may be smaller; a final batch of one
 * gait is merged into the one before (BatchNorm needs two).
 */
export function epochBatches(labels: Int32Array, numLabels: number, batchSize: number, balanced: boolean, rng: Rng): Int32Array[] {
  const n = labels.length;
  if (n === 0) throw new GaitforgeError('E_SHAPE', 'the training set is empty');
  let order: Int32Array;
  if (balanced) {
    const byLabel: number[][] = Array.from({ length: numLabels }, () => []);
    for (let i = 0; i < n; i++) byLabel[labels[i]!]!.push(i);
    const present = byLabel.filter((g) => g.length > 0);
    order = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const g = present[rng.int(present.length)]!;
      order[k] = g[rng.int(g.length)]!;
    }
  } else order = rng.permutation(n);
  const batches: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) batches.push(order.subarray(s, Math.min(n, s + batchSize)));
  if (batches.length > 1 && batches[batches.length - 1]!.length === 1) {
    const last = batches.pop()!;
    const prev = batches.pop()!;
    const merged = new Int32Array(prev.length + 1);
    merged.set(prev);
    merged[prev.length] = last[0]!;
    batches.push(merged);
  }
  return batches;
}

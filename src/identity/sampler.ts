/**
 * P×K batch sampling for metric learning: each batch holds P identities and
 * K walks of each (GaitTAKE §4 uses 8 × 8; config.ts has the defaults). Identities are visited in seeded
 * random order, all of them before any repeats; an identity with fewer than
 * K walks contributes walks drawn with replacement. Pure TypeScript.
 */
import { GaitforgeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/**
 * `steps` batches of gait indices for identity classes `identity` (one
 * integer class ≥ 0 per gait). With fewer than P identities a batch holds
 * all of them. Throws E_SHAPE with fewer than two identities.
 */
export function pkBatches(identity: Int32Array, P: number, K: number, steps: number, rng: Rng): Int32Array[] {
  const byId = new Map<number, number[]>();
  identity.forEach((c, i) => {
    if (!byId.has(c)) byId.set(c, []);
    byId.get(c)!.push(i);
  });
  const classes = [...byId.keys()].sort((a, b) => a - b);
  if (classes.length < 2) throw new GaitforgeError('E_SHAPE', `P×K sampling needs at least 2 identities, the training set has ${classes.length}`);
  const p = Math.min(P, classes.length);
  const batches: Int32Array[] = [];
  let queue: number[] = [];
  for (let s = 0; s < steps; s++) {
    const chosen: number[] = [];
    while (chosen.length < p) {
      if (queue.length === 0) queue = Array.from(rng.permutation(classes.length), (k) => classes[k]!);
      const c = queue.shift()!;
      if (!chosen.includes(c)) chosen.push(c);
    }
    const batch = new Int32Array(p * K);
    chosen.forEach((c, j) => {
      const walks = byId.get(c)!;
      const order = walks.length >= K ? Array.from(rng.permutation(walks.length)).slice(0, K) : Array.from({ length: K }, () => rng.int(walks.length));
      order.forEach((w, k) => (batch[j * K + k] = walks[w]!));
    });
    batches.push(batch);
  }
  return batches;
}

/**
 * Fitting generated gaits to a rigid skeleton. STEP's losses are all per
 * joint, so decoded gaits stretch their bones over time. Sampling therefore,
 * by default, keeps each bone's decoded direction and gives it one length
 * per gait, its median over the clip, rebuilding joints from the root out:
 *   p'_root = p_root,  p'_child = p'_parent + L_bone · (p_child − p_parent) / |p_child − p_parent|.
 * An identity-conditioned generator samples each walker with that walker's own
 * bone lengths, measured on its training walks (`walkerBoneLengths`).
 */
import { PARENTS } from '../core/skeleton.js';

/** Joints ordered so that every parent comes before its children (root first). */
function topologicalOrder(parents: readonly number[]): number[] {
  const order: number[] = [];
  const placed = new Array<boolean>(parents.length).fill(false);
  while (order.length < parents.length) {
    const before = order.length;
    parents.forEach((p, j) => {
      if (!placed[j] && (p < 0 || placed[p]!)) {
        placed[j] = true;
        order.push(j);
      }
    });
    if (order.length === before) throw new RangeError('parents do not form a tree rooted at a joint with parent -1');
  }
  return order;
}

/**
 * Writes gait g ([T, V, 3]) with every bone at its median length into `out`
 * (a new array by default; `out` must not be `g`). A bone of zero length in a
 * frame takes its mean direction over the clip. `parents[j]` is joint j's
 * parent (-1 for the root); default the E-Gait skeleton. `boneLengths`, when
 * given, replaces the clip's medians (metres; the root's entries are ignored):
 * V values, `[j]` the length of the bone from joint j to its parent in every
 * frame, or T·V values, `[t·V + j]` its length in frame t.
 */
export function rigidifyGait(
  g: Float32Array, T: number, V: number, parents: readonly number[] = PARENTS, out: Float32Array = new Float32Array(g.length), boneLengths?: ArrayLike<number>,
): Float32Array {
  if (parents.length !== V) throw new RangeError(`rigidifyGait: ${parents.length} parents for V = ${V} joints`);
  const perFrame = boneLengths !== undefined && boneLengths.length === T * V;
  if (boneLengths !== undefined && !perFrame && boneLengths.length !== V) throw new RangeError(`rigidifyGait: ${boneLengths.length} bone lengths for V = ${V} joints and T = ${T} frames`);
  const order = topologicalOrder(parents);
  const lengths = new Float64Array(T);
  for (const j of order) {
    const p = parents[j]!;
    if (p < 0) {
      for (let t = 0; t < T; t++) for (let k = 0; k < 3; k++) out[(t * V + j) * 3 + k] = g[(t * V + j) * 3 + k]!;
      continue;
    }
    const mean = [0, 0, 0];
    for (let t = 0; t < T; t++) {
      const c = (t * V + j) * 3;
      const q = (t * V + p) * 3;
      const d = [g[c]! - g[q]!, g[c + 1]! - g[q + 1]!, g[c + 2]! - g[q + 2]!];
      lengths[t] = Math.hypot(d[0]!, d[1]!, d[2]!);
      if (lengths[t]! > 1e-9) for (let k = 0; k < 3; k++) mean[k]! += d[k]! / lengths[t]!;
    }
    const L = perFrame ? 0 : boneLengths ? boneLengths[j]! : Float64Array.from(lengths).sort()[Math.floor(T / 2)]!;
    const mn = Math.hypot(mean[0]!, mean[1]!, mean[2]!);
    const fallback = mn > 1e-9 ? mean.map((m) => m / mn) : [0, 1, 0];
    for (let t = 0; t < T; t++) {
      const c = (t * V + j) * 3;
      const q = (t * V + p) * 3;
      const len = lengths[t]!;
      for (let k = 0; k < 3; k++) {
        const dir = len > 1e-9 ? (g[c + k]! - g[q + k]!) / len : fallback[k]!;
        out[c + k] = out[q + k]! + (perFrame ? boneLengths[t * V + j]! : L) * dir;
      }
    }
  }
  return out;
}

/**
 * Each identity's bone lengths: for every joint j, the median over every frame
 * of every gait of that identity of |p_j − p_parent(j)| (metres; 0 for the
 * root). `positions` [N, T, V, 3]; `identity[i]` names gait i's walker; the
 * result follows `names`. Throws when a name has no gait.
 */
export function walkerBoneLengths(
  positions: Float32Array, T: number, V: number, identity: readonly (string | null)[], names: readonly string[], parents: readonly number[] = PARENTS,
): number[][] {
  if (parents.length !== V) throw new RangeError(`walkerBoneLengths: ${parents.length} parents for V = ${V} joints`);
  const per = T * V * 3;
  const byName = new Map<string, number[]>(names.map((n) => [n, []]));
  identity.forEach((who, i) => who !== null && byName.get(who)?.push(i));
  return names.map((name) => {
    const gaits = byName.get(name)!;
    if (gaits.length === 0) throw new RangeError(`walkerBoneLengths: identity ${JSON.stringify(name)} has no gait`);
    const frames = gaits.map((i) => frameBoneLengths(positions.subarray(i * per, (i + 1) * per), T, V, parents));
    const lengths = new Float64Array(gaits.length * T);
    return parents.map((p, j) => {
      if (p < 0) return 0;
      let k = 0;
      for (const f of frames) for (let t = 0; t < T; t++) lengths[k++] = f[t * V + j]!;
      return Math.fround(lengths.sort()[Math.floor(lengths.length / 2)]!);
    });
  });
}

/** Every bone's length in every frame of gait g ([T, V, 3]): `[t·V + j]` = |p_j − p_parent(j)| in frame t (0 for the root). */
export function frameBoneLengths(g: Float32Array, T: number, V: number, parents: readonly number[] = PARENTS): Float64Array {
  const out = new Float64Array(T * V);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < V; j++) {
      const p = parents[j]!;
      if (p < 0) continue;
      const c = (t * V + j) * 3;
      const q = (t * V + p) * 3;
      out[t * V + j] = Math.hypot(g[c]! - g[q]!, g[c + 1]! - g[q + 1]!, g[c + 2]! - g[q + 2]!);
    }
  return out;
}

/**
 * Edits of real gaits: what restyling (restyle.ts: the decoder's difference
 * between two labels) and its control without a generator (labelMeanShift:
 * the difference between two labels' mean gaits) share, and the control
 * itself. Free of tfjs, so the classical augmenters use the control too.
 * Both edit a gait in the generator's canonical frame (normalize.ts), set
 * every bone back to its source's length in each frame (rigid.ts: the edit
 * alone moves them by centimetres), and keep each row's identity and
 * recording (eval/identification.ts `recordingKeys`), so grouped splits keep
 * it with the walk it came from and identification never matches it against that walk.
 */
import { GaitforgeError, optionError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { PARENTS } from '../core/skeleton.js';
import { recordingKeys } from '../eval/identification.js';
import { canonicalizeAll } from './normalize.js';
import { frameBoneLengths, rigidifyGait } from './rigid.js';

/** Each row's gait (positions [rows, T, V, 3]) set back at its source's bone lengths in every frame, in place: an edit alone moves them by centimetres. */
export function refitToSources(positions: Float32Array, canonical: Float32Array, rows: readonly (readonly [number, number])[], T: number, V: number): void {
  const per = T * V * 3;
  const tmp = new Float32Array(per);
  rows.forEach(([i], r) => {
    const g = positions.subarray(r * per, (r + 1) * per);
    rigidifyGait(g, T, V, PARENTS, tmp, frameBoneLengths(canonical.subarray(i * per, (i + 1) * per), T, V));
    g.set(tmp);
  });
}

/** The planned rows: (source gait, target label) for every target label other than the gait's own. */
export function plannedRows(from: Int32Array, targets: readonly number[]): [number, number][] {
  const rows: [number, number][] = [];
  for (let i = 0; i < from.length; i++) for (const l of targets) if (l !== from[i]) rows.push([i, l]);
  return rows;
}

/**
 * The edited rows as a set: source 'synthetic', each row's seed (`seeds`; none where nothing is drawn), the source's identity
 * and recording, id `<source id>>${kind}-<label>`.
 */
export function editedSet(
  set: GaitSet, rows: readonly (readonly [number, number])[], positions: Float32Array, labelNames: string[], generator: string | null, kind: string, seeds?: readonly number[],
): GaitSet {
  const recording = recordingKeys(set);
  return new GaitSet({
    positions, labels: rows.map(([, l]) => l), labelNames, T: set.T, V: set.V, fps: set.fps, skeleton: set.skeleton,
    ids: rows.map(([i, l]) => `${set.ids[i]}>${kind}-${labelNames[l]}`), identity: rows.map(([i]) => set.identity[i] ?? null),
    recording: rows.map(([i]) => recording[i]!), source: new Array(rows.length).fill('synthetic'), generator: new Array(rows.length).fill(generator),
    seed: seeds ? [...seeds] : new Array(rows.length).fill(null), frames: new Int32Array(rows.length).fill(set.T),
  });
}

/** The indices of the `to` labels in `labelNames`, sorted and without repeats; E_OPTION for an empty list, E_LABEL naming an unknown label of `owner`. */
export function targetLabels(to: string[], labelNames: readonly string[], owner: string): number[] {
  if (!Array.isArray(to) || to.length === 0) throw optionError('to', to, `a non-empty list of labels (${owner}'s: ${labelNames.join(', ')})`);
  return [...new Set(to.map((name) => {
    const l = labelNames.indexOf(name);
    if (l < 0) throw new GaitforgeError('E_LABEL', `option to (--to): ${owner} does not know label ${JSON.stringify(name)} (its labels: ${labelNames.join(', ')})`);
    return l;
  }))].sort((a, b) => a - b);
}

/** The strength option checked: a number in [0, 10], default 1. */
export function strengthOption(strength: number | undefined): number {
  const s = strength ?? 1;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 10) throw optionError('strength', s, 'a number in [0, 10]');
  return s;
}

/**
 * restyle's control without a generator: each gait of `set` plus s × the
 * difference between the mean gaits of `reference` labelled b and a
 * (canonical frame, metres), bones refitted as restyle does. The edit is the
 * same for every gait of a label pair: how the labels differ on average,
 * nothing of the walk; a generator's edit is worth its training only where it
 * beats this one. Rows as restyle's (labels in `reference`'s order), generator
 * null, id `<source id>>mean-shift-<label>`. Errors: E_SHAPE for sets of other
 * T, V or fps, E_LABEL for a source label `reference` has no gait of (naming
 * the row) or a `to` label it has none of, E_OPTION for the options.
 */
export function labelMeanShift(reference: GaitSet, set: GaitSet, options: { to: string[]; strength?: number }): GaitSet {
  const strength = strengthOption(options.strength);
  const names = reference.labelNames;
  const { T, V } = reference;
  if (set.T !== T || set.V !== V || set.fps !== reference.fps)
    throw new GaitforgeError('E_SHAPE', `gaits of T = ${set.T}, V = ${set.V} at ${set.fps} fps cannot be shifted by the label means of the reference set's gaits of T = ${T}, V = ${V} at ${reference.fps} fps: resample them first`);
  const per = T * V * 3;
  const ref = canonicalizeAll(reference.positions, T, V);
  const count = new Int32Array(names.length);
  const sums = names.map(() => new Float64Array(per));
  for (let i = 0; i < reference.N; i++) {
    const l = reference.labels[i]!;
    count[l]!++;
    for (let j = 0; j < per; j++) sums[l]![j]! += ref[i * per + j]!;
  }
  const targets = targetLabels(options.to, names, 'the reference set');
  const from = Int32Array.from(set.labels, (l, i) => {
    const k = names.indexOf(set.labelNames[l]!);
    if (k < 0) throw new GaitforgeError('E_LABEL', `gait ${set.ids[i]} (row ${i}) has label ${JSON.stringify(set.labelNames[l])}, which the reference set does not have (its labels: ${names.join(', ')})`);
    return k;
  });
  // a label without reference gaits has no mean
  const none = (l: number) => `the reference set holds no gait labelled ${JSON.stringify(names[l])}, so its mean is undefined`;
  const t = targets.find((l) => count[l] === 0);
  if (t !== undefined) throw new GaitforgeError('E_LABEL', `option to (--to): ${none(t)}`);
  const r = from.findIndex((l) => count[l] === 0);
  if (r >= 0) throw new GaitforgeError('E_LABEL', `gait ${set.ids[r]} (row ${r}): ${none(from[r]!)}`);
  const mean = sums.map((sum, l) => sum.map((x) => x / count[l]!));
  const rows = plannedRows(from, targets);
  const canonical = canonicalizeAll(set.positions, T, V);
  const positions = new Float32Array(rows.length * per);
  rows.forEach(([i, l], k) => {
    const [to, own] = [mean[l]!, mean[from[i]!]!];
    for (let j = 0; j < per; j++) positions[k * per + j] = canonical[i * per + j]! + strength * (to[j]! - own[j]!);
  });
  refitToSources(positions, canonical, rows, T, V);
  return editedSet(set, rows, positions, names, null, 'mean-shift');
}

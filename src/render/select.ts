/**
 * Picking the gaits to render, and the checks every renderer runs before it
 * writes anything.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet, GaitSource } from '../core/gaitset.js';

export interface GaitSelection {
  /** Gait ids to take, in this order. Every id must be in the set. */
  ids?: readonly string[];
  /** Keep only gaits with this label name. */
  label?: string;
  /** Keep only real or only synthetic gaits. */
  source?: GaitSource;
  /** At most this many gaits (after the other filters), the first ones in set order. */
  limit?: number;
}

/**
 * The gaits of `set` that match `selection`, as a new set (positions
 * copied). Throws GaitforgeError: E_OPTION for ids not in the set (all of
 * them named) or a bad limit/source, E_LABEL for an unknown label, E_VALUE
 * when nothing matches or a selected gait holds NaN/Inf. `what` names the
 * data in messages (e.g. the file name).
 */
export function selectGaits(set: GaitSet, selection: GaitSelection = {}, what = 'the data'): GaitSet {
  const { ids, label, source, limit } = selection;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new GaitforgeError('E_OPTION', `invalid limit: ${JSON.stringify(limit)} (expected a positive integer)`);
  if (source !== undefined && source !== 'real' && source !== 'synthetic')
    throw new GaitforgeError('E_OPTION', `invalid source: ${JSON.stringify(source)} (expected real or synthetic)`);
  let idx: number[];
  if (ids && ids.length > 0) {
    const where = new Map<string, number>();
    set.ids.forEach((id, i) => {
      if (!where.has(id)) where.set(id, i);
    });
    const missing = ids.filter((id) => !where.has(id));
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).map((m) => JSON.stringify(m)).join(', ');
      const more = missing.length > 10 ? ` and ${missing.length - 10} more` : '';
      throw new GaitforgeError('E_OPTION', `gait id${missing.length > 1 ? 's' : ''} ${shown}${more} not in ${what} (it holds ${set.N} gaits, e.g. ${set.ids.slice(0, 3).map((m) => JSON.stringify(m)).join(', ')})`);
    }
    idx = ids.map((id) => where.get(id)!);
  } else {
    idx = Array.from({ length: set.N }, (_, i) => i);
  }
  if (label !== undefined) {
    const l = set.labelId(label);
    idx = idx.filter((i) => set.labels[i] === l);
  }
  if (source !== undefined) idx = idx.filter((i) => set.source[i] === source);
  if (idx.length === 0) {
    const filters = [label !== undefined ? `label ${label}` : '', source !== undefined ? `source ${source}` : ''].filter(Boolean).join(' and ');
    throw new GaitforgeError('E_VALUE', `no gaits in ${what}${filters ? ` with ${filters}` : ''}`);
  }
  if (limit !== undefined) idx = idx.slice(0, limit);
  const out = set.select(idx);
  checkRenderable(out, what);
  return out;
}

/**
 * Throws before anything is written when `set` cannot be rendered: no gaits,
 * a non-finite coordinate (E_VALUE naming gait id, frame and joint) or a
 * skeleton with other than 16 joints.
 */
export function checkRenderable(set: GaitSet, what = 'the data'): void {
  if (set.N === 0) throw new GaitforgeError('E_VALUE', `no gaits to render in ${what}`);
  if (set.V !== 16)
    throw new GaitforgeError('E_SHAPE', `${what}: gaits have ${set.V} joints; rendering needs the 16-joint E-Gait skeleton`);
  try {
    set.validateValues();
  } catch (e) {
    if (e instanceof GaitforgeError) throw new GaitforgeError(e.code, `${what}: ${e.message}`);
    throw e;
  }
}

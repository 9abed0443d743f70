/**
 * Label names of an import, inferred from the labels found when the user
 * gives none. Pure TypeScript; never imports tfjs.
 */
import { GaitforgeError } from '../core/errors.js';
import { EMOTIONS } from '../core/procedural.js';

/**
 * The label names (index order) for the labels found in a set of files:
 * STEP's four emotions first, in STEP's order (angry, neutral, happy, sad),
 * when present, then every other label sorted by code point. The order does
 * not depend on the order of the files, so the same files always give the
 * same label indices.
 */
export function inferLabelNames(found: Iterable<string>): string[] {
  const set = new Set(found);
  const emo = (EMOTIONS as readonly string[]).filter((e) => set.has(e));
  const rest = [...set].filter((n) => !emo.includes(n)).sort();
  return [...emo, ...rest];
}

/**
 * Index of `label` in `labelNames`, or an E_LABEL error naming `where` and
 * saying that the label names were given (leave them out to take the labels
 * found in the files).
 */
export function labelIndex(labelNames: readonly string[], label: string, where: string): number {
  const i = labelNames.indexOf(label);
  if (i < 0)
    throw new GaitforgeError(
      'E_LABEL',
      `${where}: label ${JSON.stringify(label)} is not one of the label names given (${labelNames.join(', ')}); add it to them, or leave them out to take the labels found in the files`,
    );
  return i;
}

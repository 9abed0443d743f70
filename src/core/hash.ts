/**
 * The one content hash of gaitforge: SHA-256, written as 64 hex characters.
 * Data hashes (what a model was trained on) and checkpoint hashes (which
 * weights a result came from) both use it, so two hashes of the same thing
 * always compare equal as strings.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from './errors.js';
import type { GaitSet } from './gaitset.js';

export type HashPart = string | ArrayBufferView;

/** SHA-256 (hex) of the parts in order; typed arrays are hashed as their bytes. */
export function contentHash(parts: readonly HashPart[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

/** Hash of sets: for each, its shape, label names, gait ids, labels and positions. */
export function gaitSetsHash(sets: readonly GaitSet[]): string {
  const parts: HashPart[] = [];
  for (const s of sets) {
    parts.push(JSON.stringify({ N: s.N, T: s.T, V: s.V, skeleton: s.skeleton, labelNames: s.labelNames }) + '\n', s.ids.join('\n') + '\n', s.labels, s.positions);
  }
  return contentHash(parts);
}

/** Hash of files (relative to `dir`) in order; E_MODEL naming a file that cannot be read. */
export function filesHash(dir: string, files: readonly string[]): string {
  const parts: HashPart[] = [];
  for (const f of files) {
    try {
      parts.push(f + '\n', readFileSync(path.join(dir, f)));
    } catch (e) {
      throw new GaitforgeError('E_MODEL', `model directory ${dir}: cannot read ${f}: ${(e as Error).message}`, { cause: e });
    }
  }
  return contentHash(parts);
}

/**
 * Writing outputs so that a failure leaves nothing behind: each file is
 * written to a temporary name in its target folder and renamed once every
 * file of the batch is complete.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from './errors.js';

export interface OutputFile {
  path: string;
  data: Uint8Array | string;
}

/**
 * Writes all `files` or none: temporaries first, then renames. Creates the
 * parent folders. Throws E_IO naming the file that failed.
 */
export function writeFilesAtomic(files: readonly OutputFile[]): void {
  const temps: { tmp: string; dst: string }[] = [];
  const created: string[] = [];
  try {
    for (const f of files) {
      const dir = path.dirname(path.resolve(f.path));
      const made = ensureParentDir(f.path);
      if (made) created.push(made);
      const tmp = path.join(dir, `.${path.basename(f.path)}.${process.pid}.${Date.now()}.tmp`);
      temps.push({ tmp, dst: f.path });
      writeFileSync(tmp, f.data);
    }
    for (const t of temps) renameSync(t.tmp, t.dst);
  } catch (e) {
    for (const t of temps) rmSync(t.tmp, { force: true });
    for (const d of created.reverse()) rmSync(d, { recursive: true, force: true });
    const err = e as NodeJS.ErrnoException;
    throw new GaitforgeError('E_IO', `cannot write ${err.path ?? files.map((f) => f.path).join(', ')}: ${err.code ?? err.message}`, { cause: e });
  }
}

/**
 * Creates the folder that will hold `file` (and any missing folders above
 * it). Returns the topmost folder it created, or null when the folder
 * existed, so that a write that fails later can undo it with
 * `removeCreatedDir`.
 */
export function ensureParentDir(file: string): string | null {
  return mkdirSync(path.dirname(path.resolve(file)), { recursive: true }) ?? null;
}

/**
 * Undoes `ensureParentDir`: removes the folders it created, innermost first,
 * as long as they are empty (a folder that meanwhile received other files is kept).
 */
export function removeCreatedDir(top: string | null, file: string): void {
  if (!top) return;
  const root = path.resolve(top);
  for (let d = path.dirname(path.resolve(file)); d.startsWith(root); d = path.dirname(d)) {
    try {
      if (readdirSync(d).length) return;
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === root) return;
  }
}

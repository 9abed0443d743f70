/**
 * Content-addressed cell cache for long runs. A cell's key is the SHA-256 of
 * the canonical JSON of everything that determines its result (config,
 * inputs' hashes, gaitforge version); its artifacts live in
 * `<runDir>/cells/<kind>-<key>/`, and `result.json` marks it finished.
 * Cells are built in a private temporary folder and renamed into place, so
 * an interrupted cell leaves nothing that looks finished.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { contentHash } from '../core/hash.js';

/** JSON with object keys sorted at every level (stable across key order). */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x && typeof x === 'object')
    return `{${Object.keys(x as object).sort().filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x);
}

export function cacheKey(x: unknown): string {
  return contentHash([canonicalJson(x)]).slice(0, 20);
}

/** SHA-256 of a float array's bytes (identifies a dataset's positions). */
export function hashFloats(a: Float32Array): string {
  return contentHash([a]).slice(0, 20);
}

export function cellDir(runDir: string, kind: string, key: string): string {
  return path.join(runDir, 'cells', `${kind}-${key}`);
}

/** The finished result of a cell, or null. */
export function readCell<R>(dir: string): R | null {
  const f = path.join(dir, 'result.json');
  if (!existsSync(f)) return null;
  return JSON.parse(readFileSync(f, 'utf8')) as R;
}

/**
 * Runs `build(tmpDir)` in a fresh temporary folder next to `dir`, writes its
 * result as result.json and renames the folder to `dir`. When another worker
 * finished the same cell first, its result is kept (results are identical by
 * construction: same key, same seed).
 */
export async function buildCell<R>(dir: string, build: (tmpDir: string) => Promise<R>): Promise<R> {
  const done = readCell<R>(dir);
  if (done) return done;
  mkdirSync(path.dirname(dir), { recursive: true });
  // the thread id keeps the names of ablation worker threads (one pid) apart
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}${threadId}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build(tmp);
    writeFileSync(path.join(tmp, 'result.json'), JSON.stringify(result, null, 2));
    if (existsSync(dir)) {
      const other = readCell<R>(dir);
      if (other) {
        rmSync(tmp, { recursive: true, force: true });
        return other;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    renameSync(tmp, dir);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Removes temporary folders that interrupted runs left behind. */
export function cleanStaleTemps(runDir: string): number {
  const cells = path.join(runDir, 'cells');
  if (!existsSync(cells)) return 0;
  let n = 0;
  for (const f of readdirSync(cells))
    if (/\.tmp-\d+-\d+$/.test(f)) {
      const pid = Number(f.split('.tmp-')[1]!.split('-')[0]);
      let alive = false;
      try {
        process.kill(pid, 0);
        // in a worker thread, temporaries of this pid belong to sibling workers still building
        alive = pid !== process.pid || !isMainThread;
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(path.join(cells, f), { recursive: true, force: true });
        n++;
      }
    }
  return n;
}

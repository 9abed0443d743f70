/**
 * The one run policy of gaitforge's trainers (classifiers, identity models,
 * every generator family): a run is known by its fingerprint (seed, data
 * hash, config, ...); `resume` continues the interrupted run in
 * `outDir/last` or returns the finished one, and refuses either when its
 * fingerprint differs, naming the first difference.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import { checkpointDir, ensureDir, readCheckpointState } from './checkpoint.js';

/** What a run must match to be resumed: named values compared as JSON, in key order. */
export type RunFingerprint = Record<string, unknown>;

const json = (x: unknown) => JSON.stringify(x);

/**
 * How the run `have` (on disk) differs from the run `want`, in words, or
 * null when it does not. Only the keys of `want` count; a `config` object is
 * compared key by key.
 */
export function runDiff(have: RunFingerprint, want: RunFingerprint): string | null {
  for (const [k, now] of Object.entries(want)) {
    const then = have[k];
    if (json(then) === json(now)) continue;
    if (k === 'dataHash') return 'the training data differ';
    if (k === 'config' && then && now && typeof then === 'object' && typeof now === 'object') {
      const a = then as Record<string, unknown>;
      for (const [c, v] of Object.entries(now as Record<string, unknown>))
        if (json(a[c]) !== json(v)) return `config differs: ${c} = ${json(a[c])} there, ${json(v)} now`;
      continue;
    }
    return `${k} differs: ${json(then)} there, ${json(now)} now`;
  }
  return null;
}

/** E_MODEL unless `have` is the run `want`: a resume never continues another run. */
export function checkSameRun(outDir: string, have: RunFingerprint, want: RunFingerprint, what: string): void {
  const diff = runDiff(have, want);
  if (diff) throw new GaitforgeError('E_MODEL', `cannot resume ${outDir}: ${diff} (${what}); resume needs the same data, config and seed`);
}

/** An interrupted run to continue: the fit loop's state in its last checkpoint, and that checkpoint's directory. */
export interface Interrupted<S> {
  state: S;
  last: string;
}

/** The last checkpoint in `outDir` (its state.json), or null when there is none. */
export function lastCheckpoint<S>(outDir: string): Interrupted<S> | null {
  const last = checkpointDir(outDir, 'last');
  return existsSync(path.join(last, 'state.json')) ? { state: readCheckpointState<S>(last), last } : null;
}

/** The interrupted run in `outDir/last`, or null; E_MODEL when its fingerprint (`fingerprintOf` its state) is not `want`. */
export function interruptedRun<S>(outDir: string, want: RunFingerprint, fingerprintOf: (state: S) => RunFingerprint): Interrupted<S> | null {
  const found = lastCheckpoint<S>(outDir);
  if (found) checkSameRun(outDir, fingerprintOf(found.state), want, 'its last checkpoint');
  return found;
}

/**
 * The finished run saved in `outDir` (its meta.json and history.json, as
 * classifiers and identity models write them): the result `view` makes of
 * them when it is the run `want` with all `epochs` done (resuming it trains
 * nothing more); null when there is none, it cannot be read or it stopped
 * early; E_MODEL when the run there is another.
 */
export function finishedRun<M, H extends { history: unknown[] }, R>(
  outDir: string, want: RunFingerprint, epochs: number, view: (meta: M, history: H) => { fingerprint: RunFingerprint; result: () => R },
): R | null {
  let meta: M;
  let history: H;
  try {
    meta = JSON.parse(readFileSync(path.join(outDir, 'meta.json'), 'utf8')) as M;
    history = JSON.parse(readFileSync(path.join(outDir, 'history.json'), 'utf8')) as H;
  } catch {
    return null;
  }
  const found = view(meta, history);
  checkSameRun(outDir, found.fingerprint, want, 'its finished model');
  return history.history.length === epochs ? found.result() : null;
}

/** Removes what an earlier run left in `outDir` (the named files and folders) and creates the folder. */
export function clearRunDir(outDir: string, files: readonly string[]): void {
  for (const f of files) rmSync(path.join(outDir, f), { recursive: true, force: true });
  ensureDir(outDir);
}

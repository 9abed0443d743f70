/**
 * V8's heap growth while a training engine runs.
 *
 * A training step allocates megabytes of short-lived JavaScript objects
 * (tfjs's per-kernel bookkeeping) over a live heap of about 20 MB. V8 starts
 * incremental marking of the old generation as soon as the room left below
 * its limit is smaller than the young generation, and its growing factor
 * keeps that room small for a heap this size, so each isolate runs a full
 * mark-compact every few hundred milliseconds. The marking runs on V8's
 * helper threads, which on a machine with as many cores as training threads
 * take their time from the compute threads, and a data-parallel step waits
 * for its slowest shard. A growing factor of 1 + GROWING_PERCENT / 100 keeps
 * the limit far enough above the live heap that full collections become
 * rare (docs/train.md, "Heap growth").
 *
 * The setting is V8's `--heap-growing-percent`, process-wide and read each
 * time V8 computes a limit, so it covers the worker threads' isolates too. It
 * is held from an engine's creation to its disposal and restored (0, V8's own
 * rule) when the last engine is disposed. A process started with the flag
 * keeps its own value.
 */
import v8 from 'node:v8';
import { sharedEffect } from '../core/process-wide.js';

/** Heap growth per full collection while an engine runs, percent. */
const GROWING_PERCENT = 200;
const FLAG = '--heap-growing-percent';

/** Raises V8's heap growth until the returned function is called (once). */
export const holdHeapGrowth = sharedEffect(() => {
  // a process started with the flag (V8 accepts - and _ alike) keeps its value
  if (process.execArgv.some((a) => a.replace(/_/g, '-').startsWith(FLAG))) return () => {};
  v8.setFlagsFromString(`${FLAG}=${GROWING_PERCENT}`);
  return () => v8.setFlagsFromString(`${FLAG}=0`);
});

/**
 * V8's heap growth while a training engine runs. A training step allocates
 * many short-lived objects over a small live heap, and V8's default growing
 * factor then runs full mark-compacts again and again, whose marking threads
 * take time from the compute threads (docs/train.md, "Heap growth"). A
 * growing factor of 1 + GROWING_PERCENT / 100 makes them rare. The flag is
 * process-wide (workers included), held from an engine's creation to its
 * disposal and reset to 0 (V8's own rule) when the last engine is disposed;
 * a process started with the flag keeps its value.
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

/**
 * `ablate --workers N`: N worker threads (entry: worker.ts) share one work
 * queue of (unit, fraction, augmenter) groups, longest first
 * (grid.ts scheduleGroups). Each worker is started with one typed message,
 * keeps its run context (splits, subsets) between groups, and asks for the
 * next group when it finishes one, so no worker idles while groups remain.
 * Cells are cached in the shared run folder, so which worker builds a cell
 * does not change its result.
 */
import type { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../core/backend.js';
import { GaitforgeError, type ErrorCode } from '../../core/errors.js';
import { startWorker } from '../../train/parallel.js';
import type { ResolvedAblation } from './config.js';
import type { GridCell } from './grid.js';

/** The message that starts a worker. */
export interface AblationWorkerInit {
  type: 'init';
  dataPath: string;
  config: ResolvedAblation;
  runDir: string;
  backend: BackendChoice;
  /** Data-parallel threads of every training in this worker. */
  threads: number;
}

/** What the main thread sends a worker after `init`. */
export type AblationWorkerRequest = AblationWorkerInit | { type: 'group'; cells: GridCell[] };

/** What a worker answers: ready for work, a cell finished, a group finished (cells it built), or an error. */
export type AblationWorkerReply =
  | { type: 'ready' }
  | { type: 'cell' }
  | { type: 'group-done'; built: number }
  | { type: 'error'; message: string; code?: ErrorCode; stack?: string };

/**
 * Runs `groups` on `count` worker threads, each taking the next group of the
 * queue when it is free. Calls `onCell` for every finished classifier (or
 * identity) cell; resolves with the number of cells built. The first error
 * stops every worker.
 */
export function runGroupsInWorkers(groups: GridCell[][], init: Omit<AblationWorkerInit, 'type'>, count: number, onCell: () => void): Promise<number> {
  const n = Math.max(1, Math.min(count, groups.length));
  const workers: Worker[] = [];
  let next = 0;
  let built = 0;
  let running = n;
  return new Promise<number>((resolve, reject) => {
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    const handOut = (w: Worker) => {
      if (next < groups.length) {
        w.postMessage({ type: 'group', cells: groups[next++]! } satisfies AblationWorkerRequest);
        return;
      }
      // the queue is empty: this worker is done
      w.removeAllListeners('exit');
      void w.terminate();
      if (--running === 0) resolve(built);
    };
    for (let k = 0; k < n; k++) {
      const w = startWorker(new URL('./worker.js', import.meta.url));
      workers.push(w);
      const name = `ablation worker ${k + 1}/${n}`;
      w.on('message', (m: AblationWorkerReply) => {
        if (failed) return;
        if (m.type === 'cell') onCell();
        else if (m.type === 'ready') handOut(w);
        else if (m.type === 'group-done') {
          built += m.built;
          handOut(w);
        } else if (m.code) fail(new GaitforgeError(m.code, `${name}: ${m.message}`));
        else {
          const e = new Error(`${name}: ${m.message}`);
          if (m.stack) e.stack = m.stack;
          fail(e);
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => fail(new GaitforgeError('E_IO', `${name} exited with code ${code}`)));
      w.postMessage({ type: 'init', ...init } satisfies AblationWorkerRequest);
    }
  });
}

/**
 * `ablate --workers N`: each worker is a worker thread (entry:
 * ablate-worker.ts) that runs one shard of the grid in the shared run folder
 * (cells are cached there, so shards never train the same model twice). It
 * is started with one typed message; nothing goes through the command line.
 */
import type { BackendChoice } from '../../core/backend.js';
import { GaitforgeError } from '../../core/errors.js';
import { startWorker } from '../../train/parallel.js';
import type { ResolvedAblation } from './config.js';

/** The one message that starts a shard. */
export interface AblationShardRequest {
  dataPath: string;
  config: ResolvedAblation;
  runDir: string;
  shard: { index: number; count: number };
  backend: BackendChoice;
  /** Data-parallel threads of every training in this shard. */
  threads: number;
}

export type AblationShardReply = { type: 'done'; built: number } | { type: 'error'; message: string; code?: string; stack?: string };

/** Runs one shard in a worker thread; resolves with the number of cells it built. */
export function runShardInWorker(req: AblationShardRequest): Promise<number> {
  const w = startWorker(new URL('./worker.js', import.meta.url));
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    w.on('message', (m: AblationShardReply) => {
      settled = true;
      if (m.type === 'done') resolve(m.built);
      else if (m.code) reject(new GaitforgeError(m.code as never, `ablation worker ${req.shard.index + 1}/${req.shard.count}: ${m.message}`));
      else {
        const e = new Error(`ablation worker ${req.shard.index + 1}/${req.shard.count}: ${m.message}`);
        if (m.stack) e.stack = m.stack;
        reject(e);
      }
      void w.terminate();
    });
    w.on('error', (e) => {
      settled = true;
      reject(e);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new GaitforgeError('E_IO', `ablation worker ${req.shard.index + 1}/${req.shard.count} exited with code ${code}`));
    });
    w.postMessage(req);
  });
}


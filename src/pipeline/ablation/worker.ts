/**
 * Worker-thread entry of `ablate --workers N` (started by shard.ts):
 * initialises the backend, reads the dataset once, then runs the groups the
 * main thread hands it, one at a time, over one run context.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../../core/backend.js';
import { GaitforgeError } from '../../core/errors.js';
import { readGaitFile } from '../../io/index.js';
import { realRowsOf } from './config.js';
import { RunContext } from './context.js';
import { runGroup } from './run.js';
import type { AblationWorkerReply, AblationWorkerRequest } from './shard.js';

if (parentPort) {
  const port = parentPort;
  const reply = (m: AblationWorkerReply) => port.postMessage(m);
  // set by 'init'; the main thread sends groups only after 'ready'
  let ctx: RunContext | null = null;
  port.on('message', (req: AblationWorkerRequest) => {
    void (async () => {
      try {
        if (req.type === 'init') {
          await initBackend(req.backend);
          const data = realRowsOf(await readGaitFile(req.dataPath), req.config.nonReal);
          ctx = new RunContext(data, req.config, { runDir: req.runDir, threads: req.threads });
          reply({ type: 'ready' });
        } else {
          const before = ctx!.built;
          await runGroup(ctx!, req.cells, () => reply({ type: 'cell' }));
          reply({ type: 'group-done', built: ctx!.built - before });
        }
      } catch (e) {
        const err = e as Error;
        reply({ type: 'error', message: err?.message ?? String(e), code: e instanceof GaitforgeError ? e.code : undefined, stack: err?.stack });
      }
    })();
  });
}

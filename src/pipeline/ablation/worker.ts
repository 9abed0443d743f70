/**
 * Worker-thread entry of `ablate --workers N` (started by ablate-shard.ts):
 * initialises the backend, reads the dataset and runs the requested shard.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../../core/backend.js';
import { GaitforgeError } from '../../core/errors.js';
import { readGaitFile } from '../../io/index.js';
import type { AblationShardReply, AblationShardRequest } from './shard.js';
import { runAblation } from './run.js';

if (parentPort) {
  const port = parentPort;
  port.once('message', (req: AblationShardRequest) => {
    void (async () => {
      try {
        await initBackend(req.backend);
        const data = await readGaitFile(req.dataPath);
        const out = await runAblation(data, req.config, { runDir: req.runDir, shard: req.shard, threads: req.threads });
        port.postMessage({ type: 'done', built: out.built } satisfies AblationShardReply);
      } catch (e) {
        const err = e as Error;
        port.postMessage({ type: 'error', message: err?.message ?? String(e), code: e instanceof GaitforgeError ? e.code : undefined, stack: err?.stack } satisfies AblationShardReply);
      }
    })();
  });
}

/** Worker-thread entry of decode-pool.ts: loads a generator and decodes the plans it is sent. */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import type { DecodeReply, DecodeRequest } from './decode-pool.js';
import { loadGenerator, type LoadedGenerator } from './sample.js';

let gen: LoadedGenerator | null = null;
if (parentPort) {
  const port = parentPort;
  port.on('message', (m: DecodeRequest) => {
    void (async () => {
      try {
        if (m.type === 'init') {
          await initBackend(m.backend);
          gen = (await loadGenerator(m.modelDir)) as LoadedGenerator;
          port.postMessage({ type: 'ready' } satisfies DecodeReply);
        } else {
          const positions = gen!.decodePositions(m.plan, m.options);
          port.postMessage({ type: 'positions', positions } satisfies DecodeReply, [positions.buffer as ArrayBuffer]);
        }
      } catch (e) {
        port.postMessage({ type: 'error', message: (e as Error)?.message ?? String(e), code: e instanceof GaitforgeError ? e.code : undefined } satisfies DecodeReply);
      }
    })();
  });
}

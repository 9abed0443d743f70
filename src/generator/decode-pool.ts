/**
 * Generation on several threads: worker threads (entry: decode-worker.ts)
 * that each load the generator and decode their part of every chunk's plan,
 * while the calling thread decodes the first part.
 */
import * as tf from '@tensorflow/tfjs';
import type { Worker } from 'node:worker_threads';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { shardSizes } from '../train/engine.js';
import { startWorker } from '../train/parallel.js';
import type { LoadedGenerator, Planned } from './sample.js';
import type { SampleOptions } from './sample.js';

export type DecodeRequest =
  | { type: 'init'; modelDir: string; backend: 'wasm' | 'cpu' }
  | { type: 'decode'; plan: Planned[]; options: Required<SampleOptions> };
export type DecodeReply = { type: 'ready' } | { type: 'positions'; positions: Float32Array } | { type: 'error'; message: string; code?: string };

function ask(w: Worker, m: DecodeRequest): Promise<DecodeReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: DecodeReply) => {
      w.off('error', onError);
      if (r.type === 'error') reject(r.code ? new GaitforgeError(r.code as never, `decoder thread: ${r.message}`) : new Error(`decoder thread: ${r.message}`));
      else resolve(r);
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(m);
  });
}

export interface DecoderPool {
  /** Positions of the plan (rows in plan order): part 0 here, the others on the worker threads. */
  decode(gen: LoadedGenerator, plan: Planned[], o: Required<SampleOptions>): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Starts `count` decoder threads on `modelDir` with the active backend. */
export async function startDecoders(modelDir: string, count: number): Promise<DecoderPool> {
  const backend = (currentBackend()?.chosen ?? tf.getBackend()) === 'wasm' ? 'wasm' : 'cpu';
  const workers = Array.from({ length: count }, () => startWorker(new URL('./decode-worker.js', import.meta.url)));
  try {
    await Promise.all(workers.map((w) => ask(w, { type: 'init', modelDir, backend })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  return {
    async decode(gen, plan, o) {
      const sizes = shardSizes(plan.length, count + 1, 1);
      const parts: Planned[][] = [];
      let off = 0;
      for (const n of sizes) {
        parts.push(plan.slice(off, off + n));
        off += n;
      }
      const pending = parts.slice(1).map((p, i) => ask(workers[i]!, { type: 'decode', plan: p, options: o }));
      const own = gen.decodePositions(parts[0]!, o);
      const others = (await Promise.all(pending)).map((r) => (r as { positions: Float32Array }).positions);
      const out = new Float32Array(own.length + others.reduce((a, x) => a + x.length, 0));
      out.set(own, 0);
      let at = own.length;
      for (const x of others) {
        out.set(x, at);
        at += x.length;
      }
      return out;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

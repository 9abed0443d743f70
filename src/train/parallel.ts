/**
 * Data-parallel training on worker threads (wasm and cpu backends).
 *
 * With `threads` = N, the engine (engine.ts) keeps rank 0 on the calling
 * thread and starts N − 1 replicas, each a worker thread with its own tfjs
 * backend and its own copy of the model, rebuilt from a plain-data spec by
 * the adapter's replica module (e.g. src/generator/replica.ts). Every step:
 *
 *  1. rank 0 sends each replica the current values of every replicated
 *     variable (trainable weights and batch-norm running statistics) and its
 *     shard of the batch (contiguous rows, sizes differing by at most one,
 *     at least 2 rows each, whole groups of the task's `shardUnit` rows) with
 *     its own noise seed;
 *  2. every rank computes the gradient of the mean loss over its shard;
 *  3. rank 0 averages the gradients weighted by shard size, summing in rank
 *     order (so the result depends only on the seed and N), and applies the
 *     one Adam update. The replicas receive the updated weights with the
 *     next step, so every step starts from weights identical on all ranks.
 *
 * Batch norm is handled as PyTorch's DistributedDataParallel does by
 * default (broadcast_buffers=True, no SyncBatchNorm): in training mode each
 * rank normalises with the statistics of its own shard, and the running
 * statistics that count are rank 0's, copied to every replica before each
 * step. So N-thread training differs from 1-thread training by the batch
 * statistics being those of batch/N rows (and by the noise drawn per rank),
 * not by the update rule.
 *
 * The native backends (tfjs-node, tfjs-node-gpu) have their own thread pool:
 * there the engine uses one thread.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { currentBackend } from '../core/backend.js';
import { GaitforgeError, optionError } from '../core/errors.js';
import type { GradientTask, Replicas } from './engine.js';

/** What a replica module's `createReplica(spec)` returns. */
export interface ReplicaHandle {
  task: GradientTask;
  dispose(): void;
}

/** Messages from the engine to a replica worker. */
export type ReplicaRequest =
  | { type: 'init'; module: string; spec: unknown; backend: 'wasm' | 'cpu'; rank: number }
  | { type: 'step'; weights: Float32Array; rows: Int32Array; noiseSeed: number }
  | { type: 'close' };

/** Messages from a replica worker to the engine. */
export type ReplicaReply =
  | { type: 'ready' }
  | { type: 'grad'; grad: Float32Array; metrics: Float64Array; numTensors: number }
  | { type: 'closed'; numTensors: number }
  | { type: 'error'; message: string; stack?: string; code?: string };

/** The machine's cores (os.availableParallelism). */
export function machineThreads(): number {
  return availableParallelism();
}

/** True when the active backend runs kernels on its own thread pool (tfjs-node, tfjs-node-gpu). */
export function nativeBackend(): boolean {
  const b = currentBackend()?.chosen;
  return b === 'node' || b === 'node-gpu' || tf.getBackend() === 'tensorflow';
}

/**
 * Threads a run uses: `threads` (the library's default is 1; the CLI's
 * `--threads` defaults to the machine's cores), or 1 on the native backends.
 * E_OPTION when not an integer in [1, 256].
 */
export function resolveThreads(threads = 1): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw optionError('threads', threads, 'an integer in [1, 256]');
  return nativeBackend() ? 1 : threads;
}

/** A file URL of a module next to the running one: `.ts` when running from source (tests), `.js` from dist. */
export function siblingModule(url: URL): URL {
  if (url.pathname.endsWith('.js') && !existsSync(fileURLToPath(url))) {
    const ts = new URL(url.href.replace(/\.js$/, '.ts'));
    if (existsSync(fileURLToPath(ts))) return ts;
  }
  return url;
}

/**
 * Starts a worker on a library entry module. Built (dist/) it is plain
 * JavaScript; running from source (the test suite) the worker registers tsx's
 * loader first (tsx is a dev dependency) and then imports the .ts entry.
 */
export function startWorker(entry: URL): Worker {
  const file = siblingModule(entry);
  if (!file.pathname.endsWith('.ts')) return new Worker(file);
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const boot = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { eval: true });
}

class WorkerReplicas implements Replicas {
  readonly tensorCounts: number[];
  private pending: Promise<ReplicaReply>[] = [];
  private closed = false;

  constructor(private readonly workers: Worker[]) {
    this.tensorCounts = workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  start(weights: Float32Array, shards: { rows: Int32Array; noiseSeed: number }[]): void {
    if (shards.length > this.workers.length) throw new Error(`${shards.length} shards for ${this.workers.length} replicas`);
    this.pending = shards.map((s, r) => {
      const w = this.workers[r]!;
      const reply = nextReply(w);
      w.postMessage({ type: 'step', weights, rows: s.rows.slice(), noiseSeed: s.noiseSeed } satisfies ReplicaRequest);
      return reply;
    });
  }

  async collect(): Promise<{ grad: Float32Array; metrics: Float64Array }[]> {
    const replies = await Promise.all(this.pending);
    this.pending = [];
    return replies.map((r, i) => {
      if (r.type !== 'grad') throw replicaError(r, i + 1);
      this.tensorCounts[i] = r.numTensors;
      return { grad: r.grad, metrics: r.metrics };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map(async (w, i) => {
      try {
        const reply = nextReply(w);
        w.postMessage({ type: 'close' } satisfies ReplicaRequest);
        const r = await Promise.race([reply, new Promise<null>((res) => setTimeout(() => res(null), 10_000).unref())]);
        if (r?.type === 'closed') this.tensorCounts[i] = r.numTensors;
      } finally {
        await w.terminate();
      }
    }));
  }
}

function replicaError(r: ReplicaReply, rank: number): Error {
  if (r.type === 'error') {
    if (r.code) return new GaitforgeError(r.code as never, `replica ${rank}: ${r.message}`);
    const e = new Error(`replica ${rank}: ${r.message}`);
    if (r.stack) e.stack = r.stack;
    return e;
  }
  return new Error(`replica ${rank}: unexpected reply ${r.type}`);
}

/** The next message of a worker, or a rejection when it fails or exits first. */
function nextReply(w: Worker): Promise<ReplicaReply> {
  return new Promise((resolve, reject) => {
    const off = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: ReplicaReply) => {
      off();
      resolve(m);
    };
    const onError = (e: Error) => {
      off();
      reject(e);
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`a training replica exited (code ${code})`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

/**
 * Starts `count` replica workers that run `createReplica(spec)` of `module`
 * (a file URL; `.ts` is used when running from source) on the active
 * backend. Throws E_BACKEND on a native backend (use one thread there).
 */
export async function startReplicas(module: URL, spec: unknown, count: number): Promise<Replicas> {
  if (nativeBackend()) throw new GaitforgeError('E_BACKEND', 'data-parallel replicas run on the wasm and cpu backends only; the native backend uses its own threads');
  const backend = (currentBackend()?.chosen ?? tf.getBackend()) === 'wasm' ? 'wasm' : 'cpu';
  const workers: Worker[] = [];
  try {
    for (let r = 1; r <= count; r++) workers.push(startWorker(new URL('./worker.js', import.meta.url)));
    const ready = await Promise.all(workers.map((w, i) => {
      const reply = nextReply(w);
      w.postMessage({ type: 'init', module: siblingModule(module).href, spec, backend, rank: i + 1 } satisfies ReplicaRequest);
      return reply;
    }));
    ready.forEach((r, i) => {
      if (r.type !== 'ready') throw replicaError(r, i + 1);
    });
    return new WorkerReplicas(workers);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}

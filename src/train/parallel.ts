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
 * The same workers serve inference (`startReplicaPool`): a replica module
 * whose `createReplica(spec)` returns an `InferenceReplica` answers `call`
 * requests with plain data (classifier forward passes, generator decoding),
 * so a batch is split across the threads with one protocol and one entry.
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

/** What a training replica module's `createReplica(spec)` returns: it answers `step`. */
export interface ReplicaHandle {
  task: GradientTask;
  dispose(): void;
}

/**
 * What an inference replica module's `createReplica(spec)` returns: it
 * answers `call` with plain data (typed arrays in the answer, at its top
 * level or one object level down, are transferred, not copied).
 */
export interface InferenceReplica {
  call(input: unknown): unknown;
  dispose(): void;
}

/** Messages to a replica worker. */
export type ReplicaRequest =
  | { type: 'init'; module: string; spec: unknown; backend: 'wasm' | 'cpu'; rank: number }
  | { type: 'step'; weights: Float32Array; rows: Int32Array; noiseSeed: number }
  | { type: 'call'; input: unknown }
  | { type: 'close' };

/** Messages from a replica worker. */
export type ReplicaReply =
  | { type: 'ready' }
  | { type: 'grad'; grad: Float32Array; metrics: Float64Array; numTensors: number }
  | { type: 'result'; output: unknown; numTensors: number }
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

/**
 * Worker threads that each hold a replica (training or inference) of one
 * model, started by `startReplicaPool`. Rank r (1-based) is worker r − 1;
 * rank 0 is the calling thread.
 */
export class ReplicaPool {
  /** `tf.memory().numTensors` of each worker after its last answer. */
  readonly tensorCounts: number[];
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly workers: Worker[]) {
    this.tensorCounts = workers.map(() => 0);
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** Sends `m` to rank `rank` (1..size) and resolves with its answer; rejects with the worker's error. */
  async send(rank: number, m: ReplicaRequest, transfer: ArrayBuffer[] = []): Promise<ReplicaReply> {
    const w = this.workers[rank - 1];
    if (!w || this.closed) throw new Error(`no replica ${rank} (${this.closed ? 'closed' : `${this.workers.length} replicas`})`);
    const reply = nextReply(w);
    w.postMessage(m, transfer);
    const r = await reply;
    if (r.type === 'error') throw replicaError(r, rank);
    if (r.type === 'grad' || r.type === 'result' || r.type === 'closed') this.tensorCounts[rank - 1] = r.numTensors;
    return r;
  }

  /** Runs `call(input)` of rank `rank`'s inference replica. */
  async call<T>(rank: number, input: unknown): Promise<T> {
    const r = await this.send(rank, { type: 'call', input });
    if (r.type !== 'result') throw replicaError(r, rank);
    return r.output as T;
  }

  /** Disposes every replica and ends the workers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.workers.map(async (w, i) => {
      try {
        const reply = this.send(i + 1, { type: 'close' }).catch(() => null);
        await Promise.race([reply, new Promise<null>((res) => setTimeout(() => res(null), 10_000).unref())]);
      } finally {
        await w.terminate();
      }
    })).then(() => {
      this.closed = true;
    });
    return this.closing;
  }
}

/**
 * Inference split across threads: part 0 computed here by `own`, part r (r ≥ 1) by rank r's
 * inference replica (`pool.call`, the part as its input), outputs concatenated in part order.
 * `pool` may be null when there is one part. A replica's error is raised after this thread's part.
 */
export async function spreadParts<P>(pool: ReplicaPool | null, parts: P[], own: (part: P) => Float32Array): Promise<Float32Array> {
  const pending = parts.slice(1).map((p, i) => pool!.call<Float32Array>(i + 1, p));
  for (const p of pending) p.catch(() => undefined); // observed below, after this thread's part
  const outputs = [own(parts[0]!), ...(await Promise.all(pending))];
  const out = new Float32Array(outputs.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of outputs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

class WorkerReplicas implements Replicas {
  private pending: Promise<ReplicaReply>[] = [];

  constructor(private readonly pool: ReplicaPool) {}

  get size(): number {
    return this.pool.size;
  }

  get tensorCounts(): number[] {
    return this.pool.tensorCounts;
  }

  start(weights: Float32Array, shards: { rows: Int32Array; noiseSeed: number }[]): void {
    if (shards.length > this.pool.size) throw new Error(`${shards.length} shards for ${this.pool.size} replicas`);
    this.pending = shards.map((s, r) => this.pool.send(r + 1, { type: 'step', weights, rows: s.rows.slice(), noiseSeed: s.noiseSeed }));
    // a rejection is observed by collect(); keep it from being reported as unhandled meanwhile
    for (const p of this.pending) p.catch(() => undefined);
  }

  async collect(): Promise<{ grad: Float32Array; metrics: Float64Array }[]> {
    const replies = await Promise.all(this.pending);
    this.pending = [];
    return replies.map((r, i) => {
      if (r.type !== 'grad') throw replicaError(r, i + 1);
      return { grad: r.grad, metrics: r.metrics };
    });
  }

  close(): Promise<void> {
    return this.pool.close();
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
      reject(new Error(`a replica thread exited (code ${code})`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

/**
 * Starts `count` worker threads that each run `createReplica(spec)` of
 * `module` (a file URL; `.ts` is used when running from source) on the
 * active backend. Throws E_BACKEND on a native backend (use one thread there).
 */
export async function startReplicaPool(module: URL, spec: unknown, count: number): Promise<ReplicaPool> {
  if (nativeBackend()) throw new GaitforgeError('E_BACKEND', 'replica threads run on the wasm and cpu backends only; the native backend uses its own threads');
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
    return new ReplicaPool(workers);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}

/** `startReplicaPool` for data-parallel training: the engine's `Replicas`. */
export async function startReplicas(module: URL, spec: unknown, count: number): Promise<Replicas> {
  return new WorkerReplicas(await startReplicaPool(module, spec, count));
}

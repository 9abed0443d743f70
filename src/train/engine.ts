/**
 * The one training engine: a model adapter (`GradientTask`) says what the
 * loss of a batch is; the engine computes gradients, applies the one
 * optimizer (Adam with the decay rule of optimizer.ts), and with `threads`
 * > 1 splits every batch across data-parallel replicas (parallel.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../core/rng.js';
import { withNoiseKey } from '../nn/common.js';
import { holdHeapGrowth } from './heap.js';
import { Adam, type AdamState } from './optimizer.js';

/** What a model adapter gives the engine. */
export interface GradientTask {
  /** Trainable variables in a fixed order (the optimizer state is saved in it). */
  readonly variables: tf.Variable[];
  /** Which of `variables` weight decay applies to; default the decay rule (kernels only). */
  readonly decayed?: boolean[];
  /**
   * Every variable a data-parallel step copies from rank 0 to the other
   * replicas before each step: the trainable ones and the models' state
   * (batch-norm running statistics), in a fixed order.
   */
  readonly replicated: tf.Variable[];
  /** Names of the values of `metrics` (for logs). */
  readonly metricNames: readonly string[];
  /**
   * Rows of a batch that stay together on one data-parallel rank (a batch is
   * whole groups of this many rows, e.g. a P×K batch's K walks of one
   * identity); every shard then holds at least 2 groups. Default 1.
   */
  readonly shardUnit?: number;
  /**
   * The objective on training rows `rows`, called inside tf.variableGrads
   * and tf.tidy (tensors it creates are released by the engine). `noiseSeed`
   * seeds the step's sampling noise. Returns the scalar to minimise (a mean
   * over the rows) and metrics [M], also means over the rows.
   */
  loss(rows: Int32Array, noiseSeed: number): { total: tf.Scalar; metrics: tf.Tensor1D };
}

/**
 * Splits n rows into at most `k` contiguous shards of whole groups of `unit`
 * rows, the shards' group counts differing by at most one, each shard of at
 * least `min` rows (rows beyond the last whole group go to the last shard).
 */
export function shardSizes(n: number, k: number, min = 2, unit = 1): number[] {
  const groups = Math.floor(n / unit);
  const parts = Math.max(1, Math.min(k, Math.floor(groups / Math.ceil(min / unit))));
  const base = Math.floor(groups / parts);
  const sizes = Array.from({ length: parts }, (_, i) => (base + (i < groups % parts ? 1 : 0)) * unit);
  sizes[parts - 1]! += n - groups * unit;
  return sizes;
}

/** The noise seed of data-parallel rank `rank` in a step whose seed is `stepSeed` (rank 0 keeps the step's seed). */
export function rankSeed(stepSeed: number, rank: number): number {
  return rank === 0 ? stepSeed : deriveSeed(stepSeed, `rank/${rank}`);
}

/**
 * Gradients of `task` on `rows` (flat, in variable order; variables without
 * a gradient give zeros) and its metrics. Leaves no tensors behind.
 */
export function computeGradients(task: GradientTask, rows: Int32Array, noiseSeed: number): { grad: Float32Array; metrics: Float64Array } {
  const [flat, metrics] = tf.tidy(() => {
    let metrics!: tf.Tensor1D;
    const { grads } = tf.variableGrads(() => withNoiseKey(noiseSeed, () => {
      const r = task.loss(rows, noiseSeed);
      metrics = tf.keep(r.metrics);
      return r.total;
    }), task.variables);
    const flat = tf.concat(task.variables.map((v) => (grads[v.name] ?? tf.zerosLike(v)).reshape([-1])));
    return [flat, metrics] as const;
  });
  const grad = new Float32Array(flat.dataSync() as Float32Array); // a copy: the cpu backend hands out its own storage
  const m = Float64Array.from(metrics.dataSync());
  tf.dispose([flat, metrics]);
  return { grad, metrics: m };
}

/** A source of gradients of other ranks: parallel.ts's worker pool. */
export interface Replicas {
  /** Number of replicas besides this thread's. */
  readonly size: number;
  /**
   * Starts shards 1..k-1 of a step on the replicas (after copying
   * `weights` (the replicated variables, flat) to them); `collect` waits for
   * their gradients and metrics.
   */
  start(weights: Float32Array, shards: { rows: Int32Array; noiseSeed: number }[]): void;
  collect(): Promise<{ grad: Float32Array; metrics: Float64Array }[]>;
  /** tf.memory().numTensors of each replica after its last step. */
  readonly tensorCounts: number[];
  close(): Promise<void>;
}

export interface EngineOptions {
  lr: number;
  weightDecay: number;
  /** Data-parallel replicas (other threads); none: this thread computes the whole batch. */
  replicas?: Replicas | null;
}

export class Engine {
  readonly optimizer: Adam;
  readonly task: GradientTask;
  private readonly replicas: Replicas | null;
  private readonly releaseHeap: () => void;

  constructor(task: GradientTask, o: EngineOptions) {
    this.task = task;
    this.optimizer = new Adam(task.variables, { lr: o.lr, weightDecay: o.weightDecay, decayed: task.decayed });
    this.replicas = o.replicas ?? null;
    this.releaseHeap = holdHeapGrowth(); // last: a constructor that throws holds nothing
  }

  /** Threads a step runs on. */
  get threads(): number {
    return 1 + (this.replicas?.size ?? 0);
  }

  /** tf.memory().numTensors of every replica (data-parallel runs; empty otherwise). */
  get replicaTensorCounts(): number[] {
    return this.replicas ? [...this.replicas.tensorCounts] : [];
  }

  set lr(v: number) {
    this.optimizer.lr = v;
  }
  get lr(): number {
    return this.optimizer.lr;
  }

  /**
   * One optimisation step on training rows `rows`: the gradient of the mean
   * loss over the rows (data-parallel: the row-weighted mean of the shards'
   * gradients, summed in rank order so the result depends only on the
   * seed and the thread count), weight decay, Adam. Returns the metrics
   * (row-weighted means). Leaves no tensors behind.
   */
  async step(rows: Int32Array, noiseSeed: number): Promise<Float64Array> {
    const unit = this.task.shardUnit ?? 1;
    const sizes = this.replicas ? shardSizes(rows.length, this.threads, 2 * unit, unit) : [rows.length];
    if (sizes.length === 1) {
      const { grad, metrics } = computeGradients(this.task, rows, noiseSeed);
      this.optimizer.applyFlat(grad);
      return metrics;
    }
    const shards: { rows: Int32Array; noiseSeed: number }[] = [];
    let off = 0;
    sizes.forEach((n, r) => {
      shards.push({ rows: rows.subarray(off, off + n), noiseSeed: rankSeed(noiseSeed, r) });
      off += n;
    });
    this.replicas!.start(this.replicatedWeights(), shards.slice(1));
    const own = computeGradients(this.task, shards[0]!.rows, shards[0]!.noiseSeed);
    const others = await this.replicas!.collect();
    const all = [own, ...others];
    const grad = new Float32Array(own.grad.length);
    const metrics = new Float64Array(own.metrics.length);
    all.forEach((p, r) => {
      const w = sizes[r]! / rows.length;
      for (let i = 0; i < grad.length; i++) grad[i]! += w * p.grad[i]!;
      for (let i = 0; i < metrics.length; i++) metrics[i]! += w * p.metrics[i]!;
    });
    this.optimizer.applyFlat(grad);
    return metrics;
  }

  /** The replicated variables, flat, in order. */
  replicatedWeights(): Float32Array {
    const vs = this.task.replicated;
    const out = new Float32Array(vs.reduce((a, v) => a + v.size, 0));
    let off = 0;
    for (const v of vs) {
      out.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
    return out;
  }

  async getOptimizerState(): Promise<AdamState> {
    return this.optimizer.getState();
  }

  setOptimizerState(s: AdamState): void {
    this.optimizer.setState(s);
  }

  /**
   * Releases the optimizer, stops the replicas (the task's models belong to
   * the caller) and gives V8's heap growth back (heap.ts).
   */
  async dispose(): Promise<void> {
    this.optimizer.dispose();
    try {
      await this.replicas?.close();
    } finally {
      this.releaseHeap();
    }
  }
}

/** Copies flat values (from `replicatedWeights`) into variables, in order. */
export function assignFlat(vars: readonly tf.Variable[], flat: Float32Array): void {
  let off = 0;
  tf.tidy(() => {
    for (const v of vars) {
      v.assign(tf.tensor(flat.subarray(off, off + v.size), v.shape, 'float32'));
      off += v.size;
    }
  });
}

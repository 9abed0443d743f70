/**
 * The one fit loop: epochs of optimisation steps over seeded batches, the
 * learning-rate schedule, a validation hook that scores each epoch, a
 * checkpoint hook after each finished epoch, stopping by AbortSignal, and
 * resume from a saved `FitState`. Every model trains through it.
 */
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { yieldToEventLoop } from '../core/yield.js';
import type * as tf from '@tensorflow/tfjs';
import { better, readOptimizerState, removeCheckpoint, restoreWeights, type FitState } from './checkpoint.js';
import { Engine, type GradientTask } from './engine.js';
import { startReplicas } from './parallel.js';
import { learningRate, type StepSchedule } from './schedule.js';

/** What an epoch's steps measured, handed to the validation hook. */
export interface EpochTrain {
  /** 0-based epoch. */
  epoch: number;
  lr: number;
  /** Row-weighted means of the task's metrics over the epoch's steps. */
  metrics: Float64Array;
  /** Rows trained on. */
  seen: number;
  /** Wall-clock seconds of the steps. */
  seconds: number;
}

export interface FitOptions<L> {
  engine: Engine;
  epochs: number;
  schedule: StepSchedule;
  /** Where to start (a fresh state or one read from a checkpoint); updated in place. */
  state: FitState<L>;
  /** Seed of the run: each step's noise seed is drawn from the stream `<purpose>/noise/<epoch>`. */
  seed: number;
  purpose: string;
  /** The batches of 0-based epoch `epoch`: row indices into the task's training data. Must depend only on the seed and the epoch. */
  batches(epoch: number): Int32Array[];
  /** After every step (e.g. progress); `metrics` are the step's. A non-finite metric stops the run with E_VALUE. */
  onStep?(epoch: number, step: number, metrics: Float64Array): void;
  /**
   * Validation hook after each epoch's steps: the epoch's log and its
   * selection score (compared lexicographically, lower is better), or
   * null when this epoch is not scored.
   */
  endEpoch(t: EpochTrain): Promise<{ log: L; score: number[] | null }>;
  /** Checkpoint hook after each epoch (the state already counts it); `improved` when its score is the best so far. */
  checkpoint(state: FitState<L>, improved: boolean): Promise<void>;
  /** Stops after the current step; the last finished epoch is what a checkpoint holds. */
  signal?: AbortSignal;
  /** Names the model in error messages. */
  what: string;
}

/** Runs epochs state.epoch … epochs − 1. Returns whether every epoch ran (false when stopped by the signal). */
export async function fit<L>(o: FitOptions<L>): Promise<boolean> {
  const { engine, state } = o;
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    engine.lr = learningRate(o.schedule, epoch);
    const noise = new Rng(o.seed, `${o.purpose}/noise/${epoch}`);
    const batches = o.batches(epoch);
    let sum: Float64Array | null = null;
    let seen = 0;
    const t0 = performance.now();
    for (let b = 0; b < batches.length; b++) {
      const rows = batches[b]!;
      const m = await engine.step(rows, noise.tfSeed());
      if (!m.every((x) => Number.isFinite(x))) {
        const names = engine.task.metricNames;
        const values = Array.from(m, (x, i) => `${names[i] ?? i} = ${x}`).join(', ');
        throw new GaitforgeError('E_VALUE', `training ${o.what} diverged in epoch ${epoch + 1}, step ${b + 1}: ${values} (lower the learning rate, now ${engine.lr})`);
      }
      sum ??= new Float64Array(m.length);
      for (let i = 0; i < m.length; i++) sum[i]! += m[i]! * rows.length;
      seen += rows.length;
      o.onStep?.(epoch, b, m);
      await yieldToEventLoop();
      if (o.signal?.aborted) return false;
    }
    const seconds = (performance.now() - t0) / 1000;
    const metrics = (sum ?? new Float64Array(0)).map((x) => x / Math.max(1, seen));
    const { log, score } = await o.endEpoch({ epoch, lr: engine.lr, metrics, seen, seconds });
    state.history.push(log);
    state.epoch = epoch + 1;
    const improved = score !== null && better(score, state.bestScore);
    if (improved) {
      state.bestScore = score;
      state.bestEpoch = epoch + 1;
    }
    await o.checkpoint(state, improved);
    if (o.signal?.aborted && epoch + 1 < o.epochs) return false;
  }
  return true;
}

/**
 * The engine of a run whose last-epoch checkpoint is `lastDir` (its model
 * under `model/`): resuming, `model`'s weights and the optimizer state come
 * from it; otherwise it is removed. With `threads` > 1 the replicas are
 * started from the adapter's replica module `replica` and its `spec`.
 */
export async function startEngine(o: {
  task: GradientTask; model: tf.LayersModel; lastDir: string; resume: boolean; threads: number; replica: URL; spec: unknown; lr: number; weightDecay: number;
}): Promise<Engine> {
  if (o.resume) await restoreWeights(o.model, path.join(o.lastDir, 'model'));
  else removeCheckpoint(o.lastDir);
  const replicas = o.threads > 1 ? await startReplicas(o.replica, o.spec, o.threads - 1) : null;
  const engine = new Engine(o.task, { lr: o.lr, weightDecay: o.weightDecay, replicas });
  if (o.resume) engine.setOptimizerState(readOptimizerState(o.lastDir));
  return engine;
}

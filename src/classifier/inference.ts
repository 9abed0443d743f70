/**
 * Classifier inference split across threads (wasm and cpu backends): rank 0
 * runs on the calling thread, threads − 1 replicas (src/train/parallel.ts,
 * the workers of data-parallel training) each load the classifier from its
 * directory. A forward pass prepares all inputs once here, splits the rows
 * into contiguous shards, runs shard 0 while the replicas run theirs, and
 * joins the outputs in row order. In inference mode a gait's outputs depend
 * only on that gait, so the result is the same bits on any thread count.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { shardSizes } from '../train/engine.js';
import { resolveThreads, startReplicaPool, type ReplicaPool } from '../train/parallel.js';
import { classifierDirOf, predictionsOf, runnerOf, type Classifier, type ForwardResult } from './model.js';
import type { InferenceInput, InferenceReplicaSpec } from './inference-replica.js';

/** A classifier's forward passes on one or more threads. Call `close()` when done (the classifier stays loaded). */
export interface ClassifierInference {
  readonly classifier: Classifier;
  /** Threads in use (1 on the native backends, or when the classifier was not loaded from a directory). */
  readonly threads: number;
  /** Inference-mode outputs of every gait of `set` (logits [N, L], features [N, dim], identity logits). */
  forward(set: GaitSet): Promise<ForwardResult>;
  /** Class probabilities [N, L] and the argmax per gait (as `Classifier.predict`). */
  predict(set: GaitSet): Promise<{ probs: Float32Array; predicted: Int32Array }>;
  /** Penultimate features [N, dim] (as `Classifier.features`). */
  features(set: GaitSet): Promise<{ data: Float32Array; dim: number }>;
  /** `tf.memory().numTensors` of each replica thread after its last answer. */
  readonly replicaTensors: number[];
  close(): Promise<void>;
}

/**
 * Starts inference for `clf` on `threads` threads (default 1; resolved by
 * `resolveThreads`, so 1 on tfjs-node). Replica threads are started only for
 * a classifier returned by `loadClassifier` (they load its directory and
 * check its checkpoint hash).
 */
export async function startInference(clf: Classifier, threads = 1): Promise<ClassifierInference> {
  const n = resolveThreads(threads);
  const dir = classifierDirOf(clf);
  const pool = n > 1 && dir
    ? await startReplicaPool(new URL('./inference-replica.js', import.meta.url), { dir, checkpointHash: clf.checkpointHash } satisfies InferenceReplicaSpec, n - 1)
    : null;
  return new Inference(clf, pool);
}

class Inference implements ClassifierInference {
  constructor(
    readonly classifier: Classifier,
    private readonly pool: ReplicaPool | null,
  ) {}

  get threads(): number {
    return (this.pool?.size ?? 0) + 1;
  }

  get replicaTensors(): number[] {
    return this.pool ? [...this.pool.tensorCounts] : [];
  }

  async forward(set: GaitSet): Promise<ForwardResult> {
    const clf = this.classifier;
    if (!classifierDirOf(clf)) {
      // a Classifier not made by loadClassifier: its public methods (two passes)
      const f = clf.features(set);
      return { logits: logitsOfProbs(clf.predict(set).probs), features: f.data, featureDim: f.dim, identity: null };
    }
    const runner = runnerOf(clf);
    const inp = runner.inputs(set);
    const sizes = this.pool ? shardSizes(set.N, this.threads, 1) : [set.N];
    if (sizes.length === 1) return runner.forwardPrepared(inp, set.N);
    const perPos = inp.positions.length / set.N;
    const perAff = inp.affective ? inp.affective.length / set.N : 0;
    const starts: number[] = [];
    let off = 0;
    for (const s of sizes) {
      starts.push(off);
      off += s;
    }
    const shard = (r: number): InferenceInput => {
      const a = starts[r]!;
      const b = a + sizes[r]!;
      // slice, not subarray: posting a view would copy its whole buffer
      return { n: b - a, positions: inp.positions.slice(a * perPos, b * perPos), affective: inp.affective ? inp.affective.slice(a * perAff, b * perAff) : null };
    };
    const pending = sizes.slice(1).map((_, i) => this.pool!.call<ForwardResult>(i + 1, shard(i + 1)));
    for (const p of pending) p.catch(() => undefined); // observed below, after rank 0's part
    const own = runner.forwardPrepared(shard(0), sizes[0]!);
    const parts = [own, ...(await Promise.all(pending))];
    return joinRows(parts, set.N);
  }

  async predict(set: GaitSet): Promise<{ probs: Float32Array; predicted: Int32Array }> {
    if (!classifierDirOf(this.classifier)) return this.classifier.predict(set);
    return predictionsOf((await this.forward(set)).logits, this.classifier.labelNames.length);
  }

  async features(set: GaitSet): Promise<{ data: Float32Array; dim: number }> {
    if (!classifierDirOf(this.classifier)) return this.classifier.features(set);
    const r = await this.forward(set);
    return { data: r.features, dim: r.featureDim };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** Log-probabilities: logits with the same softmax and argmax (for a classifier that only gives probabilities). */
function logitsOfProbs(probs: Float32Array): Float32Array {
  return probs.map((p) => Math.log(p));
}

/** Row-wise concatenation of forward results in rank order. */
function joinRows(parts: ForwardResult[], n: number): ForwardResult {
  const dim = parts[0]!.featureDim;
  const cat = (pick: (r: ForwardResult) => Float32Array | null): Float32Array | null => {
    const xs = parts.map(pick);
    if (xs.every((x) => x === null)) return null;
    if (xs.some((x) => x === null)) throw new GaitforgeError('E_MODEL', 'inference threads disagree on the model outputs');
    const out = new Float32Array(xs.reduce((a, x) => a + x!.length, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x!, at);
      at += x!.length;
    }
    return out;
  };
  if (parts.some((p) => p.featureDim !== dim)) throw new GaitforgeError('E_MODEL', 'inference threads disagree on the feature size');
  const out = { logits: cat((r) => r.logits)!, features: cat((r) => r.features)!, featureDim: dim, identity: cat((r) => r.identity) };
  if (out.features.length !== n * dim) throw new GaitforgeError('E_MODEL', `inference threads returned ${out.features.length / Math.max(1, dim)} rows for ${n} gaits`);
  return out;
}

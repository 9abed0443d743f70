/**
 * An inference replica of a classifier (src/classifier/inference.ts), run in
 * a replica thread (src/train/parallel.ts): loads the classifier directory
 * and answers each request with the forward pass of the inputs it is sent.
 */
import { GaitforgeError } from '../core/errors.js';
import type { InferenceReplica } from '../train/parallel.js';
import { loadClassifier, runnerOf, type ForwardResult } from './model.js';

export interface InferenceReplicaSpec {
  dir: string;
  /** The checkpoint hash of the classifier on the calling thread: the directory must still hold it. */
  checkpointHash: string;
}

/** Prepared inputs of n gaits (ModelRunner.inputs): positions [n, T', V, 3], affective [n, D] or null. */
export interface InferenceInput {
  n: number;
  positions: Float32Array;
  affective: Float32Array | null;
}

export async function createReplica(spec: InferenceReplicaSpec): Promise<InferenceReplica> {
  const clf = await loadClassifier(spec.dir);
  if (clf.checkpointHash !== spec.checkpointHash) {
    clf.dispose();
    throw new GaitforgeError('E_MODEL', `${spec.dir} changed on disk since the classifier was loaded (checkpoint ${clf.checkpointHash.slice(0, 12)}, loaded ${spec.checkpointHash.slice(0, 12)})`);
  }
  const runner = runnerOf(clf);
  return {
    call(input: unknown): ForwardResult {
      const x = input as InferenceInput;
      return runner.forwardPrepared(x, x.n);
    },
    dispose() {
      clf.dispose();
    },
  };
}

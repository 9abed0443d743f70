/**
 * A decoding replica of a generator of any family (decode-pool.ts), run in a
 * replica thread (src/train/parallel.ts): loads the generator directory and
 * decodes the plans it is sent.
 */
import { GaitforgeError } from '../core/errors.js';
import type { InferenceReplica } from '../train/parallel.js';
import type { Planned, PlanGenerator } from './plan.js';
import { loadGenerator } from './sample.js';

export interface DecodeReplicaSpec {
  modelDir: string;
  /** The checkpoint hash of the generator on the calling thread: the directory must still hold it. */
  checkpointHash: string;
}

export interface DecodeInput {
  plan: Planned[];
  /** The family's checked sampling options (PlanGenerator.sampleOptions). */
  options: unknown;
}

/** The generator of `spec.modelDir`, refused (E_MODEL) when it no longer holds the calling thread's checkpoint. */
export async function loadReplicaGenerator<G extends PlanGenerator = PlanGenerator>(spec: DecodeReplicaSpec): Promise<G> {
  const gen = (await loadGenerator(spec.modelDir)) as G;
  if (gen.checkpointHash !== spec.checkpointHash) {
    gen.dispose();
    throw new GaitforgeError('E_MODEL', `${spec.modelDir} changed on disk since the generator was loaded (checkpoint ${gen.checkpointHash.slice(0, 12)}, loaded ${spec.checkpointHash.slice(0, 12)})`);
  }
  return gen;
}

export async function createReplica(spec: DecodeReplicaSpec): Promise<InferenceReplica> {
  const gen = await loadReplicaGenerator(spec);
  return {
    call(input: unknown): Float32Array {
      const x = input as DecodeInput;
      return gen.decodePositions(x.plan, x.options);
    },
    dispose() {
      gen.dispose();
    },
  };
}

/**
 * A restyling replica (restyle.ts), run in a replica thread (src/train/parallel.ts): loads the
 * generator directory and its encoder and restyles the work it is sent.
 */
import type { InferenceReplica } from '../train/parallel.js';
import { loadReplicaGenerator, type DecodeReplicaSpec } from './decode-replica.js';
import { Restyler, type RestyleWork } from './restyle.js';
import type { LoadedGenerator } from './sample.js';

export async function createReplica(spec: DecodeReplicaSpec): Promise<InferenceReplica> {
  const gen = await loadReplicaGenerator<LoadedGenerator>(spec);
  const restyler = await Restyler.load(gen);
  return {
    call: (input: unknown): Float32Array => restyler.positions(input as RestyleWork),
    dispose() {
      restyler.dispose();
      gen.dispose();
    },
  };
}

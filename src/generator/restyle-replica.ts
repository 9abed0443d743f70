/**
 * A restyling replica (restyle.ts), run in a replica thread (src/train/parallel.ts): loads the
 * generator directory (and, for STEP-Gen, its encoder) and restyles the work it is sent with its
 * family's edit.
 */
import type { InferenceReplica } from '../train/parallel.js';
import { loadReplicaGenerator, type DecodeReplicaSpec } from './decode-replica.js';
import { FlowGenerator } from './flow/sample.js';
import { restylePart, Restyler, type FlowRestyleWork, type RestyleWork } from './restyle.js';
import type { LoadedGenerator } from './sample.js';

export async function createReplica(spec: DecodeReplicaSpec): Promise<InferenceReplica> {
  const gen = await loadReplicaGenerator<LoadedGenerator | FlowGenerator>(spec);
  const restyler = gen instanceof FlowGenerator ? null : await Restyler.load(gen);
  return {
    call: (input: unknown): Float32Array => restylePart(gen, restyler, input as RestyleWork | FlowRestyleWork),
    dispose() {
      restyler?.dispose();
      gen.dispose();
    },
  };
}

/**
 * Generation on several threads, for every generator family: replica
 * threads (src/train/parallel.ts, the workers of data-parallel training;
 * replica module decode-replica.ts) that each load the generator's directory
 * (loadGenerator) and decode their part of every chunk's plan with its
 * family's `decodePositions`, while the calling thread decodes the first part.
 */
import { shardSizes } from '../train/engine.js';
import { spreadParts, startReplicaPool } from '../train/parallel.js';
import type { DecodeInput, DecodeReplicaSpec } from './decode-replica.js';
import type { PlanGenerator, Planned } from './plan.js';

export interface DecoderPool {
  /** Positions of the plan (rows in plan order): part 0 here, the others on the replica threads (each loading `gen`'s directory, of any family). */
  decode<O>(gen: PlanGenerator<O>, plan: Planned[], o: O): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Starts `count` decoder threads on `modelDir` (which must hold `checkpointHash`) with the active backend. */
export async function startDecoders(modelDir: string, checkpointHash: string, count: number): Promise<DecoderPool> {
  const pool = await startReplicaPool(new URL('./decode-replica.js', import.meta.url), { modelDir, checkpointHash } satisfies DecodeReplicaSpec, count);
  return {
    async decode<O>(gen: PlanGenerator<O>, plan: Planned[], o: O) {
      const sizes = shardSizes(plan.length, count + 1, 1);
      const parts: Planned[][] = [];
      let off = 0;
      for (const n of sizes) {
        parts.push(plan.slice(off, off + n));
        off += n;
      }
      return spreadParts(pool, parts.map((p) => ({ plan: p, options: o }) satisfies DecodeInput), (x) => gen.decodePositions(x.plan, x.options as O));
    },
    close: () => pool.close(),
  };
}

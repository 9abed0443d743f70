/**
 * Generation on several threads: replica threads (src/train/parallel.ts,
 * the workers of data-parallel training; replica module decode-replica.ts)
 * that each load the generator and decode their part of every chunk's plan,
 * while the calling thread decodes the first part.
 */
import { shardSizes } from '../train/engine.js';
import { spreadParts, startReplicaPool } from '../train/parallel.js';
import type { DecodeInput, DecodeReplicaSpec } from './decode-replica.js';
import type { LoadedGenerator, Planned, ResolvedSampleOptions } from './sample.js';

export interface DecoderPool {
  /** Positions of the plan (rows in plan order): part 0 here, the others on the replica threads. */
  decode(gen: LoadedGenerator, plan: Planned[], o: ResolvedSampleOptions): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Starts `count` decoder threads on `modelDir` (which must hold `checkpointHash`) with the active backend. */
export async function startDecoders(modelDir: string, checkpointHash: string, count: number): Promise<DecoderPool> {
  const pool = await startReplicaPool(new URL('./decode-replica.js', import.meta.url), { modelDir, checkpointHash } satisfies DecodeReplicaSpec, count);
  return {
    async decode(gen, plan, o) {
      const sizes = shardSizes(plan.length, count + 1, 1);
      const parts: Planned[][] = [];
      let off = 0;
      for (const n of sizes) {
        parts.push(plan.slice(off, off + n));
        off += n;
      }
      return spreadParts(pool, parts.map((p) => ({ plan: p, options: o }) satisfies DecodeInput), (x) => gen.decodePositions(x.plan, x.options));
    },
    close: () => pool.close(),
  };
}

/**
 * A data-parallel replica of GaitTAKE training (src/train/parallel.ts),
 * rebuilt in a worker thread; its weights come from rank 0 before every step.
 */
import type { ReplicaHandle } from '../train/parallel.js';
import { buildIdentityTask, type IdentityTaskSpec } from './task.js';

export function createReplica(spec: IdentityTaskSpec): ReplicaHandle {
  return buildIdentityTask(spec);
}

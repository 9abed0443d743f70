/**
 * A data-parallel replica of classifier training (src/train/parallel.ts),
 * rebuilt in a worker thread; its weights come from rank 0 before every step.
 */
import type { ReplicaHandle } from '../train/parallel.js';
import { buildClassifierTask, type ClassifierTaskSpec } from './task.js';

export function createReplica(spec: ClassifierTaskSpec): ReplicaHandle {
  return buildClassifierTask(spec);
}

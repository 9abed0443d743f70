/**
 * A data-parallel replica of flow training (src/train/parallel.ts), rebuilt
 * in a worker thread from this plain-data spec. Its weights are overwritten
 * from rank 0 before every step, so only the architecture and the training
 * rows matter here.
 */
import type { ReplicaHandle } from '../../train/parallel.js';
import type { GaitNormalization } from '../normalize.js';
import type { PcaBasis } from '../pca.js';
import type { ResolvedFlowConfig } from './config.js';
import { buildDenoiser } from './model.js';
import { flowGeometry, FlowTask, type FlowData } from './objective.js';

export interface FlowReplicaSpec {
  cfg: ResolvedFlowConfig;
  k: number;
  labels: number;
  seed: number;
  data: FlowData;
  edges: [number, number][];
  T: number;
  V: number;
  fps: number;
  norm: GaitNormalization;
  basis: PcaBasis;
  scales: Float32Array;
}

export function createReplica(spec: FlowReplicaSpec): ReplicaHandle {
  const model = buildDenoiser(spec.cfg, { k: spec.k, labels: spec.labels }, spec.seed);
  const task = new FlowTask(model, spec.cfg, spec.labels, spec.data, flowGeometry({ basis: spec.basis, scales: spec.scales }, spec.norm, spec.edges, spec.T, spec.V, spec.fps));
  return {
    task,
    dispose() {
      task.dispose();
      model.dispose();
    },
  };
}

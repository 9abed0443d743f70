/**
 * A data-parallel replica of generator training (src/train/parallel.ts):
 * rebuilt in a worker thread from this plain-data spec. Its weights are
 * overwritten from rank 0 before every step, so only the architecture and
 * the training rows matter here.
 */
import type { ReplicaHandle } from '../train/parallel.js';
import type { ResolvedGeneratorConfig } from './config.js';
import './layers.js';
import { loadIdentityFeatureTerm } from './identity-features.js';
import { boneTerm } from './losses.js';
import { buildCvae, type CvaeShape as CvaeDims } from './model.js';
import { CvaeTask, type CvaeData } from './train.js';

export interface GeneratorReplicaSpec {
  cfg: ResolvedGeneratorConfig;
  dims: CvaeDims;
  seed: number;
  norm: { mean: ArrayLike<number>; scale: number };
  data: CvaeData;
  /** L_id's identity model directory (identity-features.ts). */
  identityFeatureModel?: string;
}

export async function createReplica(spec: GeneratorReplicaSpec): Promise<ReplicaHandle> {
  const features = spec.identityFeatureModel ? await loadIdentityFeatureTerm(spec.identityFeatureModel, spec.norm, spec.dims.T, spec.dims.V) : undefined;
  const cvae = buildCvae(spec.cfg, spec.dims, spec.seed);
  const task = new CvaeTask(cvae, spec.cfg, spec.dims.labels, spec.data, boneTerm(spec.dims.edges, spec.dims.V, spec.norm.mean, spec.norm.scale), spec.dims.identities ?? 0, features);
  return {
    task,
    dispose() {
      task.dispose();
      cvae.encoder.dispose();
      cvae.decoder.dispose();
    },
  };
}

/**
 * Generator evaluation that needs trained models: FID between real and
 * generated gaits in two feature spaces, each next to its real-vs-real floor:
 *  - 'affective': the 29 affective features, min–max scaled on the real set
 *    (model-free: cannot drift with an evaluator; unscaled, the jerk columns
 *    would outweigh everything else);
 *  - 'evaluator': the penultimate features of a frozen Baseline-STEP trained
 *    on real data only, identified by its checkpoint hash so FIDs are comparable.
 */
import { NUM_AFFECTIVE_FEATURES, scaledAffectiveFeatures } from '../classifier/affective.js';
import type { Classifier } from '../classifier/index.js';
import type { GaitSet } from '../core/gaitset.js';
import { fid, fidFloor } from '../eval/fid.js';

export type FeatureSpace = 'affective' | 'evaluator';

export interface SpaceFid {
  space: FeatureSpace;
  fid: number;
  /** FID of two disjoint halves of the real set. */
  floor: number;
  /** Ridge added to singular covariances (0 when none), and why. */
  ridge: number;
  warnings: string[];
  dim: number;
}

export interface GeneratorFid {
  realGaits: number;
  fakeGaits: number;
  affective: SpaceFid;
  evaluator: (SpaceFid & { checkpointHash: string }) | null;
}

type Features = { data: Float64Array | Float32Array; dim: number };

/**
 * Feature rows [N, dim] of a real set and of other sets in a space (the
 * affective space is scaled with the real set's min–max).
 */
export function featuresOf(real: GaitSet, others: GaitSet[], space: FeatureSpace, evaluator?: Classifier | null): { real: Features; others: Features[] } {
  if (space === 'affective') {
    const s = scaledAffectiveFeatures(real, ...others);
    const dim = NUM_AFFECTIVE_FEATURES;
    return { real: { data: s.reference, dim }, others: s.others.map((data) => ({ data, dim })) };
  }
  if (!evaluator) throw new RangeError("feature space 'evaluator' needs an evaluator model");
  return { real: evaluator.features(real), others: others.map((o) => evaluator.features(o)) };
}

/** FID of `fake` against `real` in one space, with the real-vs-real floor. */
export function spaceFid(real: GaitSet, fake: GaitSet, space: FeatureSpace, seed: number, evaluator?: Classifier | null): SpaceFid {
  const f = featuresOf(real, [fake], space, evaluator);
  const a = f.real;
  const b = f.others[0]!;
  const r = fid(a.data, b.data, { dim: a.dim });
  const floor = fidFloor(a.data, { dim: a.dim, seed });
  return { space, fid: r.fid, floor: floor.fid, ridge: r.ridge, warnings: [...r.warnings, ...floor.warnings.map((w) => `floor: ${w}`)], dim: a.dim };
}

/** FID in the affective space and, with an evaluator, in its feature space. */
export async function generatorFid(real: GaitSet, fake: GaitSet, options: { seed: number; evaluator?: Classifier | null }): Promise<GeneratorFid> {
  const ev = options.evaluator ?? null;
  return {
    realGaits: real.N,
    fakeGaits: fake.N,
    affective: spaceFid(real, fake, 'affective', options.seed),
    evaluator: ev ? { ...spaceFid(real, fake, 'evaluator', options.seed, ev), checkpointHash: ev.checkpointHash } : null,
  };
}

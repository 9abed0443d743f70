/**
 * FID of real and generated gaits in a feature space, beside the
 * real-vs-real floor: the 29 affective features, min–max scaled on the real
 * set (model-free: it cannot drift with an evaluator; unscaled, the jerk
 * columns would outweigh everything else), or the penultimate features of a
 * frozen Baseline-STEP evaluator, identified by its checkpoint hash so FIDs
 * are comparable. `fidFromSets` is the one-shot FID of two given sets
 * (`gaitforge fid`); evaluate-generator.ts scores a generator over draws.
 */
import { AFFECTIVE_FID_SMOOTHING_SECONDS, NUM_AFFECTIVE_FEATURES, scaledAffectiveFeatures } from '../core/affective.js';
import { startInference } from '../classifier/inference.js';
import type { Classifier } from '../classifier/model.js';
import { GaitforgeError } from '../core/errors.js';
import { groupedHalves, type GaitSet } from '../core/gaitset.js';
import { FEATURE_SPACES, toFeatureMatrix, type FeatureSpace } from '../eval/features.js';
import { fidBesideFloor, fid } from '../eval/fid.js';
import { resolveThreads } from '../train/parallel.js';
import { checkEvaluatorFits } from './evaluator.js';

export { FEATURE_SPACES, type FeatureSpace } from '../eval/features.js';

export interface SpaceFid {
  space: FeatureSpace;
  /** FID of n generated gaits against a reference of n real gaits (fidBesideFloor). */
  fid: number;
  /** FID of floorN other real gaits against the same reference: the real-vs-real floor. */
  floor: number;
  /** Gaits in the generated set and in the floor set (equal), each against a reference of as many. */
  n: number;
  floorN: number;
  /** Dimension both FIDs were computed in (the features' own, or their reference's top principal components: eval/fid.ts projectedDim). */
  dim: number;
  /** Dimension of the feature space. */
  featureDim: number;
  /** The one ridge added to the covariances of both FIDs (0 when none was needed). */
  ridge: number;
  /** Gaits per label name in each of the three sets (reference, floor, generated: equal). */
  counts: Record<string, number>;
  warnings: string[];
}

type Features = { data: Float64Array | Float32Array; dim: number };

/**
 * Feature rows [N, dim] of a real set and of other sets in a space (the
 * affective space is scaled with the real set's min–max). The evaluator's
 * forward passes run on `threads` threads (src/classifier/inference.ts; the
 * features do not depend on it). Default 1.
 */
export async function featuresOf(real: GaitSet, others: GaitSet[], space: FeatureSpace, evaluator?: Classifier | null, threads = 1): Promise<{ real: Features; others: Features[] }> {
  if (space === 'affective') {
    const s = scaledAffectiveFeatures(real, others, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS });
    const dim = NUM_AFFECTIVE_FEATURES;
    return { real: { data: s.reference, dim }, others: s.others.map((data) => ({ data, dim })) };
  }
  if (!evaluator) throw new GaitforgeError('E_OPTION', "feature space 'evaluator' needs an evaluator model");
  const inf = await startInference(evaluator, threads);
  try {
    const realF = await inf.features(real);
    const othersF: Features[] = [];
    for (const o of others) othersF.push(await inf.features(o));
    return { real: realF, others: othersF };
  } finally {
    await inf.close();
  }
}

/**
 * The label index of every gait of `real` and of `fake` in one list of label
 * names (real's, then any only `fake` has), for fidBesideFloor's label matching.
 */
function sharedLabels(real: GaitSet, fake: GaitSet): { real: Int32Array; fake: Int32Array; names: string[] } {
  const names = [...real.labelNames, ...fake.labelNames.filter((n) => !real.labelNames.includes(n))];
  const map = (s: GaitSet) => Int32Array.from(s.labels, (l) => names.indexOf(s.labelNames[l]!));
  return { real: map(real), fake: map(fake), names };
}

/** Per label name, the gaits of each FID set (labels with none left out). */
export function countsByName(counts: number[] | undefined, names: string[]): Record<string, number> {
  return Object.fromEntries((counts ?? []).flatMap((c, l) => (c > 0 ? [[names[l]!, c]] : [])));
}

/**
 * fidBesideFloor of feature rows of `real` (split into grouped halves of
 * `real`) and of the gaits of `fake`, label-matched.
 */
function spaceFidOf(space: FeatureSpace, real: GaitSet, realF: Features, fake: GaitSet, fakeF: Features, seed: number): SpaceFid {
  const halves = groupedHalves(real, seed);
  const labels = sharedLabels(real, fake);
  const r = fidBesideFloor(realF.data, fakeF.data, { dim: realF.dim, seed, halves, labels });
  return {
    space, fid: r.fid, floor: r.floor, n: r.n, floorN: r.floorN, dim: r.dim, featureDim: r.featureDim, ridge: r.ridge,
    counts: countsByName(r.counts?.reference, labels.names), warnings: [...(halves.warning ? [halves.warning] : []), ...r.warnings],
  };
}

export interface FidFromSetsOptions {
  features: FeatureSpace;
  /** Needed for features = 'evaluator'. */
  evaluator?: Classifier | null;
  /** Names the evaluator in errors. Default 'the evaluator'. */
  evaluatorName?: string;
  /** Seed of the real-vs-real split. */
  seed: number;
  /** Threads of the evaluator's forward passes (wasm/cpu; the features do not depend on it). Default 1. */
  threads?: number;
}

export interface FidFromSetsResult extends SpaceFid {
  realGaits: number;
  fakeGaits: number;
  /**
   * FID of all generated gaits against all real gaits: larger sets, smaller
   * bias, but not comparable with the floor (other sizes); `fid` and
   * `floor` are the pair to read together.
   */
  fidAll: number;
  /** `fidAll` split into ‖μr − μg‖² and the covariance term. */
  meanTerm: number;
  covTerm: number;
  /** Ridge of `fidAll` (0 when none; `ridge` is that of `fid` and `floor`). */
  allRidge: number;
  /** The evaluator's checkpoint hash (features = 'evaluator'), else null. */
  evaluatorHash: string | null;
}

/** Throws E_SHAPE unless two sets can be compared (same T, V and fps). */
export function checkComparable(real: GaitSet, fake: GaitSet): void {
  if (real.T !== fake.T || real.V !== fake.V || real.fps !== fake.fps)
    throw new GaitforgeError(
      'E_SHAPE',
      `the real gaits are [T=${real.T}, V=${real.V}] at ${real.fps} fps but the generated ones [T=${fake.T}, V=${fake.V}] at ${fake.fps} fps: resample one set to the other's shape first`,
    );
}

/**
 * FID of `fake` against `real` in one feature space beside the real-vs-real
 * floor (fidBesideFloor: n generated and n real gaits against the same
 * reference of n real gaits, the real halves grouped so no walker or
 * recording is in both), and over all gaits of both (`fidAll`). Throws
 * E_MODEL when the evaluator does not fit the data.
 */
export async function fidFromSets(real: GaitSet, fake: GaitSet, options: FidFromSetsOptions): Promise<FidFromSetsResult> {
  const threads = resolveThreads(options.threads);
  checkComparable(real, fake);
  if (!FEATURE_SPACES.includes(options.features))
    throw new GaitforgeError('E_OPTION', `feature space ${JSON.stringify(options.features)} is not one of ${FEATURE_SPACES.join(', ')}`);
  const ev = options.features === 'evaluator' ? (options.evaluator ?? null) : null;
  if (options.features === 'evaluator') {
    if (!ev) throw new GaitforgeError('E_OPTION', "feature space 'evaluator' needs an evaluator model");
    const name = options.evaluatorName ?? 'the evaluator';
    checkEvaluatorFits(ev, real, name, 'the real set');
    checkEvaluatorFits(ev, fake, name, 'the generated set');
  }
  const f = await featuresOf(real, [fake], options.features, ev, threads);
  const a = toFeatureMatrix(f.real.data, f.real.dim, 'real features');
  const b = toFeatureMatrix(f.others[0]!.data, f.real.dim, 'generated features');
  if (a.n < 4 || b.n < 2) throw new GaitforgeError('E_SHAPE', `FID needs at least 4 real and 2 generated gaits, got ${a.n} and ${b.n}`);
  const r = spaceFidOf(options.features, real, { data: a.data, dim: a.d }, fake, { data: b.data, dim: b.d }, options.seed);
  const all = fid(a, b);
  return {
    ...r, ridge: r.ridge, warnings: [...r.warnings, ...all.warnings.map((w) => `all gaits: ${w}`)],
    realGaits: a.n, fakeGaits: b.n, fidAll: all.fid, meanTerm: all.meanTerm, covTerm: all.covTerm, allRidge: all.ridge,
    evaluatorHash: ev?.checkpointHash ?? null,
  };
}

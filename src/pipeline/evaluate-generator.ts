/**
 * Generator evaluation that needs trained models: FID between real and
 * generated gaits in two feature spaces, each next to its real-vs-real floor:
 *  - 'affective': the 29 affective features, min–max scaled on the real set
 *    (model-free: cannot drift with an evaluator; unscaled, the jerk columns
 *    would outweigh everything else);
 *  - 'evaluator': the penultimate features of a frozen Baseline-STEP trained
 *    on real data only, identified by its checkpoint hash so FIDs are comparable.
 *
 * `evaluateGenerator` runs the whole suite (FID in both spaces with the floor,
 * Diversity, MultiModality, the evaluator's recognition accuracy on generated
 * gaits, memorisation, physical plausibility) over R independent draws and
 * reports each metric as mean ± 95% CI. `fidFromSets` is the one-shot FID of
 * two given sets (`gaitforge fid`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AFFECTIVE_FEATURE_NAMES, AFFECTIVE_FID_SMOOTHING_SECONDS, affectiveFeatures, applyMinMax, fitMinMax, NUM_AFFECTIVE_FEATURES, scaledAffectiveFeatures,
} from '../classifier/affective.js';
import { alignLabels } from '../classifier/evaluate.js';
import { argmaxRows } from '../classifier/metrics.js';
import { startInference, type ClassifierInference } from '../classifier/inference.js';
import { loadClassifier, type Classifier } from '../classifier/model.js';
import { resolveThreads } from '../train/parallel.js';
import { GaitforgeError } from '../core/errors.js';
import { checkHeldOut, GaitSet, type ResolvedGrouping } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { gaitSetsHash } from '../core/hash.js';
import { diversity, multimodality } from '../eval/diversity.js';
import { selectRows, toFeatureMatrix, type FeatureMatrix } from '../eval/features.js';
import { fidBesideFloor, fid, type FidBesideFloor } from '../eval/fid.js';
import { memorisation } from '../eval/memorisation.js';
import { plausibility, type PlausibilitySummary } from '../eval/plausibility.js';
import { formatCI, meanCI, type MeanCI } from '../eval/stats.js';
import { canonicalizeAll } from '../generator/normalize.js';
import { checkPriorKind, type LatentPriorKind } from '../generator/latent.js';
import { checkCounts, LoadedGenerator, startSampler, type SampleSource, type Sampler } from '../generator/sample.js';
import { motionStats, stepFrequency } from '../generator/quality.js';

export type FeatureSpace = 'affective' | 'evaluator';
export const FEATURE_SPACES: readonly FeatureSpace[] = ['evaluator', 'affective'];

export interface SpaceFid {
  space: FeatureSpace;
  /** FID of n generated gaits against a reference of n real gaits (fidBesideFloor). */
  fid: number;
  /** FID of floorN other real gaits against the same reference: the real-vs-real floor. */
  floor: number;
  /** Gaits in the generated set and in the floor set (equal), each against a reference of as many. */
  n: number;
  floorN: number;
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
  /**
   * The evaluator's accuracy on the generated gaits (truth: the label they
   * were sampled for) and on the real gaits, and their ratio (null when it
   * recognises no real gait); null without an evaluator.
   */
  recognition: { generated: number; real: number; ratio: number | null } | null;
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
 * Row indices of two halves of `set`, stratified by label, grouped
 * (GaitSet.grouping: identity, else recording, else gait) and seeded, so no
 * walker or recording is in both halves: the reference and the floor set of
 * fidBesideFloor. When the set holds too few groups for two halves of at
 * least 2 gaits (e.g. a test split of one walker), the next finer grouping
 * is used and `warning` says so: such a floor is optimistic (lower), since
 * the halves share a walker.
 */
export function groupedHalves(set: GaitSet, seed: number): { reference: Int32Array; floor: Int32Array; groupedBy: string; warning: string | null } {
  const first = set.grouping();
  // coarsest first: a walker (or walker-or-recording) grouping falls back to recordings, then to gaits
  const order: ResolvedGrouping[] = [first, ...(first !== 'recording' && first !== 'gait' && set.recording.some((x) => x != null) ? ['recording' as const] : []), ...(first !== 'gait' ? ['gait' as const] : [])];
  const units = (g: ResolvedGrouping) => (g === 'identity' ? 'walkers' : g === 'recording' ? 'recordings' : 'walkers or recordings');
  for (const g of order) {
    const [a, b] = set.splitIndices([0.5, 0.5], seed, { groupBy: g });
    if (a!.length >= 2 && b!.length >= 2 || g === 'gait')
      return {
        reference: Int32Array.from(a!), floor: Int32Array.from(b!), groupedBy: g,
        warning: g === first ? null : `the ${set.N} real gaits hold too few ${units(first)} for two halves grouped by ${first}: the floor's halves are grouped by ${g} and share ${units(first)}, so the floor is lower than it should be`,
      };
  }
  throw new Error('unreachable: gait-by-gait halves always exist');
}

/** FID of `fake` against `real` in one space beside the real-vs-real floor (fidBesideFloor over grouped halves of `real`). */
export async function spaceFid(real: GaitSet, fake: GaitSet, space: FeatureSpace, seed: number, evaluator?: Classifier | null, threads = 1): Promise<SpaceFid> {
  const f = await featuresOf(real, [fake], space, evaluator, threads);
  return fidOfFeatures(real, f.real.data, f.others[0]!.data, f.real.dim, space, seed);
}

/** fidBesideFloor of feature rows of `real` and of generated gaits, the real rows split into grouped halves of `real`. */
function fidOfFeatures(real: GaitSet, realF: Features['data'], fakeF: Features['data'], dim: number, space: FeatureSpace, seed: number): SpaceFid {
  const halves = groupedHalves(real, seed);
  const r = fidBesideFloor(realF, fakeF, { dim, seed, halves });
  return { space, fid: r.fid, floor: r.floor, n: r.n, floorN: r.floorN, ridge: r.ridge, warnings: [...(halves.warning ? [halves.warning] : []), ...r.warnings], dim };
}

/**
 * FID in the affective space and, with an evaluator, in its feature space
 * (its forward passes on `threads` threads, default 1), with the
 * evaluator's recognition of the generated gaits beside its accuracy on
 * the real ones (from the same forward passes).
 */
export async function generatorFid(real: GaitSet, fake: GaitSet, options: { seed: number; evaluator?: Classifier | null; threads?: number }): Promise<GeneratorFid> {
  const ev = options.evaluator ?? null;
  let evaluator: GeneratorFid['evaluator'] = null;
  let recognition: GeneratorFid['recognition'] = null;
  if (ev) {
    const inf = await startInference(ev, options.threads ?? 1);
    try {
      const r = await evaluatorPass(inf, real, 'real evaluator features');
      const g = await evaluatorPass(inf, fake, 'generated evaluator features');
      evaluator = { ...fidOfFeatures(real, r.features.data, g.features.data, r.features.d, 'evaluator', options.seed), checkpointHash: ev.checkpointHash };
      recognition = { generated: g.accuracy, real: r.accuracy, ratio: r.accuracy > 0 ? g.accuracy / r.accuracy : null };
    } finally {
      await inf.close();
    }
  }
  return { realGaits: real.N, fakeGaits: fake.N, affective: await spaceFid(real, fake, 'affective', options.seed), evaluator, recognition };
}

// ---------------------------------------------------------------------------
// The shipped evaluator

/**
 * The folder of the evaluator shipped with gaitforge (samples/evaluator): a
 * Baseline-STEP trained on real procedural gaits only (T = 75, V = 16,
 * angry / neutral / happy / sad). Found next to the package root from src/
 * and from dist/src/; null when the package was installed without samples.
 */
export function defaultEvaluatorDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = path.resolve(here, up, 'samples', 'evaluator');
    if (existsSync(path.join(dir, 'model.json'))) return dir;
  }
  return null;
}

/**
 * Loads an evaluator: the classifier in `dir`, or the shipped one when `dir`
 * is absent. Returns it with the name used in messages and outputs. The
 * caller disposes it.
 */
export async function loadEvaluator(dir?: string): Promise<{ evaluator: Classifier; name: string; dir: string }> {
  if (dir !== undefined) return { evaluator: await loadClassifier(dir), name: `the evaluator in ${dir}`, dir };
  const d = defaultEvaluatorDir();
  if (!d) throw new GaitforgeError('E_MODEL', 'the default evaluator (samples/evaluator) is not installed; pass an evaluator directory or use the affective feature space');
  return { evaluator: await loadClassifier(d), name: 'the default evaluator', dir: d };
}

/**
 * Throws E_MODEL when `evaluator` cannot embed `set` meaningfully: other frame
 * or joint counts, or labels it was not trained on. `which` names the
 * evaluator in the message ("the default evaluator", a directory...).
 */
export function checkEvaluatorFits(evaluator: Classifier, set: GaitSet, which: string, setName = 'the real set'): void {
  const m = evaluator.meta;
  const problems: string[] = [];
  if (set.T !== m.T || set.V !== m.V) problems.push(`T = ${set.T}, V = ${set.V}`);
  const used = set.labelNames.filter((_, l) => set.labels.includes(l));
  const unknown = used.filter((n) => !evaluator.labelNames.includes(n));
  if (unknown.length) problems.push(`label${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that it does not know`);
  if (problems.length === 0) return;
  throw new GaitforgeError(
    'E_MODEL',
    `${which} (Baseline-STEP ${evaluator.checkpointHash}) was trained on gaits of T = ${m.T}, V = ${m.V} labelled ${evaluator.labelNames.join(', ')}, ` +
      `but the gaits of ${setName} have ${problems.join(' and ')}, so its features say nothing about this data: ` +
      `use the affective feature space (--features affective) or an evaluator trained on data like yours (--evaluator DIR)`,
  );
}

/**
 * Evaluator-space pass over `set`: penultimate features [N, dim] and the
 * evaluator's accuracy against the set's labels (matched by name), from one
 * forward pass.
 */
async function evaluatorPass(inf: ClassifierInference, set: GaitSet, what: string): Promise<{ features: FeatureMatrix; accuracy: number }> {
  const evaluator = inf.classifier;
  const aligned = alignLabels(set, evaluator.labelNames);
  const r = await inf.forward(aligned);
  const predicted = argmaxRows(r.logits, evaluator.labelNames.length);
  let hits = 0;
  for (let i = 0; i < set.N; i++) if (predicted[i] === aligned.labels[i]) hits++;
  return { features: toFeatureMatrix(r.features, r.featureDim, what), accuracy: hits / set.N };
}

// ---------------------------------------------------------------------------
// fid: one-shot FID of two given sets

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
  const halves = groupedHalves(real, options.seed);
  const r = fidBesideFloor(a, b, { seed: options.seed, halves });
  const all = fid(a, b);
  return {
    space: options.features, fid: r.fid, floor: r.floor, n: r.n, floorN: r.floorN, ridge: Math.max(all.ridge, r.ridge), dim: a.d,
    warnings: [...(halves.warning ? [halves.warning] : []), ...r.warnings, ...all.warnings.map((w) => `all gaits: ${w}`)],
    realGaits: a.n, fakeGaits: b.n, fidAll: all.fid, meanTerm: all.meanTerm, covTerm: all.covTerm,
    evaluatorHash: ev?.checkpointHash ?? null,
  };
}

// ---------------------------------------------------------------------------
// evaluateGenerator: the whole suite over R draws

export interface EvaluateGeneratorOptions {
  seed: number;
  /**
   * Generated gaits per label in each draw. Default: as many per label as the
   * held-out half of the real set has, so generated and real gaits are
   * compared with the reference half at equal sizes.
   */
  perLabel?: number;
  /** Independent draws. Default 10. */
  repeats?: number;
  /** Latent temperature. Default 1. */
  temperature?: number;
  /** The latent prior samples are drawn from (SampleOptions.prior). Default: the generator's config prior. */
  prior?: LatentPriorKind;
  /** Frozen evaluator for the evaluator space and recognition accuracy; null/absent = affective space only. */
  evaluator?: Classifier | null;
  /** Names the evaluator in errors. Default 'the evaluator'. */
  evaluatorName?: string;
  /** The generator's training gaits: enables the memorisation check (real = held-out gaits). */
  train?: GaitSet;
  /** Threads decoding the generated gaits and running the evaluator's forward passes (wasm/cpu; the results do not depend on it). Default 1. */
  threads?: number;
  progress?: Progress;
}

/** A metric of the generated gaits next to the same metric of real gaits, each mean ± CI over the draws. */
export interface PairedMetric {
  generated: MeanCI;
  real: MeanCI;
}

export interface FidSummary {
  /** FID(reference, generated) over the draws (fidBesideFloor). */
  fid: MeanCI;
  /** FID(reference, held-out real gaits): the real-vs-real floor. */
  floor: MeanCI;
  /** Generated gaits and floor gaits per draw (equal), each against a reference of as many. */
  n: number;
  floorN: number;
  /** Per-draw values, in draw order. */
  values: number[];
  floorValues: number[];
  dim: number;
  /** Draws (of R) whose FID or floor added a ridge because a covariance was singular, and the largest ridge. */
  ridgeUses: number;
  maxRidge: number;
  /** Distinct warnings of the FID computations (with the draw they first came from). */
  warnings: string[];
}

export interface SpaceSuite {
  fid: FidSummary;
  diversity: PairedMetric;
  /** Mean over labels; per label name as well. */
  multimodality: PairedMetric & { perLabel: Record<string, { generated: MeanCI | null; real: MeanCI | null }> };
}

export interface PlausibilityMeans {
  boneCv: number;
  maxBoneCv: number;
  footSkate: number;
  jerk: number;
  flaggedFraction: number;
}

export interface GeneratorEvaluation {
  generator: { name: string; tag: string; checkpointHash: string };
  evaluator: { checkpointHash: string; kind: string; labelNames: string[]; dim: number; realAccuracy: number } | null;
  seed: number;
  repeats: number;
  temperature: number;
  /** The latent prior of the draws; null for a source without one (copySource). */
  prior: LatentPriorKind | null;
  realGaits: number;
  /** Real gaits in the reference half and in the held-out half of each draw. */
  referenceGaits: number;
  heldOutHalfGaits: number;
  generatedPerDraw: number;
  /** Generated gaits per label in each draw. */
  counts: Record<string, number>;
  trainGaits: number | null;
  affective: SpaceSuite;
  evaluatorSpace: SpaceSuite | null;
  /**
   * The evaluator's accuracy on generated gaits (their conditioning label as
   * truth), its accuracy on the whole real set (also `evaluator.realAccuracy`),
   * and the recognition ratio: generated accuracy over real accuracy per draw
   * (1: generated gaits carry their label as often as real ones).
   */
  recognition: { generated: MeanCI; real: number; ratio: MeanCI } | null;
  memorisation: {
    closeFraction: MeanCI;
    expectedFraction: number;
    medianRatio: MeanCI;
    /** Median nearest-training distance (m) of generated gaits; the held-out real gaits' median in `heldOutMedian`. */
    generatedMedian: MeanCI;
    heldOutMedian: number;
    threshold: number;
    exactCopies: number;
    flaggedDraws: number;
    /** The verdict of the first flagged draw, or of the first draw when none is. */
    reason: string;
  } | null;
  plausibility: {
    real: PlausibilityMeans;
    generated: { [K in keyof PlausibilityMeans]: MeanCI };
    /** generated / real per draw, mean ± CI. */
    ratio: { boneCv: MeanCI; footSkate: MeanCI; jerk: MeanCI };
  };
  /**
   * How the gaits move, generated beside real (all of the real set):
   * limb speed (m/s, non-root joints relative to the root; generator/quality
   * `motionStats`) and step frequency (steps/s, two per gait cycle;
   * `stepFrequency`), each generated mean ± CI over the draws and the ratio
   * generated / real per draw. Step frequency needs clips holding a whole
   * gait cycle: it is null (with `stepFrequencyGaits` 0) when no real or no
   * generated gait does.
   */
  motion: {
    real: { limbSpeed: number; stepFrequency: number | null };
    generated: { limbSpeed: MeanCI; stepFrequency: MeanCI | null };
    ratio: { limbSpeed: MeanCI; stepFrequency: MeanCI | null };
    /** Real gaits, and generated gaits in the last draw, whose step frequency could be measured. */
    stepFrequencyGaits: { real: number; generated: number };
  };
  warnings: string[];
  seconds: number;
}

/** A copy of `set` in the generator's canonical view: root starting above the origin, walking towards +Z. */
function canonicalView(set: GaitSet): GaitSet {
  return new GaitSet({ ...set, positions: canonicalizeAll(set.positions, set.T, set.V) }, { validateValues: false });
}

function plausibilityMeans(s: PlausibilitySummary): PlausibilityMeans {
  return { boneCv: s.boneCv.mean, maxBoneCv: s.maxBoneCv.mean, footSkate: s.footSkate.mean, jerk: s.jerk.mean, flaggedFraction: s.flaggedFraction };
}

/**
 * Row indices of two halves of `set`, stratified by label, grouped
 * (GaitSet.grouping: identity, else recording, else gait) and seeded, so no
 * walker or recording is in both halves.
 */
function stratifiedHalves(set: GaitSet, seed: number): { ref: Int32Array; held: Int32Array; warning: string | null } {
  const h = groupedHalves(set, seed);
  return { ref: h.reference, held: h.floor, warning: h.warning };
}

/** Per-draw accumulators of one feature space. */
class SpaceAccumulator {
  readonly fid: number[] = [];
  readonly floor: number[] = [];
  readonly divG: number[] = [];
  readonly divR: number[] = [];
  readonly mmG: number[] = [];
  readonly mmR: number[] = [];
  readonly mmLabelG: number[][];
  readonly mmLabelR: number[][];
  ridgeUses = 0;
  maxRidge = 0;
  /** Gaits in each FID set of the last draw (generated, floor, reference). */
  n = 0;
  /** First text of each kind of FID warning (numbers masked in the key: ridge sizes differ between draws). */
  private readonly warnings = new Map<string, string>();

  constructor(readonly dim: number, readonly labelNames: string[]) {
    this.mmLabelG = labelNames.map(() => []);
    this.mmLabelR = labelNames.map(() => []);
  }

  /** Adds draw `draw`: real features split into the reference and held-out rows, and the generated gaits' features. */
  add(draw: number, seed: number, real: FeatureMatrix, ref: Int32Array, held: Int32Array, realLabels: Int32Array, fake: FeatureMatrix, fakeLabels: Int32Array): void {
    const b = selectRows(real, held);
    const r = fidBesideFloor(real, fake, { seed, halves: { reference: ref, floor: held } });
    this.fid.push(r.fid);
    this.floor.push(r.floor);
    this.n = r.n;
    this.note(draw, r);
    this.divG.push(diversity(fake, { seed }));
    this.divR.push(diversity(b, { seed }));
    const opts = { seed, numLabels: this.labelNames.length, labelNames: this.labelNames };
    const mg = multimodality(fake, fakeLabels, opts);
    const mr = multimodality(b, Int32Array.from(held, (i) => realLabels[i]!), opts);
    this.mmG.push(mg.mean);
    this.mmR.push(mr.mean);
    mg.perLabel.forEach((v, l) => v !== null && this.mmLabelG[l]!.push(v));
    mr.perLabel.forEach((v, l) => v !== null && this.mmLabelR[l]!.push(v));
  }

  private note(draw: number, r: FidBesideFloor): void {
    if (r.ridge > 0) {
      this.ridgeUses++;
      this.maxRidge = Math.max(this.maxRidge, r.ridge);
    }
    for (const w of r.warnings) {
      const key = w.replace(/[-+]?\d+(\.\d+)?(e[-+]?\d+)?/g, '#');
      if (!this.warnings.has(key)) this.warnings.set(key, `draw ${draw}: ${w}`);
    }
  }

  summary(): SpaceSuite {
    const ci = (v: number[]) => (v.length ? meanCI(v) : null);
    return {
      fid: {
        fid: meanCI(this.fid), floor: meanCI(this.floor), n: this.n, floorN: this.n, values: this.fid, floorValues: this.floor, dim: this.dim,
        ridgeUses: this.ridgeUses, maxRidge: this.maxRidge, warnings: [...this.warnings.values()],
      },
      diversity: { generated: meanCI(this.divG), real: meanCI(this.divR) },
      multimodality: {
        generated: meanCI(this.mmG), real: meanCI(this.mmR),
        perLabel: Object.fromEntries(this.labelNames.map((n, l) => [n, { generated: ci(this.mmLabelG[l]!), real: ci(this.mmLabelR[l]!) }])),
      },
    };
  }
}

/**
 * The metric suite of a conditional generator against held-out real gaits
 * `real` (gaits the generator did not train on), over R independent draws.
 *
 * Draw r (seed derived from `seed` and r) splits `real` into two halves
 * stratified by label: the reference half A and the held-out half B. The
 * generator samples as many gaits per label as B has (or `perLabel`), with
 * the draw's seed. Then, in each feature space (the 29 affective features
 * min–max scaled on all of `real`; the evaluator's penultimate features):
 * FID(A, generated) and the floor FID(A, B) — same reference, same sizes —,
 * Diversity and MultiModality of the generated gaits and of B. With an
 * evaluator: its accuracy on the generated gaits (truth = the label they
 * were sampled for). With `train`: memorisation (nearest-training distances
 * of the generated gaits against those of all of `real`, every set in the
 * canonical view, since generated gaits come out canonical and real ones
 * have any heading). Physical plausibility of the generated gaits against
 * all of `real`. Each metric is mean ± 95% CI over the draws.
 *
 * Throws E_MODEL when the evaluator does not fit `real`, E_LABEL when
 * `real` has a label the generator cannot sample, E_SHAPE on mismatched
 * shapes. Leaves no tensors behind; the caller keeps ownership of the
 * generator and the evaluator.
 */
export async function evaluateGenerator(generator: SampleSource, real: GaitSet, options: EvaluateGeneratorOptions): Promise<GeneratorEvaluation> {
  const t0 = performance.now();
  const { seed } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GaitforgeError('E_OPTION', `seed = ${seed}: expected a non-negative integer`);
  const R = options.repeats ?? 10;
  if (!Number.isInteger(R) || R < 1 || R > 1000) throw new GaitforgeError('E_OPTION', `repeats = ${R}: expected an integer in [1, 1000]`);
  const temperature = options.temperature ?? 1;
  // a control without a latent prior (copySource) has none to report
  const prior = generator instanceof LoadedGenerator ? generator.resolvePrior(options.prior) : options.prior === undefined ? null : checkPriorKind(options.prior);
  if (options.perLabel !== undefined && (!Number.isInteger(options.perLabel) || options.perLabel < 2 || options.perLabel > 100_000))
    throw new GaitforgeError('E_OPTION', `perLabel = ${options.perLabel}: expected an integer in [2, 100000]`);
  const progress = options.progress ?? silentProgress;
  const ev = options.evaluator ?? null;
  const train = options.train ?? null;
  const threads = resolveThreads(options.threads);

  if (generator.identityNames.length > 0)
    throw new GaitforgeError('E_MODEL', `generator ${generator.name} is conditioned on identity as well as label; evaluate-generator samples by label only (docs/identity.md measures identity-conditioned samples)`);
  if (real.T !== generator.T || real.V !== generator.V || real.fps !== generator.fps)
    throw new GaitforgeError(
      'E_SHAPE',
      `the generator makes gaits of T = ${generator.T}, V = ${generator.V} at ${generator.fps} fps; the real set has T = ${real.T}, V = ${real.V} at ${real.fps} fps`,
    );
  const byLabel = real.indicesByLabel();
  const present = real.labelNames.filter((_, l) => byLabel[l]!.length > 0);
  for (const n of present)
    if (!generator.labelNames.includes(n))
      throw new GaitforgeError('E_LABEL', `the real set has label ${JSON.stringify(n)}, which the generator cannot sample (its labels: ${generator.labelNames.join(', ')})`);
  for (const n of present)
    if (byLabel[real.labelId(n)]!.length < 4)
      throw new GaitforgeError('E_SHAPE', `label ${JSON.stringify(n)} has ${byLabel[real.labelId(n)]!.length} real gaits; each label needs at least 4 (2 in each half of a draw)`);
  if (ev) checkEvaluatorFits(ev, real, options.evaluatorName ?? 'the evaluator');
  const warnings: string[] = [];
  if (train) {
    if (train.T !== real.T || train.V !== real.V)
      throw new GaitforgeError('E_SHAPE', `the training gaits are [T=${train.T}, V=${train.V}] but the real gaits [T=${real.T}, V=${real.V}]`);
    // memorisation compares distances to training gaits with those of held-out ones: a real gait that shares a walker or a recording with them is not held out
    checkHeldOut(train, 'the training set', real, 'the real gaits', 'the real gaits must be held out (the memorisation check compares generated gaits with them)');
  }

  const inf = ev ? await startInference(ev, threads) : null;
  let sampler: Sampler | null = null;
  try {
    sampler = await startSampler(generator, threads);
    progress.start('evaluate generator', R + 1);
    // ---- real-set quantities, computed once
    const affRaw = affectiveFeatures(real, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS });
    const scaler = fitMinMax(affRaw, real.N, NUM_AFFECTIVE_FEATURES, AFFECTIVE_FEATURE_NAMES);
    const realAff = toFeatureMatrix(applyMinMax(scaler, affRaw), NUM_AFFECTIVE_FEATURES, 'real affective features');
    let realEv: FeatureMatrix | null = null;
    let realAccuracy = 0;
    if (ev) {
      const p = await evaluatorPass(inf!, real, 'real evaluator features');
      realEv = p.features;
      realAccuracy = p.accuracy;
    }
    const realPlaus = plausibilityMeans(plausibility(real).summary);
    const realLimb = motionStats(real).limbSpeed;
    const realSteps = stepFrequency(real);
    const trainCanon = train ? canonicalView(train) : null;
    const realCanon = train ? canonicalView(real) : null;
    progress.update(1);

    const labelNames = real.labelNames;
    const affAcc = new SpaceAccumulator(NUM_AFFECTIVE_FEATURES, labelNames);
    const evAcc = realEv ? new SpaceAccumulator(realEv.d, labelNames) : null;
    const recog: number[] = [];
    const mem = { close: [] as number[], ratio: [] as number[], genMedian: [] as number[], exact: 0, flagged: 0, reason: '', heldOutMedian: 0, threshold: 0, expected: 0 };
    const plaus = { boneCv: [] as number[], maxBoneCv: [] as number[], footSkate: [] as number[], jerk: [] as number[], flaggedFraction: [] as number[] };
    const ratio = { boneCv: [] as number[], footSkate: [] as number[], jerk: [] as number[] };
    const motion = { limb: [] as number[], steps: [] as number[], limbRatio: [] as number[], stepsRatio: [] as number[], stepGaits: 0 };
    let counts: Record<string, number> = {};
    let refSize = 0;
    let heldSize = 0;
    let generatedPerDraw = 0;

    for (let r = 0; r < R; r++) {
      const s = deriveSeed(seed, `evaluate-generator/draw/${r}`);
      const { ref, held, warning } = stratifiedHalves(real, s);
      if (warning && !warnings.includes(warning)) warnings.push(warning);
      refSize = ref.length;
      heldSize = held.length;
      counts = {};
      for (const n of present) {
        const l = real.labelId(n);
        counts[n] = options.perLabel ?? held.filter((i) => real.labels[i] === l).length;
      }
      const fake = (await sampler.sample(counts, { seed: s, temperature, ...(prior ? { prior } : {}) })).withLabelNames(labelNames);
      generatedPerDraw = fake.N;

      const fakeAff = toFeatureMatrix(applyMinMax(scaler, affectiveFeatures(fake, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS })), NUM_AFFECTIVE_FEATURES, 'generated affective features');
      affAcc.add(r, s, realAff, ref, held, real.labels, fakeAff, fake.labels);
      if (ev && evAcc && realEv) {
        const p = await evaluatorPass(inf!, fake, 'generated evaluator features');
        evAcc.add(r, s, realEv, ref, held, real.labels, p.features, fake.labels);
        recog.push(p.accuracy);
      }
      if (trainCanon && realCanon) {
        const m = memorisation(trainCanon, canonicalView(fake), realCanon);
        mem.close.push(m.closeFraction);
        mem.ratio.push(m.medianRatio);
        mem.genMedian.push(m.generated.median);
        mem.exact += m.exactCopies;
        // the held-out distances, τ and the expected fraction do not depend on the draw
        mem.heldOutMedian = m.heldOut.median;
        mem.threshold = m.threshold;
        mem.expected = m.expectedFraction;
        if (r === 0) {
          mem.reason = `draw 0: ${m.reason}`;
          warnings.push(...m.warnings);
        }
        if (m.flagged && mem.flagged++ === 0) mem.reason = `draw ${r}: ${m.reason}`;
      }
      const g = plausibilityMeans(plausibility(fake).summary);
      for (const k of Object.keys(plaus) as (keyof PlausibilityMeans)[]) plaus[k].push(g[k]);
      for (const k of Object.keys(ratio) as (keyof typeof ratio)[]) ratio[k].push(realPlaus[k] > 0 ? g[k] / realPlaus[k] : g[k] > 0 ? Infinity : 1);
      const limb = motionStats(fake).limbSpeed;
      motion.limb.push(limb);
      motion.limbRatio.push(realLimb > 0 ? limb / realLimb : limb > 0 ? Infinity : 1);
      const steps = stepFrequency(fake);
      motion.stepGaits = steps.gaits;
      if (steps.gaits > 0 && realSteps.gaits > 0) {
        motion.steps.push(steps.frequency);
        motion.stepsRatio.push(steps.frequency / realSteps.frequency);
      }
      progress.update(r + 2, { fid_affective: affAcc.fid[r]!, floor: affAcc.floor[r]! });
    }
    progress.stop();

    const affective = affAcc.summary();
    const evaluatorSpace = evAcc?.summary() ?? null;
    for (const [name, sp] of [['affective', affective], ['evaluator', evaluatorSpace]] as const)
      if (sp && sp.fid.ridgeUses > 0)
        warnings.push(`${name} space: ${sp.fid.ridgeUses} of ${R} draws had a singular covariance in the FID or its floor and added a ridge of at most ${sp.fid.maxRidge.toExponential(2)} (why: below)`);
    const finiteCI = (v: number[], what: string) => {
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new GaitforgeError('E_VALUE', `${what} is ${v[bad]} in draw ${bad}: the real set's mean is 0`);
      return meanCI(v);
    };
    return {
      generator: { name: generator.name, tag: generator.tag, checkpointHash: generator.checkpointHash },
      evaluator: ev && realEv ? { checkpointHash: ev.checkpointHash, kind: ev.kind, labelNames: [...ev.labelNames], dim: realEv.d, realAccuracy } : null,
      seed, repeats: R, temperature, prior, realGaits: real.N, referenceGaits: refSize, heldOutHalfGaits: heldSize, generatedPerDraw, counts,
      trainGaits: train?.N ?? null,
      affective, evaluatorSpace,
      recognition: ev ? { generated: meanCI(recog), real: realAccuracy, ratio: finiteCI(recog.map((a) => a / realAccuracy), 'the recognition ratio (the evaluator recognises no real gait)') } : null,
      memorisation: train
        ? {
            closeFraction: meanCI(mem.close), expectedFraction: mem.expected, medianRatio: meanCI(mem.ratio), generatedMedian: meanCI(mem.genMedian),
            heldOutMedian: mem.heldOutMedian, threshold: mem.threshold, exactCopies: mem.exact, flaggedDraws: mem.flagged, reason: mem.reason,
          }
        : null,
      plausibility: {
        real: realPlaus,
        generated: {
          boneCv: meanCI(plaus.boneCv), maxBoneCv: meanCI(plaus.maxBoneCv), footSkate: meanCI(plaus.footSkate), jerk: meanCI(plaus.jerk),
          flaggedFraction: meanCI(plaus.flaggedFraction),
        },
        ratio: { boneCv: finiteCI(ratio.boneCv, 'bone-length CV ratio'), footSkate: finiteCI(ratio.footSkate, 'foot-skate ratio'), jerk: finiteCI(ratio.jerk, 'jerk ratio') },
      },
      motion: {
        real: { limbSpeed: realLimb, stepFrequency: realSteps.gaits > 0 ? realSteps.frequency : null },
        generated: { limbSpeed: meanCI(motion.limb), stepFrequency: motion.steps.length ? meanCI(motion.steps) : null },
        ratio: { limbSpeed: finiteCI(motion.limbRatio, 'limb-speed ratio'), stepFrequency: motion.stepsRatio.length ? meanCI(motion.stepsRatio) : null },
        stepFrequencyGaits: { real: realSteps.gaits, generated: motion.stepGaits },
      },
      warnings: [...warnings, ...affective.fid.warnings.map((w) => `affective space: ${w}`), ...(evaluatorSpace?.fid.warnings.map((w) => `evaluator space: ${w}`) ?? [])],
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await sampler?.close();
    await inf?.close();
  }
}

/**
 * A control for `evaluateGenerator`: a "generator" that copies `set`. Asked
 * for n gaits of a label it returns gaits of that label from `set`, in a
 * seeded order (every gait of the label once before any repeats). Copying
 * the training set must score like real data on every fidelity metric
 * (recognition ratio about 1, FID at the floor, motion equal to the real
 * values) and be caught by the memorisation check: a metric that does not do
 * both cannot tell a generator that learned from one that memorised.
 * Sampling by identity is not supported (E_OPTION); E_LABEL for a label the
 * set has no gaits of.
 */
export function copySource(set: GaitSet, name = 'copy'): SampleSource {
  const byLabel = set.indicesByLabel();
  const hash = gaitSetsHash([set]);
  const tag = `${name}@${hash.slice(0, 12)}`;
  return {
    name, tag, checkpointHash: hash,
    labelNames: [...set.labelNames], identityNames: [],
    T: set.T, V: set.V, fps: set.fps,
    sample(counts, options) {
      if (Array.isArray(counts) || options.identities !== undefined)
        throw new GaitforgeError('E_OPTION', `option identities: ${tag} copies a set by label only`);
      const rows: number[] = [];
      for (const [l, n] of checkCounts(counts, set.labelNames)) {
        const pool = byLabel[l]!;
        if (pool.length === 0) throw new GaitforgeError('E_LABEL', `${tag} has no gaits of label ${JSON.stringify(set.labelNames[l])}`);
        const rng = new Rng(options.seed, `copy/${set.labelNames[l]}`);
        let order: number[] = [];
        for (let k = 0; k < n; k++) {
          if (k % pool.length === 0) order = rng.shuffle([...pool]);
          rows.push(order[k % pool.length]!);
        }
      }
      return set.select(rows);
    },
  };
}

/** Digits after the point that show about three significant digits of x. */
function digitsFor(x: number): number {
  const a = Math.abs(x);
  return a === 0 || !Number.isFinite(a) ? 2 : Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(a))));
}

/** Values this close to 0 (e.g. the bone-length variation of rigid skeletons) are written in exponent form. */
const TINY = 1e-4;

/**
 * "1.23 ± 0.04" (formatCI) with the digits chosen from the mean's magnitude
 * ("3.1e-9 ± 2.0e-10" below 1e-4); `scale` (100 for %) multiplies mean and
 * interval; '—' for null.
 */
export function metricText(c: MeanCI | null, scale = 1): string {
  if (!c) return '—';
  const mean = c.mean * scale;
  const halfWidth = c.halfWidth === null ? null : c.halfWidth * scale;
  if (mean !== 0 && Math.abs(mean) < TINY) return halfWidth === null ? mean.toExponential(1) : `${mean.toExponential(1)} ± ${halfWidth.toExponential(1)}`;
  return formatCI({ ...c, mean, halfWidth }, digitsFor(mean));
}

/** A single value with about three significant digits; `scale` as in `metricText`. */
export function valueText(x: number, scale = 1): string {
  const v = x * scale;
  return v !== 0 && Math.abs(v) < TINY ? v.toExponential(1) : v.toFixed(digitsFor(v));
}

/**
 * One metric of an evaluation: how to read its generated value (mean ± 95%
 * CI over the draws) and its real reference (a value, with or without an
 * interval, and a note such as "(floor)"). The one list of metrics that
 * `evaluate-generator`, the model card and the generator-eval bench print.
 */
export interface EvaluationMetric {
  name: string;
  generated: (e: GeneratorEvaluation) => MeanCI | null;
  real: (e: GeneratorEvaluation) => MeanCI | number | null;
  /** Text after the real value ("(floor)"), or in its place when `real` is null. */
  note?: (e: GeneratorEvaluation) => string;
  /** Multiplies generated and real values (100 for %). */
  scale?: number;
}

/** A draw's mean FID over its mean floor, without an interval of its own. */
function floorRatio(f: FidSummary): MeanCI {
  return { ...f.fid, mean: f.fid.mean / f.floor.mean, halfWidth: null, lo: null, hi: null };
}

/** The metrics `e` has (evaluator-space ones only with an evaluator, memorisation only with --train), in print order. */
export function evaluationMetrics(e: GeneratorEvaluation): EvaluationMetric[] {
  const out: EvaluationMetric[] = [];
  const spaces = [['affective', (x: GeneratorEvaluation) => x.affective], ['evaluator', (x: GeneratorEvaluation) => x.evaluatorSpace!]] as const;
  for (const [name, sp] of spaces) {
    if (!sp(e)) continue;
    out.push({ name: `FID (${name}, ${sp(e).fid.dim}-d)`, generated: (x) => sp(x).fid.fid, real: (x) => sp(x).fid.floor, note: () => '(floor)' });
    out.push({ name: `FID / floor (${name})`, generated: (x) => floorRatio(sp(x).fid), real: () => null, note: () => '1' });
  }
  for (const [name, sp] of spaces) {
    if (!sp(e)) continue;
    out.push({ name: `Diversity (${name})`, generated: (x) => sp(x).diversity.generated, real: (x) => sp(x).diversity.real });
    out.push({ name: `MultiModality (${name})`, generated: (x) => sp(x).multimodality.generated, real: (x) => sp(x).multimodality.real });
  }
  if (e.recognition) {
    out.push({ name: 'Recognition accuracy %', generated: (x) => x.recognition!.generated, real: (x) => x.recognition!.real, note: () => '(all real)', scale: 100 });
    out.push({ name: 'Recognition ratio (generated / real)', generated: (x) => x.recognition!.ratio, real: () => null, note: () => '1 (real)' });
  }
  if (e.memorisation) {
    out.push({ name: 'Memorisation: close to train %', generated: (x) => x.memorisation!.closeFraction, real: (x) => x.memorisation!.expectedFraction, note: () => '(expected)', scale: 100 });
    out.push({ name: 'Memorisation: median NN dist m', generated: (x) => x.memorisation!.generatedMedian, real: (x) => x.memorisation!.heldOutMedian });
  }
  out.push({ name: 'Limb speed m/s', generated: (x) => x.motion.generated.limbSpeed, real: (x) => x.motion.real.limbSpeed });
  out.push({
    name: 'Step frequency steps/s',
    generated: (x) => x.motion.generated.stepFrequency,
    real: (x) => x.motion.real.stepFrequency,
    note: (x) => (x.motion.real.stepFrequency === null ? '— (no full cycle)' : `(${x.motion.stepFrequencyGaits.real} of ${x.realGaits} gaits)`),
  });
  out.push({ name: 'Bone-length CV', generated: (x) => x.plausibility.generated.boneCv, real: (x) => x.plausibility.real.boneCv });
  out.push({ name: 'Foot skating m/s', generated: (x) => x.plausibility.generated.footSkate, real: (x) => x.plausibility.real.footSkate });
  out.push({ name: 'Jerk m/s³', generated: (x) => x.plausibility.generated.jerk, real: (x) => x.plausibility.real.jerk });
  out.push({ name: 'Implausible gaits %', generated: (x) => x.plausibility.generated.flaggedFraction, real: (x) => x.plausibility.real.flaggedFraction, scale: 100 });
  return out;
}

/** The real column's text of `m`: its value (with interval when it has one) and its note. */
export function realText(m: EvaluationMetric, value: MeanCI | number | null, e: GeneratorEvaluation): string {
  const note = m.note?.(e) ?? '';
  if (value === null) return note || '—';
  const v = typeof value === 'number' ? valueText(value, m.scale) : metricText(value, m.scale);
  return note ? `${v} ${note}` : v;
}

/**
 * The evaluation as table rows [metric, generated, real], every metric
 * beside its real value (the floor for FID): what `evaluate-generator`
 * prints and a generator's model card shows.
 */
export function evaluationRows(e: GeneratorEvaluation): string[][] {
  return evaluationMetrics(e).map((m) => [m.name, metricText(m.generated(e), m.scale), realText(m, m.real(e), e)]);
}

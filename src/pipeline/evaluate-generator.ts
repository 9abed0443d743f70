/**
 * The metric suite of a trained generator against held-out real gaits
 * (`evaluateGenerator`): FID in the affective space and in an evaluator's
 * space, each beside its real-vs-real floor (fid-sets.ts), Diversity,
 * MultiModality, the evaluator's recognition ratio and the training-set
 * copy's, memorisation, physical plausibility and motion, over R
 * independent draws, each metric mean ± 95% CI. evaluation-table.ts prints it.
 */
import {
  AFFECTIVE_FEATURE_NAMES, AFFECTIVE_FID_SMOOTHING_SECONDS, affectiveFeatures, applyMinMax, fitMinMax, NUM_AFFECTIVE_FEATURES,
} from '../core/affective.js';
import { alignLabels } from '../classifier/evaluate.js';
import { argmaxRows } from '../classifier/metrics.js';
import { startInference, type ClassifierInference } from '../classifier/inference.js';
import type { Classifier } from '../classifier/model.js';
import { resolveThreads } from '../train/parallel.js';
import { GaitforgeError } from '../core/errors.js';
import { checkHeldOut, GaitSet, groupedHalves } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed, Rng } from '../core/rng.js';
import { gaitSetsHash } from '../core/hash.js';
import { toFeatureMatrix, type FeatureMatrix } from '../eval/features.js';
import { memorisation } from '../eval/memorisation.js';
import { plausibility, type PlausibilitySummary } from '../eval/plausibility.js';
import { meanCI, type MeanCI } from '../eval/stats.js';
import { canonicalizeAll } from '../generator/normalize.js';
import { checkPriorKind, type LatentPriorKind } from '../generator/latent.js';
import { checkCounts, LoadedGenerator, startSampler, type SampleSource, type Sampler } from '../generator/sample.js';
import { FlowGenerator } from '../generator/flow/sample.js';
import { motionStats, stepFrequency } from '../generator/quality.js';
import { checkEvaluatorFits, type EvaluatorFold } from './evaluator.js';
import { SpaceAccumulator, spaceDraw, type SpaceDraw, type SpaceSuite } from './space-metrics.js';

export type { FidSummary, PairedMetric, SpaceSuite } from './space-metrics.js';

/**
 * Evaluator-space pass over `set`: penultimate features [N, dim] and the
 * evaluator's accuracy against the set's labels (matched by name), from one
 * forward pass.
 */async function evaluatorPass(inf: ClassifierInference, set: GaitSet, what: string): Promise<{ features: FeatureMatrix; accuracy: number }> {
  const evaluator = inf.classifier;
  const aligned = alignLabels(set, evaluator.labelNames);
  const r = await inf.forward(aligned);
  const predicted = argmaxRows(r.logits, evaluator.labelNames.length);
  let hits = 0;
  for (let i = 0; i < set.N; i++) if (predicted[i] === aligned.labels[i]) hits++;
  return { features: toFeatureMatrix(r.features, r.featureDim, what), accuracy: hits / set.N };
}

export interface EvaluateGeneratorOptions {
  seed: number;
  /**
   * Generated gaits per label in each draw. Default: as many per label as the
   * held-out half of the real set has, so generated and real gaits are
   * compared with the reference half at equal sizes.
   */
  perLabel?: number;
  /** Generated gaits of each label in each draw (overrides perLabel; e.g. the real set's proportions, `proportionalCounts`). */
  counts?: Record<string, number>;
  /** Independent draws. Default 10. */
  repeats?: number;
  /** STEP-Gen's latent temperature. Default 1. */
  temperature?: number;
  /** STEP-Gen's latent prior samples are drawn from (SampleOptions.prior). Default: the generator's config prior. */
  prior?: LatentPriorKind;
  /** The flow's integration steps (SampleOptions.steps). Default: its config's. */
  steps?: number;
  /** The flow's classifier-free guidance (SampleOptions.guidance). Default: its config's. */
  guidance?: number;
  /**
   * The evaluator space and the recognition ratio; null/absent: the
   * affective space only. Folds (pipeline/evaluator.ts crossFitEvaluators):
   * each evaluator scores the generated gaits and the real rows it never
   * trained on, and the draws average over the folds. A single classifier
   * scores all of the real set (it must not have trained on the generator's
   * training gaits, or the ratio is not anchored at 1: `trainingCopyRatio`
   * shows by how much).
   */
  evaluator?: Classifier | EvaluatorFold[] | null;
  /** Names the evaluator in errors. Default 'the evaluator'. */
  evaluatorName?: string;
  /** The generator's training gaits: enables the memorisation check (real = held-out gaits) and, with an evaluator, the training-set copy's recognition ratio. */
  train?: GaitSet;
  /** Threads decoding the generated gaits and running the evaluator's forward passes (wasm/cpu; the results do not depend on it). Default 1. */
  threads?: number;
  progress?: Progress;
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
  /**
   * The evaluator(s): 'cross-fit' (folds trained on halves of the real set,
   * each scoring the other half) or 'given' (one classifier scoring all of
   * it), each fold's checkpoint, the real gaits it scored and its accuracy there.
   */
  evaluator: {
    scheme: 'cross-fit' | 'given'; kind: string; labelNames: string[]; featureDim: number;
    folds: { checkpointHash: string; scoredGaits: number; realAccuracy: number }[];
  } | null;
  seed: number;
  repeats: number;
  /** STEP-Gen's latent temperature and prior of the draws; null for a family or a source without them (the flow, copySource). */
  temperature: number | null;
  prior: LatentPriorKind | null;
  /** The flow's integration steps and guidance of the draws; null for other families. */
  steps: number | null;
  guidance: number | null;
  realGaits: number;
  /** Real gaits in the reference half and in the held-out half of each draw (the affective space's; an evaluator fold halves the gaits it scores). */
  referenceGaits: number;
  heldOutHalfGaits: number;
  generatedPerDraw: number;
  /** Generated gaits per label in each draw. */
  counts: Record<string, number>;
  trainGaits: number | null;
  affective: SpaceSuite;
  /** The evaluator space, averaged over the folds in every draw. */
  evaluatorSpace: SpaceSuite | null;
  /**
   * The evaluator's accuracy on generated gaits (their conditioning label as
   * truth), on the real gaits it scores, and the recognition ratio:
   * generated accuracy over real accuracy per draw, each averaged over the
   * folds (1: generated gaits carry their label as often as real ones).
   * `trainingCopyRatio`: the generator's training gaits drawn as its samples
   * are (copySource) and scored the same way (needs `train`): an anchored
   * ratio puts it at 1.
   */
  recognition: { generated: MeanCI; real: number; ratio: MeanCI; trainingCopyRatio: MeanCI | null } | null;
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
 * Generated gaits per label name for `total` gaits in the proportions of
 * `set`'s labels (largest remainders; at least 2 of every label it has), so
 * that label-matched FID subsets can be filled.
 */
export function proportionalCounts(set: GaitSet, total: number): Record<string, number> {
  const counts = set.countsByLabel();
  const present = Object.entries(counts).filter(([, c]) => c > 0);
  const exact = present.map(([, c]) => (total * c) / set.N);
  const out = exact.map((x) => Math.floor(x));
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  for (let k = 0; k < total - out.reduce((a, b) => a + b, 0); k++) out[order[k % order.length]![1]]!++;
  return Object.fromEntries(present.map(([n], i) => [n, Math.max(2, out[i]!)]));
}

/** An evaluator fold, ready: its inference handle, the real rows it scores, their features and its accuracy there. */
interface OpenFold {
  fold: EvaluatorFold;
  inf: ClassifierInference;
  sub: GaitSet;
  features: FeatureMatrix;
  accuracy: number;
}

/**
 * The metric suite of a conditional generator against held-out real gaits
 * `real` (gaits the generator did not train on), over R independent draws.
 *
 * Draw r (seed derived from `seed` and r) samples as many gaits per label as
 * half of `real` has (or `counts` / `perLabel`). Affective space (the 29
 * affective features, min–max scaled on all of `real`): `real` splits into
 * grouped halves stratified by label, the reference A and the held-out half
 * B; FID(A, generated) beside the floor FID(A, B), label-matched, same
 * sizes, same dimension (eval/fid.ts fidBesideFloor); Diversity and
 * MultiModality of the generated gaits and of B. Evaluator space, per fold:
 * the same on the real rows the fold's evaluator never trained on, then the
 * mean over the folds; the evaluator's accuracy on the generated gaits
 * (truth = the label they were sampled for) over its accuracy on those real
 * rows is the recognition ratio. With `train`: memorisation (nearest-training
 * distances of the generated gaits against those of all of `real`, in the
 * canonical view), and with an evaluator the training-set copy's ratio.
 * Physical plausibility and motion against all of `real`. Each metric is
 * mean ± 95% CI over the draws.
 *
 * Throws E_MODEL when an evaluator does not fit `real`, E_LABEL when `real`
 * has a label the generator cannot sample, E_SHAPE on mismatched shapes,
 * E_VALUE when `train` shares a gait, walker or recording with `real`.
 * Leaves no tensors behind; the caller keeps ownership of the generator and
 * the evaluators.
 */
export async function evaluateGenerator(generator: SampleSource, real: GaitSet, options: EvaluateGeneratorOptions): Promise<GeneratorEvaluation> {
  const t0 = performance.now();
  const { seed } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GaitforgeError('E_OPTION', `seed = ${seed}: expected a non-negative integer`);
  const R = options.repeats ?? 10;
  if (!Number.isInteger(R) || R < 1 || R > 1000) throw new GaitforgeError('E_OPTION', `repeats = ${R}: expected an integer in [1, 1000]`);
  // each family's own sampling options (its sampler refuses another's); a control such as copySource has none
  const cvae = generator instanceof LoadedGenerator;
  const flow = generator instanceof FlowGenerator;
  const temperature = cvae ? (options.temperature ?? 1) : null;
  const prior = cvae ? generator.resolvePrior(options.prior) : options.prior === undefined ? null : checkPriorKind(options.prior);
  const steps = flow ? (options.steps ?? generator.config.steps) : null;
  const guidance = flow ? (options.guidance ?? generator.config.guidance) : null;
  const familyOptions = {
    ...(temperature !== null ? { temperature } : options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(prior ? { prior } : {}),
    ...(steps !== null ? { steps } : options.steps !== undefined ? { steps: options.steps } : {}),
    ...(guidance !== null ? { guidance } : options.guidance !== undefined ? { guidance: options.guidance } : {}),
  };
  if (options.perLabel !== undefined && (!Number.isInteger(options.perLabel) || options.perLabel < 2 || options.perLabel > 100_000))
    throw new GaitforgeError('E_OPTION', `perLabel = ${options.perLabel}: expected an integer in [2, 100000]`);
  const progress = options.progress ?? silentProgress;
  const given = options.evaluator ?? null;
  const folds: EvaluatorFold[] = given === null ? [] : Array.isArray(given) ? given : [{ classifier: given, scored: Int32Array.from({ length: real.N }, (_, i) => i) }];
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
  if (options.counts) for (const [n, c] of Object.entries(options.counts)) if (!present.includes(n) || !Number.isInteger(c) || c < 2)
    throw new GaitforgeError('E_OPTION', `counts: ${JSON.stringify(n)} = ${c}: expected an integer ≥ 2 for a label of the real set (${present.join(', ')})`);
  for (const [k, f] of folds.entries()) {
    checkEvaluatorFits(f.classifier, real, options.evaluatorName ?? 'the evaluator');
    if (folds.length > 1) {
      const c = real.select(Array.from(f.scored)).countsByLabel();
      const few = present.filter((n) => c[n]! < 4);
      if (few.length) throw new GaitforgeError('E_SHAPE', `evaluator fold ${k + 1} scores ${f.scored.length} real gaits with fewer than 4 of ${few.map((n) => `${n} (${c[n]})`).join(', ')}; each label needs at least 4 (2 in each half of a draw)`);
    }
  }
  const warnings: string[] = [];
  // memorisation compares distances to training gaits with those of held-out ones: a real gait that shares a walker or a recording with them is not held out
  if (train) {
    if (train.T !== real.T || train.V !== real.V)
      throw new GaitforgeError('E_SHAPE', `the training gaits are [T=${train.T}, V=${train.V}] but the real gaits [T=${real.T}, V=${real.V}]`);
    checkHeldOut(train, 'the training set', real, 'the real gaits', 'the real gaits must be held out (the memorisation check compares generated gaits with them)');
  }
  const copy = train && folds.length ? copySource(train, 'training-set copy') : null;

  const open: OpenFold[] = [];
  let sampler: Sampler | null = null;
  try {
    for (const fold of folds) {
      const inf = await startInference(fold.classifier, threads);
      const sub = real.select(Array.from(fold.scored));
      open.push({ fold, inf, sub, ...(await evaluatorPass(inf, sub, 'real evaluator features')) });
    }
    sampler = await startSampler(generator, threads);
    progress.start('evaluate generator', R + 1);
    // ---- real-set quantities, computed once
    const affRaw = affectiveFeatures(real, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS });
    const scaler = fitMinMax(affRaw, real.N, NUM_AFFECTIVE_FEATURES, AFFECTIVE_FEATURE_NAMES);
    const realAff = toFeatureMatrix(applyMinMax(scaler, affRaw), NUM_AFFECTIVE_FEATURES, 'real affective features');
    const realAccuracy = open.length ? open.reduce((a, f) => a + f.accuracy, 0) / open.length : 0;
    const realPlaus = plausibilityMeans(plausibility(real).summary);
    const realLimb = motionStats(real).limbSpeed;
    const realSteps = stepFrequency(real);
    const trainCanon = train ? canonicalView(train) : null;
    const realCanon = train ? canonicalView(real) : null;
    progress.update(1);

    const labelNames = real.labelNames;
    const affAcc = new SpaceAccumulator(NUM_AFFECTIVE_FEATURES, labelNames);
    const evAcc = open.length ? new SpaceAccumulator(open[0]!.features.d, labelNames) : null;
    const recog: number[] = [];
    const copyRatio: number[] = [];
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
      const halves = groupedHalves(real, s);
      refSize = halves.reference.length;
      heldSize = halves.floor.length;
      counts = {};
      for (const n of present) {
        const l = real.labelId(n);
        counts[n] = options.counts?.[n] ?? options.perLabel ?? halves.floor.filter((i) => real.labels[i] === l).length;
      }
      const fake = (await sampler.sample(counts, { seed: s, ...familyOptions })).withLabelNames(labelNames);
      generatedPerDraw = fake.N;

      const fakeAff = toFeatureMatrix(applyMinMax(scaler, affectiveFeatures(fake, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS })), NUM_AFFECTIVE_FEATURES, 'generated affective features');
      affAcc.add(r, [spaceDraw(real, realAff, fakeAff, fake.labels, s, labelNames)]);
      if (evAcc) {
        const draws: SpaceDraw[] = [];
        let acc = 0;
        let copyAcc = 0;
        for (const [k, f] of open.entries()) {
          const p = await evaluatorPass(f.inf, fake, 'generated evaluator features');
          draws.push(spaceDraw(f.sub, f.features, p.features, fake.labels, deriveSeed(s, `fold/${k}`), labelNames));
          acc += p.accuracy / open.length;
          if (copy) copyAcc += (await evaluatorPass(f.inf, copy.sample(counts, { seed: s }).withLabelNames(labelNames), 'training-set copy features')).accuracy / open.length;
        }
        evAcc.add(r, draws);
        recog.push(acc);
        if (copy) copyRatio.push(copyAcc / realAccuracy);
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
        warnings.push(`${name} space: ${sp.fid.ridgeUses} of ${R} draws had a singular covariance in the FID or its floor and added a ridge of at most ${sp.fid.ridge.toExponential(2)} (why: below)`);
    const finiteCI = (v: number[], what: string) => {
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new GaitforgeError('E_VALUE', `${what} is ${v[bad]} in draw ${bad}: the real set's mean is 0`);
      return meanCI(v);
    };
    const recognitionRatio = (v: number[]) => finiteCI(v, 'the recognition ratio (the evaluator recognises no real gait)');
    const c0 = folds[0]?.classifier;
    return {
      generator: { name: generator.name, tag: generator.tag, checkpointHash: generator.checkpointHash },
      evaluator: c0
        ? {
            scheme: Array.isArray(given) ? 'cross-fit' : 'given', kind: c0.kind, labelNames: [...c0.labelNames], featureDim: open[0]!.features.d,
            folds: open.map((f) => ({ checkpointHash: f.fold.classifier.checkpointHash, scoredGaits: f.sub.N, realAccuracy: f.accuracy })),
          }
        : null,
      seed, repeats: R, temperature, prior, steps, guidance, realGaits: real.N, referenceGaits: refSize, heldOutHalfGaits: heldSize, generatedPerDraw, counts,
      trainGaits: train?.N ?? null,
      affective, evaluatorSpace,
      recognition: open.length
        ? { generated: meanCI(recog), real: realAccuracy, ratio: recognitionRatio(recog.map((a) => a / realAccuracy)), trainingCopyRatio: copy ? recognitionRatio(copyRatio) : null }
        : null,
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
    for (const f of open) await f.inf.close();
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

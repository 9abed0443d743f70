/**
 * Are identity-conditioned samples recognised as their identity?
 * (docs/identity.md, "Identity-conditioned generation: measured"). Not a test: trains real models.
 *
 *   npm run bench -- --only identity-generation [--identities 16] [--per-emotion 3] [--frames 32]
 *     [--gen-epochs 25] [--gen-config JSON] [--id-epochs 12] [--id-augment-noise 0] [--per-cell 4] [--noise 0.02] [--temperature 1] [--strength 1] [--seed 1]
 *     [--donors FILE --targets FILE [--max-donors N]] [--identity-model DIR] [--generator DIR] [--evaluator DIR] [--threads 1]
 *     [--feature-model DIR]  (L_id's GaitTAKE model, weight 1 unless --gen-config '{"identityFeatureWeight":W}' says otherwise)
 *
 * The split is the identity ablation's (src/pipeline/ablate-identity.ts, targetFraction 0.5,
 * gallery condition neutral): training holds every walk of the donors and the targets' neutral
 * walks. An identity-conditioned STEP-Gen and a GaitTAKE model (valFraction 0: the last epoch)
 * train on those walks; the generator then makes `per-cell` walks of every target in each
 * emotion it was never recorded in. A generated walk is recognised when its nearest gallery walk
 * (GaitTAKE embedding; the gallery: every identity's real neutral training walks, donors and
 * targets) is of the identity it was asked for. Reported beside it: the same for generated walks
 * of the donors in those emotions (conditions the generator saw them in: a control), the same
 * two drawn from each label's mixture instead of the identity prior (labelPrior*), for the
 * targets' real walks in those emotions (never seen in training: the reference), the chance
 * level, how often each gallery identity was the nearest one for the generated target walks, and
 * the generator's reconstructions of the donors' non-neutral training walks (encoded to their
 * posterior mean, decoded with their own identity, and with another one): does the generator
 * keep who walks in what it was trained on? And whether the generated walks carry their label:
 * two Baseline-STEPs cross-fitted on the targets' real walks in those emotions (halves by walker;
 * `--evaluator DIR` names one model instead), each scoring the walks of the walkers it never
 * trained on, recognise their emotion how often, against those real walks (labelRecognition,
 * the recognition ratio). No evaluator trains on the training walks, whose label means the
 * mean-shift control moves by.
 *
 * Restyling (generator/restyle.ts) is measured beside sampling: each target's real neutral
 * training walks edited into every unrecorded emotion at `--strength` (restyledTargets; at the
 * posterior mean, unshifted, restyledPosteriorTargets), and the
 * same walks unchanged, only relabelled (strength 0, relabelledTargets: what the identity model
 * and the evaluator make of the source walks themselves). A restyled walk carries its source's
 * recording, so it is never matched against the gallery walk it was made from. The control
 * without a generator (meanShiftedTargets): the same walks moved by `--strength` × the
 * difference between the training walks' mean gaits of the new emotion and of neutral
 * (generator/edit.ts, labelMeanShift).
 *
 * With `--donors FILE --targets FILE` the walkers come from two gait files instead: every walk of
 * the donors' walkers (the first `--max-donors` of them, by name) and the targets' neutral walks
 * train the generator; the targets' other walks are the real reference. With `--identity-model DIR`
 * the walks are scored by that trained identity model (e.g. the GaitTAKE model of
 * bench/identity.sh, whose cross-condition rank-1 on unseen walkers is documented) instead of one
 * trained on the generator's split; none of the targets' walks may be one of its training walks.
 * With `--generator DIR` a generator already trained on this split (its data hash is checked) is
 * scored instead of training one (its `modelDir` from an earlier run: `gen/`).
 * One training thread unless `--threads N`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import { GaitSet } from '../src/core/gaitset.js';
import { proceduralDataset } from '../src/core/procedural.js';
import * as tf from '@tensorflow/tfjs';
import { gaitSetsHash } from '../src/core/hash.js';
import { canonicalizeAll, destandardize, labelMeanShift, loadGenerator, readGeneratorManifest, restyle, standardize, trainGenerator, type GeneratorConfig, type SampleCell } from '../src/generator/index.js';
import type { LoadedGenerator } from '../src/generator/sample.js';
import { checkpointDir } from '../src/train/checkpoint.js';
import { conditionTensors, encodePosteriors } from '../src/generator/train.js';
import type { LatentPriorKind } from '../src/generator/latent.js';
import { loadModel } from '../src/nn/serialize.js';
import { gaitHash, loadIdentityModel, trainIdentityModel, type IdentityEmbedder } from '../src/identity/index.js';
import { crossConditionSplit, identificationMetrics, rankedGallery } from '../src/eval/identification.js';
import { identitySplit, type IdentitySplit } from '../src/pipeline/ablation/identity-split.js';
import { readGaitFile } from '../src/io/index.js';
import { resolveAblation } from '../src/pipeline/ablation/config.js';
import { crossFitEvaluators } from '../src/pipeline/evaluator.js';
import { loadClassifier } from '../src/classifier/model.js';
import { evaluateClassifier } from '../src/classifier/evaluate.js';
import { jsonOption, option, type BenchArgs, type BenchSection } from './common.js';

interface Options {
  identities: number; perEmotion: number; frames: number; genEpochs: number; idEpochs: number; idAugmentNoise: number;
  perCell: number; noise: number; temperature: number; strength: number; seed: number; threads: number;
  donors: string | null; targets: string | null; maxDonors: number | null; identityModel: string | null; generator: string | null; evaluator: string | null;
  featureModel: string | null;
  /** Generator config fields beside identityDim 16 and the epochs (e.g. STEP's schedule: {"lr":0.001,"lrSteps":[0.5,0.75,0.88]}). */
  genConfig: GeneratorConfig;
}

function options(argv: string[]): Options {
  const num = (name: string, fallback: number) => {
    const v = option(argv, `--${name}`);
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new RangeError(`identity-generation: --${name} must be a number (got ${JSON.stringify(v)})`);
    return x;
  };
  const o: Options = {
    identities: num('identities', 16), perEmotion: num('per-emotion', 3), frames: num('frames', 32), genEpochs: num('gen-epochs', 25),
    idEpochs: num('id-epochs', 12), idAugmentNoise: num('id-augment-noise', 0), perCell: num('per-cell', 4), noise: num('noise', 0.02),
    temperature: num('temperature', 1), strength: num('strength', 1), seed: num('seed', 1), threads: num('threads', 1),
    donors: option(argv, '--donors') ?? null, targets: option(argv, '--targets') ?? null,
    maxDonors: option(argv, '--max-donors') === undefined ? null : num('max-donors', 0), identityModel: option(argv, '--identity-model') ?? null,
    generator: option(argv, '--generator') ?? null, evaluator: option(argv, '--evaluator') ?? null, featureModel: option(argv, '--feature-model') ?? null,
    genConfig: jsonOption<GeneratorConfig>(argv, '--gen-config'),
  };
  if ((o.donors === null) !== (o.targets === null)) throw new RangeError('identity-generation: --donors and --targets go together');
  if (o.featureModel !== null && o.generator !== null) throw new RangeError('identity-generation: --feature-model trains a generator with L_id; --generator rescores one already trained (its generator.json names the model it was trained with)');
  return o;
}

/** A copy of `set` with its identities, gait ids and recordings prefixed (walkers of two files can share names). */
function prefixed(set: GaitSet, prefix: string): GaitSet {
  const p = <X extends string | null>(a: X[]) => a.map((x) => (x === null ? null : `${prefix}${x}`));
  return new GaitSet({ ...set, positions: set.positions, labels: set.labels, ids: set.ids.map((x) => `${prefix}${x}`), identity: p(set.identity), recording: p(set.recording) }, { validateValues: false });
}

/**
 * The identity ablation's split, with the walkers of two files: training holds every walk of the
 * donors (the first `maxDonors` by name) and the targets' neutral walks; evaluation every target walk.
 */
export function fileSplit(donorData: GaitSet, targetData: GaitSet, maxDonors: number | null): IdentitySplit {
  const names = [...new Set(donorData.identity.filter((x): x is string => x !== null))].sort();
  const donors = new Set(maxDonors === null ? names : names.slice(0, maxDonors));
  const donorWalks = donorData.select(Array.from({ length: donorData.N }, (_, i) => i).filter((i) => donors.has(donorData.identity[i]!)));
  const targets = prefixed(targetData.withLabelNames(donorData.labelNames), 'target-');
  const neutral = targets.labelNames.indexOf('neutral');
  if (neutral < 0) throw new RangeError('identity-generation: the walks have no neutral label (the gallery condition)');
  const train = GaitSet.concat([donorWalks, targets.select(Array.from({ length: targets.N }, (_, i) => i).filter((i) => targets.labels[i] === neutral))]);
  return {
    train, evaluation: targets, targets: [...new Set(targets.identity as string[])].sort(), donors: [...donors],
    unrecorded: targets.labelNames.filter((_, l) => l !== neutral),
  };
}

/**
 * Rank-1 of `probes` (non-neutral rows) against the neutral walks of `gallery`, by condition, and
 * how often each gallery identity was the nearest.
 */
export function recognition(model: IdentityEmbedder, gallery: GaitSet, probes: GaitSet) {
  const set = GaitSet.concat([gallery, probes.withLabelNames(gallery.labelNames)]);
  const split = crossConditionSplit(set, 'neutral');
  const f = model.embed(set);
  const m = identificationMetrics(f, set, split);
  const nearest: Record<string, number> = {};
  for (const p of Object.values(split.probes).flat()) {
    const who = set.identity[rankedGallery(f, split, p)[0]!.index]!;
    nearest[who] = (nearest[who] ?? 0) + 1;
  }
  return { rank1: m.rank1, probes: m.probes, nearest };
}

/**
 * The generator's reconstructions of `set` (posterior mean, decoded in inference mode, back in
 * metres), gait i decoded as identity index `decodeAs(i)`; rows carry that identity.
 */
async function reconstructions(gen: LoadedGenerator, set: GaitSet, decodeAs: (identityIndex: number) => number): Promise<GaitSet> {
  const names = gen.identityNames;
  const L = gen.labelNames.length;
  const D = gen.config.latentDim;
  const ids = Array.from(set.identity, (n) => names.indexOf(n!));
  const encoder = (await loadModel(path.join(checkpointDir(gen.dir, 'best'), 'encoder'))).model;
  let mu: Float32Array;
  try {
    ({ mu } = encodePosteriors(encoder, standardize(canonicalizeAll(set.positions, set.T, set.V), gen.normalization), set.labels, [set.T, set.V, 3], D, L, ids, names.length));
  } finally {
    encoder.dispose();
  }
  const as = ids.map(decodeAs);
  const per = set.T * set.V * 3;
  const out = new Float32Array(set.N * per);
  for (let s = 0; s < set.N; s += 64) { // in batches: a whole set's decoder activations outgrow wasm's 4 GB
    const e = Math.min(set.N, s + 64);
    out.set(tf.tidy(() => gen.decode(tf.tensor2d(mu.subarray(s * D, e * D), [e - s, D]), conditionTensors(set.labels.subarray(s, e), L, as.slice(s, e), names.length)).dataSync()), s * per);
  }
  return new GaitSet({
    positions: destandardize(out, gen.normalization), labels: set.labels, labelNames: set.labelNames, T: set.T, V: set.V, fps: set.fps, skeleton: set.skeleton,
    ids: set.ids.map((id) => `reconstructed-${id}`), identity: as.map((i) => names[i]!), source: new Array(set.N).fill('synthetic'),
  });
}

async function main({ argv }: BenchArgs): Promise<void> {
  const o = options(argv);
  await initBackend('wasm');
  const out = mkdtempSync(path.join(os.tmpdir(), 'gf-idgen-'));
  let s: IdentitySplit;
  let walks: number;
  if (o.donors !== null && o.targets !== null) {
    s = fileSplit(await readGaitFile(o.donors), await readGaitFile(o.targets), o.maxDonors);
    const targetNeutral = s.evaluation.labels.filter((l) => s.evaluation.labelNames[l] === 'neutral').length;
    walks = s.train.N - targetNeutral + s.evaluation.N; // every donor walk and every target walk
  } else {
    const data = proceduralDataset({ identities: o.identities, perEmotion: o.perEmotion, frames: o.frames, estimatorNoise: o.noise, seed: 31 });
    s = identitySplit(data, resolveAblation({ task: 'identity', seeds: [o.seed] }, data), o.seed);
    walks = data.N;
  }
  if (o.identityModel !== null) {
    // before any training: the scoring model must never have seen a target walk
    const m = await loadIdentityModel(o.identityModel);
    const seen = s.evaluation.ids.find((_, i) => m.trainGaitHashes?.has(gaitHash(s.evaluation, i)));
    m.dispose();
    if (seen !== undefined) throw new RangeError(`identity-generation: target walk ${seen} is one the identity model ${o.identityModel} was trained on`);
  }
  const genDir = o.generator ?? path.join(out, 'gen');
  if (o.generator !== null && readGeneratorManifest(o.generator).dataHash !== gaitSetsHash([s.train]))
    throw new RangeError(`identity-generation: generator ${o.generator} was not trained on this split's training walks (its data hash differs)`);
  const t0 = performance.now();
  if (o.generator === null) await trainGenerator(s.train, { identityDim: 16, epochs: o.genEpochs, ...(o.featureModel ? { identityFeatureWeight: 1 } : {}), ...o.genConfig }, { outDir: genDir, seed: o.seed, threads: o.threads, ...(o.featureModel ? { identityFeatureModel: o.featureModel } : {}) });
  const tGen = (performance.now() - t0) / 1000;
  const idDir = o.identityModel ?? path.join(out, 'id');
  if (o.identityModel === null)
    await trainIdentityModel('gaittake', s.train, { epochs: o.idEpochs, channels: [32, 64], valFraction: 0, augmentNoise: o.idAugmentNoise }, { outDir: idDir, seed: o.seed, threads: o.threads });
  const tId = (performance.now() - t0) / 1000 - tGen;
  const gen = (await loadGenerator(genDir)) as LoadedGenerator;
  const cells = (who: string[]): SampleCell[] => who.flatMap((identity) => s.unrecorded.map((label) => ({ identity, label, count: o.perCell })));
  // the generator's default prior (the identity prior), and each label's mixture on the same model (what sampling drew before the identity prior)
  const draw = (who: string[], prior: LatentPriorKind) => gen.sample(cells(who), { seed: o.seed, temperature: o.temperature, prior });
  const generated = draw(s.targets, 'identity');
  const generatedDonors = draw(s.donors, 'identity');
  const labelPrior = { targets: draw(s.targets, 'mixture'), donors: draw(s.donors, 'mixture') };
  // restyling: each target's real neutral walks (training walks) edited into every unrecorded emotion, and at strength 0 (the neutral walks as they are, relabelled: the control)
  const targetNeutral = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.targets.includes(s.train.identity[i]!)));
  const restyled = await restyle(gen, targetNeutral, { to: s.unrecorded, strength: o.strength, threads: o.threads });
  const restyledPosterior = await restyle(gen, targetNeutral, { to: s.unrecorded, strength: o.strength, latent: 'posterior', threads: o.threads });
  const relabelled = await restyle(gen, targetNeutral, { to: s.unrecorded, strength: 0, threads: o.threads });
  // the control without a generator: the same walks moved by the difference of the training walks' label means
  const meanShifted = labelMeanShift(s.train, targetNeutral, { to: s.unrecorded, strength: o.strength });
  const lo = JSON.parse(readFileSync(path.join(genDir, 'loss.json'), 'utf8')) as { train: { lo: number }; val: { lo: number } | null }[];
  const model = await loadIdentityModel(idDir);
  const neutral = s.train.labelNames.indexOf('neutral');
  const gallery = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.train.labels[i] === neutral));
  const realProbes = s.evaluation.select(Array.from({ length: s.evaluation.N }, (_, i) => i).filter((i) => s.evaluation.labels[i] !== neutral));
  const donorWalks = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.train.labels[i] !== neutral));
  const I = gen.identityNames.length;
  const reconstructed = await reconstructions(gen, donorWalks, (i) => i);
  const swapped = await reconstructions(gen, donorWalks, (i) => (i + Math.floor(I / 2)) % I);
  gen.dispose();
  const result = {
    date: new Date().toISOString(), options: o, walks, trainWalks: s.train.N, targets: s.targets.length, galleryWalks: gallery.N,
    galleryIdentities: new Set(gallery.identity).size, chance: 1 / new Set(gallery.identity).size,
    generatedTargets: recognition(model, gallery, generated), generatedDonors: recognition(model, gallery, generatedDonors),
    labelPriorTargets: recognition(model, gallery, labelPrior.targets), labelPriorDonors: recognition(model, gallery, labelPrior.donors),
    restyledTargets: recognition(model, gallery, restyled), restyledPosteriorTargets: recognition(model, gallery, restyledPosterior), relabelledTargets: recognition(model, gallery, relabelled),
    meanShiftedTargets: recognition(model, gallery, meanShifted),
    realProbes: recognition(model, gallery, realProbes),
    realDonors: recognition(model, gallery, donorWalks), reconstructedDonors: recognition(model, gallery, reconstructed),
    reconstructedDonorsOtherIdentity: recognition(model, gallery, swapped),
    generatorLastEpoch: { trainLo: lo[lo.length - 1]!.train.lo, valLo: lo[lo.length - 1]!.val?.lo ?? null },
    seconds: { generator: o.generator === null ? +tGen.toFixed(1) : null, identityModel: o.identityModel === null ? +tId.toFixed(1) : null }, modelDir: out, generatorDir: genDir,
  };
  model.dispose();
  // do the walks carry their label? Evaluators cross-fitted on the targets' real walks in those emotions (halves by walker):
  // each scores the real walks and the edited or generated walks of the walkers it never trained on, so no evaluator
  // knows the training walks' label means (which the mean shift moves by) or a scored walker's real walks; the ratio is
  // the accuracy on a set over the accuracy on the real walks. `--evaluator DIR` scores everything with one given model.
  const given = o.evaluator ? await loadClassifier(o.evaluator) : null;
  const crossFit = given ? null : await crossFitEvaluators(realProbes, { name: "the targets' real walks in unrecorded emotions", cacheDir: path.join(out, 'evaluators') });
  const folds = given
    ? [{ classifier: given, walkers: new Set(realProbes.identity) }]
    : crossFit!.folds.map((f) => ({ classifier: f.classifier, walkers: new Set(Array.from(f.scored, (i) => realProbes.identity[i])) }));
  const accuracy = (set: GaitSet) => {
    let hits = 0;
    let n = 0;
    for (const f of folds) {
      const mine = set.select(Array.from({ length: set.N }, (_, i) => i).filter((i) => f.walkers.has(set.identity[i]!)));
      if (mine.N === 0) continue;
      hits += evaluateClassifier(f.classifier, mine).accuracy * mine.N;
      n += mine.N;
    }
    return hits / n;
  };
  const real = accuracy(realProbes);
  const labelRecognition = {
    evaluator: crossFit?.description ?? `the evaluator in ${o.evaluator} (given)`, realTargets: real,
    ...Object.fromEntries(Object.entries({ generatedTargets: generated, generatedDonors, restyledTargets: restyled, restyledPosteriorTargets: restyledPosterior, relabelledTargets: relabelled, meanShiftedTargets: meanShifted, labelPriorTargets: labelPrior.targets, labelPriorDonors: labelPrior.donors }).map(([k, set]) => {
      const a = accuracy(set);
      return [k, { accuracy: a, ratio: a / real }];
    })),
  };
  crossFit?.dispose();
  given?.dispose();
  console.log(JSON.stringify({ ...result, labelRecognition }, null, 2));
}

export const section: BenchSection = {
  name: 'identity-generation',
  describe: 'Identity-conditioned STEP-Gen: how often its walks are recognised as their walker by a GaitTAKE model (trains real models: minutes)',
  run: main,
};

/**
 * Are identity-conditioned samples recognised as their identity?
 * (docs/identity.md, "Identity-conditioned generation: measured"). Not a test: trains real models.
 *
 *   npm run bench -- --only identity-generation [--identities 16] [--per-emotion 3] [--frames 32]
 *     [--gen-epochs 25] [--id-epochs 12] [--id-augment-noise 0] [--per-cell 4] [--noise 0.02] [--temperature 1] [--seed 1]
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
 * keep who walks in what it was trained on? And whether the generated walks carry their label: a
 * per-dataset evaluator (Baseline-STEP on the training walks) recognises their emotion how often,
 * against the targets' real walks in those emotions (labelRecognition, the recognition ratio).
 * One training thread.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import { GaitSet } from '../src/core/gaitset.js';
import { proceduralDataset } from '../src/core/procedural.js';
import * as tf from '@tensorflow/tfjs';
import { canonicalizeAll, CvaeTrainer, destandardize, loadGenerator, readGeneratorManifest, standardize, trainGenerator, type SampleCell } from '../src/generator/index.js';
import { conditionTensors } from '../src/generator/train.js';
import type { LatentPriorKind } from '../src/generator/latent.js';
import { loadModel } from '../src/nn/serialize.js';
import { crossConditionSplit, identificationMetrics, loadIdentityModel, rankedGallery, trainIdentityModel, type IdentityEmbedder } from '../src/identity/index.js';
import { identitySplit } from '../src/pipeline/ablate-identity.js';
import { resolveAblation } from '../src/pipeline/config.js';
import { chooseEvaluator } from '../src/pipeline/evaluator.js';
import { evaluateClassifier } from '../src/classifier/evaluate.js';
import type { BenchSection } from './common.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const o = {
  identities: option('identities', 16), perEmotion: option('per-emotion', 3), frames: option('frames', 32), genEpochs: option('gen-epochs', 25),
  idEpochs: option('id-epochs', 12), idAugmentNoise: option('id-augment-noise', 0), perCell: option('per-cell', 4), noise: option('noise', 0.02), temperature: option('temperature', 1), seed: option('seed', 1),
};

/**
 * Rank-1 of `probes` (non-neutral rows) against the neutral walks of `gallery`, by condition, and
 * how often each gallery identity was the nearest.
 */
function recognition(model: IdentityEmbedder, gallery: GaitSet, probes: GaitSet) {
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
async function reconstructions(dir: string, set: GaitSet, decodeAs: (identityIndex: number) => number): Promise<GaitSet> {
  const m = readGeneratorManifest(dir);
  const names = m.identityNames!;
  const cvae = { encoder: (await loadModel(path.join(dir, 'best', 'encoder'))).model, decoder: (await loadModel(path.join(dir, 'best', 'decoder'))).model };
  const L = m.labelNames.length;
  const trainer = new CvaeTrainer(cvae, m.config, L, undefined, undefined, undefined, names.length);
  const ids = Array.from(set.identity, (n) => names.indexOf(n!));
  const shape: [number, number, number] = [set.T, set.V, 3];
  const { mu } = trainer.encode(standardize(canonicalizeAll(set.positions, set.T, set.V), m.normalization), set.labels, shape, ids);
  const as = ids.map(decodeAs);
  const out = tf.tidy(() => (cvae.decoder.apply([tf.tensor2d(mu, [set.N, m.config.latentDim]), ...conditionTensors(set.labels, L, as, names.length)], { training: false }) as tf.Tensor).dataSync());
  await trainer.dispose();
  return new GaitSet({
    positions: destandardize(Float32Array.from(out), m.normalization), labels: set.labels, labelNames: set.labelNames, T: set.T, V: set.V, fps: set.fps, skeleton: set.skeleton,
    ids: set.ids.map((id) => `reconstructed-${id}`), identity: as.map((i) => names[i]!), source: new Array(set.N).fill('synthetic'),
  });
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const out = mkdtempSync(path.join(os.tmpdir(), 'gf-idgen-'));
  const data = proceduralDataset({ identities: o.identities, perEmotion: o.perEmotion, frames: o.frames, estimatorNoise: o.noise, seed: 31 });
  const r = resolveAblation({ task: 'identity', seeds: [o.seed] }, data);
  const s = identitySplit(data, r, o.seed);
  const t0 = performance.now();
  await trainGenerator(s.train, { identityDim: 16, epochs: o.genEpochs }, { outDir: path.join(out, 'gen'), seed: o.seed, threads: 1 });
  const tGen = (performance.now() - t0) / 1000;
  await trainIdentityModel('gaittake', s.train, { epochs: o.idEpochs, channels: [32, 64], valFraction: 0, augmentNoise: o.idAugmentNoise }, { outDir: path.join(out, 'id'), seed: o.seed, threads: 1 });
  const tId = (performance.now() - t0) / 1000 - tGen;
  const gen = await loadGenerator(path.join(out, 'gen'));
  const cells = (who: string[]): SampleCell[] => who.flatMap((identity) => s.unrecorded.map((label) => ({ identity, label, count: o.perCell })));
  // the generator's default prior (the identity prior), and each label's mixture on the same model (what sampling drew before the identity prior)
  const draw = (who: string[], prior: LatentPriorKind) => gen.sample(cells(who), { seed: o.seed, temperature: o.temperature, prior });
  const generated = draw(s.targets, 'identity');
  const generatedDonors = draw(s.donors, 'identity');
  const labelPrior = { targets: draw(s.targets, 'mixture'), donors: draw(s.donors, 'mixture') };
  const lo = JSON.parse(readFileSync(path.join(out, 'gen', 'loss.json'), 'utf8')) as { train: { lo: number }; val: { lo: number } | null }[];
  gen.dispose();
  const model = await loadIdentityModel(path.join(out, 'id'));
  const neutral = s.train.labelNames.indexOf('neutral');
  const gallery = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.train.labels[i] === neutral));
  const realProbes = s.evaluation.select(Array.from({ length: s.evaluation.N }, (_, i) => i).filter((i) => s.evaluation.labels[i] !== neutral));
  const donorWalks = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.train.labels[i] !== neutral));
  const I = gen.identityNames.length;
  const reconstructed = await reconstructions(path.join(out, 'gen'), donorWalks, (i) => i);
  const swapped = await reconstructions(path.join(out, 'gen'), donorWalks, (i) => (i + Math.floor(I / 2)) % I);
  const result = {
    date: new Date().toISOString(), options: o, walks: data.N, trainWalks: s.train.N, targets: s.targets.length, galleryWalks: gallery.N,
    galleryIdentities: new Set(gallery.identity).size, chance: 1 / new Set(gallery.identity).size,
    generatedTargets: recognition(model, gallery, generated), generatedDonors: recognition(model, gallery, generatedDonors),
    labelPriorTargets: recognition(model, gallery, labelPrior.targets), labelPriorDonors: recognition(model, gallery, labelPrior.donors),
    realProbes: recognition(model, gallery, realProbes),
    realDonors: recognition(model, gallery, donorWalks), reconstructedDonors: recognition(model, gallery, reconstructed),
    reconstructedDonorsOtherIdentity: recognition(model, gallery, swapped),
    generatorLastEpoch: { trainLo: lo[lo.length - 1]!.train.lo, valLo: lo[lo.length - 1]!.val?.lo ?? null },
    seconds: { generator: +tGen.toFixed(1), identityModel: +tId.toFixed(1) }, modelDir: out,
  };
  model.dispose();
  // do the walks carry their label? a per-dataset evaluator trained on the training walks, its accuracy on
  // generated walks over its accuracy on the targets' real walks in those emotions (the recognition ratio)
  const choice = await chooseEvaluator([{ set: realProbes, name: "the targets' real walks in unrecorded emotions", real: true }], { train: s.train, cacheDir: path.join(out, 'evaluators') });
  const accuracy = (set: GaitSet) => evaluateClassifier(choice.evaluator, set).accuracy;
  const real = accuracy(realProbes);
  const labelRecognition = {
    evaluator: choice.description, realTargets: real,
    ...Object.fromEntries(Object.entries({ generatedTargets: generated, generatedDonors, labelPriorTargets: labelPrior.targets, labelPriorDonors: labelPrior.donors }).map(([k, set]) => {
      const a = accuracy(set);
      return [k, { accuracy: a, ratio: a / real }];
    })),
  };
  choice.evaluator.dispose();
  console.log(JSON.stringify({ ...result, labelRecognition }, null, 2));
}

export const section: BenchSection = {
  name: 'identity-generation',
  describe: 'Identity-conditioned STEP-Gen: how often its walks are recognised as their walker by a GaitTAKE model (trains real models: minutes)',
  run: main,
};

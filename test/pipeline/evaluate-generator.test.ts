import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateClassifier, loadClassifier, trainClassifier, type Classifier } from '../../src/classifier/index.js';
import { deriveSeed } from '../../src/core/rng.js';
import { initBackend } from '../../src/core/backend.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { loadGenerator, startSampler, trainGenerator, type Generator } from '../../src/generator/index.js';
import { writeGaitFile } from '../../src/io/gaitfile.js';
import { copySource, evaluateGenerator } from '../../src/pipeline/evaluate-generator.js';
import { checkEvaluatorFits, defaultEvaluatorDir, loadEvaluator } from '../../src/pipeline/evaluator.js';
import { featuresOf, fidFromSets } from '../../src/pipeline/fid-sets.js';
import { fidBesideFloor } from '../../src/eval/fid.js';
import { groupedHalves } from '../../src/core/gaitset.js';
import { gaitSetsHash } from '../../src/core/hash.js';
import { runCli } from '../cli-run.js';

/** 128 gaits of 16 frames (8 walkers × 4 emotions × 4); the generator trains on half, the rest is held out. */
const data = proceduralDataset({ identities: 8, perEmotion: 4, frames: 16, seed: 2 });
const [train, test] = data.stratifiedSplit([0.5, 0.5], 3) as [GaitSet, GaitSet];
const TINY_GEN = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 2, batchSize: 16, valFraction: 0.25, lr: 3e-3 };
const TINY_CLF = { epochs: 2, batchSize: 16, lr: 0.01, temporalKernel: 3, dropout: 0 };

let tmp: string;
let gen: Generator;
let clf: Classifier;
const dir = (name: string) => path.join(tmp, name);

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-evalgen-'));
  await trainGenerator(train, TINY_GEN, { outDir: dir('gen'), seed: 4 });
  await trainClassifier('baseline-step', train, TINY_CLF, { outDir: dir('clf'), seed: 5, valFraction: 0.25 });
  gen = await loadGenerator(dir('gen'));
  clf = await loadClassifier(dir('clf'));
});

afterAll(() => {
  gen?.dispose();
  clf?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const finite = (x: number) => expect(Number.isFinite(x)).toBe(true);

describe('evaluateGenerator', () => {
  it('returns finite metrics with 95% CIs over R draws in both spaces and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const e = await evaluateGenerator(gen, test, { seed: 1, repeats: 3, evaluator: clf, train });
    expect(tf.memory().numTensors).toBe(before);

    expect(e.repeats).toBe(3);
    expect(e.referenceGaits + e.heldOutHalfGaits).toBe(test.N);
    // default counts: as many per label as the held-out half
    expect(e.counts).toEqual({ angry: 8, neutral: 8, happy: 8, sad: 8 });
    expect(e.generatedPerDraw).toBe(e.heldOutHalfGaits);
    expect(e.generator.checkpointHash).toBe(gen.checkpointHash);
    // one given evaluator scores all of the real set: its accuracy there is the classifier's own evaluation's
    expect(e.evaluator).toEqual({
      scheme: 'given', kind: 'baseline-step', labelNames: clf.labelNames, featureDim: 64,
      folds: [{ checkpointHash: clf.checkpointHash, scoredGaits: test.N, realAccuracy: evaluateClassifier(clf, test).accuracy }],
    });

    const t2 = 4.302652729911275; // Student t, 97.5%, 2 degrees of freedom
    for (const sp of [e.affective, e.evaluatorSpace!]) {
      expect(sp.fid.values).toHaveLength(3);
      // mean ± t·s/√n of the per-draw values
      for (const [c, v] of [[sp.fid.fid, sp.fid.values], [sp.fid.floor, sp.fid.floorValues]] as const) {
        const m = (v[0]! + v[1]! + v[2]!) / 3;
        const sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
        expect(c.mean).toBeCloseTo(m, 12);
        expect(c.halfWidth!).toBeCloseTo((t2 * sd) / Math.sqrt(3), 8);
      }
      for (const c of [sp.diversity.generated, sp.diversity.real, sp.multimodality.generated, sp.multimodality.real]) {
        expect(c.n).toBe(3);
        finite(c.mean);
        finite(c.halfWidth!);
      }
      expect(Object.keys(sp.multimodality.perLabel)).toEqual(test.labelNames);
      // label-matched sets of 8 gaits per label: 32 gaits, so both FIDs run on 15 principal components (15 < 32/2), without a ridge
      expect(sp.fid.counts).toEqual({ angry: 8, neutral: 8, happy: 8, sad: 8 });
      expect([sp.fid.n, sp.fid.floorN, sp.fid.dim, sp.fid.ridge, sp.fid.ridgeUses]).toEqual([32, 32, 15, 0, 0]);
    }
    expect([e.affective.fid.featureDim, e.evaluatorSpace!.fid.featureDim]).toEqual([29, 64]);
    // a 2-step generator is far from the data; halves of the real data are close
    expect(e.affective.fid.fid.mean).toBeGreaterThan(e.affective.fid.floor.mean);
    expect(e.warnings).toContain('evaluator space: draw 0: 32 gaits per set in 64 dimensions: both FIDs are computed on the top 15 principal components of the 32 reference-half gaits');
    expect(e.warnings.some((w) => /singular|ridge/.test(w))).toBe(false);

    const rec = e.recognition!;
    expect(rec.real).toBe(e.evaluator!.folds[0]!.realAccuracy);
    expect(rec.ratio.mean).toBeCloseTo(rec.generated.mean / rec.real, 12);
    expect(rec.ratio.halfWidth).toBeCloseTo(rec.generated.halfWidth! / rec.real, 12);
    // the training-set copy: the training gaits drawn per draw as copySource draws them, scored by the same evaluator
    const copyRatios = [0, 1, 2].map((r) => evaluateClassifier(clf, copySource(train, 'training-set copy').sample(e.counts, { seed: deriveSeed(1, `evaluate-generator/draw/${r}`) })).accuracy / rec.real);
    expect(rec.trainingCopyRatio!.mean).toBeCloseTo(copyRatios.reduce((a, b) => a + b, 0) / 3, 12);

    const m = e.memorisation!;
    finite(m.closeFraction.mean);
    finite(m.medianRatio.mean);
    expect(m.heldOutMedian).toBeGreaterThan(0);
    expect(m.exactCopies).toBe(0);

    for (const k of ['boneCv', 'footSkate', 'jerk', 'flaggedFraction'] as const) {
      finite(e.plausibility.generated[k].mean);
      finite(e.plausibility.real[k]);
    }
    finite(e.plausibility.ratio.jerk.mean);
  });

  it('an in-memory sampler on 2 threads decodes the same gaits as Generator.sample and leaves no tensors', async () => {
    const sampler = await startSampler(gen, 2);
    try {
      expect(sampler.threads).toBe(2);
      const counts = { angry: 5, sad: 4, happy: 1 };
      const n0 = tf.memory().numTensors;
      const a = await sampler.sample(counts, { seed: 12, temperature: 0.8 });
      expect(tf.memory().numTensors).toBe(n0);
      const b = gen.sample(counts, { seed: 12, temperature: 0.8 });
      expect(a.N).toBe(10);
      expect(Buffer.from(a.positions.buffer, a.positions.byteOffset, a.positions.byteLength).equals(Buffer.from(b.positions.buffer, b.positions.byteOffset, b.positions.byteLength))).toBe(true);
      expect(a.ids).toEqual(b.ids);
      expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
      await expect(sampler.sample({ bored: 2 }, { seed: 1 })).rejects.toThrow(/bored/);
    } finally {
      await sampler.close();
    }
  });

  it("generation and the evaluator's forward passes on 2 threads give the same evaluation, and a bad thread count is refused", async () => {
    const one = await evaluateGenerator(gen, test, { seed: 6, repeats: 2, evaluator: clf });
    const two = await evaluateGenerator(gen, test, { seed: 6, repeats: 2, evaluator: clf, threads: 2 });
    expect(two.evaluatorSpace).not.toBeNull();
    expect({ ...two, seconds: 0 }).toEqual({ ...one, seconds: 0 });
    await expect(evaluateGenerator(gen, test, { seed: 6, repeats: 2, evaluator: clf, threads: 257 })).rejects.toThrow(/threads/);
  });

  it('draw r depends only on (seed, r): more repeats extend the same draws', async () => {
    const a = await evaluateGenerator(gen, test, { seed: 9, repeats: 2 });
    const b = await evaluateGenerator(gen, test, { seed: 9, repeats: 3 });
    const c = await evaluateGenerator(gen, test, { seed: 10, repeats: 2 });
    expect(b.affective.fid.values.slice(0, 2)).toEqual(a.affective.fid.values);
    expect(b.affective.fid.floorValues.slice(0, 2)).toEqual(a.affective.fid.floorValues);
    expect(c.affective.fid.values).not.toEqual(a.affective.fid.values);
    expect(a.evaluatorSpace).toBeNull();
    expect(a.recognition).toBeNull();
    expect(a.memorisation).toBeNull();
  });

  it('flags a generator that returns its training gaits, and not held-out real gaits', async () => {
    const copier = await evaluateGenerator(copySource(train), test, { seed: 1, repeats: 2, train });
    expect(copier.memorisation!.flaggedDraws).toBe(2);
    expect(copier.memorisation!.closeFraction.mean).toBe(1);
    expect(copier.memorisation!.exactCopies).toBe(2 * copier.generatedPerDraw);
    expect(copier.memorisation!.reason).toMatch(/reproduces training gaits/);
    // real gaits the generator never saw: what a generalising generator looks like
    const honest = await evaluateGenerator(copySource(test), test, { seed: 1, repeats: 2, train });
    expect(honest.memorisation!.flaggedDraws).toBe(0);
    expect(honest.memorisation!.exactCopies).toBe(0);
  });

  it('recognition ratio is exactly 1 for a generator that returns every real gait of each asked label', async () => {
    const perLabel = test.countsByLabel();
    expect(new Set(Object.values(perLabel)).size).toBe(1); // balanced, so perLabel = that count copies each gait once
    const e = await evaluateGenerator(copySource(test), test, { seed: 1, repeats: 2, evaluator: clf, perLabel: Object.values(perLabel)[0]! });
    expect(e.recognition!.generated.mean).toBe(e.recognition!.real);
    expect(e.recognition!.ratio.mean).toBe(1);
    // the same gaits move the same: every motion and plausibility ratio is 1 (up to summation order)
    expect(e.motion.ratio.limbSpeed.mean).toBeCloseTo(1, 10);
    expect(e.motion.generated.limbSpeed.mean).toBeCloseTo(e.motion.real.limbSpeed, 10);
    for (const k of ['boneCv', 'footSkate', 'jerk'] as const) expect(e.plausibility.ratio[k].mean).toBeCloseTo(1, 10);
    // 16 frames hold no whole gait cycle: no step frequency, on either side
    expect(e.motion.real.stepFrequency).toBeNull();
    expect(e.motion.generated.stepFrequency).toBeNull();
    expect(e.motion.stepFrequencyGaits).toEqual({ real: 0, generated: 0 });
  });

  it('copySource draws every gait of a label once before repeating one, seeded, and refuses identities', () => {
    const copy = copySource(train, 'copy');
    const n = train.countsByLabel()['sad']!;
    const a = copy.sample({ sad: n + 3, angry: 2 }, { seed: 7 });
    expect(a.N).toBe(n + 5);
    const sad = a.ids.filter((_, i) => a.labelNames[a.labels[i]!] === 'sad');
    expect(new Set(sad.slice(0, n)).size).toBe(n); // the first n are every sad training gait
    expect(sad.every((id) => train.ids.includes(id))).toBe(true);
    expect(a.labels.filter((l) => a.labelNames[l] === 'angry').length).toBe(2);
    expect(copy.sample({ sad: n + 3, angry: 2 }, { seed: 7 }).ids).toEqual(a.ids);
    const other = copy.sample({ sad: n }, { seed: 8 }).ids; // another seed: the same gaits in another order
    expect(other).not.toEqual(sad.slice(0, n));
    expect([...other].sort()).toEqual([...sad.slice(0, n)].sort());
    expect(copy.tag).toMatch(/^copy@[0-9a-f]{12}$/);
    expect(() => copy.sample({ sad: 1 }, { seed: 1, identities: 'all' })).toThrow(/identities/);
    expect(() => copy.sample({ calm: 1 }, { seed: 1 })).toThrow(GaitforgeError);
  });

  it('perLabel sets the generated counts', async () => {
    const e = await evaluateGenerator(gen, test, { seed: 2, repeats: 1, perLabel: 5 });
    expect(e.counts).toEqual({ angry: 5, neutral: 5, happy: 5, sad: 5 });
    expect(e.generatedPerDraw).toBe(20);
    expect(e.affective.fid.fid.halfWidth).toBeNull(); // one draw: no interval
  });

  it('rejects bad options and data the generator cannot make', async () => {
    await expect(evaluateGenerator(gen, test, { seed: 1, repeats: 0 })).rejects.toThrow(/repeats = 0/);
    await expect(evaluateGenerator(gen, test, { seed: -1 })).rejects.toThrow(/seed = -1/);
    const longer = proceduralDataset({ identities: 2, perEmotion: 2, frames: 20, seed: 2 });
    await expect(evaluateGenerator(gen, longer, { seed: 1 })).rejects.toThrow(/T = 16, V = 16 at 30 fps; the real set has T = 20/);
    const renamed = new GaitSet({ ...test, positions: test.positions, labelNames: ['angry', 'neutral', 'happy', 'bored'] });
    await expect(evaluateGenerator(gen, renamed, { seed: 1 })).rejects.toThrow(/label "bored", which the generator cannot sample/);
    // real gaits that are training gaits cannot be held out: one error naming a shared gait, not an infinite memorisation ratio
    const overlapping = GaitSet.concat([test, train.select([0, 1, 2, 3, 4, 5, 6, 7])]);
    await expect(evaluateGenerator(gen, overlapping, { seed: 1, train })).rejects.toThrow(new RegExp(`8 gaits of the real gaits \\(e\\.g\\. "${train.ids[0]}"\\) are also in the training set`));
    // a walk of a training walker under another id is not held out either: the walker is
    const one = train.select([0]);
    const sameWalker = GaitSet.concat([test, new GaitSet({ ...one, positions: one.positions, ids: ['another-walk'], recording: [null] })]);
    await expect(evaluateGenerator(gen, sameWalker, { seed: 1, train })).rejects.toThrow(`1 walker of the real gaits (e.g. ${JSON.stringify(train.identity[0])}) is also in the training set`);
  });
});

describe('grouped halves for the FID floor', () => {
  it('keep walkers apart, and fall back to finer groups with a warning when one walker is all there is', async () => {
    const h = groupedHalves(test, 5);
    expect(h.groupedBy).toBe('identity');
    expect(h.warning).toBeNull();
    const ra = new Set(Array.from(h.reference, (i) => test.identity[i]));
    expect(Array.from(h.floor, (i) => test.identity[i]).filter((x) => ra.has(x))).toEqual([]);
    const one = test.select(test.identity.flatMap((x, i) => (x === test.identity[0] ? [i] : [])));
    const f = groupedHalves(one, 5);
    expect(f.groupedBy).toBe('recording');
    expect(f.warning).toMatch(/too few walkers.*the floor is lower than it should be/);
    expect(f.reference.length).toBeGreaterThanOrEqual(2);
    expect(f.floor.length).toBeGreaterThanOrEqual(2);
  });
});

describe('fidFromSets and the evaluator check', () => {
  it('FID of a set against itself is 0 in both spaces, and positive against generated gaits', async () => {
    for (const features of ['affective', 'evaluator'] as const) {
      const same = await fidFromSets(test, test, { features, evaluator: clf, seed: 1 });
      expect(same.fidAll).toBeLessThan(1e-6);
      finite(same.floor);
      // halves grouped by walker (2 of the 4 test walkers each), n generated against n reference gaits, 8 of each label
      expect([same.n, same.floorN]).toEqual([32, 32]);
      expect(same.counts).toEqual({ angry: 8, neutral: 8, happy: 8, sad: 8 });
    }
    const fake = gen.sample({ angry: 16, neutral: 16, happy: 16, sad: 16 }, { seed: 3 });
    const r = await fidFromSets(test, fake, { features: 'evaluator', evaluator: clf, seed: 1 });
    // the evaluator's forward passes split across 2 threads: the same result, bit for bit
    expect(await fidFromSets(test, fake, { features: 'evaluator', evaluator: clf, seed: 1, threads: 2 })).toEqual(r);
    await expect(fidFromSets(test, fake, { features: 'evaluator', evaluator: clf, seed: 1, threads: 0 })).rejects.toThrow(/threads/);
    // the same as fidBesideFloor on the evaluator's features, the real set's grouped halves and both sets' labels
    const f = await featuresOf(test, [fake], 'evaluator', clf);
    const direct = fidBesideFloor(f.real.data, f.others[0]!.data, { dim: 64, seed: 1, halves: groupedHalves(test, 1), labels: { real: test.labels, fake: fake.withLabelNames(test.labelNames).labels } });
    expect([r.fid, r.floor, r.dim, r.ridge]).toEqual([direct.fid, direct.floor, direct.dim, direct.ridge]);
    expect(r.evaluatorHash).toBe(clf.checkpointHash);
    expect([r.dim, r.featureDim]).toEqual([15, 64]);
    expect(r.meanTerm + r.covTerm).toBeCloseTo(r.fidAll, 6);
    expect([r.n, r.floorN]).toEqual([32, 32]);
    finite(r.fid);
    expect((await fidFromSets(test, fake, { features: 'affective', seed: 1 })).evaluatorHash).toBeNull();
  });

  it('an evaluator that does not fit the data is one clear E_MODEL error', async () => {
    const longer = proceduralDataset({ identities: 2, perEmotion: 2, frames: 20, seed: 2 });
    let err: unknown;
    try {
      await fidFromSets(longer, longer, { features: 'evaluator', evaluator: clf, evaluatorName: 'the default evaluator', seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GaitforgeError);
    expect((err as GaitforgeError).code).toBe('E_MODEL');
    expect((err as Error).message).toMatch(/the default evaluator .* trained on gaits of T = 16.*but the gaits of the real set have T = 20.*--features affective.*--evaluator DIR/);
    const relabelled = new GaitSet({ ...test, positions: test.positions, labelNames: ['angry', 'neutral', 'happy', 'bored'] });
    expect(() => checkEvaluatorFits(clf, relabelled, 'this evaluator')).toThrow(/label bored that it does not know/);
    await expect(fidFromSets(test, longer, { features: 'affective', seed: 1 })).rejects.toThrow(/resample/);
  });

  it('the shipped evaluator loads, fits the demo data shape and is recorded by its hash', async () => {
    const d = defaultEvaluatorDir();
    expect(d).not.toBeNull();
    const { evaluator, name } = await loadEvaluator();
    try {
      expect(name).toBe('the default evaluator');
      expect(evaluator.kind).toBe('baseline-step');
      expect(evaluator.meta.T).toBe(75);
      expect(evaluator.labelNames).toEqual(['angry', 'neutral', 'happy', 'sad']);
      expect(evaluator.checkpointHash).toMatch(/^[0-9a-f]{64}$/);
      expect(() => checkEvaluatorFits(evaluator, test, name)).toThrow(/T = 75.*T = 16/);
    } finally {
      evaluator.dispose();
    }
  });
});

describe('CLI: fid and evaluate-generator', () => {
  const cli = runCli;
  let realFile: string;
  let fakeFile: string;
  beforeAll(async () => {
    realFile = dir('real.parquet');
    fakeFile = dir('fake.parquet');
    await writeGaitFile(realFile, test);
    await writeGaitFile(fakeFile, gen.sample({ angry: 8, neutral: 8, happy: 8, sad: 8 }, { seed: 2 }));
  });

  it('gaitforge fid in the affective space and with an evaluator directory', async () => {
    const a = await cli('fid', '--real', realFile, '--fake', fakeFile, '--features', 'affective', '--json');
    expect(a.status, a.stderr).toBe(0);
    const ja = JSON.parse(a.stdout);
    expect(ja.space).toBe('affective');
    expect(ja.realGaits).toBe(64);
    expect(ja.fakeGaits).toBe(32);
    expect(ja.fid).toBeGreaterThan(0);
    expect([ja.n, ja.floorN]).toEqual([32, 32]);
    finite(ja.floor);
    const e = await cli('fid', '--real', realFile, '--fake', fakeFile, '--evaluator', dir('clf'));
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain(clf.checkpointHash);
    expect(e.stdout).toMatch(/generated vs real reference\s+32 vs 32\s+\S+\nreal vs real reference \(floor\)\s+32 vs 32\s+\S+/);
  });

  it('gaitforge fid with the default evaluator on data of another shape: one line naming the way out', async () => {
    const r = await cli('fid', '--real', realFile, '--fake', fakeFile);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/the default evaluator .*T = 75.*--train FILE.*--evaluator DIR.*--features affective/);
  });

  it('gaitforge evaluate-generator prints the table and --json', async () => {
    const t = await cli('evaluate-generator', '--model', dir('gen'), '--real', realFile, '--evaluator', dir('clf'), '--repeats', '2');
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/FID \(affective, 15 of 29 dims\)\s+\S+ ± \S+\s+\S+ ± \S+ \(floor\)/);
    expect(t.stdout).toMatch(/FID \(evaluator, 15 of 64 dims\)/);
    expect(t.stdout).toContain(clf.checkpointHash);
    expect(t.stdout).toMatch(/memorisation: not checked/);
    const trainFile = dir('train.parquet');
    await writeGaitFile(trainFile, train);
    const j = await cli('evaluate-generator', '--model', dir('gen'), '--real', realFile, '--train', trainFile, '--features', 'affective', '--repeats', '2', '--json');
    expect(j.status, j.stderr).toBe(0);
    const e = JSON.parse(j.stdout);
    expect(e.repeats).toBe(2);
    expect(e.evaluatorSpace).toBeNull();
    expect(e.memorisation.closeFraction.n).toBe(2);
    expect(e.generator.checkpointHash).toBe(gen.checkpointHash);
    // by default two evaluators cross-fitted on --real (halves by walker), cached beside it; the anchored ratio and the training-set copy's
    const c = await cli('evaluate-generator', '--model', dir('gen'), '--real', realFile, '--train', trainFile, '--evaluator-epochs', '2', '--repeats', '2', '--json');
    expect(c.status, c.stderr).toBe(0);
    const x = JSON.parse(c.stdout);
    expect(x.evaluator.scheme).toBe('cross-fit');
    expect(x.evaluator.folds.map((f: { scoredGaits: number }) => f.scoredGaits)).toEqual([32, 32]);
    expect(x.evaluatorUsed.dirs.every((d: string) => d.startsWith(path.join(tmp, '.gaitforge-evaluators')))).toBe(true);
    const hashes = x.evaluatorUsed.records.map((r: { dataHash: string }) => r.dataHash);
    const halves = groupedHalves(test, deriveSeed(1, 'evaluator/cross-fit'));
    expect(hashes).toEqual([gaitSetsHash([test.select(Array.from(halves.reference))]), gaitSetsHash([test.select(Array.from(halves.floor))])]);
    expect(x.recognition.ratio.mean).toBeCloseTo(x.recognition.generated.mean / x.recognition.real, 12);
    expect(x.recognition.trainingCopyRatio.n).toBe(2);
    for (const sp of [x.affective.fid, x.evaluatorSpace.fid]) expect([sp.dim, sp.ridge]).toEqual([sp.n > 2 * sp.featureDim ? sp.featureDim : Math.ceil(sp.n / 2) - 1, 0]);
  });
});

/**
 * Generator evaluation beyond FID: step frequency, the per-dataset
 * evaluator (trained on the real training split, cached by content hash),
 * the model card of a generator folder, and the per-dataset evaluator on
 * real motion capture in seven styles (../shared/data/bandai-walk-styles,
 * skipped where absent).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier } from '../../src/classifier/index.js';
import { initBackend } from '../../src/core/backend.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { motionStats, stepFrequency } from '../../src/generator/quality.js';
import { importBvh } from '../../src/io/bvh.js';
import { writeGaitFile } from '../../src/io/gaitfile.js';
import { fidFromSets } from '../../src/pipeline/fid-sets.js';
import { projectedDim } from '../../src/eval/fid.js';
import { chooseEvaluator, evaluatorCacheDir, evaluatorKey, type EvaluatorRecord } from '../../src/pipeline/evaluator.js';
import { MODEL_CARD_FILE, MODEL_CARD_STRIP, trainGeneratorWithCard } from '../../src/pipeline/model-card.js';
import { runCli } from '../cli-run.js';

/** 128 gaits of 16 frames (8 walkers × 4 emotions × 4), split by walker into a training and a test half. */
const data = proceduralDataset({ identities: 8, perEmotion: 4, frames: 16, seed: 2 });
const [train, test] = data.stratifiedSplit([0.5, 0.5], 3, { groupBy: 'identity' }) as [GaitSet, GaitSet];
const TINY_GEN = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 2, batchSize: 16, valFraction: 0.25, lr: 3e-3 };

let tmp: string;
const at = (name: string) => path.join(tmp, name);

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-geneval-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GaitforgeError);
  expect((err as GaitforgeError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

describe('step frequency', () => {
  it('two steps per gait cycle: about 2 steps/s for the procedural walkers, slower for sad than for angry walks, none in clips shorter than a cycle', () => {
    const walks = proceduralDataset({ identities: 3, perEmotion: 2, frames: 90, seed: 4 });
    const all = stepFrequency(walks);
    expect(all.gaits).toBe(walks.N);
    // neutral style: 1.3 m/s over strides of 0.78 × height (~1.3 m): ~1 stride, ~2 steps per second
    expect(all.frequency).toBeGreaterThan(1.6);
    expect(all.frequency).toBeLessThan(2.6);
    const of = (label: string) => stepFrequency(walks.select(walks.indicesByLabel()[walks.labelId(label)]!)).frequency;
    expect(of('sad')).toBeLessThan(of('angry'));
    const short = stepFrequency(test);
    expect(short.gaits).toBe(0);
    expect(short.frequency).toBeNaN();
  });
});

describe('the evaluator per dataset', () => {
  it('trains a Baseline-STEP on the real training split when the shipped one does not fit, caches it by content hash, and loads it the next time', async () => {
    const sets = [{ set: test, name: 'the test set', real: true }];
    await expectError(chooseEvaluator(sets), 'E_MODEL', /the default evaluator .*T = 75.*--train FILE.*--evaluator DIR.*--features affective/);
    const before = tf.memory().numTensors;
    const first = await chooseEvaluator(sets, { train, trainName: 'train.parquet', cacheDir: at('cache'), epochs: 2 });
    try {
      expect(first.source).toBe('trained');
      expect(first.dir).toBe(evaluatorCacheDir(at('cache'), evaluatorKey(train, 2, 1)));
      expect(first.evaluator.labelNames).toEqual(train.labelNames);
      expect(first.evaluator.meta.T).toBe(16);
      expect(first.evaluator.meta.trainGaits + first.evaluator.meta.valGaits).toBe(train.N);
      const rec = JSON.parse(readFileSync(path.join(first.dir, 'evaluator.json'), 'utf8')) as EvaluatorRecord;
      expect(rec.trainGaits).toBe(train.N);
      expect(rec.epochs).toBe(2);
      expect(rec.checkpointHash).toBe(first.evaluator.checkpointHash);
      expect(first.description).toMatch(/per-dataset evaluator .*2 epochs on 64 gaits of train\.parquet.*trained now and cached.*because the shipped evaluator/);
      // nothing but the finished folder in the cache
      expect(readdirSync(at('cache'))).toEqual([path.basename(first.dir)]);
    } finally {
      first.evaluator.dispose();
    }
    const again = await chooseEvaluator(sets, { train, cacheDir: at('cache'), epochs: 2 });
    expect(again.source).toBe('cached');
    expect(again.dir).toBe(first.dir);
    expect(again.evaluator.checkpointHash).toBe(first.evaluator.checkpointHash);
    again.evaluator.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // other epochs: another key, another folder
    expect(evaluatorKey(train, 3, 1)).not.toBe(evaluatorKey(train, 2, 1));
  }, 120_000);

  it('never trains on the gaits it evaluates, nor on a split that lacks their labels or shape', async () => {
    const leaky = GaitSet.concat([train, test.slice(0, 2)]);
    await expectError(chooseEvaluator([{ set: test, name: 'the test set', real: true }], { train: leaky, cacheDir: at('never') }), 'E_VALUE', /^2 gaits of the test set \(e\.g\. ".*"\) are also in the training split: the evaluator must not train on the gaits, walkers or recordings it is evaluated on/);
    // a walk of a test walker under another id is a leak too: the walker is in both
    const one = test.slice(0, 1);
    const sameWalker = GaitSet.concat([train, new GaitSet({ ...one, positions: one.positions, ids: ['renamed'], recording: [null] })]);
    await expectError(chooseEvaluator([{ set: test, name: 'the test set', real: true }], { train: sameWalker, cacheDir: at('never') }), 'E_VALUE', new RegExp(`^1 walker of the test set \\(e\\.g\\. "${test.identity[0]}"\\) is also in the training split`));
    const noSad = train.select(Array.from({ length: train.N }, (_, i) => i).filter((i) => train.labelNames[train.labels[i]!] !== 'sad'));
    await expectError(chooseEvaluator([{ set: test, name: 'the test set', real: true }], { train: noSad, cacheDir: at('never') }), 'E_LABEL', /the gaits of the test set have label sad that the training split lacks/);
    const longer = proceduralDataset({ identities: 2, perEmotion: 2, frames: 20, seed: 9 });
    await expectError(chooseEvaluator([{ set: longer, name: 'the long set', real: true }], { train, cacheDir: at('never') }), 'E_SHAPE', /the gaits of the long set have T = 20, V = 16 but those of the training split have T = 16/);
    await expectError(chooseEvaluator([{ set: test, name: 'the test set', real: true }], { train }), 'E_OPTION', /cache folder/);
    expect(existsSync(at('never'))).toBe(false);
  });

  it('gaitforge fid and evaluate-generator say which evaluator they used: trained now, then cached', async () => {
    const files = { real: at('real.parquet'), train: at('train.parquet'), fake: at('fake.parquet') };
    await writeGaitFile(files.real, test);
    await writeGaitFile(files.train, train);
    // a control that copies training gaits: generated sets may share ids with the training split, only real sets are test data
    await writeGaitFile(files.fake, train.slice(0, 40));
    const args = ['fid', '--real', files.real, '--fake', files.fake, '--train', files.train, '--evaluator-epochs', '1', '--threads', '1'];
    const a = await runCli(...args, '--json');
    expect(a.status, a.stderr).toBe(0);
    const ja = JSON.parse(a.stdout);
    expect(ja.evaluatorUsed.source).toBe('trained');
    expect(ja.evaluatorUsed.dir).toBe(path.join(tmp, '.gaitforge-evaluators', path.basename(ja.evaluatorUsed.dir)));
    expect(ja.evaluatorHash).toBe(ja.evaluatorUsed.checkpointHash);
    expect(ja.evaluatorUsed.record.trainGaits).toBe(train.N);
    const b = await runCli(...args);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/feature space: evaluator \(Baseline-STEP [0-9a-f]+\): a per-dataset evaluator .* loaded from the cache in /);
    expect(b.stdout).toContain(ja.evaluatorHash);
    const affective = await runCli('fid', '--real', files.real, '--fake', files.fake, '--train', files.train, '--features', 'affective');
    expect(affective.status).toBe(2);
    expect(affective.stderr).toMatch(/--train is only used with --features evaluator/);
    // --train must not hold the real gaits being evaluated
    const leak = await runCli('fid', '--real', files.real, '--fake', files.fake, '--train', files.real, '--evaluator-epochs', '1');
    expect(leak.status).toBe(1);
    expect(leak.stderr).toMatch(/must not train on the gaits, walkers or recordings it is evaluated on/);

    // evaluate-generator cross-fits its evaluators on --real: neither trains on --train, which the generator learned from
    const gen = await trainGeneratorWithCard(train, TINY_GEN, { outDir: at('gen-cli'), seed: 4, dataName: files.train });
    const e = await runCli('evaluate-generator', '--model', gen.dir, '--real', files.real, '--train', files.train, '--evaluator-epochs', '1', '--threads', '1', '--repeats', '2', '--json');
    expect(e.status, e.stderr).toBe(0);
    const je = JSON.parse(e.stdout);
    expect(je.evaluatorUsed.source).toBe('cross-fit');
    expect(je.evaluatorUsed.records.map((r: EvaluatorRecord) => r.trainGaits)).toEqual([32, 32]);
    expect(je.evaluator.folds.map((f: { checkpointHash: string }) => f.checkpointHash)).toEqual(je.evaluatorUsed.records.map((r: EvaluatorRecord) => r.checkpointHash));
    expect(je.recognition.ratio.n).toBe(2);
    expect(je.recognition.trainingCopyRatio.n).toBe(2);
    expect(je.motion.generated.limbSpeed.n).toBe(2);
    expect(je.motion.real.limbSpeed).toBeCloseTo(motionStats(test).limbSpeed, 9); // every real gait of --real
    const t = await runCli('evaluate-generator', '--model', gen.dir, '--real', files.real, '--train', files.train, '--evaluator-epochs', '1', '--threads', '1', '--repeats', '2');
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/evaluator Baseline-STEP × 2 [0-9a-f]{64}, [0-9a-f]{64}: two Baseline-STEP evaluators cross-fitted on the real set/);
    expect(t.stdout).toMatch(/Recognition ratio \(generated \/ real\)\s+\S+ ± \S+\s+1 \(real\)/);
    expect(t.stdout).toMatch(/Recognition ratio of the training-set copy\s+\S+ ± \S+\s+1 \(anchored\)/);
    expect(t.stdout).toMatch(/Limb speed m\/s\s+\S+ ± \S+\s+\d/);
    expect(t.stdout).toMatch(/Step frequency steps\/s\s+—\s+— \(no full cycle\)/);
  }, 300_000);
});

describe('the model card', () => {
  it("every trained generator folder gets README.md and samples.svg: data, config, epochs, the metrics on the validation gaits beside the real values", async () => {
    const r = await trainGeneratorWithCard(train, TINY_GEN, { outDir: at('gen'), seed: 4, dataName: 'train.parquet' });
    expect(r.completed).toBe(true);
    expect(r.card!.path).toBe(path.join(at('gen'), MODEL_CARD_FILE));
    const card = readFileSync(r.card!.path, 'utf8');
    expect(r.valPart!.N).toBe(16); // valFraction 0.25 of 64, stratified
    expect(card).toContain('- file: train.parquet');
    expect(card).toContain(`- training gaits: ${r.trainPart.N} (angry 12, neutral 12, happy 12, sad 12)`);
    expect(card).toContain('- validation gaits: 16 (angry 4, neutral 4, happy 4, sad 4)');
    expect(card).toContain('- T = 16 frames at 30 fps, V = 16 joints');
    expect(card).toContain("- preset: default, variant: stepgen; the label before every decoder layer; samples from the mixture prior");
    const historyOf = (x: typeof r) => (x.training.family === 'cvae' ? x.training.result.history : []);
    const history = historyOf(r);
    expect(card).toContain(`- selected epoch: ${r.bestEpoch} (lowest validation loss, ${history[r.bestEpoch - 1]!.val!.total.toPrecision(4)})`);
    // 16 validation gaits are too few to cross-fit evaluators on (each half needs 4 of every label): the affective space only, and the card says why
    expect(card).toMatch(/Evaluator: none \(affective space only\): cross-fitting evaluators on the validation gaits: half 1 of 16 gaits \(grouped by recording\) has fewer than 4 gaits of angry \(2\)/);
    // halves of 8 gaits: FIDs on 3 principal components (3 < 8/2)
    expect(card).toMatch(/\| FID \(affective, 3 of 29 dims\) \| \S+ ± \S+ \| \S+ ± \S+ \(floor\) \|/);
    expect(card).toMatch(/\| Limb speed m\/s \| \S+ ± \S+ \| \d/);
    expect(card).toMatch(/\| Foot skating m\/s \| \S+ ± \S+ \| \d/);
    expect(card).toMatch(/\| Bone-length CV \|/);
    expect(card).not.toMatch(/Recognition ratio/);
    expect(card).toContain(`![samples](${MODEL_CARD_STRIP})`);
    expect(readFileSync(path.join(at('gen'), MODEL_CARD_STRIP), 'utf8')).toMatch(/^<svg/);
    expect(r.card!.evaluation!.repeats).toBe(3);
    expect(r.card!.evaluation!.realGaits).toBe(16);

    // with an evaluator that fits: the evaluator space and the recognition ratio join the table
    const ev = await chooseEvaluator([{ set: test, name: 'the test set', real: true }], { train, cacheDir: at('cache'), epochs: 2 });
    ev.evaluator.dispose();
    const withEv = await trainGeneratorWithCard(train, TINY_GEN, { outDir: at('gen-ev'), seed: 4, dataName: 'train.parquet', evaluatorDir: ev.dir });
    const card2 = readFileSync(withEv.card!.path, 'utf8');
    expect(card2).toMatch(/\| Recognition ratio \(generated \/ real\) \| \S+ ± \S+ \| 1 \(real\) \|/);
    expect(card2).toMatch(/\| FID \(evaluator, 3 of 64 dims\) \|/);
    expect(card2).toContain(`Evaluator: the evaluator in ${ev.dir} (given).`);
    // the same generator (same data, config, seed) whatever the card
    expect(historyOf(withEv)).toEqual(history.map((h, i) => ({ ...h, seconds: historyOf(withEv)[i]!.seconds, samplesPerSec: historyOf(withEv)[i]!.samplesPerSec })));

    // half of the training walkers held out: 32 validation gaits, enough to cross-fit two evaluators on them (one walker each)
    const crossFit = await trainGeneratorWithCard(train, { ...TINY_GEN, valFraction: 0.5 }, { outDir: at('gen-cross'), seed: 4, dataName: 'train.parquet' });
    const card4 = readFileSync(crossFit.card!.path, 'utf8');
    expect(card4).toMatch(/Evaluator: two Baseline-STEP evaluators cross-fitted on the validation gaits \(halves of 16 and 16 gaits grouped by identity/);
    expect(card4).toMatch(/\| Recognition ratio \(generated \/ real\) \| \S+ ± \S+ \| 1 \(real\) \|/);
    expect(card4).toMatch(/\| Recognition ratio of the training-set copy \| \S+ ± \S+ \| 1 \(anchored\) \|/);
    expect(readdirSync(path.join(at('gen-cross'), 'card-evaluators'))).toHaveLength(2);

    expect(card).not.toMatch(/share \d+ walker/); // the held-out part is walker-disjoint
    // a validation set of the training walkers: the card warns that its metrics are optimistic
    const sameWalkers = await trainGeneratorWithCard(train, TINY_GEN, { outDir: at('gen-same'), seed: 4, dataName: 'train.parquet', val: train.slice(0, 32) });
    const card3 = readFileSync(sameWalkers.card!.path, 'utf8');
    expect(card3).toMatch(/- warning: 32 of the 32 validation gaits are training gaits: memorisation is not checked/);
    expect(card3).toMatch(/- warning: the validation gaits share 2 walkers with the training gaits .* optimistic/);
    expect(card3).not.toMatch(/Memorisation/);
    // without validation gaits the card says the metrics were not measured
    const noVal = await trainGeneratorWithCard(train, { ...TINY_GEN, valFraction: 0 }, { outDir: at('gen-noval'), seed: 4, dataName: 'train.parquet' });
    expect(noVal.card!.evaluation).toBeNull();
    expect(readFileSync(noVal.card!.path, 'utf8')).toMatch(/Not measured: the training held out no validation gaits/);
  }, 300_000);
});

// Real motion capture, kept outside the repository (CC BY-NC 4.0): ../shared/data/bandai-walk-styles.
const BANDAI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/bandai-walk-styles');
const STYLES = ['active', 'elderly', 'exhausted', 'feminine', 'masculine', 'normal', 'youthful'];
const haveBandai = existsSync(path.join(BANDAI, 'bvh'));
if (!haveBandai) console.warn(`skipping the Bandai walk-style test: ${BANDAI} is absent (optional real data, not part of the repository)`);

describe.skipIf(!haveBandai)('the per-dataset evaluator on real motion capture in seven styles (Bandai walks)', () => {
  it('imports 5 clips per style, trains an evaluator on clip-disjoint training clips and scores held-out clips with it', async () => {
    const dir = path.join(BANDAI, 'bvh');
    const files = STYLES.flatMap((s) => readdirSync(dir).filter((f) => f.includes(`_walk_${s}_`)).sort().slice(0, 5).map((f) => path.join(dir, f)));
    const walks = await importBvh(files, { labelPattern: '_walk_([a-z]+)_', frames: 32, stride: 32 });
    expect(walks.labelNames).toEqual(STYLES);
    expect(walks.grouping()).toBe('recording');
    const [fit, held] = walks.stratifiedSplit([0.6, 0.4], 1, { groupBy: 'recording' }) as [GaitSet, GaitSet];
    const heldClips = new Set(held.recording);
    expect(fit.recording.filter((r) => heldClips.has(r))).toEqual([]);
    const sets = [{ set: held, name: 'the held-out clips', real: true }];
    // the shipped evaluator knows four emotions at T = 75: it does not fit seven styles at T = 32
    await expectError(chooseEvaluator(sets), 'E_MODEL', /T = 75.*--train FILE/);
    const ev = await chooseEvaluator(sets, { train: fit, trainName: 'the training clips', cacheDir: at('bandai-cache'), epochs: 3 });
    try {
      expect(ev.source).toBe('trained');
      expect(ev.evaluator.labelNames).toEqual(STYLES);
      expect(ev.evaluator.meta.T).toBe(32);
      const again = await loadClassifier(ev.dir);
      expect(again.checkpointHash).toBe(ev.evaluator.checkpointHash);
      again.dispose();
      const r = await fidFromSets(held, fit, { features: 'evaluator', evaluator: ev.evaluator, seed: 1 });
      expect([r.dim, r.featureDim]).toEqual([projectedDim(r.n, 64), 64]);
      expect(r.evaluatorHash).toBe(ev.evaluator.checkpointHash);
      expect(Number.isFinite(r.fid) && Number.isFinite(r.floor)).toBe(true);
    } finally {
      ev.evaluator.dispose();
    }
  }, 300_000);
});

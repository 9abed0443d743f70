import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ablate, initBackend, mergeAblation, proceduralDataset, writeGaitFile, type AblationConfig } from '../../src/index.js';
import { collectResults } from '../../src/pipeline/index.js';
import { DEFAULT_GENERATOR } from '../../src/generator/index.js';
import { evaluateClassifier, loadClassifier } from '../../src/classifier/index.js';
import { groupedHalves, type GaitSet } from '../../src/core/gaitset.js';
import { gaitSetsHash } from '../../src/core/hash.js';
import { deriveSeed } from '../../src/core/rng.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-ablate-'));
const data = proceduralDataset({ identities: 8, perEmotion: 4, frames: 16, seed: 5 });
const dataPath = path.join(dir, 'data.parquet');
const config: AblationConfig = {
  splits: { train: 0.5, val: 0.25, test: 0.25 },
  augmenters: ['none', 'stepgen', 'mirror'],
  counts: [0, 3],
  classifiers: ['baseline-step'],
  seeds: 2,
  generator: { epochs: 1, batchSize: 8 },
  classifier: { epochs: 1, batchSize: 8 },
  fidPerLabel: 6,
};

type Row = { key: string; accuracy: number; confusion: number[][]; seed: number; augmenter: string; count: number };
/** Result rows sorted by cell key, without their wall times (the one field that may differ between runs). */
const rows = (runDir: string): Row[] =>
  (JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).cells as (Row & { wall_seconds?: number })[])
    .map(({ wall_seconds: _, ...r }) => r)
    .sort((a, b) => a.key.localeCompare(b.key));
/** The finished classifier cells in a run folder. */
const classifierCells = (runDir: string): string[] =>
  existsSync(path.join(runDir, 'cells')) ? readdirSync(path.join(runDir, 'cells')).filter((f) => f.startsWith('clf-') && !f.includes('.tmp-')) : [];
const finishedCells = (runDir: string) => classifierCells(runDir).length;

let reference: Row[];
/** Seed `seed`'s test split of the full run, from its splits.json. */
const test = (seed: number): GaitSet => {
  const ids = new Set<string>(JSON.parse(readFileSync(path.join(dir, 'full', 'splits.json'), 'utf8'))[String(seed)].test);
  return data.select(data.ids.flatMap((id, i) => (ids.has(id) ? [i] : [])));
};

beforeAll(async () => {
  await initBackend('wasm');
  // 8 walkers × 4 emotions × 4: by walker, 4 train, 2 val and 2 test (8 test gaits of each label: the FID cell's
  // evaluators cross-fit on its two walkers)
  await writeGaitFile(dataPath, data);
  const r = await ablate({ dataPath, config, runDir: path.join(dir, 'full') });
  expect(r.complete).toBe(true);
  reference = rows(path.join(dir, 'full'));
}, 600_000);

describe('gaitforge ablate (tiny grid, same code path as the demo)', () => {
  it('writes one result row per (seed, augmenter, count, classifier), a report, plots and filmstrips', async () => {
    const run = path.join(dir, 'full');
    // per seed: none×0 + stepgen×3 + mirror×3, one classifier
    expect(reference).toHaveLength(6);
    expect(new Set(reference.map((r) => `${r.seed}/${r.augmenter}/${r.count}`)).size).toBe(6);
    for (const r of reference) {
      const total = r.confusion.flat().reduce((a, b) => a + b, 0);
      expect(total).toBe(32); // the test split: 2 of the 8 walkers, 16 gaits each
      expect(r.accuracy).toBeCloseTo(r.confusion.reduce((a, row, i) => a + row[i]!, 0) / total, 12);
    }
    const report = readFileSync(path.join(run, 'report.md'), 'utf8');
    // accuracy: mean ± half-width, or mean [lo, hi] where the interval is clipped to [0, 100]
    expect(report).toMatch(/\| baseline-step \| stepgen \| 3 \| 2 \| \d+\.\d\d( ± \d+\.\d\d| \[\d+\.\d\d, \d+\.\d\d\]) \|/);
    expect(report).toMatch(/Warning: 2 seeds/);
    expect(report).toMatch(/grouped by identity/);
    // no p-values below 5 seeds: the p column of every row of the accuracy table is empty
    const table = report.split('\n').filter((l) => /^\| baseline-step \| (none|stepgen|mirror) \| \d+ \| 2 \|/.test(l));
    expect(table).toHaveLength(3);
    for (const l of table) expect(l.split('|').slice(-2, -1)[0]!.trim()).toBe('—');
    const splits = JSON.parse(readFileSync(path.join(run, 'splits.json'), 'utf8'));
    expect(splits.groupedBy).toBe('identity');
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    // each accuracy interval is the corrected resampled one: mean ∓ t(0.975, 1)·√((1/2 + n_test/n_train)·s²), n_test 32, n_train 64
    for (const sum of results.summaries) {
      const acc = reference.filter((r) => r.augmenter === sum.augmenter && r.count === sum.count).map((r) => r.accuracy);
      const m = (acc[0]! + acc[1]!) / 2;
      const half = 12.706204736174707 * Math.sqrt(1 / 2 + 32 / 64) * Math.abs(acc[0]! - acc[1]!) / Math.SQRT2;
      expect(sum.accuracy.mean).toBeCloseTo(m, 12);
      expect(sum.accuracy.halfWidth).toBeCloseTo(half, 8);
      expect([sum.accuracy.lo, sum.accuracy.hi]).toEqual([Math.max(0, m - sum.accuracy.halfWidth), Math.min(1, m + sum.accuracy.halfWidth)]);
    }
    // every generator's FID cell: label-matched sets (the test split's 8 gaits of each label, halved by walker: 4 each), in
    // ⌈n/2⌉ − 1 dimensions; the evaluator space is that of two evaluators cross-fitted on the test walkers (each scores the
    // other walker's 16 gaits, halved again: 2 of each label)
    expect(results.fids).toHaveLength(2);
    for (const f of results.fids) {
      expect([f.affective.n, f.affective.dim, f.affective.featureDim, f.affective.ridge]).toEqual([16, 7, 29, 0]);
      expect(f.affective.counts).toEqual({ angry: 4, neutral: 4, happy: 4, sad: 4 });
      expect([f.evaluator.n, f.evaluator.dim, f.evaluator.featureDim]).toEqual([8, 3, 64]);
      expect(f.evaluator.counts).toEqual({ angry: 2, neutral: 2, happy: 2, sad: 2 });
      expect(f.evaluator.scheme).toBe('cross-fit');
      expect(f.fakeGaits).toBe(24); // fidPerLabel 6 × 4 labels, in the test split's (equal) proportions
      // the evaluators' accuracy on the test gaits each never trained on, recomputed with the classifier's own evaluation
      const seedTest = test(f.seed);
      const halves = groupedHalves(seedTest, deriveSeed(f.seed, 'evaluator/cross-fit'));
      // the seed's evaluator cell holds both evaluators, shared by every generator of the seed
      const [xev] = readdirSync(path.join(run, 'cells')).filter((n) => n.startsWith('xev-') && JSON.parse(readFileSync(path.join(run, 'cells', n, 'result.json'), 'utf8')).seed === f.seed);
      const folder = path.join(run, 'cells', xev!);
      const evaluators = readdirSync(folder).filter((n) => n.startsWith('evaluator-'));
      expect(evaluators).toHaveLength(2);
      expect(f.evaluator.checkpointHashes).toEqual(JSON.parse(readFileSync(path.join(folder, 'result.json'), 'utf8')).checkpointHashes);
      let real = 0;
      for (const e of evaluators) {
        const rec = JSON.parse(readFileSync(path.join(folder, e, 'evaluator.json'), 'utf8'));
        const trained = [halves.reference, halves.floor].findIndex((h) => gaitSetsHash([seedTest.select(Array.from(h))]) === rec.dataHash);
        expect(trained).toBeGreaterThanOrEqual(0);
        const clf = await loadClassifier(path.join(folder, e));
        real += evaluateClassifier(clf, seedTest.select(Array.from(trained === 0 ? halves.floor : halves.reference))).accuracy / 2;
        clf.dispose();
      }
      expect(f.recognition.real).toBeCloseTo(real, 12);
      // hits among 24 generated gaits, averaged over 2 folds and 3 draws
      expect(f.recognition.generated * 144).toBeCloseTo(Math.round(f.recognition.generated * 144), 9);
      expect(f.recognition.trainingCopyRatio * f.recognition.real * 144).toBeCloseTo(Math.round(f.recognition.trainingCopyRatio * f.recognition.real * 144), 9);
    }
    expect(results.generators).toHaveLength(2);
    for (const g of results.generators) {
      const f = results.fids.find((x: { seed: number; augmenter: string }) => x.seed === g.seed && x.augmenter === g.augmenter);
      expect([g.recognitionRatio, g.fidAffective, g.floorAffective, g.fidEvaluator, g.floorEvaluator]).toEqual([f.recognition.ratio, f.affective.fid, f.affective.floor, f.evaluator.fid, f.evaluator.floor]);
      // its model card: 32 validation gaits of 2 walkers, enough to cross-fit the card's own evaluators
      const card = readFileSync(path.join(run, 'cells', `gen-${g.key}`, 'model', 'README.md'), 'utf8');
      expect(card).toMatch(/- validation gaits: 32 \(angry 8, neutral 8, happy 8, sad 8\)/);
      expect(card).toMatch(/Evaluator: two Baseline-STEP evaluators cross-fitted on the validation gaits/);
    }
    expect(report).toMatch(/\| dim \(affective \/ evaluator\) \| FID \(affective\) \| floor \(affective\) \| FID \(evaluator\) \| floor \(evaluator\) \| recognition ratio \| training-set copy ratio \|/);
    expect(report).toMatch(/\| stepgen \| 2 \| 16 \| 7 \/ 3 \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/);
    expect(report).toMatch(/Recognition ratio: the cross-fitted evaluators' accuracy on the generated gaits/);
    // STEP-Gen against mirroring at the same count, paired by seed: the difference of the two cells' accuracies
    const acc = (seed: number, augmenter: string) => reference.find((r) => r.seed === seed && r.augmenter === augmenter)!.accuracy;
    expect(results.comparisons).toHaveLength(1);
    const [cmp] = results.comparisons;
    expect([cmp.classifier, cmp.count, cmp.learned, cmp.classical, cmp.n, cmp.p]).toEqual(['baseline-step', 3, 'stepgen', 'mirror', 2, null]);
    expect(cmp.meanDiff).toBeCloseTo((acc(1, 'stepgen') - acc(1, 'mirror') + acc(2, 'stepgen') - acc(2, 'mirror')) / 2, 12);
    expect(report).toMatch(/### Generated against classical augmentation[\s\S]*\| baseline-step \| 3 \| stepgen \| mirror \| 2 \| [+-]\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\] \| — \|/);
    for (const f of ['plots/accuracy.svg', 'plots/confusion-baseline-step-real-only.svg', 'strips/sad-real.svg', 'strips/sad-synthetic.svg'])
      expect(readFileSync(path.join(run, f), 'utf8')).toMatch(/^<svg/);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const res = await db.runAndReadAll(`SELECT count(*)::INT AS n, min(accuracy) AS lo, max(accuracy) AS hi FROM '${path.join(run, 'results.parquet')}'`);
    const [n, lo, hi] = res.getRows()[0]!;
    expect(n).toBe(6);
    expect(lo).toBe(Math.min(...reference.map((r) => r.accuracy)));
    expect(hi).toBe(Math.max(...reference.map((r) => r.accuracy)));
  });

  it('scores generators the same whatever classifiers the grid trains (the evaluators are cross-fitted on the test split), or in the affective space only', async () => {
    const run = path.join(dir, 'no-baseline-step');
    const r = await ablate({ dataPath, config: { ...config, augmenters: ['none', 'stepgen'], classifiers: ['step'], seeds: [1] }, runDir: run });
    expect(r.complete).toBe(true);
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    expect(results.cells.map((c: Row & { classifier: string }) => `${c.classifier}/${c.augmenter}`).sort()).toEqual(['step/none', 'step/stepgen']);
    expect(collectResults([run]).cells.every((c) => c.classifier === 'step')).toBe(true);
    // the same generator and FID cell as the full run's seed 1
    const full = JSON.parse(readFileSync(path.join(dir, 'full', 'results.json'), 'utf8'));
    const [g] = results.generators;
    const fullG = full.generators.find((x: { seed: number; augmenter: string }) => x.seed === 1 && x.augmenter === 'stepgen');
    expect(g.checkpointHash).toBe(fullG.checkpointHash);
    expect([g.recognitionRatio, g.fidEvaluator, g.floorEvaluator, g.fidAffective]).toEqual([fullG.recognitionRatio, fullG.fidEvaluator, fullG.floorEvaluator, fullG.fidAffective]);
    // switched off, in the same folder (the same grid): affective FIDs only, and the report says why
    await ablate({ dataPath, config: { ...config, augmenters: ['none', 'stepgen'], classifiers: ['step'], seeds: [1], evaluator: false }, runDir: run });
    const off = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));    expect(off.generators[0].recognitionRatio).toBeNull();
    expect(off.generators[0].fidEvaluator).toBeNull();
    expect(off.generators[0].fidAffective).toBe(g.fidAffective);
    expect(readFileSync(path.join(run, 'report.md'), 'utf8')).toMatch(/Recognition ratio: not measured: the config sets `evaluator: false`/);
    // the folder now holds the generator scored both ways; merging it reports it once, as its config asks (with the evaluator)
    const merged = path.join(dir, 'no-baseline-step-merged');
    await mergeAblation([run], merged);
    const m = JSON.parse(readFileSync(path.join(merged, 'results.json'), 'utf8'));
    expect(m.fids).toHaveLength(1);
    expect(m.generators[0].recognitionRatio).toBe(g.recognitionRatio);
  }, 300_000);

  it('keys generator cells by the config with its defaults filled in: a default spelled out reuses them, another value trains anew', async () => {
    const generators = (run: string) => readdirSync(path.join(run, 'cells')).filter((f) => f.startsWith('gen-')).sort();
    const withCells = (name: string) => {
      const run = path.join(dir, name);
      cpSync(path.join(dir, 'full', 'cells'), path.join(run, 'cells'), { recursive: true });
      return run;
    };
    const same = withCells('default-spelled-out');
    const r = await ablate({ dataPath, config: { ...config, generator: { ...config.generator, lr: DEFAULT_GENERATOR.lr } }, runDir: same });
    expect(r.built).toBe(0);
    expect(rows(same)).toEqual(reference);
    const other = withCells('other-lr');
    const o = await ablate({ dataPath, config: { ...config, generator: { ...config.generator, lr: DEFAULT_GENERATOR.lr / 2 } }, runDir: other });
    // two new generators, their two classifier cells and FIDs; the real-only and mirrored cells reused
    const fresh = generators(other).filter((g) => !generators(path.join(dir, 'full')).includes(g));
    expect(fresh).toHaveLength(2);
    expect(o.built).toBeGreaterThanOrEqual(4);
    const unchanged = (rs: Row[]) => rs.filter((x) => x.augmenter !== 'stepgen');
    expect(unchanged(rows(other))).toEqual(unchanged(reference));
  }, 300_000);

  it('a killed run resumes where it stopped (with worker processes) and ends with the same results', async () => {
    const run = path.join(dir, 'killed');
    // the CLI reads the same config from a YAML file, with one field overridden by an option
    writeFileSync(path.join(dir, 'killed.yaml'), stringify({ ...config, seeds: 5 }));
    const child = spawn(process.execPath, ['dist/cli/main.js', 'ablate', '--data', dataPath, '--run-dir', run, '--quiet', '--backend', 'wasm',
      '--config', path.join(dir, 'killed.yaml'), '--seeds', '2'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (finishedCells(run) >= 2) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        } else if (Date.now() - t0 > 300_000 || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`the run ended or stalled before it could be killed (exit ${child.exitCode})`));
        }
      }, 100);
    });
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(path.join(run, 'report.md'))).toBe(false);
    const partial = finishedCells(run);
    expect(partial).toBeGreaterThanOrEqual(2);
    expect(partial).toBeLessThan(6);
    const r = await ablate({ dataPath, config, runDir: run, workers: 2 });
    expect(r.complete).toBe(true);
    expect(r.built).toBeLessThan(10); // the finished cells were not built again
    expect(rows(run)).toEqual(reference);
  }, 600_000);

  it('the Slurm array of docs/pipeline.md: shards as separate processes in separate folders, merged by `ablate merge`, equal the unsharded run cell for cell', async () => {
    const yaml = path.join(dir, 'shards.yaml');
    writeFileSync(yaml, stringify(config));
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['dist/cli/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const shardDir = (i: number) => path.join(dir, `shard${i}`);
    // both array tasks at once, as a scheduler would start them
    const tasks = await Promise.all([1, 2].map((i) =>
      cli(['ablate', '--data', dataPath, '--config', yaml, '--run-dir', shardDir(i), '--shard', `${i}/2`, '--no-report', '--quiet', '--backend', 'wasm'])));
    for (const t of tasks) expect(t.code, t.stderr).toBe(0);
    expect(existsSync(path.join(shardDir(1), 'report.md'))).toBe(false);
    expect(new Set([...classifierCells(shardDir(1)), ...classifierCells(shardDir(2))]).size).toBe(reference.length);
    expect(finishedCells(shardDir(1))).toBeLessThan(reference.length);
    const merged = path.join(dir, 'merged');
    const m = await cli(['ablate', 'merge', shardDir(1), shardDir(2), '--out', merged, '--quiet']);
    expect(m.code, m.stderr).toBe(0);
    expect(rows(merged)).toEqual(reference);
    // the summary printed beside the report: the gains, then STEP-Gen against mirroring at the same count
    expect(m.stdout).toMatch(/generated against classical augmentation \(paired by seed\):\n.*\n.*\nbaseline-step +3 +stepgen − mirror +2 +[+-]\d+\.\d \[/);
    expect(existsSync(path.join(merged, 'report.md'))).toBe(true);
    await expect(ablate({ dataPath, config: { ...config, counts: [0, 5] }, runDir: shardDir(1) })).rejects.toThrow(/holds another ablation \(different config\)/);
  }, 600_000);

  it('rejects a bad config before any training', async () => {
    const run = path.join(dir, 'bad');
    await expect(ablate({ dataPath, config: { ...config, classifiers: ['svm' as never] }, runDir: run })).rejects.toThrow(/unknown classifier/);
    await expect(ablate({ dataPath, config: { ...config, splits: { train: 0.9, val: 0.05, test: 0.05 } }, runDir: run })).rejects.toThrow(/too few to split/);
    expect(existsSync(path.join(run, 'cells'))).toBe(false);
  });
});

/**
 * Learning curves over the amount of real data, with repeated grouped k-fold
 * cross-validation: the nested real subsets, the folds, the statistics of
 * folds pooled by repeat, the data-equivalence line, and a tiny curve end to
 * end through the CLI.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracyOf, balancedAccuracy, macroF1 } from '../../src/classifier/metrics.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { correctedResampledTTest, studentTQuantile } from '../../src/eval/stats.js';
import { writeGaitFile } from '../../src/io/index.js';
import { resolveAblation } from '../../src/pipeline/ablation/config.js';
import { gridCells } from '../../src/pipeline/ablation/grid.js';
import type { EmotionCellResult } from '../../src/pipeline/ablation/results.js';
import { realSubsetIndices, splitParts } from '../../src/pipeline/ablation/splits.js';
import { dataEquivalence, summarizeCells, type EmotionSummary } from '../../src/pipeline/ablation/summaries.js';
import { runCli } from '../cli-run.js';

// 12 walkers × 4 emotions × 2 walks, each walk its own recording
const data = proceduralDataset({ identities: 12, perEmotion: 2, frames: 16, seed: 8 });

describe('nested real subsets', () => {
  it('take whole walkers, keep every label, and nest: the 25% subset lies inside the 50% one', () => {
    const r = resolveAblation({ splits: { mode: 'kfold', folds: 3 }, realFractions: [0.25, 0.5, 1], seeds: 1, augmenters: ['none'] }, data);
    const u = { seed: 1, fold: 0 };
    const train = data.select(splitParts(data, r, u).train);
    const walkersOf = (rows: number[]) => new Set(rows.map((i) => train.identity[i]));
    const quarter = realSubsetIndices(train, r, u, 0.25);
    const half = realSubsetIndices(train, r, u, 0.5);
    expect(realSubsetIndices(train, r, u, 1)).toEqual(Array.from({ length: train.N }, (_, i) => i));
    for (const i of quarter) expect(half).toContain(i);
    // whole walkers: every walk of a chosen walker, none of the others
    for (const rows of [quarter, half]) {
      const w = walkersOf(rows);
      expect(rows.length).toBe(train.identity.filter((x) => w.has(x)).length);
    }
    const n = walkersOf(Array.from({ length: train.N }, (_, i) => i)).size;
    expect(walkersOf(half).size).toBe(Math.round(0.5 * n));
    expect(walkersOf(quarter).size).toBe(Math.max(1, Math.round(0.25 * n)));
    expect(new Set(quarter.map((i) => train.labels[i])).size).toBe(4);
    expect(realSubsetIndices(train, r, u, 0.25)).toEqual(quarter); // seeded
  });
});

describe('repeated grouped k-fold', () => {
  it('tests every walker exactly once per repeat, holds out val from the training folds, and re-deals the folds per seed', () => {
    const r = resolveAblation({ splits: { mode: 'kfold', folds: 3, val: 0.25 }, seeds: 2, augmenters: ['none'] }, data);
    for (const seed of [1, 2]) {
      const tested = new Map<string, number>();
      for (const fold of [0, 1, 2]) {
        const p = splitParts(data, r, { seed, fold });
        const walkers = (rows: number[]) => new Set(rows.map((i) => data.identity[i]!));
        for (const w of walkers(p.test)) tested.set(w, (tested.get(w) ?? 0) + 1);
        const [tr, va, te] = [walkers(p.train), walkers(p.val), walkers(p.test)];
        for (const w of va) expect(tr.has(w) || te.has(w)).toBe(false);
        for (const w of tr) expect(te.has(w)).toBe(false);
        expect(p.train.length + p.val.length + p.test.length).toBe(data.N);
        expect(va.size).toBe(Math.round(0.25 * (12 - te.size)));
      }
      expect([...tested.values()]).toEqual(new Array(12).fill(1));
    }
    const folds = (seed: number) => [0, 1, 2].map((fold) => splitParts(data, r, { seed, fold }).test.join());
    expect(folds(1)).not.toEqual(folds(2));
    // the grid: seeds × folds × (fractions) × augmenters × amounts × classifiers
    const g = gridCells(resolveAblation({ splits: { mode: 'kfold', folds: 3 }, seeds: 2, realFractions: [0.5, 1], augmenters: ['none', 'mirror'], syntheticRatio: [1], classifiers: ['step'] }, data));
    expect(g).toHaveLength(2 * 3 * 2 * 2);
    expect(g.filter((c) => c.realFraction === undefined)).toHaveLength(12);
  });

  it('refuses what does not apply to k-fold, and counts and ratios together', () => {
    expect(() => resolveAblation({ splits: { mode: 'kfold', test: 0.2 } })).toThrow(/splits.test = 0.2: does not apply to mode 'kfold'/);
    expect(() => resolveAblation({ splits: { mode: 'kfold', folds: 1 } })).toThrow(/splits.folds = 1: must be an integer in \[2, 20\]/);
    expect(() => resolveAblation({ splits: { folds: 4 } })).toThrow(/splits.folds = 4: applies to mode 'kfold' only/);
    expect(() => resolveAblation({ counts: [0, 10], syntheticRatio: [1] })).toThrow(/give either counts or syntheticRatio/);
    expect(() => resolveAblation({ realFractions: [0, 1] })).toThrow(/realFractions = 0: fractions must be numbers in \(0, 1\]/);
    expect(() => resolveAblation({ task: 'identity', realFractions: [0.5, 1] })).toThrow(/realFractions = .*no meaning in task 'identity'/);
  });
});

/** A k-fold cell with a 2-label confusion matrix. */
function cell(seed: number, fold: number, augmenter: string, count: number, confusion: number[][], realFraction?: number): EmotionCellResult {
  return {
    task: 'emotion', seed, fold, ...(realFraction !== undefined ? { realFraction } : {}), augmenter: augmenter as never, count, classifier: 'step',
    accuracy: accuracyOf(confusion), balancedAccuracy: balancedAccuracy(confusion), macroF1: macroF1(confusion), top2: 1, perClassRecall: {}, confusion,
    key: `${seed}/${fold}/${augmenter}/${count}/${realFraction}`, generatorKey: null, trainReal: 40, trainSynthetic: 0, testGaits: 20, bestEpoch: 1, wallSeconds: 1, valAccuracy: 0.5, valGaits: 10,
  };
}

describe('statistics of folds pooled by repeat', () => {
  // 2 repeats × 3 folds; real only and + mirror, whose folds each recognise 1 to 3 more gaits of label 1
  const base = [[[8, 2], [4, 6]], [[9, 1], [5, 5]], [[7, 3], [3, 7]]];
  const more = [1, 3, 2, 2, 1, 2];
  const cells: EmotionCellResult[] = [];
  for (const seed of [1, 2])
    for (const fold of [0, 1, 2]) {
      const m = base[fold]!;
      const k = more[(seed - 1) * 3 + fold]!;
      cells.push(cell(seed, fold, 'none', 0, m), cell(seed, fold, 'mirror', 10, [m[0]!, [m[1]![0]! - k, m[1]![1]! + k]]));
    }
  const summaries = summarizeCells(cells) as EmotionSummary[];
  const mirror = summaries.find((s) => s.augmenter === 'mirror')!;

  it("takes accuracy, balanced accuracy and macro-F1 from each repeat's pooled predictions, mean over repeats", () => {
    const pooled = (seed: number) => {
      const mine = cells.filter((c) => c.seed === seed && c.augmenter === 'mirror');
      return mine.reduce((acc, c) => acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)), [[0, 0], [0, 0]]);
    };
    // seed 1: [[24, 6], [6, 24]]; seed 2: [[24, 6], [7, 23]]
    expect(pooled(1)).toEqual([[24, 6], [6, 24]]);
    expect(mirror.accuracy.mean).toBeCloseTo((48 / 60 + 47 / 60) / 2, 12);
    expect(mirror.balancedAccuracy.mean).toBeCloseTo(((24 / 30 + 24 / 30) / 2 + (24 / 30 + 23 / 30) / 2) / 2, 12);
    expect(mirror.macroF1.mean).toBeCloseTo((macroF1(pooled(1)) + macroF1(pooled(2))) / 2, 12);
    expect([mirror.seeds, mirror.units, mirror.realFraction]).toEqual([2, 6, 1]);
    // the interval: the corrected one of the 6 folds' accuracies (J = k·r = 6, n_test/n_train = 20/40), around the pooled mean
    const acc = cells.filter((c) => c.augmenter === 'mirror').map((c) => c.accuracy);
    const m = acc.reduce((a, b) => a + b, 0) / 6;
    const sd = Math.sqrt(acc.reduce((a, x) => a + (x - m) ** 2, 0) / 5);
    expect(mirror.accuracy.halfWidth).toBeCloseTo(studentTQuantile(0.975, 5) * Math.sqrt(1 / 6 + 20 / 40) * sd, 12);
  });

  it('tests the gain over the k·r folds paired by (seed, fold), as Bouckaert and Frank correct it', () => {
    const t = correctedResampledTTest(cells.filter((c) => c.augmenter === 'mirror').map((c) => c.accuracy), cells.filter((c) => c.augmenter === 'none').map((c) => c.accuracy), { nTrain: 40, nTest: 20 });
    expect(mirror.gain!.n).toBe(6);
    expect(mirror.gain!.meanDiff).toBeCloseTo(11 / 6 / 20, 12); // 11 more hits over 6 folds of 20 gaits
    expect([mirror.gain!.lo, mirror.gain!.hi, mirror.gain!.p]).toEqual([t.lo, t.hi, t.p]);
  });

  it('finds the smallest real fraction that matches real-only training on all of the data', () => {
    const at = (f: number | undefined, augmenter: string, count: number, add: number[]) =>
      [0, 1, 2].flatMap((fold) => [1, 2].map((seed) => cell(seed, fold, augmenter, count, [[10, 0], [10 - add[(seed - 1) * 3 + fold]!, add[(seed - 1) * 3 + fold]!]], f)));
    const all = [
      ...at(undefined, 'none', 0, [6, 6, 6, 6, 6, 6]),
      ...at(0.5, 'none', 0, [2, 3, 2, 3, 2, 3]),
      ...at(0.25, 'none', 0, [1, 0, 1, 0, 1, 0]),
      ...at(0.5, 'mirror', 10, [7, 8, 7, 7, 8, 7]), // better than all of the data on every fold
      ...at(0.25, 'mirror', 10, [3, 4, 3, 4, 3, 4]),
      ...at(undefined, 'mirror', 10, [7, 7, 7, 7, 7, 7]),
    ];
    const eq = dataEquivalence(all);
    const of = (augmenter: string) => eq.find((e) => e.augmenter === augmenter)!;
    expect(of('mirror').realFraction).toBe(0.5);
    expect(of('mirror').difference!.lo).toBeGreaterThan(-0.01);
    expect(of('none').realFraction).toBeNull(); // real only never matches itself below all of the data
  });
});

describe('a tiny learning curve through the CLI', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-curve-'));
  const dataPath = path.join(dir, 'data.parquet');
  beforeAll(async () => {
    await writeGaitFile(dataPath, data);
    writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify({ classifier: { epochs: 1, batchSize: 8 } }));
  });

  it('writes summaries with realFraction, balancedAccuracy and macroF1, a splits.json testing each recording once per repeat, and the learning-curve plot', async () => {
    const run = path.join(dir, 'run');
    const r = await runCli('ablate', '--data', dataPath, '--run-dir', run, '--folds', '3', '--real-fractions', '0.25,1', '--seeds', '2', '--augmenters', 'none,classical',
      '--synthetic-ratio', '1', '--classifiers', 'baseline-step', '--config', path.join(dir, 'tiny.json'), '--quiet', '--json');
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    const summaries = results.summaries as { realFraction: number; augmenter: string; units: number; balancedAccuracy: { mean: number }; macroF1: { mean: number } }[];
    expect(summaries.map((s) => `${s.augmenter}@${s.realFraction}`).sort()).toEqual(['classical@0.25', 'classical@1', 'none@0.25', 'none@1']);
    for (const s of summaries) {
      expect(s.units).toBe(6);
      const rows = (results.cells as { augmenter: string; real_fraction?: number; seed: number; confusion: number[][] }[]).filter((c) => c.augmenter === s.augmenter && (c.real_fraction ?? 1) === s.realFraction);
      const pooled = [1, 2].map((seed) => rows.filter((c) => c.seed === seed).reduce((acc, c) => acc.map((row, i) => row.map((x, j) => x + c.confusion[i]![j]!)), rows[0]!.confusion.map((row) => row.map(() => 0))));
      expect(s.balancedAccuracy.mean).toBeCloseTo(pooled.reduce((a, m) => a + balancedAccuracy(m), 0) / 2, 12);
      expect(s.macroF1.mean).toBeCloseTo(pooled.reduce((a, m) => a + macroF1(m), 0) / 2, 12);
    }
    const splits = JSON.parse(readFileSync(path.join(run, 'splits.json'), 'utf8'));
    expect([splits.mode, splits.folds]).toEqual(['kfold', 3]);
    const recordingOf = new Map(data.ids.map((id, i) => [id, data.recording[i]]));
    for (const seed of ['1', '2']) {
      const tested = splits[seed].folds.flatMap((f: { test: string[] }) => f.test.map((id) => recordingOf.get(id)));
      expect(tested.sort()).toEqual([...new Set(data.recording)].sort()); // each recording once
      for (const f of splits[seed].folds) for (const id of f.trainSubsets['0.25']) expect(f.train).toContain(id);
    }
    expect(readFileSync(path.join(run, 'report.md'), 'utf8')).toMatch(/## Learning curve[\s\S]*plots\/learning-curve\.svg[\s\S]*Data equivalence/);
    expect(readFileSync(path.join(run, 'plots', 'learning-curve.svg'), 'utf8')).toMatch(/^<svg/);

    // its results page: the command that ran it, the machine, the report's sections, the plots copied beside the page
    const page = path.join(dir, 'results', 'curve.md');
    const p = await runCli('report', run, '--out', page, '--title', 'A tiny curve', '--question', 'Does a stack of classical augmentation help at a quarter of the data?');
    expect(p.status, p.stderr).toBe(0);
    const md = readFileSync(page, 'utf8');
    expect(md).toMatch(/^# A tiny curve\n\nDoes a stack of classical augmentation help at a quarter of the data\?/);
    expect(md).toMatch(/- command: `gaitforge ablate --data .* --folds 3 --real-fractions 0\.25,1 --seeds 2/);
    expect(md).toMatch(/- machine: \d+ × .*GiB, Node/);
    // where the time went: every model cell of results.json, timed
    const timed = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).cells as { wall_seconds: number }[];
    expect(timed.every((c) => c.wall_seconds > 0)).toBe(true);
    expect(md).toContain(`${timed.reduce((a, c) => a + c.wall_seconds, 0).toFixed(0)} s training and testing ${timed.length} models`);
    expect(md).toContain('](curve/plots/learning-curve.svg)');
    expect(readFileSync(path.join(dir, 'results', 'curve', 'plots', 'learning-curve.svg'), 'utf8')).toMatch(/^<svg/);
    const none = await runCli('report', dir, '--out', path.join(dir, 'x.md'));
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/is not a run folder/);
  }, 300_000);
});

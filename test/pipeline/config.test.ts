import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { loadAblationConfig, resolveAblation } from '../../src/pipeline/ablation/config.js';
import { gridCells } from '../../src/pipeline/ablation/grid.js';
import { runAblation } from '../../src/pipeline/ablation/run.js';
import { buildCell, cacheKey, canonicalJson, cellDir, readCell } from '../../src/pipeline/cache.js';
import { scheduleGroups, shardCells } from '../../src/pipeline/ablation/grid.js';

describe('ablation config', () => {
  it('fills defaults, always includes the real-only baseline, and spans the grid', () => {
    const r = resolveAblation({ augmenters: ['stepgen', 'mirror'], counts: [0, 10, 20], classifiers: ['step'], seeds: 2 });
    expect(r.augmenters).toEqual(['none', 'stepgen', 'mirror']);
    expect(r.seeds).toEqual([1, 2]);
    const cells = gridCells(r);
    // per seed: none×{0} + stepgen×{10,20} + mirror×{10,20} = 5 cells × 1 classifier
    expect(cells).toHaveLength(10);
    expect(cells.filter((c) => c.augmenter === 'none').every((c) => c.count === 0)).toBe(true);
  });
  it.each([
    [{ augmenters: ['gan'] }, /augmenters = "gan": unknown augmenter/],
    [{ classifiers: ['svm'] }, /classifiers = "svm": unknown classifier/],
    [{ counts: [0, 2.5] }, /counts = 2.5: counts must be non-negative integers/],
    [{ counts: ['10'] }, /counts = "10"/],
    [{ splits: { train: 0.7, val: 0.2, test: 0.2 } }, /fractions sum to 1.1, not 1/],
    [{ seeds: 0 }, /seeds = 0/],
    [{ epochs: 3 }, /epochs = 3: unknown field/],
    [{ evaluator: 'no' }, /evaluator = "no": must be true or false/],
    [{ task: 'identity', evaluator: false }, /evaluator = false: has no meaning in task 'identity'/],
  ])('rejects %j before training', (c, msg) => {
    expect(() => resolveAblation(c as never)).toThrow(msg);
  });
  it('records evaluator only when it is switched off, so run folders of the default config read as before', () => {
    expect('evaluator' in resolveAblation({})).toBe(false);
    expect('evaluator' in resolveAblation({ evaluator: true })).toBe(false);
    expect(resolveAblation({ evaluator: false }).evaluator).toBe(false);
  });
  it('rejects a dataset with a label too small to split', () => {
    const d = proceduralDataset({ identities: 1, perEmotion: 3, frames: 8 });
    expect(() => resolveAblation({ splits: { groupBy: 'gait' } }, d)).toThrow(/label "angry" has 3 gaits \(splits grouped by gait\): too few to split 0.7\/0.15\/0.15 \(needs at least 7\)/);
    expect(() => resolveAblation({}, d)).toThrow(/label "angry" has 1 identities \(splits grouped by identity\)/);
    expect(() => resolveAblation({ splits: { groupBy: 'take' as never } })).toThrow(/splits.groupBy = "take": must be one of auto, identity, recording, identity-or-recording, gait/);
    expect(() => resolveAblation({ splits: { byIdentity: true, groupBy: 'recording' } })).toThrow(/contradicts splits.groupBy/);
    expect(() => resolveAblation({ splits: { train: 0.4, val: 0.3, test: 0.3, byIdentity: true } }, d)).toThrow(/has 1 identities/);
  });
  it('reads YAML and JSON files and names the file on a parse error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-cfg-'));
    writeFileSync(path.join(dir, 'a.yaml'), 'counts: [0, 5]\nclassifiers:\n  - step\n');
    expect(loadAblationConfig(path.join(dir, 'a.yaml'))).toEqual({ counts: [0, 5], classifiers: ['step'] });
    writeFileSync(path.join(dir, 'b.json'), '{"counts": [0,');
    expect(() => loadAblationConfig(path.join(dir, 'b.json'))).toThrow(/b.json is not valid JSON/);
  });
});

describe('cell cache', () => {
  it('keys are stable under key order and change with content', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(cacheKey({ a: 1, b: 2 })).toBe(cacheKey({ b: 2, a: 1 }));
    expect(cacheKey({ a: 1 })).not.toBe(cacheKey({ a: 2 }));
  });
  it('builds a cell once, and a failed build leaves nothing behind', async () => {
    const run = mkdtempSync(path.join(os.tmpdir(), 'gf-cache-'));
    const dir = cellDir(run, 'clf', 'k1');
    let calls = 0;
    const r1 = await buildCell(dir, async () => ({ v: ++calls }));
    const r2 = await buildCell(dir, async () => ({ v: ++calls }));
    expect(r1).toEqual({ v: 1 });
    expect(r2).toEqual({ v: 1 });
    expect(readCell(dir)).toEqual({ v: 1 });
    const bad = cellDir(run, 'clf', 'k2');
    await expect(buildCell(bad, async (tmp) => {
      writeFileSync(path.join(tmp, 'partial.bin'), 'x');
      throw new Error('interrupted');
    })).rejects.toThrow('interrupted');
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(path.join(run, 'cells'))).toEqual(['clf-k1']);
  });
});

describe('sharding', () => {
  it('deals whole (seed, augmenter) groups by work: every cell once, generators spread over the shards', () => {
    const r = resolveAblation({ augmenters: ['none', 'stepgen'], counts: [0, 40], classifiers: ['step'], seeds: 6 });
    const cells = gridCells(r);
    const a = shardCells(cells, { index: 0, count: 2 });
    const b = shardCells(cells, { index: 1, count: 2 });
    const key = (c: (typeof cells)[number]) => `${c.seed}/${c.augmenter}/${c.count}/${c.classifier}`;
    expect([...a, ...b].map(key).sort()).toEqual(cells.map(key).sort());
    // round-robin dealing would give all six stepgen groups to one shard
    const gens = (s: typeof cells) => s.filter((c) => c.augmenter === 'stepgen').length;
    expect(gens(a)).toBeGreaterThanOrEqual(2);
    expect(gens(b)).toBeGreaterThanOrEqual(2);
  });

  it('schedules the longest groups first: generators at the full fraction, then smaller fractions, units of one augmenter side by side', () => {
    const r = resolveAblation({ augmenters: ['none', 'mirror', 'flow'], counts: [0, 40], classifiers: ['step'], seeds: 2, realFractions: [0.5, 1] });
    const order = scheduleGroups(gridCells(r)).map((g) => `${g[0]!.augmenter}@${g[0]!.realFraction ?? 1}/s${g[0]!.seed}`);
    expect(order).toEqual([
      'flow@1/s1', 'flow@1/s2', 'flow@0.5/s1', 'flow@0.5/s2',
      'none@1/s1', 'none@1/s2', 'mirror@1/s1', 'mirror@1/s2',
      'none@0.5/s1', 'none@0.5/s2', 'mirror@0.5/s1', 'mirror@0.5/s2',
    ]);
  });

  it('a worker that fails stops the run with one error naming the worker and the cause', async () => {
    const data = proceduralDataset({ identities: 8, perEmotion: 2, frames: 16, seed: 5 });
    const r = resolveAblation({ augmenters: ['none', 'mirror'], counts: [0, 2], classifiers: ['baseline-step'], seeds: 2 }, data);
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'gf-workers-'));
    // the workers re-read the dataset from dataPath, which does not exist: each fails as it starts
    await expect(runAblation(data, r, { runDir, workers: 2, dataPath: path.join(runDir, 'missing.parquet') })).rejects.toThrow(/ablation worker [12]\/2: .*missing\.parquet/);
    expect(readdirSync(path.join(runDir)).filter((f) => f !== 'splits.json')).toEqual([]);
  }, 60_000);
});


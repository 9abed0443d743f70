import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ablate, collectResults, DEFAULT_GENERATOR, initBackend, mergeAblation, proceduralDataset, writeAblationReport, writeGaitFile, type AblationConfig } from '../../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-ablate-'));
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

beforeAll(async () => {
  await initBackend('wasm');
  await writeGaitFile(dataPath, proceduralDataset({ identities: 4, perEmotion: 3, frames: 16, seed: 5 }));
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
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12); // the test split: 25% of 48 real gaits
    }
    const report = readFileSync(path.join(run, 'report.md'), 'utf8');
    // accuracy: mean ± half-width, or mean [lo, hi] where the interval is clipped to [0, 100]
    expect(report).toMatch(/\| baseline-step \| stepgen \| 3 \| 2 \| \d+\.\d\d( ± \d+\.\d\d| \[\d+\.\d\d, \d+\.\d\d\]) \|/);
    expect(report).toMatch(/\| stepgen \| 2 \| \d+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/); // FID beside its floor, with its size
    expect(report).toMatch(/Warning: 2 seeds/);
    expect(report).toMatch(/grouped by identity/);
    expect(report).not.toMatch(/\| 0\.\d{3} \|$/m); // no p-values below 5 seeds
    const splits = JSON.parse(readFileSync(path.join(run, 'splits.json'), 'utf8'));
    expect(splits.groupedBy).toBe('identity');
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    for (const f of results.fids) expect(f.affective.n).toBe(f.affective.floorN);
    // every generator entry (one per seed) carries the recognition ratio of the seed's real-only Baseline-STEP beside its FIDs
    expect(results.generators).toHaveLength(2);
    for (const g of results.generators) {
      const f = results.fids.find((x: { seed: number; augmenter: string }) => x.seed === g.seed && x.augmenter === g.augmenter);
      expect(f.recognition.generated * 24).toBeCloseTo(Math.round(f.recognition.generated * 24), 9); // hits among 6 gaits × 4 labels
      expect(g.recognitionRatio).toBe(f.recognition.generated / f.recognition.real);
      expect([g.fidAffective, g.floorAffective, g.fidEvaluator, g.floorEvaluator]).toEqual([f.affective.fid, f.affective.floor, f.evaluator.fid, f.evaluator.floor]);
      // its model card: too few validation gaits per label for the metrics (3), and it says so
      const card = readFileSync(path.join(run, 'cells', `gen-${g.key}`, 'model', 'README.md'), 'utf8');
      expect(card).toMatch(/- validation gaits: 12 \(angry 3, neutral 3, happy 3, sad 3\)/);
      expect(card).toMatch(/Not measured: the validation split has fewer than 4 gaits of angry \(3\)/);
    }
    expect(report).toMatch(/\| FID \(evaluator\) \| floor \(evaluator\) \| recognition ratio \|/);
    expect(report).toMatch(/\| stepgen \| 2 \| \d+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/);
    expect(report).toMatch(/Recognition ratio: the evaluator's accuracy on the generated gaits/);
    // STEP-Gen against mirroring at the same count, paired by seed: the difference of the two cells' accuracies
    const acc = (seed: number, augmenter: string) => reference.find((r) => r.seed === seed && r.augmenter === augmenter)!.accuracy;
    expect(results.comparisons).toHaveLength(1);
    const [cmp] = results.comparisons;
    expect([cmp.classifier, cmp.count, cmp.learned, cmp.classical, cmp.n, cmp.p]).toEqual(['baseline-step', 3, 'stepgen', 'mirror', 2, null]);
    expect(cmp.meanDiff).toBeCloseTo((acc(1, 'stepgen') - acc(1, 'mirror') + acc(2, 'stepgen') - acc(2, 'mirror')) / 2, 12);
    expect(report).toMatch(/### Generated against classical augmentation[\s\S]*\| baseline-step \| 3 \| stepgen \| mirror \| 2 \| [+-]\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\] \| — \|/);
    // FID cells scored without an evaluator (older runs): the report says the ratio is not available and how to add it
    const got = collectResults([run]);
    const bare = got.fids.map((f) => ({ ...f, evaluator: null, recognition: null }));
    const out = path.join(dir, 'no-evaluator');
    await writeAblationReport(out, { config: results.config, cells: got.cells, generators: got.generators, fids: bare, meta: results.meta });
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/Recognition ratio: not available in this run: .*running `ablate` again on the run folder adds it/);
    for (const g of JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')).generators) expect(g.recognitionRatio).toBeNull();
    for (const s of results.summaries) {
      expect(s.accuracy.lo).toBeGreaterThanOrEqual(0);
      expect(s.accuracy.hi).toBeLessThanOrEqual(1);
    }
    for (const f of ['plots/accuracy.svg', 'plots/confusion-baseline-step-real-only.svg', 'strips/sad-real.svg', 'strips/sad-synthetic.svg'])
      expect(readFileSync(path.join(run, f), 'utf8')).toMatch(/^<svg/);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const res = await db.runAndReadAll(`SELECT count(*)::INT AS n, min(accuracy) AS lo, max(accuracy) AS hi FROM '${path.join(run, 'results.parquet')}'`);
    const [n, lo, hi] = res.getRows()[0]!;
    expect(n).toBe(6);
    expect(lo).toBe(Math.min(...reference.map((r) => r.accuracy)));
    expect(hi).toBe(Math.max(...reference.map((r) => r.accuracy)));
  });

  it('a grid without Baseline-STEP trains the evaluator as a cell of its own, outside the results, and scores its generators as a grid with it does', async () => {
    const run = path.join(dir, 'no-baseline-step');
    const r = await ablate({ dataPath, config: { ...config, augmenters: ['none', 'stepgen'], classifiers: ['step'], seeds: [1] }, runDir: run });
    expect(r.complete).toBe(true);
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    expect(results.cells.map((c: Row & { classifier: string }) => `${c.classifier}/${c.augmenter}`).sort()).toEqual(['step/none', 'step/stepgen']);
    expect(collectResults([run]).cells.every((c) => c.classifier === 'step')).toBe(true);
    const evalCells = readdirSync(path.join(run, 'cells')).filter((f) => f.startsWith('eval-'));
    expect(evalCells).toHaveLength(1);
    // the same key as the full run's real-only Baseline-STEP cell of seed 1, and the same evaluator, generator and FIDs
    const full = JSON.parse(readFileSync(path.join(dir, 'full', 'results.json'), 'utf8'));
    const evaluatorCell = full.cells.find((c: Row & { classifier: string }) => c.seed === 1 && c.augmenter === 'none' && c.classifier === 'baseline-step');
    expect(evalCells[0]).toBe(`eval-${evaluatorCell.key}`);
    const [g] = results.generators;
    const fullG = full.generators.find((x: { seed: number; augmenter: string }) => x.seed === 1 && x.augmenter === 'stepgen');
    expect(g.checkpointHash).toBe(fullG.checkpointHash);
    expect(typeof g.recognitionRatio).toBe('number');
    expect([g.recognitionRatio, g.fidEvaluator, g.floorEvaluator, g.fidAffective]).toEqual([fullG.recognitionRatio, fullG.fidEvaluator, fullG.floorEvaluator, fullG.fidAffective]);
    expect(readFileSync(path.join(run, 'report.md'), 'utf8')).toMatch(/Recognition ratio: the evaluator's accuracy on the generated gaits/);
    // switched off, in the same folder (the same grid): affective FIDs only, and the report says why
    await ablate({ dataPath, config: { ...config, augmenters: ['none', 'stepgen'], classifiers: ['step'], seeds: [1], evaluator: false }, runDir: run });
    const off = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    expect(off.generators[0].recognitionRatio).toBeNull();
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

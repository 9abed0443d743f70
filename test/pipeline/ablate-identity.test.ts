import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { recordingKeys } from '../../src/eval/identification.js';
import { identitySplit, restyleSources } from '../../src/pipeline/ablation/identity-split.js';
import { ablate, initBackend, mergeAblation, proceduralDataset, writeGaitFile, type AblationConfig } from '../../src/index.js';
import { resolveAblation } from '../../src/pipeline/index.js';
import { runCli } from '../cli-run.js';
import { errorOf } from '../expect-error.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-ablate-id-'));
const dataPath = path.join(dir, 'data.parquet');
const data = proceduralDataset({ identities: 6, perEmotion: 2, frames: 16, seed: 5 });
const config: AblationConfig = {
  task: 'identity',
  identity: { targetFraction: 0.5, model: { channels: [8], heads: 2, embeddingDim: 8, attentionUnits: 8, temporalKernel: 3, P: 3, K: 2, epochs: 1 } },
  augmenters: ['none', 'stepgen'],
  counts: [0, 2],
  seeds: 2,
  generator: { epochs: 1, batchSize: 8, encoderChannels: [8, 8, 8], decoderChannels: [8, 8], latentDim: 4, identityDim: 4 },
};

const configError = (c: AblationConfig): string => {
  try {
    resolveAblation(c, data);
  } catch (e) {
    expect(e).toBeInstanceOf(GaitforgeError);
    expect((e as GaitforgeError).code).toBe('E_CONFIG');
    return (e as Error).message;
  }
  throw new Error('expected E_CONFIG');
};

beforeAll(async () => {
  await initBackend('wasm');
  await writeGaitFile(dataPath, data);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ablate, task identity', () => {
  it('splits: targets recorded in the gallery condition only in training, their other walks the probes, no recording on two sides', () => {
    const r = resolveAblation(config, data);
    const rec = recordingKeys(data);
    const recOf = new Map(data.ids.map((id, i) => [id, rec[i]!]));
    const targetsBySeed: string[][] = [];
    for (const seed of r.seeds) {
      const s = identitySplit(data, r, seed);
      targetsBySeed.push(s.targets);
      expect(s.targets).toHaveLength(3);
      expect([...s.targets, ...s.donors].sort()).toEqual([...new Set(data.identity as string[])].sort());
      const target = new Set(s.targets);
      const neutral = s.train.labelNames.indexOf('neutral');
      // training: donors in every condition, targets in neutral only
      for (let i = 0; i < s.train.N; i++) if (target.has(s.train.identity[i]!)) expect(s.train.labels[i]).toBe(neutral);
      expect(new Set(s.train.labels).size).toBe(4);
      // the probes are the targets' other walks: none of their recordings is in training
      const trainRecordings = new Set(s.train.ids.map((id) => recOf.get(id)));
      const probes = s.evaluation.ids.filter((_, i) => s.evaluation.labels[i] !== neutral);
      expect(probes).toHaveLength(3 * 3 * 2);
      for (const id of probes) expect(trainRecordings.has(recOf.get(id))).toBe(false);
      expect(s.unrecorded).toEqual(data.labelNames.filter((l) => l !== 'neutral'));
    }
    // the seeds re-split
    expect(targetsBySeed[0]).not.toEqual(targetsBySeed[1]);
  });

  it('rejects what the task cannot run, naming the field', () => {
    expect(configError({ ...config, augmenters: ['none', 'mirror'] })).toMatch(/augmenters = "mirror".*the other augmenters cannot make a named walker's walk/);
    expect(configError({ ...config, identity: { ...config.identity, bogus: 1 } as never })).toMatch(/identity\.bogus.*unknown field/);
    expect(configError({ ...config, identity: { targetFraction: 1 } })).toMatch(/identity\.targetFraction = 1/);
    expect(configError({ ...config, identity: { model: { valFraction: 0.2 } } })).toMatch(/identity\.model\.valFraction = 0\.2/);
    expect(configError({ ...config, identity: { model: { heads: 0 } } })).toMatch(/identity\.model\.heads = 0 is out of range/);
    expect(configError({ ...config, identity: { galleryCondition: 'bored' } })).toMatch(/identity\.galleryCondition = "bored".*not a label/);
    expect(configError({ ...config, generator: { identityDim: 0 } })).toMatch(/generator\.identityDim = 0: must be > 0/);
    expect(configError({ ...config, splits: { train: 0.5, val: 0.25, test: 0.25 } })).toMatch(/splits = .*no meaning in task 'identity'/);
    expect(configError({ ...config, task: 'emotion' })).toMatch(/identity = .*set task: 'identity'/);
    expect(configError({ generator: { identityDim: 8 } })).toMatch(/generator\.identityDim = 8.*task 'identity'/);
    expect(configError({ ...config, task: 'speed' as never })).toMatch(/task = "speed"/);
    expect(configError({ ...config, identity: { walks: 'copy' as never } })).toMatch(/identity\.walks = "copy": must be one of sample, restyle/);
    expect(configError({ ...config, identity: { walks: 'restyle', restyleLatent: 'prior' as never } })).toMatch(/identity\.restyleLatent = "prior": must be one of posterior, shifted/);
    expect(configError({ ...config, identity: { restyleLatent: 'posterior' } })).toMatch(/identity\.restyleLatent = "posterior": applies to identity\.walks 'restyle' only/);
    // restyling decodes at the shifted code unless told otherwise; sampling has no restyling latent
    expect(resolveAblation({ ...config, identity: { walks: 'restyle' } }, data).identity!.restyleLatent).toBe('shifted');
    expect(resolveAblation({ ...config, identity: { walks: 'restyle', restyleLatent: 'posterior' } }, data).identity!.restyleLatent).toBe('posterior');
    expect(resolveAblation(config, data).identity!.restyleLatent).toBeNull();
    // the mean-shift control: the identity task's only classical augmenter, alone or beside a learned one
    expect(resolveAblation({ ...config, augmenters: ['mean-shift'] }, data).augmenters).toEqual(['none', 'mean-shift']);
    expect(resolveAblation({ ...config, augmenters: ['stepgen', 'mean-shift'] }, data).augmenters).toEqual(['none', 'stepgen', 'mean-shift']);
  });

  it('writes rank-1 per seed for real-only and augmented cells, splits.json and a report', async () => {
    const runDir = path.join(dir, 'run');
    const r = await ablate({ dataPath, config, runDir });
    expect(r.complete).toBe(true);
    const results = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'));
    const cells = results.cells as Record<string, number | string>[];
    expect(cells.map((c) => `${c.seed}/${c.augmenter}/${c.count}/${c.classifier}`).sort()).toEqual(['1/none/0/gaittake', '1/stepgen/2/gaittake', '2/none/0/gaittake', '2/stepgen/2/gaittake']);
    for (const c of cells) {
      // the cell's rank-1 is the mean of the per-condition rank-1s (the task's own fields: no accuracy)
      const conds = ['angry', 'happy', 'sad'];
      expect(c.rank1).toBeCloseTo(conds.reduce((a, k) => a + (c[`rank1_${k}`] as number), 0) / 3, 10);
      expect([c.rank1_mean, c.mAP_mean, c.rank5_mean]).toEqual([c.rank1, c.mAP, c.rank5]);
      expect('accuracy' in c || 'macro_f1' in c || 'top2' in c).toBe(false);
      for (const k of conds) expect(c[`probes_${k}`]).toBe(6); // 3 targets × 2 walks
      expect(c.gallery_gaits).toBe(6);
      expect(c.train_real).toBe(3 * 8 + 3 * 2); // donors' 8 walks each, targets' 2 neutral walks each
      expect(c.train_synthetic).toBe(c.count === 0 ? 0 : 3 * 3 * 2); // 3 targets × 3 conditions × 2
    }
    const splits = JSON.parse(readFileSync(path.join(runDir, 'splits.json'), 'utf8'));
    expect(splits.groupedBy).toBe('identity-task');
    const rec = recordingKeys(data);
    const recOf = new Map(data.ids.map((id, i) => [id, rec[i]!]));
    for (const seed of ['1', '2']) {
      const s = splits[seed];
      const train = new Set(s.train.map((id: string) => recOf.get(id)));
      for (const id of s.probes) expect(train.has(recOf.get(id))).toBe(false);
      expect(s.gallery.every((id: string) => s.train.includes(id))).toBe(true);
    }
    const report = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    expect(report).toMatch(/Task: identity/);
    expect(report).toMatch(/\| model \| augmenter \| synthetic\/\(target, condition\) \| seeds \| rank-1 \| mAP \|/);
    expect(report).toMatch(/\| gaittake \| stepgen \| 2 \| 2 \| [\d.]+( ± [\d.]+| \[[\d.]+, [\d.]+\]) \|/);
    // re-running finds every cell cached, also in a folder written before identity.walks existed
    const manifest = path.join(runDir, 'ablation.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    delete m.config.identity.walks;
    writeFileSync(manifest, JSON.stringify(m));
    const again = await ablate({ dataPath, config, runDir });
    expect(again.built).toBe(0);
    // two shards in one folder build the same cells as the unsharded run, cell for cell
    const sharded = path.join(dir, 'sharded');
    for (const index of [0, 1]) await ablate({ dataPath, config, runDir: sharded, shard: { index, count: 2 } });
    const merged = await ablate({ dataPath, config, runDir: sharded });
    expect(merged.built).toBe(0);
    const strip = (run: string) =>
      (JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).cells as Record<string, unknown>[]).map(({ wall_seconds: _, ...c }) => c).sort((a, b) => String(a.key).localeCompare(String(b.key)));
    expect(strip(sharded)).toEqual(strip(runDir));
    // a run folder written before the identity task had its own fields (rank-1, mAP, rank-5 in accuracy, macroF1, top2): merged the same
    const old = path.join(dir, 'old-fields');
    cpSync(runDir, old, { recursive: true });
    for (const n of readdirSync(path.join(old, 'cells')).filter((n) => n.startsWith('clf-'))) {
      const f = path.join(old, 'cells', n, 'result.json');
      const { task: _t, rank1, mAP, rank5, ...rest } = JSON.parse(readFileSync(f, 'utf8'));
      writeFileSync(f, JSON.stringify({ ...rest, accuracy: rank1, macroF1: mAP, top2: rank5, perClassRecall: {}, confusion: [] }));
    }
    await mergeAblation([old], path.join(dir, 'old-merged'));
    expect(strip(path.join(dir, 'old-merged'))).toEqual(strip(runDir));

    // walks 'restyle' (a run folder holds one experiment): the same generators (keys) and real-only cells, other augmented cells
    const restyledDir = path.join(dir, 'restyled');
    const restyled = await ablate({ dataPath, config: { ...config, identity: { ...config.identity, walks: 'restyle' } }, runDir: restyledDir });
    const cellsOf = (run: string) => JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).cells as Record<string, number | string>[];
    const keyOf = (run: string, count: number) => cellsOf(run).filter((c) => c.count === count).map((c) => c.key).sort();
    expect(keyOf(restyledDir, 0)).toEqual(keyOf(runDir, 0));
    expect(keyOf(restyledDir, 2)).not.toEqual(keyOf(runDir, 2));
    const genKeys = (run: string) => (JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).generators as { key: string }[]).map((g) => g.key).sort();
    expect(genKeys(restyledDir)).toEqual(genKeys(runDir));
    expect(restyled.complete).toBe(true);
    for (const c of cellsOf(restyledDir).filter((c) => c.count === 2)) expect(c.train_synthetic).toBe(3 * 2 * 3); // 3 targets × their 2 neutral walks × 3 conditions
    expect(readFileSync(path.join(restyledDir, 'report.md'), 'utf8')).toMatch(/restyles n of each target's neutral walks.*shifted by the condition's latent effect/);
    // a folder restyled before the shifted latent existed (no restyleLatent in its manifest) ran the posterior mean: another ablation than today's default
    const restyledManifest = path.join(restyledDir, 'ablation.json');
    const rm = JSON.parse(readFileSync(restyledManifest, 'utf8'));
    delete rm.config.identity.restyleLatent;
    writeFileSync(restyledManifest, JSON.stringify(rm));
    const e = await errorOf(ablate({ dataPath, config: { ...config, identity: { ...config.identity, walks: 'restyle' } }, runDir: restyledDir }));
    expect(e.code).toBe('E_CONFIG');
  }, 600_000);

  it("the mean-shift control: the targets' gallery walks moved by the training walks' label means, no generator, compared with the learned augmenter by seed", async () => {
    const runDir = path.join(dir, 'mean-shift');
    const r = await ablate({ dataPath, config: { ...config, augmenters: ['none', 'stepgen', 'mean-shift'] }, runDir });
    expect(r.complete).toBe(true);
    const results = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'));
    const cells = results.cells as Record<string, number | string | null>[];
    const control = cells.filter((c) => c.augmenter === 'mean-shift');
    expect(control.map((c) => c.seed).sort()).toEqual([1, 2]);
    for (const c of control) expect(c.train_synthetic).toBe(3 * 2 * 3); // 3 targets × their 2 neutral walks × 3 conditions
    // the same real-only cells as the run without the control; generators only for the learned augmenter
    const keys = (run: string, augmenter: string) => (JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).cells as { augmenter: string; key: string }[]).filter((c) => c.augmenter === augmenter).map((c) => c.key).sort();
    expect(keys(runDir, 'none')).toEqual(keys(path.join(dir, 'run'), 'none'));
    expect((results.generators as { augmenter: string }[]).map((g) => g.augmenter)).toEqual(['stepgen', 'stepgen']);
    const report = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    expect(report).toMatch(/The control mean-shift uses no generator/);
    expect(report).toMatch(/### Generated against the control without a generator/);
    expect(report).toMatch(/\| gaittake \| 2 \| stepgen \| mean-shift \| 2 \| [+-]?[\d.]+ \[/);
  }, 300_000);

  it("restyle sources: count of each target's gallery walks, a seeded choice, all of them when it has fewer", () => {
    const r = resolveAblation(config, data);
    const s = identitySplit(data, r, 1);
    const one = restyleSources(s, 'neutral', 1, 7);
    expect(one.identity.slice().sort()).toEqual([...s.targets].sort());
    expect(one.labels.every((l) => one.labelNames[l] === 'neutral')).toBe(true);
    expect(restyleSources(s, 'neutral', 1, 7).ids).toEqual(one.ids);
    const picks = new Set([7, 8, 9, 10, 11, 12].map((seed) => restyleSources(s, 'neutral', 1, seed).ids.join()));
    expect(picks.size).toBeGreaterThan(1);
    expect(restyleSources(s, 'neutral', 5, 7).N).toBe(3 * 2);
  });

  it('the CLI: --task identity runs the task from a config file, prints rank-1; a classical augmenter is one line and exit 1', async () => {
    const { identity, generator } = config;
    const cfgPath = path.join(dir, 'identity.json');
    writeFileSync(cfgPath, JSON.stringify({ identity, generator, counts: [0, 2], augmenters: ['none', 'stepgen'], seeds: 2 }));
    const ok = await runCli('ablate', '--data', dataPath, '--config', cfgPath, '--task', 'identity', '--run-dir', path.join(dir, 'run'), '--json', '--quiet');
    expect(ok.status).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.task).toBe('identity');
    expect(out.built).toBe(0); // the cells of the library run above, cached
    expect(out.summaries.map((s: { augmenter: string }) => s.augmenter).sort()).toEqual(['none', 'stepgen']);
    const bad = await runCli('ablate', '--data', dataPath, '--config', cfgPath, '--task', 'identity', '--augmenters', 'none,mirror', '--run-dir', path.join(dir, 'bad'));
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/augmenters = "mirror"/);
  }, 120_000);
});

/**
 * Every generator family as a learned augmenter of `ablate`: its own config
 * section, its generator and FID cells, and the identity task's flow
 * restyling walks.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ablate, initBackend, proceduralDataset, writeGaitFile, type AblationConfig } from '../../src/index.js';
import { resolveAblation } from '../../src/pipeline/index.js';
import { readGeneratorFamilyManifest } from '../../src/generator/family.js';
import { generatorModelDir } from '../../src/pipeline/ablation/cells/generator.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-families-'));
const dataPath = path.join(dir, 'data.parquet');
const data = proceduralDataset({ identities: 8, perEmotion: 4, frames: 16, seed: 5 });

beforeAll(async () => {
  await initBackend('wasm');
  await writeGaitFile(dataPath, data);
});

describe('generator families in the ablation', () => {
  it('gives each family its own section and names a field of another family', () => {
    const r = resolveAblation({ augmenters: ['none', 'flow', 'pca-gaussian'], generators: { flow: { epochs: 3 }, 'pca-gaussian': { maxComponents: 8 } } });
    expect(r.generators).toEqual({ flow: { epochs: 3 }, 'pca-gaussian': { maxComponents: 8 } });
    expect(() => resolveAblation({ augmenters: ['none', 'flow'], generators: { flow: { latentDim: 16 } as never } })).toThrow(/generators\.flow\.latentDim is a STEP-Gen field \(GeneratorConfig\), not a field of the flow variant/);
    expect(() => resolveAblation({ generators: { 'pca-gaussian': { steps: 4 } as never } })).toThrow(/generators\.pca-gaussian\.steps/);
    expect(() => resolveAblation({ generators: { stepgen: {} } as never })).toThrow(/generators\.stepgen.*unknown section \(known: flow, pca-gaussian; the CVAE family's options are the generator section\)/);
    // the identity task: the flow restyles (it has no identity embedding), the floor cannot make a named walker's walk
    expect(() => resolveAblation({ task: 'identity', augmenters: ['none', 'flow'] })).toThrow(/set identity\.walks: 'restyle'/);
    expect(() => resolveAblation({ task: 'identity', augmenters: ['none', 'pca-gaussian'] })).toThrow(/augmenters = "pca-gaussian"/);
  });

  it('trains the flow and fits the floor on each seed, writes their cards, and scores both with the seed\'s evaluators', async () => {
    const config: AblationConfig = {
      splits: { train: 0.5, val: 0.25, test: 0.25 }, augmenters: ['none', 'flow', 'pca-gaussian'], counts: [0, 3], classifiers: ['baseline-step'], seeds: 1,
      generators: { flow: { epochs: 2, width: 32, depth: 1, batchSize: 16 }, 'pca-gaussian': { maxComponents: 8 } }, classifier: { epochs: 1, batchSize: 8 }, fidPerLabel: 6,
    };
    const run = path.join(dir, 'run');
    const r = await ablate({ dataPath, config, runDir: run });
    expect(r.complete).toBe(true);
    const results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'));
    expect(results.generators.map((g: { augmenter: string }) => g.augmenter).sort()).toEqual(['flow', 'pca-gaussian']);
    for (const g of results.generators as { key: string; augmenter: string; checkpointHash: string }[]) {
      const m = readGeneratorFamilyManifest(generatorModelDir(run, g));
      expect(m.config.variant).toBe(g.augmenter);
      // the section reached its family, and only it
      if (g.augmenter === 'flow') expect([(m.config as { epochs: number }).epochs, (m.config as { width: number }).width]).toEqual([2, 32]);
      else expect((m.config as { maxComponents: number }).maxComponents).toBe(8);
      const card = readFileSync(path.join(generatorModelDir(run, g), 'README.md'), 'utf8');
      expect(card).toMatch(new RegExp(`- variant: ${g.augmenter} \\(`));
      // the synthetic rows of its classifier cell carry its tag
      const f = results.fids.find((x: { augmenter: string }) => x.augmenter === g.augmenter);
      expect(f.evaluator.checkpointHashes).toHaveLength(2);
    }
    // one evaluator cell for the seed, shared by both generators
    const [flowFid, floorFid] = ['flow', 'pca-gaussian'].map((a) => results.fids.find((x: { augmenter: string }) => x.augmenter === a));
    expect(flowFid.evaluator.checkpointHashes).toEqual(floorFid.evaluator.checkpointHashes);
    expect(readdirSync(path.join(run, 'cells')).filter((n) => n.startsWith('xev-'))).toHaveLength(1);
    const report = readFileSync(path.join(run, 'report.md'), 'utf8');
    expect(report).toMatch(/flow:\n\n```json\n\{\n  "variant": "flow"/);
    expect(report).toMatch(/\| pca-gaussian \| 1 \| /);
  }, 300_000);

  it("the identity task's flow restyles each target's gallery walks into the conditions they were not recorded in", async () => {
    const run = path.join(dir, 'identity');
    const r = await ablate({
      dataPath, runDir: run,
      config: { task: 'identity', augmenters: ['none', 'flow'], counts: [0, 2], seeds: 1, generators: { flow: { epochs: 2, width: 32, depth: 1, batchSize: 16 } }, identity: { walks: 'restyle', model: { epochs: 1 } } },
    });
    expect(r.complete).toBe(true);
    const cells = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).cells as { augmenter: string; train_synthetic: number; rank1: number }[];
    // 4 targets × their 2 neutral walks (all they have) × 3 other conditions
    expect(cells.find((c) => c.augmenter === 'flow')!.train_synthetic).toBe(4 * 2 * 3);
    expect(cells.find((c) => c.augmenter === 'none')!.train_synthetic).toBe(0);
  }, 300_000);
});

import { describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { ablationSplits } from '../../src/pipeline/ablation/run.js';
import { resolveAblation } from '../../src/pipeline/ablation/config.js';
import { DEMO_PRESETS } from '../../src/pipeline/demo.js';

// The presets are checked as the demo runs them (before any training): the config resolves
// against the data it generates, and every seed's split keeps walkers on one side.
describe('demo presets', () => {
  for (const name of ['quick', 'full'] as const) {
    it(`${name}: resolves against its data, at least 5 seeds, splits grouped by walker`, () => {
      const preset = DEMO_PRESETS[name];
      const data = proceduralDataset({ ...preset.data, seed: 1 });
      const r = resolveAblation(preset.ablation, data);
      expect(r.seeds.length).toBeGreaterThanOrEqual(5);
      const splits = ablationSplits(data, r);
      expect(splits.groupedBy).toBe('identity');
      const walker = new Map(data.ids.map((id, i) => [id, data.identity[i]]));
      for (const seed of r.seeds) {
        const s = splits[String(seed)] as { train: string[]; val: string[]; test: string[] };
        const walkers = (ids: string[]) => new Set(ids.map((id) => walker.get(id)));
        const [train, val, test] = [walkers(s.train), walkers(s.val), walkers(s.test)];
        for (const w of test) expect(train.has(w) || val.has(w)).toBe(false);
        for (const w of val) expect(train.has(w)).toBe(false);
        expect(s.train.length + s.val.length + s.test.length).toBe(data.N);
      }
    });
  }

  it('quick: the sizes docs/pipeline.md quotes (300 / 60 / 120 real gaits per seed, T = 16 at 15 fps)', () => {
    const preset = DEMO_PRESETS.quick;
    const data = proceduralDataset({ ...preset.data, seed: 1 });
    expect([data.N, data.T, data.fps]).toEqual([480, 16, 15]);
    const r = resolveAblation(preset.ablation, data);
    const s = ablationSplits(data, r)[String(r.seeds[0])] as { train: string[]; val: string[]; test: string[] };
    expect([s.train.length, s.val.length, s.test.length]).toEqual([300, 60, 120]);
  });
});

/**
 * What the toolkit exists for: a trained STEP-Gen produces walking (limbs
 * that swing at the real speed, a body that moves forward at the real speed
 * and keeps its shape), and its L_c + L_d plateau lies below the baseline
 * CVAE's (STEP Fig. 5). Small on purpose: 32 procedural gaits of 16 frames
 * at 15 fps (about one gait cycle), the default architecture, a short run of
 * 180 steps of 8 gaits. 64 gaits in steps of 16 (45 epochs, as many steps)
 * took twice the CPU for the same verdicts: limb speed −9% against −12% here,
 * Fig. 5 plateaus 0.64 / 3.56 against 0.85 / 3.66; at 30 epochs limb speed
 * fell to −45% (limbs hardly swing), so the step count stays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import type { GeneratorConfig } from '../../src/generator/config.js';
import { canonicalizeAll, destandardize } from '../../src/generator/normalize.js';
import { motionStats, type MotionStats } from '../../src/generator/quality.js';
import { loadGenerator, type Generator } from '../../src/generator/sample.js';
import { trainGenerator, type TrainGeneratorResult } from '../../src/generator/train.js';

const data = proceduralDataset({ identities: 4, perEmotion: 2, frames: 16, fps: 15, seed: 5 });
const CONFIG: GeneratorConfig = { epochs: 45, batchSize: 8, lr: 2e-3, lrSteps: [0.7], valFraction: 0 };
const real = motionStats(new GaitSet({ ...data, positions: canonicalizeAll(data.positions, data.T, data.V), labels: data.labels }));
const counts = Object.fromEntries(data.labelNames.map((l) => [l, 16]));
let tmp: string;
let stepgen: TrainGeneratorResult;
let baseline: TrainGeneratorResult;
let gen: Generator;

/** Relative deviations from the real gaits' statistics. */
function deviation(s: MotionStats) {
  const rel = (k: keyof MotionStats) => s[k] / real[k] - 1;
  return { jointSpeed: rel('jointSpeed'), limbSpeed: rel('limbSpeed'), rootProgress: rel('rootProgress'), boneLengthCV: rel('boneLengthCV') };
}

/** Walking: joint, limb and root speeds within ±20% of real; bones not less stable than real by more than 20%. */
function walks(s: MotionStats): boolean {
  const d = deviation(s);
  return Math.abs(d.jointSpeed) <= 0.2 && Math.abs(d.limbSpeed) <= 0.2 && Math.abs(d.rootProgress) <= 0.2 && d.boneLengthCV <= 0.2;
}

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-quality-'));
  stepgen = await trainGenerator(data, { ...CONFIG, variant: 'stepgen' }, { outDir: path.join(tmp, 'stepgen'), seed: 1 });
  baseline = await trainGenerator(data, { ...CONFIG, variant: 'cvae-baseline' }, { outDir: path.join(tmp, 'baseline'), seed: 1 });
  gen = await loadGenerator(path.join(tmp, 'stepgen'));
}, 600_000);

afterAll(() => {
  gen?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('STEP-Gen quality on the procedural demo data', () => {
  it('samples walk like the real gaits', () => {
    const fake = motionStats(gen.sample(counts, { seed: 3 }));
    expect(deviation(fake)).toSatisfy(() => walks(fake));
  });

  it('the decoder itself swings the limbs; the rigid-skeleton fit only fixes bone lengths', () => {
    const raw = motionStats(gen.sample(counts, { seed: 3, rigid: false }));
    const d = deviation(raw);
    expect(Math.abs(d.limbSpeed)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(d.rootProgress)).toBeLessThanOrEqual(0.2);
    // raw bones stretch more than real ones (a known weakness, see docs/generator.md); guard the current level
    expect(raw.boneLengthCV).toBeLessThan(3 * real.boneLengthCV);
  });

  it('the check rejects a rigid pose carried forward (the mean walk)', () => {
    const mean = new Float32Array(data.stride);
    destandardize(mean, gen.normalization);
    const positions = new Float32Array(data.N * data.stride);
    for (let n = 0; n < data.N; n++) positions.set(mean, n * data.stride);
    const still = motionStats(new GaitSet({ positions, labels: data.labels, labelNames: data.labelNames, T: data.T, fps: data.fps }));
    expect(walks(still)).toBe(false);
    expect(deviation(still).limbSpeed).toBeLessThan(-0.5);
  });

  it("STEP Fig. 5: STEP-Gen's L_c + L_d plateau lies below the baseline CVAE's", () => {
    const plateau = (r: TrainGeneratorResult) => {
      const last = r.history.slice(-5);
      return last.reduce((a, h) => a + h.train.lc + h.train.ld, 0) / last.length;
    };
    expect(stepgen.history).toHaveLength(CONFIG.epochs!);
    expect(plateau(stepgen)).toBeLessThan(plateau(baseline));
  });
});

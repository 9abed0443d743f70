import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { Rng } from '../../src/core/rng.js';
import { comparePlausibility, plausibility, plausibilityOf } from '../../src/eval/plausibility.js';

/** The 60 STEP-Gen gaits of the E-Gait-format fixture (18 frames × 16 joints, float64 on disk). */
async function egaitFixture(): Promise<GaitSet> {
  await h5wasm.ready;
  const path = fileURLToPath(new URL('../fixtures/egait-format/features4DCVAEGCN.h5', import.meta.url));
  const f = new h5wasm.File(path, 'r');
  try {
    const keys = f.keys();
    const T = 18;
    const pos = new Float32Array(keys.length * T * 48);
    keys.forEach((k, i) => pos.set(Float64Array.from((f.get(k) as h5wasm.Dataset).value as Float64Array), i * T * 48));
    return new GaitSet({ positions: pos, labels: keys.map(() => 0), labelNames: ['any'], T, ids: keys });
  } finally {
    f.close();
  }
}

describe('plausibility', () => {
  const real = proceduralDataset({ identities: 4, perEmotion: 2, seed: 2 });

  it('passes the procedural walker (rigid bones plus 6 mm noise)', () => {
    const { summary } = plausibility(real);
    expect(summary.flagged).toBe(0);
    expect(summary.collapsedGaits).toBe(0);
    expect(summary.maxBoneCv.max).toBeLessThan(0.1);
    expect(summary.boneCv.mean).toBeGreaterThan(0.01); // the noise is visible
    expect(summary.footSkate.mean).toBeGreaterThan(0);
  });

  it('flags every degenerate STEP-Gen gait of the E-Gait fixture (coincident knee and foot joints)', async () => {
    const set = await egaitFixture();
    expect(set.N).toBe(60);
    const { perGait, summary } = plausibility(set);
    expect(summary.flagged).toBe(60);
    expect(summary.collapsedGaits).toBe(60);
    const first = perGait[set.ids.indexOf('00001_Angry')]!;
    expect(first.collapsedBones).toBeGreaterThanOrEqual(2); // knee–foot of both legs
    expect(first.reasons[0]).toMatch(/collapsed bone/);
    for (const p of perGait) for (const v of [p.boneCv, p.maxBoneCv, p.footSkate, p.jerk]) expect(Number.isFinite(v)).toBe(true);
    expect(summary.examples[0]).toMatch(/^00001_/);
  });

  it('flags stretching limbs', () => {
    const g = Float32Array.from(real.gait(0));
    // the forearm of arm A (elbow 5 → hand 6) grows and shrinks by ±40%
    for (let t = 0; t < real.T; t++) {
      const s = 1 + 0.4 * Math.sin((2 * Math.PI * t) / 25);
      for (let k = 0; k < 3; k++) {
        const e = (t * 16 + 5) * 3 + k;
        const h = (t * 16 + 6) * 3 + k;
        g[h] = g[e]! + s * (g[h]! - g[e]!);
      }
    }
    const p = plausibilityOf(g, real.T, 16, real.fps);
    expect(p.flagged).toBe(true);
    expect(p.maxBoneCv).toBeGreaterThan(0.2);
    expect(p.reasons.join(' ')).toMatch(/varies by up to/);
  });

  it('foot skating: a foot sliding on the floor at 1 m/s scores 1 m/s; jerk is 0 at constant velocity', () => {
    const T = 32;
    const g = new Float32Array(T * 48);
    for (let t = 0; t < T; t++)
      for (let j = 0; j < 16; j++) {
        const o = (t * 16 + j) * 3;
        g[o] = 0.1 * (j % 4); // spread the joints so that no bone collapses
        g[o + 1] = j === 12 || j === 15 ? 0 : 0.5 + 0.1 * j;
        g[o + 2] = t / 32; // everything slides forward at 1 m/s (exact in float32 at 32 fps)
      }
    const p = plausibilityOf(g, T, 16, 32);
    expect(p.footSkate).toBeCloseTo(1, 12);
    expect(p.contactFraction).toBe(1);
    expect(p.jerk).toBe(0);
  });

  it('compares generated with real: jitter raises jerk and bone-length variation', () => {
    const rng = new Rng(3, 'test/plausibility');
    const jittery = new GaitSet({
      positions: real.positions.map((v) => v + rng.normal(0, 0.03)), labels: real.labels, labelNames: real.labelNames, T: real.T,
    });
    const c = comparePlausibility(real, jittery);
    expect(c.ratio.jerk).toBeGreaterThan(3);
    expect(c.ratio.boneCv).toBeGreaterThan(2);
    expect(c.real.n).toBe(real.N);
  });

  it('compares generated with real: feet that slide sideways raise foot skating', () => {
    const pos = Float32Array.from(real.positions);
    const per = real.stride;
    for (let i = 0; i < real.N; i++)
      for (let t = 0; t < real.T; t++)
        for (const foot of [12, 15]) pos[i * per + (t * 16 + foot) * 3]! += (1.5 * t) / real.fps; // +1.5 m/s along x
    const sliding = new GaitSet({ positions: pos, labels: real.labels, labelNames: real.labelNames, T: real.T });
    const c = comparePlausibility(real, sliding, { maxBoneCv: 10 });
    expect(c.ratio.footSkate).toBeGreaterThan(1.3);
    expect(c.generated.footSkate.mean).toBeGreaterThan(1.5);
  });

  it('validates its config', () => {
    expect(() => plausibility(real, { contactHeight: -1 })).toThrow(/contactHeight/);
  });
});

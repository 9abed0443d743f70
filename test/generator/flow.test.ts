import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import type { GaitSet } from '../../src/core/gaitset.js';
import { readGaitFile } from '../../src/io/gaitfile.js';
import { Engine } from '../../src/train/engine.js';
import { resolveFlow, timeGrid, type FlowConfig } from '../../src/generator/flow/config.js';
import { buildDenoiser } from '../../src/generator/flow/model.js';
import { FlowTask, flowGeometry, footContacts } from '../../src/generator/flow/objective.js';
import { FlowGenerator } from '../../src/generator/flow/sample.js';
import { trainFlow } from '../../src/generator/flow/train.js';
import { fitPcaSpace, toSpace } from '../../src/generator/pca-space.js';
import { canonicalizeAll, fitNormalization, standardize } from '../../src/generator/normalize.js';
import { restyle } from '../../src/generator/restyle.js';
import { generateToFile, loadGenerator, startSampler } from '../../src/generator/sample.js';
import { EDGES } from '../../src/core/skeleton.js';
import { errorOf } from '../expect-error.js';
import { toyGaits, toyMoments } from './toy-gaits.js';

// per label 300 training gaits, whose moments the samples are checked against
const toy = toyGaits({ perLabel: 300, sds: [0.04, 0.02, 0.01], shift: 0.04 });
// explained variance 1: exactly the toy's rank about its mean, 3 (the labels differ along the first direction);
// per-component scaling: its smallest direction (1 cm) is lost in the flow's error at one global
// scale (variance 18× too large along it, measured), while gait data train better at the global one
// guidance 1: the moments below are the conditional distribution's
const CFG: FlowConfig = {
  explainedVariance: 1, componentScale: 'per-component', width: 64, depth: 2, timeFeatures: 8, epochs: 50, batchSize: 32, lr: 5e-3, lrSteps: [0.75], valFraction: 0, steps: 8, guidance: 1,
};
let tmp: string;
const dir = (name: string) => path.join(tmp, name);
let gen: FlowGenerator;

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-flow-'));
  await trainFlow(toy.set, CFG, { outDir: dir('m'), seed: 1 });
  gen = (await loadGenerator(dir('m'))) as FlowGenerator;
}, 120_000);
afterAll(() => {
  gen?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const bits = (s: GaitSet) => Buffer.from(s.positions.buffer, s.positions.byteOffset, s.positions.byteLength);

describe('flow', () => {
  it("samples each label's mean and variance of a known distribution", () => {
    expect(gen).toBeInstanceOf(FlowGenerator);
    expect(gen.tag).toMatch(/^flow@[0-9a-f]{12}$/);
    const out = gen.sample({ sad: 1000, happy: 1000 }, { seed: 2, rigid: false });
    const { mean, variance, residual } = toyMoments(toy, out);
    // the training moments themselves err by sd/√300 (mean) and sd²·√(2/299) (variance); the
    // generated ones by sd/√1000 and sd²·√(2/999). The flow adds its own error: allowed as much
    // again, i.e. twice the 4-standard-error band of the sample sizes (measured: mean within
    // 0.16 sd, variance within 33% on the 1 cm direction, 18% on the others)
    const meanTol = 2 * 4 * Math.sqrt(1 / 300 + 1 / 1000);
    const varTol = 2 * 4 * Math.sqrt(2 / 299 + 2 / 999);
    for (let l = 0; l < 2; l++)
      toy.sds.forEach((sd, i) => {
        expect(Math.abs(mean[l]![i]!) / sd).toBeLessThan(meanTol);
        expect(Math.abs(variance[l]![i]! / sd ** 2 - 1)).toBeLessThan(varTol);
      });
    expect(residual).toBeLessThan(1e-3);
  });

  it('guidance 0 ignores the label; more guidance separates the labels more', () => {
    const D = toy.set.T * toy.set.V * 3;
    const diff = Float64Array.from({ length: D }, (_, j) => toy.means[0]![j]! - toy.means[1]![j]!);
    const norm2 = diff.reduce((a, v) => a + v * v, 0);
    // (mean sad sample − mean happy sample) along the true difference, as a fraction of it
    const separation = (guidance: number) => {
      const s = gen.sample({ sad: 300, happy: 300 }, { seed: 3, rigid: false, guidance });
      const m = [new Float64Array(D), new Float64Array(D)];
      for (let n = 0; n < s.N; n++) {
        const l = s.labels[n]! === s.labelNames.indexOf('sad') ? 0 : 1;
        const g = s.gait(n);
        for (let j = 0; j < D; j++) m[l]![j]! += g[j]! / 300;
      }
      return m[0]!.reduce((a, v, j) => a + (v - m[1]![j]!) * diff[j]!, 0) / norm2;
    };
    const [w0, w1, w2, w3] = [separation(0), separation(1), separation(2), separation(3)];
    expect(Math.abs(w0)).toBeLessThan(0.2);
    expect(Math.abs(w1 - 1)).toBeLessThan(0.1);
    // the labels overlap (±2 cm along a 4 cm direction), so guidance has room to pull them apart
    // (measured 0.95, 1.88, 2.78 at W = 1, 2, 3); the estimate's own noise is about 0.05
    expect(w2).toBeGreaterThan(w1 + 0.3);
    expect(w3).toBeGreaterThan(w2 + 0.3);
  });

  it('gives the same gaits whatever the batch size or thread count, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    for (const guidance of [1, 2]) {
      const one = gen.sample({ sad: 5, happy: 4 }, { seed: 4, batchSize: 1, guidance });
      const seven = gen.sample({ sad: 5, happy: 4 }, { seed: 4, batchSize: 7, guidance });
      const all = gen.sample({ sad: 5, happy: 4 }, { seed: 4, guidance });
      expect(bits(one).equals(bits(all))).toBe(true);
      expect(bits(seven).equals(bits(all))).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    const a = await generateToFile(dir('m'), dir('a.parquet'), { counts: { sad: 5, happy: 4 }, seed: 4, threads: 1, guidance: 2, steps: 6 });
    const b = await generateToFile(dir('m'), dir('b.parquet'), { counts: { sad: 5, happy: 4 }, seed: 4, threads: 2, guidance: 2, steps: 6, batchSize: 3 });
    expect([a.generator, a.prior, a.steps, a.guidance]).toEqual([gen.tag, null, 6, 2]);
    const [fa, fb] = [await readGaitFile(dir('a.parquet')), await readGaitFile(dir('b.parquet'))];
    expect(bits(fa).equals(bits(fb))).toBe(true);
    expect(fa.generator[0]).toBe(gen.tag);
    expect(fa.seed).toEqual(gen.sample({ sad: 5, happy: 4 }, { seed: 4 }).seed);
    // the other steps give other gaits
    expect(bits(fa).equals(bits(gen.sample({ sad: 5, happy: 4 }, { seed: 4, guidance: 2 })))).toBe(false);
    const sampler = await startSampler(gen, 2);
    expect(sampler.threads).toBe(2);
    const c = await sampler.sample({ sad: 5, happy: 4 }, { seed: 4, guidance: 2, steps: 6 });
    await sampler.close();
    expect(bits(c).equals(bits(fa))).toBe(true);
  });

  it('restyles: strength 0 returns the walk itself, more strength moves it further; per-walk seeds, any thread count', async () => {
    const source = toy.set.select([0, 2, 4]); // sad walks
    const canonical = canonicalizeAll(source.positions, source.T, source.V);
    const before = tf.memory().numTensors;
    const s0 = await restyle(gen, source, { to: ['happy'], strength: 0 });
    expect(Buffer.from(s0.positions.buffer).equals(Buffer.from(canonical.buffer))).toBe(true);
    const rms = (s: GaitSet) => Math.sqrt(s.positions.reduce((a, x, i) => a + (x - canonical[i]!) ** 2, 0) / s.positions.length);
    const [s3, s8] = [await restyle(gen, source, { to: ['happy'], strength: 0.3 }), await restyle(gen, source, { to: ['happy'], strength: 0.8 })];
    expect(rms(s3)).toBeGreaterThan(1e-3);
    expect(rms(s8)).toBeGreaterThan(rms(s3));
    expect(tf.memory().numTensors).toBe(before);
    expect(s3.labelNames[s3.labels[0]!]).toBe('happy');
    expect(new Set(s3.seed).size).toBe(3);
    const two = await restyle(gen, source, { to: ['happy'], strength: 0.3, threads: 2 });
    expect(bits(two).equals(bits(s3))).toBe(true);
    const otherSeed = await restyle(gen, source, { to: ['happy'], strength: 0.3, seed: 9 });
    expect(bits(otherSeed).equals(bits(s3))).toBe(false);
    // the default strength is the config's
    const dflt = await restyle(gen, source, { to: ['happy'] });
    expect(bits(dflt).equals(bits(await restyle(gen, source, { to: ['happy'], strength: 0.5 })))).toBe(true);
  });

  it('resumes an interrupted run to the same weights and losses as an uninterrupted one (2 threads)', async () => {
    const small = toy.set.select(Array.from({ length: 120 }, (_, i) => i));
    const cfg: FlowConfig = { ...CFG, epochs: 3, batchSize: 16, valFraction: 0.2 };
    const full = await trainFlow(small, cfg, { outDir: dir('full'), seed: 5, threads: 2 });
    const controller = new AbortController();
    const first = await trainFlow(small, cfg, { outDir: dir('resumed'), seed: 5, threads: 2, signal: controller.signal, onEpoch: (l) => l.epoch === 1 && controller.abort() });
    expect([first.completed, first.history.length]).toEqual([false, 1]);
    const second = await trainFlow(small, cfg, { outDir: dir('resumed'), seed: 5, threads: 2, resume: true });
    expect(second.completed).toBe(true);
    expect(second.history.map((h) => [h.train, h.val])).toEqual(full.history.map((h) => [h.train, h.val]));
    const w = (d: string) => readFileSync(path.join(dir(d), 'last', 'denoiser', 'weights.bin'));
    expect(w('resumed').equals(w('full'))).toBe(true);
    expect((await errorOf(trainFlow(small, { ...cfg, epochs: 4 }, { outDir: dir('full'), seed: 5, resume: true }))).message).toMatch(/config differs: epochs = 3 there, 4 now/);
  });

  it('a training step leaves no tensors behind', async () => {
    const x = standardize(canonicalizeAll(toy.set.positions, toy.set.T, toy.set.V), fitNormalization(canonicalizeAll(toy.set.positions, toy.set.T, toy.set.V), toy.set.stride));
    const norm = fitNormalization(canonicalizeAll(toy.set.positions, toy.set.T, toy.set.V), toy.set.stride);
    const space = fitPcaSpace(x, toy.set.stride, { explainedVariance: 1, maxComponents: 16, seed: 1, scale: 'per-component' });
    const cfg = resolveFlow({ ...CFG, boneWeight: 1, footWeight: 1, velocityWeight: 1 });
    const model = buildDenoiser(cfg, { k: space.basis.k, labels: 2 }, 1);
    const data = { z: toSpace(space, x), labels: toy.set.labels, contacts: footContacts(toy.set.positions, toy.set.T, toy.set.V) };
    const task = new FlowTask(model, cfg, 2, data, flowGeometry(space, norm, EDGES.map(([a, b]) => [a, b] as [number, number]), toy.set.T, toy.set.V, 30));
    const engine = new Engine(task, { lr: 1e-3, weightDecay: 0 });
    const before = tf.memory().numTensors;
    const m = await engine.step(Int32Array.from([0, 1, 2, 3, 4, 5]), 7);
    expect(tf.memory().numTensors).toBe(before);
    // every term is measured; the total adds the weighted geometric terms to the flow loss
    expect(m[4]).toBeCloseTo(m[0]! + m[1]! + m[2]! + m[3]!, 4);
    expect(m.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    task.dispose();
    await engine.dispose();
    model.dispose();
  });

  it('names what it refuses: STEP-Gen fields and options, and its own bad values', async () => {
    expect(() => resolveFlow({ latentDim: 8 } as never)).toThrow(/latentDim is a STEP-Gen field \(GeneratorConfig\), not a field of the flow variant/);
    expect(() => resolveFlow({ guidance: -1 })).toThrow(/guidance = -1 is out of range/);
    expect(() => resolveFlow({ sampler: 'rk4' as never })).toThrow(/sampler = "rk4" is not one of euler, heun/);
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, prior: 'fitted' }))).message).toMatch(/option prior .* not used by flow generators/);
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, temperature: 0.5 }))).message).toMatch(/option temperature .* not used by flow generators/);
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, steps: 0 }))).message).toMatch(/invalid steps: 0/);
    const source = toy.set.select([0]);
    const latent = await errorOf(restyle(gen, source, { to: ['happy'], latent: 'shifted' }));
    expect([latent.code, latent.message]).toEqual(['E_OPTION', expect.stringMatching(/option latent \(--latent\) is STEP-Gen's: a flow generator/)]);
    expect((await errorOf(restyle(gen, source, { to: ['happy'], strength: 2 }))).message).toMatch(/invalid strength: 2 \(expected a number in \[0, 1\]/);
    expect(timeGrid('uniform', 4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    const cos = timeGrid('cosine', 4, 0.5);
    expect([cos[0], cos[4]]).toEqual([0.5, 0]);
    expect(cos[0]! - cos[1]!).toBeGreaterThan(cos[3]! - cos[4]!);
  });
});

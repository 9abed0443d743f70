import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { readGaitFile } from '../../src/io/gaitfile.js';
import { choleskyFactor, fitLabelGaussians, fitPcaGaussian, PcaGaussianGenerator } from '../../src/generator/pca-gaussian/model.js';
import { resolvePcaGaussian } from '../../src/generator/pca-gaussian/config.js';
import { generateToFile, loadGenerator, startSampler } from '../../src/generator/sample.js';
import { Rng } from '../../src/core/rng.js';
import { errorOf } from '../expect-error.js';
import { toyGaits, toyMoments } from './toy-gaits.js';

// per label 500 training gaits; 2,000 generated per label below
const toy = toyGaits({ perLabel: 500, sds: [0.04, 0.02, 0.01], shift: 0.04 });
const FULL = { explainedVariance: 1 };
let tmp: string;
const dir = (name: string) => path.join(tmp, name);

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-pca-gaussian-'));
  // explained variance 1: exactly the toy's rank about its mean, 3 (the labels differ along the first direction)
  await fitPcaGaussian(toy.set, FULL, { outDir: dir('m'), seed: 1 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pca-gaussian', () => {
  it("recovers each label's mean and variance of a known Gaussian within 4 standard errors", async () => {
    const gen = await loadGenerator(dir('m'));
    expect(gen).toBeInstanceOf(PcaGaussianGenerator);
    expect(gen.name).toBe('pca-gaussian');
    const before = tf.memory().numTensors;
    const out = gen.sample({ sad: 2000, happy: 2000 }, { seed: 3, rigid: false });
    expect(tf.memory().numTensors).toBe(before);
    const { mean, variance, residual } = toyMoments(toy, out);
    const nTrain = 500;
    const nGen = 2000;
    // the fitted mean errs by sd/√nTrain, the generated mean by sd/√nGen; a variance by sd²·√(2/(n − 1)) each
    const meanTol = 4 * Math.sqrt(1 / nTrain + 1 / nGen);
    const varTol = 4 * Math.sqrt(2 / (nTrain - 1) + 2 / (nGen - 1));
    for (let l = 0; l < 2; l++)
      toy.sds.forEach((sd, i) => {
        expect(Math.abs(mean[l]![i]!) / sd).toBeLessThan(meanTol);
        expect(Math.abs(variance[l]![i]! / sd ** 2 - 1)).toBeLessThan(varTol);
      });
    // nothing off the label's mean and the noise directions (up to float error)
    expect(residual).toBeLessThan(1e-3);
    gen.dispose();
  });

  it('shrinks each covariance towards the pooled one by the Ledoit-Wolf formula: little with many rows, more with few', () => {
    const k = 4;
    const rng = new Rng(2, 'test');
    // label 0 N(0, diag(4, 2, 1, 0.5)), label 1 N(0, diag(0.5, 1, 2, 4)): the pooled covariance is neither
    const draw = (n: number, v: number[]) => Array.from({ length: n * k }, (_, j) => Math.sqrt(v[j % k]!) * rng.normal());
    const fit = (n: number) => fitLabelGaussians(Float32Array.from([...draw(n, [4, 2, 1, 0.5]), ...draw(n, [0.5, 1, 2, 4])]), Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1)), 2, k, 'auto')[0]!;
    const many = fit(4000).shrinkage;
    const few = fit(6).shrinkage;
    expect(many).toBeLessThan(0.05);
    expect(few).toBeGreaterThan(4 * many);
    // two labels of one distribution: their own covariances add only noise to the pooled one, so δ is near 1
    const same = fitLabelGaussians(Float32Array.from([...draw(400, [4, 2, 1, 0.5]), ...draw(400, [4, 2, 1, 0.5])]), Int32Array.from({ length: 800 }, (_, i) => (i < 400 ? 0 : 1)), 2, k, 'auto');
    expect(same[0]!.shrinkage).toBeGreaterThan(0.5);
    const fixed = fitLabelGaussians(Float32Array.from(draw(10, [1, 1, 1, 1])), new Int32Array(10), 1, k, 0.3)[0]!;
    expect(fixed.shrinkage).toBe(0.3);
    // the factor reproduces the covariance
    const Lf = choleskyFactor(fixed.cov, k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let v = 0;
        for (let c = 0; c < k; c++) v += Lf[a * k + c]! * Lf[b * k + c]!;
        expect(v).toBeCloseTo(fixed.cov[a * k + b]!, 8);
      }
  });

  it('streams to a file with provenance and gives the same gaits on 1 and 2 threads', async () => {
    const a = await generateToFile(dir('m'), dir('a.arrow'), { counts: { sad: 3, happy: 2 }, seed: 4, threads: 1 });
    const b = await generateToFile(dir('m'), dir('b.arrow'), { counts: { sad: 3, happy: 2 }, seed: 4, threads: 2, batchSize: 2 });
    expect(a.generator).toMatch(/^pca-gaussian@[0-9a-f]{12}$/);
    expect(a.prior).toBeNull();
    const [fa, fb] = [await readGaitFile(dir('a.arrow')), await readGaitFile(dir('b.arrow'))];
    expect(Buffer.from(fa.positions.buffer).equals(Buffer.from(fb.positions.buffer))).toBe(true);
    expect(fa.generator[0]).toBe(a.generator);
    const gen = await loadGenerator(dir('m'));
    const sampler = await startSampler(gen, 2);
    expect(sampler.threads).toBe(2);
    const s = await sampler.sample({ sad: 3, happy: 2 }, { seed: 4 });
    await sampler.close();
    expect(Array.from(s.positions)).toEqual(Array.from(fa.positions));
    expect(fa.seed).toEqual(s.seed);
    gen.dispose();
  });

  it("refuses the other families' options and fields, naming them", async () => {
    const gen = await loadGenerator(dir('m'));
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, steps: 4 }))).message).toMatch(/option steps .* not used by pca-gaussian/);
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, prior: 'fitted' }))).message).toMatch(/option prior .* not used by pca-gaussian/);
    expect((await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, temperature: 0.5 }))).message).toMatch(/option temperature/);
    // temperature 1 changes nothing, so callers that always pass it keep working
    expect(gen.sample({ sad: 1 }, { seed: 1, temperature: 1 }).N).toBe(1);
    gen.dispose();
    expect(() => resolvePcaGaussian({ latentDim: 8 } as never)).toThrow(/latentDim is a STEP-Gen field .* pca-gaussian variant/);
    expect(() => resolvePcaGaussian({ shrinkage: 2 })).toThrow(/shrinkage = 2 is out of range/);
    expect((await errorOf(fitPcaGaussian(toy.set, FULL, { outDir: dir('m'), seed: 1 }))).code).toBe('E_IO');
    expect((await errorOf(fitPcaGaussian(toy.set, {}, { outDir: dir('v'), seed: 1, val: toy.set }))).message).toMatch(/invalid val/);
    expect(existsSync(dir('v'))).toBe(false);
    // resuming a finished fit of the same data, config and seed keeps it; another seed is refused
    await fitPcaGaussian(toy.set, FULL, { outDir: dir('m'), seed: 1, resume: true });
    expect((await errorOf(fitPcaGaussian(toy.set, FULL, { outDir: dir('m'), seed: 2, resume: true }))).message).toMatch(/seed differs/);
    expect(readdirSync(dir('m')).sort()).toEqual(['gaussians.json', 'generator.json', 'pca.bin', 'pca.json']);
  });
});

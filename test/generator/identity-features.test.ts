import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { EDGES } from '../../src/core/skeleton.js';
import { resolveGenerator, type GeneratorConfig } from '../../src/generator/config.js';
import { loadIdentityFeatureTerm } from '../../src/generator/identity-features.js';
import { buildCvae } from '../../src/generator/model.js';
import { canonicalizeAll, fitNormalization, standardize } from '../../src/generator/normalize.js';
import { CvaeTrainer, trainGenerator } from '../../src/generator/train.js';
import { boneTerm } from '../../src/generator/losses.js';
import { GaitTakeModel, loadIdentityModel } from '../../src/identity/model.js';
import { trainIdentityModel } from '../../src/identity/train.js';
import { errorOf } from '../expect-error.js';

const T = 12;
const V = 16;
const TINY_ID = { channels: [8], heads: 2, embeddingDim: 8, attentionUnits: 8, temporalKernel: 3, P: 3, K: 2, epochs: 1, valFraction: 0 };
const TINY_GEN: GeneratorConfig = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 1, batchSize: 8, valFraction: 0, lr: 3e-3 };
const data = proceduralDataset({ identities: 4, perEmotion: 2, frames: T, estimatorNoise: 0.01, seed: 4 });
let tmp: string;
let idDir: string;

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-lid-'));
  idDir = path.join(tmp, 'gaittake');
  await trainIdentityModel('gaittake', proceduralDataset({ identities: 4, perEmotion: 2, frames: T, seed: 9 }), TINY_ID, { outDir: idDir, seed: 1 });
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Standardised canonical copies of `set` under the normalisation fitted on `data`. */
function standardised(set: GaitSet) {
  const norm = fitNormalization(canonicalizeAll(data.positions, T, V), data.stride);
  return { x: standardize(canonicalizeAll(set.positions, T, V), norm), norm };
}

describe('L_id, the identity-feature term', () => {
  it("is the identity model's own squared embedding distance, per gait and head, of the walks in metres", async () => {
    const a = data.select([0, 1, 2, 3]);
    const b = data.select([8, 9, 10, 11]);
    const { x: xa, norm } = standardised(a);
    const { x: xb } = standardised(b);
    const term = await loadIdentityFeatureTerm(idDir, norm, T, V);
    const model = (await loadIdentityModel(idDir)) as GaitTakeModel;
    try {
      const got = tf.tidy(() => term.term(tf.tensor4d(xa, [4, T, V, 3]), tf.tensor4d(xb, [4, T, V, 3])).arraySync() as number);
      // the identity model's own pipeline (its preprocessing, on GaitSets of the canonical walks)
      const ea = model.embed(new GaitSet({ ...a, positions: canonicalizeAll(a.positions, T, V) }));
      const eb = model.embed(new GaitSet({ ...b, positions: canonicalizeAll(b.positions, T, V) }));
      let want = 0;
      for (let i = 0; i < ea.data.length; i++) want += (ea.data[i]! - eb.data[i]!) ** 2;
      want /= 4 * ea.parts!;
      expect(want).toBeGreaterThan(0.01);
      expect(got).toBeCloseTo(want, 3);
      const self = tf.tidy(() => term.term(tf.tensor4d(xa, [4, T, V, 3]), tf.tensor4d(xa, [4, T, V, 3])).arraySync() as number);
      expect(self).toBeLessThan(1e-9);
    } finally {
      term.dispose();
      model.dispose();
    }
  });

  it("trains only the generator: the identity model's weights stay, L_id enters the total with its weight, no tensors are left", async () => {
    const cfg = resolveGenerator({ ...TINY_GEN, identityFeatureWeight: 2 });
    const { x, norm } = standardised(data);
    const edges = EDGES.map(([p, c]) => [p, c] as [number, number]);
    const cvae = buildCvae(cfg, { T, V, labels: data.labelNames.length, edges }, 1);
    const term = await loadIdentityFeatureTerm(idDir, norm, T, V);
    const trainer = new CvaeTrainer(cvae, cfg, data.labelNames.length, boneTerm(edges, V, norm.mean, norm.scale), undefined, undefined, 0, term);
    const probe = () => tf.tidy(() => term.term(tf.tensor4d(x.slice(0, 2 * T * V * 3), [2, T, V, 3]), tf.tensor4d(x.slice(8 * T * V * 3, 10 * T * V * 3), [2, T, V, 3])).arraySync() as number);
    const probeBefore = probe();
    try {
      const rows = Array.from({ length: 8 }, (_, i) => i);
      const batch = x.slice(0, 8 * T * V * 3);
      const labels = rows.map((i) => data.labels[i]!);
      const v0 = await trainer.evaluate(batch, labels, [T, V, 3], 1);
      expect(v0.lid).toBeGreaterThan(0);
      expect(v0.total).toBeCloseTo(v0.lo + cfg.lambdaC * v0.lc + cfg.lambdaD * v0.ld + cfg.lambdaB * v0.lb + cfg.beta * v0.kl + 2 * v0.lid, 4);
      const before = tf.memory().numTensors;
      const decoderBefore = Array.from(cvae.decoder.weights[0]!.read().dataSync());
      await trainer.step(batch, labels, [T, V, 3], 2);
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(cvae.decoder.weights[0]!.read().dataSync())).not.toEqual(decoderBefore);
      // the identity model the step ran through still embeds real walks as before: it was not trained
      expect(probe()).toBe(probeBefore);
    } finally {
      await trainer.dispose();
    }
  });

  it('needs its identity model exactly when its weight is > 0, and one for the generator\'s gaits', async () => {
    const e1 = await errorOf(trainGenerator(data, { ...TINY_GEN, identityFeatureWeight: 1 }, { outDir: path.join(tmp, 'g1'), seed: 1 }));
    expect(e1.message).toMatch(/identityFeatureModel.*identityFeatureWeight = 1 needs one/);
    const e2 = await errorOf(trainGenerator(data, TINY_GEN, { outDir: path.join(tmp, 'g2'), seed: 1, identityFeatureModel: idDir }));
    expect(e2.message).toMatch(/identityFeatureModel.*identityFeatureWeight is 0/);
    const longer = proceduralDataset({ identities: 2, perEmotion: 1, frames: 16, seed: 4 });
    const e3 = await errorOf(trainGenerator(longer, { ...TINY_GEN, identityFeatureWeight: 1 }, { outDir: path.join(tmp, 'g3'), seed: 1, identityFeatureModel: idDir }));
    expect(e3.code).toBe('E_MODEL');
    expect(e3.message).toContain(`identity feature model ${idDir} takes gaits of T = ${T}, V = ${V}; the generator's are T = 16, V = 16`);
    expect(() => resolveGenerator({ identityFeatureWeight: -1 })).toThrow(/identityFeatureWeight = -1 is out of range/);
    expect(resolveGenerator({ preset: 'step-paper' }).identityFeatureWeight).toBe(0);
  });

  it('trains with data-parallel replicas, logs L_id and records the identity model in the manifest', async () => {
    const out = path.join(tmp, 'g4');
    const r = await trainGenerator(data, { ...TINY_GEN, identityFeatureWeight: 1 }, { outDir: out, seed: 1, identityFeatureModel: idDir, threads: 2 });
    expect(r.history[0]!.train.lid).toBeGreaterThan(0);
    const m = JSON.parse(readFileSync(path.join(out, 'generator.json'), 'utf8'));
    expect(m.identityFeatureModel.dir).toBe(idDir);
    expect(m.identityFeatureModel.checkpointHash).toMatch(/^[0-9a-f]{16,}$/);
    const csv = readFileSync(path.join(out, 'loss.csv'), 'utf8').split('\n');
    expect(csv[0]).toContain('train_kl,train_lid,train_total');
    const plain = await trainGenerator(data, TINY_GEN, { outDir: path.join(tmp, 'g5'), seed: 1 });
    expect(plain.history[0]!.train.lid).toBe(0);
  }, 120_000);
});

import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { readGaitFile, writeGaitFile } from '../../src/io/gaitfile.js';
import { loadModel } from '../../src/nn/serialize.js';
import type { GeneratorConfig } from '../../src/generator/config.js';
import { canonicalizeAll, standardize } from '../../src/generator/normalize.js';
import { labelMeanShift } from '../../src/generator/edit.js';
import { restyle } from '../../src/generator/restyle.js';
import { frameBoneLengths, rigidifyGait } from '../../src/generator/rigid.js';
import { LoadedGenerator, loadGenerator, type Generator } from '../../src/generator/sample.js';
import { conditionTensors, CvaeTrainer, trainGenerator } from '../../src/generator/train.js';
import { recordingKeys } from '../../src/eval/identification.js';
import { runCli } from '../cli-run.js';
import { errorOf } from '../expect-error.js';

const TINY: GeneratorConfig = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 1, batchSize: 8, valFraction: 0, lr: 3e-3 };
const data = proceduralDataset({ identities: 3, perEmotion: 2, frames: 16, seed: 5 });
const neutralRows = Array.from({ length: data.N }, (_, i) => i).filter((i) => data.labelNames[data.labels[i]!] === 'neutral');
let tmp: string;
const dir = (name: string) => path.join(tmp, name);


beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-restyle-'));
  await trainGenerator(data, { ...TINY, identityDim: 4 }, { outDir: dir('id'), seed: 3 });
  await trainGenerator(data, TINY, { outDir: dir('plain'), seed: 3 });
  await writeGaitFile(dir('data.parquet'), data);
}, 180_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function withGenerator<R>(name: string, f: (gen: Generator) => Promise<R>): Promise<R> {
  const gen = await loadGenerator(dir(name));
  try {
    return await f(gen);
  } finally {
    gen.dispose();
  }
}

describe('restyle', () => {
  it.each([
    ['posterior', 'id'],
    ['shifted', 'id'],
    ['shifted', 'plain'],
  ] as const)("latent %s (%s generator): adds the decoder's difference between the new label at the code and the gait's own at its posterior mean, in metres, then the source's bone lengths", async (latent, name) => {
    await withGenerator(name, async (gen) => {
      const source = data.select(neutralRows.slice(0, 3));
      const before = tf.memory().numTensors;
      const out = await restyle(gen, source, { to: ['angry', 'sad'], latent });
      expect(tf.memory().numTensors).toBe(before);
      expect(out.N).toBe(6);
      expect(out.ids).toEqual(source.ids.flatMap((id) => [`${id}>restyled-angry`, `${id}>restyled-sad`]));
      expect(out.labelNames).toEqual(['angry', 'neutral', 'happy', 'sad']);
      expect(Array.from(out.labels)).toEqual([0, 3, 0, 3, 0, 3]);
      expect(out.identity).toEqual(source.identity.flatMap((x) => [x, x]));
      expect(new Set(out.source)).toEqual(new Set(['synthetic']));
      expect(out.generator[0]).toBe(gen.tag);

      // the same edit computed another way: the trainer's encoder path and the stored decoder, applied by hand
      const m = (gen as unknown as { manifest: { config: GeneratorConfig & { latentDim: number }; normalization: { mean: number[]; scale: number }; identityNames: string[] } }).manifest;
      const prior = (gen as LoadedGenerator).latentPrior;
      const D = gen.config.latentDim;
      const I = gen.identityNames.length;
      const cvae = { encoder: (await loadModel(path.join(dir(name), 'best', 'encoder'))).model, decoder: (await loadModel(path.join(dir(name), 'best', 'decoder'))).model };
      const trainer = new CvaeTrainer(cvae, gen.config, gen.labelNames.length, undefined, undefined, undefined, I);
      const canonical = canonicalizeAll(source.positions, source.T, source.V);
      const ids = I > 0 ? source.identity.map((n) => m.identityNames.indexOf(n!)) : undefined;
      const { mu } = trainer.encode(standardize(canonical.slice(), m.normalization), source.labels, [source.T, source.V, 3], ids);
      // the label's latent effect: the identity prior's a_label, or (no identity) the label's fitted mean
      const effect = (label: string) => (prior.identity ? prior.identity.labels[label]! : prior.labels[label]!.mean);
      const shift = latent === 'shifted' ? effect('angry').map((x, d) => x - effect('neutral')[d]!) : new Array<number>(D).fill(0);
      if (latent === 'shifted') expect(Math.max(...shift.map(Math.abs))).toBeGreaterThan(1e-3);
      const codes = Float32Array.from(mu, (x, k) => x + shift[k % D]!);
      const per = source.T * source.V * 3;
      const decode = (z: Float32Array, label: number) => tf.tidy(() => (cvae.decoder.apply([tf.tensor2d(z, [3, D]), ...conditionTensors([label, label, label], 4, ids, I)], { training: false }) as tf.Tensor).dataSync());
      const [angry, neutral] = [decode(codes, 0), decode(mu, 1)];
      await trainer.dispose();
      let maxErr = 0;
      let maxDelta = 0;
      for (let i = 0; i < 3; i++) {
        const edited = Float32Array.from({ length: per }, (_, j) => canonical[i * per + j]! + m.normalization.scale * (angry[i * per + j]! - neutral[i * per + j]!));
        const source = canonical.subarray(i * per, (i + 1) * per);
        // then every bone back at the source's length in that frame
        const expected = rigidifyGait(edited, gen.T, gen.V, undefined, undefined, frameBoneLengths(source, gen.T, gen.V));
        for (let j = 0; j < per; j++) {
          maxErr = Math.max(maxErr, Math.abs(out.positions[2 * i * per + j]! - expected[j]!));
          maxDelta = Math.max(maxDelta, Math.abs(out.positions[2 * i * per + j]! - source[j]!));
        }
        const lengths = frameBoneLengths(out.gait(2 * i), gen.T, gen.V);
        const own = frameBoneLengths(source, gen.T, gen.V);
        expect(Math.max(...Array.from(lengths, (x, k) => Math.abs(x - own[k]!)))).toBeLessThan(1e-5);
      }
      expect(maxErr).toBeLessThan(1e-5);
      expect(maxDelta).toBeGreaterThan(1e-3); // the edit moves the walk
    });
  });

  it('strength 0 gives the gait itself, the displacement grows with strength; repeated calls are identical', async () => {
    await withGenerator('plain', async (gen) => {
      const source = data.select(neutralRows);
      const at = (strength: number) => restyle(gen, source, { to: ['happy'], strength, batchSize: 4 });
      const [s0, s1, s2, again] = [await at(0), await at(1), await at(2), await at(1)];
      const canonical = canonicalizeAll(source.positions, source.T, source.V);
      expect(Math.max(...Array.from(s0.positions, (x, i) => Math.abs(x - canonical[i]!)))).toBeLessThan(1e-5);
      expect(again.positions).toEqual(s1.positions);
      // on two threads (a replica thread restyles half the rows): the same gaits, bit for bit
      const two = await restyle(gen, source, { to: ['happy', 'sad'], batchSize: 4, threads: 2 });
      const one = await restyle(gen, source, { to: ['happy', 'sad'], batchSize: 4 });
      expect(two.ids).toEqual(one.ids);
      expect(two.positions).toEqual(one.positions);
      const rms = (s: GaitSet) => Math.sqrt(s.positions.reduce((a, x, i) => a + (x - canonical[i]!) ** 2, 0) / s.positions.length);
      // the bone refit bends the straight line only slightly: twice the strength, about twice the displacement
      expect(rms(s2) / rms(s1)).toBeGreaterThan(1.8);
      expect(rms(s2) / rms(s1)).toBeLessThan(2.2);
      expect(s1.labelNames[s1.labels[0]!]).toBe('happy');
    });
  });

  it("keeps each source's recording, so the identity protocol never matches a restyled walk against the walk it came from", async () => {
    await withGenerator('plain', async (gen) => {
      const base = data.select(neutralRows.slice(0, 2));
      // windows of one take: ids `take#k` without a recording column, and an explicit recording column
      const windows = new GaitSet({ ...base, positions: base.positions, labels: base.labels, ids: ['take#0', 'take#1'], recording: [null, null] });
      const recorded = new GaitSet({ ...base, positions: base.positions, labels: base.labels, recording: ['r1', 'r2'] });
      for (const source of [windows, recorded]) {
        const out = await restyle(gen, source, { to: ['sad', 'angry'] });
        expect(recordingKeys(out)).toEqual(recordingKeys(source).flatMap((r) => [r, r]));
      }
    });
  });

  it('errors name the row, label, identity or option; a gait is never restyled into its own label', async () => {
    await withGenerator('id', async (gen) => {
      const one = data.select([neutralRows[0]!]);
      expect((await restyle(gen, one, { to: ['neutral', 'sad'] })).N).toBe(1);
      expect((await errorOf(restyle(gen, one, { to: ['bored'] }))).message).toMatch(/option to \(--to\): the generator does not know label "bored"/);
      expect((await errorOf(restyle(gen, one, { to: [] }))).code).toBe('E_OPTION');
      expect((await errorOf(restyle(gen, one, { to: ['sad'], strength: -1 }))).message).toMatch(/strength/);
      expect((await errorOf(restyle(gen, one, { to: ['sad'], latent: 'prior' as never }))).message).toMatch(/latent: "prior" \(expected posterior\|shifted\)/);
      const stranger = new GaitSet({ ...one, positions: one.positions, labels: one.labels, identity: ['nobody'] });
      const e = await errorOf(restyle(gen, stranger, { to: ['sad'] }));
      expect(e.code).toBe('E_VALUE');
      expect(e.message).toContain(`gait ${one.ids[0]} (row 0) is of identity "nobody"`);
      const short = proceduralDataset({ identities: 1, perEmotion: 1, frames: 12, seed: 5 });
      expect((await errorOf(restyle(gen, short, { to: ['sad'] }))).code).toBe('E_SHAPE');
      const calm = new GaitSet({ ...one, positions: one.positions, labels: one.labels, labelNames: one.labelNames.map((l) => (l === 'neutral' ? 'calm' : l)) });
      const c = await errorOf(restyle(gen, calm, { to: ['sad'] }));
      expect(c.code).toBe('E_LABEL');
      expect(c.message).toContain(`gait ${one.ids[0]} (row 0) has label "calm"`);
    });
  });
});

describe('labelMeanShift (the control without a generator)', () => {
  it("adds the difference between the reference's mean gaits of the new label and the gait's own, then the source's bone lengths", () => {
    const source = data.select(neutralRows.slice(0, 3));
    const out = labelMeanShift(data, source, { to: ['sad', 'angry'], strength: 0.7 });
    expect(out.ids).toEqual(source.ids.flatMap((id) => [`${id}>mean-shift-angry`, `${id}>mean-shift-sad`]));
    expect(out.labels).toEqual(Int32Array.from([0, 3, 0, 3, 0, 3]));
    expect(out.generator).toEqual(new Array(6).fill(null));
    expect(recordingKeys(out)).toEqual(recordingKeys(source).flatMap((r) => [r, r]));
    // by hand: each label's mean canonical gait over the reference, by its label names
    const per = data.T * data.V * 3;
    const all = canonicalizeAll(data.positions, data.T, data.V);
    const mean = (name: string) => {
      const rows = Array.from({ length: data.N }, (_, i) => i).filter((i) => data.labelNames[data.labels[i]!] === name);
      return Array.from({ length: per }, (_, j) => rows.reduce((a, i) => a + all[i * per + j]!, 0) / rows.length);
    };
    const [sad, neutral] = [mean('sad'), mean('neutral')];
    const canonical = canonicalizeAll(source.positions, source.T, source.V);
    let maxErr = 0;
    for (let i = 0; i < 3; i++) {
      const own = canonical.subarray(i * per, (i + 1) * per);
      const edited = Float32Array.from(own, (x, j) => x + 0.7 * (sad[j]! - neutral[j]!));
      const expected = rigidifyGait(edited, data.T, data.V, undefined, undefined, frameBoneLengths(own, data.T, data.V));
      for (let j = 0; j < per; j++) maxErr = Math.max(maxErr, Math.abs(out.positions[(2 * i + 1) * per + j]! - expected[j]!));
    }
    expect(maxErr).toBeLessThan(1e-5);
    // strength 0: the source walks themselves
    const s0 = labelMeanShift(data, source, { to: ['sad'], strength: 0 });
    expect(Math.max(...Array.from(s0.positions, (x, k) => Math.abs(x - canonical[k]!)))).toBeLessThan(1e-5);
  });

  it('errors name the label, row or option', async () => {
    const one = data.select([neutralRows[0]!]);
    const noSad = data.select(Array.from({ length: data.N }, (_, i) => i).filter((i) => data.labelNames[data.labels[i]!] !== 'sad'));
    const e = await errorOf(() => labelMeanShift(noSad, one, { to: ['sad'] }));
    expect(e.code).toBe('E_LABEL');
    expect(e.message).toMatch(/option to \(--to\): the reference set holds no gait labelled "sad"/);
    const noNeutral = data.select(Array.from({ length: data.N }, (_, i) => i).filter((i) => data.labelNames[data.labels[i]!] !== 'neutral'));
    expect((await errorOf(() => labelMeanShift(noNeutral, one, { to: ['sad'] }))).message).toContain(`gait ${one.ids[0]} (row 0): the reference set holds no gait labelled "neutral"`);
    const calm = new GaitSet({ ...one, positions: one.positions, labels: one.labels, labelNames: one.labelNames.map((l) => (l === 'neutral' ? 'calm' : l)) });
    expect((await errorOf(() => labelMeanShift(data, calm, { to: ['sad'] }))).message).toContain(`gait ${one.ids[0]} (row 0) has label "calm"`);
    expect((await errorOf(() => labelMeanShift(data, one, { to: ['bored'] }))).message).toMatch(/the reference set does not know label "bored"/);
    expect((await errorOf(() => labelMeanShift(data, one, { to: ['sad'], strength: 11 }))).code).toBe('E_OPTION');
    expect((await errorOf(() => labelMeanShift(data, proceduralDataset({ identities: 1, perEmotion: 1, frames: 12, seed: 5 }), { to: ['sad'] }))).code).toBe('E_SHAPE');
  });
});

describe('gaitforge restyle', () => {
  it('restyles the gaits of the --from labels into Parquet; bad options are one line and write nothing', async () => {
    const out = path.join(tmp, 'restyled', 'r.parquet');
    const r = await runCli('restyle', '--model', dir('plain'), '--data', dir('data.parquet'), '--from', 'neutral', '--to', 'angry,happy,sad', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ sources: neutralRows.length, rows: 3 * neutralRows.length, strength: 1, latent: 'shifted' });
    const set = await readGaitFile(out);
    // --latent posterior: the same rows, decoded at the posterior mean itself, so other positions
    const outPosterior = path.join(tmp, 'restyled', 'p.parquet');
    const p = await runCli('restyle', '--model', dir('plain'), '--data', dir('data.parquet'), '--from', 'neutral', '--to', 'angry,happy,sad', '--latent', 'posterior', '--out', outPosterior, '--json');
    expect(JSON.parse(p.stdout)).toMatchObject({ rows: 3 * neutralRows.length, latent: 'posterior' });
    const posterior = await readGaitFile(outPosterior);
    expect(posterior.ids).toEqual(set.ids);
    expect(posterior.positions).not.toEqual(set.positions);
    expect(set.countsByLabel()).toEqual({ angry: neutralRows.length, neutral: 0, happy: neutralRows.length, sad: neutralRows.length });
    expect(set.generator[0]).toBe(j.generator);

    const bad = path.join(tmp, 'bad', 'b.parquet');
    const from = await runCli('restyle', '--model', dir('plain'), '--data', dir('data.parquet'), '--from', 'calm', '--to', 'sad', '--out', bad);
    expect(from.status).toBe(1);
    expect(from.stderr.trim().split('\n')).toHaveLength(1);
    expect(from.stderr).toMatch(/option from \(--from\): .*data\.parquet has no label "calm"/);
    const strength = await runCli('restyle', '--model', dir('plain'), '--data', dir('data.parquet'), '--to', 'sad', '--strength', '11', '--out', bad);
    expect(strength.status).toBe(2);
    expect(strength.stderr).toMatch(/invalid strength: 11/);
    const latent = await runCli('restyle', '--model', dir('plain'), '--data', dir('data.parquet'), '--to', 'sad', '--latent', 'prior', '--out', bad);
    expect(latent.status).toBe(2);
    expect(latent.stderr).toMatch(/latent.*prior/);
    expect(existsSync(path.dirname(bad))).toBe(false);
  }, 120_000);
});

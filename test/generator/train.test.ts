import * as tf from '@tensorflow/tfjs';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { EDGES } from '../../src/core/skeleton.js';
import { VERSION } from '../../src/core/version.js';
import { readGaitFile } from '../../src/io/gaitfile.js';
import { resolveGenerator, type GeneratorConfig } from '../../src/generator/config.js';
import { buildCvae } from '../../src/generator/model.js';
import { generateToFile, loadGenerator, type LoadedGenerator } from '../../src/generator/sample.js';
import { CvaeTrainer, trainGenerator } from '../../src/generator/train.js';

/** A narrow copy of the architecture so the tests run in seconds. */
const TINY: GeneratorConfig = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 3, batchSize: 8, valFraction: 0.25, lr: 3e-3 };
const data = proceduralDataset({ identities: 3, perEmotion: 2, frames: 16, seed: 2 });
let tmp: string;
const dir = (name: string) => path.join(tmp, name);

async function expectGaitforgeError(p: Promise<unknown> | (() => unknown), code: string, message: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GaitforgeError);
  expect((err as GaitforgeError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-gen-'));
  // the reference run used by several tests
  await trainGenerator(data, TINY, { outDir: dir('full'), seed: 7 });
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('trainGenerator', () => {
  it('writes the manifest, best and last checkpoints and the loss curve', () => {
    const m = JSON.parse(readFileSync(path.join(dir('full'), 'generator.json'), 'utf8'));
    expect(m.format).toBe('gaitforge-generator');
    expect(m.gaitforgeVersion).toBe(VERSION);
    expect(m.config).toEqual(resolveGenerator(TINY));
    expect(m.labelNames).toEqual(data.labelNames);
    expect([m.skeleton, m.T, m.V, m.fps, m.seed]).toEqual(['egait16', 16, 16, 30, 7]);
    expect(m.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.epochsDone).toBe(3);
    expect(m.completed).toBe(true);
    expect(m.trainGaits + m.valGaits).toBe(data.N);
    expect(m.valGaits).toBeGreaterThan(0);
    for (const f of ['best/encoder/model.json', 'best/decoder/weights.bin', 'best/latent.json', 'last/decoder/model.json', 'last/optimizer.bin', 'last/state.json'])
      expect(existsSync(path.join(dir('full'), f))).toBe(true);
    const csv = readFileSync(path.join(dir('full'), 'loss.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^epoch,lr,train_lo,train_lc,train_ld,train_lb,train_kl,train_lid,train_total,val_lo/);
    expect(csv).toHaveLength(4);
    const history = JSON.parse(readFileSync(path.join(dir('full'), 'loss.json'), 'utf8'));
    expect(history).toHaveLength(3);
    for (const h of history) for (const k of ['lo', 'lc', 'ld', 'lb', 'kl', 'lid', 'total']) {
      expect(Number.isFinite(h.train[k])).toBe(true);
      expect(Number.isFinite(h.val[k])).toBe(true);
    }
    expect(history[2].train.total).toBeLessThan(history[0].train.total);
    expect(m.bestEpoch).toBe(1 + history.map((h: { val: { total: number } }) => h.val.total).indexOf(Math.min(...history.map((h: { val: { total: number } }) => h.val.total))));
  });

  it('a training step leaves the tensor count unchanged', async () => {
    const cfg = resolveGenerator(TINY);
    const trainer = new CvaeTrainer(buildCvae(cfg, { T: 16, V: 16, labels: 4, edges: EDGES.map(([a, b]) => [a, b] as [number, number]) }, 1), cfg, 4);
    const x = Float32Array.from(data.positions.subarray(0, 4 * data.stride), (v) => v - 0.5);
    const labels = Int32Array.from([0, 1, 2, 3]);
    await trainer.step(x, labels, [16, 16, 3], 11);
    const before = tf.memory().numTensors;
    const v = await trainer.step(x, labels, [16, 16, 3], 12);
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(v.total)).toBe(true);
    await trainer.evaluate(x, labels, [16, 16, 3], 13);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it('resume after an interruption gives the same weights and losses as an uninterrupted run', async () => {
    const controller = new AbortController();
    const first = await trainGenerator(data, TINY, { outDir: dir('resumed'), seed: 7, signal: controller.signal, onEpoch: (l) => l.epoch === 1 && controller.abort() });
    expect(first.completed).toBe(false);
    expect(first.history).toHaveLength(1);
    const second = await trainGenerator(data, TINY, { outDir: dir('resumed'), seed: 7, resume: true });
    expect(second.completed).toBe(true);
    const full = JSON.parse(readFileSync(path.join(dir('full'), 'loss.json'), 'utf8'));
    expect(second.history.map((h) => [h.train, h.val])).toEqual(full.map((h: { train: unknown; val: unknown }) => [h.train, h.val]));
    for (const part of ['encoder', 'decoder'])
      expect(readFileSync(path.join(dir('resumed'), 'last', part, 'weights.bin')).equals(readFileSync(path.join(dir('full'), 'last', part, 'weights.bin')))).toBe(true);
    // resuming a finished run trains nothing more
    const again = await trainGenerator(data, TINY, { outDir: dir('resumed'), seed: 7, resume: true });
    expect(again.history).toHaveLength(3);
  }, 120_000);

  it('rejects bad input with one clear error and writes nothing', async () => {
    const noSad = data.select(Array.from({ length: data.N }, (_, i) => i).filter((i) => data.labelOf(i) !== 'sad'));
    await expectGaitforgeError(trainGenerator(noSad, TINY, { outDir: dir('bad1'), seed: 1 }), 'E_LABEL', /label "sad" has no gaits/);
    expect(existsSync(dir('bad1'))).toBe(false);
    await expectGaitforgeError(trainGenerator(data, TINY, { outDir: dir('full'), seed: 7 }), 'E_IO', /already holds a generator/);
    const other = proceduralDataset({ identities: 3, perEmotion: 2, frames: 16, seed: 3 });
    await expectGaitforgeError(trainGenerator(other, TINY, { outDir: dir('full'), seed: 7, resume: true }), 'E_MODEL', /training data differ/);
    await expectGaitforgeError(trainGenerator(data, { ...TINY, epochs: 4 }, { outDir: dir('full'), seed: 7, resume: true }), 'E_MODEL', /config differs: epochs = 3 there, 4 now/);
    expect(() => resolveGenerator({ ...TINY, beta: -1 })).toThrow(RangeError);
    expect(readdirSync(tmp).sort()).toEqual(['full', 'resumed']);
  });
});

describe('sampling', () => {
  it('is deterministic for a seed, labels rows, and leaks no tensors', async () => {
    const gen = await loadGenerator(dir('full'));
    expect(gen.name).toBe('stepgen');
    expect(gen.labelNames).toEqual(data.labelNames);
    expect(gen.checkpointHash).toMatch(/^[0-9a-f]{64}$/);
    const before = tf.memory().numTensors;
    const a = gen.sample({ sad: 2, angry: 3 }, { seed: 5 });
    expect(tf.memory().numTensors).toBe(before);
    const b = gen.sample({ angry: 3, sad: 2 }, { seed: 5 });
    const c = gen.sample({ angry: 3, sad: 2 }, { seed: 6 });
    expect(a.N).toBe(5);
    expect(Array.from({ length: 5 }, (_, i) => a.labelOf(i))).toEqual(['angry', 'angry', 'angry', 'sad', 'sad']);
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(b.positions.buffer))).toBe(true);
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(c.positions.buffer))).toBe(false);
    expect(new Set(a.seed).size).toBe(5);
    expect(a.source.every((s) => s === 'synthetic')).toBe(true);
    expect(a.generator.every((g) => g === `stepgen@${gen.checkpointHash.slice(0, 12)}`)).toBe(true);
    // back in metres: the root stays near hip height
    let rootY = 0;
    for (let n = 0; n < a.N; n++) for (let t = 0; t < a.T; t++) rootY += a.gait(n)[t * 48 + 1]! / (a.N * a.T);
    expect(rootY).toBeGreaterThan(0.6);
    expect(rootY).toBeLessThan(1.3);
    // temperature 0 decodes the fitted prior's mean: every gait of a label is the same
    const z = gen.sample({ happy: 2 }, { seed: 5, temperature: 0, prior: 'fitted' });
    expect(Buffer.from(z.gait(0).slice().buffer).equals(Buffer.from(z.gait(1).slice().buffer))).toBe(true);
    // the standard prior N(0, I) draws other latents than the fitted one
    const std = gen.sample({ angry: 3, sad: 2 }, { seed: 5, prior: 'standard' });
    expect(Buffer.from(std.positions.buffer).equals(Buffer.from(a.positions.buffer))).toBe(false);
    await expectGaitforgeError(() => gen.sample({ sad: 1 }, { seed: 1, prior: 'uniform' as never }), 'E_OPTION', /prior/);
    // the default draws from the config's prior, the mixture; with under 2 × 10 training gaits
    // per label each label's mixture is its fitted Gaussian, so the fitted prior draws the same gaits
    expect(gen.config.prior).toBe('mixture');
    const mix = gen.sample({ angry: 3, sad: 2 }, { seed: 5, prior: 'mixture' });
    expect(Buffer.from(mix.positions.buffer).equals(Buffer.from(a.positions.buffer))).toBe(true);
    expect(Object.values((gen as LoadedGenerator).latentPrior.mixture!).map((c) => c.length)).toEqual([1, 1, 1, 1]);
    const fitted = gen.sample({ angry: 3, sad: 2 }, { seed: 5, prior: 'fitted' });
    expect(Buffer.from(fitted.positions.buffer).equals(Buffer.from(a.positions.buffer))).toBe(true);
    gen.dispose();
  });

  it('samples a directory written before the mixture prior with the fitted prior, and names the option asking for the mixture', async () => {
    cpSync(dir('full'), dir('no-mixture'), { recursive: true });
    const latent = path.join(dir('no-mixture'), 'best', 'latent.json');
    const { mixture, ...old } = JSON.parse(readFileSync(latent, 'utf8'));
    expect(Object.keys(mixture)).toEqual(data.labelNames);
    writeFileSync(latent, JSON.stringify(old));
    // a mixture in the config without one in best/ is a broken directory
    await expectGaitforgeError(loadGenerator(dir('no-mixture')), 'E_MODEL', /latent\.json does not match .*generator\.json/);
    const manifest = path.join(dir('no-mixture'), 'generator.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    delete m.config.prior;
    writeFileSync(manifest, JSON.stringify(m));
    const [gen, now] = [await loadGenerator(dir('no-mixture')), await loadGenerator(dir('full'))];
    expect(gen.config.prior).toBe('fitted');
    const a = gen.sample({ happy: 2 }, { seed: 3 });
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(now.sample({ happy: 2 }, { seed: 3, prior: 'fitted' }).positions.buffer))).toBe(true);
    await expectGaitforgeError(() => gen.sample({ happy: 2 }, { seed: 3, prior: 'mixture' }), 'E_OPTION', /option prior \(--prior\) is 'mixture'.*before the mixture prior existed.*--prior fitted/);
    await expectGaitforgeError(generateToFile(dir('no-mixture'), dir('mix.parquet'), { counts: { happy: 2 }, seed: 3, prior: 'mixture' }), 'E_OPTION', /mixture/);
    expect(existsSync(dir('mix.parquet'))).toBe(false);
    gen.dispose();
    now.dispose();
    rmSync(dir('no-mixture'), { recursive: true });
  });

  it('rejects unknown labels and non-positive counts', async () => {
    const gen = await loadGenerator(dir('full'));
    await expectGaitforgeError(() => gen.sample({ bored: 3 }, { seed: 1 }), 'E_LABEL', /does not know label "bored".*angry, neutral, happy, sad/);
    await expectGaitforgeError(() => gen.sample({ sad: 0 }, { seed: 1 }), 'E_OPTION', /count for label sad: 0/);
    await expectGaitforgeError(() => gen.sample({ sad: -2 }, { seed: 1 }), 'E_OPTION', /count for label sad: -2/);
    await expectGaitforgeError(() => gen.sample({ sad: 1.5 }, { seed: 1 }), 'E_OPTION', /count for label sad: 1.5/);
    await expectGaitforgeError(() => gen.sample({}, { seed: 1 }), 'E_OPTION', /no counts given/);
    gen.dispose();
  });

  it('generateToFile streams chunks into Parquet and Arrow files equal to sample()', async () => {
    const gen = await loadGenerator(dir('full'));
    const expected = gen.sample({ neutral: 5, happy: 4 }, { seed: 9, batchSize: 4 });
    gen.dispose();
    for (const ext of ['parquet', 'arrow']) {
      const out = path.join(tmp, `synth.${ext}`);
      const r = await generateToFile(dir('full'), out, { counts: { happy: 4, neutral: 5 }, seed: 9, chunkSize: 4, batchSize: 4 });
      expect(r.rows).toBe(9);
      const back = await readGaitFile(out);
      expect(back.N).toBe(9);
      expect(back.ids).toEqual(expected.ids);
      expect(Array.from(back.seed)).toEqual(Array.from(expected.seed));
      expect(back.generator).toEqual(expected.generator);
      expect(back.source.every((s) => s === 'synthetic')).toBe(true);
      for (let i = 0; i < back.positions.length; i += 13) expect(back.positions[i]).toBeCloseTo(expected.positions[i]!, 5);
      rmSync(out);
    }
  });

  it('bad model directories and counts fail with one error and write nothing', async () => {
    const out = path.join(tmp, 'never.parquet');
    await expectGaitforgeError(loadGenerator(dir('missing')), 'E_MODEL', /does not exist/);
    await expectGaitforgeError(generateToFile(dir('full'), out, { counts: { sad: 0 }, seed: 1 }), 'E_OPTION', /count for label sad/);
    await expectGaitforgeError(generateToFile(dir('full'), out, { counts: { bored: 2 }, seed: 1 }), 'E_LABEL', /bored/);
    expect(readdirSync(tmp).filter((f) => f.includes('never'))).toEqual([]);
    // a copy of the model with a file missing, a newer format, an incompatible config
    const broken = dir('broken');
    const copy = () => {
      rmSync(broken, { recursive: true, force: true });
      cpSync(dir('full'), broken, { recursive: true });
    };
    copy();
    rmSync(path.join(broken, 'best', 'decoder', 'weights.bin'));
    await expectGaitforgeError(loadGenerator(broken), 'E_MODEL', /weights\.bin/);
    const edit = (f: (m: Record<string, unknown>) => void) => {
      copy();
      const file = path.join(broken, 'generator.json');
      const m = JSON.parse(readFileSync(file, 'utf8'));
      f(m);
      writeFileSync(file, JSON.stringify(m));
    };
    edit((m) => (m.formatVersion = 99));
    await expectGaitforgeError(loadGenerator(broken), 'E_MODEL', /format version 99/);
    edit((m) => ((m.config as Record<string, unknown>).latentDim = -3));
    await expectGaitforgeError(loadGenerator(broken), 'E_MODEL', /incompatible config.*latentDim = -3/);
    edit((m) => delete (m.config as Record<string, unknown>).beta);
    await expectGaitforgeError(loadGenerator(broken), 'E_MODEL', /incompatible config.*beta/);
    copy();
    rmSync(path.join(broken, 'best', 'latent.json'));
    await expectGaitforgeError(loadGenerator(broken), 'E_MODEL', /missing best\/latent\.json/);
    rmSync(broken, { recursive: true, force: true });
  });
});

describe('GaitSet label checks', () => {
  it('a validation set with an unknown label is refused', async () => {
    const val = new GaitSet({ positions: data.gait(0).slice(), labels: [0], labelNames: ['bored'], T: 16 });
    await expectGaitforgeError(trainGenerator(data, TINY, { outDir: dir('badval'), seed: 1, val }), 'E_LABEL', /bored/);
    expect(existsSync(dir('badval'))).toBe(false);
  });
});

import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { errorOf } from '../expect-error.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { readGaitFile } from '../../src/io/gaitfile.js';
import { resolveGenerator, type GeneratorConfig } from '../../src/generator/config.js';
import { generateToFile, loadGenerator, planRequest } from '../../src/generator/sample.js';
import { buildCvae } from '../../src/generator/model.js';
import { CvaeTrainer, trainGenerator, validationSplit } from '../../src/generator/train.js';
import { EDGES } from '../../src/core/skeleton.js';
import { walkerBoneLengths } from '../../src/generator/rigid.js';
import { recordingKeys } from '../../src/eval/identification.js';
import { parseCounts } from '../../cli/commands/generate.js';
import { evaluateGenerator } from '../../src/pipeline/evaluate-generator.js';
import { MODEL_CARD_FILE, MODEL_CARD_STRIP, trainGeneratorWithCard } from '../../src/pipeline/model-card.js';

/** A narrow copy of the architecture so the tests run in seconds. */
const TINY: GeneratorConfig = { encoderChannels: [12, 8, 8], decoderChannels: [8, 12], latentDim: 6, epochs: 2, batchSize: 8, valFraction: 0.25, lr: 3e-3 };
const data = proceduralDataset({ identities: 3, perEmotion: 2, frames: 16, seed: 2 });
const names = [...new Set(data.identity as string[])].sort();
let tmp: string;
const dir = (name: string) => path.join(tmp, name);


beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-genid-'));
  // with its model card, as train-generator and the ablation train it
  await trainGeneratorWithCard(data, { ...TINY, identityDim: 4 }, { outDir: dir('id'), seed: 3, dataName: 'procedural' });
  await trainGenerator(data, { ...TINY, epochs: 1 }, { outDir: dir('plain'), seed: 3 });
}, 180_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('identity-conditioned generator', () => {
  it("has a model card whose filmstrip shows one identity's walks and which says why it has no metrics", () => {
    const card = readFileSync(dir(`id/${MODEL_CARD_FILE}`), 'utf8');
    expect(card).toMatch(/Not measured: the generator is conditioned on identity as well as label/);
    expect(card).toContain(`One generated gait per label of ${names[0]}`);
    expect(readFileSync(dir(`id/${MODEL_CARD_STRIP}`), 'utf8')).toMatch(/^<svg/);
  });

  it('evaluate-generator refuses it with one error naming why, instead of failing inside sampling', async () => {
    const gen = await loadGenerator(dir('id'));
    try {
      const e = await errorOf(evaluateGenerator(gen, data, { seed: 1, repeats: 1 }));
      expect(e.code).toBe('E_MODEL');
      expect(e.message).toMatch(/is conditioned on identity as well as label; evaluate-generator samples by label only/);
    } finally {
      gen.dispose();
    }
  });

  it('is off by default and in step-paper, so existing configs resolve as before', () => {
    expect(resolveGenerator({}).identityDim).toBe(0);
    expect(resolveGenerator({ preset: 'step-paper' }).identityDim).toBe(0);
    expect(() => resolveGenerator({ identityDim: -1 })).toThrow(/identityDim = -1 is out of range/);
    expect(() => resolveGenerator({ identityDim: 2.5 })).toThrow(/identityDim = 2.5/);
  });

  it('stores its identity names; a label-only generator stores none', async () => {
    const m = JSON.parse(readFileSync(path.join(dir('id'), 'generator.json'), 'utf8'));
    expect(m.identityNames).toEqual(names);
    expect(m.config.identityDim).toBe(4);
    expect(JSON.parse(readFileSync(path.join(dir('plain'), 'generator.json'), 'utf8')).identityNames).toBeUndefined();
    const gen = await loadGenerator(dir('id'));
    expect(gen.identityNames).toEqual(names);
    gen.dispose();
  });

  it('samples the asked identities and labels, rows carrying the identity, leaving no tensors behind', async () => {
    const gen = await loadGenerator(dir('id'));
    const before = tf.memory().numTensors;
    const asked = [names[2]!, names[0]!];
    const s = gen.sample({ angry: 2, sad: 1 }, { seed: 5, identities: asked });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.N).toBe(6);
    expect(s.identity).toEqual([asked[0], asked[0], asked[0], asked[1], asked[1], asked[1]]);
    expect(Array.from(s.labels, (l) => s.labelNames[l])).toEqual(['angry', 'angry', 'sad', 'angry', 'angry', 'sad']);
    expect(new Set(s.ids).size).toBe(6);
    expect(s.source.every((x) => x === 'synthetic')).toBe(true);
    // 'all' asks for every identity in the model's order
    const all = gen.sample({ happy: 1 }, { seed: 5, identities: 'all' });
    expect(all.identity).toEqual(names);
    // explicit (identity, label, count) cells
    const cells = gen.sample([{ identity: names[1]!, label: 'sad', count: 2 }, { identity: names[0]!, label: 'happy', count: 1 }], { seed: 5 });
    expect(cells.identity).toEqual([names[0], names[1], names[1]]);
    expect(Array.from(cells.labels, (l) => cells.labelNames[l])).toEqual(['happy', 'sad', 'sad']);
    // the same request gives the same gaits
    expect(gen.sample({ angry: 2, sad: 1 }, { seed: 5, identities: asked }).positions).toEqual(s.positions);
    gen.dispose();
  });

  it("samples each walker with the bone lengths of its training walks; a directory without them keeps each gait's medians", async () => {
    const m = JSON.parse(readFileSync(path.join(dir('id'), 'generator.json'), 'utf8'));
    expect(m.identityBoneLengths).toEqual(walkerBoneLengths(data.positions, data.T, data.V, data.identity, names));
    const bone = (s: GaitSet, i: number, t: number, [p, c]: readonly [number, number]) => Math.hypot(...[0, 1, 2].map((k) => s.gait(i)[(t * s.V + c) * 3 + k]! - s.gait(i)[(t * s.V + p) * 3 + k]!));
    const gen = await loadGenerator(dir('id'));
    const s = gen.sample({ sad: 2 }, { seed: 4, identities: [names[1]!] });
    for (let i = 0; i < s.N; i++) for (const e of EDGES) for (let t = 0; t < s.T; t += 5) expect(bone(s, i, t, e)).toBeCloseTo(m.identityBoneLengths[1][e[1]], 5);
    const unfitted = gen.sample({ sad: 2 }, { seed: 4, identities: [names[1]!], rigid: false });
    gen.dispose();
    // the same directory as written before the field existed
    const old = dir('id-old');
    cpSync(dir('id'), old, { recursive: true });
    delete m.identityBoneLengths;
    writeFileSync(path.join(old, 'generator.json'), JSON.stringify(m, null, 2));
    const before = await loadGenerator(old);
    const o = before.sample({ sad: 2 }, { seed: 4, identities: [names[1]!] });
    before.dispose();
    for (let i = 0; i < o.N; i++)
      for (const e of EDGES) {
        const lengths = Array.from({ length: o.T }, (_, t) => bone(unfitted, i, t, e)).sort((a, b) => a - b);
        expect(bone(o, i, 0, e)).toBeCloseTo(lengths[Math.floor(o.T / 2)]!, 5);
      }
    // a broken field is one E_MODEL naming it
    writeFileSync(path.join(old, 'generator.json'), JSON.stringify({ ...m, identityBoneLengths: [[1, 2]] }, null, 2));
    const e = await errorOf(loadGenerator(old));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toMatch(/generator\.json: identityBoneLengths must hold 3 lists \(one per identity\) of 16 finite lengths/);
  });

  it('the identity changes the gait: the same latent (temperature 0) decoded for two identities differs', async () => {
    const gen = await loadGenerator(dir('id'));
    // the label's fitted prior: the same z for both identities
    const [a, b] = [names[0]!, names[1]!].map((who) => gen.sample({ neutral: 1 }, { seed: 1, temperature: 0, rigid: false, identities: [who], prior: 'fitted' }).positions);
    let diff = 0;
    for (let i = 0; i < a!.length; i++) diff = Math.max(diff, Math.abs(a![i]! - b![i]!));
    expect(diff).toBeGreaterThan(1e-4);
    gen.dispose();
  });

  it("samples from the identity prior by default: z is the label's effect plus the walker's", async () => {
    expect(resolveGenerator({ identityDim: 4 }).prior).toBe('identity');
    expect(resolveGenerator({ identityDim: 4, prior: 'mixture' }).prior).toBe('mixture');
    expect(() => resolveGenerator({ prior: 'identity' })).toThrow(/prior = "identity" needs identityDim > 0/);
    const gen = await loadGenerator(dir('id'));
    const plain = await loadGenerator(dir('plain'));
    try {
      expect(gen.config.prior).toBe('identity');
      const p = gen.latentPrior.identity!;
      expect(Object.keys(p.identities)).toEqual(names);
      expect(Object.keys(p.labels).sort()).toEqual([...data.labelNames].sort());
      // every walker's effect was fitted on its training gaits (the validation hold-out keeps walkers in training)
      for (const n of names) expect(p.identities[n]!.gaits).toBeGreaterThan(0);
      // by default the identity prior; at temperature 0 two walkers' z differ by their effects, so their gaits
      // differ more than the identity input alone makes them differ (the fitted prior's same z)
      const maxDiff = (prior: 'identity' | 'fitted') => {
        const [a, b] = [names[0]!, names[1]!].map((who) => gen.sample({ sad: 1 }, { seed: 1, temperature: 0, rigid: false, identities: [who], prior }).positions);
        return a!.reduce((m, v, i) => Math.max(m, Math.abs(v - b![i]!)), 0);
      };
      const byDefault = gen.sample({ sad: 2 }, { seed: 4, identities: [names[2]!] });
      expect(byDefault.positions).toEqual(gen.sample({ sad: 2 }, { seed: 4, identities: [names[2]!], prior: 'identity' }).positions);
      expect(byDefault.positions).not.toEqual(gen.sample({ sad: 2 }, { seed: 4, identities: [names[2]!], prior: 'mixture' }).positions);
      expect(maxDiff('identity')).not.toBe(maxDiff('fitted'));
      const none = await errorOf(() => plain.sample({ sad: 1 }, { seed: 1, prior: 'identity' }));
      expect(none.code).toBe('E_OPTION');
      expect(none.message).toMatch(/option prior \(--prior\) is 'identity', but generator .* is not conditioned on identity/);
    } finally {
      gen.dispose();
      plain.dispose();
    }
    // a directory written before the identity prior: its config says mixture (as it did), and asking for the identity prior names why not
    const file = path.join(dir('id'), 'best', 'latent.json');
    const latent = JSON.parse(readFileSync(file, 'utf8'));
    const manifestFile = path.join(dir('id'), 'generator.json');
    const manifest = readFileSync(manifestFile, 'utf8');
    const m = JSON.parse(manifest);
    writeFileSync(file, JSON.stringify({ ...latent, identity: undefined }));
    writeFileSync(manifestFile, JSON.stringify({ ...m, config: { ...m.config, prior: 'mixture' } }));
    try {
      const old = await loadGenerator(dir('id'));
      expect(old.sample({ sad: 1 }, { seed: 1, identities: [names[0]!] }).N).toBe(1);
      const e = await errorOf(() => old.sample({ sad: 1 }, { seed: 1, identities: [names[0]!], prior: 'identity' }));
      expect(e.message).toMatch(/trained before the identity prior existed/);
      old.dispose();
    } finally {
      writeFileSync(file, JSON.stringify(latent));
      writeFileSync(manifestFile, manifest);
    }
  });

  it('generateToFile writes the identity column', async () => {
    const out = path.join(tmp, 'gen.parquet');
    const r = await generateToFile(dir('id'), out, { counts: { sad: 2 }, identities: [names[1]!], seed: 2, chunkSize: 1 });
    expect(r.rows).toBe(2);
    const back = await readGaitFile(out);
    expect(back.identity).toEqual([names[1], names[1]]);
    expect(Array.from(back.labels, (l) => back.labelNames[l])).toEqual(['sad', 'sad']);
  });

  it('decoder threads and data-parallel training give what one thread gives, identities included', async () => {
    const one = await generateToFile(dir('id'), path.join(tmp, 't1.arrow'), { counts: { happy: 2, sad: 3 }, identities: [names[1]!, names[2]!], seed: 3, chunkSize: 4, batchSize: 2 });
    const two = await generateToFile(dir('id'), path.join(tmp, 't2.arrow'), { counts: { happy: 2, sad: 3 }, identities: [names[1]!, names[2]!], seed: 3, chunkSize: 4, batchSize: 2, threads: 2 });
    expect(two.rows).toBe(one.rows);
    const [a, b] = [await readGaitFile(path.join(tmp, 't1.arrow')), await readGaitFile(path.join(tmp, 't2.arrow'))];
    expect(b.identity).toEqual(a.identity);
    expect(b.positions).toEqual(a.positions);
    // training on 2 threads: the replicas receive the identities with the rows
    const r = await trainGenerator(data, { ...TINY, epochs: 1, identityDim: 4 }, { outDir: dir('id2'), seed: 3, threads: 2 });
    expect(Number.isFinite(r.history[0]!.train.total)).toBe(true);
  }, 120_000);

  it('one clear error naming the option: unknown identity, identities on a label-only model, a conditioned model without identities', async () => {
    const gen = await loadGenerator(dir('id'));
    const plain = await loadGenerator(dir('plain'));
    try {
      const unknown = await errorOf(() => gen.sample({ sad: 1 }, { seed: 1, identities: ['nobody'] }));
      expect(unknown.code).toBe('E_OPTION');
      expect(unknown.message).toMatch(/option identities \(--identities\).*"nobody"/);
      const cellUnknown = await errorOf(() => gen.sample([{ identity: 'nobody', label: 'sad', count: 1 }], { seed: 1 }));
      expect(cellUnknown.message).toMatch(/counts\[0\]\.identity \(--counts identity:label=N\): the generator does not know identity "nobody"/);
      const labelOnly = await errorOf(() => plain.sample({ sad: 1 }, { seed: 1, identities: [names[0]!] }));
      expect(labelOnly.code).toBe('E_OPTION');
      expect(labelOnly.message).toMatch(/option identities \(--identities\).*without identity conditioning/);
      expect((await errorOf(() => plain.sample({ sad: 1 }, { seed: 1, identities: 'all' }))).message).toMatch(/without identity conditioning/);
      const missing = await errorOf(() => gen.sample({ sad: 1 }, { seed: 1 }));
      expect(missing.message).toMatch(/option identities \(--identities\) is required/);
      const file = await errorOf(generateToFile(dir('plain'), path.join(tmp, 'x.parquet'), { counts: { sad: 1 }, identities: ['a'], seed: 1 }));
      expect(file.message).toMatch(/option identities/);
      expect((await errorOf(() => planRequest({ sad: 1 }, [names[0]!, names[0]!], data.labelNames, names))).message).toMatch(/twice/);
      // a label-only generator still samples without identities, rows without identity
      expect(plain.sample({ sad: 2 }, { seed: 1 }).identity).toEqual([null, null]);
    } finally {
      gen.dispose();
      plain.dispose();
    }
  });

  it('its validation hold-out keeps every identity in training and no recording on two sides', () => {
    const many = proceduralDataset({ identities: 8, perEmotion: 1, frames: 8, seed: 4 });
    const rec = recordingKeys(many);
    for (const seed of [1, 2, 3]) {
      // a label-only generator holds out whole walkers ...
      const [plainTrain] = validationSplit(many, resolveGenerator({ valFraction: 0.5 }), seed);
      expect(new Set(plainTrain.map((i) => many.identity[i])).size).toBeLessThan(8);
      // ... an identity-conditioned one trains on every walker
      const [tr, va] = validationSplit(many, resolveGenerator({ valFraction: 0.5, identityDim: 4 }), seed);
      expect(new Set(tr.map((i) => many.identity[i])).size).toBe(8);
      expect(va.length).toBeGreaterThan(0);
      expect(tr.length + va.length).toBe(many.N);
      const trainRecordings = new Set(tr.map((i) => rec[i]));
      for (const i of va) expect(trainRecordings.has(rec[i])).toBe(false);
    }
  });

  it('a training step with identities leaves the tensor count unchanged, and the identity input is required', async () => {
    const cfg = resolveGenerator({ ...TINY, identityDim: 3 });
    const cvae = buildCvae(cfg, { T: 16, V: 16, labels: 4, edges: EDGES.map(([a, b]) => [a, b] as [number, number]), identities: 5 }, 1);
    expect(cvae.decoder.inputs.map((i) => i.shape[1])).toEqual([cfg.latentDim, 4, 5]);
    const trainer = new CvaeTrainer(cvae, cfg, 4, undefined, undefined, undefined, 5);
    const x = Float32Array.from(data.positions.subarray(0, 4 * data.stride), (v) => v - 0.5);
    const labels = Int32Array.from([0, 1, 2, 3]);
    const ids = Int32Array.from([4, 0, 4, 2]);
    await trainer.step(x, labels, [16, 16, 3], 11, ids);
    const before = tf.memory().numTensors;
    const v = await trainer.step(x, labels, [16, 16, 3], 12, ids);
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(v.total)).toBe(true);
    await trainer.evaluate(x, labels, [16, 16, 3], 13, ids);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainer.evaluate(x, labels, [16, 16, 3], 13)).rejects.toThrow(/needs an identity for each of the 4 gaits/);
    await trainer.dispose();
    expect(() => buildCvae(cfg, { T: 16, V: 16, labels: 4, edges: [] }, 1)).toThrow(/identities = undefined is out of range/);
  });

  it('training refuses a gait without identity, naming it', async () => {
    const noId = new GaitSet({ ...data, positions: data.positions, identity: data.identity.map((x, i) => (i === 5 ? null : x)) } as never);
    const e = await errorOf(trainGenerator(noId, { ...TINY, identityDim: 4 }, { outDir: dir('bad'), seed: 1 }));
    expect(e.code).toBe('E_VALUE');
    expect(e.message).toMatch(new RegExp(`gait \\d+ \\(${data.ids[5]}\\) has no identity.*identityDim`));
  });

  it('a directory written before identity conditioning, decoderCondition and the config prior (none in its config) still loads', async () => {
    const file = path.join(dir('plain'), 'generator.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    delete m.config.identityDim;
    delete m.config.decoderCondition;
    delete m.config.prior;
    writeFileSync(file, JSON.stringify(m, null, 2));
    const gen = await loadGenerator(dir('plain'));
    expect(gen.config.identityDim).toBe(0);
    expect(gen.config.decoderCondition).toBe('input');
    expect(gen.config.prior).toBe('fitted');
    expect(gen.identityNames).toEqual([]);
    expect(gen.sample({ happy: 1 }, { seed: 2 }).N).toBe(1);
    gen.dispose();
  });

  it('the CLI --counts form names identity and label', () => {
    expect(parseCounts('angry=2,sad=1')).toEqual({ angry: 2, sad: 1 });
    expect(parseCounts('id0:angry=2, id1:sad=1')).toEqual([{ identity: 'id0', label: 'angry', count: 2 }, { identity: 'id1', label: 'sad', count: 1 }]);
    expect(() => parseCounts('id0:angry=2,sad=1')).toThrow(/in every pair .* or in none/);
  });
});

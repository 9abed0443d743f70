import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { buildIdentityModel } from '../../src/identity/architecture.js';
import { resolveIdentityConfig } from '../../src/identity/config.js';
import { evaluateIdentity, evaluateIdentityBaselines, identityMarkdown } from '../../src/identity/evaluate.js';
import { GaitTakeModel, loadIdentityModel, runIdentityModel, TRAINING_GAITS_FILE } from '../../src/identity/model.js';
import { IdentityTask } from '../../src/identity/task.js';
import { trainIdentityModel } from '../../src/identity/train.js';
import { Engine } from '../../src/train/engine.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-identity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tiny = { channels: [8], heads: 2, embeddingDim: 8, attentionUnits: 8, temporalKernel: 3, P: 3, K: 2 };

beforeAll(async () => {
  await initBackend('wasm');
});

describe('GaitTAKE model', () => {
  it('temporal attention weights sum to 1 per sequence and are not uniform', () => {
    const cfg = resolveIdentityConfig(tiny);
    const model = buildIdentityModel({ config: cfg, T: 12, V: 16, numIdentities: 0, seed: 3 });
    const set = proceduralDataset({ identities: 2, perEmotion: 1, frames: 12, emotions: ['neutral', 'sad'], seed: 3 });
    const r = runIdentityModel(model, set.positions, set.N, 12, 16);
    expect(r.dim).toBe(16);
    for (let i = 0; i < set.N; i++) {
      const row = Array.from(r.attention.subarray(i * 12, (i + 1) * 12));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(1e-6);
    }
    model.dispose();
  });

  it('a training step of the engine leaves tf.memory().numTensors unchanged and lowers the triplet loss over steps', async () => {
    const cfg = resolveIdentityConfig({ ...tiny, crossEntropyWeight: 0.5, margin: 0.2 });
    const model = buildIdentityModel({ config: cfg, T: 10, V: 16, numIdentities: 3, seed: 1 });
    expect(model.outputs.length).toBe(3); // embeddings, attention, identity logits
    const set = proceduralDataset({ identities: 3, perEmotion: 2, frames: 10, emotions: ['neutral'], seed: 1 });
    const classes = Int32Array.from(set.identity, (n) => Number(n!.slice(2)));
    const task = new IdentityTask(model, cfg, { positions: set.positions, classes, T: 10, V: 16, fps: set.fps });
    const engine = new Engine(task, { lr: 0.01, weightDecay: 0 });
    const rows = Int32Array.from({ length: set.N }, (_, i) => i);
    const step = async () => {
      const m = await engine.step(rows, 1);
      return { loss: m[0]!, triplet: m[1]! };
    };
    const first = await step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let k = 0; k < 8; k++) last = await step();
    expect(tf.memory().numTensors).toBe(before);
    expect(first.loss).toBeGreaterThan(first.triplet); // the cross-entropy part is added
    expect(last.loss).toBeLessThan(first.loss);
    await engine.dispose();
    model.dispose();
  });
});

describe('training, saving and evaluating on unseen identities', () => {
  const all = proceduralDataset({ identities: 10, perEmotion: 2, frames: 12, emotions: ['neutral', 'happy', 'sad'], estimatorNoise: 0.02, seed: 7 });
  const ids = [...new Set(all.identity)];
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  all.identity.forEach((n, i) => (ids.indexOf(n) < 6 ? trainIdx : testIdx).push(i));
  const train = all.select(trainIdx);
  const test = all.select(testIdx);
  const dir = path.join(tmp, 'gaittake');

  it('trains a tiny GaitTAKE for a few steps, selects the epoch on held-out identities and round-trips', async () => {
    const r = await trainIdentityModel('gaittake', train, { ...tiny, epochs: 2, validateEvery: 1, valFraction: 0.34, augmentNoise: 0.01 }, { outDir: dir, seed: 2 });
    expect(r.history.length).toBe(2);
    expect(r.trainIdentities.length).toBe(4); // 2 of 6 held out for validation
    expect(r.bestValRank1).toBe(Math.max(...r.history.map((h) => h.valRank1!))); // the selected epoch is the best on validation
    for (const f of ['model.json', 'weights.bin', 'meta.json', 'history.json', TRAINING_GAITS_FILE]) expect(existsSync(path.join(dir, f))).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.valIdentities.length).toBe(2);
    expect(meta.trainIdentities.some((n: string) => meta.valIdentities.includes(n))).toBe(false);
    expect(meta.config.heads).toBe(2);
    expect(meta.config.augmentNoise).toBe(0.01);

    const before = tf.memory().numTensors;
    const m = await loadIdentityModel(dir);
    expect(m.kind).toBe('gaittake');
    expect(m.checkpointHash).toBe(r.checkpointHash);
    const a = m.embed(test);
    const b = m.embed(test);
    expect(a.dim).toBe(16);
    expect(a.parts).toBe(2);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const att = (m as GaitTakeModel).attention(test);
    expect(att.T).toBe(6); // frame stride 2
    const ev = evaluateIdentity(m, test);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(ev.probeConditions).toEqual(['happy', 'sad']);
    expect(ev.galleryGaits).toBe(8);
    for (const s of [ev, ev.baselines.boneLengths, ev.baselines.affective])
      for (const metric of [s.rank1, s.rank5, s.mAP]) {
        expect(Object.keys(metric)).toEqual(['happy', 'sad', 'mean']);
        expect(metric['mean']).toBeCloseTo((metric['happy']! + metric['sad']!) / 2, 10);
      }
    // rank-1 and rank-5 recomputed from the embeddings: each happy or sad walk's neutral gallery walks (not of its own
    // recording) by the mean over the 2 parts of the Euclidean distance, nearest first
    const dist = (i: number, j: number) => {
      let total = 0;
      for (let p = 0; p < a.parts; p++) {
        let sq = 0;
        for (let d = (p * a.dim) / a.parts; d < ((p + 1) * a.dim) / a.parts; d++) sq += (a.data[i * a.dim + d]! - a.data[j * a.dim + d]!) ** 2;
        total += Math.sqrt(sq);
      }
      return total / a.parts;
    };
    const neutral = test.labelNames.indexOf('neutral');
    for (const cond of ['happy', 'sad']) {
      const hits = { 1: 0, 5: 0 };
      let probes = 0;
      for (let p = 0; p < test.N; p++) {
        if (test.labelNames[test.labels[p]!] !== cond) continue;
        const ranked = Array.from({ length: test.N }, (_, g) => g)
          .filter((g) => test.labels[g] === neutral && test.recording[g] !== test.recording[p])
          .sort((x, y) => dist(p, x) - dist(p, y) || x - y);
        const first = ranked.findIndex((g) => test.identity[g] === test.identity[p]);
        if (first < 0) continue;
        probes++;
        if (first < 1) hits[1]++;
        if (first < 5) hits[5]++;
      }
      expect(ev.rank1[cond]).toBeCloseTo(hits[1] / probes, 12);
      expect(ev.rank5[cond]).toBeCloseTo(hits[5] / probes, 12);
    }
    expect(ev.leakCheck).toMatch(/none of the 24 gaits/);
    expect(identityMarkdown(ev)).toMatch(/\| NN bone lengths \| rank-1 \|/);
  });

  it('is reproducible from its seed', async () => {
    const cfg = { ...tiny, epochs: 1, valFraction: 0, augmentNoise: 0.01 };
    const a = await trainIdentityModel('gaittake', train, cfg, { outDir: path.join(tmp, 'seed-a'), seed: 5 });
    const b = await trainIdentityModel('gaittake', train, cfg, { outDir: path.join(tmp, 'seed-b'), seed: 5 });
    const c = await trainIdentityModel('gaittake', train, cfg, { outDir: path.join(tmp, 'seed-c'), seed: 6 });
    expect(a.checkpointHash).toBe(b.checkpointHash);
    expect(c.checkpointHash).not.toBe(a.checkpointHash);
    expect(a.bestValRank1).toBeNull();
  });

  it("the gaittake-paper preset: P×K 8×8, windows of 30 frames, attention per 10-frame clip, the triplet mean over non-zero terms; trains on windows, embeds whole gaits, resumes only the same run", async () => {
    const paper = resolveIdentityConfig({ preset: 'gaittake-paper' });
    expect([paper.P, paper.K, paper.trainFrames, paper.clipLength, paper.tripletMean]).toEqual([8, 8, 30, 10, 'nonzero']);
    expect(resolveIdentityConfig({ preset: 'gaittake-paper', K: 3 }).K).toBe(3); // a given field beats the preset
    expect(() => resolveIdentityConfig({ preset: 'gaittake' as never })).toThrow(/preset = "gaittake" is out of range/);
    // 12-frame gaits at stride 2: training windows of 8 frames (4 model frames), clips of 4 frames (2 model frames)
    const cfg = { ...tiny, preset: 'gaittake-paper' as const, K: 2, trainFrames: 8, clipLength: 4, epochs: 2, valFraction: 0 };
    const out = path.join(tmp, 'paper');
    const r = await trainIdentityModel('gaittake', train, cfg, { outDir: out, seed: 3 });
    const again = await trainIdentityModel('gaittake', train, cfg, { outDir: path.join(tmp, 'paper-again'), seed: 3 });
    expect(again.checkpointHash).toBe(r.checkpointHash); // the windows are drawn from the seed
    const whole = await trainIdentityModel('gaittake', train, { ...cfg, trainFrames: 0 }, { outDir: path.join(tmp, 'paper-whole'), seed: 3 });
    expect(whole.checkpointHash).not.toBe(r.checkpointHash);
    const m = await loadIdentityModel(out);
    const att = (m as GaitTakeModel).attention(test);
    expect(att.T).toBe(6); // inference sees every model frame of the gait: 3 clips of 2
    for (let i = 0; i < test.N; i++) {
      const row = Array.from(att.data.subarray(i * 6, (i + 1) * 6));
      for (let s = 0; s < 3; s++) expect(row[2 * s]! + row[2 * s + 1]!).toBeCloseTo(1 / 3, 5);
    }
    expect(m.embed(test).dim).toBe(16); // 2 heads of 8
    m.dispose();
    await expect(trainIdentityModel('gaittake', train, { ...cfg, clipLength: 6 }, { outDir: out, seed: 3, resume: true })).rejects.toThrow(/config differs: clipLength = 4 there, 6 now/);
  });

  it('refuses to evaluate on gaits the model was trained on', async () => {
    const m = await loadIdentityModel(dir);
    try {
      expect(() => evaluateIdentity(m, train)).toThrow(GaitforgeError);
      expect(() => evaluateIdentity(m, train)).toThrow(/is one the model was trained on/);
    } finally {
      m.dispose();
    }
  });

  it('baselines need no model and are reported with the same fields', () => {
    const b = evaluateIdentityBaselines(test);
    expect(Object.keys(b.baselines)).toEqual(['boneLengths', 'affective']);
    expect(b.probes).toEqual({ happy: 8, sad: 8 });
  });

  it('evaluates AT-GCN identity embeddings under the same protocol', async () => {
    const adir = path.join(tmp, 'atgcn');
    const r = await trainIdentityModel('at-gcn', train, { epochs: 1, hidden: 4, batchSize: 8, tasks: { nextFrame: false } }, { outDir: adir, seed: 1 });
    expect(r.kind).toBe('at-gcn');
    const m = await loadIdentityModel(adir);
    try {
      const ev = evaluateIdentity(m, test);
      expect(ev.model.kind).toBe('at-gcn');
      expect(Object.keys(ev.rank1)).toEqual(['happy', 'sad', 'mean']);
      expect(ev.leakCheck).toMatch(/none of the 24 gaits/);
    } finally {
      m.dispose();
    }
  });

  it('names gaits without identity', async () => {
    const anon = proceduralDataset({ identities: 2, perEmotion: 1, frames: 12, seed: 1 });
    const bad = anon.select([0, 1, 2, 3, 4, 5, 6, 7]);
    (bad.identity as (string | null)[])[3] = null;
    await expect(trainIdentityModel('gaittake', bad, tiny, { outDir: path.join(tmp, 'x'), seed: 1 })).rejects.toThrow(/gait 3 \(.*\) has no identity/);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});

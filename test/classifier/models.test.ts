import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import {
  buildArchitecture, evaluateClassifier, loadClassifier, resolveClassifierConfig, runnerOf, saliency, saliencySvg, trainClassifier,
  type ClassifierKind,
} from '../../src/classifier/index.js';
import { buildClassifierTask } from '../../src/classifier/task.js';
import { Engine } from '../../src/train/engine.js';

const KINDS: ClassifierKind[] = ['baseline-step', 'step', 'at-gcn'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-clf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** 8 gaits (2 per emotion, 4 walkers), 16 frames; validation = the same gaits under other ids (a memorisation check). */
const tiny = proceduralDataset({ identities: 4, perEmotion: 1, frames: 16, seed: 3 }).select([0, 1, 2, 3, 4, 5, 6, 7]);
const tinyVal = new GaitSet({ ...tiny, positions: tiny.positions, labels: tiny.labels, labelNames: tiny.labelNames, T: tiny.T, ids: tiny.ids.map((i) => `copy-${i}`) });
const fast = { epochs: 30, batchSize: 8, lr: 0.01, bnMomentum: 0.5, temporalKernel: 3, dropout: 0, hidden: 8, frameStride: 1, weightDecay: 0 };

const dirs: Record<string, string> = {};
beforeAll(async () => {
  await initBackend('wasm');
  for (const kind of KINDS) {
    dirs[kind] = path.join(tmp, kind);
    await trainClassifier(kind, tiny, fast, { outDir: dirs[kind]!, seed: 11, val: tinyVal });
  }
});

describe.each(KINDS)('%s', (kind) => {
  it('overfits a tiny set and saves the validation-selected epoch', async () => {
    const clf = await loadClassifier(dirs[kind]!);
    try {
      const { predicted } = clf.predict(tiny);
      expect(Array.from(predicted)).toEqual(Array.from(tiny.labels));
      expect(clf.kind).toBe(kind);
      expect(clf.labelNames).toEqual(tiny.labelNames);
      const hist = JSON.parse(readFileSync(path.join(dirs[kind]!, 'history.json'), 'utf8'));
      expect(hist.history).toHaveLength(fast.epochs);
      expect(hist.bestValAccuracy).toBe(1);
      expect(hist.history[hist.bestEpoch - 1].valAccuracy).toBe(1);
      expect(readFileSync(path.join(dirs[kind]!, 'curves.svg'), 'utf8')).toMatch(/^<svg/);
      expect(clf.meta.bestEpoch).toBe(hist.bestEpoch);
    } finally {
      clf.dispose();
    }
  });

  it('loads to identical predictions, leaks no tensors in predict, and chunks large sets', async () => {
    const a = await loadClassifier(dirs[kind]!);
    const b = await loadClassifier(dirs[kind]!);
    try {
      const big = GaitSet.concat(Array.from({ length: 9 }, () => tiny)); // 72 gaits > one chunk of 64
      const n0 = tf.memory().numTensors;
      const pa = a.predict(big);
      expect(tf.memory().numTensors).toBe(n0);
      const pb = b.predict(tiny);
      expect(pa.probs.subarray(0, tiny.N * 4)).toEqual(pb.probs);
      expect(pa.probs.subarray(64 * 4, 72 * 4)).toEqual(pb.probs);
      expect(a.checkpointHash).toMatch(/^[0-9a-f]{64}$/);
      const f = a.features(tiny);
      expect(f.dim).toBe(kind === 'baseline-step' ? 64 : kind === 'step' ? 128 : 16 * fast.hidden);
      expect(f.data).toHaveLength(tiny.N * f.dim);
      expect(tf.memory().numTensors).toBe(n0);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('a training step leaves the number of tensors unchanged', async () => {
    const cfg = resolveClassifierConfig({ ...fast, tasks: { identity: true, nextFrame: true } });
    const taskNames = kind === 'at-gcn' ? ['emotion', 'identity', 'nextFrame'] : ['emotion'];
    const built = buildClassifierTask({
      arch: { kind, config: cfg, T: 16, V: 16, numLabels: 4, numIdentities: kind === 'at-gcn' ? 4 : 0, affectiveDim: kind === 'step' ? 29 : 0, seed: 1 },
      taskNames,
      data: {
        positions: tf.tidy(() => tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 1).dataSync() as Float32Array),
        affective: kind === 'step' ? new Float32Array(4 * 29).fill(1) : null,
        labels: Int32Array.from([0, 1, 2, 3]),
        identity: Int32Array.from([0, -1, 2, 3]),
      },
    });
    const engine = new Engine(built.task, { lr: 0.01, weightDecay: 5e-4 });
    const rows = Int32Array.from([0, 1, 2, 3]);
    await engine.step(rows, 1);
    const n0 = tf.memory().numTensors;
    const m = await engine.step(rows, 2);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Array.from(m).every(Number.isFinite)).toBe(true);
    expect(m).toHaveLength(2 + taskNames.length);
    await engine.dispose();
    built.dispose();
  });

  it('saliency gives a finite, non-negative [frames][joints] map per gait and leaks nothing', async () => {
    const clf = await loadClassifier(dirs[kind]!);
    try {
      const n0 = tf.memory().numTensors;
      const s = saliency(clf, tiny, [tiny.ids[5]!, tiny.ids[0]!]);
      expect(tf.memory().numTensors).toBe(n0);
      expect(s.gaits.map((g) => g.id)).toEqual([tiny.ids[5], tiny.ids[0]]);
      const g = s.gaits[0]!;
      expect(g.saliency).toHaveLength(runnerOf(clf).meta.modelT);
      expect(g.saliency[0]).toHaveLength(16);
      const flat = g.saliency.flat();
      expect(flat.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
      expect(Math.max(...flat)).toBeGreaterThan(0);
      expect(g.target).toBe(g.predicted);
      expect(saliencySvg(s)).toContain('<rect');
      expect(() => saliency(clf, tiny, ['nope'])).toThrow(/"nope" is not in the data/);
    } finally {
      clf.dispose();
    }
  });
});

describe('training', () => {
  it('is deterministic for a seed: same seed, same weights; another seed, other weights', async () => {
    const opts = { ...fast, epochs: 3 };
    const a = await trainClassifier('baseline-step', tiny, opts, { outDir: path.join(tmp, 'det-a'), seed: 5, val: tinyVal });
    const b = await trainClassifier('baseline-step', tiny, opts, { outDir: path.join(tmp, 'det-b'), seed: 5, val: tinyVal });
    const c = await trainClassifier('baseline-step', tiny, opts, { outDir: path.join(tmp, 'det-c'), seed: 6, val: tinyVal });
    expect(a.checkpointHash).toBe(b.checkpointHash);
    expect(a.history.map((h) => h.trainLoss)).toEqual(b.history.map((h) => h.trainLoss));
    expect(c.checkpointHash).not.toBe(a.checkpointHash);
  });

  it('selectBy picks the epoch by validation accuracy, validation loss or the last one, without changing the training', async () => {
    // validation on other walkers, so accuracy and loss disagree on the best epoch somewhere
    const walkers = proceduralDataset({ identities: 4, perEmotion: 1, frames: 16, seed: 9 });
    const others = new GaitSet({ ...walkers, positions: walkers.positions, labels: walkers.labels, labelNames: walkers.labelNames, T: walkers.T, ids: walkers.ids.map((i) => `other-${i}`) });
    const opts = { ...fast, epochs: 6, lr: 0.003 };
    const run = (selectBy: 'accuracy' | 'loss' | 'last') =>
      trainClassifier('baseline-step', tiny, { ...opts, selectBy }, { outDir: path.join(tmp, `select-${selectBy}`), seed: 5, val: others });
    const [acc, loss, last] = [await run('accuracy'), await run('loss'), await run('last')];
    expect(loss.history).toEqual(acc.history.map((h, i) => ({ ...h, seconds: loss.history[i]!.seconds, samplesPerSec: loss.history[i]!.samplesPerSec })));
    const h = acc.history;
    const argBest = (better: (a: (typeof h)[number], b: (typeof h)[number]) => boolean) => h.reduce((best, e, i) => (better(e, h[best]!) ? i : best), 0) + 1;
    expect(acc.bestEpoch).toBe(argBest((a, b) => a.valAccuracy! > b.valAccuracy! || (a.valAccuracy === b.valAccuracy && a.valLoss! < b.valLoss!)));
    expect(loss.bestEpoch).toBe(argBest((a, b) => a.valLoss! < b.valLoss!));
    expect(last.bestEpoch).toBe(opts.epochs);
    expect(last.bestValAccuracy).toBe(h[opts.epochs - 1]!.valAccuracy);
    expect(() => resolveClassifierConfig({ selectBy: 'best' as never })).toThrow(/selectBy = "best" is not one of accuracy, loss, last/);
  });

  it('records the tasks AT-GCN trained and its learned task weights', async () => {
    const clf = await loadClassifier(dirs['at-gcn']!);
    try {
      expect(clf.meta.tasks).toEqual({ emotion: true, identity: true, nextFrame: true });
      expect(clf.identityNames).toEqual(['id00', 'id01']);
      expect(clf.hasIdentityHead).toBe(true);
      const hist = JSON.parse(readFileSync(path.join(dirs['at-gcn']!, 'history.json'), 'utf8'));
      expect(Object.keys(hist.history[0].taskWeights)).toEqual(['emotion', 'identity', 'nextFrame']);
      expect(hist.history.at(-1).taskWeights.emotion).not.toBe(1);
      // evaluation on a set with identities: cross-condition identification, each non-neutral walk against the neutral
      // ones, recomputed here from the embeddings by cosine similarity (walks of its own recording left out)
      const ev = evaluateClassifier(clf, tiny);
      const { data: emb, dim } = clf.features(tiny);
      const cos = (i: number, j: number) => {
        let d = 0, a = 0, b = 0;
        for (let k = 0; k < dim; k++) {
          d += emb[i * dim + k]! * emb[j * dim + k]!;
          a += emb[i * dim + k]! ** 2;
          b += emb[j * dim + k]! ** 2;
        }
        return d / Math.sqrt(a * b);
      };
      const neutral = tiny.labelNames.indexOf('neutral');
      const byCondition = new Map<string, number[]>();
      for (let p = 0; p < tiny.N; p++) {
        if (tiny.labels[p] === neutral) continue;
        const gallery = Array.from({ length: tiny.N }, (_, g) => g).filter((g) => tiny.labels[g] === neutral && tiny.recording[g] !== tiny.recording[p]);
        const nearest = gallery.reduce((best, g) => (cos(p, g) > cos(p, best) ? g : best), gallery[0]!);
        const cond = tiny.labelNames[tiny.labels[p]!]!;
        byCondition.set(cond, [...(byCondition.get(cond) ?? []), tiny.identity[nearest] === tiny.identity[p] ? 1 : 0]);
      }
      const perCondition = [...byCondition.values()].map((hits) => hits.reduce((x, y) => x + y, 0) / hits.length);
      expect(ev.identity!.probeWalks).toBe(6); // 2 walkers × 3 conditions other than neutral
      expect(ev.identity!.galleryWalks).toBe(2);
      expect(ev.identity!.rank1).toBeCloseTo(perCondition.reduce((x, y) => x + y, 0) / perCondition.length, 12);
    } finally {
      clf.dispose();
    }
  });

  it('rejects a validation set that repeats training gaits, and a model directory that is not a classifier', async () => {
    await expect(trainClassifier('step', tiny, fast, { outDir: path.join(tmp, 'x'), seed: 1, val: tiny.select([0, 1]) })).rejects.toThrow(/in both the training and the validation set/);
    await expect(loadClassifier(path.join(tmp, 'missing'))).rejects.toBeInstanceOf(GaitforgeError);
  });
});

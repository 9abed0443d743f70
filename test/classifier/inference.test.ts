import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { loadClassifier, runnerOf, startInference, trainClassifier, type ClassifierKind } from '../../src/classifier/index.js';

const KINDS: ClassifierKind[] = ['baseline-step', 'step', 'at-gcn'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-infer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// 5 walkers × 4 emotions × 2 = 40 gaits of 16 frames; 37 of them, so shards of 19/18 and 13/12/12 rows
const data = proceduralDataset({ identities: 5, perEmotion: 2, frames: 16, seed: 8 });
const set = data.select(Array.from({ length: 37 }, (_, i) => i));
// two walkers in training, so AT-GCN keeps its identity head
const train = data.select([0, 2, 4, 6, 8, 10, 12, 14]);
const val = data.select([1, 3, 5, 7, 9, 11, 13, 15]);
const few = { epochs: 2, batchSize: 8, lr: 0.01, temporalKernel: 3, dropout: 0, hidden: 8, frameStride: 1 };

const dirs: Record<string, string> = {};
beforeAll(async () => {
  await initBackend('wasm');
  for (const kind of KINDS) {
    dirs[kind] = path.join(tmp, kind);
    await trainClassifier(kind, train, few, { outDir: dirs[kind]!, seed: 4, val });
  }
});

const bytes = (x: Float32Array | null) => (x ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') : null);

describe.each(KINDS)('%s inference on threads', (kind) => {
  it('gives the same bits on 1, 2 and 3 threads as the one-thread predict/features, and leaks no tensors', async () => {
    const clf = await loadClassifier(dirs[kind]!);
    try {
      const one = runnerOf(clf).forward(set);
      expect(one.features.length).toBe(set.N * one.featureDim);
      if (kind === 'at-gcn') expect(one.identity).not.toBeNull();
      for (const threads of [2, 3]) {
        const inf = await startInference(clf, threads);
        try {
          expect(inf.threads).toBe(threads);
          const n0 = tf.memory().numTensors;
          const r = await inf.forward(set);
          expect(bytes(r.logits)).toBe(bytes(one.logits));
          expect(bytes(r.features)).toBe(bytes(one.features));
          expect(r.featureDim).toBe(one.featureDim);
          expect(bytes(r.identity)).toBe(bytes(one.identity));
          const t1 = inf.replicaTensors;
          expect(t1).toHaveLength(threads - 1);
          const p = await inf.predict(set);
          const q = clf.predict(set);
          expect(bytes(p.probs)).toBe(bytes(q.probs));
          expect(Array.from(p.predicted)).toEqual(Array.from(q.predicted));
          const f = await inf.features(set);
          expect(bytes(f.data)).toBe(bytes(clf.features(set).data));
          // flat on the calling thread and in every replica thread across passes
          expect(tf.memory().numTensors).toBe(n0);
          expect(inf.replicaTensors).toEqual(t1);
        } finally {
          await inf.close();
        }
      }
    } finally {
      clf.dispose();
    }
  });
});

describe('startInference', () => {
  it('shares a set smaller than the thread count and rejects a bad thread count', async () => {
    const clf = await loadClassifier(dirs['baseline-step']!);
    try {
      await expect(startInference(clf, 0)).rejects.toThrow(/threads/);
      await expect(startInference(clf, 1.5)).rejects.toThrow(/threads/);
      const inf = await startInference(clf, 3);
      try {
        const two = set.select([5, 6]);
        const r = await inf.forward(two);
        expect(bytes(r.logits)).toBe(bytes(runnerOf(clf).forward(two).logits));
      } finally {
        await inf.close();
      }
    } finally {
      clf.dispose();
    }
  });
});

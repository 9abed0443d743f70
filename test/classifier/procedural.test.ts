import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { evaluateClassifier, loadClassifier, trainClassifier, type ClassifierKind } from '../../src/classifier/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-clf-proc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => initBackend('wasm'));

// A short run on a small procedural set (happy vs sad: the two most different emotions, so a
// dozen epochs on 24 gaits can learn something), tested on walkers generated from another seed:
// no test walker is in training or validation. The 4-emotion, full-size numbers are in the README.
const emotions = ['happy', 'sad'] as const;
const train = proceduralDataset({ identities: 8, perEmotion: 2, frames: 32, seed: 4, emotions });
const test = proceduralDataset({ identities: 10, perEmotion: 2, frames: 32, seed: 99, emotions });
const config = { epochs: 10, batchSize: 8, lr: 0.005, temporalKernel: 3, bnMomentum: 0.3, frameStride: 1, hidden: 16 };

describe.each<ClassifierKind>(['baseline-step', 'step', 'at-gcn'])('%s on procedural gaits', (kind) => {
  it('reaches clearly-above-chance accuracy on unseen walkers in a short run', async () => {
    const dir = path.join(tmp, kind);
    const r = await trainClassifier(kind, train, { ...config, ...(kind === 'at-gcn' ? { lr: 0.01 } : {}) }, { outDir: dir, seed: 2, valFraction: 0.25 });
    expect(r.bestValAccuracy).toBeGreaterThan(0.5);
    const clf = await loadClassifier(dir);
    try {
      const ev = evaluateClassifier(clf, test);
      expect(ev.gaits).toBe(40);
      expect(ev.majorityBaseline).toBe(0.5);
      expect(ev.accuracy).toBeGreaterThanOrEqual(0.65); // chance: 0.5
      expect(clf.meta.validation).toMatch(/grouped by identity/);
    } finally {
      clf.dispose();
    }
  });
});

/**
 * A classifier run stopped after any epoch and resumed ends with the same
 * bits as an uninterrupted run: weights (batch-norm statistics included),
 * optimizer state, task weights, the selected checkpoint and the history.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainClassifier, type ClassifierKind } from '../../src/classifier/index.js';
import { initBackend } from '../../src/core/backend.js';
import { proceduralDataset } from '../../src/core/procedural.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

// 16 gaits of 4 walkers, 16 frames; 3 steps per epoch (batch 5, the last batch 1 gait);
// dropout, weight decay and a schedule step are on, so every piece of state matters.
const data = proceduralDataset({ identities: 4, perEmotion: 1, frames: 16, seed: 5 });
const config = { epochs: 4, batchSize: 5, lr: 0.01, lrSteps: [2], temporalKernel: 3, dropout: 0.2, hidden: 8, frameStride: 1, weightDecay: 1e-3 };
const EPOCHS = config.epochs;

const bytes = (dir: string, ...parts: string[]) => readFileSync(path.join(dir, ...parts));
const withoutTimes = (h: object[]) => h.map((e) => ({ ...e, seconds: 0, samplesPerSec: 0 }));

describe.each(['baseline-step', 'step', 'at-gcn'] as ClassifierKind[])('%s', (kind) => {
  it('resumed after any epoch, gives bit-identical weights, optimizer state and history', async () => {
    const full = path.join(tmp, `${kind}-full`);
    const a = await trainClassifier(kind, data, config, { outDir: full, seed: 3, keepLast: true });
    expect(a.completed).toBe(true);
    for (let stop = 1; stop < EPOCHS; stop++) {
      const dir = path.join(tmp, `${kind}-stop${stop}`);
      const controller = new AbortController();
      const first = await trainClassifier(kind, data, config, {
        outDir: dir, seed: 3, keepLast: true, signal: controller.signal, onEpoch: (l) => l.epoch === stop && controller.abort(),
      });
      expect(first.completed).toBe(false);
      expect(first.history).toHaveLength(stop);
      const b = await trainClassifier(kind, data, config, { outDir: dir, seed: 3, keepLast: true, resume: true });
      expect(b.completed).toBe(true);
      expect(withoutTimes(b.history)).toEqual(withoutTimes(a.history));
      expect(b.bestEpoch).toBe(a.bestEpoch);
      expect(b.checkpointHash).toBe(a.checkpointHash);
      for (const f of [['last', 'model', 'weights.bin'], ['last', 'optimizer.bin'], ['weights.bin']])
        expect(bytes(dir, ...f).equals(bytes(full, ...f)), `${kind}, stopped after epoch ${stop}: ${f.join('/')}`).toBe(true);
      const state = (d: string) => JSON.parse(bytes(d, 'last', 'state.json').toString('utf8'));
      expect(state(dir).logVars).toEqual(state(full).logVars);
    }
  });
});

describe('resume checks', () => {
  it('refuses to resume another run and removes last/ once a run completes', async () => {
    const dir = path.join(tmp, 'check');
    const controller = new AbortController();
    await trainClassifier('baseline-step', data, config, { outDir: dir, seed: 3, signal: controller.signal, onEpoch: () => controller.abort() });
    await expect(trainClassifier('baseline-step', data, config, { outDir: dir, seed: 4, resume: true })).rejects.toThrow(/cannot resume .*seed differs: 3 there, 4 now \(its last checkpoint\)/);
    await expect(trainClassifier('baseline-step', data, { ...config, lr: 0.02 }, { outDir: dir, seed: 3, resume: true })).rejects.toThrow(/config differs: lr = [0-9.e-]+ there, 0.02 now/);
    const done = await trainClassifier('baseline-step', data, config, { outDir: dir, seed: 3, resume: true });
    expect(done.completed).toBe(true);
    expect(done.history).toHaveLength(EPOCHS);
    expect(() => bytes(dir, 'last', 'state.json')).toThrow();
    // resuming a finished run trains nothing more and returns its result
    const weights = bytes(dir, 'weights.bin');
    const again = await trainClassifier('baseline-step', data, config, { outDir: dir, seed: 3, resume: true });
    expect(again.completed).toBe(true);
    expect(again.history).toEqual(done.history);
    expect(again.checkpointHash).toBe(done.checkpointHash);
    expect(bytes(dir, 'weights.bin').equals(weights)).toBe(true);
    await expect(trainClassifier('baseline-step', data, config, { outDir: dir, seed: 5, resume: true })).rejects.toThrow(/cannot resume .*seed differs: 3 there, 5 now \(its finished model\)/);
  });
});

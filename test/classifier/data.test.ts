import { describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { Rng } from '../../src/core/rng.js';
import { ConfigRangeError } from '../../src/core/errors.js';
import { DEFAULT_CLASSIFIER, learningRateAt, resolveClassifierConfig } from '../../src/classifier/config.js';
import { alignLabels } from '../../src/classifier/evaluate.js';
import { classifierPreprocess, modelPositions } from '../../src/io/model-input.js';
import { epochBatches } from '../../src/train/batches.js';
import { gaitSetsHash } from '../../src/core/hash.js';
import { checkDisjoint, splitValidation } from '../../src/classifier/train.js';

const set = proceduralDataset({ identities: 6, perEmotion: 2, frames: 20, seed: 5 });

describe('classifier config', () => {
  it('fills defaults and names the bad field, value and range', () => {
    const r = resolveClassifierConfig({ epochs: 3, tasks: { identity: false } });
    expect(r.epochs).toBe(3);
    expect(r.batchSize).toBe(DEFAULT_CLASSIFIER.batchSize);
    expect(r.tasks).toEqual({ emotion: true, identity: false, nextFrame: true });
    expect(() => resolveClassifierConfig({ lr: -1 })).toThrow(/lr = -1 is out of range/);
    expect(() => resolveClassifierConfig({ temporalKernel: 4 })).toThrow(/temporalKernel = 4/);
    expect(() => resolveClassifierConfig({ dropout: 1 })).toThrow(RangeError);
    expect(() => resolveClassifierConfig({ tasks: { bogus: true } as never })).toThrow(/tasks.bogus/);
  });
  it('steps the learning rate down after the given numbers of finished epochs, or at 50% and 75% of the run', () => {
    // milestones 2 and 4: epochs 1-2 at lr, 3-4 at lr/2, 5- at lr/4 (1-based epochs, as in the history)
    const c = resolveClassifierConfig({ lr: 1, epochs: 8, lrSteps: [2, 4], lrDecay: 0.5 });
    expect([1, 2, 3, 4, 5, 6].map((e) => learningRateAt(c, e))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    const d = resolveClassifierConfig({ lr: 1, epochs: 8 });
    expect([4, 5, 6, 7].map((e) => learningRateAt(d, e))).toEqual([1, 0.1, 0.1, 0.1 * 0.1]);
    expect(() => resolveClassifierConfig({ lrSteps: [4, 2] })).toThrow(/lrSteps = \[4,2\] is out of range: epochs must increase/);
    expect(() => resolveClassifierConfig({ lrSteps: [0] })).toThrow(ConfigRangeError);
  });
});

describe('classifier input', () => {
  it('preprocesses every gait to walk along +Z from the origin, and takes every k-th frame', () => {
    const { data, T } = modelPositions(set, classifierPreprocess(set.V), 1);
    expect(T).toBe(20);
    const per = T * 16 * 3;
    for (let i = 0; i < set.N; i++) {
      const g = data.subarray(i * per, (i + 1) * per);
      expect(Math.hypot(g[0]!, g[1]!, g[2]!)).toBeLessThan(1e-5); // root at the origin in frame 0
      const end = (T - 1) * 16 * 3;
      expect(Math.abs(g[end]!)).toBeLessThan(1e-4); // walks along +Z
      expect(g[end + 2]!).toBeGreaterThan(0.2);
    }
    const s = modelPositions(set, classifierPreprocess(set.V), 3, [2, 0]);
    expect(s.T).toBe(7);
    expect(s.data.subarray(16 * 3, 2 * 16 * 3)).toEqual(data.subarray((2 * 20 + 3) * 16 * 3, (2 * 20 + 4) * 16 * 3));
  });

  it('draws the same batches for the same stream, and balanced epochs sample labels evenly', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const a = epochBatches(labels, 2, 16, false, new Rng(1, 'b'));
    const b = epochBatches(labels, 2, 16, false, new Rng(1, 'b'));
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect([...a.flatMap((x) => Array.from(x))].sort((p, q) => p - q)).toEqual([...Array(100).keys()]);
    expect(a.every((x) => x.length >= 2)).toBe(true);
    const bal = epochBatches(labels, 2, 16, true, new Rng(2, 'b')).flatMap((x) => Array.from(x));
    expect(bal).toHaveLength(100);
    const minority = bal.filter((i) => labels[i] === 1).length;
    expect(minority).toBeGreaterThan(30); // ~50 expected; 10 without balancing
    // a trailing batch of one gait is merged (batch norm needs two)
    expect(epochBatches(new Int32Array(17), 1, 8, false, new Rng(1)).map((x) => x.length)).toEqual([8, 9]);
  });
});

describe('no leaks between training, validation and test', () => {
  it('holds out whole identities from the real gaits; synthetic gaits stay in training', () => {
    const synth = new GaitSet({
      positions: set.positions.slice(0, 4 * set.stride), labels: [0, 1, 2, 3], labelNames: set.labelNames, T: set.T,
      ids: ['s0', 's1', 's2', 's3'], source: ['synthetic', 'synthetic', 'synthetic', 'synthetic'], identity: [null, null, null, null],
    });
    const all = GaitSet.concat([set, synth]);
    const { train, val, rule } = splitValidation(all, 0.34, 9);
    expect(rule).toMatch(/grouped by identity/);
    expect(train.N + val.N).toBe(all.N);
    expect(val.source.every((s) => s === 'real')).toBe(true);
    expect(train.ids.filter((id) => id.startsWith('s'))).toEqual(['s0', 's1', 's2', 's3']);
    const trainIds = new Set(train.identity.filter((x) => x != null));
    expect(val.identity.some((x) => trainIds.has(x))).toBe(false);
    expect(new Set([...train.ids, ...val.ids]).size).toBe(all.N);
    expect(() => checkDisjoint(train, val, 'validation')).not.toThrow();
    // the split depends on the seed only through its own stream, and is reproducible
    expect(splitValidation(all, 0.34, 9).val.ids).toEqual(val.ids);
  });

  it('drops synthetic gaits of a validation walker or recording from training, and no real gait', () => {
    // identities known; recordings of 2 windows each; one synthetic copy of every real gait keeping its walker,
    // one keeping only its recording, one keeping neither
    const real = new GaitSet({ ...set, recording: set.ids.map((_, i) => `take${Math.floor(i / 2)}`) });
    const copy = (tag: string, keep: { identity: boolean; recording: boolean }) => new GaitSet({
      ...real, ids: real.ids.map((id) => `${tag}-${id}`), source: real.source.map(() => 'synthetic' as const),
      identity: keep.identity ? real.identity : real.identity.map(() => null), recording: keep.recording ? real.recording : real.recording.map(() => null),
    });
    const all = GaitSet.concat([real, copy('w', { identity: true, recording: false }), copy('r', { identity: false, recording: true }), copy('n', { identity: false, recording: false })]);
    const { train, val, syntheticDropped } = splitValidation(all, 0.34, 4);
    const valWalkers = new Set(val.identity);
    const heldOut = (id: string) => valWalkers.has(set.identity[set.ids.indexOf(id.slice(2))]!);
    // every copy of a validation gait that keeps its walker or its recording is gone, every other copy trains
    for (const tag of ['w', 'r', 'n']) {
      const copies = train.ids.filter((id) => id.startsWith(`${tag}-`));
      expect(copies).toEqual(set.ids.map((id) => `${tag}-${id}`).filter((id) => tag === 'n' || !heldOut(id)));
    }
    expect(syntheticDropped).toBe(2 * val.N);
    expect(train.source.filter((x) => x === 'real').length + val.N).toBe(real.N);
  });

  it('without identities the split is stratified by label', () => {
    const anon = new GaitSet({ ...set, positions: set.positions, labels: set.labels, labelNames: set.labelNames, T: set.T, identity: set.identity.map(() => null) });
    const { val, rule } = splitValidation(anon, 0.25, 1);
    expect(rule).toMatch(/stratified by label/);
    expect(Object.values(val.countsByLabel())).toEqual([3, 3, 3, 3]);
  });

  it('without identities, windows of one recording stay on one side', () => {
    // 72 gaits as 18 takes of 4 windows (each take one label)
    const takes = new GaitSet({ ...set, identity: set.identity.map(() => null), recording: set.ids.map((_, i) => `take-${set.labels[i]}-${Math.floor(i / 4)}`) });
    for (const seed of [1, 2, 3]) {
      const { train, val, rule } = splitValidation(takes, 0.25, seed);
      expect(rule).toMatch(/grouped by recording/);
      expect(val.N).toBeGreaterThan(0);
      expect(val.recording.filter((r) => train.recording.includes(r))).toEqual([]);
    }
  });

  it('rejects a validation set that shares gaits with training, and an empty split', () => {
    expect(() => checkDisjoint(set, set.select([3]), 'validation')).toThrow(GaitforgeError);
    expect(() => checkDisjoint(set, set.select([3]), 'validation')).toThrow(/in both the training and the validation set/);
    expect(() => splitValidation(set.select([0, 1]), 0.1, 1)).toThrow(/empty/);
  });

  it('matches label sets by name and rejects unknown labels with E_LABEL', () => {
    const reordered = set.withLabelNames(['sad', 'happy', 'neutral', 'angry']);
    const aligned = alignLabels(reordered, set.labelNames);
    expect(Array.from(aligned.labels)).toEqual(Array.from(set.labels));
    const odd = new GaitSet({ positions: set.positions.slice(0, set.stride), labels: [0], labelNames: ['bored'], T: set.T });
    try {
      alignLabels(odd, set.labelNames);
      expect.unreachable();
    } catch (e) {
      expect((e as GaitforgeError).code).toBe('E_LABEL');
      expect((e as Error).message).toMatch(/"bored"/);
    }
  });

  it('hashes data contents', () => {
    expect(gaitSetsHash([set])).toBe(gaitSetsHash([set.select([...Array(set.N).keys()])]));
    expect(gaitSetsHash([set])).not.toBe(gaitSetsHash([set.select([1, 0, ...Array.from({ length: set.N - 2 }, (_, i) => i + 2)])]));
  });
});

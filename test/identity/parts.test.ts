import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { addEstimatorNoise, proceduralDataset } from '../../src/core/procedural.js';
import { Rng } from '../../src/core/rng.js';
import { boneLengthFeatures } from '../../src/identity/baselines.js';
import { resolveIdentityConfig } from '../../src/identity/config.js';
import { AppendBones, gem, GeMPool, L2NormalizeLast } from '../../src/identity/layers.js';
import { tripletLoss } from '../../src/identity/losses.js';
import { crossConditionSplit, identificationMetrics, rankedGallery, recordingKeys } from '../../src/eval/identification.js';
import { pkBatches } from '../../src/identity/sampler.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('identity config', () => {
  it('fills defaults and names a bad field, value and range', () => {
    const c = resolveIdentityConfig({ heads: 2 });
    expect(c.heads).toBe(2);
    expect(c.P).toBe(8);
    expect(() => resolveIdentityConfig({ margin: -1 })).toThrow(/margin = -1 is out of range: expected a number in \[0, 100\]/);
    expect(() => resolveIdentityConfig({ K: 1 })).toThrow(/K = 1 is out of range/);
    expect(() => resolveIdentityConfig({ triplet: 'hard' as never })).toThrow(/triplet = "hard"/);
    expect(() => resolveIdentityConfig({ temporalKernel: 4 })).toThrow(/odd/);
  });
});

describe('GeM pooling', () => {
  let x: tf.Tensor3D;
  beforeAll(() => {
    x = tf.tensor3d([[[0.5, 2], [1, 0.1], [3, 0.2], [0.2, 0.3]]]); // [1, V=4, C=2]
  });
  it('equals average pooling at p = 1', () => {
    const y = gem(x, 1);
    const avg = tf.mean(x, 1);
    expect(Array.from(y.dataSync())).toEqual(Array.from(avg.dataSync()).map((v) => expect.closeTo(v, 5)));
    tf.dispose([y, avg]);
  });
  it('approaches max pooling as p grows', () => {
    const max = Array.from(tf.max(x, 1).dataSync());
    const gaps = [2, 8, 32, 80].map((p) => {
      const y = Array.from(gem(x, p).dataSync());
      return y.map((v, c) => max[c]! - v);
    });
    for (let c = 0; c < 2; c++) {
      for (let k = 1; k < gaps.length; k++) expect(gaps[k]![c]!).toBeLessThan(gaps[k - 1]![c]!);
      expect(gaps[gaps.length - 1]![c]! / max[c]!).toBeLessThan(0.02);
      expect(gaps[0]![c]!).toBeGreaterThan(0); // p = 2 is still well below max
    }
  });
  it('pools body parts separately and keeps them apart', () => {
    const layer = new GeMPool({ p: 2, groups: [[0, 1], [2, 3]] });
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 4]);
    const first = gem(x.slice([0, 0, 0], [1, 2, 2]), 2);
    const second = gem(x.slice([0, 2, 0], [1, 2, 2]), 2);
    const want = [...first.dataSync(), ...second.dataSync()];
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    tf.dispose([y, first, second]);
  });
  it('learns p: the layer passes a gradient to its exponent', () => {
    const layer = new GeMPool({ p: 3 });
    layer.apply(tf.input({ shape: [4, 2] }));
    const p = layer.trainableWeights[0]!.read() as tf.Variable;
    const g = tf.grad((v: tf.Tensor) => tf.sum(gem(x, v as tf.Scalar)))(p);
    expect(Math.abs(g.dataSync()[0]!)).toBeGreaterThan(1e-4);
    g.dispose();
  });
});

describe('bone features and unit embeddings', () => {
  it('AppendBones appends each joint\'s bone vector and length (zero for the root)', () => {
    const set = proceduralDataset({ identities: 1, perEmotion: 1, frames: 3, emotions: ['neutral'], seed: 2 });
    const x = tf.tensor4d(set.positions, [1, 3, 16, 3]);
    const y = new AppendBones().apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 3, 16, 7]);
    const d = y.dataSync();
    const g = set.gait(0);
    // frame 2, joint 11 (knee) with parent 10 (hip)
    const o = (2 * 16 + 11) * 7;
    const bone = [0, 1, 2].map((c) => g[(2 * 16 + 11) * 3 + c]! - g[(2 * 16 + 10) * 3 + c]!);
    for (let c = 0; c < 3; c++) expect(d[o + 3 + c]).toBeCloseTo(bone[c]!, 5);
    expect(d[o + 6]).toBeCloseTo(Math.hypot(...bone), 5);
    expect(d[(2 * 16) * 7 + 6]).toBeLessThan(1e-5); // root
    const u = new L2NormalizeLast().apply(tf.tensor2d([[3, 4], [0.1, 0]])) as tf.Tensor;
    expect(Array.from(u.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8, 1, 0]);
    tf.dispose([x, y, u]);
  });
});

describe('triplet loss', () => {
  const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
  // two heads; identities 3 m apart, walks of one identity 0.01 m apart
  let separated: tf.Tensor3D;
  let mixed: tf.Tensor3D;
  beforeAll(() => {
    separated = tf.tensor3d(Array.from({ length: 6 }, (_, i) => [[3 * labels[i]! + 0.01 * (i % 2), 0], [0, -3 * labels[i]!]]));
    mixed = tf.tensor3d(Array.from({ length: 6 }, (_, i) => [[i % 2, 0.1 * labels[i]!], [labels[i]!, i % 3]]));
  });
  for (const mode of ['weighted', 'batch-hard'] as const) {
    it(`${mode}: zero for well-separated embeddings, positive otherwise`, () => {
      const a = tripletLoss(separated, labels, 0.5, mode);
      const b = tripletLoss(mixed, labels, 0.5, mode);
      expect(a.dataSync()[0]).toBe(0);
      expect(b.dataSync()[0]).toBeGreaterThan(0.1);
      tf.dispose([a, b]);
    });
    it(`${mode}: a margin wider than the gap makes separated embeddings cost again`, () => {
      const a = tripletLoss(separated, labels, 10, mode);
      expect(a.dataSync()[0]).toBeGreaterThan(1);
      a.dispose();
    });
  }
  it('batch-hard picks the hardest pair: equals the closed form on a line', () => {
    // 1-D, one head: identity 0 at 0 and 1, identity 1 at 1.5 and 4
    const e = tf.tensor3d([[[0]], [[1]], [[1.5]], [[4]]]);
    const l = tripletLoss(e, Int32Array.from([0, 0, 1, 1]), 0.2, 'batch-hard');
    // anchors: 0: [0.2+1-1.5]+=0; 1: [0.2+1-0.5]=0.7; 1.5: [0.2+2.5-0.5]=2.2; 4: [0.2+2.5-3]+=0
    expect(l.dataSync()[0]).toBeCloseTo((0.7 + 2.2) / 4, 4);
    // GaitTAKE's mean: over the two anchors whose loss is not zero
    const nz = tripletLoss(e, Int32Array.from([0, 0, 1, 1]), 0.2, 'batch-hard', 'nonzero');
    expect(nz.dataSync()[0]).toBeCloseTo((0.7 + 2.2) / 2, 4);
    tf.dispose([e, l, nz]);
  });
});

function tinySet(ids: string[], identity: string[], labels: number[], recording?: string[]): GaitSet {
  const set = new GaitSet({ positions: new Float32Array(ids.length * 2 * 16 * 3), labels, labelNames: ['neutral', 'happy'], T: 2, ids, identity });
  if (recording) Object.assign(set, { recording });
  return set;
}

describe('cross-condition protocol', () => {
  it('recording: the column, else the id before #, else the id', () => {
    expect(recordingKeys(tinySet(['r1#0', 'r1#1', 'x'], ['a', 'a', 'b'], [0, 1, 0]))).toEqual(['r1', 'r1', 'x']);
    expect(recordingKeys(tinySet(['r1#0', 'r1#1', 'x'], ['a', 'a', 'b'], [0, 1, 0], ['s1', 's2', 's3']))).toEqual(['s1', 's2', 's3']);
  });

  it('never matches a probe with a gallery window of its own recording', () => {
    // probe r1#1 (a, happy) has the same features as gallery window r1#0 (a, neutral);
    // the other gallery walk of a (r2#0) is far, b's (r3#0) is nearer
    const set = tinySet(['r1#0', 'r1#1', 'r2#0', 'r3#0', 'r4#0'], ['a', 'a', 'a', 'b', 'b'], [0, 1, 0, 0, 1]);
    const f = { data: [0, 0, 5, 1, 1.1], dim: 1, parts: 1 };
    const split = crossConditionSplit(set);
    expect(split.gallery).toEqual([0, 2, 3]);
    expect(split.probes).toEqual({ happy: [1, 4] });
    expect(rankedGallery(f, split, 1).map((r) => set.ids[r.index])).toEqual(['r3#0', 'r2#0']);
    const m = identificationMetrics(f, set, split);
    // probe r1#1: b first (miss), a second; probe r4#0: b first (hit)
    expect(m.rank1).toEqual({ happy: 0.5, mean: 0.5 });
    expect(m.rank5).toEqual({ happy: 1, mean: 1 });
    expect(m.mAP['happy']).toBeCloseTo((0.5 + 1) / 2, 10);
    // the same probe with every window in its own recording is unmatchable, not a hit
    const alone = tinySet(['r1#0', 'r1#1', 'r3#0', 'r4#0'], ['a', 'a', 'b', 'b'], [0, 1, 0, 1]);
    const m2 = identificationMetrics({ data: [0, 0, 1, 1.1], dim: 1, parts: 1 }, alone, crossConditionSplit(alone));
    expect(m2.unmatchable).toEqual({ happy: 1 });
    expect(m2.probes).toEqual({ happy: 1 });
  });

  it('averages the per-part Euclidean distance of multi-head embeddings', () => {
    const set = tinySet(['g0', 'g1', 'p0'], ['a', 'b', 'a'], [0, 0, 1]);
    // part 1 says p0 is b, part 2 says much more strongly it is a
    const f = { data: [0, 0, 1, 9, 1, 0], dim: 2, parts: 2 };
    expect(identificationMetrics(f, set, crossConditionSplit(set)).rank1['happy']).toBe(1);
  });

  it('names a missing gallery condition', () => {
    const set = tinySet(['g0', 'g1'], ['a', 'b'], [0, 1]);
    expect(() => crossConditionSplit(set, 'calm')).toThrow(/gallery condition "calm" is not a label/);
  });
});

describe('P×K sampling', () => {
  it('draws P distinct identities with K walks each, seeded', () => {
    const identity = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 3]);
    const a = pkBatches(identity, 3, 2, 5, new Rng(1, 'pk'));
    const b = pkBatches(identity, 3, 2, 5, new Rng(1, 'pk'));
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    const seen = new Set<number>();
    for (const batch of a) {
      expect(batch.length).toBe(6);
      const ids = Array.from(batch, (i) => identity[i]!);
      for (let j = 0; j < 3; j++) {
        expect(ids[2 * j]).toBe(ids[2 * j + 1]);
        seen.add(ids[2 * j]!);
      }
      expect(new Set(ids).size).toBe(3);
    }
    expect(seen.size).toBe(4); // every identity visited
    expect(() => pkBatches(Int32Array.from([0, 0]), 2, 2, 1, new Rng(1))).toThrow(/at least 2 identities/);
  });
});

describe('estimator noise', () => {
  it('is off by default and leaves the data bit-identical', () => {
    const a = proceduralDataset({ identities: 2, perEmotion: 1, frames: 20, seed: 4 });
    const b = proceduralDataset({ identities: 2, perEmotion: 1, frames: 20, seed: 4, estimatorNoise: 0 });
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(b.positions.buffer))).toBe(true);
  });

  it('has the requested per-coordinate spread and temporal correlation', () => {
    const T = 4000;
    const g = new Float32Array(T * 16 * 3);
    addEstimatorNoise(g, T, 16, 30, 0.02, 0.1, new Rng(3, 'noise'));
    let s2 = 0;
    let lag = 0;
    for (let t = 0; t < T; t++)
      for (let k = 0; k < 48; k++) {
        s2 += g[t * 48 + k]! ** 2;
        if (t > 0) lag += g[t * 48 + k]! * g[(t - 1) * 48 + k]!;
      }
    const sd = Math.sqrt(s2 / (T * 48));
    expect(sd).toBeGreaterThan(0.018);
    expect(sd).toBeLessThan(0.022);
    expect(lag / ((T - 1) * 48) / sd ** 2).toBeCloseTo(Math.exp(-1 / 3), 1);
  });

  it('makes bone lengths jitter from frame to frame', () => {
    const clean = proceduralDataset({ identities: 1, perEmotion: 1, frames: 30, emotions: ['neutral'], noise: 0, seed: 5 });
    const noisy = proceduralDataset({ identities: 1, perEmotion: 1, frames: 30, emotions: ['neutral'], noise: 0, estimatorNoise: 0.02, seed: 5 });
    const spread = (set: GaitSet) => {
      // per-frame thigh length (joints 10-11)
      const g = set.gait(0);
      const L = Array.from({ length: 30 }, (_, t) => Math.hypot(...[0, 1, 2].map((c) => g[t * 48 + 30 + c]! - g[t * 48 + 33 + c]!)));
      const m = L.reduce((a, b) => a + b, 0) / L.length;
      return Math.sqrt(L.reduce((a, b) => a + (b - m) ** 2, 0) / L.length);
    };
    expect(spread(clean)).toBeLessThan(1e-5);
    expect(spread(noisy)).toBeGreaterThan(0.005);
    expect(boneLengthFeatures(noisy).dim).toBe(15);
    expect(() => resolveIdentityConfig({ valFraction: 2 })).toThrow(/valFraction/);
  });
});

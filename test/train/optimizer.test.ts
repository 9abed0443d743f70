import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { EDGES } from '../../src/core/skeleton.js';
import { resolveGenerator } from '../../src/generator/config.js';
import { buildCvae } from '../../src/generator/model.js';
import { Adam, decayedWeights } from '../../src/train/optimizer.js';
import { learningRate, milestonesFromFractions } from '../../src/train/schedule.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the one optimizer and schedule', () => {
  it('decays kernels only: with a zero gradient a decayed variable moves against its sign, the others stay', () => {
    const k = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([3]));
    const adam = new Adam([k, b], { lr: 0.1, weightDecay: 0.5, decayed: [true, false] });
    tf.tidy(() => adam.apply([tf.zeros([2]), tf.zeros([1])]));
    const kv = Array.from(k.dataSync());
    // first Adam step with g = λw moves every decayed value by lr against its sign
    expect(kv[0]).toBeCloseTo(0.9, 5);
    expect(kv[1]).toBeCloseTo(-1.9, 5);
    expect(Array.from(b.dataSync())).toEqual([3]);
    adam.dispose();
    tf.dispose([k, b]);
  });

  it('marks the kernels of the generator, not biases, batch norm or edge importance', () => {
    const cfg = resolveGenerator({ encoderChannels: [8], decoderChannels: [8] });
    const c = buildCvae(cfg, { T: 16, V: 16, labels: 4, edges: EDGES.map(([a, b]) => [a, b] as [number, number]) }, 1);
    const flags = decayedWeights([c.encoder, c.decoder]);
    const names = [...c.encoder.trainableWeights, ...c.decoder.trainableWeights].map((w) => w.originalName);
    names.forEach((n, i) => expect(flags[i], n).toBe(/kernel$/.test(n)));
    expect(flags.some((f) => f) && flags.some((f) => !f)).toBe(true);
    c.encoder.dispose();
    c.decoder.dispose();
  });

  it('steps the rate after the given numbers of finished epochs (MultiStepLR)', () => {
    const s = { lr: 1, milestones: milestonesFromFractions([0.5, 0.75], 8), factor: 0.1 };
    expect(s.milestones).toEqual([4, 6]);
    expect([0, 3, 4, 5, 6, 7].map((e) => learningRate(s, e))).toEqual([1, 1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]);
  });
});

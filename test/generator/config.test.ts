import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GENERATOR, generatorLearningRate, resolveGenerator, summedKlWeight } from '../../src/generator/config.js';
import { buildDecoder } from '../../src/generator/model.js';
import { EDGES } from '../../src/core/skeleton.js';

describe('generator config', () => {
  it('fills defaults and the presets', () => {
    const d = resolveGenerator();
    expect(d).toEqual(DEFAULT_GENERATOR);
    expect(d.temporalKernel).toBe(9);
    const p = resolveGenerator({ preset: 'step-paper' });
    expect(p.temporalKernel).toBe(75);
    expect(p.epochs).toBe(150);
    expect(p.batchSize).toBe(8);
    // step-paper keeps STEP's schedule (lr ×0.1 at 75, 113, 132 of 150 epochs); the default is the measured one
    expect([p.lr, p.lrSteps, generatorLearningRate(p, 74)]).toEqual([1e-3, [0.5, 0.75, 0.88], 1e-3]);
    expect(generatorLearningRate(p, 75)).toBeCloseTo(1e-4, 12);
    expect([d.epochs, d.lr, d.lrSteps]).toEqual([80, 2e-3, [0.7]]);
    expect(generatorLearningRate(d, 55)).toBe(2e-3);
    expect(generatorLearningRate(d, 56)).toBeCloseTo(2e-4, 12);
    expect([p.latentMap, p.lambdaB, d.latentMap, d.lambdaB]).toEqual(['repeat', 0, 'per-position', 1]);
    // explicit fields win over the preset
    expect(resolveGenerator({ preset: 'step-paper', epochs: 3 }).epochs).toBe(3);
  });

  it('the baseline trains with λc = λd = 0 and rejects other weights', () => {
    const b = resolveGenerator({ variant: 'cvae-baseline' });
    expect([b.lambdaC, b.lambdaD]).toEqual([0, 0]);
    expect(() => resolveGenerator({ variant: 'cvae-baseline', lambdaC: 1 })).toThrow(/lambdaC = 1.*cvae-baseline/);
  });

  it('names the field, value and range of a bad setting', () => {
    expect(() => resolveGenerator({ epochs: 0 })).toThrow(/epochs = 0 is out of range/);
    expect(() => resolveGenerator({ temporalKernel: 8 })).toThrow(/temporalKernel = 8.*odd/);
    expect(() => resolveGenerator({ lrSteps: [0.7, 0.5] })).toThrow(/lrSteps/);
    expect(() => resolveGenerator({ variant: 'gan' as never })).toThrow(/variant = "gan"/);
    expect(() => resolveGenerator({ batchSize: 1 })).toThrow(/batchSize = 1/);
  });

  it("decoderCondition 'every-layer' appends the label before every decoder layer, and the label then reaches the output through them", () => {
    expect(resolveGenerator().decoderCondition).toBe('every-layer');
    expect(resolveGenerator({ preset: 'step-paper' }).decoderCondition).toBe('input');
    expect(() => resolveGenerator({ decoderCondition: 'all' as never })).toThrow(/decoderCondition = "all" is not one of input, every-layer/);
    const shape = { T: 8, V: 16, labels: 4, edges: EDGES.map(([a, b]) => [a, b] as [number, number]) };
    const cfg = (decoderCondition: 'input' | 'every-layer') => resolveGenerator({ latentDim: 4, decoderChannels: [6, 6], decoderCondition });
    const every = buildDecoder(cfg('every-layer'), shape, 1);
    const input = buildDecoder(cfg('input'), shape, 1);
    const names = (m: tf.LayersModel) => m.layers.map((l) => l.name).filter((n) => n.endsWith('_condition'));
    expect(names(every)).toEqual(['dec_stgcn1_condition', 'dec_stgcn2_condition', 'dec_stgcn3_condition']);
    expect(names(input)).toEqual([]);
    // the first decoder layer's input widens by the 4 label channels
    const inWidth = (m: tf.LayersModel) => (m.getLayer('dec_stgcn1').input as tf.SymbolicTensor).shape[3];
    expect(inWidth(every)).toBe(inWidth(input)! + 4);
    // with the latent map zeroed, z and the label reach the layers only through the appended condition
    const labelEffect = (m: tf.LayersModel) =>
      tf.tidy(() => {
        const grid = m.getLayer('dec_grid');
        grid.setWeights(grid.getWeights().map((w) => tf.zerosLike(w)));
        const [a, b] = tf.unstack(m.predict([tf.zeros([2, 4]), tf.tensor2d([[1, 0, 0, 0], [0, 0, 0, 1]])]) as tf.Tensor);
        return tf.max(tf.abs(tf.sub(a!, b!))).dataSync()[0]!;
      });
    expect(labelEffect(input)).toBe(0);
    expect(labelEffect(every)).toBeGreaterThan(1e-4);
    every.dispose();
    input.dispose();
  });

  it('steps the learning rate down by 10× at the given fractions of the epochs', () => {
    const c = resolveGenerator({ preset: 'step-paper', lr: 0.1 });
    expect(generatorLearningRate(c, 0)).toBeCloseTo(0.1, 12);
    expect(generatorLearningRate(c, 74)).toBeCloseTo(0.1, 12);
    expect(generatorLearningRate(c, 75)).toBeCloseTo(0.01, 12);
    expect(generatorLearningRate(c, 113)).toBeCloseTo(0.001, 12);
    expect(generatorLearningRate(c, 132)).toBeCloseTo(0.0001, 12);
  });
  it('states the KL weight on the summed scale: β · T·V·3 / latentDim', () => {
    const c = resolveGenerator({});
    // the defaults (β 0.01, 32 latent dimensions): 0.01 · 3600 / 32 at T = 75, 0.01 · 768 / 32 at T = 16
    expect(summedKlWeight(c, 75, 16)).toBeCloseTo(1.125, 12);
    expect(summedKlWeight(c, 16, 16)).toBeCloseTo(0.24, 12);
    expect(summedKlWeight(resolveGenerator({ beta: 0.1, latentDim: 16 }), 32, 16)).toBeCloseTo(9.6, 12);
  });
});

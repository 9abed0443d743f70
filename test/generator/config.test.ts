import { describe, expect, it } from 'vitest';
import { DEFAULT_GENERATOR, generatorLearningRate, resolveGenerator } from '../../src/generator/config.js';

describe('generator config', () => {
  it('fills defaults and the presets', () => {
    const d = resolveGenerator();
    expect(d).toEqual(DEFAULT_GENERATOR);
    expect(d.temporalKernel).toBe(9);
    const p = resolveGenerator({ preset: 'step-paper' });
    expect(p.temporalKernel).toBe(75);
    expect(p.epochs).toBe(150);
    expect(p.batchSize).toBe(8);
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

  it('steps the learning rate down by 10× at the given fractions of the epochs', () => {
    const c = resolveGenerator({ epochs: 150, lr: 0.1 });
    expect(generatorLearningRate(c, 0)).toBeCloseTo(0.1, 12);
    expect(generatorLearningRate(c, 74)).toBeCloseTo(0.1, 12);
    expect(generatorLearningRate(c, 75)).toBeCloseTo(0.01, 12);
    expect(generatorLearningRate(c, 113)).toBeCloseTo(0.001, 12);
    expect(generatorLearningRate(c, 132)).toBeCloseTo(0.0001, 12);
  });
});

/** The ablation config's generator and classifier sections are resolved before anything trains. */
import { describe, expect, it } from 'vitest';
import { ConfigRangeError, GaitforgeError, isUsageError } from '../../src/core/errors.js';
import { resolveAblation } from '../../src/pipeline/ablation/config.js';

const expectConfigError = (c: object, message: RegExp) => {
  let err: unknown;
  try {
    resolveAblation(c);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GaitforgeError);
  expect((err as GaitforgeError).code).toBe('E_CONFIG');
  expect((err as Error).message).toMatch(message);
};

describe('ablation config sections', () => {
  it('rejects unknown fields and out-of-range values of the generator and classifier sections', () => {
    expectConfigError({ generator: { epoch: 3 } }, /generator\.epoch is not a known field \(known: .*epochs/);
    expectConfigError({ generator: { epochs: 0 } }, /generator\.epochs = 0 is out of range/);
    expectConfigError({ generator: { variant: 'stepgen' } }, /generator\.variant is set by each learned augmenter/);
    expectConfigError({ generator: { lambdaC: 2 }, augmenters: ['cvae-baseline'] }, /generator\.lambdaC = 2 is out of range: the cvae-baseline variant/);
    expectConfigError({ classifier: { learningRate: 0.1 } }, /classifier\.learningRate is not a known field/);
    expectConfigError({ classifier: { dropout: 1 } }, /classifier\.dropout = 1 is out of range/);
    expectConfigError({ classifier: { lrSteps: [5, 3] } }, /classifier\.lrSteps = \[5,3\] is out of range: epochs must increase/);
    const r = resolveAblation({ generator: { epochs: 3 }, classifier: { epochs: 2, tasks: { nextFrame: false } } });
    expect(r.generator).toEqual({ epochs: 3 });
    expect(r.classifier).toEqual({ epochs: 2, tasks: { nextFrame: false } });
  });

  it('only configuration range errors and E_OPTION are usage errors', () => {
    expect(isUsageError(new ConfigRangeError('x = 1 is out of range'))).toBe(true);
    expect(isUsageError(new GaitforgeError('E_OPTION', 'bad option'))).toBe(true);
    expect(isUsageError(new GaitforgeError('E_IO', 'cannot read'))).toBe(false);
    expect(isUsageError(new RangeError('Maximum call stack size exceeded'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import {
  accuracyOf, argmaxRows, confusionMatrix, macroF1, perClassPrecision, perClassRecall, rowNormalize, topKAccuracy,
} from '../../src/classifier/metrics.js';

describe('classification metrics on hand-made confusion matrices', () => {
  // truth:     0 0 0 0 1 1 1 2 2 2
  // predicted: 0 0 0 1 1 1 2 2 2 0
  const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
  const pred = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0];
  const m = confusionMatrix(truth, pred, 3);

  it('counts rows = truth, columns = prediction', () => {
    expect(m).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [1, 0, 2],
    ]);
    expect(rowNormalize(m)[0]).toEqual([0.75, 0.25, 0]);
    expect(rowNormalize([[0, 0], [1, 3]])).toEqual([[0, 0], [0.25, 0.75]]);
  });

  it('accuracy, recall, precision and macro-F1 match the hand computation', () => {
    expect(accuracyOf(m)).toBeCloseTo(7 / 10, 12);
    expect(perClassRecall(m)).toEqual([3 / 4, 2 / 3, 2 / 3]);
    expect(perClassPrecision(m)).toEqual([3 / 4, 2 / 3, 2 / 3]);
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(macroF1(m)).toBeCloseTo((f1(3 / 4, 3 / 4) + f1(2 / 3, 2 / 3) + f1(2 / 3, 2 / 3)) / 3, 12);
    // a class never predicted has F1 0; a class absent from the truth is left out
    const m2 = [
      [2, 0, 0],
      [2, 0, 0],
      [0, 0, 0],
    ];
    expect(macroF1(m2)).toBeCloseTo((f1(0.5, 1) + 0) / 2, 12);
    expect(perClassRecall(m2)[2]).toBeNaN();
    expect(accuracyOf([[0]])).toBeNaN();
  });

  it('rejects labels outside the label set', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(GaitforgeError);
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(/1 true labels but 2 predictions/);
  });

  it('top-k accuracy counts the true label among the k most probable', () => {
    const probs = [
      0.6, 0.3, 0.1, // truth 1: second → top-2 hit, top-1 miss
      0.1, 0.2, 0.7, // truth 0: third → miss
      0.5, 0.5, 0.0, // truth 1: tie with label 0, broken towards the lower index → second
    ];
    const t = [1, 0, 1];
    expect(topKAccuracy(probs, t, 3, 1)).toBe(0);
    expect(topKAccuracy(probs, t, 3, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(probs, t, 3, 3)).toBe(1);
    expect(Array.from(argmaxRows(probs, 3))).toEqual([0, 2, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { compareLearnedWithClassical, summarizeCells, type CellResult } from '../../src/pipeline/index.js';
import { holmAdjust } from '../../src/eval/index.js';

/** A classifier cell with only the fields the statistics read. */
function cell(seed: number, augmenter: string, count: number, accuracy: number, classifier = 'step'): CellResult {
  return {
    task: 'emotion', seed, augmenter, count, classifier, accuracy, balancedAccuracy: accuracy, macroF1: accuracy, top2: accuracy, key: `${seed}-${augmenter}-${count}-${classifier}`, generatorKey: null,
    trainReal: 84, trainSynthetic: count * 4, testGaits: 24, perClassRecall: {}, confusion: [], bestEpoch: 1, wallSeconds: 1,
  } as CellResult;
}

// Five seeds; STEP-Gen = mirroring + d with d = [0.04, 0.07, 0.01, 0.05, 0.03], n_train 84, n_test 24
// (the SciPy case of test/eval/stats.test.ts): mean 0.04, 95% CI [-0.0032677719352745757,
// 0.08326777193527457], p 0.062191797345690525. STEP-Gen − noise (d = [0.02, 0.09, -0.04, 0.12, 0]),
// the same test in SciPy: mean 0.038, p 0.45342122934419504, CI [-0.08918075625824423,
// 0.16518075625824424]. Holm over the two: 2 · 0.0622 = 0.12438359469138105, and 0.4534.
// STEP-Gen − rotation on the four seeds rotation has (d = [0.04, 0.01, 0.06, 0.07]): mean 0.045,
// CI [-0.01662780770281578, 0.1066278077028158], no p (fewer than 5 seeds).
const mirror = [0.5, 0.6, 0.55, 0.62, 0.58];
const stepgen = mirror.map((m, i) => m + [0.04, 0.07, 0.01, 0.05, 0.03][i]!);
const noise = [0.52, 0.58, 0.6, 0.55, 0.61];
const rotate = [0.5, 0.66, 0.5, 0.6];
const cells: CellResult[] = [
  ...[1, 2, 3, 4, 5].map((s) => cell(s, 'none', 0, 0.5)),
  ...stepgen.map((a, i) => cell(i + 1, 'stepgen', 40, a)),
  ...mirror.map((a, i) => cell(i + 1, 'mirror', 40, a)),
  ...noise.map((a, i) => cell(i + 1, 'noise', 40, a)),
  ...rotate.map((a, i) => cell(i + 1, 'rotate', 40, a)),
  // another count and another classifier: never paired with the cells above
  ...[1, 2, 3, 4, 5].map((s) => cell(s, 'mirror', 80, 0.9)),
  ...[1, 2, 3, 4, 5].map((s) => cell(s, 'stepgen', 40, 0.1, 'at-gcn')),
];

describe('learned against classical augmentation (report)', () => {
  const comparisons = compareLearnedWithClassical(cells);
  const find = (classical: string) => comparisons.find((c) => c.classical === classical)!;

  it('pairs each learned augmenter with each classical one at the same classifier and count, by seed, as SciPy does', () => {
    expect(comparisons.map((c) => `${c.classifier} ${c.count} ${c.learned}-${c.classical} n=${c.n}`)).toEqual([
      'step 40 stepgen-mirror n=5', 'step 40 stepgen-noise n=5', 'step 40 stepgen-rotate n=4',
    ]);
    const m = find('mirror');
    expect(m.meanDiff).toBeCloseTo(0.04, 12);
    expect(m.lo).toBeCloseTo(-0.0032677719352745757, 9);
    expect(m.hi).toBeCloseTo(0.08326777193527457, 9);
    expect(m.p).toBeCloseTo(0.062191797345690525, 9);
    expect([m.nTrain, m.nTest]).toEqual([84, 24]);
    const n = find('noise');
    expect(n.meanDiff).toBeCloseTo(0.038, 12);
    expect(n.lo).toBeCloseTo(-0.08918075625824423, 9);
    expect(n.hi).toBeCloseTo(0.16518075625824424, 9);
  });

  it('adjusts the p-values over the comparisons as one family (Holm), and gives none below 5 seeds', () => {
    expect(find('mirror').pHolm).toBeCloseTo(0.12438359469138105, 9);
    expect(find('noise').pHolm).toBeCloseTo(0.45342122934419504, 9);
    const r = find('rotate');
    expect(r.meanDiff).toBeCloseTo(0.045, 12);
    expect(r.lo).toBeCloseTo(-0.01662780770281578, 9);
    expect(r.hi).toBeCloseTo(0.1066278077028158, 9);
    expect(r.p).toBeNull();
    expect(r.pHolm).toBeNull();
  });

  it("keeps the gains' Holm family apart from the comparisons'", () => {
    const gains = summarizeCells(cells).filter((s) => s.gain?.p != null);
    // five-seed gains over real only: stepgen/40, mirror/40, noise/40, mirror/80 and at-gcn's stepgen (which has no real-only cell: no gain)
    expect(gains.map((g) => `${g.classifier} ${g.augmenter} ${g.count}`).sort()).toEqual(['step mirror 40', 'step mirror 80', 'step noise 40', 'step stepgen 40']);
    // adjusted over these four only: the comparisons (2 · 0.0622 for mirroring above) do not enter
    expect(gains.map((g) => g.gain!.pHolm)).toEqual(holmAdjust(gains.map((g) => g.gain!.p!)));
  });

  it('finds nothing to compare without both kinds of augmenter', () => {
    expect(compareLearnedWithClassical(cells.filter((c) => c.augmenter !== 'stepgen'))).toEqual([]);
    expect(compareLearnedWithClassical(cells.filter((c) => !['mirror', 'noise', 'rotate'].includes(c.augmenter)))).toEqual([]);
  });
});

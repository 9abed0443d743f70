/**
 * Classifier cells of the emotion task: a classifier trained on a seed's
 * real training split plus `count` synthetic gaits per label (a learned
 * generator's samples, or a classical augmenter's), selected on the seed's
 * validation split, scored on its test split.
 */
import path from 'node:path';
import { evaluateClassifier, loadClassifier, trainClassifier, type ClassifierConfig, type ClassifierKind } from '../../../classifier/index.js';
import { GaitSet } from '../../../core/gaitset.js';
import { VERSION } from '../../../core/version.js';
import { loadGenerator } from '../../../generator/index.js';
import { classicalAugment, type ClassicalAugmenter } from '../../augment.js';
import { cacheKey } from '../../cache.js';
import { isLearnedAugmenter } from '../config.js';
import type { RunContext } from '../context.js';
import type { GridCell } from '../grid.js';
import type { EmotionCellResult } from '../results.js';
import { generatorKey, generatorModelDir, unitKeyParts, type GeneratorRef } from './generator.js';
import { unitName } from '../splits.js';

/** `n` gaits of every label. */
export function countsPerLabel(labels: string[], n: number): Record<string, number> {
  return Object.fromEntries(labels.map((l) => [l, n]));
}

/** The generator of a learned augmenter's cell. */
export function generatorOf(c: GridCell): GeneratorRef {
  return { seed: c.seed, ...unitKeyParts(c), variant: c.augmenter };
}

export function classifierKey(ctx: RunContext, c: GridCell): string {
  const { r } = ctx;
  return cacheKey({
    kind: 'classifier', version: VERSION, dataHash: ctx.dataHash, seed: c.seed, augmenter: c.augmenter, count: c.count, classifier: c.classifier,
    splits: r.splits, config: r.classifier, augment: r.augment, ...unitKeyParts(c), ...(r.syntheticUnit ? { unit: r.syntheticUnit } : {}), ...ctx.threadsKey,
    generator: isLearnedAugmenter(c.augmenter) ? generatorKey(ctx, generatorOf(c)) : null,
  });
}

/**
 * Synthetic gaits per label of a cell: its amount of every label, or with
 * syntheticUnit 'ratio' round(amount × real training gaits of the label).
 */
export function syntheticCounts(train: GaitSet, amount: number, unit: 'ratio' | undefined): Record<string, number> {
  if (!unit) return countsPerLabel(train.labelNames, amount);
  const real = train.countsByLabel();
  return Object.fromEntries(Object.entries(real).filter(([, n]) => n > 0).map(([l, n]) => [l, Math.round(amount * n)]));
}

export function emotionCell(ctx: RunContext, c: GridCell): Promise<EmotionCellResult> {
  const learned = isLearnedAugmenter(c.augmenter);
  const key = classifierKey(ctx, c);
  return ctx.build('clf', key, async (tmp) => {
    const t0 = performance.now();
    const [, val, test] = ctx.split(c);
    const train = ctx.realTrain(c, c.realFraction);
    const generatorKeyOf = learned ? generatorKey(ctx, generatorOf(c)) : null;
    let synthetic: GaitSet | null = null;
    // the cell's sampling seed comes from its key: another config draws other gaits
    const cellSeed = Number.parseInt(key.slice(0, 8), 16);
    const counts = Object.fromEntries(Object.entries(syntheticCounts(train, c.count, ctx.r.syntheticUnit)).filter(([, n]) => n > 0));
    if (c.count > 0 && Object.keys(counts).length > 0) {
      if (learned) {
        const gen = await loadGenerator(generatorModelDir(ctx.runDir, { key: generatorKeyOf! }));
        try {
          synthetic = gen.sample(counts, { seed: cellSeed }).withLabelNames(train.labelNames);
        } finally {
          gen.dispose();
        }
      } else synthetic = classicalAugment(train, c.augmenter as ClassicalAugmenter, counts, cellSeed, ctx.r.augment);
    }
    const trainSet = synthetic ? GaitSet.concat([train, synthetic]) : train;
    ctx.progress.log(`ablate: ${c.classifier} on ${train.N} real + ${synthetic?.N ?? 0} ${c.augmenter} gaits (${unitName(c)}${c.realFraction !== undefined ? `, ${c.realFraction} of the real data` : ''})`);
    const out = await trainClassifier(c.classifier as ClassifierKind, trainSet, ctx.r.classifier as ClassifierConfig, {
      outDir: path.join(tmp, 'model'), seed: c.seed, val, progress: ctx.progress, threads: ctx.threads,
    });
    const clf = await loadClassifier(path.join(tmp, 'model'));
    try {
      const ev = evaluateClassifier(clf, test);
      return {
        ...c, task: 'emotion', key, generatorKey: generatorKeyOf, trainReal: train.N, trainSynthetic: synthetic?.N ?? 0, testGaits: test.N,
        accuracy: ev.accuracy, balancedAccuracy: ev.balancedAccuracy, macroF1: ev.macroF1, top2: ev.top2Accuracy, perClassRecall: ev.perClassRecall,
        confusion: ev.confusion, bestEpoch: out.bestEpoch, valAccuracy: out.bestValAccuracy, valGaits: val.N, wallSeconds: (performance.now() - t0) / 1000,
      };
    } finally {
      clf.dispose();
    }
  });
}

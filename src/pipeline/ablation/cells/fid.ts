/**
 * FID cells: a learned generator scored against its seed's real test split
 * (`evaluateGenerator` over FID_CELL_REPEATS draws): FID in the affective
 * space and in the space of the seed's cross-fitted evaluators, label-matched,
 * beside the floor, with the anchored recognition ratio and the training-set
 * copy's. The identity task has none: its generated walks are of conditions
 * its targets never walked in.
 */
import { VERSION } from '../../../core/version.js';
import { loadGenerator } from '../../../generator/index.js';
import { cacheKey } from '../../cache.js';
import { evaluateGenerator, proportionalCounts, type FidSummary } from '../../evaluate-generator.js';
import { usesEvaluator } from '../config.js';
import type { RunContext } from '../context.js';
import { FID_CELL_METHOD, FID_CELL_REPEATS, type FidCellResult, type FidEntry, type GeneratorCellResult } from '../results.js';
import { evaluatorKey, openEvaluators } from './evaluators.js';
import { generatorModelDir, unitKeyParts } from './generator.js';

export function fidKey(ctx: RunContext, g: GeneratorCellResult): string {
  const useEvaluator = usesEvaluator(ctx.r);
  return cacheKey({
    kind: 'fid', method: FID_CELL_METHOD, version: VERSION, generator: g.key, perLabel: ctx.r.fidPerLabel, repeats: FID_CELL_REPEATS,
    evaluators: useEvaluator ? evaluatorKey(ctx, g) : null,
  });
}

const entry = (f: FidSummary): FidEntry => ({ fid: f.fid.mean, floor: f.floor.mean, n: f.n, dim: f.dim, featureDim: f.featureDim, ridge: f.ridge, counts: f.counts });

export function fidCell(ctx: RunContext, g: GeneratorCellResult): Promise<FidCellResult> {
  return ctx.build('fid', fidKey(ctx, g), async () => {
    // the gaits the generator trained on (memorisation, the training-set copy) and the unit's test split
    const train = ctx.realTrain(g, g.realFraction);
    const [, , test] = ctx.split(g);
    const ev = usesEvaluator(ctx.r) ? await openEvaluators(ctx, g) : null;
    const gen = await loadGenerator(generatorModelDir(ctx.runDir, g));
    try {
      const counts = proportionalCounts(test, ctx.r.fidPerLabel * test.labelNames.length);
      const e = await evaluateGenerator(gen, test, { seed: g.seed, repeats: FID_CELL_REPEATS, counts, evaluator: ev?.evaluators?.folds ?? null, train, threads: ctx.threads });
      return {
        seed: g.seed, ...unitKeyParts(g), augmenter: g.augmenter, key: fidKey(ctx, g), method: FID_CELL_METHOD, realGaits: test.N, fakeGaits: e.generatedPerDraw, repeats: e.repeats,
        affective: entry(e.affective.fid),
        evaluator: e.evaluatorSpace && e.evaluator ? { ...entry(e.evaluatorSpace.fid), scheme: e.evaluator.scheme, checkpointHashes: e.evaluator.folds.map((f) => f.checkpointHash) } : null,
        ...(ev?.cell.skipped ? { evaluatorSkipped: ev.cell.skipped } : {}),
        recognition: e.recognition
          ? { generated: e.recognition.generated.mean, real: e.recognition.real, ratio: e.recognition.ratio.mean, trainingCopyRatio: e.recognition.trainingCopyRatio?.mean ?? null }
          : null,
      };
    } finally {
      ev?.evaluators?.dispose();
      gen.dispose();
    }
  });
}

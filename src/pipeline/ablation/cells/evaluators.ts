/**
 * Evaluator cells: per seed, two Baseline-STEPs cross-fitted on the seed's
 * real test split (pipeline/evaluator.ts crossFitEvaluators). Every learned
 * generator of the seed is scored by the same two, so their FIDs and
 * recognition ratios are paired, and none of them has trained on the gaits a
 * generator learned from.
 */
import { GaitforgeError } from '../../../core/errors.js';
import { VERSION } from '../../../core/version.js';
import { cacheKey } from '../../cache.js';
import { crossFitEvaluators, DEFAULT_EVALUATOR_EPOCHS, DEFAULT_EVALUATOR_SEED, type CrossFitEvaluators } from '../../evaluator.js';
import type { RunContext } from '../context.js';
import { unitName, type SplitUnit } from '../splits.js';

/** What an evaluator cell records: its two evaluators, or why the test split could not carry them. */
export interface EvaluatorCellResult extends SplitUnit {
  key: string;
  checkpointHashes: string[];
  description: string;
  /** Set when the test split's halves are too small to train and score on (each needs 4 gaits of every label). */
  skipped?: string;
}

export function evaluatorKey(ctx: RunContext, u: SplitUnit): string {
  const { r } = ctx;
  return cacheKey({
    kind: 'evaluators', method: 'cross-fit', version: VERSION, dataHash: ctx.dataHash, seed: u.seed, splits: r.splits,
    epochs: DEFAULT_EVALUATOR_EPOCHS, evaluatorSeed: DEFAULT_EVALUATOR_SEED, ...(u.fold !== undefined ? { fold: u.fold } : {}), ...ctx.threadsKey,
  });
}

const options = (ctx: RunContext, u: SplitUnit, cacheDir: string) => ({ name: `the ${unitName(u)} test split`, cacheDir, threads: ctx.threads, progress: ctx.progress });

export function evaluatorCell(ctx: RunContext, u: SplitUnit): Promise<EvaluatorCellResult> {
  const key = evaluatorKey(ctx, u);
  const unit = { seed: u.seed, ...(u.fold !== undefined ? { fold: u.fold } : {}) };
  return ctx.build('xev', key, async (tmp) => {
    try {
      const ev = await crossFitEvaluators(ctx.split(u)[2], options(ctx, u, tmp));
      ev.dispose();
      return { ...unit, key, checkpointHashes: ev.records.map((x) => x.checkpointHash), description: ev.description };
    } catch (e) {
      if (!(e instanceof GaitforgeError && e.code === 'E_SHAPE')) throw e;
      ctx.progress.log(`ablate: no evaluator space for ${unitName(u)}: ${e.message}`);
      return { ...unit, key, checkpointHashes: [], description: '', skipped: e.message };
    }
  });
}

/** The unit's evaluators, built first when needed; null (with the reason in the cell) when the test split cannot carry them. The caller disposes them. */
export async function openEvaluators(ctx: RunContext, u: SplitUnit): Promise<{ evaluators: CrossFitEvaluators | null; cell: EvaluatorCellResult }> {
  const cell = await evaluatorCell(ctx, u);
  if (cell.skipped) return { evaluators: null, cell };
  // the cell's folder holds both as cached per-dataset evaluators: this loads them
  return { evaluators: await crossFitEvaluators(ctx.split(u)[2], options(ctx, u, ctx.cellDir('xev', cell.key))), cell };
}

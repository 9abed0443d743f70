/**
 * What an ablation's cells produce (each cell's result.json) and what a run
 * returns. The emotion and the identity task score their cells by their own
 * metrics: accuracy, macro-F1 and top-2 of a classifier; rank-1, mAP and
 * rank-5 of the identity model.
 */
import { balancedAccuracy } from '../../classifier/metrics.js';
import type { ByCondition } from '../../eval/identification.js';
import type { GridCell } from './grid.js';
import type { SplitUnit } from './splits.js';

/** What every model cell records. */
interface CellBase extends GridCell {
  key: string;
  /** The key of the generator cell its synthetic gaits came from (learned augmenters), else null. */
  generatorKey: string | null;
  trainReal: number;
  trainSynthetic: number;
  /** Test gaits (task 'identity': the probes scored). */
  testGaits: number;
  bestEpoch: number;
  wallSeconds: number;
}

/** A classifier cell of the emotion task: one row of results.parquet. */
export interface EmotionCellResult extends CellBase {
  task: 'emotion';
  accuracy: number;
  /** The mean recall over the labels (cells of older versions: from their confusion matrix). */
  balancedAccuracy: number;
  macroF1: number;
  top2: number;
  perClassRecall: Record<string, number>;
  /** Row = true label, column = predicted label. */
  confusion: number[][];
  /** Validation accuracy of the selected epoch (what the report picks cells by; absent in cells from older versions). */
  valAccuracy?: number;
  /** Validation gaits (real). */
  valGaits?: number;
}

/** The identity-task scores of a cell: cross-condition rank-1, rank-5 and mAP of the targets by probe condition (plus `mean`). */
export interface IdentityCellScores {
  rank1: ByCondition;
  rank5: ByCondition;
  mAP: ByCondition;
  /** Probes scored per condition. */
  probes: Record<string, number>;
  galleryGaits: number;
  targets: number;
}

/** An identity-model cell of the identity task: the means over probe conditions, and every condition in `identity`. */
export interface IdentityCellResult extends CellBase {
  task: 'identity';
  rank1: number;
  mAP: number;
  rank5: number;
  identity: IdentityCellScores;
}

export type CellResult = EmotionCellResult | IdentityCellResult;

/** A cell's first metric (accuracy, or rank-1): what gains and comparisons pair by seed. */
export function primaryScore(c: CellResult): number {
  return c.task === 'identity' ? c.rank1 : c.accuracy;
}

/** A cell's second metric (macro-F1, or mAP). */
export function secondaryScore(c: CellResult): number {
  return c.task === 'identity' ? c.mAP : c.macroF1;
}

/**
 * A cell result as read from a run folder: cells written before the tasks
 * had their own fields carry no `task`, and identity cells their rank-1, mAP
 * and rank-5 in `accuracy`, `macroF1` and `top2`.
 */
export function readCellResult(raw: Record<string, unknown>): CellResult {
  if (raw['task'] === 'identity') return raw as unknown as CellResult;
  if (raw['identity']) {
    const { accuracy, macroF1, top2, perClassRecall: _p, confusion: _c, ...rest } = raw;
    return { ...rest, task: 'identity', rank1: accuracy, mAP: macroF1, rank5: top2 } as unknown as IdentityCellResult;
  }
  const c = { ...raw, task: 'emotion' } as unknown as EmotionCellResult;
  if (c.balancedAccuracy === undefined) c.balancedAccuracy = balancedAccuracy(c.confusion);
  return c;
}

/** One learned generator per (split unit, real fraction, variant). */
export interface GeneratorCellResult extends SplitUnit {
  realFraction?: number;
  augmenter: string;
  key: string;
  checkpointHash: string;
  bestEpoch: number;
  wallSeconds: number;
}

/** A FID beside its floor in one feature space, as a FID cell records it (means over the cell's draws). */
export interface FidEntry {
  fid: number;
  floor: number;
  /** Gaits in each of the three sets (reference, floor, generated). */
  n: number;
  /** Dimension both FIDs were computed in, and the features' own. */
  dim: number;
  featureDim: number;
  /** The largest ridge any draw added (0: none). */
  ridge: number;
  /** Gaits per label in each of the three sets (equal: label-matched). */
  counts: Record<string, number>;
}

/**
 * One learned generator scored against the seed's real test split
 * (`evaluateGenerator` over FID_CELL_REPEATS draws, the seed's evaluators
 * cross-fitted on the test split): FID in each space beside its floor, the
 * anchored recognition ratio and the training-set copy's.
 */
export interface FidCellResult extends SplitUnit {
  realFraction?: number;
  augmenter: string;
  key: string;
  /** How the cell was measured (FID_CELL_METHOD). */
  method: string;
  realGaits: number;
  /** Generated gaits per draw, per label in the test split's proportions. */
  fakeGaits: number;
  repeats: number;
  affective: FidEntry;
  evaluator: (FidEntry & { scheme: string; checkpointHashes: string[] }) | null;
  /** Why there is no evaluator space when the config asked for one (e.g. a test half without a label). */
  evaluatorSkipped?: string;
  recognition: { generated: number; real: number; ratio: number; trainingCopyRatio: number | null } | null;
}

/** What a FID cell measures, part of its key: the label-matched, anchored scoring of evaluateGenerator. */
export const FID_CELL_METHOD = 'evaluate-generator/label-matched/cross-fit-evaluators';
/** Draws of a FID cell. */
export const FID_CELL_REPEATS = 3;

export interface AblationOutcome {
  cells: CellResult[];
  generators: GeneratorCellResult[];
  fids: FidCellResult[];
  /** Cells built in this call (the rest came from the cache). */
  built: number;
  /** False when maxNewCells stopped the run early or a shard covered only part of the grid. */
  complete: boolean;
}

/**
 * Cross-condition identification of a trained identity model on a set of
 * identities it never saw, with the nearest-neighbour baselines (bone
 * lengths, affective features) computed on the same split beside it.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { BASELINES, baselineFeatures, type BaselineName } from './baselines.js';
import { gaitHash, type IdentityEmbedder } from './model.js';
import { CROSS_CONDITION_RULE, crossConditionSplit, identificationMetrics, type ByCondition, type CrossConditionSplit } from '../eval/identification.js';

export interface IdentityScores {
  rank1: ByCondition;
  rank5: ByCondition;
  mAP: ByCondition;
}

export interface BaselineEvaluation {
  galleryCondition: string;
  probeConditions: string[];
  gaits: number;
  identities: number;
  galleryGaits: number;
  /** Probes scored per condition. */
  probes: Record<string, number>;
  /** Probes with no gallery gait of their identity outside their own recording (left out). */
  unmatchable: Record<string, number>;
  rule: string;
  baselines: Record<BaselineName, IdentityScores>;
}

export interface CrossConditionEvaluation extends BaselineEvaluation, IdentityScores {
  model: { kind: string; checkpointHash: string };
  /** Evaluated identities whose name is also a training identity's (names can be reused across datasets; gaits are checked separately). */
  identityNamesAlsoInTraining: number;
  /** How the evaluated gaits were checked against the training gaits. */
  leakCheck: string;
}

export interface EvaluateIdentityOptions {
  /** Condition (label) of the gallery. Default 'neutral'. */
  galleryCondition?: string;
}

function scores(m: IdentityScores): IdentityScores {
  return { rank1: m.rank1, rank5: m.rank5, mAP: m.mAP };
}

function describe(set: GaitSet, split: CrossConditionSplit): Omit<BaselineEvaluation, 'baselines' | 'probes' | 'unmatchable'> {
  return {
    galleryCondition: split.galleryCondition, probeConditions: Object.keys(split.probes), gaits: set.N,
    identities: new Set(set.identity.filter((x) => x != null)).size, galleryGaits: split.gallery.length, rule: CROSS_CONDITION_RULE,
  };
}

/** The nearest-neighbour baselines alone, under the cross-condition protocol. */
export function evaluateIdentityBaselines(set: GaitSet, options: EvaluateIdentityOptions = {}): BaselineEvaluation {
  const split = crossConditionSplit(set, options.galleryCondition);
  const baselines = {} as Record<BaselineName, IdentityScores>;
  let counts: Pick<BaselineEvaluation, 'probes' | 'unmatchable'> = { probes: {}, unmatchable: {} };
  for (const b of BASELINES) {
    const m = identificationMetrics(baselineFeatures(b, set), set, split);
    baselines[b] = scores(m);
    counts = { probes: m.probes, unmatchable: m.unmatchable };
  }
  return { ...describe(set, split), ...counts, baselines };
}

/**
 * Evaluates `model` on `set` (identities never seen in training: gallery and
 * probes both come from `set`). Throws E_VALUE when a gait of `set` is
 * bit-identical to a training gait of the model.
 */
export function evaluateIdentity(model: IdentityEmbedder, set: GaitSet, options: EvaluateIdentityOptions = {}): CrossConditionEvaluation {
  let leakCheck = 'not possible: the model directory records no training gaits';
  if (model.trainGaitHashes) {
    for (let i = 0; i < set.N; i++)
      if (model.trainGaitHashes.has(gaitHash(set, i)))
        throw new GaitforgeError('E_VALUE', `gait ${i} (${set.ids[i]}) is one the model was trained on: identity evaluation needs identities never seen in training`);
    leakCheck = `none of the ${set.N} gaits is one of the model's ${model.trainGaitHashes.size} training gaits`;
  }
  const base = evaluateIdentityBaselines(set, options);
  const split = crossConditionSplit(set, options.galleryCondition);
  const m = identificationMetrics(model.embed(set), set, split);
  const trained = new Set(model.trainIdentities);
  return {
    model: { kind: model.kind, checkpointHash: model.checkpointHash },
    ...base,
    ...scores(m),
    probes: m.probes,
    unmatchable: m.unmatchable,
    identityNamesAlsoInTraining: new Set(set.identity.filter((x): x is string => x != null && trained.has(x))).size,
    leakCheck,
  };
}

const pct = (x: number | undefined) => (x != null && Number.isFinite(x) ? `${(100 * x).toFixed(1)}` : '–');

/** A Markdown table: rank-1 / rank-5 / mAP (%) by probe condition for the model (when given) and the baselines. */
export function identityMarkdown(e: BaselineEvaluation | CrossConditionEvaluation): string {
  const conds = [...e.probeConditions, 'mean'];
  const rows: [string, IdentityScores][] = [];
  if ('model' in e) rows.push([e.model.kind, e]);
  rows.push(['NN bone lengths', e.baselines.boneLengths], ['NN affective features', e.baselines.affective]);
  const lines = [
    `| method | metric | ${conds.join(' | ')} |`,
    `|---|---|${conds.map(() => '---').join('|')}|`,
  ];
  for (const [name, s] of rows)
    for (const [metric, v] of [['rank-1', s.rank1], ['rank-5', s.rank5], ['mAP', s.mAP]] as const)
      lines.push(`| ${name} | ${metric} | ${conds.map((c) => pct(v[c])).join(' | ')} |`);
  lines.push('', `Gallery: ${e.galleryGaits} ${e.galleryCondition} gaits of ${e.identities} identities; probes: ${e.probeConditions.map((c) => `${e.probes[c]} ${c}`).join(', ')}. ${e.rule}.`);
  if ('leakCheck' in e) lines.push(`Leak check: ${e.leakCheck}.`);
  return lines.join('\n');
}

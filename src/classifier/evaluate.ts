/**
 * Evaluation of a trained classifier on a labelled set: accuracy, macro-F1,
 * per-class recall, confusion matrix (counts and row-normalised), top-2
 * accuracy and, for a model that learned identities (AT-GCN with its
 * identity head), cross-condition identification (eval/identification.ts:
 * the gallery condition's walks against every other condition's), the one
 * protocol of every identity figure gaitforge reports.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { CROSS_CONDITION_RULE, crossConditionSplit, identificationMetrics, type ByCondition } from '../eval/identification.js';
import { accuracyOf, balancedAccuracy, confusionMatrix, macroF1, perClassRecall, rowNormalize, topKAccuracy } from './metrics.js';
import { startInference } from './inference.js';
import { predictionsOf, type Classifier } from './model.js';

export interface IdentityEvaluation {
  /** Cross-condition rank-1, rank-5 and mAP of the L2-normalised identity embeddings: the mean over probe conditions. */
  rank1: number;
  rank5: number;
  mAP: number;
  /** The same per probe condition (and `mean`). */
  byCondition: { rank1: ByCondition; rank5: ByCondition; mAP: ByCondition };
  galleryCondition: string;
  galleryWalks: number;
  /** Probes scored (with a gallery walk of their identity outside their own recording). */
  probeWalks: number;
  identities: number;
  /** The protocol, in words. */
  rule: string;
}

/** Options of a classifier evaluation. */
export interface EvaluateClassifierOptions {
  /** The label whose walks form the identity gallery (AT-GCN with an identity head). Default 'neutral'. */
  galleryCondition?: string;
}

export interface ClassifierEvaluation {
  kind: string;
  checkpointHash: string;
  gaits: number;
  labelNames: string[];
  accuracy: number;
  /** The mean recall over the labels with gaits in the set. */
  balancedAccuracy: number;
  macroF1: number;
  /** Recall per label name (NaN for a label with no gaits in the set). */
  perClassRecall: Record<string, number>;
  /** Row = true label, column = predicted label, in `labelNames` order. */
  confusion: number[][];
  confusionNormalized: number[][];
  top2Accuracy: number;
  /** Chance level: the accuracy of always predicting the set's most frequent label. */
  majorityBaseline: number;
  /** Present for AT-GCN models trained with the identity task, on sets with identities. */
  identity?: IdentityEvaluation;
}

/**
 * Re-indexes `set`'s labels to the model's label names (matched by name).
 * Throws E_LABEL naming the first label the model does not know.
 */
export function alignLabels(set: GaitSet, labelNames: string[]): GaitSet {
  const unknown = set.labelNames.filter((n, l) => !labelNames.includes(n) && set.labels.includes(l));
  if (unknown.length)
    throw new GaitforgeError('E_LABEL', `label ${JSON.stringify(unknown[0])} is not one the model was trained on (${labelNames.join(', ')})`);
  if (set.labelNames.length === labelNames.length && set.labelNames.every((n, i) => n === labelNames[i])) return set;
  return set.withLabelNames(labelNames);
}

/** Evaluates `clf` on every gait of `set`, on the calling thread. */
export function evaluateClassifier(clf: Classifier, set: GaitSet, options: EvaluateClassifierOptions = {}): ClassifierEvaluation {
  const data = alignLabels(set, clf.labelNames);
  const { probs, predicted } = clf.predict(data);
  return evaluation(clf, data, probs, predicted, () => clf.features(data), options);
}

/**
 * `evaluateClassifier` with the forward pass split across `threads` threads
 * (wasm and cpu backends; src/classifier/inference.ts): the same result on
 * any thread count. Default 1.
 */
export async function evaluateClassifierOnThreads(clf: Classifier, set: GaitSet, options: EvaluateClassifierOptions & { threads?: number } = {}): Promise<ClassifierEvaluation> {
  const data = alignLabels(set, clf.labelNames);
  const inf = await startInference(clf, options.threads ?? 1);
  try {
    const r = await inf.forward(data);
    const { probs, predicted } = predictionsOf(r.logits, clf.labelNames.length);
    return evaluation(clf, data, probs, predicted, () => ({ data: r.features, dim: r.featureDim }), options);
  } finally {
    await inf.close();
  }
}

/** The metrics of predictions on `data` (labels aligned to the model's); `features` gives the identity embeddings when needed. */
function evaluation(
  clf: Classifier, data: GaitSet, probs: Float32Array, predicted: Int32Array, features: () => { data: Float32Array; dim: number }, options: EvaluateClassifierOptions,
): ClassifierEvaluation {
  const L = clf.labelNames.length;
  const m = confusionMatrix(data.labels, predicted, L);
  const recall = perClassRecall(m);
  const counts = m.map((row) => row.reduce((a, b) => a + b, 0));
  const out: ClassifierEvaluation = {
    kind: clf.kind,
    checkpointHash: clf.checkpointHash,
    gaits: data.N,
    labelNames: [...clf.labelNames],
    accuracy: accuracyOf(m),
    balancedAccuracy: balancedAccuracy(m),
    macroF1: macroF1(m),
    perClassRecall: Object.fromEntries(clf.labelNames.map((n, l) => [n, recall[l]!])),
    confusion: m,
    confusionNormalized: rowNormalize(m),
    top2Accuracy: topKAccuracy(probs, data.labels, L, Math.min(2, L)),
    majorityBaseline: data.N ? Math.max(...counts) / data.N : NaN,
  };
  const identity = clf.hasIdentityHead ? identityEvaluation(data, features, options.galleryCondition ?? 'neutral') : null;
  if (identity) out.identity = identity;
  return out;
}

/**
 * Cross-condition identification by the embeddings of `features` (L2-normalised, so nearest is most cosine-similar),
 * or null when `data` has no walks with identities in the gallery condition and in another one.
 */
function identityEvaluation(data: GaitSet, features: () => { data: Float32Array; dim: number }, galleryCondition: string): IdentityEvaluation | null {
  const g = data.labelNames.indexOf(galleryCondition);
  let gallery = 0;
  let others = 0;
  for (let i = 0; i < data.N; i++) if (data.identity[i] != null) data.labels[i] === g ? gallery++ : others++;
  if (g < 0 || gallery === 0 || others === 0) return null;
  const split = crossConditionSplit(data, galleryCondition);
  const emb = features();
  const unit = Float64Array.from(emb.data);
  for (let i = 0; i < data.N; i++) {
    let n = 0;
    for (let d = 0; d < emb.dim; d++) n += unit[i * emb.dim + d]! ** 2;
    const s = Math.sqrt(n) || 1;
    for (let d = 0; d < emb.dim; d++) unit[i * emb.dim + d]! /= s;
  }
  const r = identificationMetrics({ data: unit, dim: emb.dim, parts: 1 }, data, split);
  return {
    rank1: r.rank1['mean']!, rank5: r.rank5['mean']!, mAP: r.mAP['mean']!, byCondition: { rank1: r.rank1, rank5: r.rank5, mAP: r.mAP },
    galleryCondition, galleryWalks: split.gallery.length, probeWalks: Object.values(r.probes).reduce((a, b) => a + b, 0),
    identities: new Set(data.identity.filter((x) => x != null)).size, rule: CROSS_CONDITION_RULE,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

/** A Markdown report of an evaluation: summary table, per-class recall and the confusion matrix. */
export function evaluationMarkdown(e: ClassifierEvaluation): string {
  const lines = [
    `| model | gaits | accuracy | macro-F1 | top-2 | majority baseline${e.identity ? ' | identity rank-1' : ''} |`,
    `|---|---|---|---|---|---${e.identity ? '|---' : ''}|`,
    `| ${e.kind} | ${e.gaits} | ${pct(e.accuracy)} | ${pct(e.macroF1)} | ${pct(e.top2Accuracy)} | ${pct(e.majorityBaseline)}${e.identity ? ` | ${pct(e.identity.rank1)}` : ''} |`,
    '',
    `| true \\ predicted | ${e.labelNames.join(' | ')} | recall |`,
    `|---|${e.labelNames.map(() => '---').join('|')}|---|`,
    ...e.labelNames.map(
      (n, i) => `| ${n} | ${e.confusion[i]!.map((c, j) => `${c} (${pct(e.confusionNormalized[i]![j]!)})`).join(' | ')} | ${pct(e.perClassRecall[n]!)} |`,
    ),
  ];
  if (e.identity)
    lines.push(
      '',
      `Identity, cross-condition (gallery: the ${e.identity.galleryCondition} walks): rank-1 ${pct(e.identity.rank1)}, rank-5 ${pct(e.identity.rank5)}, mAP ${pct(e.identity.mAP)} (means over probe conditions) ` +
        `over ${e.identity.identities} identities, ${e.identity.galleryWalks} gallery and ${e.identity.probeWalks} probe walks (${e.identity.rule}).`,
    );
  return lines.join('\n');
}

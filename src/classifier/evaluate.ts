/**
 * Evaluation of a trained classifier on a labelled set: accuracy, macro-F1,
 * per-class recall, confusion matrix (counts and row-normalised), top-2
 * accuracy and, for a model that learned identities (AT-GCN with its
 * identity head), rank-1 identification on a gallery/probe split by walk.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import {
  accuracyOf, confusionMatrix, galleryProbeSplit, macroF1, perClassRecall, rank1Accuracy, rowNormalize, topKAccuracy,
} from './metrics.js';
import { startInference } from './inference.js';
import { predictionsOf, type Classifier } from './model.js';

export interface IdentityEvaluation {
  /** Rank-1 accuracy of the embeddings (cosine nearest gallery walk). */
  rank1: number;
  galleryWalks: number;
  probeWalks: number;
  identities: number;
  /** The split rule, in words. */
  rule: string;
}

export interface ClassifierEvaluation {
  kind: string;
  checkpointHash: string;
  gaits: number;
  labelNames: string[];
  accuracy: number;
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
export function evaluateClassifier(clf: Classifier, set: GaitSet): ClassifierEvaluation {
  const data = alignLabels(set, clf.labelNames);
  const { probs, predicted } = clf.predict(data);
  return evaluation(clf, data, probs, predicted, () => clf.features(data));
}

/**
 * `evaluateClassifier` with the forward pass split across `threads` threads
 * (wasm and cpu backends; src/classifier/inference.ts): the same result on
 * any thread count. Default 1.
 */
export async function evaluateClassifierOnThreads(clf: Classifier, set: GaitSet, options: { threads?: number } = {}): Promise<ClassifierEvaluation> {
  const data = alignLabels(set, clf.labelNames);
  const inf = await startInference(clf, options.threads ?? 1);
  try {
    const r = await inf.forward(data);
    const { probs, predicted } = predictionsOf(r.logits, clf.labelNames.length);
    return evaluation(clf, data, probs, predicted, () => ({ data: r.features, dim: r.featureDim }));
  } finally {
    await inf.close();
  }
}

/** The metrics of predictions on `data` (labels aligned to the model's); `features` gives the identity embeddings when needed. */
function evaluation(clf: Classifier, data: GaitSet, probs: Float32Array, predicted: Int32Array, features: () => { data: Float32Array; dim: number }): ClassifierEvaluation {
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
    macroF1: macroF1(m),
    perClassRecall: Object.fromEntries(clf.labelNames.map((n, l) => [n, recall[l]!])),
    confusion: m,
    confusionNormalized: rowNormalize(m),
    top2Accuracy: topKAccuracy(probs, data.labels, L, Math.min(2, L)),
    majorityBaseline: data.N ? Math.max(...counts) / data.N : NaN,
  };
  if (clf.hasIdentityHead && data.identity.some((x) => x != null)) {
    const split = galleryProbeSplit(data.ids, data.identity, data.recording);
    if (split.probe.length > 0) {
      const emb = features();
      out.identity = {
        rank1: rank1Accuracy(emb.data, emb.dim, data.identity, split),
        galleryWalks: split.gallery.length,
        probeWalks: split.probe.length,
        identities: new Set(data.identity.filter((x) => x != null)).size,
        rule: GALLERY_PROBE_RULE,
      };
    }
  }
  return out;
}

export const GALLERY_PROBE_RULE =
  "each identity's recordings sorted by name (a gait without a recording is its own); the gaits of even-numbered recordings form the gallery, of odd-numbered ones the probes, so windows of one recording are never matched against each other; a probe is matched to the gallery walk with the most similar embedding (cosine)";

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
    lines.push('', `Identity rank-1: ${pct(e.identity.rank1)} over ${e.identity.identities} identities, ${e.identity.galleryWalks} gallery and ${e.identity.probeWalks} probe walks (${e.identity.rule}).`);
  return lines.join('\n');
}

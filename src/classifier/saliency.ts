/**
 * Saliency as in STEP's figure: for chosen gaits, the magnitude of the
 * gradient of a class probability with respect to every joint position in
 * every frame the network sees — which joints, when, move the decision.
 *
 * The gradient is taken with respect to the model's input (the preprocessed
 * positions: root-centred, heading-normalised), in inference mode (batch
 * norm with running statistics), and reduced to the Euclidean norm over the
 * three coordinates: saliency[t][v] = ‖∂p_c / ∂x[t, v, :]‖. STEP's affective
 * features are an input computed outside the network, so they are held fixed.
 */
import * as tf from '@tensorflow/tfjs';
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { jointNames, NUM_JOINTS } from '../core/skeleton.js';
import { DEFAULT_INFERENCE_CHUNK as INFERENCE_CHUNK } from '../nn/model-utils.js';
import { runnerOf, type Classifier } from './model.js';

export interface GaitSaliency {
  id: string;
  /** The gait's own label name when the model knows it, else null. */
  label: string | null;
  predicted: string;
  /** The class whose probability was differentiated. */
  target: string;
  /** Probability of the target class. */
  probability: number;
  /** Gradient magnitude per frame and joint: [T'][V]. */
  saliency: number[][];
  /** Sum over frames per joint: [V]. */
  perJoint: number[];
}

export interface SaliencyResult {
  kind: string;
  checkpointHash: string;
  labelNames: string[];
  jointNames: string[];
  /** Frames the network sees (every frameStride-th input frame). */
  frames: number;
  frameStride: number;
  fps: number;
  /** 'predicted' or 'label'. */
  targetRule: 'predicted' | 'label';
  gaits: GaitSaliency[];
}

/**
 * Saliency maps of the gaits of `set` whose ids are `ids` (in that order).
 * `target`: differentiate the predicted class's probability (default) or
 * the gait's own label's. Throws E_VALUE naming an id not in the set, and
 * E_LABEL when `target` is 'label' and a gait's label is unknown to the model.
 * Leaves no tensors behind.
 */
export function saliency(clf: Classifier, set: GaitSet, ids: string[], options: { target?: 'predicted' | 'label' } = {}): SaliencyResult {
  const runner = runnerOf(clf);
  const targetRule = options.target ?? 'predicted';
  const where = new Map(set.ids.map((id, i) => [id, i]));
  const indices = ids.map((id) => {
    const i = where.get(id);
    if (i === undefined) throw new GaitforgeError('E_VALUE', `gait id ${JSON.stringify(id)} is not in the data`);
    return i;
  });
  if (indices.length === 0) throw new GaitforgeError('E_OPTION', 'no gait ids given');
  const sub = set.select(indices);
  const inp = runner.inputs(sub);
  const { modelT: T, V } = runner.meta;
  const L = clf.labelNames.length;
  const { probs, predicted } = clf.predict(sub);
  const targets = indices.map((_, k) => {
    if (targetRule === 'predicted') return predicted[k]!;
    const name = sub.labelOf(k);
    const l = clf.labelNames.indexOf(name);
    if (l < 0) throw new GaitforgeError('E_LABEL', `gait ${sub.ids[k]}: label ${JSON.stringify(name)} is not one the model was trained on`);
    return l;
  });
  const grads = new Float32Array(sub.N * T * V * 3);
  for (let s = 0; s < sub.N; s += INFERENCE_CHUNK) {
    const e = Math.min(sub.N, s + INFERENCE_CHUNK);
    const g = tf.tidy(() => {
      const [x, aff] = runner.tensors(inp, s, e);
      const onehot = tf.oneHot(tf.tensor1d(targets.slice(s, e), 'int32'), L);
      // Σ_i p_i[c_i]: gaits are independent in inference mode, so this gives every gait's own gradient
      const f = (xx: tf.Tensor) => {
        const out = runner.model.apply(aff ? [xx, aff] : xx, { training: false }) as tf.Tensor[];
        return tf.sum(tf.mul(tf.softmax(out[0]!), onehot));
      };
      return tf.grad(f)(x!);
    });
    grads.set(g.dataSync() as Float32Array, s * T * V * 3);
    g.dispose();
  }
  const names = V === NUM_JOINTS ? jointNames() : Array.from({ length: V }, (_, v) => `joint${v}`);
  const gaits: GaitSaliency[] = indices.map((_, k) => {
    const map = Array.from({ length: T }, (_, t) =>
      Array.from({ length: V }, (_, v) => {
        const o = ((k * T + t) * V + v) * 3;
        return Math.hypot(grads[o]!, grads[o + 1]!, grads[o + 2]!);
      }),
    );
    const own = clf.labelNames.indexOf(sub.labelOf(k));
    return {
      id: sub.ids[k]!, label: own >= 0 ? clf.labelNames[own]! : null, predicted: clf.labelNames[predicted[k]!]!,
      target: clf.labelNames[targets[k]!]!, probability: probs[k * L + targets[k]!]!, saliency: map,
      perJoint: names.map((_, v) => map.reduce((a, row) => a + row[v]!, 0)),
    };
  });
  return {
    kind: clf.kind, checkpointHash: clf.checkpointHash, labelNames: [...clf.labelNames], jointNames: names, frames: T,
    frameStride: runner.meta.frameStride, fps: set.fps, targetRule, gaits,
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The saliency maps as one SVG document: a heat map per gait (rows joints,
 * columns frames; white = 0, dark red = that gait's largest magnitude).
 */
export function saliencySvg(r: SaliencyResult): string {
  const cell = 8;
  const labelW = 110;
  const panelH = r.jointNames.length * cell + 44;
  const W = labelW + r.frames * cell + 20;
  const H = r.gaits.length * panelH + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
  ];
  r.gaits.forEach((g, k) => {
    const y0 = 10 + k * panelH;
    const max = Math.max(...g.saliency.flat(), 1e-30);
    parts.push(
      `<text x="4" y="${y0 + 12}" font-size="11">${esc(`${g.id}: label ${g.label ?? '?'}, predicted ${g.predicted}, ∂p(${g.target}) = ${(100 * g.probability).toFixed(1)}% w.r.t. joint positions (max ${max.toExponential(2)})`)}</text>`,
    );
    r.jointNames.forEach((name, v) => {
      const y = y0 + 20 + v * cell;
      parts.push(`<text x="${labelW - 4}" y="${y + cell - 1}" font-size="${cell}" text-anchor="end">${esc(name)}</text>`);
      for (let t = 0; t < r.frames; t++) {
        const a = g.saliency[t]![v]! / max;
        const c = (x: number) => Math.round(255 - (255 - x) * a);
        parts.push(`<rect x="${labelW + t * cell}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${c(139)},${c(0)},${c(0)})"/>`);
      }
    });
    parts.push(`<text x="${labelW}" y="${y0 + 20 + r.jointNames.length * cell + 12}" font-size="9">frame 0 … ${(r.frames - 1) * r.frameStride} (every ${r.frameStride === 1 ? '' : `${r.frameStride}th `}frame)</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

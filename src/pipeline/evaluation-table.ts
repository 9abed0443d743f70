/**
 * A generator evaluation as a table: every metric beside its real value (the
 * floor for FID), mean ± 95% CI over the draws. The one list of metrics that
 * `evaluate-generator`, the model card and the benches print.
 */
import { formatCI, type MeanCI } from '../eval/stats.js';
import type { FidSummary, GeneratorEvaluation } from './evaluate-generator.js';

/** Digits after the point that show about three significant digits of x. */
function digitsFor(x: number): number {
  const a = Math.abs(x);
  return a === 0 || !Number.isFinite(a) ? 2 : Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(a))));
}

/** Values this close to 0 (e.g. the bone-length variation of rigid skeletons) are written in exponent form. */
const TINY = 1e-4;

/**
 * "1.23 ± 0.04" (formatCI) with the digits chosen from the mean's magnitude
 * ("3.1e-9 ± 2.0e-10" below 1e-4); `scale` (100 for %) multiplies mean and
 * interval; '—' for null.
 */
export function metricText(c: MeanCI | null, scale = 1): string {
  if (!c) return '—';
  const mean = c.mean * scale;
  const halfWidth = c.halfWidth === null ? null : c.halfWidth * scale;
  if (mean !== 0 && Math.abs(mean) < TINY) return halfWidth === null ? mean.toExponential(1) : `${mean.toExponential(1)} ± ${halfWidth.toExponential(1)}`;
  return formatCI({ ...c, mean, halfWidth }, digitsFor(mean));
}

/** A single value with about three significant digits; `scale` as in `metricText`. */
export function valueText(x: number, scale = 1): string {
  const v = x * scale;
  return v !== 0 && Math.abs(v) < TINY ? v.toExponential(1) : v.toFixed(digitsFor(v));
}

/**
 * One metric of an evaluation: how to read its generated value (mean ± 95%
 * CI over the draws) and its real reference (a value, with or without an
 * interval, and a note such as "(floor)"). The one list of metrics that
 * `evaluate-generator`, the model card and the generator-eval bench print.
 */
export interface EvaluationMetric {
  name: string;
  generated: (e: GeneratorEvaluation) => MeanCI | null;
  real: (e: GeneratorEvaluation) => MeanCI | number | null;
  /** Text after the real value ("(floor)"), or in its place when `real` is null. */
  note?: (e: GeneratorEvaluation) => string;
  /** Multiplies generated and real values (100 for %). */
  scale?: number;
}

/** A draw's mean FID over its mean floor, without an interval of its own. */
function floorRatio(f: FidSummary): MeanCI {
  return { ...f.fid, mean: f.fid.mean / f.floor.mean, halfWidth: null, lo: null, hi: null };
}

/** The metrics `e` has (evaluator-space ones only with an evaluator, memorisation only with --train), in print order. */
export function evaluationMetrics(e: GeneratorEvaluation): EvaluationMetric[] {
  const out: EvaluationMetric[] = [];
  const spaces = [['affective', (x: GeneratorEvaluation) => x.affective], ['evaluator', (x: GeneratorEvaluation) => x.evaluatorSpace!]] as const;
  for (const [name, sp] of spaces) {
    if (!sp(e)) continue;
    const f = sp(e).fid;
    out.push({ name: `FID (${name}, ${f.dim === f.featureDim ? `${f.dim}-d` : `${f.dim} of ${f.featureDim} dims`})`, generated: (x) => sp(x).fid.fid, real: (x) => sp(x).fid.floor, note: () => '(floor)' });
    out.push({ name: `FID / floor (${name})`, generated: (x) => floorRatio(sp(x).fid), real: () => null, note: () => '1' });
  }
  for (const [name, sp] of spaces) {
    if (!sp(e)) continue;
    out.push({ name: `Diversity (${name})`, generated: (x) => sp(x).diversity.generated, real: (x) => sp(x).diversity.real });
    out.push({ name: `MultiModality (${name})`, generated: (x) => sp(x).multimodality.generated, real: (x) => sp(x).multimodality.real });
  }
  if (e.recognition) {
    out.push({ name: 'Recognition accuracy %', generated: (x) => x.recognition!.generated, real: (x) => x.recognition!.real, note: () => '(all real)', scale: 100 });
    out.push({ name: 'Recognition ratio (generated / real)', generated: (x) => x.recognition!.ratio, real: () => null, note: () => '1 (real)' });
    if (e.recognition.trainingCopyRatio)
      out.push({ name: 'Recognition ratio of the training-set copy', generated: (x) => x.recognition!.trainingCopyRatio, real: () => null, note: () => '1 (anchored)' });
  }
  if (e.memorisation) {
    out.push({ name: 'Memorisation: close to train %', generated: (x) => x.memorisation!.closeFraction, real: (x) => x.memorisation!.expectedFraction, note: () => '(expected)', scale: 100 });
    out.push({ name: 'Memorisation: median NN dist m', generated: (x) => x.memorisation!.generatedMedian, real: (x) => x.memorisation!.heldOutMedian });
  }
  out.push({ name: 'Limb speed m/s', generated: (x) => x.motion.generated.limbSpeed, real: (x) => x.motion.real.limbSpeed });
  out.push({
    name: 'Step frequency steps/s',
    generated: (x) => x.motion.generated.stepFrequency,
    real: (x) => x.motion.real.stepFrequency,
    note: (x) => (x.motion.real.stepFrequency === null ? '— (no full cycle)' : `(${x.motion.stepFrequencyGaits.real} of ${x.realGaits} gaits)`),
  });
  out.push({ name: 'Bone-length CV', generated: (x) => x.plausibility.generated.boneCv, real: (x) => x.plausibility.real.boneCv });
  out.push({ name: 'Foot skating m/s', generated: (x) => x.plausibility.generated.footSkate, real: (x) => x.plausibility.real.footSkate });
  out.push({ name: 'Jerk m/s³', generated: (x) => x.plausibility.generated.jerk, real: (x) => x.plausibility.real.jerk });
  out.push({ name: 'Implausible gaits %', generated: (x) => x.plausibility.generated.flaggedFraction, real: (x) => x.plausibility.real.flaggedFraction, scale: 100 });
  return out;
}

/** The real column's text of `m`: its value (with interval when it has one) and its note. */
export function realText(m: EvaluationMetric, value: MeanCI | number | null, e: GeneratorEvaluation): string {
  const note = m.note?.(e) ?? '';
  if (value === null) return note || '—';
  const v = typeof value === 'number' ? valueText(value, m.scale) : metricText(value, m.scale);
  return note ? `${v} ${note}` : v;
}

/**
 * The evaluation as table rows [metric, generated, real], every metric
 * beside its real value (the floor for FID): what `evaluate-generator`
 * prints and a generator's model card shows.
 */
export function evaluationRows(e: GeneratorEvaluation): string[][] {
  return evaluationMetrics(e).map((m) => [m.name, metricText(m.generated(e), m.scale), realText(m, m.real(e), e)]);
}

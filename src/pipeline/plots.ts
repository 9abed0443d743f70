/**
 * Report plots as SVG, rendered headless with vega-lite + vega (no browser,
 * no canvas: vega's SVG renderer works in Node).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a vega-lite spec to an SVG string. */
export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface AccuracyPoint {
  classifier: string;
  augmenter: string;
  count: number;
  mean: number;
  lo: number;
  hi: number;
}

/**
 * Lines with their 95% interval bands, one panel per classifier: `x` the
 * horizontal field and axis, `color` the field telling the lines apart, the
 * metric's mean and its [lo, hi] (clipped to [0, 1]: an interval over few
 * repeats can leave it, a metric of this kind cannot).
 */
function bandedLines(points: { lo: number; hi: number }[], x: object, color: { field: string; title: string }, y: { title: string; scale: object }, size: [number, number]): TopLevelSpec {
  const values = points.map((p) => ({ ...p, lo: Math.max(0, p.lo), hi: Math.min(1, p.hi) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    facet: { column: { field: 'classifier', type: 'nominal', title: null } },
    spec: {
      width: size[0],
      height: size[1],
      encoding: { x, color: { ...color, type: 'nominal' } },
      layer: [
        { mark: { type: 'errorband', opacity: 0.18 }, encoding: { y: { field: 'lo', type: 'quantitative', ...y }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
      ],
    },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

/**
 * Accuracy against synthetic gaits per label (symlog x, so count 0 is
 * shown), one panel per classifier, one line per augmenter with its 95% CI
 * band — STEP's Fig. 4 with confidence intervals. The real-only baseline
 * (count 0) starts every augmenter's line.
 */
export function accuracySpec(points: AccuracyPoint[], metric = 'test accuracy'): TopLevelSpec {
  const counts = [...new Set(points.map((p) => p.count))].sort((a, b) => a - b);
  const x = { field: 'count', type: 'quantitative', scale: { type: 'symlog' }, axis: { values: counts, format: 'd' }, title: 'synthetic gaits per label' };
  return bandedLines(points, x, { field: 'augmenter', title: 'augmenter' }, { title: metric, scale: { domain: [0, 1] } }, [260, 200]);
}

export interface CurvePoint {
  classifier: string;
  /** The line: an augmenter at a synthetic amount ("none" for real data only). */
  line: string;
  /** Real training gaits per label. */
  real: number;
  mean: number;
  lo: number;
  hi: number;
}

/**
 * A learning curve: the metric against real training gaits per label (log x),
 * one panel per classifier, one line per augmenter and amount with its 95%
 * interval band.
 */
export function learningCurveSpec(points: CurvePoint[], metric = 'test accuracy'): TopLevelSpec {
  const reals = [...new Set(points.map((p) => Math.round(p.real)))].sort((a, b) => a - b);
  const x = { field: 'real', type: 'quantitative', scale: { type: 'log' }, axis: { values: reals, format: 'd' }, title: 'real training gaits per label' };
  return bandedLines(points, x, { field: 'line', title: 'augmentation' }, { title: metric, scale: { zero: false } }, [300, 220]);
}

/** A confusion matrix heat map (row-normalised shares, counts as text). */
export function confusionSpec(labelNames: string[], counts: number[][], title: string): TopLevelSpec {
  const values = counts.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((n, p) => ({ truth: labelNames[t], predicted: labelNames[p], share: n / total, n }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    width: 40 * labelNames.length,
    height: 40 * labelNames.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: labelNames },
      y: { field: 'truth', type: 'nominal', sort: labelNames },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { domain: [0, 1], scheme: 'blues' }, title: 'share of row' } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { text: { field: 'n', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } },
      },
    ],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

/**
 * Training curves and saliency heat maps as small standalone SVG documents.
 * Written by hand (a few polylines and rects) so a model directory and the
 * saliency command need no plotting or browser dependency.
 */
import type { EpochLog } from './train.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

function panel(x0: number, y0: number, w: number, h: number, title: string, series: Series[], yRange?: [number, number]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const xMin = Math.min(...xs, 1);
  const xMax = Math.max(...xs, xMin + 1);
  let [yMin, yMax] = yRange ?? [Math.min(...ys, 0), Math.max(...ys, 1e-9)];
  if (yMax <= yMin) yMax = yMin + 1;
  const px = (x: number) => x0 + 40 + ((x - xMin) / (xMax - xMin)) * (w - 50);
  const py = (y: number) => y0 + h - 25 - ((y - yMin) / (yMax - yMin)) * (h - 45);
  const parts = [
    `<text x="${x0 + w / 2}" y="${y0 + 14}" text-anchor="middle" font-size="12">${esc(title)}</text>`,
    `<line x1="${px(xMin)}" y1="${py(yMin)}" x2="${px(xMax)}" y2="${py(yMin)}" stroke="#888"/>`,
    `<line x1="${px(xMin)}" y1="${py(yMin)}" x2="${px(xMin)}" y2="${py(yMax)}" stroke="#888"/>`,
    `<text x="${px(xMin) - 4}" y="${py(yMax) + 4}" text-anchor="end" font-size="10">${yMax.toPrecision(3)}</text>`,
    `<text x="${px(xMin) - 4}" y="${py(yMin) + 4}" text-anchor="end" font-size="10">${yMin.toPrecision(3)}</text>`,
    `<text x="${px(xMax)}" y="${py(yMin) + 14}" text-anchor="end" font-size="10">epoch ${xMax}</text>`,
  ];
  series.forEach((s, k) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    }
    parts.push(`<text x="${x0 + 48 + k * 70}" y="${y0 + h - 6}" font-size="10" fill="${s.color}">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

/** Loss and accuracy per epoch (training and validation) as an SVG document. */
export function curvesSvg(history: EpochLog[], title: string): string {
  const pick = (f: (e: EpochLog) => number | null) => history.filter((e) => f(e) != null).map((e) => [e.epoch, f(e)!] as [number, number]);
  const W = 640;
  const H = 260;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20}" viewBox="0 0 ${W} ${H + 20}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="14" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    panel(0, 20, W / 2, H, 'loss', [
      { name: 'train', color: '#1f77b4', points: pick((e) => e.trainLoss) },
      { name: 'validation', color: '#d62728', points: pick((e) => e.valLoss), dashed: true },
    ]),
    panel(W / 2, 20, W / 2, H, 'accuracy', [
      { name: 'train', color: '#1f77b4', points: pick((e) => e.trainAccuracy) },
      { name: 'validation', color: '#d62728', points: pick((e) => e.valAccuracy), dashed: true },
    ], [0, 1]),
    '</svg>',
  ].join('\n');
}

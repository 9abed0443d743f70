/**
 * Label colours shared by the GLB files, the viewer and the filmstrips, so a
 * label has the same colour everywhere. Colours are sRGB hex strings.
 */

/** Fixed colours for STEP's four emotions (the demo data's labels). */
export const EMOTION_COLORS: Readonly<Record<string, string>> = {
  angry: '#d62728',
  neutral: '#7f7f7f',
  happy: '#ff9e1b',
  sad: '#1f77b4',
};

/** Colours for other labels, in order (a colour-blind-friendly categorical palette). */
export const LABEL_PALETTE: readonly string[] = [
  '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#393b79', '#e7ba52',
  '#843c39', '#5254a3', '#637939', '#7b4173', '#3182bd', '#e6550d', '#31a354', '#756bb1',
];

/**
 * One colour per label name: the fixed emotion colours where they apply, the
 * palette (skipping colours already taken) for the rest; labels beyond the
 * palette get evenly spaced hues.
 */
export function labelColors(labelNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const n of labelNames) {
    const c = EMOTION_COLORS[n.toLowerCase()];
    if (c && !used.has(c)) {
      out[n] = c;
      used.add(c);
    }
  }
  const free = LABEL_PALETTE.filter((c) => !used.has(c));
  let k = 0;
  const rest = labelNames.filter((n) => !(n in out));
  rest.forEach((n, i) => {
    out[n] = k < free.length ? free[k++]! : hslHex((360 * i) / rest.length, 0.55, 0.45);
  });
  return out;
}

/** `#rrggbb` mixed towards white by `amount` in [0, 1]. */
export function tint(hex: string, amount: number): string {
  const [r, g, b] = hexRgb(hex);
  const m = (c: number) => Math.round(c + (255 - c) * amount);
  return rgbHex(m(r), m(g), m(b));
}

/** `#rrggbb` mixed towards black by `amount` in [0, 1]. */
export function shade(hex: string, amount: number): string {
  const [r, g, b] = hexRgb(hex);
  const m = (c: number) => Math.round(c * (1 - amount));
  return rgbHex(m(r), m(g), m(b));
}

export function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function rgbHex(r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
}

function hslHex(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return rgbHex(f(0), f(8), f(4));
}

/**
 * Quick-look filmstrips: for each gait a row of poses over one gait cycle,
 * from the side and the front, as SVG (written directly: lines and circles)
 * and PNG (rasterised by @resvg/resvg-js, prebuilt binaries from npm).
 * Views follow each gait's walking direction f (root, first to last frame),
 * centred on the root in each frame: side = f points right, seen from the
 * walker's right; front = facing the walker (its left on the right).
 * Far-side limbs are drawn first; left limbs a lighter tint of the label
 * colour, right limbs the full colour, the trunk a darker shade.
 */
import { checkRange, ConfigRangeError, GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { gaitCycleTime, heading } from '../core/kinematics.js';
import { EDGES, JOINTS, SIDE_CONVENTIONS, sideJoints, type SideConvention } from '../core/skeleton.js';
import { labelColors, shade, tint } from './colors.js';
import { writeFilesAtomic } from '../core/files.js';
import { checkRenderable } from './select.js';

export type FilmstripView = 'side' | 'front';

export interface FilmstripConfig {
  /** Poses per view, spread over one gait cycle. Default 8. */
  frames?: number;
  /** Scale, pixels per metre. Default 60. */
  pxPerMetre?: number;
  /** Views, in order. Default ['side', 'front']. */
  views?: FilmstripView[];
  /** Title above the strip; '' for none. Default 'gaitforge filmstrip'. */
  title?: string;
  /** Show the id / label / source column at the left of each row. Default true. */
  info?: boolean;
  /** Which side joints 4-6 / 10-12 are (left limbs are drawn lighter). Default 'a-is-left'. */
  sides?: SideConvention;
  /** Background colour ('none' for transparent). Default '#ffffff'. */
  background?: string;
}

export const DEFAULT_FILMSTRIP: Required<FilmstripConfig> = {
  frames: 8, pxPerMetre: 60, views: ['side', 'front'], title: 'gaitforge filmstrip', info: true, sides: 'a-is-left', background: '#ffffff',
};

export function resolveFilmstrip(c: FilmstripConfig = {}): Required<FilmstripConfig> {
  const r = { ...DEFAULT_FILMSTRIP, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as Required<FilmstripConfig>;
  checkRange('frames', r.frames, 1, 64, true);
  checkRange('pxPerMetre', r.pxPerMetre, 5, 1000);
  if (!Array.isArray(r.views) || r.views.length === 0 || r.views.some((v) => v !== 'side' && v !== 'front'))
    throw new ConfigRangeError(`views = ${JSON.stringify(r.views)} must be a non-empty list of 'side' and 'front'`);
  if (!SIDE_CONVENTIONS.includes(r.sides)) throw new ConfigRangeError(`sides = ${String(r.sides)} is not one of ${SIDE_CONVENTIONS.join(', ')}`);
  return { ...r, views: [...r.views] };
}

const PAD = 6;
const INFO_W = 170;
const GAP = 18;
const HEADER_H = 46;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Projected poses of one gait: [view][panel] → V points (x right, y up, metres, root-centred, ground at 0). */
interface Projected {
  frames: number[];
  views: { x: Float64Array; y: Float64Array; depth: Float64Array }[][];
}

/** Frames spread evenly over one gait cycle (the whole clip when no cycle is found). */
export function cycleFrames(set: GaitSet, index: number, count: number): number[] {
  const { T, V, fps } = set;
  const cyc = gaitCycleTime(set.gait(index), T, V, fps);
  const span = Number.isFinite(cyc) && cyc > 0 ? Math.min(T - 1, Math.round(cyc * fps)) : T - 1;
  const step = count > 1 ? span / count : 0;
  return Array.from({ length: count }, (_, k) => Math.min(T - 1, Math.round(k * step)));
}

function project(set: GaitSet, index: number, cfg: Required<FilmstripConfig>): Projected {
  const { T, V } = set;
  const g = set.gait(index);
  const [fx, fz] = heading(g, T, V);
  const [lx, lz] = [fz, -fx]; // the walker's left, for Y up and right-handed axes
  let ground = Infinity;
  for (let k = 1; k < T * V * 3; k += 3) ground = Math.min(ground, g[k]!);
  const frames = cycleFrames(set, index, cfg.frames);
  const views = cfg.views.map((view) =>
    frames.map((t) => {
      const o = t * V * 3;
      const rx = g[o + 3 * JOINTS.root]!;
      const rz = g[o + 3 * JOINTS.root + 2]!;
      const x = new Float64Array(V);
      const y = new Float64Array(V);
      const depth = new Float64Array(V);
      for (let j = 0; j < V; j++) {
        const dx = g[o + 3 * j]! - rx;
        const dz = g[o + 3 * j + 2]! - rz;
        const fwd = dx * fx + dz * fz;
        const left = dx * lx + dz * lz;
        y[j] = g[o + 3 * j + 1]! - ground;
        if (view === 'side') {
          x[j] = fwd;
          depth[j] = left; // the viewer is on the walker's right: larger = farther
        } else {
          x[j] = left;
          depth[j] = -fwd; // the viewer is in front: larger = farther
        }
      }
      return { x, y, depth };
    }),
  );
  return { frames, views };
}

interface Layout {
  cfg: Required<FilmstripConfig>;
  /** Per view: min/max of x (m). */
  xr: [number, number][];
  height: number;
  panelW: number[];
  panelH: number;
  rowH: number;
  width: number;
  colors: Record<string, string>;
}

function makeLayout(set: GaitSet, proj: Projected[], cfg: Required<FilmstripConfig>): Layout {
  const xr: [number, number][] = cfg.views.map(() => [Infinity, -Infinity]);
  let height = 0;
  for (const p of proj)
    p.views.forEach((panels, v) => {
      for (const pose of panels)
        for (let j = 0; j < pose.x.length; j++) {
          xr[v]![0] = Math.min(xr[v]![0], pose.x[j]!);
          xr[v]![1] = Math.max(xr[v]![1], pose.x[j]!);
          height = Math.max(height, pose.y[j]!);
        }
    });
  const s = cfg.pxPerMetre;
  const head = 0.09;
  const panelW = xr.map(([a, b]) => Math.ceil((b - a + 2 * head) * s + 2 * PAD));
  const panelH = Math.ceil((height + 2 * head) * s + 2 * PAD + 12);
  const width = (cfg.info ? INFO_W : 0) + panelW.reduce((a, w) => a + w * cfg.frames, 0) + GAP * (cfg.views.length - 1) + 2 * PAD;
  return { cfg, xr, height, panelW, panelH, rowH: panelH + 4, width, colors: labelColors(set.labelNames) };
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG elements of one gait's row, with its top-left at (0, top). */
function rowSvg(set: GaitSet, index: number, p: Projected, L: Layout, top: number, showTimes: boolean): string {
  const { cfg } = L;
  const s = cfg.pxPerMetre;
  const label = set.labelOf(index);
  const color = L.colors[label]!;
  const sj = sideJoints(cfg.sides);
  const leftSet = new Set<number>([...sj.leftArm, ...sj.leftLeg]);
  const rightSet = new Set<number>([...sj.rightArm, ...sj.rightLeg]);
  const boneColor = (child: number) => (leftSet.has(child) ? tint(color, 0.5) : rightSet.has(child) ? color : shade(color, 0.35));
  const out: string[] = [];
  let x0 = PAD;
  if (cfg.info) {
    const gen = set.generator[index];
    out.push(
      `<text x="${x0}" y="${top + 18}" font-size="12" font-weight="bold" fill="#222">${esc(truncate(set.ids[index]!, 24))}</text>`,
      `<rect x="${x0}" y="${top + 27}" width="10" height="10" fill="${color}"/>`,
      `<text x="${x0 + 14}" y="${top + 36}" font-size="11" fill="#222">${esc(truncate(label, 20))}</text>`,
      `<text x="${x0}" y="${top + 52}" font-size="10" fill="#555">${esc(set.source[index]!)}${gen ? ' · ' + esc(truncate(gen, 16)) : ''}</text>`,
    );
    x0 += INFO_W;
  }
  const head = 0.09;
  cfg.views.forEach((view, v) => {
    const w = L.panelW[v]!;
    const [xmin] = L.xr[v]!;
    p.views[v]!.forEach((pose, k) => {
      const px = x0 + k * w;
      const X = (x: number) => f1(px + PAD + (x - xmin + head) * s);
      const Y = (y: number) => f1(top + PAD + (L.height + head - y) * s);
      const groundY = Y(0);
      out.push(`<g stroke-width="3" stroke-linecap="round">`);
      out.push(`<rect x="${px + 1}" y="${top}" width="${w - 2}" height="${L.panelH}" fill="#f6f6f6"/>`);
      out.push(`<line x1="${px + 3}" y1="${groundY}" x2="${px + w - 3}" y2="${groundY}" stroke="#bbb" stroke-width="1"/>`);
      const bones = EDGES.map(([a, b]) => ({ a, b, d: (pose.depth[a]! + pose.depth[b]!) / 2 })).sort((m, n) => n.d - m.d);
      for (const { a, b } of bones)
        out.push(`<line x1="${X(pose.x[a]!)}" y1="${Y(pose.y[a]!)}" x2="${X(pose.x[b]!)}" y2="${Y(pose.y[b]!)}" stroke="${boneColor(b)}"/>`);
      for (let j = 0; j < pose.x.length; j++) {
        if (j === JOINTS.head) continue;
        out.push(`<circle cx="${X(pose.x[j]!)}" cy="${Y(pose.y[j]!)}" r="2" fill="${shade(color, 0.5)}"/>`);
      }
      out.push(`<circle cx="${X(pose.x[JOINTS.head]!)}" cy="${Y(pose.y[JOINTS.head]!)}" r="${f1(head * s * 0.8)}" fill="${shade(color, 0.15)}"/>`);
      if (showTimes)
        out.push(`<text x="${f1(px + w / 2)}" y="${top + L.panelH - 3}" font-size="9" fill="#777" text-anchor="middle">${view} ${(p.frames[k]! / set.fps).toFixed(2)} s</text>`);
      out.push(`</g>`);
    });
    x0 += w * cfg.frames + GAP;
  });
  return out.join('\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function svgDoc(width: number, height: number, cfg: Required<FilmstripConfig>, body: string): string {
  const bg = cfg.background === 'none' ? '' : `<rect width="100%" height="100%" fill="${esc(cfg.background)}"/>\n`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">\n` +
    bg + body + '\n</svg>\n'
  );
}

function legendSvg(set: GaitSet, L: Layout, y: number): string {
  const used = new Set(Array.from(set.labels, (l) => set.labelNames[l]!));
  const out: string[] = [];
  let x = PAD;
  for (const label of set.labelNames) {
    if (!used.has(label)) continue;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${L.colors[label]}"/>`, `<text x="${x + 14}" y="${y}" font-size="11" fill="#222">${esc(label)}</text>`);
    x += 24 + 7 * label.length;
  }
  out.push(`<text x="${x + 10}" y="${y}" font-size="10" fill="#666">lighter limbs: left side · ${L.cfg.views.join(' and ')} views over one gait cycle, root-centred</text>`);
  return out.join('\n');
}

/**
 * An SVG filmstrip of every gait of `set`, one row per gait (the caller
 * selects and orders the gaits; see selectGaits). Rows share one scale and
 * panel size so they compare. Throws E_VALUE for NaN/Inf coordinates.
 */
export function filmstripSvg(set: GaitSet, config: FilmstripConfig = {}): string {
  checkRenderable(set);
  const cfg = resolveFilmstrip(config);
  const proj = Array.from({ length: set.N }, (_, i) => project(set, i, cfg));
  const L = makeLayout(set, proj, cfg);
  const header = cfg.title ? HEADER_H : 24;
  const parts: string[] = [];
  if (cfg.title) parts.push(`<text x="${PAD}" y="18" font-size="14" font-weight="bold" fill="#111">${esc(cfg.title)}</text>`);
  parts.push(legendSvg(set, L, header - 10));
  for (let i = 0; i < set.N; i++) parts.push(rowSvg(set, i, proj[i]!, L, header + i * L.rowH, true));
  return svgDoc(L.width, header + set.N * L.rowH + PAD, cfg, parts.join('\n'));
}

/**
 * A standalone SVG strip of gait `index` alone (one row, no title or legend
 * unless `config.title` is given), for embedding real and synthetic strips
 * side by side in reports. Uses the gait's own extents for its scale box.
 */
export function gaitStripSvg(set: GaitSet, index: number, config: FilmstripConfig = {}): string {
  if (!Number.isInteger(index) || index < 0 || index >= set.N) throw new RangeError(`gait index ${index} out of range [0, ${set.N - 1}]`);
  const one = set.slice(index, index + 1);
  checkRenderable(one);
  const cfg = resolveFilmstrip({ title: '', ...config });
  const proj = [project(one, 0, cfg)];
  const L = makeLayout(one, proj, cfg);
  const top = cfg.title ? 26 : 0;
  const title = cfg.title ? `<text x="${PAD}" y="18" font-size="13" font-weight="bold" fill="#111">${esc(cfg.title)}</text>\n` : '';
  return svgDoc(L.width, top + L.rowH, cfg, title + rowSvg(one, 0, proj[0]!, L, top, true));
}

export interface PngOptions {
  /** Output pixels per SVG pixel. Default 2. */
  scale?: number;
}

/**
 * Rasterises an SVG to PNG bytes with resvg (@resvg/resvg-js, loaded on first
 * use). Text uses the system's fonts (DejaVu Sans or Liberation Sans when
 * installed).
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  checkRange('scale', scale, 0.1, 10);
  const { Resvg } = await import('@resvg/resvg-js');
  try {
    const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
    return new Uint8Array(r.render().asPng());
  } catch (e) {
    throw new GaitforgeError('E_FORMAT', `cannot rasterise the SVG: ${(e as Error).message}`, { cause: e });
  }
}

export interface WriteFilmstripOptions extends FilmstripConfig, PngOptions {
  /** 'svg' or 'png'; default from the file extension (svg when unknown). */
  format?: 'svg' | 'png';
}

/**
 * Writes a filmstrip of every gait of `set` to `out` as SVG or PNG (temp
 * file + rename: a failure writes nothing). Returns the format written.
 */
export async function writeFilmstrip(out: string, set: GaitSet, options: WriteFilmstripOptions = {}): Promise<'svg' | 'png'> {
  const format = options.format ?? (out.toLowerCase().endsWith('.png') ? 'png' : 'svg');
  if (format !== 'svg' && format !== 'png') throw new GaitforgeError('E_OPTION', `invalid format: ${JSON.stringify(format)} (expected svg or png)`);
  const svg = filmstripSvg(set, options);
  const data = format === 'png' ? await svgToPng(svg, options) : svg;
  writeFilesAtomic([{ path: out, data }]);
  return format;
}

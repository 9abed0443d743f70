/**
 * `gaitforge view`: one self-contained index.html that plays the gaits' GLB
 * files in three.js (orbit controls, play/pause, time scrubber, gait list
 * filtered by label and source). The GLBs are base64 in a JSON data block and
 * three.js plus the viewer code one esbuild-bundled inline classic script:
 * nothing is fetched, so it works offline, from file:// (where Chromium blocks
 * module imports and local fetches) and from any static server.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRange, GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { heading } from '../core/kinematics.js';
import { labelColors } from './colors.js';
import { writeFilesAtomic } from '../core/files.js';
import { gaitToGlb, type GlbConfig } from './glb.js';
import { checkRenderable } from './select.js';
import type { ViewerData, ViewerGait } from './viewer-app.js';

export interface ViewerConfig extends GlbConfig {
  /** Page title. Default 'gaitforge viewer'. */
  title?: string;
  /** Refuse sets larger than this (the page embeds every GLB, ~130 kB each). Default 2000. */
  maxGaits?: number;
  /** Called after each gait's GLB is built. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_VIEWER = { title: 'gaitforge viewer', maxGaits: 2000 } as const;

let bundleCache: Promise<string> | null = null;

/**
 * three.js + OrbitControls + GLTFLoader + the viewer code as one minified
 * IIFE (built once per process). esbuild keeps three's @license comment.
 */
export function viewerBundle(): Promise<string> {
  if (!bundleCache) {
    bundleCache = (async () => {
      const here = path.dirname(fileURLToPath(import.meta.url));
      const js = path.join(here, 'viewer-app.js');
      const entry = existsSync(js) ? js : path.join(here, 'viewer-app.ts');
      const esbuild = await import('esbuild');
      const r = await esbuild.build({
        entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true,
        write: false, logLevel: 'silent', legalComments: 'eof',
      });
      return r.outputFiles[0]!.text;
    })().catch((e: unknown) => {
      bundleCache = null;
      throw new GaitforgeError('E_IO', `cannot bundle the viewer script: ${(e as Error).message}`, { cause: e });
    });
  }
  return bundleCache;
}

/** Text safe inside a <script> element (no early `</script>` or `<!--`). */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The viewer's data block for `set`: metadata, bounds, heading and a base64 GLB per gait. */
export async function viewerData(set: GaitSet, config: ViewerConfig = {}): Promise<ViewerData> {
  checkRenderable(set);
  const maxGaits = config.maxGaits ?? DEFAULT_VIEWER.maxGaits;
  checkRange('maxGaits', maxGaits, 1, 1_000_000, true);
  if (set.N > maxGaits)
    throw new GaitforgeError('E_OPTION', `${set.N} gaits selected; the viewer embeds every gait and takes at most ${maxGaits} (select fewer with --label/--source/--limit, or raise --max-gaits)`);
  const legend = labelColors(set.labelNames);
  const used = new Set(Array.from(set.labels, (l) => set.labelNames[l]!));
  const gaits: ViewerGait[] = [];
  for (let i = 0; i < set.N; i++) {
    const g = set.gait(i);
    const b: ViewerGait['bounds'] = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
    for (let k = 0; k < g.length; k += 3)
      for (let c = 0; c < 3; c++) {
        b[c] = Math.min(b[c]!, g[k + c]!);
        b[c + 3] = Math.max(b[c + 3]!, g[k + c]!);
      }
    const glb = await gaitToGlb(set, i, { ...config, ground: false });
    gaits.push({
      id: set.ids[i]!, label: set.labelOf(i), source: set.source[i]!, generator: set.generator[i]!, seed: set.seed[i]!,
      identity: set.identity[i]!, bounds: b, heading: heading(g, set.T, set.V), glb: Buffer.from(glb).toString('base64'),
    });
    config.onProgress?.(i + 1, set.N);
  }
  return {
    title: config.title ?? DEFAULT_VIEWER.title,
    legend: Object.fromEntries(set.labelNames.filter((l) => used.has(l)).map((l) => [l, legend[l]!])),
    fps: set.fps, frames: set.T, gaits,
  };
}

/** The complete, self-contained viewer page for `set` (see the module comment). */
export async function viewerHtml(set: GaitSet, config: ViewerConfig = {}): Promise<string> {
  const [data, js] = await Promise.all([viewerData(set, config), viewerBundle()]);
  const title = htmlEscape(data.title);
  const legend = Object.entries(data.legend)
    .map(([l, c]) => `<span class="chip"><span class="swatch" style="background:${htmlEscape(c)}"></span>${htmlEscape(l)}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>
  html, body { margin: 0; height: 100%; font: 13px/1.35 system-ui, -apple-system, "DejaVu Sans", sans-serif; color: #1d1f23; }
  body { display: flex; }
  aside { width: 290px; display: flex; flex-direction: column; border-right: 1px solid #d6d8dd; background: #fafbfc; }
  aside header { padding: 10px 12px 6px; }
  h1 { font-size: 15px; margin: 0 0 6px; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
  .chip { display: inline-flex; align-items: center; gap: 4px; }
  .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; flex: none; }
  .filters { display: grid; grid-template-columns: auto 1fr; gap: 4px 8px; align-items: center; }
  #gf-count { color: #667; margin-top: 6px; }
  #gf-list { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; border-top: 1px solid #e3e5e9; }
  #gf-list li { display: grid; grid-template-columns: 14px 1fr; column-gap: 6px; padding: 5px 12px; cursor: pointer; align-items: center; }
  #gf-list li .meta { grid-column: 2; color: #667; font-size: 11px; }
  #gf-list li .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #gf-list li:hover { background: #eef1f6; }
  #gf-list li.active { background: #dde6f7; }
  #gf-info { padding: 8px 12px; border-top: 1px solid #e3e5e9; font-size: 12px; min-height: 90px; }
  main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  #gf-view { flex: 1; position: relative; min-height: 200px; overflow: hidden; }
  #gf-view canvas { display: block; }
  #gf-error { position: absolute; top: 12px; left: 12px; right: 12px; padding: 10px; background: #fde8e8; color: #8a1c1c; border: 1px solid #f3b4b4; }
  .controls { display: flex; gap: 10px; align-items: center; padding: 8px 12px; border-top: 1px solid #d6d8dd; background: #fafbfc; }
  #gf-scrub { flex: 1; }
  #gf-time { font-variant-numeric: tabular-nums; min-width: 150px; }
  button { min-width: 64px; }
</style>
</head>
<body>
<aside>
  <header>
    <h1>${title}</h1>
    <div class="legend">${legend}</div>
    <div class="filters">
      <label for="gf-label">label</label><select id="gf-label"><option value="">all</option></select>
      <label for="gf-source">source</label><select id="gf-source"><option value="">all</option></select>
    </div>
    <div id="gf-count"></div>
  </header>
  <ul id="gf-list" aria-label="gaits"></ul>
  <div id="gf-info"></div>
</aside>
<main>
  <div id="gf-view"><div id="gf-error" hidden></div></div>
  <div class="controls">
    <button id="gf-play" type="button">Pause</button>
    <input id="gf-scrub" type="range" min="0" max="1" step="0.001" value="0" aria-label="time">
    <span id="gf-time"></span>
    <label><input id="gf-follow" type="checkbox" checked> follow</label>
  </div>
</main>
<script id="gaitforge-data" type="application/json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(js)}</script>
</body>
</html>
`;
}

/**
 * Writes the viewer page to `<outDir>/index.html` (temp file + rename; a
 * failure writes nothing). Returns the page's path.
 */
export async function writeViewer(outDir: string, set: GaitSet, config: ViewerConfig = {}): Promise<string> {
  const html = await viewerHtml(set, config);
  const file = path.join(outDir, 'index.html');
  writeFilesAtomic([{ path: file, data: html }]);
  return file;
}

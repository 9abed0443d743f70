/**
 * Rendering speed: 1,000 gaits to GLB files (one per gait, written to disk),
 * one grid scene of 1,000 gaits, filmstrips and the viewer page.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { proceduralDataset } from '../src/core/procedural.js';
import { filmstripSvg, gaitSetToGlb, svgToPng, viewerHtml, writeGlb } from '../src/render/index.js';
import { peakRssMB, time, type BenchSection } from './common.js';

export const section: BenchSection = {
  name: 'render',
  describe: 'GLB export (three GLTFExporter), filmstrips (SVG, resvg PNG), viewer page',
  async run({ quick, report }) {
    const n = quick ? 100 : 1000;
    const set = proceduralDataset({ identities: n / 40, perEmotion: 10, seed: 1 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-bench-render-'));
    try {
      await gaitSetToGlb(set.slice(0, 1)); // warm-up: module init, shared geometries
      let files: string[] = [];
      const perGait = await time(async () => {
        files = await writeGlb(path.join(dir, 'each'), set);
      });
      const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
      report({ section: 'render', name: `glb: ${n} gaits, one file each`, value: perGait, unit: 's', gaitsPerSecond: n / perGait, MB: bytes / 1e6, T: set.T });
      let grid: Uint8Array = new Uint8Array();
      const gridS = await time(async () => {
        grid = await gaitSetToGlb(set);
      });
      report({ section: 'render', name: `glb: ${n} gaits, one grid scene`, value: gridS, unit: 's', gaitsPerSecond: n / gridS, MB: grid.byteLength / 1e6 });
      const strip = set.slice(0, 16);
      filmstripSvg(set.slice(0, 2)); // warm-up
      let svg = '';
      const svgS = await time(() => {
        svg = filmstripSvg(strip);
      });
      report({ section: 'render', name: 'filmstrip svg: 16 gaits × 2 views × 8 poses', value: svgS * 1000, unit: 'ms', kB: svg.length / 1e3 });
      let png: Uint8Array = new Uint8Array();
      const pngS = await time(async () => {
        png = await svgToPng(svg);
      });
      report({ section: 'render', name: 'filmstrip png (resvg, scale 2)', value: pngS * 1000, unit: 'ms', kB: png.byteLength / 1e3 });
      let html = '';
      const viewS = await time(async () => {
        html = await viewerHtml(set.slice(0, 100));
      });
      report({ section: 'render', name: 'viewer page: 100 gaits (incl. bundling three)', value: viewS, unit: 's', MB: html.length / 1e6 });
      report({ section: 'render', name: 'peak RSS', value: peakRssMB(), unit: 'MB' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

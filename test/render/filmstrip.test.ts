import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { gaitCycleTime } from '../../src/core/kinematics.js';
import { cycleFrames, filmstripSvg, gaitStripSvg, labelColors, svgToPng, writeFilmstrip } from '../../src/render/index.js';
import { mixedSet, withNaN } from './fixtures.js';

const numbers = (svg: string) => [...svg.replace(/<text[^>]*>[^<]*<\/text>/g, '').matchAll(/-?\d+(\.\d+)?/g)].map((m) => Number(m[0]));

/** The same gaits turned by `angle` about the vertical axis and moved by (dx, dz). */
function turned(set: GaitSet, angle: number, dx: number, dz: number): GaitSet {
  const p = set.positions.slice();
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let k = 0; k < p.length; k += 3) {
    const x = p[k]!;
    const z = p[k + 2]!;
    p[k] = c * x + s * z + dx;
    p[k + 2] = -s * x + c * z + dz;
  }
  return new GaitSet({ ...set, positions: p, labelNames: set.labelNames, T: set.T, fps: set.fps, skeleton: set.skeleton });
}

describe('filmstrips', () => {
  const set = mixedSet(75);

  it('draws one row per gait with side and front panels over one gait cycle, in label colours', () => {
    const svg = filmstripSvg(set, { frames: 6 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const id of set.ids) expect(svg).toContain(`>${id}</text>`);
    expect(svg.match(/>side \d/g)).toHaveLength(6 * set.N);
    expect(svg.match(/>front \d/g)).toHaveLength(6 * set.N);
    for (const c of Object.values(labelColors(set.labelNames))) expect(svg).toContain(c);
    const only = filmstripSvg(set, { frames: 3, views: ['front'] });
    expect(only.match(/>side \d/g)).toBeNull();
    expect(only.match(/>front \d/g)).toHaveLength(3 * set.N);
  });

  it('spreads its poses over one gait cycle', () => {
    const cyc = gaitCycleTime(set.gait(0), set.T, set.V, set.fps);
    expect(Number.isFinite(cyc)).toBe(true);
    const f = cycleFrames(set, 0, 8);
    expect(f[0]).toBe(0);
    const span = (f[7]! * 8) / 7 / set.fps; // 8 poses cover one cycle: the 9th would land on it
    expect(Math.abs(span - cyc)).toBeLessThan(2 / set.fps);
  });

  it('is the same picture wherever the gait walks and whichever way it heads', () => {
    const one = set.slice(2, 3);
    const a = numbers(gaitStripSvg(one, 0));
    const b = numbers(gaitStripSvg(turned(one, 1.9, 3.5, -2), 0));
    expect(b.length).toBe(a.length);
    const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    expect(diff).toBeLessThanOrEqual(0.2); // coordinates are written to 0.1 px
    // A mirrored walker (x → −x) is not the same picture: the comparison has teeth.
    const mirrored = one.positions.slice();
    for (let k = 0; k < mirrored.length; k += 3) mirrored[k] = -mirrored[k]!;
    const m = numbers(gaitStripSvg(new GaitSet({ ...one, positions: mirrored, labelNames: one.labelNames, T: one.T, fps: one.fps }), 0));
    expect(Math.max(...a.map((x, i) => Math.abs(x - m[i]!)))).toBeGreaterThan(1);
  });

  it('rasterises to a PNG of the SVG size × scale that is not blank', async () => {
    const svg = gaitStripSvg(set, 3, { frames: 4, title: 'sad, real' });
    const png = await svgToPng(svg, { scale: 1.5 });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset);
    const w = Number(/width="(\d+)"/.exec(svg)![1]);
    const h = Number(/height="(\d+)"/.exec(svg)![1]);
    expect(dv.getUint32(16)).toBe(Math.round(w * 1.5));
    expect(dv.getUint32(20)).toBe(Math.round(h * 1.5));
    const px = new Resvg(svg).render().pixels;
    const colours = new Set<number>();
    let sadBlue = 0;
    for (let i = 0; i < px.length; i += 4) {
      colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
      if (px[i]! === 0x1f && px[i + 1]! === 0x77 && px[i + 2]! === 0xb4) sadBlue++;
    }
    expect(colours.size).toBeGreaterThan(20);
    expect(sadBlue).toBeGreaterThan(50);
  });

  it('writes SVG or PNG by extension, and nothing for a gait with NaN', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-strip-'));
    expect(await writeFilmstrip(path.join(dir, 'a.svg'), set.slice(0, 2))).toBe('svg');
    expect(readFileSync(path.join(dir, 'a.svg'), 'utf8')).toContain('</svg>');
    expect(await writeFilmstrip(path.join(dir, 'b.png'), set.slice(0, 2))).toBe('png');
    await expect(writeFilmstrip(path.join(dir, 'c.png'), withNaN(set, 6, 0, 15))).rejects.toThrow(/gait 6 \(id01-happy-0\), frame 0, joint 15/);
    expect(existsSync(path.join(dir, 'c.png'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['a.svg', 'b.png']);
  });
});

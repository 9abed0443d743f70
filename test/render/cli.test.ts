import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGaitFile } from '../../src/io/index.js';
import { validateGlb, type ViewerData } from '../../src/render/index.js';
import { mixedSet } from './fixtures.js';
import { runCli } from '../cli-run.js';

const run = runCli;

describe('gaitforge render / view', () => {
  const set = mixedSet(30);
  let dir: string;
  let gaits: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gf-render-cli-'));
    gaits = path.join(dir, 'gaits.parquet');
    await writeGaitFile(gaits, set);
    // A table without a positions column.
    writeFileSync(path.join(dir, 'nopos.arrow'), tableToIPC(tableFromArrays({ id: ['a', 'b'], label: ['sad', 'happy'] }), 'file'));
    // A gait with NaN: gait files refuse NaN on write, so patch one coordinate of an uncompressed Arrow file.
    const arrow = path.join(dir, 'nan.arrow');
    await writeGaitFile(arrow, set);
    const bytes = readFileSync(arrow);
    const o = set.stride * 5 + (7 * set.V + 9) * 3; // gait 5, frame 7, joint 9
    const xyz = Buffer.from(set.positions.buffer, set.positions.byteOffset + 4 * o, 12);
    const at = bytes.indexOf(xyz);
    expect(at).toBeGreaterThan(0);
    expect(bytes.indexOf(xyz, at + 1)).toBe(-1);
    bytes.writeFloatLE(NaN, at + 4);
    writeFileSync(arrow, bytes);
  });

  it('writes a grid GLB that validates, with metadata from the file', async () => {
    const out = path.join(dir, 'glb', 'grid.glb');
    const r = await run('render', '--in', gaits, '--label', 'sad', '--grid', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'glb', gaits: 2, files: [out] });
    const v = await validateGlb(readFileSync(out));
    expect([v.errors, v.warnings]).toEqual([0, 0]);
    expect(readFileSync(out).toString('latin1')).toContain('"id":"id01-sad-0"');
  });

  it('writes one GLB per selected gait into a folder, and checks them with --validate', async () => {
    const out = path.join(dir, 'glb', 'each');
    const r = await run('render', '--in', gaits, '--source', 'synthetic', '--limit', '3', '--out', out, '--validate', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).validation).toEqual(['id01-angry-0', 'id01-neutral-0', 'id01-happy-0'].map((id) => ({ file: path.join(out, `${id}.glb`), errors: 0, warnings: 0 })));
    expect(readdirSync(out).sort()).toEqual(['id01-angry-0.glb', 'id01-happy-0.glb', 'id01-neutral-0.glb']);
  });

  it('writes SVG and PNG filmstrips', async () => {
    const svg = path.join(dir, 'strips', 'strip.svg');
    expect((await run('render', '--in', gaits, '--ids', 'id00-happy-0,id01-happy-0', '--out', svg, '--frames', '5')).status).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text.match(/>side \d/g)).toHaveLength(10);
    expect(text.indexOf('>id00-happy-0<')).toBeLessThan(text.indexOf('>id01-happy-0<'));
    const png = path.join(dir, 'png', 'strip.png');
    expect((await run('render', '--in', gaits, '--format', 'png', '--out', png, '--limit', '2')).status).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it('writes the viewer page', async () => {
    const out = path.join(dir, 'pages', 'viewer');
    const r = await run('view', '--in', gaits, '--out', out, '--label', 'happy', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: path.join(out, 'index.html'), gaits: 2 });
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    const data = JSON.parse(/<script id="gaitforge-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as ViewerData;
    expect(data.gaits.map((g) => [g.id, g.label, g.source])).toEqual([['id00-happy-0', 'happy', 'real'], ['id01-happy-0', 'happy', 'synthetic']]);
  });

  it('bad input: one clear line, the right exit code, nothing written', async () => {
    const cases: [string[], number, RegExp][] = [
      [['render', '--in', gaits, '--ids', 'id00-sad-0,ghost', '--out', path.join(dir, 'bad1.glb')], 2, /gait id "ghost" not in .*gaits\.parquet/],
      [['render', '--in', path.join(dir, 'nopos.arrow'), '--out', path.join(dir, 'bad2.glb')], 1, /nopos\.arrow: not a gait table: column positions is missing/],
      [['render', '--in', path.join(dir, 'nan.arrow'), '--grid', '--out', path.join(dir, 'bad3.glb')], 1, /nan\.arrow: gait 5 \(id01-neutral-0\), frame 7, joint 9: value NaN is not finite/],
      [['view', '--in', path.join(dir, 'nan.arrow'), '--out', path.join(dir, 'bad5')], 1, /value NaN is not finite/],
      [['render', '--in', gaits, '--out', path.join(dir, 'bad7.glb')], 2, /8 gaits selected but --out .*bad7\.glb names one file/],
      [['render', '--in', gaits, '--format', 'png', '--out', path.join(dir, 'bad8.svg')], 2, /--format png but --out .*bad8\.svg ends in \.svg/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await run(...args);
      expect(r.status, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
    for (const f of ['bad1.glb', 'bad2.glb', 'bad3.glb', 'bad5', 'bad7.glb', 'bad8.svg']) expect(existsSync(path.join(dir, f)), f).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.startsWith('.'))).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { runCli } from '../cli-run.js';

// Runs the built CLI (npx tsc -p . first).
const run = runCli;
const STEP_FIXTURES = fileURLToPath(new URL('../fixtures/egait-format', import.meta.url));
const bvh = fileURLToPath(new URL('../fixtures/walker.bvh', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const at = (n: string) => path.join(tmp.dir, n);
const oneLine = (r: Awaited<ReturnType<typeof run>>) => expect(r.stderr.trim().split('\n')).toHaveLength(1);

describe('io commands', () => {
  it('import egait → inspect → convert → inspect', async () => {
    const imp = await run('import', 'egait', '--features', `${STEP_FIXTURES}/features4DCVAEGCN.h5`, '--labels', `${STEP_FIXTURES}/labels4DCVAEGCN.h5`,
      '--label-map', '0=emo0,1=angry,2=neutral,3=happy,4=emo4,5=sad', '--source', 'synthetic', '--generator', 'STEP-Gen',
      '--identity-pattern', '^(\\d+)_', '--view', 'procrustes', '--metadata', 'origin=STEP fixtures', '--out', at('eg.parquet'), '--json');
    expect(imp.status, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ gaits: 60, T: 75, labels: { angry: 10, emo4: 10 }, synthetic: 60, real: 0 });
    expect(JSON.parse(imp.stdout).notes[0]).toMatch(/assumed synthetic for all 60 keys/);
    const marked = await run('import', 'egait', '--features', `${STEP_FIXTURES}/features4DCVAEGCN.h5`, '--labels', `${STEP_FIXTURES}/labels4DCVAEGCN.h5`,
      '--label-map', '0=emo0,1=angry,2=neutral,3=happy,4=emo4,5=sad', '--synthetic-pattern', '^[0-4]_', '--out', at('marked.parquet'));
    expect(marked.status, marked.stderr).toBe(0);
    expect(marked.stdout).toMatch(/source: (\d+) key\(s\) matching \^\[0-4\]_ marked synthetic, the other \d+ assumed real/);
    const txt = await run('inspect', at('eg.parquet'));
    expect(txt.status, txt.stderr).toBe(0);
    expect(txt.stdout).toMatch(/60 gaits in 1 row groups/);
    expect(txt.stdout).toMatch(/positions: ZSTD, RLE\+BYTE_STREAM_SPLIT/);
    expect(txt.stdout).toMatch(/NaN\/Inf: none/);
    const conv = await run('convert', at('eg.parquet'), at('new/dir/eg.arrow'));
    expect(conv.status, conv.stderr).toBe(0);
    expect(conv.stdout).toMatch(/converted 60 gaits/);
    const ins = await run('inspect', at('new/dir/eg.arrow'), '--json');
    expect(ins.status, ins.stderr).toBe(0);
    const r = JSON.parse(ins.stdout);
    expect(r).toMatchObject({ rows: 60, identities: 10, sources: { synthetic: 60 }, generators: { 'STEP-Gen': 60 }, frames: { min: 18, max: 18 }, nonFinite: 0 });
    expect(r.info).toMatchObject({ format: 'arrow', metadata: { origin: 'STEP fixtures' } });
  });

  it('import bvh and synth-dataset --out write gait files and say where', async () => {
    const b = await run('import', 'bvh', bvh, '--label', 'happy', '--frames', '4', '--out', at('bvh/w.arrow'));
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain(`wrote 1 gaits [T=4, V=16, 30 fps] to ${at('bvh/w.arrow')}`);
    expect(b.stdout).toContain("label names (found in the files; STEP's emotions first, then sorted; fix them with --label-names): happy");
    const named = await run('import', 'bvh', bvh, '--label', 'happy', '--label-names', 'sad,happy', '--frames', '4', '--out', at('bvh/n.arrow'), '--json');
    expect(named.status, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ labelNames: ['sad', 'happy'], labelNamesFrom: 'given', labels: { sad: 0, happy: 1 } });
    const s = await run('synth-dataset', '--identities', '2', '--per-emotion', '1', '--frames', '20', '--out', at('data/syn/syn.parquet'));
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toContain(`wrote 8 gaits to ${at('data/syn/syn.parquet')}`);
    expect(existsSync(at('data/syn/syn.parquet'))).toBe(true);
  });

  it('errors: one line, exit code, and no output file', async () => {
    const lab = await run('import', 'egait', '--features', `${STEP_FIXTURES}/features4DCVAEGCN.h5`, '--labels', `${STEP_FIXTURES}/labels4DCVAEGCN.h5`, '--out', at('bad/dir/bad.parquet'), '-q');
    expect(lab.status).toBe(1);
    oneLine(lab);
    expect(lab.stderr).toMatch(/key 00001_Emo4: label value 4 is not in the label map/);
    const ext = await run('convert', at('eg.parquet'), at('eg.csv'));
    expect(ext.status).toBe(2);
    oneLine(ext);
    const joint = await run('import', 'bvh', bvh, '--label', 'sad', '--map', 'side-suffix', '--frames', '4', '--out', at('bad/dir/bad.arrow'));
    expect(joint.status).toBe(1);
    oneLine(joint);
    expect(existsSync(at('bad')) || existsSync(at('eg.csv'))).toBe(false);
    expect(tmp.files().filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

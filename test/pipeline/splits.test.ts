import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import type { GaitforgeError } from '../../src/core/errors.js';
import { ablate, importBvh, readGaitFile, writeGaitFile } from '../../src/index.js';
import { tempDir } from '../io/helpers.js';

// Windowed BVH data: 5 walkers × 4 emotions × 2 takes, each take 40 frames cut into windows of
// 8 frames every 3 frames, so neighbouring windows of a take share 5 frames.
const fixture = readFileSync(fileURLToPath(new URL('../fixtures/walker.bvh', import.meta.url)), 'utf8');
const header = fixture.slice(0, fixture.indexOf('MOTION'));
const channels = fixture.trim().split('\n').at(-1)!.trim().split(/\s+/).length;
const EMOTIONS = ['angry', 'neutral', 'happy', 'sad'];
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function take(walker: number, emotion: number, k: number): string {
  const lines: string[] = [];
  for (let f = 0; f < 40; f++) {
    const v = new Array(channels).fill(0);
    const ph = f / 6 + walker + 0.3 * k;
    v[0] = 3 * walker;
    v[1] = 90 + 2 * Math.sin(2 * ph);
    v[2] = f * (3 + emotion);
    v[channels - 6] = 20 * Math.sin(ph); // a leg swings
    v[channels - 3] = 10 * Math.cos(ph) * (1 + emotion / 4);
    lines.push(v.map((x) => x.toFixed(4)).join(' '));
  }
  return `${header}MOTION\nFrames: 40\nFrame Time: 0.0333333\n${lines.join('\n')}\n`;
}

const files: string[] = [];
let windows: GaitSet;
beforeAll(async () => {
  for (let w = 1; w <= 5; w++)
    for (let e = 0; e < 4; e++)
      for (let k = 1; k <= 2; k++) {
        const f = path.join(tmp.dir, `p${w}_${EMOTIONS[e]}_take${k}.bvh`);
        writeFileSync(f, take(w, e, k));
        files.push(f);
      }
  windows = await importBvh(files, { labelPattern: '_([a-z]+)_take', identityPattern: '^(p\\d)_', frames: 8, stride: 3 });
});

type Splits = { groupedBy: string } & Record<string, { train: string[]; val: string[]; test: string[] }>;

/** Runs an ablation up to the point where it would train (no cells) and returns its splits.json. */
async function splitsOf(set: GaitSet, name: string, splits: Record<string, unknown> = {}): Promise<Splits> {
  const dataPath = path.join(tmp.dir, `${name}.parquet`);
  await writeGaitFile(dataPath, set);
  const runDir = path.join(tmp.dir, `run-${name}`);
  const r = await ablate({
    dataPath, runDir, report: false, maxNewCells: 0,
    config: { seeds: 5, splits: { train: 0.6, val: 0.2, test: 0.2, ...splits }, augmenters: ['none'], classifiers: ['baseline-step'], counts: [0] },
  });
  expect(r.built).toBe(0);
  return JSON.parse(readFileSync(path.join(runDir, 'splits.json'), 'utf8')) as Splits;
}

/** Every (seed, column value) pair whose gaits are in more than one part. */
function crossings(set: GaitSet, s: Splits, column: (i: number) => string | null): string[] {
  const row = new Map(set.ids.map((id, i) => [id, i]));
  const out: string[] = [];
  for (const [seed, parts] of Object.entries(s)) {
    if (seed === 'groupedBy') continue;
    const side = new Map<string, string>();
    const all = [...parts.train, ...parts.val, ...parts.test];
    expect(all.length).toBe(set.N);
    expect(new Set(all).size).toBe(set.N);
    for (const name of ['train', 'val', 'test'] as const) {
      expect(parts[name].length).toBeGreaterThan(0);
      for (const id of parts[name]) {
        const v = column(row.get(id)!);
        if (v == null) continue;
        if (side.has(v) && side.get(v) !== name) out.push(`seed ${seed}: ${v} in ${side.get(v)} and ${name}`);
        side.set(v, name);
      }
    }
  }
  return out;
}

describe('recordings and grouped splits on windowed BVH data', () => {
  it('every window carries its file as recording, and overlapping windows exist', () => {
    expect(windows.N).toBe(40 * 11);
    expect(windows.recording[0]).toBe('p1_angry_take1');
    expect(new Set(windows.recording).size).toBe(40);
    expect(windows.ids.slice(0, 2)).toEqual(['p1_angry_take1.bvh#0', 'p1_angry_take1.bvh#3']);
  });

  it('the recording column survives a file round trip, select and concat', async () => {
    const f = path.join(tmp.dir, 'roundtrip.parquet');
    await writeGaitFile(f, windows);
    const back = await readGaitFile(f);
    expect(back.recording).toEqual(windows.recording);
    expect(back.select([5, 0]).recording).toEqual([windows.recording[5], windows.recording[0]]);
    expect(GaitSet.concat([back.slice(0, 2), back.slice(30, 31)]).recording).toEqual([windows.recording[0], windows.recording[1], windows.recording[30]]);
  });

  it('ablate writes splits.json before training; with identities no walker (and no take) is on two sides of any seed', async () => {
    const s = await splitsOf(windows, 'identity');
    expect(s.groupedBy).toBe('identity');
    expect(Object.keys(s).filter((k) => k !== 'groupedBy')).toEqual(['1', '2', '3', '4', '5']);
    expect(crossings(windows, s, (i) => windows.identity[i]!)).toEqual([]);
    expect(crossings(windows, s, (i) => windows.recording[i]!)).toEqual([]);
  });

  it('without identities the splits are grouped by recording: no take on two sides', async () => {
    const anon = new GaitSet({ ...windows, identity: windows.identity.map(() => null) }, { validateValues: false });
    const s = await splitsOf(anon, 'recording');
    expect(s.groupedBy).toBe('recording');
    expect(crossings(anon, s, (i) => anon.recording[i]!)).toEqual([]);
    // a gait-by-gait split of the same data would put windows of one take on two sides
    const leaky = await splitsOf(anon, 'gait', { groupBy: 'gait' });
    expect(leaky.groupedBy).toBe('gait');
    expect(crossings(anon, leaky, (i) => anon.recording[i]!).length).toBeGreaterThan(0);
  });

  it('ablate refuses non-real rows unless told to drop them', async () => {
    const mixed = new GaitSet({ ...windows, source: windows.source.map((s, i) => (i === 7 ? 'synthetic' : s)) }, { validateValues: false });
    const err = await splitsOf(mixed, 'mixed').then(() => null, (e: GaitforgeError) => e);
    expect(err?.code).toBe('E_CONFIG');
    expect(err?.message).toMatch(/1 non-real gaits \(first: row 7, p1_angry_take1\.bvh#21/);
    const dataPath = path.join(tmp.dir, 'mixed.parquet');
    const runDir = path.join(tmp.dir, 'run-mixed-drop');
    await ablate({ dataPath, runDir, report: false, maxNewCells: 0, config: { seeds: 5, nonReal: 'drop', splits: { train: 0.6, val: 0.2, test: 0.2 }, augmenters: ['none'], classifiers: ['baseline-step'], counts: [0] } });
    const s = JSON.parse(readFileSync(path.join(runDir, 'splits.json'), 'utf8')) as Splits;
    const ids = [...s['1']!.train, ...s['1']!.val, ...s['1']!.test];
    expect(ids).toHaveLength(windows.N - 1);
    expect(ids).not.toContain(windows.ids[7]);
  });
});

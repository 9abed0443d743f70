import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { Rng } from '../../src/core/rng.js';
import { readGaitFile, readGaitFileInfo, splitGaitFile, writeGaitFile } from '../../src/io/index.js';
import { runCli } from '../cli-run.js';
import { errorOf } from '../expect-error.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const at = (name: string) => path.join(tmp.dir, name);

const LABELS = ['angry', 'neutral', 'happy', 'sad'];

/** A small seeded set of gaits [N, 4, 16, 3], one per row of `rows` (its label, walker and recording). */
function gaits(rows: { label: string; identity?: string; recording?: string }[]): GaitSet {
  const rng = new Rng(3, 'test/split');
  const T = 4;
  return new GaitSet({
    positions: Float32Array.from({ length: rows.length * T * 16 * 3 }, () => rng.next() - 0.5), T, V: 16, fps: 30, labelNames: LABELS,
    labels: rows.map((r) => LABELS.indexOf(r.label)), ids: rows.map((_, i) => `g${i}`),
    identity: rows.map((r) => r.identity ?? null), recording: rows.map((r) => r.recording ?? null),
  });
}

/** Walkers who each walk in one emotion only: `perLabel` of them per label, `walks` gaits each. */
const oneEmotionWalkers = (perLabel: number, walks: number) =>
  gaits(LABELS.flatMap((label) => Array.from({ length: perLabel * walks }, (_, k) => ({ label, identity: `${label}-w${Math.floor(k / walks)}` }))));

/** Walkers who each walk in every emotion, `walks` gaits per emotion (as the demo data). */
const allEmotionWalkers = (walkers: number, walks: number) =>
  gaits(Array.from({ length: walkers }, (_, w) => LABELS.flatMap((label) => Array.from({ length: walks }, () => ({ label, identity: `w${w}` })))).flat());

async function write(name: string, set: GaitSet): Promise<string> {
  await writeGaitFile(at(name), set, { metadata: { source_note: name } });
  return at(name);
}

/** The parts read back: ids, walkers and per-label counts. */
async function readParts(files: string[]) {
  return Promise.all(files.map(async (f) => {
    const s = await readGaitFile(f);
    return { ids: s.ids, walkers: new Set(s.identity), labels: s.countsByLabel() };
  }));
}

describe('splitGaitFile', () => {
  it('puts every gait in exactly one part, every walker on one side, and cuts each label 4:1 by walker', async () => {
    // 5 walkers per label, 3 gaits each: 0.8/0.2 of 5 walkers is 4 and 1, so 12 and 3 gaits of every label
    const input = await write('one-emotion.parquet', oneEmotionWalkers(5, 3));
    const out = [at('train.parquet'), at('test.arrow')];
    const r = await splitGaitFile(input, { fractions: [0.8, 0.2], out });
    expect(r).toMatchObject({ gaits: 60, seed: 1, groupedBy: 'identity' });
    const [train, test] = await readParts(out);
    expect([...train!.ids, ...test!.ids].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `g${i}`).sort());
    expect(new Set([...train!.ids, ...test!.ids]).size).toBe(60);
    expect([...train!.walkers].filter((w) => test!.walkers.has(w))).toEqual([]);
    expect(train!.labels).toEqual({ angry: 12, neutral: 12, happy: 12, sad: 12 });
    expect(test!.labels).toEqual({ angry: 3, neutral: 3, happy: 3, sad: 3 });
    // what --json prints is what was written
    expect(r.parts.map((p) => [p.path, p.fraction, p.gaits, p.groups.length])).toEqual([[out[0], 0.8, 48, 16], [out[1], 0.2, 12, 4]]);
    expect(r.parts[1]!.labels).toEqual(test!.labels);
    expect(r.parts[1]!.groups).toEqual([...test!.walkers].map((w) => `identity:${w}`).sort());
    const info = await readGaitFileInfo(out[1]!);
    expect(info.metadata).toMatchObject({ source_note: 'one-emotion.parquet', split_part: '2/2', split_fractions: '0.8,0.2', split_seed: '1', split_grouped_by: 'identity' });
  });

  it('moves walkers who walk in every emotion whole: 8 and 2 of 10 walkers', async () => {
    const input = await write('all-emotions.parquet', allEmotionWalkers(10, 2));
    const out = [at('all-train.parquet'), at('all-test.parquet')];
    await splitGaitFile(input, { fractions: [0.8, 0.2], out, seed: 4 });
    const [train, test] = await readParts(out);
    expect([train!.walkers.size, test!.walkers.size]).toEqual([8, 2]);
    expect(train!.labels).toEqual({ angry: 16, neutral: 16, happy: 16, sad: 16 });
    expect(test!.labels).toEqual({ angry: 4, neutral: 4, happy: 4, sad: 4 });
  });

  it('groups by recording when no gait has a walker', async () => {
    // 3 takes per label, 4 windows each: thirds of the takes
    const set = gaits(LABELS.flatMap((label) => Array.from({ length: 12 }, (_, k) => ({ label, recording: `${label}-take${Math.floor(k / 4)}` }))));
    const input = await write('takes.parquet', set);
    const out = [at('t1.parquet'), at('t2.parquet'), at('t3.parquet')];
    const r = await splitGaitFile(input, { fractions: [1 / 3, 1 / 3, 1 / 3], out });
    expect(r.groupedBy).toBe('recording');
    for (const p of r.parts) {
      expect(p.labels).toEqual({ angry: 4, neutral: 4, happy: 4, sad: 4 });
      expect(p.groups).toHaveLength(4);
    }
    const recordings = await Promise.all(out.map(async (f) => new Set((await readGaitFile(f)).recording)));
    expect(recordings.reduce((a, s) => a + s.size, 0)).toBe(12);
  });

  it('gives the same bits for the same seed and another split for another seed', async () => {
    const input = await write('seeded.parquet', oneEmotionWalkers(5, 3));
    // Arrow files: their bytes depend on the data only (a Parquet footer's do not)
    const split = async (name: string, seed: number) => {
      const out = [at(`${name}-a.arrow`), at(`${name}-b.arrow`)];
      await splitGaitFile(input, { fractions: [0.8, 0.2], out, seed });
      return out.map((f) => readFileSync(f));
    };
    const [a1, b1] = await split('s1', 7);
    const [a2, b2] = await split('s1-again', 7);
    expect(a2!.equals(a1!)).toBe(true);
    expect(b2!.equals(b1!)).toBe(true);
    await split('s2', 8);
    const [test7, test8] = await readParts([at('s1-b.arrow'), at('s2-b.arrow')]);
    expect(test8!.labels).toEqual(test7!.labels);
    expect([...test8!.walkers].sort()).not.toEqual([...test7!.walkers].sort());
  });

  it('names the option, the label or the grouping it refuses, and writes nothing', async () => {
    const input = await write('errors.parquet', oneEmotionWalkers(5, 3));
    const out = [at('e-train.parquet'), at('e-test.parquet')];
    const bad = async (options: Parameters<typeof splitGaitFile>[1], file = input) => {
      const e = await errorOf(splitGaitFile(file, options));
      for (const f of options.out) expect(existsSync(f)).toBe(false);
      return e;
    };
    expect((await bad({ fractions: [0.8, 0.3], out })).message).toMatch(/split fractions \[0\.8,0\.3\] sum to 1\.1, not 1/);
    expect((await bad({ fractions: [1, 0], out })).message).toMatch(/every part needs a fraction above 0/);
    const e = await bad({ fractions: [0.8, 0.2], out: [out[0]!] });
    expect([e.code, e.message]).toEqual(['E_OPTION', '1 output file for 2 split fractions: name one file per part']);
    expect((await bad({ fractions: [0.5, 0.5], out: [out[0]!, out[0]!] })).message).toMatch(/e-train\.parquet is named twice/);
    // the one walker of 'sad' cannot be in both parts
    const few = await write('few.parquet', gaits([
      ...LABELS.slice(0, 3).flatMap((label) => Array.from({ length: 5 }, (_, w) => ({ label, identity: `${label}-w${w}` }))),
      { label: 'sad', identity: 'lonely' }, { label: 'sad', identity: 'lonely' },
    ]));
    const f = await bad({ fractions: [0.8, 0.2], out }, few);
    expect([f.code, f.message]).toEqual(['E_VALUE', `label "sad" has 1 walker (grouped by identity): too few for the split fractions 0.8, 0.2, which leave ${out[1]} none of it`]);
    // neither walkers nor recordings: gait by gait only when asked for
    const loose = await write('loose.parquet', gaits(Array.from({ length: 20 }, (_, i) => ({ label: LABELS[i % 4]! }))));
    expect((await bad({ fractions: [0.5, 0.5], out }, loose)).message).toMatch(/neither walkers \(identity\) nor recordings.*ask for grouping 'gait'/);
    // 5 gaits per label, halved: round(2.5) = 3 and 2
    const r = await splitGaitFile(loose, { fractions: [0.5, 0.5], out, groupBy: 'gait' });
    expect(r.parts.map((p) => p.labels)).toEqual([{ angry: 3, neutral: 3, happy: 3, sad: 3 }, { angry: 2, neutral: 2, happy: 2, sad: 2 }]);
  });

  it('leaves nothing behind when a later part cannot be written', async () => {
    const input = await write('atomic.parquet', oneEmotionWalkers(5, 3));
    const dir = at('atomic');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const e = await errorOf(splitGaitFile(input, { fractions: [0.8, 0.2], out: [path.join(dir, 'train.parquet'), path.join(dir, 'not-a-folder', 'test.parquet')] }));
    expect(e.code).toBe('E_IO');
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
  });
});

describe('gaitforge split', () => {
  it('prints what went where with --json, and one line naming a bad --fractions', async () => {
    const input = await write('cli.parquet', oneEmotionWalkers(5, 2));
    const r = await runCli('split', '--data', input, '--fractions', '0.8,0.2', '--out', `${at('cli-train.parquet')},${at('cli-test.parquet')}`, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.parts.map((p: { gaits: number; groups: string[] }) => [p.gaits, p.groups.length])).toEqual([[32, 16], [8, 4]]);
    const b = await runCli('split', '--data', input, '--fractions', '0.8,x', '--out', 'a.parquet,b.parquet');
    expect(b.status).toBe(2);
    expect(b.stderr).toBe('gaitforge: --fractions "0.8,x": "x" is not a number\n');
  });
});

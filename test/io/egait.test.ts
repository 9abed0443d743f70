import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { importEgait, parseLabelMap, preprocess } from '../../src/io/index.js';
import { tempDir } from './helpers.js';

const STEP_FIXTURES = fileURLToPath(new URL('../fixtures/egait-format', import.meta.url));
const stepFeatures = path.join(STEP_FIXTURES, 'features4DCVAEGCN.h5');
const stepLabels = path.join(STEP_FIXTURES, 'labels4DCVAEGCN.h5');
const tmp = tempDir();
const at = (n: string) => path.join(tmp.dir, n);
afterAll(() => tmp.cleanup());

/** Value of joint j, axis a, frame t in the made-up gaits: distinct for every (gait, t, j, a). */
const val = (gait: number, t: number, j: number, a: number) => gait * 10 + t + j / 100 + a / 1000 + 1 / 3;

/** Writes features/labels files in STEP's layout: one [T, 48] float64 dataset per key, one int scalar per key. */
async function writeH5(name: string, gaits: { key: string; T: number; label: number; nan?: boolean; shape?: number[] }[], labels = true) {
  await h5wasm.ready;
  const f = new h5wasm.File(at(`${name}-features.h5`), 'w');
  gaits.forEach((g, i) => {
    const data = new Float64Array(g.T * 48);
    for (let t = 0; t < g.T; t++) for (let j = 0; j < 16; j++) for (let a = 0; a < 3; a++) data[t * 48 + j * 3 + a] = val(i, t, j, a);
    if (g.nan) data[1 * 48 + 5 * 3 + 1] = NaN;
    f.create_dataset({ name: g.key, data, shape: g.shape ?? [g.T, 48], dtype: '<d' });
  });
  f.close();
  if (labels) {
    const l = new h5wasm.File(at(`${name}-labels.h5`), 'w');
    for (const g of gaits) l.create_dataset({ name: g.key, data: new BigInt64Array([BigInt(g.label)]), shape: [] });
    l.close();
  }
  return { features: at(`${name}-features.h5`), labels: at(`${name}-labels.h5`) };
}

async function failure(p: Promise<unknown>): Promise<GaitforgeError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(GaitforgeError);
  return e as GaitforgeError;
}

let made: { features: string; labels: string };
beforeAll(async () => {
  made = await writeH5('ok', [
    { key: 'g_b', T: 3, label: 3 },
    { key: 'g_a', T: 5, label: 0 },
    { key: 'g_c', T: 9, label: 2 },
  ]);
});

describe('E-Gait HDF5 import', () => {
  it('matches labels by key, tiles short clips cyclically, cuts long ones, keeps original lengths', async () => {
    const s = await importEgait({ ...made, frames: 7 });
    expect(s.ids).toEqual(['g_a', 'g_b', 'g_c']); // HDF5 lists keys in name order
    expect(s.labelNames).toEqual(['angry', 'happy', 'sad']);
    expect(s.ids.map((_, i) => s.labelOf(i))).toEqual(['angry', 'sad', 'happy']);
    expect(Array.from(s.frames)).toEqual([5, 3, 9]);
    // file order of writing was g_b (0), g_a (1), g_c (2)
    const src = { g_b: 0, g_a: 1, g_c: 2 } as Record<string, number>;
    for (let i = 0; i < 3; i++) {
      const g = s.gait(i);
      const Tsrc = s.frames[i]!;
      for (const t of [0, 4, 6]) for (const j of [0, 7, 15]) for (let a = 0; a < 3; a++)
        expect(g[(t * 16 + j) * 3 + a]).toBe(Math.fround(val(src[s.ids[i]!]!, t % Tsrc, j, a)));
    }
  });

  it('records each key as its recording and marks the keys a pattern names as synthetic', async () => {
    const s = await importEgait({ ...made, frames: 7 });
    expect(s.recording).toEqual(['g_a', 'g_b', 'g_c']);
    expect(s.source).toEqual(['real', 'real', 'real']);
    const m = await importEgait({ ...made, frames: 7, syntheticPattern: '_[bc]$', generator: 'step-gen' });
    expect(m.source).toEqual(['real', 'synthetic', 'synthetic']);
    expect(m.generator).toEqual([null, 'step-gen', 'step-gen']);
    const err = await failure(importEgait({ ...made, syntheticPattern: '(' }));
    expect(err.message).toMatch(/syntheticPattern "\(" is not a regular expression/);
  });

  it('resamples instead of tiling on request', async () => {
    const s = await importEgait({ ...made, frames: 5, lengthMode: 'resample' });
    const g = s.gait(1); // g_b: 3 frames → 5; frame 1 of 5 lies halfway between source frames 0 and 1
    expect(g[(1 * 16 + 2) * 3]).toBeCloseTo((val(0, 0, 2, 0) + val(0, 1, 2, 0)) / 2, 5);
    expect(g[(4 * 16 + 2) * 3]).toBeCloseTo(val(0, 2, 2, 0), 5);
  });

  it('reads the STEP-format fixtures: six label values, 18 frames, float64, degenerate skeletons', async () => {
    const err = await failure(importEgait({ features: stepFeatures, labels: stepLabels }));
    expect(err.code).toBe('E_LABEL');
    expect(err.message).toMatch(/labels4DCVAEGCN\.h5: key 00001_Emo4: label value 4 is not in the label map/);

    const map = parseLabelMap('0=emo0,1=angry,2=neutral,3=happy,4=emo4,5=sad');
    const s = await importEgait({ features: stepFeatures, labels: stepLabels, labelMap: map, identityPattern: '^(\\d+)_' });
    expect(s.N).toBe(60);
    expect(s.countsByLabel()).toEqual({ angry: 10, neutral: 10, happy: 10, sad: 10, emo0: 10, emo4: 10 });
    // the label values agree with the names in the keys
    s.ids.forEach((id, i) => expect(s.labelOf(i)).toBe(id.split('_')[1]!.toLowerCase()));
    expect(new Set(s.identity).size).toBe(10);
    expect(new Set(s.frames)).toEqual(new Set([18]));
    // labels taken from the key names give the same labels
    const k = await importEgait({ features: stepFeatures, labelsFrom: 'key' });
    expect(k.ids.map((_, i) => k.labelOf(i))).toEqual(s.ids.map((_, i) => s.labelOf(i)));

    // float64 → float32, and frames 18.. repeat frames 0..
    await h5wasm.ready;
    const f = new h5wasm.File(stepFeatures, 'r');
    const raw = (f.get('00001_Angry') as InstanceType<typeof h5wasm.Dataset>).value as Float64Array;
    f.close();
    const g = s.gait(s.ids.indexOf('00001_Angry'));
    for (let k2 = 0; k2 < 18 * 48; k2 += 37) expect(g[k2]).toBe(Math.fround(raw[k2]!));
    expect(Array.from(g.subarray(18 * 48, 19 * 48))).toEqual(Array.from(g.subarray(0, 48)));
    // joints 11, 12, 14, 15 coincide in frame 0: preprocessing copes with the zero-length bones
    expect(Array.from(g.subarray(11 * 3, 12 * 3))).toEqual(Array.from(g.subarray(12 * 3, 13 * 3)));
    const p = preprocess(s, { view: 'canonical', scale: 'height' });
    expect(p.positions.every(Number.isFinite)).toBe(true);
  });

  it('bad input: missing label, unknown label value, NaN, wrong shape, non-HDF5 and truncated files', async () => {
    const missing = await writeH5('missing', [{ key: 'x', T: 3, label: 0 }]);
    const l = new h5wasm.File(missing.labels, 'w'); // overwrite labels with a different key
    l.create_dataset({ name: 'y', data: new BigInt64Array([0n]), shape: [] });
    l.close();
    let e = await failure(importEgait(missing));
    expect([e.code, e.message]).toEqual(['E_LABEL', `${missing.labels}: no label for key x of ${missing.features}`]);

    e = await failure(importEgait({ ...(await writeH5('unknown', [{ key: 'x', T: 3, label: 9 }])) }));
    expect(e.message).toMatch(/key x: label value 9 is not in the label map \(0=angry, 1=neutral, 2=happy, 3=sad\)/);

    e = await failure(importEgait(await writeH5('nan', [{ key: 'ok', T: 3, label: 0 }, { key: 'zz', T: 3, label: 0, nan: true }])));
    expect([e.code, e.message]).toEqual(['E_VALUE', `${at('nan-features.h5')}: key zz, frame 1, joint 5: value NaN is not finite`]);

    e = await failure(importEgait(await writeH5('shape', [{ key: 'w', T: 4, label: 0, shape: [4, 16, 3] }, { key: 'x', T: 4, label: 0, shape: [48, 4] }])));
    expect([e.code, e.message]).toEqual(['E_SHAPE', `${at('shape-features.h5')}: key x has shape [48, 4], expected [T, 48] or [T, 16, 3]`]);

    writeFileSync(at('junk.h5'), 'this is not HDF5');
    e = await failure(importEgait({ features: at('junk.h5'), labels: made.labels }));
    expect([e.code, e.message]).toEqual(['E_FORMAT', `${at('junk.h5')}: not an HDF5 file (no HDF5 signature)`]);

    const bytes = readFileSync(stepFeatures);
    writeFileSync(at('cut.h5'), bytes.subarray(0, bytes.length >> 1));
    e = await failure(importEgait({ features: at('cut.h5'), labels: stepLabels }));
    expect(e.code).toBe('E_FORMAT');
    expect(e.message).toMatch(/cut\.h5: cannot open HDF5 file: File has been truncated/);

    e = await failure(importEgait({ features: at('nope.h5'), labels: made.labels }));
    expect([e.code, e.message]).toEqual(['E_IO', `${at('nope.h5')}: no such file`]);
  });
});

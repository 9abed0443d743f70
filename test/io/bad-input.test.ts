import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Table, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { BatchBuilder, openGaitWriter, readGaitFile, readGaitFileInfo, writeGaitFile } from '../../src/io/index.js';
import { sampleSet, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const at = (n: string) => path.join(tmp.dir, n);
const set = sampleSet(6, 4, 16, 11);

async function failure(p: Promise<unknown>): Promise<GaitforgeError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(GaitforgeError);
  return e as GaitforgeError;
}
/** A copy of `set` with one non-finite value at gait g, frame t, joint j, axis a (built without validation). */
function withValue(v: number, g: number, t: number, j: number, a = 1): GaitSet {
  const p = Float32Array.from(set.positions);
  p[g * set.stride + (t * 16 + j) * 3 + a] = v;
  return new GaitSet({ ...set, labels: set.labels, labelNames: set.labelNames, T: set.T, positions: p }, { validateValues: false });
}
const leftovers = (prefix: string) => tmp.files().filter((f) => f.includes(prefix));

describe('bad gait files give one clear error and leave nothing behind', () => {
  it('truncated and corrupt Parquet / Arrow files', async () => {
    for (const ext of ['parquet', 'arrow']) {
      await writeGaitFile(at(`good.${ext}`), set);
      const bytes = readFileSync(at(`good.${ext}`));
      writeFileSync(at(`cut.${ext}`), bytes.subarray(0, bytes.length >> 1));
      // one read at a time: a second promise made up front rejects while the first is awaited (an unhandled rejection)
      for (const read of [readGaitFile, readGaitFileInfo]) {
        const e = await failure(read(at(`cut.${ext}`)));
        expect(e.code).toBe('E_FORMAT');
        expect(e.message.startsWith(`${at(`cut.${ext}`)}: not a readable ${ext === 'parquet' ? 'Parquet' : 'Arrow IPC'} file`)).toBe(true);
      }
      const garbage = Buffer.from(bytes);
      garbage.fill(0x5a, 64, bytes.length - 2048); // data pages / record batch bodies overwritten, footer kept
      writeFileSync(at(`junk.${ext}`), garbage);
      const e = await readGaitFile(at(`junk.${ext}`)).then(() => null, (x: unknown) => x);
      // Arrow IPC has no checksums: overwritten float bytes may still decode; anything caught must be a clear error.
      if (ext === 'parquet' || e) {
        expect(e).toBeInstanceOf(GaitforgeError);
        expect((e as Error).message.startsWith(at(`junk.${ext}`))).toBe(true);
      }
    }
    const e = await failure(readGaitFile(at('missing.parquet')));
    expect([e.code, e.message]).toEqual(['E_IO', `${at('missing.parquet')}: no such file`]);
    const x = await failure(readGaitFile(at('gaits.csv')));
    expect([x.code, x.message]).toEqual(['E_OPTION', `${at('gaits.csv')}: unknown gait file extension ".csv" (use .parquet, .pq, .arrow, .feather, .ipc, .arrows)`]);
  });

  it('wrong schemas: a missing column, a wrong type, positions of the wrong size', async () => {
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    await writeGaitFile(at('ref.parquet'), set);
    await con.run(`COPY (SELECT id, label FROM read_parquet('${at('ref.parquet')}')) TO '${at('nopos.parquet')}' (FORMAT parquet)`);
    let e = await failure(readGaitFile(at('nopos.parquet')));
    expect([e.code, e.message]).toEqual(['E_FORMAT', `${at('nopos.parquet')}: not a gait table: column positions is missing (columns: id, label)`]);
    await con.run(`COPY (SELECT id, label_id AS label, positions FROM read_parquet('${at('ref.parquet')}')) TO '${at('intlabel.parquet')}' (FORMAT parquet)`);
    e = await failure(readGaitFileInfo(at('intlabel.parquet')));
    expect([e.code, e.message]).toEqual(['E_FORMAT', `${at('intlabel.parquet')}: column label has type Int8, expected utf8 or dictionary<utf8>`]);
    // positions declared [4, 16, 3] by the metadata but stored as 4·15·3 lists
    const b = new BatchBuilder({ T: 4, V: 15, fps: 30, skeleton: 'x', labelNames: ['a'] });
    const bad = b.batch(new GaitSet({ positions: new Float32Array(4 * 15 * 3), labels: [0], labelNames: ['a'], T: 4, V: 15, skeleton: 'x' }));
    const schema = bad.schema;
    schema.metadata.set('gaitforge:V', '16');
    writeFileSync(at('size.arrow'), tableToIPC(new Table([bad]), 'file'));
    e = await failure(readGaitFile(at('size.arrow')));
    expect([e.code, e.message]).toEqual(['E_FORMAT', `${at('size.arrow')}: positions lists hold 180 values but T·V·3 = 4·16·3 = 192`]);
  });

  it('NaN / Inf: refused on write (nothing written, an older file kept) and named on read', async () => {
    await writeGaitFile(at('keep.parquet'), set);
    const before = readFileSync(at('keep.parquet'));
    const e = await failure(writeGaitFile(at('keep.parquet'), withValue(NaN, 3, 2, 7)));
    expect([e.code, e.message]).toEqual(['E_VALUE', `${at('keep.parquet')}: gait 3 (gait-3-é), frame 2, joint 7: value NaN is not finite`]);
    expect(readFileSync(at('keep.parquet')).equals(before)).toBe(true);
    expect(leftovers('keep')).toEqual(['keep.parquet']);
    const i = await failure(writeGaitFile(at('inf.arrow'), withValue(-Infinity, 0, 0, 0, 0)));
    expect(i.code).toBe('E_VALUE');
    expect(leftovers('inf')).toEqual([]);

    // a file holding a NaN (written around the checks) is refused on read, naming row, id, frame and joint
    const b = new BatchBuilder({ T: 4, V: 16, fps: 30, skeleton: 'egait16', labelNames: set.labelNames });
    writeFileSync(at('nan.arrow'), tableToIPC(new Table([b.batch(withValue(Infinity, 5, 3, 15))]), 'file'));
    const r = await failure(readGaitFile(at('nan.arrow')));
    expect([r.code, r.message]).toEqual(['E_VALUE', `${at('nan.arrow')}: gait 5 (gait-5-é), frame 3, joint 15: value Infinity is not finite`]);
  });

  it('unknown labels on read and on append; a failed or aborted stream leaves no file', async () => {
    await writeGaitFile(at('labels.parquet'), set);
    const e = await failure(readGaitFile(at('labels.parquet'), { labelNames: ['angry', 'neutral', 'happy'] }));
    expect([e.code, e.message]).toEqual(['E_LABEL', `${at('labels.parquet')}: row 1 (id "gait-1-é"): label "sad" is not one of angry, neutral, happy`]);

    const w = await openGaitWriter(at('stream.parquet'), { T: 4, V: 16, fps: 30, skeleton: 'egait16', labelNames: ['angry', 'neutral'], rowGroupSize: 2 });
    await w.append(set.select([0, 4]));
    const a = await failure(w.append(set));
    expect([a.code, a.message]).toEqual(['E_LABEL', `${at('stream.parquet')}: gait 1 (gait-1-é) has label "sad", which is not one of the file's labels (angry, neutral)`]);
    await w.abort();
    expect(leftovers('stream')).toEqual([]);
    const w2 = await openGaitWriter(at('stream2.arrow'), { T: 4, V: 16, fps: 30, skeleton: 'egait16', labelNames: set.labelNames });
    await w2.append(set);
    await w2.abort();
    expect(leftovers('stream2')).toEqual([]);
    const s = await failure(writeGaitFile(at('shape.parquet'), sampleSet(2, 5, 16)).then(async () => {
      const w3 = await openGaitWriter(at('shape2.parquet'), { T: 4, V: 16, fps: 30, skeleton: 'egait16', labelNames: set.labelNames });
      try {
        await w3.append(sampleSet(2, 5, 16));
      } finally {
        await w3.abort();
      }
    }));
    expect([s.code, s.message]).toEqual(['E_SHAPE', `${at('shape2.parquet')}: gaits shaped [T=5, V=16] do not fit a file of [T=4, V=16]`]);
    expect(leftovers('shape2')).toEqual([]);
    const m = await failure(writeGaitFile(at('meta.parquet'), set, { metadata: { 'gaitforge:T': '9' } }));
    expect(m.code).toBe('E_OPTION');
    // missing folders are created; a write that fails removes the ones it created
    await writeGaitFile(at('new/deeper/x.parquet'), set);
    expect(readdirSync(at('new/deeper'))).toEqual(['x.parquet']);
    const w4 = await openGaitWriter(at('fresh/dir/s.parquet'), { T: 4, V: 16, fps: 30, skeleton: 'egait16', labelNames: ['angry'] });
    await failure(w4.append(set));
    await w4.abort();
    expect(existsSync(at('fresh'))).toBe(false);
    writeFileSync(at('plain-file'), 'not a folder');
    const d = await failure(writeGaitFile(at('plain-file/sub/x.parquet'), set));
    expect(d.code).toBe('E_IO');
    expect(d.message).toMatch(/plain-file\/sub\/x\.parquet/);
    expect(tmp.files().filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

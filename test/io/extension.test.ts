// The positions column follows the Arrow canonical extension spec for arrow.fixed_shape_tensor:
// storage FixedSizeList<value_type>[product(shape)], field metadata ARROW:extension:name and
// ARROW:extension:metadata = JSON with "shape" (and optional "dim_names" of the same length).
// Checked on the raw schemas: the Arrow IPC file's schema message, and the Parquet file's
// ARROW:schema key-value entry (the schema pyarrow and Polars restore), read here through DuckDB.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { FixedSizeList, Precision, RecordBatchReader, Type, type Field, type Float, type Schema } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGaitFile } from '../../src/io/index.js';
import { sampleSet, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function checkTensorField(schema: Schema, T: number, V: number): void {
  const f = schema.fields.find((x) => x.name === 'positions') as Field<FixedSizeList<Float>>;
  expect(f, 'positions field').toBeDefined();
  expect(f.type).toBeInstanceOf(FixedSizeList);
  const item = f.type.children[0]!.type;
  expect([item.typeId, item.precision]).toEqual([Type.Float, Precision.SINGLE]); // value_type float32
  expect(f.metadata.get('ARROW:extension:name')).toBe('arrow.fixed_shape_tensor');
  const meta = JSON.parse(f.metadata.get('ARROW:extension:metadata')!) as { shape: number[]; dim_names?: string[]; permutation?: number[] };
  expect(meta.shape).toEqual([T, V, 3]);
  expect(f.type.listSize).toBe(meta.shape.reduce((a, b) => a * b, 1));
  expect(meta.dim_names).toHaveLength(meta.shape.length);
  expect(meta.permutation).toBeUndefined(); // row-major: frame, joint, xyz
  // the tag is on the field, not on the schema
  expect(schema.metadata.has('ARROW:extension:name')).toBe(false);
}

describe('docs/FORMAT.md: the DuckDB queries, run as written', () => {
  it('count labels, pick a joint coordinate, list the metadata', async () => {
    const doc = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');
    const sql = /```sql\n([\s\S]*?)```/.exec(doc)![1]!;
    const statements = sql.split(';').map((x) => x.replace(/--.*$/gm, '').trim()).filter(Boolean);
    expect(statements).toHaveLength(3);
    const set = sampleSet(10, 75, 16);
    const file = path.join(tmp.dir, 'doc.parquet');
    await writeGaitFile(file, set);
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const run = async (q: string) => (await con.runAndReadAll(q.replaceAll('gaits.parquet', file))).getRowObjects();
    const counts = Object.fromEntries((await run(statements[0]!)).map((r) => [r.label, Number(r.gaits)]));
    expect(counts).toEqual(Object.fromEntries(Object.entries(set.countsByLabel()).filter(([, n]) => n > 0)));
    const heads = await run(statements[1]!);
    const byId = [...set.ids.keys()].sort((a, b) => (set.ids[a]! < set.ids[b]! ? -1 : 1)).slice(0, 3);
    expect(heads.map((r) => r.id)).toEqual(byId.map((i) => set.ids[i]));
    expect(heads.map((r) => r.head_y_frame0)).toEqual(byId.map((i) => set.gait(i)[3 * 3 + 1])); // frame 0, joint 3, y
    const kv = Object.fromEntries((await run(statements[2]!)).map((r) => [r.key, r.value]));
    expect(kv).toMatchObject({ 'gaitforge:T': '75', 'gaitforge:V': '16' });
  });
});

describe('arrow.fixed_shape_tensor on positions', () => {
  const set = sampleSet(6, 7, 16);

  it('in the Arrow IPC file schema', async () => {
    const file = path.join(tmp.dir, 'g.arrow');
    await writeGaitFile(file, set);
    const reader = RecordBatchReader.from(readFileSync(file));
    reader.open();
    checkTensorField(reader.schema, 7, 16);
  });

  it('in the ARROW:schema entry of the Parquet key-value metadata', async () => {
    const file = path.join(tmp.dir, 'g.parquet');
    await writeGaitFile(file, set);
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await con.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata('${file}') WHERE decode(key) = 'ARROW:schema'`)).getRowObjects();
    expect(rows).toHaveLength(1);
    // base64 of one IPC schema message (continuation marker + length + flatbuffer); an end-of-stream
    // marker after it makes an IPC stream that apache-arrow reads.
    const msg = Buffer.from(String(rows[0]!.v), 'base64');
    const reader = RecordBatchReader.from(Buffer.concat([msg, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]));
    reader.open();
    checkTensorField(reader.schema, 7, 16);
  });
});

import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { readGaitFile, writeGaitFile } from '../../src/io/index.js';
import { sampleSet, tempDir } from './helpers.js';

// DuckDB is an independent Parquet reader (and writer): it checks that the
// files are standard Parquet with the documented types and values.
const tmp = tempDir();
const file = path.join(tmp.dir, 'gaits.parquet');
const set = sampleSet(12, 75, 16, 3);
let con: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjects();

beforeAll(async () => {
  await writeGaitFile(file, set, { metadata: { experiment: 'duckdb' }, rowGroupSize: 5 });
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => tmp.cleanup());

describe('DuckDB reads gaitforge Parquet', () => {
  it('sees the documented column types', async () => {
    const types = Object.fromEntries((await q(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({
      id: 'VARCHAR', label: 'VARCHAR', label_id: 'TINYINT', identity: 'VARCHAR', source: 'VARCHAR', generator: 'VARCHAR',
      seed: 'BIGINT', frames: 'SMALLINT',
    });
    expect(['FLOAT[]', 'FLOAT[3600]']).toContain(types.positions);
  });

  it('reads the same values', async () => {
    const rows = await q(`SELECT id, label, label_id, identity, source, generator, seed, frames, len(positions) AS n,
      positions[1] AS p0, positions[1800] AS pmid, positions[3600] AS plast FROM read_parquet('${file}')`);
    expect(rows).toHaveLength(set.N);
    rows.forEach((r, i) => {
      const g = set.gait(i);
      expect(r).toEqual({
        id: set.ids[i], label: set.labelOf(i), label_id: set.labels[i], identity: set.identity[i], source: set.source[i],
        generator: set.generator[i], seed: set.seed[i] == null ? null : BigInt(set.seed[i]!), frames: set.frames[i], n: 3600n,
        p0: g[0], pmid: g[1799], plast: g[3599],
      });
    });
    const [sum] = await q(`SELECT sum(list_sum(positions)::DOUBLE) AS s FROM read_parquet('${file}')`);
    const expected = set.positions.reduce((a, b) => a + b, 0);
    expect(Math.abs((sum!.s as number) - expected)).toBeLessThan(1e-6 * set.positions.length);
  });

  it('finds the key-value metadata, ZSTD, byte-stream-split and dictionaries', async () => {
    const kv = Object.fromEntries((await q(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}')`)).map((r) => [r.k, r.v]));
    expect(kv).toMatchObject({ 'gaitforge:T': '75', 'gaitforge:V': '16', 'gaitforge:fps': '25', experiment: 'duckdb' });
    expect(JSON.parse(kv['gaitforge:label_names'] as string)).toEqual(set.labelNames);
    const meta = await q(`SELECT path_in_schema AS p, compression AS c, encodings AS e, row_group_num_rows AS n FROM parquet_metadata('${file}')`);
    const pos = meta.filter((m) => String(m.p).startsWith('positions'));
    expect(pos.map((m) => Number(m.n))).toEqual([5, 5, 2]);
    for (const m of pos) {
      expect(m.c).toBe('ZSTD');
      expect(String(m.e)).toContain('BYTE_STREAM_SPLIT');
    }
    expect(String(meta.find((m) => m.p === 'label')!.e)).toMatch(/DICTIONARY/);
  });

  it('a file DuckDB writes (FLOAT[] positions, plain VARCHAR labels) reads back; a wrong-length row is named', async () => {
    const out = path.join(tmp.dir, 'from-duckdb.parquet');
    const kv = `KV_METADATA {'gaitforge:T': '75', 'gaitforge:V': '16', 'gaitforge:fps': '25'}`;
    await con.run(`COPY (SELECT id, label::VARCHAR AS label, positions::FLOAT[] AS positions FROM read_parquet('${file}') ORDER BY id)
      TO '${out}' (FORMAT parquet, ${kv})`);
    const back = await readGaitFile(out, { labelNames: set.labelNames });
    const order = [...set.ids.keys()].sort((a, b) => (set.ids[a]! < set.ids[b]! ? -1 : 1));
    expect(back.ids).toEqual(order.map((i) => set.ids[i]));
    expect(Array.from(back.gait(2))).toEqual(Array.from(set.gait(order[2]!)));

    const bad = path.join(tmp.dir, 'short-row.parquet');
    await con.run(`COPY (SELECT id, label::VARCHAR AS label,
        CASE WHEN id = '${set.ids[4]}' THEN positions[1:3599] ELSE positions END::FLOAT[] AS positions
      FROM read_parquet('${file}')) TO '${bad}' (FORMAT parquet, ${kv})`);
    const err = await readGaitFile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GaitforgeError);
    expect((err as GaitforgeError).code).toBe('E_SHAPE');
    expect((err as Error).message).toContain(`row 4 (id "${set.ids[4]}"): positions holds 3599 values, expected T·V·3 = 75·16·3 = 3600`);
  });
});

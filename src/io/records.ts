/**
 * Flat tables of plain records (results, metrics) to Parquet, for any tool
 * that reads Parquet (DuckDB, pandas, Polars). Numbers become float64,
 * integers int32 when every value is an integer in range, strings utf8,
 * booleans bool; nested values are stored as JSON strings.
 */
import { tableFromArrays, tableToIPC, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';

export type RecordValue = string | number | boolean | null | undefined | object;

function column(rows: Record<string, RecordValue>[], key: string): unknown {
  const vals = rows.map((r) => r[key]);
  const present = vals.filter((v) => v !== null && v !== undefined);
  if (present.every((v) => typeof v === 'number')) {
    const ints = present.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31);
    if (ints && present.length === vals.length) return Int32Array.from(vals as number[]);
    return Float64Array.from(vals.map((v) => (v === null || v === undefined ? NaN : (v as number))));
  }
  if (present.every((v) => typeof v === 'boolean') && present.length === vals.length) return vals as boolean[];
  return vals.map((v) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v)));
}

/** Writes `rows` (same keys in every row, taken from the first) to a Parquet file, atomically. */
export function writeRecordsParquet(file: string, rows: Record<string, RecordValue>[], metadata: Record<string, string> = {}): void {
  if (rows.length === 0) throw new GaitforgeError('E_VALUE', `no rows to write to ${file}`);
  const keys = Object.keys(rows[0]!);
  const table = tableFromArrays(Object.fromEntries(keys.map((k) => [k, column(rows, k)])) as never) as unknown as Table;
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setKeyValueMetadata(new Map(Object.entries(metadata))).build();
  const bytes = pw.writeParquet(wasmTable, props);
  writeFilesAtomic([{ path: file, data: bytes }]);
}

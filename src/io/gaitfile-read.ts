/**
 * Reading gait files: the whole table, its metadata alone, or row group by
 * row group, from Parquet (parquet-wasm) or Arrow IPC (apache-arrow), checked
 * by decode.ts. Pure TypeScript; never imports tfjs.
 */
import { openAsBlob } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, tableFromIPC, type RecordBatch, type Schema, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import type { GaitSet } from '../core/gaitset.js';
import { GaitTableDecoder, decodeSpec, type DecodedSpec, type ReadGaitOptions } from './decode.js';
import { ioError, requireFormat, type GaitFileFormat } from './gaitfile-format.js';

/** What a gait file holds, read without loading its positions (Parquet) or batch by batch (Arrow). */
export interface GaitFileInfo extends Omit<DecodedSpec, 'version'> {
  path: string;
  format: GaitFileFormat;
  bytes: number;
  rows: number;
  /** Parquet row groups or Arrow record batches. */
  batches: number;
  /** The gaitforge version that wrote the file (null when not recorded). */
  gaitforgeVersion: string | null;
  columns: { name: string; type: string; nullable: boolean }[];
  /** Parquet only: codec and encodings of the positions column chunks, and the writer. */
  parquet?: { createdBy: string | null; positionsCompression: string; positionsEncodings: string[] };
}

interface Source {
  schema: Schema;
  rows: number | null;
  batches: () => AsyncGenerator<RecordBatch>;
  info: () => Promise<{ rows: number; batches: number; parquet?: GaitFileInfo['parquet'] }>;
  close: () => Promise<void>;
}

async function openParquet(file: string): Promise<Source> {
  let pf: pw.ParquetFile;
  let schema: Schema;
  try {
    await stat(file);
    pf = await pw.ParquetFile.fromFile(await openAsBlob(file));
    schema = tableFromIPC(pf.schema().intoIPCStream()).schema;
  } catch (e) {
    throw ioError(file, 'read Parquet file', e);
  }
  const md = pf.metadata();
  const groups = md.numRowGroups();
  const rows = md.fileMetadata().numRows();
  return {
    schema,
    rows,
    async *batches() {
      for (let g = 0; g < groups; g++) {
        let t: Table;
        try {
          t = tableFromIPC((await pf.read({ rowGroups: [g], batchSize: 1 << 30 })).intoIPCStream());
        } catch (e) {
          throw ioError(file, `read Parquet file (row group ${g})`, e);
        }
        yield* t.batches;
      }
    },
    async info() {
      let parquet: GaitFileInfo['parquet'];
      if (groups > 0) {
        const cols = md.rowGroup(0).columns();
        const pos = cols.find((c) => c.columnPath()[0] === 'positions');
        if (pos)
          parquet = {
            createdBy: md.fileMetadata().createdBy() ?? null,
            positionsCompression: pw.Compression[pos.compression()] ?? String(pos.compression()),
            positionsEncodings: pos.encodings().map((e) => pw.Encoding[e] ?? String(e)),
          };
      }
      return { rows, batches: groups, parquet };
    },
    async close() {
      pf.free();
    },
  };
}

async function openArrow(file: string): Promise<Source> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw ioError(file, 'read', e);
  }
  const openReader = async () => {
    try {
      const r = await RecordBatchReader.from(fh);
      await r.open();
      if (!r.schema) throw new Error('no schema message');
      return r;
    } catch (e) {
      throw ioError(file, 'read Arrow IPC file', e);
    }
  };
  let reader = await openReader();
  const schema = reader.schema;
  let used = false;
  const batches = async function* () {
    if (used) reader = await openReader();
    used = true;
    const it = reader[Symbol.asyncIterator]();
    for (let i = 0; ; i++) {
      let r: IteratorResult<RecordBatch>;
      try {
        r = await it.next();
      } catch (e) {
        throw ioError(file, `read Arrow IPC file (record batch ${i})`, e);
      }
      if (r.done) return;
      yield r.value;
    }
  };
  return {
    schema,
    rows: null,
    batches,
    async info() {
      let rows = 0;
      let n = 0;
      for await (const b of batches()) {
        rows += b.numRows;
        n++;
      }
      return { rows, batches: n };
    },
    async close() {
      await fh.close().catch(() => undefined);
    },
  };
}

async function openSource(file: string): Promise<Source> {
  const format = requireFormat(file);
  return format === 'parquet' ? openParquet(file) : openArrow(file);
}

/** Schema, metadata and row count of a gait file (Parquet: from the footer only). Throws E_FORMAT on a bad schema. */
export async function readGaitFileInfo(file: string): Promise<GaitFileInfo> {
  const format = requireFormat(file);
  const src = await openSource(file);
  try {
    const spec = decodeSpec(src.schema, file);
    const { rows, batches, parquet } = await src.info();
    const { version, ...declared } = spec;
    return {
      path: file, format, bytes: (await stat(file)).size, rows, batches, ...declared, gaitforgeVersion: version,
      columns: src.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
      ...(parquet ? { parquet } : {}),
    };
  } finally {
    await src.close();
  }
}

/** Reads a whole gait file into one GaitSet. Bad data → GaitforgeError naming the file, row and column. */
export async function readGaitFile(file: string, options: ReadGaitOptions = {}): Promise<GaitSet> {
  const src = await openSource(file);
  try {
    const dec = new GaitTableDecoder(src.schema, file, options, src.rows ?? 0);
    for await (const b of src.batches()) dec.add(b);
    return dec.finish();
  } finally {
    await src.close();
  }
}

/**
 * Reads a gait file batch by batch (a Parquet row group or an Arrow record
 * batch at a time), for bounded-memory scans and conversions. Every yielded
 * set uses the same label names: `options.labelNames`, else the file's, else
 * (files without gaitforge metadata) the labels found in a first pass over
 * the label column.
 */
export async function* readGaitBatches(file: string, options: ReadGaitOptions = {}): AsyncGenerator<GaitSet> {
  const src = await openSource(file);
  try {
    const spec = decodeSpec(src.schema, file);
    let labelNames = options.labelNames ?? spec.labelNames;
    if (!labelNames) {
      const seen = new Set<string>();
      for await (const b of src.batches()) {
        const col = b.getChild('label');
        for (let i = 0; i < b.numRows; i++) {
          const v = col?.get(i) as string | null;
          if (v != null) seen.add(v);
        }
      }
      labelNames = [...seen];
    }
    let row = 0;
    for await (const b of src.batches()) {
      const dec = new GaitTableDecoder(src.schema, file, { ...options, labelNames }, b.numRows, row);
      dec.add(b);
      row += b.numRows;
      yield dec.finish();
    }
  } finally {
    await src.close();
  }
}

/**
 * Writing gait files, streamed: Parquet (parquet-wasm) or Arrow IPC
 * (apache-arrow). Writes are atomic: bytes go to `<target>.<pid>-<random>.tmp`
 * in the same folder, renamed onto the target only when the write succeeded;
 * a failed or aborted write removes the temporary file. The writer holds at
 * most one row group of gaits in flight (`rowGroupSize`, default 1,000).
 * Pure TypeScript; never imports tfjs.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RecordBatchFileWriter, RecordBatchStreamWriter, Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { GaitforgeError } from '../core/errors.js';
import { ensureParentDir, removeCreatedDir } from '../core/files.js';
import type { GaitSet } from '../core/gaitset.js';
import { VERSION } from '../core/version.js';
import { yieldToEventLoop } from '../core/yield.js';
import { DEFAULT_ROW_GROUP_SIZE, ioError, requireFormat, type GaitFileFormat } from './gaitfile-format.js';
import { BatchBuilder, GAIT_COLUMNS, tableMetadata, type GaitTableSpec } from './schema.js';

/** What a writer writes: the table's declaration (GaitTableSpec), and how. */
export interface GaitWriterOptions extends GaitTableSpec {
  /** Default: from the extension. */
  format?: GaitFileFormat;
  /** Gaits per row group / record batch. Default 1,000. */
  rowGroupSize?: number;
}

export interface GaitWriter {
  readonly path: string;
  readonly format: GaitFileFormat;
  /** Gaits appended so far. */
  readonly rows: number;
  /**
   * Appends gaits (same T, V, skeleton; labels matched by name to the file's
   * label names). Checks the whole set first (shape, labels, finite values),
   * so a failed append writes nothing of that set. Resolves once the batch
   * is handed to the encoder and earlier bytes are on their way to disk; the
   * caller may reuse `set.positions` after it resolves.
   */
  append(set: GaitSet): Promise<void>;
  /** Finishes the file and renames the temporary file onto the target. */
  close(): Promise<void>;
  /** Stops and removes the temporary file; the target is untouched. */
  abort(): Promise<void>;
}

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
    off += bytesWritten;
  }
}

abstract class BaseWriter implements GaitWriter {
  readonly path: string;
  readonly format: GaitFileFormat;
  protected readonly builder: BatchBuilder;
  protected readonly rowGroupSize: number;
  protected readonly tmp: string;
  protected fh: FileHandle;
  protected state: 'open' | 'sealed' | 'closed' | 'aborted' = 'open';
  protected failure: unknown = null;
  rows = 0;

  /** The topmost output folder this writer created (removed again on abort while empty). */
  createdDir: string | null = null;

  protected constructor(target: string, format: GaitFileFormat, builder: BatchBuilder, rowGroupSize: number, tmp: string, fh: FileHandle) {
    this.path = target;
    this.format = format;
    this.builder = builder;
    this.rowGroupSize = rowGroupSize;
    this.tmp = tmp;
    this.fh = fh;
  }

  protected check(): void {
    if (this.state !== 'open') throw new GaitforgeError('E_IO', `${this.path}: writer is already ${this.state}`);
    if (this.failure) throw ioError(this.path, 'write', this.failure);
  }

  async append(set: GaitSet): Promise<void> {
    this.check();
    const s = this.builder.conform(set, this.path);
    for (let start = 0; start < s.N; start += this.rowGroupSize) {
      await this.writeBatch(s, start, Math.min(s.N, start + this.rowGroupSize));
      this.rows += Math.min(s.N, start + this.rowGroupSize) - start;
    }
    await this.drain();
    this.check();
  }

  protected abstract writeBatch(set: GaitSet, start: number, end: number): Promise<void>;
  /** Waits until everything handed over so far has been written to the temporary file. */
  protected abstract drain(): Promise<void>;
  protected abstract finish(): Promise<void>;
  protected abstract stop(): Promise<void>;

  async close(): Promise<void> {
    await this.seal();
    await this.commit();
  }

  /** Completes the temporary file (finished, synced, closed) without renaming it onto the target; a failure aborts. */
  async seal(): Promise<void> {
    this.check();
    try {
      await this.finish();
      if (this.failure) throw this.failure;
      await this.fh.sync();
      await this.fh.close();
      this.state = 'sealed';
    } catch (e) {
      await this.abort();
      throw ioError(this.path, 'write', e);
    }
  }

  /** Renames the sealed temporary file onto the target; a failure removes it. */
  async commit(): Promise<void> {
    if (this.state !== 'sealed') throw new GaitforgeError('E_IO', `${this.path}: writer is ${this.state}, not sealed`);
    try {
      await rename(this.tmp, this.path);
      this.state = 'closed';
    } catch (e) {
      await this.abort();
      throw ioError(this.path, 'write', e);
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'closed' || this.state === 'aborted') return;
    const open = this.state === 'open';
    this.state = 'aborted';
    if (open) {
      try {
        await this.stop();
      } catch {
        /* the temporary file is removed below whatever state the encoder is in */
      }
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true });
    removeCreatedDir(this.createdDir, this.path);
  }
}

/**
 * Parquet writer properties: ZSTD; byte-stream-split, no dictionary, no
 * statistics on positions; dictionaries on metadata columns. The returned
 * object is consumed by the first parquet-wasm call it is passed to (a second
 * use would silently fall back to default settings): build one per write.
 */
export function parquetWriterProperties(spec: BatchBuilder['spec'], rowGroupSize: number): pw.WriterProperties {
  // parquet-wasm addresses per-column settings by a one-element column path, which only reaches top-level
  // primitive columns; the leaf of `positions` (positions.list.item) cannot be named. So the file-wide
  // defaults are the positions settings, and every other (top-level) column overrides them.
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setEncoding(pw.Encoding.BYTE_STREAM_SPLIT)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(pw.EnabledStatistics.None)
    .setMaxRowGroupSize(rowGroupSize)
    .setCreatedBy(`gaitforge ${VERSION} (parquet-wasm)`)
    .setKeyValueMetadata(tableMetadata(spec));
  const dictionaryColumns = ['label', 'label_id', 'identity', 'recording', 'source', 'generator', 'frames'];
  for (const col of GAIT_COLUMNS) {
    if (col === 'positions') continue;
    // ids and seeds are unique per gait: a dictionary would only add a page.
    const dict = dictionaryColumns.includes(col);
    b = b
      .setColumnEncoding(col, col === 'seed' ? pw.Encoding.DELTA_BINARY_PACKED : pw.Encoding.PLAIN)
      .setColumnDictionaryEnabled(col, dict)
      .setColumnStatisticsEnabled(col, pw.EnabledStatistics.Chunk);
  }
  return b.build();
}

/** An arrow-js batch → a parquet-wasm RecordBatch (through one IPC stream copy). */
function toWasmBatch(batch: RecordBatch): pw.RecordBatch {
  const t = pw.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  const rb = t.recordBatch(0)!;
  t.free();
  return rb;
}

class ParquetGaitWriter extends BaseWriter {
  private controller!: ReadableStreamDefaultController<pw.RecordBatch>;
  private readonly input: ReadableStream<pw.RecordBatch>;
  private pulled: (() => void) | null = null;
  private piping: Promise<void> | null = null;
  private readonly pipeAbort = new AbortController();
  private readonly props: pw.WriterProperties;

  constructor(target: string, builder: BatchBuilder, rowGroupSize: number, tmp: string, fh: FileHandle) {
    super(target, 'parquet', builder, rowGroupSize, tmp, fh);
    this.props = parquetWriterProperties(builder.spec, rowGroupSize);
    this.input = new ReadableStream<pw.RecordBatch>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => {
          const r = this.pulled;
          this.pulled = null;
          r?.();
        },
      },
      { highWaterMark: 1 },
    );
  }

  protected async writeBatch(set: GaitSet, start: number, end: number): Promise<void> {
    const rb = toWasmBatch(this.builder.batch(set, start, end, { freshDictionaries: true }));
    while ((this.controller.desiredSize ?? 0) <= 0 && !this.failure) await new Promise<void>((r) => (this.pulled = r));
    if (this.failure) throw this.failure;
    this.controller.enqueue(rb);
    if (!this.piping) {
      // parquet-wasm reads the first batch (for the schema) before it returns the byte stream.
      const out = (await pw.transformParquetStream(this.input, this.props)) as ReadableStream<Uint8Array>;
      const fh = this.fh;
      const sink = new WritableStream<Uint8Array>({ write: (chunk) => writeAll(fh, chunk) });
      this.piping = out.pipeTo(sink, { signal: this.pipeAbort.signal }).catch((e) => {
        if (this.state === 'open') this.failure = e;
      });
    }
    // Let the encoder and file writes run (they progress on microtasks and I/O callbacks).
    await yieldToEventLoop();
  }

  protected async drain(): Promise<void> {
    while ((this.controller.desiredSize ?? 1) <= 0 && !this.failure) await yieldToEventLoop();
  }

  protected async finish(): Promise<void> {
    if (!this.piping) {
      // No rows: parquet-wasm's stream writer needs a first batch, so write an empty table in one go.
      const empty = pw.Table.fromIPCStream(tableToIPC(new Table(this.builder.schema), 'stream'));
      await writeAll(this.fh, pw.writeParquet(empty, this.props));
      this.controller.close();
      return;
    }
    this.controller.close();
    await this.piping;
  }

  protected async stop(): Promise<void> {
    try {
      this.controller.error(new Error('aborted'));
    } catch {
      /* already closed */
    }
    this.pipeAbort.abort();
    await this.piping;
  }
}

class ArrowGaitWriter extends BaseWriter {
  private readonly writer: RecordBatchFileWriter | RecordBatchStreamWriter;
  private idle = true;
  private readonly pump: Promise<void>;

  constructor(target: string, builder: BatchBuilder, rowGroupSize: number, tmp: string, fh: FileHandle, stream: boolean) {
    super(target, 'arrow', builder, rowGroupSize, tmp, fh);
    // Uncompressed: arrow-js 21's compressed IPC is not readable by pyarrow.
    this.writer = stream ? new RecordBatchStreamWriter() : new RecordBatchFileWriter();
    const it = this.writer[Symbol.asyncIterator]();
    this.pump = (async () => {
      for (;;) {
        this.idle = true;
        const r = await it.next();
        this.idle = false;
        if (r.done) return;
        await writeAll(fh, r.value);
      }
    })().catch((e) => {
      this.failure = e;
    });
  }

  protected async writeBatch(set: GaitSet, start: number, end: number): Promise<void> {
    // The batch's positions are views on set.positions; drain() below waits until they are written.
    this.writer.write(this.builder.batch(set, start, end));
    await this.drain();
  }

  protected async drain(): Promise<void> {
    // The pump is idle after a macrotask only when the writer's queue is empty and every chunk is on disk.
    do await yieldToEventLoop();
    while (!this.idle && !this.failure);
  }

  protected async finish(): Promise<void> {
    if (this.rows === 0) this.writer.reset(undefined, this.builder.schema);
    this.writer.close();
    await this.pump;
  }

  protected async stop(): Promise<void> {
    this.writer.abort();
    await this.pump;
  }
}

/**
 * Opens a streaming gait writer: append gaits in batches, then close (or
 * abort). Row groups of `rowGroupSize` gaits are encoded and flushed as they
 * fill, so memory stays bounded whatever the number of gaits.
 */
export async function openGaitWriter(file: string, options: GaitWriterOptions): Promise<GaitWriter> {
  return openWriter(file, options);
}

async function openWriter(file: string, options: GaitWriterOptions): Promise<BaseWriter> {
  const format = requireFormat(file, options.format);
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1 || rowGroupSize > 1_000_000)
    throw new GaitforgeError('E_OPTION', `rowGroupSize = ${rowGroupSize} must be an integer in [1, 1000000]`);
  const builder = new BatchBuilder({
    T: options.T, V: options.V, fps: options.fps, skeleton: options.skeleton, labelNames: options.labelNames,
    jointNames: options.jointNames, metadata: options.metadata,
  });
  const tmp = tempPathFor(file);
  let fh: FileHandle;
  let createdDir: string | null = null;
  try {
    createdDir = ensureParentDir(file);
    fh = await open(tmp, 'wx');
  } catch (e) {
    removeCreatedDir(createdDir, file);
    throw ioError(file, 'write', e);
  }
  const writer = format === 'parquet'
    ? new ParquetGaitWriter(file, builder, rowGroupSize, tmp, fh)
    : new ArrowGaitWriter(file, builder, rowGroupSize, tmp, fh, path.extname(file).toLowerCase() === '.arrows');
  writer.createdDir = createdDir;
  return writer;
}

/** How `writeGaitFile` and `writeGaitFiles` write a set (its shape and label names come from the set). */
export interface WriteGaitFileOptions {
  format?: GaitFileFormat;
  metadata?: Record<string, string>;
  jointNames?: string[];
  rowGroupSize?: number;
}

/** Writes a whole GaitSet (atomically: temporary file + rename). */
export async function writeGaitFile(file: string, set: GaitSet, options: WriteGaitFileOptions = {}): Promise<void> {
  await writeGaitFiles([{ path: file, set, options }]);
}

/**
 * Writes GaitSets to their files, all or none: each goes to its temporary
 * file, and the temporaries are renamed onto the targets only once every one
 * is complete. A failure before that removes them all; a rename that fails
 * (the last step) removes the temporaries not yet renamed.
 */
export async function writeGaitFiles(files: readonly { path: string; set: GaitSet; options?: WriteGaitFileOptions }[]): Promise<void> {
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(path.resolve(f.path))) throw new GaitforgeError('E_OPTION', `${f.path} is named twice: each set needs its own file`);
    seen.add(path.resolve(f.path));
  }
  const writers: BaseWriter[] = [];
  try {
    for (const { path: file, set, options = {} } of files) {
      const w = await openWriter(file, {
        format: options.format, T: set.T, V: set.V, fps: set.fps, skeleton: set.skeleton, labelNames: set.labelNames,
        metadata: options.metadata, jointNames: options.jointNames, rowGroupSize: options.rowGroupSize,
      });
      writers.push(w);
      await w.append(set);
    }
    for (const w of writers) await w.seal();
  } catch (e) {
    await abortAll(writers);
    throw e;
  }
  for (const [k, w] of writers.entries()) {
    try {
      await w.commit();
    } catch (e) {
      await abortAll(writers.slice(k + 1));
      throw e;
    }
  }
}

/** Aborts writers last first, so that a folder the first one created is empty again when its turn comes. */
async function abortAll(writers: BaseWriter[]): Promise<void> {
  for (const w of [...writers].reverse()) await w.abort();
}

/**
 * Arrow RecordBatches (from Arrow IPC or Parquet row groups) → GaitSet, with
 * the schema checks and per-row checks that turn a bad file into one clear
 * GaitforgeError naming the file, the row (and id) and the column.
 * Pure TypeScript over apache-arrow; no tfjs.
 */
import { DataType, type Data, type Field, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { GaitforgeError } from '../core/errors.js';
import { DEFAULT_FPS, GAIT_SOURCES, GaitSet, type GaitSource } from '../core/gaitset.js';
import { SKELETON_NAME } from '../core/skeleton.js';
import { allFinite, EXTENSION_META_KEY, parseMetadata } from './schema.js';

export interface ReadGaitOptions {
  /**
   * Label names to index labels by (a file's labels are matched by name).
   * Default: the file's `gaitforge:label_names`, else the label values in
   * order of first appearance. A row whose label is not in the list is an
   * E_LABEL error naming the row.
   */
  labelNames?: string[];
  /** Accept NaN / ±Inf positions instead of failing (for inspection tools). Default false. */
  allowNonFinite?: boolean;
}

/** What the schema and metadata of a gait table declare. */
export interface DecodedSpec {
  T: number;
  V: number;
  fps: number;
  skeleton: string;
  labelNames: string[] | null;
  jointNames: string[] | null;
  version: string | null;
  formatVersion: string | null;
  metadata: Record<string, string>;
}

const isStringType = (t: DataType) =>
  DataType.isUtf8(t) || DataType.isLargeUtf8(t) || (DataType.isDictionary(t) && (DataType.isUtf8(t.dictionary) || DataType.isLargeUtf8(t.dictionary)));

/** Checks the schema of a gait table; throws E_FORMAT naming the file and the column. */
export function decodeSpec(schema: Schema, file: string): DecodedSpec {
  const col = (name: string) => schema.fields.find((f) => f.name === name);
  const need = (name: string) => {
    const f = col(name);
    if (!f) throw new GaitforgeError('E_FORMAT', `${file}: not a gait table: column ${name} is missing (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
    return f;
  };
  const typeErr = (f: Field, expected: string) =>
    new GaitforgeError('E_FORMAT', `${file}: column ${f.name} has type ${String(f.type)}, expected ${expected}`);
  for (const name of ['id', 'label']) if (!isStringType(need(name).type)) throw typeErr(col(name)!, 'utf8 or dictionary<utf8>');
  for (const name of ['identity', 'recording', 'source', 'generator']) {
    const f = col(name);
    if (f && !isStringType(f.type)) throw typeErr(f, 'utf8 or dictionary<utf8>');
  }
  for (const name of ['label_id', 'seed', 'frames']) {
    const f = col(name);
    if (f && !DataType.isInt(f.type)) throw typeErr(f, 'an integer type');
  }
  const pos = need('positions');
  const pt = pos.type;
  if (!(DataType.isFixedSizeList(pt) || DataType.isList(pt) || DataType.isLargeList(pt)) || !DataType.isFloat(pt.children[0]!.type))
    throw typeErr(pos, 'fixed_size_list<float32>[T·V·3] (or a list of floats)');

  const meta = parseMetadata(schema.metadata);
  let T = meta.T;
  let V = meta.V;
  const ext = pos.metadata.get(EXTENSION_META_KEY);
  if ((T === undefined || V === undefined) && ext) {
    try {
      const shape = (JSON.parse(ext) as { shape?: number[] }).shape;
      if (shape?.length === 3 && shape[2] === 3) [T, V] = [shape[0], shape[1]];
    } catch {
      throw new GaitforgeError('E_FORMAT', `${file}: positions extension metadata is not JSON: ${ext.slice(0, 80)}`);
    }
  }
  if (T === undefined || V === undefined)
    throw new GaitforgeError('E_FORMAT', `${file}: the shape of a gait is unknown: no gaitforge:T / gaitforge:V metadata and no fixed_shape_tensor shape on positions`);
  if (!Number.isInteger(T) || T < 1 || !Number.isInteger(V) || V < 1)
    throw new GaitforgeError('E_FORMAT', `${file}: metadata declares T = ${T}, V = ${V}; both must be positive integers`);
  if (DataType.isFixedSizeList(pt) && pt.listSize !== T * V * 3)
    throw new GaitforgeError('E_FORMAT', `${file}: positions lists hold ${pt.listSize} values but T·V·3 = ${T}·${V}·3 = ${T * V * 3}`);
  const fps = meta.fps ?? DEFAULT_FPS;
  if (!(fps > 0) || !Number.isFinite(fps)) throw new GaitforgeError('E_FORMAT', `${file}: metadata fps = ${meta.fps} is not a positive number`);
  if (meta.jointNames && meta.jointNames.length !== V)
    throw new GaitforgeError('E_FORMAT', `${file}: ${meta.jointNames.length} joint names in the metadata for V = ${V}`);
  return {
    T, V, fps, skeleton: meta.skeleton ?? SKELETON_NAME, labelNames: meta.labelNames ?? null, jointNames: meta.jointNames ?? null,
    version: meta.version ?? null, formatVersion: meta.formatVersion ?? null, metadata: meta.user,
  };
}

/**
 * Accumulates the rows of a gait table batch by batch into one
 * Float32Array [N, T, V, 3] (N known up front, or grown as batches come).
 */
export class GaitTableDecoder {
  readonly spec: DecodedSpec;
  private readonly file: string;
  private readonly fixedLabels: string[] | null;
  private readonly labelIndex = new Map<string, number>();
  private readonly labelNames: string[] = [];
  /** Preallocated [expectedRows, T, V, 3] when the row count is known, else empty. */
  private positions: Float32Array;
  /** Rows past the preallocated ones, one array per batch (concatenated once, in finish). */
  private readonly extra: Float32Array[] = [];
  private readonly capacity: number;
  /** Rows stored in `positions` (the rest are in `extra`). */
  private preRows = 0;
  private n = 0;
  private readonly ids: string[] = [];
  private readonly labels: number[] = [];
  private readonly identity: (string | null)[] = [];
  private readonly recording: (string | null)[] = [];
  private readonly source: GaitSource[] = [];
  private readonly generator: (string | null)[] = [];
  private readonly seed: (number | null)[] = [];
  private readonly frames: number[] = [];
  private readonly rowOffset: number;
  private readonly allowNonFinite: boolean;
  private readonly specLabelIndex: Map<string, number> | null;

  /** `rowOffset`: the file row of this decoder's first row (for error messages). */
  constructor(schema: Schema, file: string, options: ReadGaitOptions = {}, expectedRows = 0, rowOffset = 0) {
    this.file = file;
    this.rowOffset = rowOffset;
    this.allowNonFinite = options.allowNonFinite ?? false;
    this.spec = decodeSpec(schema, file);
    this.fixedLabels = options.labelNames ? [...options.labelNames] : this.spec.labelNames;
    this.specLabelIndex = this.spec.labelNames ? new Map(this.spec.labelNames.map((n, i) => [n, i])) : null;
    if (this.fixedLabels) {
      if (this.fixedLabels.length === 0) throw new GaitforgeError('E_LABEL', `${file}: the label name list is empty`);
      this.fixedLabels.forEach((n, i) => {
        if (this.labelIndex.has(n)) throw new GaitforgeError('E_LABEL', `${file}: label names have a duplicate: ${n}`);
        this.labelIndex.set(n, i);
        this.labelNames.push(n);
      });
    }
    this.capacity = expectedRows;
    this.positions = new Float32Array(expectedRows * this.per);
  }

  private get per(): number {
    return this.spec.T * this.spec.V * 3;
  }

  get rows(): number {
    return this.n;
  }

  private rowName(row: number, id?: string): string {
    return `${this.file}: row ${this.rowOffset + row}${id !== undefined ? ` (id ${JSON.stringify(id)})` : ''}`;
  }

  /** Appends one batch's rows; throws naming the file, row and column on bad data. */
  add(batch: RecordBatch): void {
    const m = batch.numRows;
    const per = this.per;
    // Rows beyond the known count go to a per-batch array (no repeated regrowth of one big buffer).
    const over = this.extra.length > 0 || this.n + m > this.capacity;
    const target = over ? new Float32Array(m * per) : this.positions;
    const targetRow0 = over ? this.n : 0;
    if (over) this.extra.push(target);
    const get = (name: string) => batch.getChild(name) as Vector | null;
    const idCol = get('id')!;
    const str = (v: Vector | null, i: number) => (v ? (v.get(i) as string | null) : null);
    const base = this.n;
    const rowIds: string[] = [];
    for (let i = 0; i < m; i++) {
      const id = str(idCol, i);
      if (id == null) throw new GaitforgeError('E_VALUE', `${this.rowName(base + i)}: id is null`);
      rowIds.push(id);
    }
    // labels
    const labelCol = get('label')!;
    const labelIdCol = get('label_id');
    for (let i = 0; i < m; i++) {
      const name = str(labelCol, i);
      if (name == null) throw new GaitforgeError('E_LABEL', `${this.rowName(base + i, rowIds[i])}: label is null`);
      let idx = this.labelIndex.get(name);
      if (idx === undefined) {
        if (this.fixedLabels)
          throw new GaitforgeError('E_LABEL', `${this.rowName(base + i, rowIds[i])}: label ${JSON.stringify(name)} is not one of ${this.fixedLabels.join(', ')}`);
        idx = this.labelNames.length;
        this.labelIndex.set(name, idx);
        this.labelNames.push(name);
      }
      if (this.specLabelIndex && labelIdCol) {
        const lid = Number(labelIdCol.get(i));
        const want = this.specLabelIndex.get(name);
        if (lid !== want)
          throw new GaitforgeError('E_FORMAT', `${this.rowName(base + i, rowIds[i])}: label_id ${lid} contradicts label ${JSON.stringify(name)} (${want === undefined ? 'not in' : `index ${want} in`} the file's label names)`);
      }
      this.labels.push(idx);
    }
    const identityCol = get('identity');
    const recordingCol = get('recording');
    const sourceCol = get('source');
    const generatorCol = get('generator');
    const seedCol = get('seed');
    const framesCol = get('frames');
    for (let i = 0; i < m; i++) {
      const where = () => this.rowName(base + i, rowIds[i]);
      this.identity.push(str(identityCol, i));
      this.recording.push(str(recordingCol, i));
      const s = sourceCol ? str(sourceCol, i) : 'real';
      if (!GAIT_SOURCES.includes(s as GaitSource))
        throw new GaitforgeError('E_VALUE', `${where()}: source ${JSON.stringify(s)} is not 'real' or 'synthetic'`);
      this.source.push(s as GaitSource);
      this.generator.push(str(generatorCol, i));
      const sd = seedCol ? (seedCol.get(i) as bigint | number | null) : null;
      if (sd != null && !Number.isSafeInteger(Number(sd)))
        throw new GaitforgeError('E_VALUE', `${where()}: seed ${sd} is not a safe integer`);
      this.seed.push(sd == null ? null : Number(sd));
      const fr = framesCol ? (framesCol.get(i) as number | null) : this.spec.T;
      if (fr == null || fr < 0) throw new GaitforgeError('E_VALUE', `${where()}: frames is ${fr}`);
      this.frames.push(Number(fr));
    }
    // positions
    const posCol = get('positions')!;
    let row = base;
    for (const d of posCol.data as Data[]) {
      const child = d.children[0]!;
      const fixed = DataType.isFixedSizeList(d.type);
      const offsets = fixed ? null : (d.valueOffsets as Int32Array | BigInt64Array);
      for (let i = 0; i < d.length; i++, row++) {
        const where = () => this.rowName(row, rowIds[row - base]);
        if (!d.getValid(i)) throw new GaitforgeError('E_VALUE', `${where()}: positions is null`);
        const start = offsets ? Number(offsets[i]) : i * per;
        const end = offsets ? Number(offsets[i + 1]) : (i + 1) * per;
        if (end - start !== per)
          throw new GaitforgeError('E_SHAPE', `${where()}: positions holds ${end - start} values, expected T·V·3 = ${this.spec.T}·${this.spec.V}·3 = ${per}`);
        if (child.nullCount > 0) {
          for (let k = start; k < end; k++)
            if (!child.getValid(k)) {
              const r = k - start;
              throw new GaitforgeError('E_VALUE', `${where()}: positions value ${r} (frame ${Math.floor(r / (this.spec.V * 3))}, joint ${Math.floor((r % (this.spec.V * 3)) / 3)}) is null`);
            }
        }
        const vals = (child.values as Float32Array | Float64Array).subarray(start, end);
        if (vals.length !== per) throw new GaitforgeError('E_FORMAT', `${where()}: positions buffer is truncated`);
        target.set(vals, (row - targetRow0) * per);
      }
    }
    this.ids.push(...rowIds);
    if (!over) this.preRows += m;
    this.n += m;
  }

  private gatherPositions(): Float32Array {
    const total = this.n * this.per;
    if (!this.extra.length) return this.positions.length === total ? this.positions : this.positions.slice(0, total);
    if (this.preRows === 0 && this.extra.length === 1) return this.extra.pop()!;
    const out = new Float32Array(total);
    const kept = this.preRows * this.per;
    out.set(this.positions.subarray(0, kept));
    let off = kept;
    while (this.extra.length) {
      const c = this.extra.shift()!;
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** The accumulated rows as a GaitSet; NaN/Inf is an E_VALUE error naming the row. */
  finish(): GaitSet {
    const labelNames = this.labelNames.length ? this.labelNames : (this.fixedLabels ?? ['unlabelled']);
    try {
      const positions = this.gatherPositions();
      const set = new GaitSet({
        positions,
        labels: this.labels, labelNames, T: this.spec.T, V: this.spec.V, fps: this.spec.fps, skeleton: this.spec.skeleton,
        ids: this.ids, identity: this.identity, recording: this.recording, source: this.source, generator: this.generator, seed: this.seed,
        frames: Int32Array.from(this.frames),
      }, { validateValues: false });
      if (!this.allowNonFinite && !allFinite(positions)) set.validateValues();
      return set;
    } catch (e) {
      if (e instanceof GaitforgeError) throw new GaitforgeError(e.code, `${this.file}: ${e.message}`, { cause: e });
      throw e;
    }
  }
}

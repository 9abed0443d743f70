/**
 * The on-disk gait table (docs/FORMAT.md): its Arrow schema, the key-value
 * metadata, and the conversion between a GaitSet slice and an Arrow
 * RecordBatch. Pure TypeScript over apache-arrow; no tfjs.
 *
 * Columns (in this order):
 *   id         utf8                       not null
 *   label      dictionary<int32, utf8>    not null
 *   label_id   int8                       not null   index into the label names
 *   identity   utf8                       nullable
 *   recording  utf8                       nullable   the take a window was cut from
 *   source     dictionary<int32, utf8>    not null   'real' | 'synthetic'
 *   generator  dictionary<int32, utf8>    nullable
 *   seed       int64                      nullable
 *   frames     int16                      not null   length before tiling/resampling
 *   positions  fixed_size_list<float32 (nullable item)>[T·V·3]  not null,
 *              tagged `arrow.fixed_shape_tensor` with shape [T, V, 3]
 */
import {
  Data, Dictionary, Field, FixedSizeList, Float32, Int16, Int32, Int64, Int8, makeData, RecordBatch, Schema, Struct,
  Utf8, Vector, vectorFromArray, type DataType,
} from 'apache-arrow';
import { GaitforgeError } from '../core/errors.js';
import { GAIT_SOURCES, type GaitSet } from '../core/gaitset.js';
import { jointNames as egaitJointNames, NUM_JOINTS, SKELETON_NAME } from '../core/skeleton.js';
import { VERSION } from '../core/version.js';

/** Version of the table layout described in docs/FORMAT.md. */
export const GAIT_FORMAT_VERSION = '1';

/** Key-value metadata keys gaitforge writes (schema metadata and Parquet key-value metadata). */
export const META = {
  formatVersion: 'gaitforge:format_version',
  version: 'gaitforge:version',
  skeleton: 'gaitforge:skeleton',
  jointNames: 'gaitforge:joint_names',
  fps: 'gaitforge:fps',
  T: 'gaitforge:T',
  V: 'gaitforge:V',
  labelNames: 'gaitforge:label_names',
} as const;

export const EXTENSION_NAME_KEY = 'ARROW:extension:name';
export const EXTENSION_META_KEY = 'ARROW:extension:metadata';
export const FIXED_SHAPE_TENSOR = 'arrow.fixed_shape_tensor';

/** Column names in schema order. */
export const GAIT_COLUMNS = ['id', 'label', 'label_id', 'identity', 'recording', 'source', 'generator', 'seed', 'frames', 'positions'] as const;
export type GaitColumn = (typeof GAIT_COLUMNS)[number];

/** Dictionary ids (unique per schema, as the Arrow IPC format requires). */
const DICT_ID = { label: 0, source: 1, generator: 2 } as const;

/** What a gait file declares about its gaits (everything but the rows). */
export interface GaitTableSpec {
  T: number;
  V: number;
  fps: number;
  skeleton: string;
  labelNames: string[];
  /** V joint names; default: the E-Gait names for the 16-joint skeleton, else j0..j{V-1}. */
  jointNames?: string[];
  /** Extra key-value metadata (keys must not start with `gaitforge:` or `ARROW:`). */
  metadata?: Record<string, string>;
}

/** Joint names to record for a skeleton with V joints. */
export function defaultJointNames(skeleton: string, V: number): string[] {
  if (skeleton === SKELETON_NAME && V === NUM_JOINTS) return egaitJointNames();
  return Array.from({ length: V }, (_, j) => `j${j}`);
}

/** Checks a spec and returns it with joint names filled in; throws E_OPTION / E_SHAPE / E_LABEL. */
export function resolveTableSpec(spec: GaitTableSpec): Required<GaitTableSpec> {
  const { T, V, fps } = spec;
  if (!Number.isInteger(T) || T < 1) throw new GaitforgeError('E_SHAPE', `T = ${T}: frames per gait must be a positive integer`);
  if (!Number.isInteger(V) || V < 1) throw new GaitforgeError('E_SHAPE', `V = ${V}: joints per frame must be a positive integer`);
  if (T * V * 3 > 2 ** 31 - 1) throw new GaitforgeError('E_SHAPE', `T·V·3 = ${T * V * 3} values per gait is too large for one list`);
  if (!(fps > 0) || !Number.isFinite(fps)) throw new GaitforgeError('E_OPTION', `fps = ${fps} must be a positive number`);
  if (!spec.labelNames?.length) throw new GaitforgeError('E_LABEL', 'labelNames is empty');
  if (spec.labelNames.length > 127)
    throw new GaitforgeError('E_LABEL', `${spec.labelNames.length} label names: label_id is int8, so at most 127 labels fit`);
  if (new Set(spec.labelNames).size !== spec.labelNames.length)
    throw new GaitforgeError('E_LABEL', `labelNames has duplicates: ${spec.labelNames.join(', ')}`);
  const skeleton = spec.skeleton || SKELETON_NAME;
  const joints = spec.jointNames ?? defaultJointNames(skeleton, V);
  if (joints.length !== V) throw new GaitforgeError('E_SHAPE', `${joints.length} joint names for V = ${V} joints`);
  const metadata = { ...(spec.metadata ?? {}) };
  for (const [k, v] of Object.entries(metadata)) {
    if (k.startsWith('gaitforge:') || k.startsWith('ARROW:'))
      throw new GaitforgeError('E_OPTION', `metadata key ${JSON.stringify(k)} is reserved (keys starting with gaitforge: or ARROW: are written by gaitforge)`);
    if (typeof v !== 'string') throw new GaitforgeError('E_OPTION', `metadata value for ${JSON.stringify(k)} must be a string, got ${typeof v}`);
  }
  return { T, V, fps, skeleton, labelNames: [...spec.labelNames], jointNames: [...joints], metadata };
}

/** The schema-level key-value metadata of a table (gaitforge's keys first, then the user's). */
export function tableMetadata(spec: Required<GaitTableSpec>): Map<string, string> {
  return new Map<string, string>([
    [META.formatVersion, GAIT_FORMAT_VERSION],
    [META.version, VERSION],
    [META.skeleton, spec.skeleton],
    [META.jointNames, JSON.stringify(spec.jointNames)],
    [META.fps, String(spec.fps)],
    [META.T, String(spec.T)],
    [META.V, String(spec.V)],
    [META.labelNames, JSON.stringify(spec.labelNames)],
    ...Object.entries(spec.metadata),
  ]);
}

const dictType = (id: number) => new Dictionary(new Utf8(), new Int32(), id, false);

/** The positions column type: FixedSizeList<float32 (nullable item)>[T·V·3]. */
export function positionsType(T: number, V: number): FixedSizeList<Float32> {
  return new FixedSizeList(T * V * 3, new Field('item', new Float32(), true));
}

/** The Arrow schema of a gait table. */
export function gaitSchema(spec: Required<GaitTableSpec>): Schema {
  const tensorMeta = new Map([
    [EXTENSION_NAME_KEY, FIXED_SHAPE_TENSOR],
    [EXTENSION_META_KEY, JSON.stringify({ shape: [spec.T, spec.V, 3], dim_names: ['frame', 'joint', 'xyz'] })],
  ]);
  return new Schema(
    [
      new Field('id', new Utf8(), false),
      new Field('label', dictType(DICT_ID.label), false),
      new Field('label_id', new Int8(), false),
      new Field('identity', new Utf8(), true),
      new Field('recording', new Utf8(), true),
      new Field('source', dictType(DICT_ID.source), false),
      new Field('generator', dictType(DICT_ID.generator), true),
      new Field('seed', new Int64(), true),
      new Field('frames', new Int16(), false),
      new Field('positions', positionsType(spec.T, spec.V), false, tensorMeta),
    ],
    tableMetadata(spec),
  );
}

/** Validity bitmap (LSB first) of `present(i)` for i < n, or undefined when nothing is null. */
function validity(n: number, present: (i: number) => boolean): { bitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (present(i)) bitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount++;
  }
  return nullCount ? { bitmap, nullCount } : { nullCount: 0 };
}

/**
 * Dictionary values for one dictionary column, kept across the batches of one
 * file. New values are appended as new chunks, so the Arrow IPC file writer
 * emits them as delta dictionaries (the file format forbids replacements).
 */
export class DictionaryState {
  private readonly index = new Map<string, number>();
  private chunks: Data<Utf8>[];
  private vector: Vector<Utf8> | null = null;
  /** The first chunk holds `initial` (possibly empty) and stays the same object for the life of the state. */
  constructor(initial: readonly string[] = []) {
    initial.forEach((v) => this.index.set(v, this.index.size));
    this.chunks = [...vectorFromArray([...initial], new Utf8()).data];
  }
  private add(values: readonly string[]): void {
    for (const v of values) this.index.set(v, this.index.size);
    this.chunks = [...this.chunks, ...vectorFromArray([...values], new Utf8()).data];
    this.vector = null;
  }
  /** Indices of `values` (null stays null), adding unseen values. */
  encode(values: readonly (string | null)[]): { indices: Int32Array; nullCount: number; bitmap?: Uint8Array } {
    const fresh = [...new Set(values.filter((v): v is string => v != null && !this.index.has(v)))];
    if (fresh.length) this.add(fresh);
    const indices = new Int32Array(values.length);
    values.forEach((v, i) => (indices[i] = v == null ? 0 : this.index.get(v)!));
    return { indices, ...validity(values.length, (i) => values[i] != null) };
  }
  get dictionary(): Vector<Utf8> {
    // A chunked Vector over the kept Data chunks: the first chunk object stays the same for the whole file.
    if (!this.vector) this.vector = new Vector<Utf8>(this.chunks);
    return this.vector;
  }
}

/** Per-file state for building batches: the resolved spec, schema and dictionaries. */
export class BatchBuilder {
  readonly spec: Required<GaitTableSpec>;
  readonly schema: Schema;
  private readonly dicts: Record<'label' | 'source' | 'generator', DictionaryState>;
  constructor(spec: GaitTableSpec, generators: readonly string[] = []) {
    this.spec = resolveTableSpec(spec);
    this.schema = gaitSchema(this.spec);
    this.dicts = {
      label: new DictionaryState(this.spec.labelNames),
      source: new DictionaryState(GAIT_SOURCES),
      generator: new DictionaryState(generators),
    };
  }

  /**
   * Checks that `set` fits this file (T, V, labels, finite values, column
   * ranges) and returns it with its labels re-indexed to the file's label
   * names. Throws GaitforgeError naming the gait; nothing is written on failure.
   */
  conform(set: GaitSet, where: string): GaitSet {
    const s = this.spec;
    if (set.T !== s.T || set.V !== s.V)
      throw new GaitforgeError('E_SHAPE', `${where}: gaits shaped [T=${set.T}, V=${set.V}] do not fit a file of [T=${s.T}, V=${s.V}]`);
    if (set.skeleton !== s.skeleton)
      throw new GaitforgeError('E_SHAPE', `${where}: skeleton ${set.skeleton} does not match the file's ${s.skeleton}`);
    const same = set.labelNames.length === s.labelNames.length && set.labelNames.every((n, i) => n === s.labelNames[i]);
    let out = set;
    if (!same) {
      for (let i = 0; i < set.N; i++) {
        const name = set.labelOf(i);
        if (!s.labelNames.includes(name))
          throw new GaitforgeError('E_LABEL', `${where}: gait ${i} (${set.ids[i]}) has label ${JSON.stringify(name)}, which is not one of the file's labels (${s.labelNames.join(', ')})`);
      }
      out = set.withLabelNames(s.labelNames);
    }
    if (!allFinite(set.positions)) {
      try {
        set.validateValues();
      } catch (e) {
        throw new GaitforgeError('E_VALUE', `${where}: ${(e as Error).message}`);
      }
    }
    for (let i = 0; i < set.N; i++) {
      const f = set.frames[i]!;
      if (!Number.isInteger(f) || f < 0 || f > 32767)
        throw new GaitforgeError('E_VALUE', `${where}: gait ${i} (${set.ids[i]}): frames = ${f} does not fit int16 (0..32767)`);
      const sd = set.seed[i];
      if (sd != null && !Number.isSafeInteger(sd))
        throw new GaitforgeError('E_VALUE', `${where}: gait ${i} (${set.ids[i]}): seed ${sd} is not a safe integer`);
    }
    return out;
  }

  /**
   * A RecordBatch over gaits [start, end) of a conformed set. The positions
   * column is built straight over a subarray of `set.positions` (no copy):
   * the caller must not mutate those values until the batch is written.
   */
  batch(set: GaitSet, start = 0, end = set.N, options: { freshDictionaries?: boolean } = {}): RecordBatch {
    const n = end - start;
    const per = set.stride;
    const pos = set.positions.subarray(start * per, end * per);
    const rows = <X>(a: ArrayLike<X>) => Array.from({ length: n }, (_, k) => a[start + k]!);
    const labelIdx = Int32Array.from(rows(set.labels));
    // freshDictionaries: each batch carries its own dictionaries (for writers that serialise each batch as a
    // standalone IPC stream); otherwise dictionaries grow across batches as deltas (the Arrow IPC file writer).
    const dicts = options.freshDictionaries
      ? {
          label: new DictionaryState(this.spec.labelNames), source: new DictionaryState(GAIT_SOURCES),
          generator: new DictionaryState([...new Set(rows(set.generator).filter((g): g is string => g != null))]),
        }
      : this.dicts;
    const dict = (name: 'label' | 'source' | 'generator', values: (string | null)[], type: Dictionary) => {
      const enc = dicts[name].encode(values);
      return makeData({
        type, length: n, nullCount: enc.nullCount, nullBitmap: enc.bitmap, data: enc.indices, dictionary: dicts[name].dictionary,
      });
    };
    const field = (name: GaitColumn) => this.schema.fields[GAIT_COLUMNS.indexOf(name)]!;
    const seeds = rows(set.seed);
    const seedValid = validity(n, (i) => seeds[i] != null);
    const children: Data<DataType>[] = [
      vectorFromArray(rows(set.ids), new Utf8()).data[0]!,
      dict('label', Array.from(labelIdx, (l) => set.labelNames[l]!), field('label').type as Dictionary),
      makeData({ type: new Int8(), length: n, nullCount: 0, data: Int8Array.from(labelIdx) }),
      vectorFromArray(rows(set.identity), new Utf8()).data[0]!,
      vectorFromArray(rows(set.recording), new Utf8()).data[0]!,
      dict('source', rows(set.source), field('source').type as Dictionary),
      dict('generator', rows(set.generator), field('generator').type as Dictionary),
      makeData({
        type: new Int64(), length: n, nullCount: seedValid.nullCount, nullBitmap: seedValid.bitmap,
        data: BigInt64Array.from(seeds, (x) => BigInt(x ?? 0)),
      }),
      makeData({ type: new Int16(), length: n, nullCount: 0, data: Int16Array.from(rows(set.frames)) }),
      makeData({
        type: field('positions').type as FixedSizeList<Float32>, length: n, nullCount: 0,
        child: makeData({ type: new Float32(), length: pos.length, nullCount: 0, data: pos }),
      }),
    ];
    return new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children }));
  }
}

/**
 * True when every value is finite: x·0 is 0 for finite x and NaN for NaN and
 * ±Inf, so one multiply-add per value finds them, cheaper than a
 * Number.isFinite test per value. GaitSet.validateValues then names the first bad value.
 */
export function allFinite(a: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * 0;
  return s === 0;
}

/** Parses the gaitforge key-value metadata; missing keys come back undefined. */
export function parseMetadata(meta: Map<string, string>): {
  T?: number; V?: number; fps?: number; skeleton?: string; labelNames?: string[]; jointNames?: string[]; version?: string;
  formatVersion?: string; user: Record<string, string>;
} {
  const num = (k: string) => (meta.has(k) ? Number(meta.get(k)) : undefined);
  const list = (k: string) => {
    if (!meta.has(k)) return undefined;
    try {
      const v = JSON.parse(meta.get(k)!) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* fall through to the error below */
    }
    throw new GaitforgeError('E_FORMAT', `metadata ${k} is not a JSON list of strings: ${meta.get(k)!.slice(0, 80)}`);
  };
  const user: Record<string, string> = {};
  for (const [k, v] of meta) if (!k.startsWith('gaitforge:') && !k.startsWith('ARROW:')) user[k] = v;
  return {
    T: num(META.T), V: num(META.V), fps: num(META.fps), skeleton: meta.get(META.skeleton), labelNames: list(META.labelNames),
    jointNames: list(META.jointNames), version: meta.get(META.version), formatVersion: meta.get(META.formatVersion), user,
  };
}

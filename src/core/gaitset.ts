import { GaitforgeError } from './errors.js';
import { Rng } from './rng.js';
import { NUM_JOINTS, SKELETON_NAME } from './skeleton.js';

export type GaitSource = 'real' | 'synthetic';
export const GAIT_SOURCES: readonly GaitSource[] = ['real', 'synthetic'];

/**
 * How a split keeps gaits together: 'identity' (no walker on two sides),
 * 'recording' (no recording's windows on two sides), 'identity-or-recording'
 * (gaits sharing either stay together), 'gait' (one by one: leaky when gaits
 * share a recording or walker), or 'auto' (see `GaitSet.grouping`).
 */
export const SPLIT_GROUPINGS = ['auto', 'identity', 'recording', 'identity-or-recording', 'gait'] as const;
export type SplitGrouping = (typeof SPLIT_GROUPINGS)[number];
/** The grouping a split actually uses (`GaitSet.grouping`). */
export type ResolvedGrouping = Exclude<SplitGrouping, 'auto'>;
export const DEFAULT_FPS = 30;
export const DEFAULT_FRAMES = 75;

/** Per-gait columns of a GaitSet (all arrays have length N). */
export interface GaitColumns {
  /** Unique gait id. */
  ids: string[];
  /** Label index into `labelNames`, one per gait. */
  labels: Int32Array;
  /** Subject / walker identity, null when unknown. */
  identity: (string | null)[];
  /**
   * The recording (capture take) a gait was cut from, null when unknown or
   * generated. Windows of one recording share it; splits keep them together.
   */
  recording: (string | null)[];
  source: GaitSource[];
  /** Generator name for synthetic gaits (null for real ones). */
  generator: (string | null)[];
  /** Seed a synthetic gait was sampled with (null for real ones). */
  seed: (number | null)[];
  /** Number of frames before tiling/resampling to T. */
  frames: Int32Array;
}

export interface GaitSetInit extends Omit<Partial<GaitColumns>, "labels"> {
  /** Joint positions [N, T, V, 3] in metres, Y up, row-major. */
  positions: Float32Array;
  labels: Int32Array | number[];
  labelNames: string[];
  /** Frames per gait (T). */
  T: number;
  /** Joints per frame (V). Default 16. */
  V?: number;
  fps?: number;
  skeleton?: string;
}

/**
 * N gaits as one Float32Array [N, T, V, 3] plus per-gait columns.
 * Immutable by convention: operations return new sets (sharing nothing that
 * could later be mutated through another set, except where documented).
 */
export class GaitSet implements GaitColumns {
  readonly positions: Float32Array;
  readonly N: number;
  readonly T: number;
  readonly V: number;
  readonly fps: number;
  readonly skeleton: string;
  readonly labelNames: string[];
  readonly ids: string[];
  readonly labels: Int32Array;
  readonly identity: (string | null)[];
  readonly recording: (string | null)[];
  readonly source: GaitSource[];
  readonly generator: (string | null)[];
  readonly seed: (number | null)[];
  readonly frames: Int32Array;

  /** Builds a set; throws GaitforgeError (E_SHAPE / E_LABEL / E_VALUE) on inconsistent input. */
  constructor(init: GaitSetInit, options: { validateValues?: boolean } = {}) {
    const T = init.T;
    const V = init.V ?? NUM_JOINTS;
    if (!Number.isInteger(T) || T < 1) throw new GaitforgeError('E_SHAPE', `T = ${T}: frames per gait must be a positive integer`);
    if (!Number.isInteger(V) || V < 1) throw new GaitforgeError('E_SHAPE', `V = ${V}: joints per frame must be a positive integer`);
    if (!(init.positions instanceof Float32Array)) throw new GaitforgeError('E_SHAPE', 'positions must be a Float32Array');
    const per = T * V * 3;
    if (init.positions.length % per !== 0)
      throw new GaitforgeError('E_SHAPE', `positions has ${init.positions.length} values, not a multiple of T·V·3 = ${T}·${V}·3 = ${per}`);
    const N = init.positions.length / per;
    this.positions = init.positions;
    this.N = N;
    this.T = T;
    this.V = V;
    this.fps = init.fps ?? DEFAULT_FPS;
    if (!(this.fps > 0) || !Number.isFinite(this.fps)) throw new GaitforgeError('E_VALUE', `fps = ${this.fps} must be a positive number`);
    this.skeleton = init.skeleton ?? SKELETON_NAME;
    this.labelNames = [...init.labelNames];
    if (this.labelNames.length === 0) throw new GaitforgeError('E_LABEL', 'labelNames is empty');
    if (new Set(this.labelNames).size !== this.labelNames.length)
      throw new GaitforgeError('E_LABEL', `labelNames has duplicates: ${this.labelNames.join(', ')}`);
    const col = <X>(name: string, v: ArrayLike<X> | undefined, fill: (i: number) => X): X[] => {
      if (v === undefined) return Array.from({ length: N }, (_, i) => fill(i));
      if (v.length !== N) throw new GaitforgeError('E_SHAPE', `column ${name} has ${v.length} entries but positions hold ${N} gaits`);
      return Array.from(v);
    };
    this.labels = Int32Array.from(col('labels', init.labels, () => 0));
    this.ids = col('ids', init.ids, (i) => `g${i}`);
    this.identity = col('identity', init.identity, () => null);
    this.recording = col('recording', init.recording, () => null);
    this.source = col<GaitSource>('source', init.source, () => 'real');
    this.generator = col('generator', init.generator, () => null);
    this.seed = col('seed', init.seed, () => null);
    this.frames = Int32Array.from(col('frames', init.frames, () => T));
    for (let i = 0; i < N; i++) {
      const l = this.labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= this.labelNames.length)
        throw new GaitforgeError('E_LABEL', `gait ${i} (${this.ids[i]}): label id ${l} is not one of 0..${this.labelNames.length - 1} (${this.labelNames.join(', ')})`);
      const s = this.source[i];
      if (s !== 'real' && s !== 'synthetic') throw new GaitforgeError('E_VALUE', `gait ${i} (${this.ids[i]}): source ${JSON.stringify(s)} is not 'real' or 'synthetic'`);
    }
    if (options.validateValues !== false) this.validateValues();
  }

  /** Throws E_VALUE naming the first gait, frame and joint holding NaN or ±Inf. */
  validateValues(): void {
    const p = this.positions;
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i]!)) {
        const per = this.T * this.V * 3;
        const g = Math.floor(i / per);
        const r = i % per;
        const t = Math.floor(r / (this.V * 3));
        const j = Math.floor((r % (this.V * 3)) / 3);
        throw new GaitforgeError('E_VALUE', `gait ${g} (${this.ids[g]}), frame ${t}, joint ${j}: value ${p[i]} is not finite`);
      }
    }
  }

  /** Values per gait (T·V·3). */
  get stride(): number {
    return this.T * this.V * 3;
  }

  /** A view (no copy) of gait i's positions, [T, V, 3]. */
  gait(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.N) throw new RangeError(`gait index ${i} out of range [0, ${this.N - 1}]`);
    return this.positions.subarray(i * this.stride, (i + 1) * this.stride);
  }

  /** Index of a label name; throws E_LABEL for names not in the set. */
  labelId(name: string): number {
    const i = this.labelNames.indexOf(name);
    if (i < 0) throw new GaitforgeError('E_LABEL', `unknown label ${JSON.stringify(name)} (labels: ${this.labelNames.join(', ')})`);
    return i;
  }

  /** Per-gait label names. */
  labelOf(i: number): string {
    return this.labelNames[this.labels[i]!]!;
  }

  private meta(): Omit<GaitSetInit, 'positions' | 'labels'> {
    return { labelNames: this.labelNames, T: this.T, V: this.V, fps: this.fps, skeleton: this.skeleton };
  }

  /** A new set with the gaits at `indices`, in that order (positions copied). */
  select(indices: ArrayLike<number>): GaitSet {
    const n = indices.length;
    const per = this.stride;
    const pos = new Float32Array(n * per);
    const src = this.positions;
    for (let k = 0; k < n; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.N) throw new RangeError(`gait index ${i} out of range [0, ${this.N - 1}]`);
      if (per >= 64) pos.set(src.subarray(i * per, (i + 1) * per), k * per);
      else for (let j = 0, a = i * per, b = k * per; j < per; j++) pos[b + j] = src[a + j]!; // a view per small gait costs more than the copy
    }
    const pick = <X>(a: ArrayLike<X>) => Array.from({ length: n }, (_, k) => a[indices[k]!]!);
    return new GaitSet(
      {
        ...this.meta(), positions: pos, labels: Int32Array.from(pick(this.labels)), ids: pick(this.ids),
        identity: pick(this.identity), recording: pick(this.recording), source: pick(this.source), generator: pick(this.generator),
        seed: pick(this.seed), frames: Int32Array.from(pick(this.frames)),
      },
      { validateValues: false },
    );
  }

  /** Gaits [start, end) as a new set; positions are a view (no copy). */
  slice(start: number, end: number = this.N): GaitSet {
    const s = Math.max(0, Math.min(this.N, start));
    const e = Math.max(s, Math.min(this.N, end));
    return new GaitSet(
      {
        ...this.meta(), positions: this.positions.subarray(s * this.stride, e * this.stride),
        labels: this.labels.slice(s, e), ids: this.ids.slice(s, e), identity: this.identity.slice(s, e),
        recording: this.recording.slice(s, e),
        source: this.source.slice(s, e), generator: this.generator.slice(s, e), seed: this.seed.slice(s, e),
        frames: this.frames.slice(s, e),
      },
      { validateValues: false },
    );
  }

  /** A new set with the same gaits in a seeded random order. */
  shuffle(seed: number): GaitSet {
    return this.select(new Rng(seed, 'gaitset/shuffle').permutation(this.N));
  }

  /** Indices of the gaits with each label, in order. */
  indicesByLabel(): number[][] {
    const out: number[][] = this.labelNames.map(() => []);
    for (let i = 0; i < this.N; i++) out[this.labels[i]!]!.push(i);
    return out;
  }

  /** Number of gaits per label name. */
  countsByLabel(): Record<string, number> {
    const c: Record<string, number> = {};
    this.labelNames.forEach((n) => (c[n] = 0));
    for (let i = 0; i < this.N; i++) c[this.labelOf(i)]!++;
    return c;
  }

  /**
   * The grouping a split uses: `requested`, or for 'auto' 'identity' when
   * every gait has an identity, 'identity-or-recording' when some do (a
   * walker known on some of its gaits never sits on two sides), 'recording'
   * when none does but some gait has a recording, else 'gait'. Throws
   * E_VALUE when 'identity' is asked for and a gait has none.
   */
  grouping(requested: SplitGrouping = 'auto'): ResolvedGrouping {
    if (!SPLIT_GROUPINGS.includes(requested))
      throw new GaitforgeError('E_OPTION', `split grouping ${JSON.stringify(requested)} is not one of ${SPLIT_GROUPINGS.join(', ')}`);
    if (requested === 'identity') {
      const i = this.identity.findIndex((x) => x == null);
      if (i >= 0) throw new GaitforgeError('E_VALUE', `identity-grouped split: gait ${i} (${this.ids[i]}) has no identity`);
      return 'identity';
    }
    if (requested !== 'auto') return requested;
    if (this.N > 0 && this.identity.every((x) => x != null)) return 'identity';
    if (this.identity.some((x) => x != null)) return 'identity-or-recording';
    if (this.recording.some((x) => x != null)) return 'recording';
    return 'gait';
  }

  /**
   * The group key of every gait under `grouping` (see `grouping()`): its
   * identity, its recording (or its id when it has none), or its id; under
   * 'identity-or-recording' the smallest key of the gaits linked to it by a
   * shared identity or recording (connected components).
   */
  groupKeys(grouping: SplitGrouping = 'auto'): string[] {
    const g = this.grouping(grouping);
    if (g === 'identity-or-recording') return this.linkedGroupKeys();
    return this.ids.map((id, i) =>
      g === 'identity' ? `identity:${this.identity[i]}` : g === 'recording' && this.recording[i] != null ? `recording:${this.recording[i]}` : `gait:${id}`,
    );
  }

  /** Connected components of gaits linked by a shared identity or recording, each named by its smallest key. */
  private linkedGroupKeys(): string[] {
    const parent = new Map<string, string>();
    const find = (k: string): string => {
      let r = k;
      while (parent.get(r) !== r) r = parent.get(r)!;
      for (let x = k; x !== r; ) {
        const next = parent.get(x)!;
        parent.set(x, r);
        x = next;
      }
      return r;
    };
    const add = (k: string) => {
      if (!parent.has(k)) parent.set(k, k);
    };
    const union = (a: string, b: string) => {
      const [ra, rb] = [find(a), find(b)];
      if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb); // the smaller key is the root
    };
    const own = this.ids.map((id, i) => {
      const keys = [
        ...(this.identity[i] != null ? [`identity:${this.identity[i]}`] : []),
        ...(this.recording[i] != null ? [`recording:${this.recording[i]}`] : []),
      ];
      if (keys.length === 0) keys.push(`gait:${id}`);
      keys.forEach(add);
      for (let k = 1; k < keys.length; k++) union(keys[0]!, keys[k]!);
      return keys[0]!;
    });
    return own.map(find);
  }

  /**
   * Splits into parts with the given fractions (summing to 1), stratified by
   * label and grouped: whole groups (identities, recordings or single gaits,
   * see `grouping()`; default 'auto') are assigned to parts, so no walker or
   * recording is on two sides. The groups of each label (those whose gaits
   * all have it) and the groups with mixed labels form strata; each stratum
   * is shuffled (seeded) and cut in the given proportions.
   * `byIdentity: true` is the same as `groupBy: 'identity'`.
   */
  stratifiedSplit(fractions: number[], seed: number, options: { groupBy?: SplitGrouping; byIdentity?: boolean } = {}): GaitSet[] {
    return this.splitIndices(fractions, seed, options).map((p) => this.select(p));
  }

  /** The gait indices (ascending) of each part of `stratifiedSplit`. */
  splitIndices(fractions: number[], seed: number, options: { groupBy?: SplitGrouping; byIdentity?: boolean } = {}): number[][] {
    checkSplitFractions(fractions);
    const rng = new Rng(seed, 'gaitset/split');
    const parts: number[][] = fractions.map(() => []);
    const cut = <X>(items: X[], assign: (part: number, item: X) => void) => {
      rng.shuffle(items);
      let acc = 0;
      let start = 0;
      fractions.forEach((f, p) => {
        acc += f;
        const end = p === fractions.length - 1 ? items.length : Math.round(acc * items.length);
        for (let k = start; k < end; k++) assign(p, items[k]!);
        start = end;
      });
    };
    const grouping = options.groupBy ?? (options.byIdentity ? 'identity' : 'auto');
    if (this.grouping(grouping) === 'gait') {
      for (const idx of this.indicesByLabel()) cut(idx, (p, i) => parts[p]!.push(i));
    } else {
      const { strata, members } = this.groupStrata(grouping);
      for (const g of strata) cut(g, (p, k) => {
        for (const i of members.get(k)!) parts[p]!.push(i); // not push(...): a group may hold 10^5+ gaits
      });
    }
    return parts.map((p) => p.sort((a, b) => a - b));
  }

  /**
   * The groups of `grouping` (a gait is its own group under 'gait') in
   * strata: the groups whose gaits all have label l (one stratum per label),
   * then one stratum of mixed groups (e.g. walkers who walk with several
   * emotions); each stratum's group keys sorted. `members` maps a key to its gait indices.
   */
  groupStrata(grouping: SplitGrouping = 'auto'): { strata: string[][]; members: Map<string, number[]> } {
    const keys = this.groupKeys(grouping);
    const members = new Map<string, number[]>();
    keys.forEach((k, i) => {
      if (!members.has(k)) members.set(k, []);
      members.get(k)!.push(i);
    });
    const strata: string[][] = [...this.labelNames.map(() => []), []];
    for (const [k, idx] of members) {
      const l = this.labels[idx[0]!]!;
      strata[idx.every((i) => this.labels[i] === l) ? l : this.labelNames.length]!.push(k);
    }
    for (const g of strata) g.sort();
    return { strata, members };
  }

  /**
   * The gait indices (ascending) of a `fraction` of the groups (as `grouping`
   * groups them), stratified by label: each stratum of groupStrata in a
   * seeded order, of which the first max(1, round(fraction · n)) groups are
   * taken. The order does not depend on the fraction, so the subsets are
   * nested (the 10% subset lies inside the 25% one), and every non-empty
   * stratum, so every label, keeps at least one group.
   */
  nestedSubset(fraction: number, seed: number, grouping: SplitGrouping = 'auto'): number[] {
    if (!(fraction > 0 && fraction <= 1)) throw new GaitforgeError('E_OPTION', `subset fraction ${fraction} is out of range: expected a number in (0, 1]`);
    const { strata, members } = this.groupStrata(grouping);
    const rng = new Rng(seed, 'gaitset/nested-subset');
    const out: number[] = [];
    for (const g of strata) {
      rng.shuffle(g);
      if (g.length === 0) continue;
      for (const k of g.slice(0, Math.max(1, Math.round(fraction * g.length)))) for (const i of members.get(k)!) out.push(i);
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Concatenates sets with the same T, V and skeleton. Label sets are merged
   * by name (the first set's order first), so labels keep their meaning.
   */
  static concat(sets: GaitSet[]): GaitSet {
    if (sets.length === 0) throw new GaitforgeError('E_SHAPE', 'concat needs at least one set');
    const first = sets[0]!;
    const labelNames = [...first.labelNames];
    for (const s of sets) {
      if (s.T !== first.T || s.V !== first.V)
        throw new GaitforgeError('E_SHAPE', `cannot concatenate sets shaped [T=${first.T}, V=${first.V}] and [T=${s.T}, V=${s.V}]`);
      if (s.skeleton !== first.skeleton) throw new GaitforgeError('E_SHAPE', `cannot concatenate skeletons ${first.skeleton} and ${s.skeleton}`);
      for (const n of s.labelNames) if (!labelNames.includes(n)) labelNames.push(n);
    }
    const N = sets.reduce((a, s) => a + s.N, 0);
    const pos = new Float32Array(N * first.stride);
    let off = 0;
    const cols: GaitColumns = { ids: [], labels: new Int32Array(N), identity: [], recording: [], source: [], generator: [], seed: [], frames: new Int32Array(N) };
    let k = 0;
    for (const s of sets) {
      pos.set(s.positions, off);
      off += s.positions.length;
      const remap = s.labelNames.map((n) => labelNames.indexOf(n));
      for (let i = 0; i < s.N; i++, k++) {
        cols.labels[k] = remap[s.labels[i]!]!;
        cols.frames[k] = s.frames[i]!;
      }
      // element by element: push(...column) passes every entry as an argument and overflows the stack near 10^5 gaits
      for (let i = 0; i < s.N; i++) {
        cols.ids.push(s.ids[i]!);
        cols.identity.push(s.identity[i]!);
        cols.recording.push(s.recording[i]!);
        cols.source.push(s.source[i]!);
        cols.generator.push(s.generator[i]!);
        cols.seed.push(s.seed[i]!);
      }
    }
    return new GaitSet({ ...cols, positions: pos, labelNames, T: first.T, V: first.V, fps: first.fps, skeleton: first.skeleton }, { validateValues: false });
  }

  /** A copy with its labels re-indexed to `labelNames` (which must contain every used label). */
  withLabelNames(labelNames: string[]): GaitSet {
    const remap = this.labelNames.map((n) => labelNames.indexOf(n));
    const labels = this.labels.map((l) => {
      if (remap[l]! < 0) throw new GaitforgeError('E_LABEL', `label ${JSON.stringify(this.labelNames[l])} is not in ${labelNames.join(', ')}`);
      return remap[l]!;
    });
    return new GaitSet({ ...this, ...this.meta(), labelNames, labels, positions: this.positions }, { validateValues: false });
  }
}

/** Throws E_OPTION unless `fractions` are non-negative numbers summing to 1 (what `GaitSet.splitIndices` takes). */
export function checkSplitFractions(fractions: readonly number[]): void {
  if (fractions.length === 0 || fractions.some((f) => !(f >= 0) || !Number.isFinite(f)))
    throw new GaitforgeError('E_OPTION', `split fractions ${JSON.stringify(fractions)} must be non-negative numbers`);
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new GaitforgeError('E_OPTION', `split fractions ${JSON.stringify(fractions)} sum to ${+sum.toFixed(6)}, not 1`);
}

/** What two sets share that a split must keep on one side: gait ids, walkers (identities) and recordings. */
export interface SharedGroups {
  ids: string[];
  identities: string[];
  recordings: string[];
}

/** The gait ids, identities and recordings that occur in both `a` and `b` (nulls never match). */
export function sharedGroups(a: GaitSet, b: GaitSet): SharedGroups {
  const both = (x: readonly (string | null)[], y: readonly (string | null)[]) => {
    const inA = new Set(x.filter((v): v is string => v != null));
    return [...new Set(y.filter((v): v is string => v != null && inA.has(v)))];
  };
  return { ids: both(a.ids, b.ids), identities: both(a.identity, b.identity), recordings: both(a.recording, b.recording) };
}

/**
 * Throws E_VALUE when `b` shares a gait, a walker or a recording with `a`
 * (named `aName` and `bName`): what a held-out set must not share with the
 * set a model trained on. `why` ends the message.
 */
export function checkHeldOut(a: GaitSet, aName: string, b: GaitSet, bName: string, why: string): void {
  const s = sharedGroups(a, b);
  for (const [what, values] of [['gait', s.ids], ['walker', s.identities], ['recording', s.recordings]] as const)
    if (values.length)
      throw new GaitforgeError('E_VALUE', `${values.length} ${what}${values.length > 1 ? 's' : ''} of ${bName} (e.g. ${JSON.stringify(values[0])}) ${values.length > 1 ? 'are' : 'is'} also in ${aName}: ${why}`);
}

/**
 * Row indices of parts of `set` with the given fractions, stratified by
 * label, grouped as `GaitSet.grouping('auto')` and seeded. When too few
 * groups give every part `min` gaits (e.g. one walker), the next finer
 * grouping (recording, then gait) is used and `warning` says that the parts
 * share walkers or recordings.
 */
export function groupedSplit(set: GaitSet, fractions: number[], seed: number, min = 2): { parts: Int32Array[]; groupedBy: ResolvedGrouping; warning: string | null } {
  const first = set.grouping();
  // coarsest first: a walker (or walker-or-recording) grouping falls back to recordings, then to gaits
  const order: ResolvedGrouping[] = [first, ...(first !== 'recording' && first !== 'gait' && set.recording.some((x) => x != null) ? ['recording' as const] : []), ...(first !== 'gait' ? ['gait' as const] : [])];
  const units = (g: ResolvedGrouping) => (g === 'identity' ? 'walkers' : g === 'recording' ? 'recordings' : 'walkers or recordings');
  for (const g of order) {
    const parts = set.splitIndices(fractions, seed, { groupBy: g });
    if (parts.every((p) => p.length >= min) || g === 'gait')
      return {
        parts: parts.map((p) => Int32Array.from(p)), groupedBy: g,
        warning: g === first ? null : `the ${set.N} gaits hold too few ${units(first)} for ${fractions.length} parts grouped by ${first}: the parts are grouped by ${g} and share ${units(first)}`,
      };
  }
  throw new Error('unreachable: gait-by-gait parts always exist');
}

/**
 * Two halves of `set` (groupedSplit [0.5, 0.5], at least 2 gaits each): the
 * reference and the floor set of fidBesideFloor. Halves that share a walker
 * make the floor optimistic (lower): `warning` says so.
 */
export function groupedHalves(set: GaitSet, seed: number): { reference: Int32Array; floor: Int32Array; groupedBy: ResolvedGrouping; warning: string | null } {
  const { parts, groupedBy, warning } = groupedSplit(set, [0.5, 0.5], seed);
  return { reference: parts[0]!, floor: parts[1]!, groupedBy, warning: warning && `${warning}, so the floor is lower than it should be` };
}

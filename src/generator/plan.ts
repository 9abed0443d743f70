/**
 * What sampling any generator family shares: the request (counts per label,
 * identities, cells) and its plan of gaits, each gait's own seed, the
 * checks of the options every family takes, the GaitSet of planned rows, and
 * the `Generator` interface the families implement (sample.ts: STEP-Gen and
 * the dispatch by family; flow/ and pca-gaussian/: the PCA-space families).
 */
import { GaitforgeError, optionError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { deriveSeed } from '../core/rng.js';
import { PARENTS } from '../core/skeleton.js';
import type { ManifestFields } from './checkpoint.js';
import type { ResolvedGeneratorFamilyConfig } from './family.js';
import type { LatentPriorKind } from './latent.js';
import { destandardize, type GaitNormalization } from './normalize.js';
import { rigidifyGait } from './rigid.js';

export interface SampleOptions {
  seed: number;
  /**
   * STEP-Gen: scale of the latent noise (0 = the decoded prior mean). Default
   * 1. The PCA-space families (flow, pca-gaussian) have no latent prior: any
   * value but the neutral 1 is an error there.
   */
  temperature?: number;
  /**
   * The latent prior (latent.ts): 'fitted', 'mixture' (absent in older model
   * folders), 'identity' (identity-conditioned generators) or 'standard'
   * N(0, I). Default: the generator's config `prior`. STEP-Gen only (an error
   * for the other families).
   */
  prior?: LatentPriorKind;
  /** Flow only (an error for the other families): integration steps of the sampler. Default: the model's config `steps`. */
  steps?: number;
  /**
   * Flow only (an error for the other families): classifier-free guidance W,
   * v = v_uncond + W·(v_cond − v_uncond); 1 plain conditional, 0
   * unconditional. Default: the model's config `guidance`.
   */
  guidance?: number;
  /**
   * Fit every gait to a rigid skeleton (rigid.ts): each bone at its median length over the gait,
   * or, for an identity-conditioned generator, at the walker's length measured on its training
   * walks. Default true.
   */
  rigid?: boolean;
  /** Gaits per decoder call. Default 64. */
  batchSize?: number;
  /**
   * Identity-conditioned generators only: the identities to generate, each
   * with the per-label `counts` ('all': every identity the model knows, in
   * its order). Rows carry the identity in their `identity` column.
   */
  identities?: string[] | 'all';
}


/** One cell of an explicit request: `count` gaits of `label`, of `identity` (identity-conditioned generators). */
export interface SampleCell {
  identity?: string;
  label: string;
  count: number;
}

/**
 * What to generate: gaits per label name (with SampleOptions.identities:
 * per label for each of those identities), or a list of (identity, label,
 * count) cells.
 */
export type SampleCounts = Record<string, number> | SampleCell[];

export interface Generator {
  /** Generator name: its variant ('stepgen', 'cvae-baseline', 'flow', 'pca-gaussian'). */
  readonly name: string;
  readonly labelNames: string[];
  /** The identities of an identity-conditioned generator (empty when conditioned on the label only). */
  readonly identityNames: string[];
  readonly T: number;
  readonly V: number;
  readonly fps: number;
  readonly skeleton: string;
  /** SHA-256 (hex) of the files sampling reads: generator.json and the weights (STEP-Gen: the decoder and best/latent.json; the PCA families: the basis too). */
  readonly checkpointHash: string;
  /** What synthetic rows carry in their `generator` column: `<name>@<first 12 hex digits of checkpointHash>`. */
  readonly tag: string;
  readonly config: ResolvedGeneratorFamilyConfig;
  readonly normalization: GaitNormalization;
  readonly manifest: ManifestFields<ResolvedGeneratorFamilyConfig>;
  /**
   * Samples `counts[label]` gaits per label (labels in the model's order,
   * gaits k = 0 … count−1 within a label), for each of `options.identities`
   * when given (identities in the order given, then labels), or the cells of
   * a SampleCell list. Rows: source 'synthetic', generator `tag`, the gait's
   * own seed, the identity when one was asked for. Deterministic for a seed.
   * E_OPTION names `identities` when the generator has none or does not know one.
   */
  sample(counts: SampleCounts, options: SampleOptions): GaitSet;
  /** Releases the decoder's weights. */
  dispose(): void;
}

/**
 * A generator loaded from its model directory, of any family: what decoder
 * threads (decode-pool.ts), `startSampler` and `generateToFile` need. `O` is
 * the family's checked sampling options (plain data: threads receive them).
 */
export interface PlanGenerator<O = unknown> extends Generator {
  /** The directory it was loaded from (decoder threads load it too). */
  readonly dir: string;
  /** The checked and filled options of a sampling call; E_OPTION naming an option the family does not take. */
  sampleOptions(options: SampleOptions): O;
  /** The planned gaits of a request (planRequest). */
  plan(counts: SampleCounts, identities?: SampleOptions['identities']): Planned[];
  /** Positions [n, T, V, 3] of planned gaits in metres; each gait depends only on its own seed, so a plan split into parts gives the same gaits. */
  decodePositions(plan: Planned[], o: O): Float32Array;
  /** The GaitSet of planned gaits with their decoded positions. */
  planSet(plan: Planned[], positions: Float32Array, o: O): GaitSet;
  /** What generated files record about the sampling (`generator.*` metadata keys). */
  fileMetadata(o: O): Record<string, string>;
}

/** What a loaded generator of any family reads off its manifest (Generator's fields), and its tag `<name>@<12 hex of the checkpoint hash>`. */
export function manifestView<C>(m: ManifestFields<C>, checkpointHash: string) {
  return {
    name: m.name, labelNames: [...m.labelNames], T: m.T, V: m.V, fps: m.fps, skeleton: m.skeleton, config: m.config, normalization: m.normalization,
    tag: `${m.name}@${checkpointHash.slice(0, 12)}`,
  };
}

/** True for a generator loaded from a directory (any family), which can decode on several threads. */
export function isPlanGenerator(g: unknown): g is PlanGenerator {
  return !!g && typeof g === 'object' && typeof (g as PlanGenerator).decodePositions === 'function' && typeof (g as PlanGenerator).dir === 'string';
}

/**
 * What sampling for evaluation needs: a trained generator, or a control such
 * as `copySource` (pipeline/evaluate-generator.ts), which "generates" by
 * drawing gaits of a real set.
 */
export type SampleSource = Pick<Generator, 'name' | 'labelNames' | 'identityNames' | 'T' | 'V' | 'fps' | 'tag' | 'checkpointHash' | 'sample'>;

/** One planned gait: label index, index within its (identity, label), identity index (identity-conditioned generators). */
export interface Planned {
  label: number;
  k: number;
  identity?: number;
}

/** Checks counts (known labels, positive integers) and returns them in the model's label order. E_LABEL / E_OPTION. */
export function checkCounts(counts: Record<string, number>, labelNames: string[]): [number, number][] {
  if (!counts || typeof counts !== 'object' || Object.keys(counts).length === 0)
    throw new GaitforgeError('E_OPTION', `no counts given: name at least one label with a number of gaits (labels: ${labelNames.join(', ')})`);
  const out: [number, number][] = [];
  for (const [name, c] of Object.entries(counts)) {
    const l = labelNames.indexOf(name);
    if (l < 0) throw new GaitforgeError('E_LABEL', `the model does not know label ${JSON.stringify(name)} (its labels: ${labelNames.join(', ')})`);
    if (!Number.isSafeInteger(c) || c < 1) throw optionError(`count for label ${name}`, c, 'a positive integer');
    out.push([l, c]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

const listed = (names: string[]) => (names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, … (${names.length} in all)`);

/**
 * The planned gaits of a request on a generator with `labelNames` and
 * `identityNames` (empty: conditioned on the label only): cells in the
 * order of the identities asked for (for a cell list: the model's identity
 * order), labels in the model's order, k = 0 … count−1 within each. Errors
 * name the option: E_OPTION for `identities` on a label-only generator, an
 * unknown identity or a conditioned generator asked without identities;
 * E_LABEL / E_OPTION for labels and counts (checkCounts).
 */
export function planRequest(counts: SampleCounts, identities: SampleOptions['identities'], labelNames: string[], identityNames: string[]): Planned[] {
  const conditioned = identityNames.length > 0;
  const IDENTITIES = 'option identities (--identities)';
  const identityIndex = (name: unknown, option = IDENTITIES): number => {
    if (!conditioned)
      throw new GaitforgeError('E_OPTION', `${option}: this generator was trained without identity conditioning (config identityDim = 0), so it cannot generate named identities; train one with identityDim > 0`);
    const k = typeof name === 'string' ? identityNames.indexOf(name) : -1;
    if (k < 0) throw new GaitforgeError('E_OPTION', `${option}: the generator does not know identity ${JSON.stringify(name)} (its identities: ${listed(identityNames)})`);
    return k;
  };
  const plan: Planned[] = [];
  if (Array.isArray(counts)) {
    if (identities !== undefined) throw new GaitforgeError('E_OPTION', 'option identities (--identities) cannot be combined with a list of (identity, label, count) cells: name the identity in each cell');
    if (counts.length === 0) throw new GaitforgeError('E_OPTION', `no counts given: name at least one (identity, label, count) cell (labels: ${labelNames.join(', ')})`);
    const cells = counts.map((c, i) => {
      if (!c || typeof c !== 'object') throw optionError(`counts[${i}]`, c, 'an object { identity, label, count }');
      const id = c.identity === undefined ? -1 : identityIndex(c.identity, `counts[${i}].identity (--counts identity:label=N)`);
      if (id < 0 && conditioned) throw new GaitforgeError('E_OPTION', `counts[${i}] names no identity: this generator is conditioned on identity, name one in every cell (its identities: ${listed(identityNames)})`);
      const [[label, count]] = checkCounts({ [c.label]: c.count }, labelNames) as [[number, number]];
      return { id, label, count };
    });
    cells.sort((a, b) => a.id - b.id || a.label - b.label);
    for (let i = 1; i < cells.length; i++)
      if (cells[i]!.id === cells[i - 1]!.id && cells[i]!.label === cells[i - 1]!.label)
        throw new GaitforgeError('E_OPTION', `counts names (${cells[i]!.id >= 0 ? `identity ${identityNames[cells[i]!.id]}, ` : ''}label ${labelNames[cells[i]!.label]}) twice`);
    for (const c of cells) for (let k = 0; k < c.count; k++) plan.push({ label: c.label, k, ...(c.id >= 0 ? { identity: c.id } : {}) });
    return plan;
  }
  const perLabel = checkCounts(counts, labelNames);
  if (identities === undefined) {
    if (conditioned) throw new GaitforgeError('E_OPTION', `option identities (--identities) is required: this generator is conditioned on identity (its identities: ${listed(identityNames)}; 'all' asks for every one)`);
    for (const [label, c] of perLabel) for (let k = 0; k < c; k++) plan.push({ label, k });
    return plan;
  }
  let ids: number[];
  if (identities === 'all') ids = conditioned ? identityNames.map((_, i) => i) : [identityIndex('all')];
  else {
    if (!Array.isArray(identities) || identities.length === 0) throw optionError('identities', identities, "a non-empty list of identity names or 'all'");
    ids = identities.map((n) => identityIndex(n));
    const dup = ids.findIndex((x, i) => ids.indexOf(x) !== i);
    if (dup >= 0) throw new GaitforgeError('E_OPTION', `option identities (--identities) names ${JSON.stringify(identities[dup])} twice`);
  }
  for (const identity of ids) for (const [label, c] of perLabel) for (let k = 0; k < c; k++) plan.push({ label, k, identity });
  return plan;
}


/** The seed of gait k of a label (of an identity, for an identity-conditioned generator) under a run seed. */
export function gaitSeed(seed: number, label: string, k: number, identity?: string): number {
  return deriveSeed(seed, identity === undefined ? `generator/sample/${label}/${k}` : `generator/sample/${identity}/${label}/${k}`);
}

/** The options every family takes, checked and filled: seed, batchSize, rigid. E_OPTION naming the option. */
export function checkCommonSampleOptions(o: SampleOptions): { seed: number; batchSize: number; rigid: boolean } {
  if (!o || !Number.isSafeInteger(o.seed) || o.seed < 0) throw optionError('seed', o?.seed, 'a non-negative integer');
  const batchSize = o.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw optionError('batchSize', batchSize, 'an integer in [1, 1024]');
  const rigid = o.rigid ?? true;
  if (typeof rigid !== 'boolean') throw optionError('rigid', rigid, 'true or false');
  return { seed: o.seed, batchSize, rigid };
}

/** E_OPTION for each of `names` given in `o` (not undefined): options the generator `what` does not take, with why. */
export function refuseOptions(o: object, names: readonly string[], what: string, why: string): void {
  for (const k of names)
    if ((o as Record<string, unknown>)[k] !== undefined) throw new GaitforgeError('E_OPTION', `option ${k} (--${k}) is not used by ${what}: ${why}`);
}

/**
 * In place: model units → metres, then (with `rigid`) every gait fitted to a
 * rigid skeleton (rigid.ts): each bone at its median length over the gait, or
 * at `bones(i)`'s lengths where it gives some. positions: [n, T, V, 3].
 */
export function finishPositions(positions: Float32Array, norm: GaitNormalization, T: number, V: number, rigid: boolean, bones?: (i: number) => ArrayLike<number> | undefined): Float32Array {
  destandardize(positions, norm);
  if (!rigid) return positions;
  const per = T * V * 3;
  const tmp = new Float32Array(per);
  for (let i = 0; i < positions.length / per; i++) {
    const g = positions.subarray(i * per, (i + 1) * per);
    rigidifyGait(g, T, V, PARENTS, tmp, bones?.(i));
    g.set(tmp);
  }
  return positions;
}

/**
 * The GaitSet of planned gaits: source 'synthetic', generator `gen.tag`,
 * each gait's own seed (gaitSeed under `seed`), the identity where one was
 * planned; ids `<name>-<seed>-[<identity>-]<label>-<k>`.
 */
export function plannedSet(gen: Pick<Generator, 'name' | 'tag' | 'labelNames' | 'identityNames' | 'T' | 'V' | 'fps' | 'skeleton'>, plan: Planned[], positions: Float32Array, seed: number): GaitSet {
  const n = plan.length;
  const who = plan.map((p) => (p.identity === undefined ? null : gen.identityNames[p.identity]!));
  const seeds = plan.map((p, i) => gaitSeed(seed, gen.labelNames[p.label]!, p.k, who[i] ?? undefined));
  return new GaitSet({
    positions, labels: Int32Array.from(plan, (p) => p.label), labelNames: gen.labelNames, T: gen.T, V: gen.V, fps: gen.fps, skeleton: gen.skeleton,
    ids: plan.map((p, i) => `${gen.name}-${seed}-${who[i] === null ? '' : `${who[i]}-`}${gen.labelNames[p.label]}-${p.k}`),
    source: new Array(n).fill('synthetic'), generator: new Array(n).fill(gen.tag), seed: seeds,
    identity: who, frames: new Int32Array(n).fill(gen.T),
  });
}

/**
 * Sampling a trained generator: z drawn per gait from a latent prior
 * (latent.ts: the config's `prior` unless a call names another), decoded
 * with the label in inference mode, mapped back to metres (canonical frame:
 * the first frame's root above the origin, walking towards +Z).
 *
 * Determinism: gait k of label c gets its own seed, derived from the run seed,
 * the label name and k; its latent vector comes from that seed alone. The same
 * (seed, counts, temperature) give the same gaits, and the per-gait seed in
 * each row regenerates that gait. An identity-conditioned generator
 * (config identityDim > 0) decodes gait k of (identity, label) with that
 * identity; its seed is derived from the identity name too.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { PARENTS } from '../core/skeleton.js';
import { openGaitWriter, type GaitFileFormat } from '../io/gaitfile.js';
import { loadModel } from '../nn/serialize.js';
import { filesHash } from '../core/hash.js';
import { checkpointDir } from '../train/checkpoint.js';
import { resolveThreads } from '../train/parallel.js';
import { startDecoders } from './decode-pool.js';
import { LATENT_FILE, MANIFEST_FILE, readManifest, type GeneratorManifest } from './checkpoint.js';
import { checkPriorKind, drawFitted, drawIdentity, drawMixture, priorMismatch, type FittedPrior, type LatentPriorKind } from './latent.js';
import type { ResolvedGeneratorConfig } from './config.js';
import './layers.js';
import { oneHot } from './model.js';
import { destandardize, type GaitNormalization } from './normalize.js';
import { rigidifyGait } from './rigid.js';

export interface SampleOptions {
  seed: number;
  /** Scale of the latent noise (0 = the decoded prior mean). Default 1. */
  temperature?: number;
  /**
   * 'fitted': each label's Gaussian fitted to the training posteriors;
   * 'mixture': each label's mixture of diagonal Gaussians (model directories
   * trained since it exists); 'standard': N(0, I). latent.ts. Default: the
   * generator's config `prior`.
   */
  prior?: LatentPriorKind;
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

/** The decoding options of SampleOptions, checked and filled (what decoder threads receive). */
export type ResolvedSampleOptions = Required<Omit<SampleOptions, 'identities'>>;

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
  /** Generator name ('stepgen' or 'cvae-baseline'). */
  readonly name: string;
  readonly labelNames: string[];
  /** The identities of an identity-conditioned generator (empty when conditioned on the label only). */
  readonly identityNames: string[];
  readonly T: number;
  readonly V: number;
  readonly fps: number;
  readonly skeleton: string;
  /** SHA-256 (hex) of generator.json, the decoder (model.json + weights.bin) and best/latent.json. */
  readonly checkpointHash: string;
  /** What synthetic rows carry in their `generator` column: `<name>@<first 12 hex digits of checkpointHash>`. */
  readonly tag: string;
  readonly config: ResolvedGeneratorConfig;
  readonly normalization: GaitNormalization;
  readonly manifest: GeneratorManifest;
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

/**
 * Checks and fills the sampling options a generator does not decide: all but
 * the prior's default (LoadedGenerator.resolvePrior); a prior given is checked.
 */
function checkSampleOptions(o: SampleOptions): Omit<ResolvedSampleOptions, 'prior'> {
  if (!o || !Number.isSafeInteger(o.seed) || o.seed < 0) throw optionError('seed', o?.seed, 'a non-negative integer');
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 100)
    throw optionError('temperature', temperature, 'a number in [0, 100]');
  const batchSize = o.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw optionError('batchSize', batchSize, 'an integer in [1, 1024]');
  if (o.prior !== undefined) checkPriorKind(o.prior);
  const rigid = o.rigid ?? true;
  if (typeof rigid !== 'boolean') throw optionError('rigid', rigid, 'true or false');
  return { seed: o.seed, temperature, batchSize, rigid };
}

/** The seed of gait k of a label (of an identity, for an identity-conditioned generator) under a run seed. */
export function gaitSeed(seed: number, label: string, k: number, identity?: string): number {
  return deriveSeed(seed, identity === undefined ? `generator/sample/${label}/${k}` : `generator/sample/${identity}/${label}/${k}`);
}

export class LoadedGenerator implements Generator {
  readonly name: string;
  readonly labelNames: string[];
  readonly identityNames: string[];
  readonly T: number;
  readonly V: number;
  readonly fps: number;
  readonly skeleton: string;
  readonly config: ResolvedGeneratorConfig;
  readonly normalization: GaitNormalization;
  readonly tag: string;

  constructor(
    readonly manifest: GeneratorManifest,
    private decoder: tf.LayersModel | null,
    readonly checkpointHash: string,
    readonly latentPrior: FittedPrior,
    /** The directory it was loaded from (decoder threads load it too). */
    readonly dir: string,
  ) {
    this.name = manifest.name;
    this.labelNames = [...manifest.labelNames];
    this.identityNames = [...(manifest.identityNames ?? [])];
    this.T = manifest.T;
    this.V = manifest.V;
    this.fps = manifest.fps;
    this.skeleton = manifest.skeleton;
    this.config = manifest.config;
    this.normalization = manifest.normalization;
    this.tag = `${this.name}@${checkpointHash.slice(0, 12)}`;
  }

  sample(counts: SampleCounts, options: SampleOptions): GaitSet {
    return this.decodePlan(this.plan(counts, options.identities), this.sampleOptions(options));
  }

  /** The checked and filled options of a sampling call (the prior: `resolvePrior`). */
  sampleOptions(options: SampleOptions): ResolvedSampleOptions {
    return { ...checkSampleOptions(options), prior: this.resolvePrior(options.prior) };
  }

  /**
   * The prior a sampling call draws from: `prior`, or the config's when none
   * is named. E_OPTION for an unknown kind, for the mixture or identity prior
   * of a directory written before it existed, and for the identity prior of
   * a generator not conditioned on identity.
   */
  resolvePrior(prior: LatentPriorKind | undefined): LatentPriorKind {
    const p = checkPriorKind(prior ?? this.config.prior);
    if (p === 'mixture' && !this.latentPrior.mixture)
      throw new GaitforgeError('E_OPTION', `option prior (--prior) is 'mixture', but generator ${this.dir} was trained before the mixture prior existed: retrain it, or use --prior fitted`);
    if (p === 'identity' && this.identityNames.length === 0)
      throw new GaitforgeError('E_OPTION', `option prior (--prior) is 'identity', but generator ${this.dir} is not conditioned on identity (config identityDim = 0): use --prior mixture or fitted`);
    if (p === 'identity' && !this.latentPrior.identity)
      throw new GaitforgeError('E_OPTION', `option prior (--prior) is 'identity', but generator ${this.dir} was trained before the identity prior existed: retrain it, or use --prior mixture or fitted`);
    return p;
  }

  /** The planned gaits of a request (planRequest). */
  plan(counts: SampleCounts, identities?: SampleOptions['identities']): Planned[] {
    return planRequest(counts, identities, this.labelNames, this.identityNames);
  }

  /** The seed of a planned gait. */
  private seedOf(p: Planned, seed: number): number {
    return gaitSeed(seed, this.labelNames[p.label]!, p.k, p.identity === undefined ? undefined : this.identityNames[p.identity]);
  }

  /** The decoder in inference mode: latent codes [n, D] and the condition (one-hot label, and identity when conditioned) → [n, T, V, 3] in model units. */
  decode(z: tf.Tensor2D, condition: tf.Tensor2D[]): tf.Tensor {
    if (!this.decoder) throw new GaitforgeError('E_MODEL', `generator ${this.tag} was disposed`);
    return this.decoder.apply([z, ...condition], { training: false }) as tf.Tensor;
  }

  /** Decodes planned gaits into a GaitSet (rows in plan order). */
  decodePlan(plan: Planned[], o: ResolvedSampleOptions): GaitSet {
    return this.planSet(plan, this.decodePositions(plan, o), o);
  }

  /**
   * Positions [n, T, V, 3] of planned gaits in metres (destandardised, rigid
   * when asked). Each gait depends only on its own seed: decoding runs in
   * inference mode, so a plan split into parts gives the same gaits.
   */
  decodePositions(plan: Planned[], o: ResolvedSampleOptions): Float32Array {
    if (!this.decoder) throw new GaitforgeError('E_MODEL', `generator ${this.tag} was disposed`);
    const { T, V } = this;
    const per = T * V * 3;
    const L = this.labelNames.length;
    const D = this.config.latentDim;
    const n = plan.length;
    const positions = new Float32Array(n * per);
    const seeds = plan.map((p) => this.seedOf(p, o.seed));
    const I = this.identityNames.length;
    if (I > 0 && plan.some((p) => p.identity === undefined)) throw new GaitforgeError('E_OPTION', 'option identities (--identities) is required: this generator is conditioned on identity');
    for (let s = 0; s < n; s += o.batchSize) {
      const e = Math.min(n, s + o.batchSize);
      const z = new Float32Array((e - s) * D);
      const eps = new Float64Array(D);
      for (let i = s; i < e; i++) {
        const rng = new Rng(seeds[i]!, 'generator/latent');
        for (let d = 0; d < D; d++) eps[d] = rng.normal();
        const label = this.labelNames[plan[i]!.label]!;
        if (o.prior === 'fitted') drawFitted(this.latentPrior.labels[label]!, eps, o.temperature, z, (i - s) * D);
        else if (o.prior === 'mixture') drawMixture(this.latentPrior.mixture![label]!, eps, rng.next(), o.temperature, z, (i - s) * D);
        else if (o.prior === 'identity') drawIdentity(this.latentPrior.identity!, label, this.identityNames[plan[i]!.identity!]!, eps, o.temperature, z, (i - s) * D);
        else for (let d = 0; d < D; d++) z[(i - s) * D + d] = o.temperature * eps[d]!;
      }
      const part = plan.slice(s, e);
      const out = tf.tidy(() =>
        this.decode(tf.tensor2d(z, [e - s, D]), [oneHot(part.map((p) => p.label), L), ...(I > 0 ? [oneHot(part.map((p) => p.identity!), I)] : [])]),
      );
      positions.set(out.dataSync(), s * per);
      out.dispose();
    }
    destandardize(positions, this.normalization);
    if (o.rigid) {
      // an identity's draws take that walker's measured bone lengths where the directory records them
      const walker = this.manifest.identityBoneLengths;
      const tmp = new Float32Array(per);
      for (let i = 0; i < n; i++) {
        const g = positions.subarray(i * per, (i + 1) * per);
        const who = plan[i]!.identity;
        rigidifyGait(g, T, V, PARENTS, tmp, who === undefined ? undefined : walker?.[who]);
        g.set(tmp);
      }
    }
    return positions;
  }

  /** The GaitSet of planned gaits with their decoded positions. */
  planSet(plan: Planned[], positions: Float32Array, o: ResolvedSampleOptions): GaitSet {
    const { T, V } = this;
    const n = plan.length;
    const seeds = plan.map((p) => this.seedOf(p, o.seed));
    const labels = Int32Array.from(plan, (p) => p.label);
    const who = plan.map((p) => (p.identity === undefined ? null : this.identityNames[p.identity]!));
    return new GaitSet({
      positions, labels, labelNames: this.labelNames, T, V, fps: this.fps, skeleton: this.skeleton,
      ids: plan.map((p, i) => `${this.name}-${o.seed}-${who[i] === null ? '' : `${who[i]}-`}${this.labelNames[p.label]}-${p.k}`),
      source: new Array(n).fill('synthetic'), generator: new Array(n).fill(this.tag), seed: seeds,
      identity: who, frames: new Int32Array(n).fill(T),
    });
  }

  dispose(): void {
    this.decoder?.dispose();
    this.decoder = null;
  }
}

/**
 * Loads a generator from a model directory (its best checkpoint). E_MODEL
 * when files are missing or the directory was written by an incompatible
 * gaitforge. The caller disposes the generator.
 */
export async function loadGenerator(dir: string): Promise<Generator> {
  const manifest = readManifest(dir);
  if (manifest.bestEpoch < 1) throw new GaitforgeError('E_MODEL', `${dir} holds no finished epoch yet (training was stopped before the first epoch ended)`);
  const decoderDir = path.join(checkpointDir(dir, 'best'), 'decoder');
  if (!existsSync(decoderDir)) throw new GaitforgeError('E_MODEL', `model directory ${dir} is missing best/decoder/`);
  const latentFile = path.join(path.dirname(decoderDir), LATENT_FILE);
  if (!existsSync(latentFile)) throw new GaitforgeError('E_MODEL', `model directory ${dir} is missing best/${LATENT_FILE}`);
  let latentPrior: FittedPrior;
  try {
    latentPrior = JSON.parse(readFileSync(latentFile, 'utf8')) as FittedPrior;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${latentFile} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const mismatch = priorMismatch(latentPrior, manifest.config.latentDim, manifest.labelNames, manifest.config.prior);
  if (mismatch) throw new GaitforgeError('E_MODEL', `${latentFile} does not match ${path.join(dir, MANIFEST_FILE)}: ${mismatch}`);
  // loadModel names a missing or corrupt model.json / weights.bin (nn/serialize.ts layout)
  const { model } = await loadModel(decoderDir);
  const hash = filesHash(dir, [MANIFEST_FILE, ...['model.json', 'weights.bin', LATENT_FILE].map((f) => path.relative(dir, path.join(f === LATENT_FILE ? path.dirname(decoderDir) : decoderDir, f)))]);
  const [zShape, yShape, idShape] = model.inputs.map((i) => i.shape);
  const outShape = model.outputs[0]!.shape;
  const identities = manifest.identityNames?.length ?? 0;
  if (
    zShape?.[1] !== manifest.config.latentDim || yShape?.[1] !== manifest.labelNames.length || outShape[1] !== manifest.T || outShape[2] !== manifest.V ||
    model.inputs.length !== (identities > 0 ? 3 : 2) || (identities > 0 && idShape?.[1] !== identities)
  ) {
    model.dispose();
    throw new GaitforgeError('E_MODEL', `${decoderDir} does not match ${path.join(dir, 'generator.json')} (latent ${zShape?.[1]}, labels ${yShape?.[1]}, identities ${idShape?.[1] ?? 0}, output [${outShape.slice(1)}])`);
  }
  return new LoadedGenerator(manifest, model, hash, latentPrior, path.resolve(dir));
}

/** In-memory sampling on one or more threads. Call `close()` when done (the generator stays loaded). */
export interface Sampler {
  /** Threads decoding (1 on the native backends, or for a generator not returned by `loadGenerator`). */
  readonly threads: number;
  /** `Generator.sample`, the plan's decoding split across the threads: the same gaits on any thread count. */
  sample(counts: SampleCounts, options: SampleOptions): Promise<GaitSet>;
  close(): Promise<void>;
}

/**
 * A sampler of `gen` decoding on `threads` threads (default 1; resolved by
 * `resolveThreads`): replica threads each load the generator's directory
 * (decode-pool.ts). Every gait is decoded from its own seed in inference
 * mode, so the gaits do not depend on the thread count.
 */
export async function startSampler(gen: SampleSource, threads = 1): Promise<Sampler> {
  const n = resolveThreads(threads);
  const pool = n > 1 && gen instanceof LoadedGenerator ? await startDecoders(gen.dir, gen.checkpointHash, n - 1) : null;
  return {
    threads: pool ? n : 1,
    async sample(counts, options) {
      if (!pool || !(gen instanceof LoadedGenerator)) return gen.sample(counts, options);
      const o = gen.sampleOptions(options);
      const plan = gen.plan(counts, options.identities);
      return gen.planSet(plan, await pool.decode(gen, plan, o), o);
    },
    close: async () => pool?.close(),
  };
}

export interface GenerateToFileOptions extends SampleOptions {
  /** Gaits per label name (for each of `identities` when given), or (identity, label, count) cells. */
  counts: SampleCounts;
  /** Default: from the extension. */
  format?: GaitFileFormat;
  progress?: Progress;
  /** Gaits decoded and appended per chunk (bounds memory). Default 1,000. */
  chunkSize?: number;
  /**
   * Threads decoding each chunk (wasm and cpu backends: worker threads, each
   * loading the generator; 1 on the native backends). Default 1. The gaits do
   * not depend on it: each is decoded from its own seed in inference mode.
   */
  threads?: number;
}

export interface GenerateToFileResult {
  path: string;
  rows: number;
  generator: string;
  checkpointHash: string;
  /** The latent prior the gaits were drawn from. */
  prior: LatentPriorKind;
  seconds: number;
  gaitsPerSec: number;
}

/**
 * Samples a generator straight into a Parquet/Arrow file through the
 * streaming writer, `chunkSize` gaits at a time, so any number of gaits fits
 * in bounded memory. Options are checked before anything is written; a
 * failure removes the temporary file and leaves the target untouched.
 */
export async function generateToFile(modelDir: string, outPath: string, options: GenerateToFileOptions): Promise<GenerateToFileResult> {
  checkSampleOptions(options); // before loading anything; the prior's default comes with the generator
  const chunk = options.chunkSize ?? 1000;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 100_000) throw optionError('chunkSize', chunk, 'an integer in [1, 100000]');
  const progress = options.progress ?? silentProgress;
  const threads = resolveThreads(options.threads);
  const gen = (await loadGenerator(modelDir)) as LoadedGenerator;
  let pool: Awaited<ReturnType<typeof startDecoders>> | null = null;
  try {
    const o = gen.sampleOptions(options);
    const all = gen.plan(options.counts, options.identities);
    const total = all.length;
    // decoder threads only once the request is known to be valid, and only when there is work to share
    if (threads > 1 && total > 1) pool = await startDecoders(modelDir, gen.checkpointHash, Math.min(threads, total) - 1);
    const writer = await openGaitWriter(outPath, {
      format: options.format, T: gen.T, V: gen.V, fps: gen.fps, skeleton: gen.skeleton, labelNames: gen.labelNames,
      metadata: {
        'generator.name': gen.name, 'generator.checkpoint': gen.checkpointHash, 'generator.seed': String(o.seed),
        'generator.temperature': String(o.temperature), 'generator.prior': o.prior, 'generator.rigid': String(o.rigid),
      },
    });
    const t0 = performance.now();
    try {
      progress.start(`generate ${gen.name}`, total);
      let done = 0;
      let plan: Planned[] = [];
      const flush = async () => {
        await writer.append(pool ? gen.planSet(plan, await pool.decode(gen, plan, o), o) : gen.decodePlan(plan, o));
        done += plan.length;
        plan = [];
        progress.update(done, { gaits_per_s: done / ((performance.now() - t0) / 1000) });
      };
      for (const p of all) {
        plan.push(p);
        if (plan.length === chunk) await flush();
      }
      if (plan.length) await flush();
      await writer.close();
      progress.stop();
    } catch (e) {
      progress.stop();
      await writer.abort();
      throw e;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { path: outPath, rows: total, generator: gen.tag, checkpointHash: gen.checkpointHash, prior: o.prior, seconds, gaitsPerSec: total / seconds };
  } finally {
    await pool?.close();
    gen.dispose();
  }
}

/**
 * Sampling a trained generator (what every family shares is in plan.ts):
 * STEP-Gen's z drawn per gait from a latent prior (latent.ts: the config's
 * `prior` unless a call names another), decoded with the label in inference
 * mode and mapped back to metres in the canonical frame. Gait k of label c
 * (and identity, when identity-conditioned) gets its own seed from the run
 * seed, the names and k, and its latent comes from that seed alone: the same
 * (seed, counts, temperature) give the same gaits, and a row's seed regenerates it.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { openGaitWriter, type GaitFileFormat } from '../io/gaitfile.js';
import { loadModel } from '../nn/serialize.js';
import { filesHash } from '../core/hash.js';
import { checkpointDir } from '../train/checkpoint.js';
import { resolveThreads } from '../train/parallel.js';
import { startDecoders } from './decode-pool.js';
import { LATENT_FILE, MANIFEST_FILE, manifestVariant, readManifest, type GeneratorManifest } from './checkpoint.js';
import { loadFlowGenerator } from './flow/sample.js';
import { loadPcaGaussian } from './pca-gaussian/model.js';
import {
  checkCommonSampleOptions, finishPositions, gaitSeed, isPlanGenerator, manifestView, planRequest, plannedSet, refuseOptions,
  type Generator, type Planned, type PlanGenerator, type SampleCounts, type SampleOptions, type SampleSource,
} from './plan.js';
import { checkPriorKind, drawFitted, drawIdentity, drawMixture, priorMismatch, type FittedPrior, type LatentPriorKind } from './latent.js';
import type { ResolvedGeneratorConfig } from './config.js';
import './layers.js';
import { oneHot } from './model.js';
import type { GaitNormalization } from './normalize.js';

export {
  checkCounts, gaitSeed, isPlanGenerator, planRequest, type Generator, type Planned, type PlanGenerator, type SampleCell, type SampleCounts, type SampleOptions, type SampleSource,
} from './plan.js';

/** STEP-Gen's decoding options of SampleOptions, checked and filled (what decoder threads receive). */
export type ResolvedSampleOptions = { seed: number; temperature: number; prior: LatentPriorKind; rigid: boolean; batchSize: number };

/**
 * Checks and fills STEP-Gen's sampling options: all but the prior's default
 * (LoadedGenerator.resolvePrior); a prior given is checked; the flow's
 * `steps` and `guidance` are refused.
 */
function checkSampleOptions(o: SampleOptions): Omit<ResolvedSampleOptions, 'prior'> {
  const common = checkCommonSampleOptions(o);
  refuseOptions(o, ['steps', 'guidance'], 'STEP-Gen generators', 'they are the flow sampler\'s (a STEP-Gen sample is one decoder pass; its options are temperature and prior)');
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 100)
    throw optionError('temperature', temperature, 'a number in [0, 100]');
  if (o.prior !== undefined) checkPriorKind(o.prior);
  return { ...common, temperature };
}

export class LoadedGenerator implements PlanGenerator<ResolvedSampleOptions> {
  readonly name!: string;
  readonly labelNames!: string[];
  readonly identityNames: string[];
  readonly T!: number;
  readonly V!: number;
  readonly fps!: number;
  readonly skeleton!: string;
  readonly config!: ResolvedGeneratorConfig;
  readonly normalization!: GaitNormalization;
  readonly tag!: string;

  constructor(
    readonly manifest: GeneratorManifest,
    private decoder: tf.LayersModel | null,
    readonly checkpointHash: string,
    readonly latentPrior: FittedPrior,
    /** The directory it was loaded from (decoder threads load it too). */
    readonly dir: string,
  ) {
    Object.assign(this, manifestView(manifest, checkpointHash));
    this.identityNames = [...(manifest.identityNames ?? [])];
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
   * is named. E_OPTION for an unknown kind, for a mixture or identity prior an
   * older model folder lacks, and for the identity prior of a generator not
   * conditioned on identity.
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
    // an identity's draws take that walker's measured bone lengths where the directory records them
    const walker = this.manifest.identityBoneLengths;
    return finishPositions(positions, this.normalization, T, V, o.rigid, (i) => (plan[i]!.identity === undefined ? undefined : walker?.[plan[i]!.identity!]));
  }

  /** The GaitSet of planned gaits with their decoded positions. */
  planSet(plan: Planned[], positions: Float32Array, o: ResolvedSampleOptions): GaitSet {
    return plannedSet(this, plan, positions, o.seed);
  }

  fileMetadata(o: ResolvedSampleOptions): Record<string, string> {
    return {
      'generator.name': this.name, 'generator.checkpoint': this.checkpointHash, 'generator.seed': String(o.seed),
      'generator.temperature': String(o.temperature), 'generator.prior': o.prior, 'generator.rigid': String(o.rigid),
    };
  }

  dispose(): void {
    this.decoder?.dispose();
    this.decoder = null;
  }
}

/**
 * Loads a generator of any family from a model directory (its best
 * checkpoint), by the variant its manifest records: STEP-Gen and the baseline
 * CVAE here, the flow (flow/sample.ts) and the PCA-Gaussian floor
 * (pca-gaussian/model.ts). Every one is a PlanGenerator. E_MODEL when files
 * are missing or the directory was written by an incompatible gaitforge. The
 * caller disposes the generator.
 */
export async function loadGenerator(dir: string): Promise<Generator> {
  const variant = manifestVariant(dir);
  if (variant === 'flow') return loadFlowGenerator(dir);
  if (variant === 'pca-gaussian') return loadPcaGaussian(dir);
  return loadStepGen(dir);
}

/** STEP-Gen's (or the baseline CVAE's) generator in `dir`: its decoder and latent prior. */
async function loadStepGen(dir: string): Promise<LoadedGenerator> {
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
  const pool = n > 1 && isPlanGenerator(gen) ? await startDecoders(gen.dir, gen.checkpointHash, n - 1) : null;
  return {
    threads: pool ? n : 1,
    async sample(counts, options) {
      if (!pool || !isPlanGenerator(gen)) return gen.sample(counts, options);
      const o = gen.sampleOptions(options);
      const plan = gen.plan(counts, options.identities);
      return gen.planSet(plan, await pool.decode(gen, plan, o), o);
    },
    close: async () => pool?.close(),
  };
}

/** What generateToFile reports of any family's checked options (each family's hold some of these). */
type SamplingSettings = { seed: number; prior?: LatentPriorKind; steps?: number; guidance?: number };

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
  /** The latent prior the gaits were drawn from (STEP-Gen); null for the families without one. */
  prior: LatentPriorKind | null;
  /** The flow sampler's integration steps and guidance W (flow only). */
  steps?: number;
  guidance?: number;
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
  // before loading anything: what every family checks alike; the rest (and the defaults) come with the generator
  checkCommonSampleOptions(options);
  if (options.temperature !== undefined && (typeof options.temperature !== 'number' || !Number.isFinite(options.temperature) || options.temperature < 0 || options.temperature > 100))
    throw optionError('temperature', options.temperature, 'a number in [0, 100]');
  const chunk = options.chunkSize ?? 1000;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 100_000) throw optionError('chunkSize', chunk, 'an integer in [1, 100000]');
  const progress = options.progress ?? silentProgress;
  const threads = resolveThreads(options.threads);
  const gen = (await loadGenerator(modelDir)) as PlanGenerator<SamplingSettings>;
  let pool: Awaited<ReturnType<typeof startDecoders>> | null = null;
  try {
    const o = gen.sampleOptions(options);
    const all = gen.plan(options.counts, options.identities);
    const total = all.length;
    // decoder threads only once the request is known to be valid, and only when there is work to share
    if (threads > 1 && total > 1) pool = await startDecoders(modelDir, gen.checkpointHash, Math.min(threads, total) - 1);
    const writer = await openGaitWriter(outPath, {
      format: options.format, T: gen.T, V: gen.V, fps: gen.fps, skeleton: gen.skeleton, labelNames: gen.labelNames,
      metadata: gen.fileMetadata(o),
    });
    const t0 = performance.now();
    try {
      progress.start(`generate ${gen.name}`, total);
      let done = 0;
      let plan: Planned[] = [];
      const flush = async () => {
        await writer.append(gen.planSet(plan, pool ? await pool.decode(gen, plan, o) : gen.decodePositions(plan, o), o));
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
    return {
      path: outPath, rows: total, generator: gen.tag, checkpointHash: gen.checkpointHash, prior: o.prior ?? null,
      ...(o.steps !== undefined ? { steps: o.steps, guidance: o.guidance } : {}), seconds, gaitsPerSec: total / seconds,
    };
  } finally {
    await pool?.close();
    gen.dispose();
  }
}

/**
 * Restyling real gaits with a trained generator. A flow (flow/sample.ts)
 * noises the walk part of the way and integrates it back with the new label.
 * STEP-Gen and the baseline CVAE move a gait of label a to label b by the
 * decoder's difference between the two, in metres:
 *   x' = x + s · scale · (D(μ + a_b − a_a, b) − D(μ, a)),   μ = E(x, a) (posterior mean),
 * x the gait in the generator's canonical frame, D and E in inference mode
 * (with the gait's identity when identity-conditioned), scale the
 * normalisation's scale, s the strength, a_l label l's latent effect (the
 * identity prior's label effect, else the mean of the label's fitted
 * Gaussian). The result keeps every detail of the real walk the decoder
 * blurs and takes from the generator only how the label changes it (s = 0:
 * the real gait). μ encodes the gait's own label too, so decoding b at μ
 * itself (latent 'posterior') carries b weakly; the shift by a_b − a_a swaps
 * the label's part and keeps the walker's. As every edit (edit.ts), bones are
 * set back to their source's lengths and rows keep the source's identity and recording.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { writeGaitFile, readGaitFile } from '../io/gaitfile.js';
import { loadModel } from '../nn/serialize.js';
import { checkpointDir } from '../train/checkpoint.js';
import './layers.js';
import { canonicalizeAll, standardize } from './normalize.js';
import { editedSet, plannedRows, refitToSources, strengthOption, targetLabels } from './edit.js';
import type { DecodeReplicaSpec } from './decode-replica.js';
import { shardSizes } from '../train/engine.js';
import { resolveThreads, spreadParts, startReplicaPool, type ReplicaPool } from '../train/parallel.js';
import { conditionTensors, encodePosteriors } from './train.js';
import { DEFAULT_RESTYLE_LATENT, RESTYLE_LATENTS, type RestyleLatent } from './latent.js';
import { FlowGenerator, checkFlowOptions, restyleSeed } from './flow/sample.js';
import { refuseOptions } from './plan.js';
import { LoadedGenerator, loadGenerator, type Generator } from './sample.js';

export interface RestyleOptions {
  /** Labels to restyle into: each gait gives one gait per listed label other than its own (in the model's label order). */
  to: string[];
  /**
   * STEP-Gen: s above, the scale of the label edit (0: the gait unchanged, 1: the decoder's whole
   * difference, up to 10). Default 1. A flow: how far the walk is noised before it is integrated
   * back with the new label, in [0, 1] (0: the gait itself, 1: pure noise; flow/sample.ts).
   * Default: the flow's config `restyleStrength` (0.5).
   */
  strength?: number;
  /**
   * STEP-Gen only (an error for a flow): the latent code the new label is decoded at: 'shifted'
   * (default) the gait's posterior mean moved by the label's latent effect, μ + a_b − a_a;
   * 'posterior' μ itself (the module comment).
   */
  latent?: RestyleLatent;
  /** Flow only: the run seed of each walk's noise (row seed = flow/sample.ts `restyleSeed`(seed, source id, label)). Default 1. */
  seed?: number;
  /** Flow only: integration steps of a whole path (a path from strength s takes ⌈steps·s⌉). Default: the flow's config. */
  steps?: number;
  /** Flow only: classifier-free guidance W of the path back. Default: the flow's config. */
  guidance?: number;
  /** Gaits per encoder/decoder call. Default 64. */
  batchSize?: number;
  /** Reports restyled gaits. */
  progress?: Progress;
  /**
   * Threads (wasm and cpu backends: replica threads each loading the generator, as sampling's;
   * 1 on the native backends). Default 1. The gaits do not depend on it: STEP-Gen draws nothing
   * (inference mode throughout) and a flow draws each row's noise from that row's seed.
   */
  threads?: number;
}

/** What one thread restyles: source gaits (canonical, metres) with their model label and identity indices, and rows (source index in `canonical`, target label index). */
export interface RestyleWork {
  kind: 'cvae';
  canonical: Float32Array;
  from: Int32Array;
  who: Int32Array | null;
  rows: [number, number][];
  strength: number;
  latent: RestyleLatent;
  batchSize: number;
}

/**
 * Each label's latent effect [L][D] in the model's label order: the identity prior's label
 * effects a when the generator has one, else the means of the label's fitted Gaussian.
 */
function labelEffects(gen: LoadedGenerator): number[][] {
  const p = gen.latentPrior;
  return gen.labelNames.map((name) => (p.identity ? p.identity.labels[name]! : p.labels[name]!.mean));
}

/** The networks restyling needs: a loaded generator's decoder and the encoder of its best checkpoint. */
export class Restyler {
  private constructor(readonly gen: LoadedGenerator, private readonly encoder: tf.LayersModel) {}

  static async load(gen: LoadedGenerator): Promise<Restyler> {
    return new Restyler(gen, (await loadModel(path.join(checkpointDir(gen.dir, 'best'), 'encoder'))).model);
  }

  /** Positions [rows, T, V, 3] of the work's rows (the module comment's formula, then the bone refit); `onBatch(done)` after each decoder batch. */
  positions(w: RestyleWork, onBatch?: (done: number) => void): Float32Array {
    const { gen } = this;
    const { T, V } = gen;
    const per = T * V * 3;
    const D = gen.config.latentDim;
    const L = gen.labelNames.length;
    const I = gen.identityNames.length;
    const who = w.who ?? undefined;
    const { mu } = encodePosteriors(this.encoder, standardize(w.canonical.slice(), gen.normalization), w.from, [T, V, 3], D, L, who, I, w.batchSize);
    const k = w.strength * gen.normalization.scale;
    const effect = w.latent === 'shifted' ? labelEffects(gen) : null;
    const positions = new Float32Array(w.rows.length * per);
    for (let s = 0; s < w.rows.length; s += w.batchSize) {
      const part = w.rows.slice(s, s + w.batchSize);
      const z = new Float32Array(part.length * D);
      part.forEach(([i], r) => z.set(mu.subarray(i * D, (i + 1) * D), r * D));
      // the code the new label is decoded at: z itself, or a shifted copy
      const zTo = effect ? z.slice() : z;
      if (effect) part.forEach(([i, l], r) => { for (let d = 0; d < D; d++) zTo[r * D + d] += effect[l]![d]! - effect[w.from[i]!]![d]!; });
      const ids = who && part.map(([i]) => who[i]!);
      const delta = tf.tidy(() => {
        const decode = (codes: Float32Array, labels: number[]) => gen.decode(tf.tensor2d(codes, [part.length, D]), conditionTensors(labels, L, ids, I));
        return tf.sub(decode(zTo, part.map(([, l]) => l)), decode(z, part.map(([i]) => w.from[i]!)));
      });
      const d = delta.dataSync();
      delta.dispose();
      part.forEach(([i], r) => {
        const o = (s + r) * per;
        for (let j = 0; j < per; j++) positions[o + j] = w.canonical[i * per + j]! + k * d[r * per + j]!;
      });
      onBatch?.(s + part.length);
    }
    refitToSources(positions, w.canonical, w.rows, T, V);
    return positions;
  }

  /** Releases the encoder (the generator stays with its owner). */
  dispose(): void {
    this.encoder.dispose();
  }
}

/** What one thread restyles with a flow: source gaits (canonical, metres), rows (source index in `canonical`, target label, the row's seed). */
export interface FlowRestyleWork {
  kind: 'flow';
  canonical: Float32Array;
  rows: [number, number, number][];
  strength: number;
  steps: number;
  guidance: number;
  batchSize: number;
}

/** A restyled part's positions on this or a replica thread, by its family's edit. */
export function restylePart(gen: LoadedGenerator | FlowGenerator, restyler: Restyler | null, w: RestyleWork | FlowRestyleWork, onBatch?: (done: number) => void): Float32Array {
  if (w.kind === 'flow') return (gen as FlowGenerator).restyleRows(w.canonical, w.rows, w.strength, w);
  return restyler!.positions(w, onBatch);
}

/** The restyling options of a flow, checked and filled (E_OPTION naming the option; `latent` is STEP-Gen's). */
function flowRestyleOptions(gen: FlowGenerator, o: RestyleOptions): { strength: number; steps: number; guidance: number; seed: number } {
  if (o.latent !== undefined)
    throw new GaitforgeError('E_OPTION', `option latent (--latent) is STEP-Gen's: a flow generator (${gen.tag}) has no latent code; it restyles by noising the walk part of the way (--strength) and integrating back with the new label`);
  const strength = o.strength ?? gen.config.restyleStrength;
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 1) throw optionError('strength', strength, 'a number in [0, 1] for a flow (the fraction of the way to noise)');
  const steps = o.steps ?? gen.config.steps;
  const guidance = o.guidance ?? gen.config.guidance;
  checkFlowOptions(steps, guidance);
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw optionError('seed', seed, 'a non-negative integer');
  return { strength, steps, guidance, seed };
}

/**
 * The gaits of `set` restyled by `generator` (from loadGenerator: STEP-Gen, the baseline CVAE or a
 * flow) into each label of `options.to` (row order: source gaits in order, then target labels).
 * Rows: source 'synthetic', generator `gen.tag`, the row's seed (a flow's; none for STEP-Gen,
 * which draws nothing), the source's identity and recording, id `<source id>>restyled-<label>`.
 * Errors: E_MODEL for a generator that cannot restyle (pca-gaussian), E_SHAPE for a set of another
 * T or V than the generator's, E_LABEL for a source or target label the generator does not know
 * (naming the row), E_VALUE for a gait of an identity an identity-conditioned generator does not
 * know (naming the row), E_OPTION for the options (another family's naming the family).
 */
export async function restyle(generator: Generator, set: GaitSet, options: RestyleOptions): Promise<GaitSet> {
  const flow = generator instanceof FlowGenerator ? generator : null;
  if (!flow && !(generator instanceof LoadedGenerator))
    throw new GaitforgeError('E_MODEL', `restyle needs a STEP-Gen or flow generator loaded from its directory by loadGenerator (${generator.name} has no way back from a real walk to its model)`);
  const gen = (flow ?? generator) as LoadedGenerator | FlowGenerator;
  const f = flow ? flowRestyleOptions(flow, options) : null;
  if (!flow) refuseOptions(options, ['steps', 'guidance', 'seed'], `STEP-Gen's restyle (${gen.tag})`, 'they belong to a flow, whose restyle draws noise and integrates; a STEP-Gen edit draws nothing');
  const strength = f ? f.strength : strengthOption(options.strength);
  const latent = options.latent ?? DEFAULT_RESTYLE_LATENT;
  if (!RESTYLE_LATENTS.includes(latent)) throw optionError('latent', latent, RESTYLE_LATENTS.join('|'));
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw optionError('batchSize', batchSize, 'an integer in [1, 1024]');
  const progress = options.progress ?? silentProgress;
  const targets = targetLabels(options.to, gen.labelNames, 'the generator');
  const { T, V } = gen;
  if (set.T !== T || set.V !== V || set.fps !== gen.fps)
    throw new GaitforgeError('E_SHAPE', `gaits of T = ${set.T}, V = ${set.V} at ${set.fps} fps cannot be restyled by generator ${gen.tag} (T = ${T}, V = ${V}, ${gen.fps} fps): resample them first`);
  const I = gen.identityNames.length;
  const from = Int32Array.from(set.labels, (l, i) => {
    const k = gen.labelNames.indexOf(set.labelNames[l]!);
    if (k < 0) throw new GaitforgeError('E_LABEL', `gait ${set.ids[i]} (row ${i}) has label ${JSON.stringify(set.labelNames[l])}, which generator ${gen.tag} does not know (its labels: ${gen.labelNames.join(', ')})`);
    return k;
  });
  const who = I === 0 ? undefined : Int32Array.from(set.identity, (name, i) => {
    const k = name == null ? -1 : gen.identityNames.indexOf(name);
    if (k < 0) throw new GaitforgeError('E_VALUE', `gait ${set.ids[i]} (row ${i}) is of identity ${JSON.stringify(name)}, which generator ${gen.tag} does not know: an identity-conditioned generator restyles only its training identities`);
    return k;
  });
  const rows = plannedRows(from, targets);
  const seeds = f ? rows.map(([i, l]) => restyleSeed(f.seed, set.ids[i]!, gen.labelNames[l]!)) : undefined;
  const per = T * V * 3;
  const canonical = canonicalizeAll(set.positions, T, V);
  // the rows in contiguous parts, one per thread; each part carries the source gaits it reads
  const sizes = shardSizes(rows.length, Math.max(1, Math.min(resolveThreads(options.threads), rows.length)), 1);
  const parts: (RestyleWork | FlowRestyleWork)[] = [];
  let at = 0;
  for (const n of sizes) {
    const mine = rows.slice(at, at + n);
    const first = mine[0]?.[0] ?? 0;
    const last = mine.length ? mine[mine.length - 1]![0] + 1 : 0;
    const part = canonical.slice(first * per, last * per);
    if (f) parts.push({ kind: 'flow', canonical: part, rows: mine.map(([i, l], r) => [i - first, l, seeds![at + r]!]), strength, steps: f.steps, guidance: f.guidance, batchSize });
    else parts.push({ kind: 'cvae', canonical: part, from: from.slice(first, last), who: who ? who.slice(first, last) : null, rows: mine.map(([i, l]) => [i - first, l]), strength, latent, batchSize });
    at += n;
  }
  const restyler = flow ? null : await Restyler.load(gen as LoadedGenerator);
  let pool: ReplicaPool | null = null;
  let positions: Float32Array;
  progress.start(`restyle ${gen.name}`, rows.length);
  try {
    if (parts.length > 1) pool = await startReplicaPool(new URL('./restyle-replica.js', import.meta.url), { modelDir: gen.dir, checkpointHash: gen.checkpointHash } satisfies DecodeReplicaSpec, parts.length - 1);
    // the parts are of equal size: this thread's progress stands for every thread's
    const own = parts[0]!.rows.length;
    positions = await spreadParts(pool, parts, (w) => restylePart(gen, restyler, w, (done) => progress.update(Math.min(rows.length, Math.round((done * rows.length) / own)))));
    progress.update(rows.length);
  } finally {
    progress.stop();
    restyler?.dispose();
    await pool?.close();
  }
  return editedSet(set, rows, positions, gen.labelNames, gen.tag, 'restyled', seeds);
}

export interface RestyleFileOptions extends RestyleOptions {
  /** Restyle only the gaits of these labels (default: every gait). */
  from?: string[];
}

export interface RestyleFileResult {
  path: string;
  /** Gaits read from the input (of the `from` labels). */
  sources: number;
  rows: number;
  generator: string;
  checkpointHash: string;
  strength: number;
  /** STEP-Gen's latent code; null for a flow. */
  latent: RestyleLatent | null;
  /** A flow's run seed, steps and guidance (absent for STEP-Gen). */
  seed?: number;
  steps?: number;
  guidance?: number;
  seconds: number;
}

/**
 * Restyles the gaits of a gait file (those of the `from` labels) with the generator of
 * `modelDir` into `outPath` (written atomically; nothing is written on an error). E_LABEL names
 * a `from` label the file does not have or of which it holds no gait.
 */
export async function restyleFile(modelDir: string, inPath: string, outPath: string, options: RestyleFileOptions): Promise<RestyleFileResult> {
  const t0 = performance.now();
  let set = await readGaitFile(inPath);
  if (options.from !== undefined) {
    if (!Array.isArray(options.from) || options.from.length === 0) throw optionError('from', options.from, 'a non-empty list of labels');
    const keep = options.from.map((name) => {
      const l = set.labelNames.indexOf(name);
      if (l < 0) throw new GaitforgeError('E_LABEL', `option from (--from): ${inPath} has no label ${JSON.stringify(name)} (its labels: ${set.labelNames.join(', ')})`);
      return l;
    });
    const rows = Array.from({ length: set.N }, (_, i) => i).filter((i) => keep.includes(set.labels[i]!));
    if (rows.length === 0) throw new GaitforgeError('E_LABEL', `option from (--from): ${inPath} holds no gait labelled ${options.from.join(' or ')}`);
    set = set.select(rows);
  }
  const gen = await loadGenerator(modelDir);
  try {
    const out = await restyle(gen, set, options);
    if (out.N === 0) throw new GaitforgeError('E_LABEL', `nothing to restyle: every gait of ${inPath}${options.from ? ` labelled ${options.from.join(' or ')}` : ''} already has the label of --to (${options.to.join(', ')})`);
    // what the edit used, as restyle filled it in
    const f = gen instanceof FlowGenerator ? flowRestyleOptions(gen, options) : null;
    const strength = f ? f.strength : options.strength ?? 1;
    const latent = f ? null : options.latent ?? DEFAULT_RESTYLE_LATENT;
    const settings: Record<string, string> = f
      ? { 'restyle.seed': String(f.seed), 'restyle.steps': String(f.steps), 'restyle.guidance': String(f.guidance) }
      : { 'restyle.latent': latent! };
    await writeGaitFile(outPath, out, {
      metadata: { 'generator.name': gen.name, 'generator.checkpoint': gen.checkpointHash, 'restyle.source': path.basename(inPath), 'restyle.strength': String(strength), ...settings },
    });
    return {
      path: outPath, sources: set.N, rows: out.N, generator: gen.tag, checkpointHash: gen.checkpointHash, strength, latent,
      ...(f ? { seed: f.seed, steps: f.steps, guidance: f.guidance } : {}), seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    gen.dispose();
  }
}

/**
 * What the PCA-space generator families (flow/, pca-gaussian/) share: the
 * coefficient space (pca.ts's basis over standardised canonical gaits, each
 * coefficient divided by a stored scale), reading the manifest, and the
 * generator each family is (plan, decode to metres, rigidify, rows with provenance):
 *   gait (metres) = normalisation⁻¹( pca.mean + Σ_i z_i · s_i · u_i ),
 * z the coefficients, s_i the scales, u_i the components. The map is linear,
 * so a model can decode inside its graph (`metresMap`).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { checkManifest, MANIFEST_FILE, readManifestJson, type ManifestFields } from './checkpoint.js';
import type { ResolvedGeneratorFamilyConfig } from './family.js';
import type { GaitNormalization } from './normalize.js';
import { fitPca, pcaProject, pcaReconstruct, readPca, type PcaBasis } from './pca.js';
import {
  checkCommonSampleOptions, finishPositions, manifestView, planRequest, plannedSet, refuseOptions,
  type Planned, type PlanGenerator, type SampleCounts, type SampleOptions,
} from './plan.js';

/** A model's coefficient space: the basis and the scale each coefficient is divided by. */
export interface PcaSpace {
  basis: PcaBasis;
  /** [k]: standardised coefficient i = PCA coefficient i / scales[i]. */
  scales: Float32Array;
}

/** The fields a PCA-space family's manifest adds: the basis' size and what it explains. */
export interface PcaManifestFields {
  pca: { k: number; explained: number; scale: 'per-component' | 'global' | 'none' };
}

/**
 * Fits the space on standardised gaits x ([N, D]): the basis (pca.ts), and
 * scales: 'per-component' each coefficient's standard deviation (unit
 * variance every one), 'global' their RMS (one scale), 'none' 1.
 */
export function fitPcaSpace(x: Float32Array, D: number, o: { explainedVariance: number; maxComponents: number; seed: number; scale: PcaManifestFields['pca']['scale'] }): PcaSpace {
  const basis = fitPca(x, D, o);
  return { basis, scales: spaceScales(basis, o.scale) };
}

/** The scales of a basis (see fitPcaSpace). */
export function spaceScales(b: PcaBasis, scale: PcaManifestFields['pca']['scale']): Float32Array {
  if (scale === 'none') return new Float32Array(b.k).fill(1);
  if (scale === 'global') return new Float32Array(b.k).fill(Math.sqrt(b.variances.reduce((a, v) => a + v, 0) / b.k));
  return Float32Array.from(b.variances, (v) => Math.sqrt(v));
}

/** Coefficients z ([N, k]) of standardised gaits x ([N, D]). */
export function toSpace(s: PcaSpace, x: Float32Array): Float32Array {
  const c = pcaProject(s.basis, x);
  const k = s.basis.k;
  for (let i = 0; i < c.length; i++) c[i] = c[i]! / s.scales[i % k]!;
  return c;
}

/** Standardised gaits [N, D] of coefficients z ([N, k]). */
export function fromSpace(s: PcaSpace, z: Float32Array): Float32Array {
  const k = s.basis.k;
  const c = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) c[i] = z[i]! * s.scales[i % k]!;
  return pcaReconstruct(s.basis, c);
}

/**
 * The linear map from coefficients to metres, for decoding inside a graph:
 * positions = z · matrix + offset, matrix: [k, D] (= diag(scales)·U·normScale),
 * offset: [1, D] (= pca.mean·normScale + normMean). Caller disposes both.
 */
export function metresMap(s: PcaSpace, norm: GaitNormalization): { matrix: tf.Tensor2D; offset: tf.Tensor2D } {
  const { k, D } = s.basis;
  const m = new Float32Array(k * D);
  for (let i = 0; i < k; i++) for (let j = 0; j < D; j++) m[i * D + j] = s.basis.components[i * D + j]! * s.scales[i]! * norm.scale;
  const off = Float32Array.from(s.basis.mean, (v, j) => v * norm.scale + norm.mean[j]!);
  return { matrix: tf.tensor2d(m, [k, D]), offset: tf.tensor2d(off, [1, D]) };
}

/**
 * Reads a PCA-space family's manifest (`variant`): the format checks of every
 * manifest, the config by the family's `resolve`, the basis summary. E_MODEL
 * naming what is wrong, or that the directory holds another family.
 */
export function readPcaFamilyManifest<C extends { variant: string }>(dir: string, variant: C['variant'], resolve: (c: C) => C): ManifestFields<C> & PcaManifestFields {
  const { file, m } = readManifestJson(dir);
  const got = (m.config as { variant?: unknown } | undefined)?.variant ?? 'stepgen';
  if (got !== variant) throw new GaitforgeError('E_MODEL', `${dir} holds a ${String(got)} generator, not a ${variant} one`);
  const man = m as unknown as ManifestFields<C> & PcaManifestFields;
  checkManifest(file, man, resolve);
  if (!man.pca || !Number.isInteger(man.pca.k) || man.pca.k < 1) throw new GaitforgeError('E_MODEL', `${file}: field pca is missing or invalid`);
  return man;
}

/** The space of a model directory: its basis (pca.json, pca.bin), checked against the manifest, with the manifest's scaling. */
export function readPcaSpace(dir: string, m: ManifestFields<object> & PcaManifestFields): PcaSpace {
  const basis = readPca(dir);
  if (basis.k !== m.pca.k || basis.D !== m.T * m.V * 3)
    throw new GaitforgeError('E_MODEL', `the basis in ${dir} (k = ${basis.k}, D = ${basis.D}) does not match ${path.join(dir, MANIFEST_FILE)} (k = ${m.pca.k}, D = ${m.T * m.V * 3})`);
  return { basis, scales: spaceScales(basis, m.pca.scale) };
}

/**
 * A PCA-space generator loaded from its directory: everything but how it
 * draws coefficients (`coefficients`), its sampling options and its files'
 * metadata. It has no identities; sampling options of other families are
 * refused by each family's `sampleOptions`.
 */
export abstract class PcaSpaceGenerator<C extends ResolvedGeneratorFamilyConfig & { variant: string }, O extends { seed: number; batchSize: number; rigid: boolean }> implements PlanGenerator<O> {
  readonly name!: string;
  readonly labelNames!: string[];
  readonly identityNames: string[] = [];
  readonly T!: number;
  readonly V!: number;
  readonly fps!: number;
  readonly skeleton!: string;
  readonly config!: C;
  readonly normalization!: GaitNormalization;
  readonly tag!: string;

  constructor(readonly manifest: ManifestFields<C> & PcaManifestFields, readonly space: PcaSpace, readonly checkpointHash: string, readonly dir: string) {
    Object.assign(this, manifestView(manifest, checkpointHash));
  }

  /** The options every family takes, checked, and STEP-Gen's latent options refused (temperature 1 is accepted: it changes nothing). */
  protected commonOptions(o: SampleOptions): { seed: number; batchSize: number; rigid: boolean } {
    const common = checkCommonSampleOptions(o);
    const why = `a ${this.name} generator has no latent prior (these are STEP-Gen's options)`;
    refuseOptions(o, ['prior'], `${this.name} generators`, why);
    if (o.temperature !== undefined && o.temperature !== 1) refuseOptions(o, ['temperature'], `${this.name} generators`, why);
    return common;
  }

  abstract sampleOptions(options: SampleOptions): O;
  abstract fileMetadata(o: O): Record<string, string>;
  /** The coefficients z ([n, k]) of planned gaits, each from its own seed (gaitSeed). */
  protected abstract coefficients(plan: Planned[], o: O): Float32Array;
  abstract dispose(): void;

  plan(counts: SampleCounts, identities?: SampleOptions['identities']): Planned[] {
    return planRequest(counts, identities, this.labelNames, this.identityNames);
  }

  sample(counts: SampleCounts, options: SampleOptions): GaitSet {
    const o = this.sampleOptions(options);
    const plan = this.plan(counts, options.identities);
    return this.planSet(plan, this.decodePositions(plan, o), o);
  }

  decodePositions(plan: Planned[], o: O): Float32Array {
    return this.metres(this.coefficients(plan, o), o.rigid);
  }

  /** Gaits in metres (canonical frame, rigid when asked) of coefficients z ([n, k]). */
  metres(z: Float32Array, rigid: boolean): Float32Array {
    return finishPositions(fromSpace(this.space, z), this.normalization, this.T, this.V, rigid);
  }

  planSet(plan: Planned[], positions: Float32Array, o: O): GaitSet {
    return plannedSet(this, plan, positions, o.seed);
  }
}

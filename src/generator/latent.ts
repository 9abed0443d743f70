/**
 * The latent distribution samples are drawn from: priors fitted to the encoder's
 * posteriors N(μ_i, σ_i²) over the training gaits, which with a small KL weight do
 * not cover 'standard' N(0, I) (its draws decode to gaits the decoder never learned).
 *  - fitted: one Gaussian per label with the mixture's moments,
 *      mean_c = avg μ_i,  Σ_c = Cov(μ_i) + avg diag(σ_i²),  z = mean_c + temperature · chol(Σ_c) · ε.
 *  - mixture: one Gaussian puts many draws between the posteriors, where the
 *    decoder averages gaits into stiff ones; so each label's μ_i are split by
 *    seeded k-means++ into up to MIXTURE_MAX_COMPONENTS groups of at least
 *    MIXTURE_MIN_GAITS gaits, each a diagonal Gaussian
 *      weight_k = n_k / n,  mean_k = avg μ_i,  var_k = Var(μ_i) + avg σ_i²,  z = mean_k + temperature · sd_k ⊙ ε.
 *    A label too small to split keeps its full-covariance Gaussian (a diagonal
 *    one loses the correlations that keep limbs swinging).
 *  - identity (identity-conditioned generators, whose decoder reads the walker
 *    from z): μ_i = a_label(i) + b_identity(i) + r_i by alternating least
 *    squares (identity effects centred); z = a_label + b_identity + temperature · chol(Σ_r) · ε,
 *    Σ_r = residual covariance (N − L − I + 1 dof) + avg diag(σ_i²). Any
 *    (identity, label) pair can be drawn; an identity without gaits has b = 0.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { GaitforgeError, optionError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

export type LatentPriorKind = 'fitted' | 'mixture' | 'identity' | 'standard';
export const LATENT_PRIORS: readonly LatentPriorKind[] = ['fitted', 'mixture', 'identity', 'standard'];

/** `prior` when it names a latent prior; E_OPTION naming the option otherwise. */
export function checkPriorKind(prior: unknown): LatentPriorKind {
  if (!LATENT_PRIORS.includes(prior as LatentPriorKind)) throw optionError('prior', prior, LATENT_PRIORS.join('|'));
  return prior as LatentPriorKind;
}

/** The latent code restyling decodes the new label at (restyle.ts): the gait's posterior mean, or that mean shifted by the label's latent effect. */
export type RestyleLatent = 'posterior' | 'shifted';
export const RESTYLE_LATENTS: readonly RestyleLatent[] = ['posterior', 'shifted'];
/** What restyling decodes at unless told otherwise (the library, the CLI and the identity ablation). */
export const DEFAULT_RESTYLE_LATENT: RestyleLatent = 'shifted';

/** Most components of a label's mixture. */
export const MIXTURE_MAX_COMPONENTS = 8;
/** Fewest gaits behind one mixture component. */
export const MIXTURE_MIN_GAITS = 10;

/**
 * One component of a label's mixture: its weight and mean [D], and either a
 * standard deviation per dimension (`sd`) or, for a label's only component,
 * the lower Cholesky factor of its full covariance (`chol`, [D, D] row-major).
 */
export interface MixtureComponent {
  gaits: number;
  weight: number;
  mean: number[];
  sd?: number[];
  chol?: number[];
}

/**
 * The identity prior (see the file comment): the label effects a and the
 * identity effects b [D] (with each identity's number of training gaits), and
 * the lower Cholesky factor of the residual covariance [D, D] row-major.
 */
export interface IdentityPrior {
  labels: Record<string, number[]>;
  identities: Record<string, { gaits: number; effect: number[] }>;
  chol: number[];
}

/**
 * One Gaussian per label: mean [D] and the lower Cholesky factor of its
 * covariance [D, D] row-major; each label's mixture; and, for an
 * identity-conditioned generator, the identity prior. The last two are
 * absent in older model folders (`priorMismatch` says when a config needs them).
 */
export interface FittedPrior {
  dim: number;
  labels: Record<string, { gaits: number; mean: number[]; chol: number[] }>;
  mixture?: Record<string, MixtureComponent[]>;
  identity?: IdentityPrior;
}

/**
 * What makes a stored prior unfit for a generator with latent size `dim`,
 * labels `labelNames` and config prior `kind`, in words; null when it fits.
 */
export function priorMismatch(prior: FittedPrior | null | undefined, dim: number, labelNames: readonly string[], kind: LatentPriorKind): string | null {
  if (!prior || typeof prior !== 'object' || !prior.labels) return 'it holds no label Gaussians';
  if (prior.dim !== dim) return `its latent size is ${String(prior.dim)}, the generator's ${dim}`;
  const noGaussian = labelNames.find((l) => !prior.labels[l]);
  if (noGaussian !== undefined) return `it has no Gaussian for label ${JSON.stringify(noGaussian)}`;
  const noMixture = prior.mixture ? labelNames.find((l) => !prior.mixture![l]?.length) : undefined;
  if (noMixture !== undefined) return `its mixture has no component for label ${JSON.stringify(noMixture)}`;
  if (kind === 'mixture' && !prior.mixture) return "the config's prior is 'mixture' but it holds no mixture";
  if (kind === 'identity' && !prior.identity) return "the config's prior is 'identity' but it holds no identity prior";
  return null;
}

/** The training gaits' identities (indices into `names`) for fitting the identity prior. */
export interface IdentityIndex {
  index: ArrayLike<number>;
  names: readonly string[];
}

/**
 * Fits the per-label Gaussians from posterior means and log-variances
 * (mu, logvar: [N, D] row-major) of the gaits with `labels` (indices into
 * `labelNames`), and with `identities` (identity-conditioned generators) the identity prior.
 */
export function fitLatentPrior(
  mu: Float32Array, logvar: Float32Array, labels: ArrayLike<number>, labelNames: string[], D: number, seed: number, identities?: IdentityIndex,
): FittedPrior {
  const out: FittedPrior = { dim: D, labels: {}, mixture: {}, ...(identities ? { identity: fitIdentityPrior(mu, logvar, labels, labelNames, identities, D) } : {}) };
  labelNames.forEach((name, c) => {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    if (idx.length === 0) return;
    const mean = new Float64Array(D);
    for (const i of idx) for (let d = 0; d < D; d++) mean[d]! += mu[i * D + d]! / idx.length;
    const cov = posteriorCovariance(logvar, idx, (i, d) => mu[i * D + d]! - mean[d]!, idx.length, D);
    out.labels[name] = { gaits: idx.length, mean: Array.from(mean), chol: cholRows(cov, `the latent covariance of label ${JSON.stringify(name)}`) };
    out.mixture![name] = fitMixture(mu, logvar, idx, D, new Rng(seed, `generator/prior/mixture/${name}`)) ?? [{ ...out.labels[name]!, weight: 1 }];
  });
  return out;
}

/**
 * Σ = Σ_i r_i r_iᵀ / divisor + avg diag(σ_i²) + 1e-6 I over the rows `idx`
 * (logvar: [N, D]), r_i[d] = residual(i, d), a posterior mean minus its fitted
 * centre: the spread of the posterior means plus the posteriors' own variance
 * (a label's Gaussian, the identity prior's residual).
 */
function posteriorCovariance(logvar: Float32Array, idx: readonly number[], residual: (i: number, d: number) => number, divisor: number, D: number): Matrix {
  const varMean = new Float64Array(D);
  for (const i of idx) for (let d = 0; d < D; d++) varMean[d]! += Math.exp(logvar[i * D + d]!) / idx.length;
  const cov = new Matrix(D, D);
  const r = new Float64Array(D);
  for (const i of idx) {
    for (let d = 0; d < D; d++) r[d] = residual(i, d);
    for (let a = 0; a < D; a++) for (let b = 0; b <= a; b++) cov.set(a, b, cov.get(a, b) + (r[a]! * r[b]!) / divisor);
  }
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < a; b++) cov.set(b, a, cov.get(a, b));
    cov.set(a, a, cov.get(a, a) + varMean[a]! + 1e-6);
  }
  return cov;
}

/** The lower Cholesky factor of `cov` [D, D] as a row-major array; E_VALUE naming `what` when it is not positive definite. */
function cholRows(cov: Matrix, what: string): number[] {
  const ch = new CholeskyDecomposition(cov);
  if (!ch.isPositiveDefinite()) throw new GaitforgeError('E_VALUE', `${what} is not positive definite`);
  const L = ch.lowerTriangularMatrix;
  const D = cov.rows;
  return Array.from({ length: D * D }, (_, k) => L.get(Math.floor(k / D), k % D));
}

/** Sweeps of the alternating least-squares fit of the identity prior's effects. */
const IDENTITY_SWEEPS = 50;

/** The identity prior of the gaits (see the file comment). */
function fitIdentityPrior(mu: Float32Array, logvar: Float32Array, labels: ArrayLike<number>, labelNames: string[], who: IdentityIndex, D: number): IdentityPrior {
  const N = labels.length;
  const L = labelNames.length;
  const I = who.names.length;
  const a = Array.from({ length: L }, () => new Float64Array(D));
  const b = Array.from({ length: I }, () => new Float64Array(D));
  const nLabel = new Float64Array(L);
  const nId = new Float64Array(I);
  for (let i = 0; i < N; i++) [nLabel[labels[i]!]!++, nId[who.index[i]!]!++];
  // one effect's least-squares update given the other: the mean over its gaits of μ minus the other effect
  const update = (eff: Float64Array[], key: ArrayLike<number>, count: Float64Array, other: Float64Array[], otherKey: ArrayLike<number>) => {
    for (const e of eff) e.fill(0);
    for (let i = 0; i < N; i++) {
      const e = eff[key[i]!]!;
      const o = other[otherKey[i]!]!;
      for (let d = 0; d < D; d++) e[d]! += (mu[i * D + d]! - o[d]!) / count[key[i]!]!;
    }
  };
  for (let sweep = 0; sweep < IDENTITY_SWEEPS; sweep++) {
    update(a, labels, nLabel, b, who.index);
    update(b, who.index, nId, a, labels);
  }
  // centre the identity effects over the gaits (the labels' effects take the mean)
  for (let d = 0; d < D; d++) {
    let m = 0;
    for (let i = 0; i < N; i++) m += b[who.index[i]!]![d]! / N;
    for (let k = 0; k < I; k++) if (nId[k]) b[k]![d]! -= m;
    for (let c = 0; c < L; c++) if (nLabel[c]) a[c]![d]! += m;
  }
  const used = nLabel.filter((n) => n > 0).length + nId.filter((n) => n > 0).length - 1;
  const all = Array.from({ length: N }, (_, i) => i);
  const cov = posteriorCovariance(logvar, all, (i, d) => mu[i * D + d]! - a[labels[i]!]![d]! - b[who.index[i]!]![d]!, Math.max(1, N - used), D);
  return {
    labels: Object.fromEntries(labelNames.flatMap((n, c) => (nLabel[c] ? [[n, Array.from(a[c]!)]] : []))),
    identities: Object.fromEntries(who.names.map((n, k) => [n, { gaits: nId[k]!, effect: Array.from(b[k]!) }])),
    chol: cholRows(cov, 'the residual covariance of the identity prior'),
  };
}

/** Writes z = a_label + b_identity + temperature · chol · eps into `out` (length D). */
export function drawIdentity(p: IdentityPrior, label: string, identity: string, eps: Float64Array, temperature: number, out: Float32Array, offset: number): void {
  const a = p.labels[label]!;
  const b = p.identities[identity]!.effect;
  drawFitted({ mean: a.map((x, d) => x + b[d]!), chol: p.chol }, eps, temperature, out, offset);
}

/** Squared distance between row i of `mu` ([N, D]) and `c`. */
function dist2(mu: Float32Array, i: number, c: Float64Array, D: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) s += (mu[i * D + d]! - c[d]!) ** 2;
  return s;
}

/** k-means of the rows `idx` of mu: k-means++ start, Lloyd iterations until no row moves (at most 100). Group of each row. */
function kmeans(mu: Float32Array, idx: number[], D: number, k: number, rng: Rng): Int32Array {
  const n = idx.length;
  const first = idx[rng.int(n)]!;
  const centres = [Float64Array.from(mu.subarray(first * D, first * D + D))];
  const near = idx.map((i) => dist2(mu, i, centres[0]!, D));
  while (centres.length < k) {
    let r = rng.next() * near.reduce((a, b) => a + b, 0);
    let j = 0;
    while (j < n - 1 && r >= near[j]!) r -= near[j++]!;
    const c = Float64Array.from(mu.subarray(idx[j]! * D, idx[j]! * D + D));
    centres.push(c);
    idx.forEach((i, q) => (near[q] = Math.min(near[q]!, dist2(mu, i, c, D))));
  }
  const group = new Int32Array(n).fill(-1);
  for (let it = 0; it < 100; it++) {
    let moved = false;
    idx.forEach((i, q) => {
      let best = 0;
      let bestD = Infinity;
      centres.forEach((c, g) => {
        const dd = dist2(mu, i, c, D);
        if (dd < bestD) [best, bestD] = [g, dd];
      });
      if (group[q] !== best) [group[q], moved] = [best, true];
    });
    if (!moved) break;
    centres.forEach((c, g) => {
      const members = idx.filter((_, q) => group[q] === g);
      if (members.length === 0) return;
      c.fill(0);
      for (const i of members) for (let d = 0; d < D; d++) c[d]! += mu[i * D + d]! / members.length;
    });
  }
  return group;
}

/** The diagonal components of one label's gaits `idx` (see the file comment); null when they cannot be split in two. */
function fitMixture(mu: Float32Array, logvar: Float32Array, idx: number[], D: number, rng: Rng): MixtureComponent[] | null {
  let groups: number[][] | null = null;
  for (let k = Math.min(MIXTURE_MAX_COMPONENTS, Math.floor(idx.length / MIXTURE_MIN_GAITS)); k > 1 && !groups; k--) {
    const g = kmeans(mu, idx, D, k, rng.derive(String(k)));
    const split = Array.from({ length: k }, (_, c) => idx.filter((_, q) => g[q] === c));
    if (split.every((m) => m.length >= MIXTURE_MIN_GAITS)) groups = split;
  }
  if (!groups) return null;
  return groups.map((members) => {
    const mean = new Float64Array(D);
    const variance = new Float64Array(D);
    for (const i of members) for (let d = 0; d < D; d++) mean[d]! += mu[i * D + d]! / members.length;
    for (const i of members) for (let d = 0; d < D; d++) variance[d]! += ((mu[i * D + d]! - mean[d]!) ** 2 + Math.exp(logvar[i * D + d]!)) / members.length;
    return { gaits: members.length, weight: members.length / idx.length, mean: Array.from(mean), sd: Array.from(variance, (v) => Math.sqrt(v + 1e-6)) };
  });
}

/**
 * Writes z = mean_k + temperature · sd_k ⊙ eps (or chol_k · eps) into `out`
 * (length D), component k picked by the uniform u ∈ [0, 1) and the weights.
 */
export function drawMixture(components: readonly MixtureComponent[], eps: Float64Array, u: number, temperature: number, out: Float32Array, offset: number): void {
  let k = 0;
  for (let acc = components[0]!.weight; k < components.length - 1 && u >= acc; acc += components[++k]!.weight);
  const c = components[k]!;
  if (c.chol) return drawFitted({ mean: c.mean, chol: c.chol }, eps, temperature, out, offset);
  for (let d = 0; d < c.mean.length; d++) out[offset + d] = c.mean[d]! + temperature * c.sd![d]! * eps[d]!;
}

/** Writes z = mean + temperature · chol · eps into `out` (length D). */
export function drawFitted(p: { mean: number[]; chol: number[] }, eps: Float64Array, temperature: number, out: Float32Array, offset: number): void {
  const D = p.mean.length;
  for (let a = 0; a < D; a++) {
    let s = 0;
    for (let b = 0; b <= a; b++) s += p.chol[a * D + b]! * eps[b]!;
    out[offset + a] = p.mean[a]! + temperature * s;
  }
}

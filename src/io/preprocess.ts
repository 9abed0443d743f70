/**
 * Preprocessing of gaits [T, V, 3] (metres, Y up): root-centring, view
 * normalisation (canonical walking direction / facing, or Umeyama-Procrustes
 * alignment to a reference pose as STEP does), scale normalisation and
 * resampling in time. Per-gait functions take one gait and return a new
 * array; `preprocess` applies them to every gait of a set. No tfjs.
 */
import { Matrix, SingularValueDecomposition, determinant } from 'ml-matrix';
import { ConfigRangeError, GaitforgeError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { DEFAULT_SIDE_CONVENTION, JOINTS, NUM_JOINTS, SIDE_CONVENTIONS, sideJoints, type SideConvention } from '../core/skeleton.js';

export const CENTRE_MODES = ['none', 'first-frame', 'first-frame-xz', 'per-frame'] as const;
export type CentreMode = (typeof CENTRE_MODES)[number];
export const VIEW_MODES = ['none', 'canonical', 'procrustes'] as const;
export type ViewMode = (typeof VIEW_MODES)[number];
export const SCALE_MODES = ['none', 'height'] as const;
export type ScaleMode = (typeof SCALE_MODES)[number];
export const PROCRUSTES_FRAMES = ['first', 'mean'] as const;
export const PROCRUSTES_ROTATIONS = ['rotation', 'yaw'] as const;

export interface PreprocessConfig {
  /**
   * Root-centring. 'first-frame' (default) subtracts the root position of
   * frame 0 from every frame (the trajectory is kept); 'first-frame-xz' only
   * its horizontal part (heights stay heights above the ground);
   * 'per-frame' subtracts each frame's root (the trajectory is removed).
   */
  centre?: CentreMode;
  /**
   * View normalisation. 'canonical' (default) rotates each gait about the
   * vertical axis through its frame-0 root so it walks (or, when the root
   * travels less than `minTravel`, faces) along +Z; 'procrustes' aligns each
   * gait to `reference` with Umeyama's least-squares similarity (STEP's view
   * normalisation).
   */
  view?: ViewMode;
  /** Horizontal root travel (m) below which 'canonical' uses the body facing instead of the walking direction. Default 0.1. */
  minTravel?: number;
  /** Which joints are left / right (for the facing direction). Default 'a-is-left'. */
  sides?: SideConvention;
  /** Procrustes: reference pose [V, 3] (default REST_POSE for V = 16). */
  reference?: Float32Array;
  /** Procrustes: fit the reference to the gait's first frame or its mean pose. Default 'first'. */
  procrustesFrame?: (typeof PROCRUSTES_FRAMES)[number];
  /** Procrustes: full 3-D rotation (as STEP) or a rotation about the vertical only. Default 'rotation'. */
  procrustesRotation?: (typeof PROCRUSTES_ROTATIONS)[number];
  /** Procrustes: also fit a uniform scale. Default false. */
  procrustesScale?: boolean;
  /** Scale normalisation. 'height' scales each gait so its skeleton height (see skeletonHeight) is `height`. Default 'none'. */
  scale?: ScaleMode;
  /** Target skeleton height for scale 'height' (m). Default 1.6. */
  height?: number;
  /** Resample every gait to this many frames (linear interpolation); 0 = keep T. Default 0. */
  frames?: number;
}

export const DEFAULT_PREPROCESS: Required<Omit<PreprocessConfig, 'reference'>> & { reference: Float32Array | null } = {
  centre: 'first-frame', view: 'canonical', minTravel: 0.1, sides: DEFAULT_SIDE_CONVENTION, reference: null,
  procrustesFrame: 'first', procrustesRotation: 'rotation', procrustesScale: false, scale: 'none', height: 1.6, frames: 0,
};

function oneOf<X extends string>(field: string, v: X, allowed: readonly X[]): X {
  if (!allowed.includes(v)) throw new ConfigRangeError(`${field} = ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  return v;
}

/** Fills defaults and checks every field; throws RangeError naming the field, value and allowed range. */
export function resolvePreprocess(c: PreprocessConfig = {}): typeof DEFAULT_PREPROCESS {
  const r = { ...DEFAULT_PREPROCESS, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as typeof DEFAULT_PREPROCESS;
  oneOf('centre', r.centre, CENTRE_MODES);
  oneOf('view', r.view, VIEW_MODES);
  oneOf('scale', r.scale, SCALE_MODES);
  oneOf('sides', r.sides, SIDE_CONVENTIONS);
  oneOf('procrustesFrame', r.procrustesFrame, PROCRUSTES_FRAMES);
  oneOf('procrustesRotation', r.procrustesRotation, PROCRUSTES_ROTATIONS);
  if (!(r.minTravel >= 0) || !Number.isFinite(r.minTravel)) throw new ConfigRangeError(`minTravel = ${r.minTravel} is out of range: expected a number in [0, Infinity)`);
  if (!(r.height > 0) || !Number.isFinite(r.height)) throw new ConfigRangeError(`height = ${r.height} is out of range: expected a number in (0, Infinity)`);
  if (!Number.isInteger(r.frames) || r.frames < 0 || r.frames > 100000) throw new ConfigRangeError(`frames = ${r.frames} is out of range: expected an integer in [0, 100000]`);
  return r;
}

/**
 * A neutral standing E-Gait pose [16, 3] (metres, root at the origin, facing
 * +Z, Y up, joints 4-6 / 10-12 on +X, i.e. the subject's left under the
 * 'a-is-left' convention). The default Procrustes reference.
 */
export const REST_POSE: Float32Array = Float32Array.from([
  0, 0, 0, /* root */ 0, 0.25, 0, /* spine */ 0, 0.55, 0, /* neck */ 0, 0.72, 0, /* head */
  0.18, 0.5, 0, 0.2, 0.22, 0, 0.2, -0.04, 0, /* arm A */ -0.18, 0.5, 0, -0.2, 0.22, 0, -0.2, -0.04, 0, /* arm B */
  0.1, -0.03, 0, 0.1, -0.47, 0, 0.1, -0.9, 0, /* leg A */ -0.1, -0.03, 0, -0.1, -0.47, 0, -0.1, -0.9, 0, /* leg B */
]);

// ------------------------------------------------------------ per-gait operations

function check(g: Float32Array, T: number, V: number): void {
  if (g.length !== T * V * 3) throw new GaitforgeError('E_SHAPE', `gait has ${g.length} values, expected T·V·3 = ${T}·${V}·3`);
}

/** Root-centres one gait g: [T, V, 3] (root = joint 0). Returns a new array. */
export function centreGait(g: Float32Array, T: number, V: number, mode: CentreMode): Float32Array {
  check(g, T, V);
  const out = Float32Array.from(g);
  if (mode === 'none') return out;
  for (let t = 0; t < T; t++) {
    const r = (mode === 'per-frame' ? t : 0) * V * 3;
    const rx = g[r]!;
    const ry = mode === 'first-frame-xz' ? 0 : g[r + 1]!;
    const rz = g[r + 2]!;
    for (let j = 0; j < V; j++) {
      const o = (t * V + j) * 3;
      out[o] = g[o]! - rx;
      out[o + 1] = g[o + 1]! - ry;
      out[o + 2] = g[o + 2]! - rz;
    }
  }
  return out;
}

/** Rotates g: [T, V, 3] by θ about the vertical axis through (px, pz): x' = x cosθ + z sinθ, z' = −x sinθ + z cosθ. */
export function rotateYaw(g: Float32Array, theta: number, px = 0, pz = 0): Float32Array {
  const out = new Float32Array(g.length);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let o = 0; o < g.length; o += 3) {
    const x = g[o]! - px;
    const z = g[o + 2]! - pz;
    out[o] = x * c + z * s + px;
    out[o + 1] = g[o + 1]!;
    out[o + 2] = -x * s + z * c + pz;
  }
  return out;
}

/**
 * The horizontal direction (unit [x, z]) a 16-joint gait walks along (root,
 * first → last frame) when it travels at least `minTravel`, else the body's
 * facing (vertical × (right − left) across hips and shoulders, averaged over
 * frames), or null when both are degenerate (e.g. coincident joints).
 */
export function gaitDirection(g: Float32Array, T: number, V: number, minTravel = 0.1, sides: SideConvention = DEFAULT_SIDE_CONVENTION): [number, number] | null {
  check(g, T, V);
  const dx = g[(T - 1) * V * 3]! - g[0]!;
  const dz = g[(T - 1) * V * 3 + 2]! - g[2]!;
  const travel = Math.hypot(dx, dz);
  if (travel >= minTravel && travel > 1e-9) return [dx / travel, dz / travel];
  if (V !== NUM_JOINTS) return null;
  const sj = sideJoints(sides);
  let fx = 0;
  let fz = 0;
  for (let t = 0; t < T; t++) {
    for (const [l, r] of [[sj.leftLeg[0], sj.rightLeg[0]], [sj.leftArm[0], sj.rightArm[0]]] as const) {
      // h = right − left across the body; facing = up × h = (h.z, 0, −h.x)
      const hx = g[(t * V + r) * 3]! - g[(t * V + l) * 3]!;
      const hz = g[(t * V + r) * 3 + 2]! - g[(t * V + l) * 3 + 2]!;
      fx += hz;
      fz += -hx;
    }
  }
  const n = Math.hypot(fx, fz);
  return n > 1e-9 ? [fx / n, fz / n] : null;
}

/** Rotates one gait about the vertical through its frame-0 root so `gaitDirection` becomes +Z (unchanged when degenerate). */
export function canonicalViewGait(g: Float32Array, T: number, V: number, minTravel = 0.1, sides: SideConvention = DEFAULT_SIDE_CONVENTION): Float32Array {
  const d = gaitDirection(g, T, V, minTravel, sides);
  if (!d) return Float32Array.from(g);
  return rotateYaw(g, -Math.atan2(d[0], d[1]), g[0]!, g[2]!);
}

/** A similarity transform y = s·R·x + t (R row-major 3×3). */
export interface Similarity {
  R: number[][];
  s: number;
  t: [number, number, number];
}

/**
 * Umeyama's least-squares similarity (1991) taking points `src` onto `dst`
 * (both [n, 3] row-major): minimises Σ |dst_i − (s·R·src_i + t)|² over
 * rotations R (det +1), translations t and, with `withScale`, a scale s.
 * `yawOnly` restricts R to rotations about the vertical (Y) axis. Degenerate
 * input (all points coincident) gives the identity rotation.
 */
export function umeyama(src: ArrayLike<number>, dst: ArrayLike<number>, options: { withScale?: boolean; yawOnly?: boolean } = {}): Similarity {
  const n = src.length / 3;
  if (!Number.isInteger(n) || dst.length !== src.length || n < 1) throw new GaitforgeError('E_SHAPE', `umeyama needs two [n, 3] point sets of equal size (got ${src.length} and ${dst.length} values)`);
  const mx = [0, 0, 0];
  const my = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) {
    mx[k]! += src[i * 3 + k]! / n;
    my[k]! += dst[i * 3 + k]! / n;
  }
  const cov = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let varX = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      const xa = src[i * 3 + a]! - mx[a]!;
      varX += (xa * xa) / n;
      for (let b = 0; b < 3; b++) cov[a]![b]! += ((dst[i * 3 + a]! - my[a]!) * (src[i * 3 + b]! - mx[b]!)) / n;
    }
  }
  let R: number[][];
  let traceDS: number;
  if (options.yawOnly) {
    // Rotation about Y: maximise Σ y·R(θ)x = cosθ·(Sxx + Szz) + sinθ·(Sxz − Szx), with S = cov (dst rows, src columns).
    const A = cov[0]![0]! + cov[2]![2]!;
    const B = cov[0]![2]! - cov[2]![0]!;
    const th = Math.hypot(A, B) > 1e-12 ? Math.atan2(B, A) : 0;
    const c = Math.cos(th);
    const s = Math.sin(th);
    R = [[c, 0, s], [0, 1, 0], [-s, 0, c]];
    traceDS = 0;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) traceDS += R[a]![b]! * cov[a]![b]!;
  } else {
    const svd = new SingularValueDecomposition(new Matrix(cov));
    const U = svd.leftSingularVectors;
    const Vm = svd.rightSingularVectors;
    const D = svd.diagonal;
    const S = [1, 1, determinant(U) * determinant(Vm) < 0 ? -1 : 1];
    R = [0, 1, 2].map((a) => [0, 1, 2].map((b) => [0, 1, 2].reduce((acc, k) => acc + U.get(a, k) * S[k]! * Vm.get(b, k), 0)));
    traceDS = D.reduce((acc, d, k) => acc + d * S[k]!, 0);
    if (D.every((d) => d < 1e-12)) R = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  }
  const s = options.withScale && varX > 1e-12 ? traceDS / varX : 1;
  const t: [number, number, number] = [0, 1, 2].map((a) => my[a]! - s * [0, 1, 2].reduce((acc, b) => acc + R[a]![b]! * mx[b]!, 0)) as [number, number, number];
  return { R, s, t };
}

/** Applies y = s·R·x + t to every point of g (…, 3). Returns a new array. */
export function applySimilarity(g: Float32Array, m: Similarity): Float32Array {
  const out = new Float32Array(g.length);
  const { R, s, t } = m;
  for (let o = 0; o < g.length; o += 3) {
    const x = g[o]!;
    const y = g[o + 1]!;
    const z = g[o + 2]!;
    for (let a = 0; a < 3; a++) out[o + a] = s * (R[a]![0]! * x + R[a]![1]! * y + R[a]![2]! * z) + t[a]!;
  }
  return out;
}

/** Aligns one gait to `reference` [V, 3] (Umeyama on its first frame or mean pose) and applies the transform to all frames. */
export function procrustesGait(
  g: Float32Array, T: number, V: number, reference: Float32Array,
  options: { frame?: 'first' | 'mean'; rotation?: 'rotation' | 'yaw'; scale?: boolean } = {},
): Float32Array {
  check(g, T, V);
  if (reference.length !== V * 3) throw new GaitforgeError('E_SHAPE', `Procrustes reference has ${reference.length} values, expected V·3 = ${V * 3}`);
  let pose: Float32Array;
  if ((options.frame ?? 'first') === 'first') pose = g.subarray(0, V * 3);
  else {
    pose = new Float32Array(V * 3);
    for (let t = 0; t < T; t++) for (let k = 0; k < V * 3; k++) pose[k]! += g[t * V * 3 + k]! / T;
  }
  return applySimilarity(g, umeyama(pose, reference, { withScale: options.scale ?? false, yawOnly: options.rotation === 'yaw' }));
}

const dist = (g: Float32Array, V: number, t: number, a: number, b: number) => {
  const oa = (t * V + a) * 3;
  const ob = (t * V + b) * 3;
  return Math.hypot(g[oa]! - g[ob]!, g[oa + 1]! - g[ob + 1]!, g[oa + 2]! - g[ob + 2]!);
};

/**
 * Skeleton height of a 16-joint gait (m): the mean over frames of the chain
 * foot→knee→hip (mean of both legs) plus root→spine→neck→head. Pose-independent
 * for rigid bones; 0 for a skeleton whose joints coincide.
 */
export function skeletonHeight(g: Float32Array, T: number, V: number): number {
  check(g, T, V);
  if (V !== NUM_JOINTS) throw new GaitforgeError('E_SHAPE', `skeleton height needs the 16-joint E-Gait skeleton (V = ${V})`);
  let h = 0;
  for (let t = 0; t < T; t++) {
    let legs = 0;
    for (const [hip, knee, foot] of [JOINTS.legA, JOINTS.legB]) legs += (dist(g, V, t, hip, knee) + dist(g, V, t, knee, foot)) / 2;
    h += legs + dist(g, V, t, JOINTS.root, JOINTS.spine) + dist(g, V, t, JOINTS.spine, JOINTS.neck) + dist(g, V, t, JOINTS.neck, JOINTS.head);
  }
  return h / T;
}

/** Scales a gait about its frame-0 root so skeletonHeight = `height` (unchanged when the height is 0). */
export function scaleGait(g: Float32Array, T: number, V: number, height: number): Float32Array {
  const h = skeletonHeight(g, T, V);
  if (!(h > 1e-9)) return Float32Array.from(g);
  const k = height / h;
  const out = new Float32Array(g.length);
  const [px, py, pz] = [g[0]!, g[1]!, g[2]!];
  for (let o = 0; o < g.length; o += 3) {
    out[o] = (g[o]! - px) * k + px;
    out[o + 1] = (g[o + 1]! - py) * k + py;
    out[o + 2] = (g[o + 2]! - pz) * k + pz;
  }
  return out;
}

/** Linear interpolation of a gait at fractional source frames `at[k]` (clamped to [0, T−1]). */
function sampleFrames(g: Float32Array, T: number, V: number, at: ArrayLike<number>): Float32Array {
  const F = V * 3;
  const out = new Float32Array(at.length * F);
  for (let k = 0; k < at.length; k++) {
    const u = Math.min(T - 1, Math.max(0, at[k]!));
    const a = Math.floor(u);
    const b = Math.min(T - 1, a + 1);
    const w = u - a;
    for (let i = 0; i < F; i++) out[k * F + i] = g[a * F + i]! * (1 - w) + g[b * F + i]! * w;
  }
  return out;
}

/** Resamples g: [T, V, 3] to [frames, V, 3] by linear interpolation, first and last frames kept. */
export function resampleGait(g: Float32Array, T: number, V: number, frames: number): Float32Array {
  check(g, T, V);
  if (!Number.isInteger(frames) || frames < 1) throw new ConfigRangeError(`frames = ${frames} is out of range: expected an integer in [1, Infinity)`);
  if (frames === T) return Float32Array.from(g);
  const at = Array.from({ length: frames }, (_, k) => (frames === 1 ? 0 : (k * (T - 1)) / (frames - 1)));
  return sampleFrames(g, T, V, at);
}

/** Changes the frame rate of g: [T, V, 3] from `fromFps` to `toFps` (linear interpolation); returns the new array and its frame count. */
export function resampleFps(g: Float32Array, T: number, V: number, fromFps: number, toFps: number): { positions: Float32Array; T: number } {
  check(g, T, V);
  if (!(fromFps > 0) || !(toFps > 0)) throw new RangeError(`fps must be positive (got ${fromFps} → ${toFps})`);
  // BVH frame times are printed with a few digits (0.0333333 s): rates within 1e-4 are the same rate.
  if (Math.abs(fromFps - toFps) <= 1e-4 * toFps) return { positions: Float32Array.from(g), T };
  const n = Math.floor(((T - 1) * toFps) / fromFps + 1e-6) + 1;
  return { positions: sampleFrames(g, T, V, Array.from({ length: n }, (_, k) => (k * fromFps) / toFps)), T: n };
}

/** Cyclic tiling (what STEP does for short clips): frame k of the result is frame k mod T of g; longer clips are cut to `frames`. */
export function tileGait(g: Float32Array, T: number, V: number, frames: number): Float32Array {
  check(g, T, V);
  const F = V * 3;
  const out = new Float32Array(frames * F);
  for (let k = 0; k < frames; k++) out.set(g.subarray((k % T) * F, (k % T + 1) * F), k * F);
  return out;
}

// ------------------------------------------------------------ GaitSet level

/** Maps every gait of a set through `fn` ([T, V, 3] → [T', V, 3]); columns are kept. */
export function mapGaits(set: GaitSet, fn: (g: Float32Array, i: number) => Float32Array, T: number = set.T): GaitSet {
  const per = T * set.V * 3;
  const out = new Float32Array(set.N * per);
  for (let i = 0; i < set.N; i++) {
    const g = fn(set.gait(i), i);
    if (g.length !== per) throw new GaitforgeError('E_SHAPE', `gait ${i}: a preprocessing step returned ${g.length} values, expected ${per}`);
    out.set(g, i * per);
  }
  return new GaitSet(
    {
      positions: out, labels: set.labels, labelNames: set.labelNames, T, V: set.V, fps: set.fps, skeleton: set.skeleton, ids: set.ids,
      identity: set.identity, recording: set.recording, source: set.source, generator: set.generator, seed: set.seed, frames: set.frames,
    },
    { validateValues: false },
  );
}

/**
 * Applies the configured steps to every gait, in order: centre → view →
 * scale → resample. Returns a new set (the input is not modified). View and
 * scale normalisation need the 16-joint skeleton unless they are 'none'.
 */
export function preprocess(set: GaitSet, config: PreprocessConfig = {}): GaitSet {
  const c = resolvePreprocess(config);
  const { T, V } = set;
  if ((c.view !== 'none' || c.scale !== 'none') && V !== NUM_JOINTS && !(c.view === 'procrustes' && c.reference))
    throw new GaitforgeError('E_SHAPE', `view/scale normalisation needs the 16-joint E-Gait skeleton (this set has V = ${V})`);
  const reference = c.reference ?? REST_POSE;
  let out = mapGaits(set, (g) => {
    let x = centreGait(g, T, V, c.centre);
    if (c.view === 'canonical') x = canonicalViewGait(x, T, V, c.minTravel, c.sides);
    else if (c.view === 'procrustes')
      x = procrustesGait(x, T, V, reference, { frame: c.procrustesFrame, rotation: c.procrustesRotation, scale: c.procrustesScale });
    if (c.scale === 'height') x = scaleGait(x, T, V, c.height);
    return x;
  });
  if (c.frames && c.frames !== T) out = mapGaits(out, (g) => resampleGait(g, T, V, c.frames), c.frames);
  return out;
}

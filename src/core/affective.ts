/**
 * STEP's 29 affective gait features, the posture and movement descriptors the
 * STEP classifier concatenates with its learned features. Plain TypeScript:
 * they are computed once per dataset. A/B are the skeleton's armA/legA and
 * armB/legB groups (A = left under the default side convention).
 *  0      volume (m³) of the joints' bounding box in the (forward, up, lateral) frame
 *  1-3    angles (°) at the neck, shoulder A and shoulder B of the neck–shoulder A–shoulder B triangle
 *  4      angle (°) between head − root and +Y (0 = upright);  5  angle (°) at the neck between head and spine
 *  6-9    distances (m) of hand A, hand B, foot A, foot B from the root
 *  10-11  areas (m²) of the hand A–hand B–neck and foot A–foot B–root triangles
 *  12-26  speed |Δp|·fps, acceleration |Δ²p|·fps², jerk |Δ³p|·fps³ of hand A, hand B, head, foot A, foot B (world frame)
 *  27     stride length (m): horizontal foot travel between consecutive foot-height minima, mean of both feet
 *  28     gait cycle time (s): time between consecutive foot-height minima of one foot
 * All are means over frames. `smoothSeconds` > 0 Gaussian-smooths the
 * trajectories before 12-26, since finite differences amplify sensor noise.
 * Never NaN: undefined angles are left out of the mean (0 if undefined in
 * every frame); a clip too short for a difference order gives 0; under one
 * gait cycle, cycle time = (T − 1)/fps and stride = root speed × cycle time.
 */
import { GaitforgeError } from './errors.js';
import type { GaitSet } from './gaitset.js';
import { derivativeMagnitude, gaitCycleTime, gaussianSmoothTrajectories, heading, joint, rootSpeed, strideLength } from './kinematics.js';
import { JOINTS, NUM_JOINTS } from './skeleton.js';

/** The 29 feature names, in column order (see the module comment for each definition). */
export const AFFECTIVE_FEATURE_NAMES: readonly string[] = [
  // posture: 1 + 3 + 1 + 1 + 4 + 1 + 1 = 12
  'bbox_volume',
  'neck_angle',
  'shoulder_a_angle',
  'shoulder_b_angle',
  'head_root_vertical_angle',
  'neck_head_spine_angle',
  'hand_a_root_distance',
  'hand_b_root_distance',
  'foot_a_root_distance',
  'foot_b_root_distance',
  'hands_neck_area',
  'feet_root_area',
  // movement: 3 quantities × 5 joints = 15
  'hand_a_speed',
  'hand_b_speed',
  'head_speed',
  'foot_a_speed',
  'foot_b_speed',
  'hand_a_acceleration',
  'hand_b_acceleration',
  'head_acceleration',
  'foot_a_acceleration',
  'foot_b_acceleration',
  'hand_a_jerk',
  'hand_b_jerk',
  'head_jerk',
  'foot_a_jerk',
  'foot_b_jerk',
  // gait cycle: 2
  'stride_length',
  'gait_cycle_time',
];

/** Number of affective features (29). */
export const NUM_AFFECTIVE_FEATURES = AFFECTIVE_FEATURE_NAMES.length;

/** Vectors shorter than this (m) have no direction: angles against them are undefined. */
const MIN_LENGTH = 1e-9;

type Vec3 = [number, number, number];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

/** Angle (degrees) between vectors u and v; NaN when either is shorter than 1e-9 (undefined direction). */
export function angleBetween(u: Vec3, v: Vec3): number {
  const nu = norm(u);
  const nv = norm(v);
  if (nu < MIN_LENGTH || nv < MIN_LENGTH) return NaN;
  const c = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (nu * nv);
  return (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
}

/** Angle (degrees) at `vertex` between the points a and c (e.g. the elbow angle of shoulder–elbow–hand); NaN when degenerate. */
export function angleAt(a: Vec3, vertex: Vec3, c: Vec3): number {
  return angleBetween(sub(a, vertex), sub(c, vertex));
}

/** Area (m²) of the triangle a, b, c: half the norm of (b − a) × (c − a); 0 for coincident or collinear points. */
export function triangleArea(a: Vec3, b: Vec3, c: Vec3): number {
  const u = sub(b, a);
  const v = sub(c, a);
  return 0.5 * Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
}

/** Mean over frames of the finite values in x (0 when none are finite). */
function meanFinite(x: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : 0;
}

/**
 * The 29 affective features of one gait g: [T, V, 3] (V must be 16, the
 * E-Gait skeleton), in `AFFECTIVE_FEATURE_NAMES` order. `out` (length ≥ 29)
 * receives them at `offset` when given; otherwise a new array is returned.
 */
export function affectiveFeaturesOf(g: Float32Array, T: number, V: number, fps: number, out?: Float64Array, offset = 0, smoothSeconds = 0): Float64Array {
  if (V !== NUM_JOINTS) throw new GaitforgeError('E_SHAPE', `affective features need the 16-joint E-Gait skeleton, got V = ${V}`);
  if (g.length < T * V * 3) throw new GaitforgeError('E_SHAPE', `gait has ${g.length} values, expected T·V·3 = ${T * V * 3}`);
  if (!(fps > 0)) throw new GaitforgeError('E_VALUE', `fps = ${fps} must be positive`);
  const f = out ?? new Float64Array(NUM_AFFECTIVE_FEATURES);
  const { root, spine, neck, head } = JOINTS;
  const [shA, , handA] = JOINTS.armA;
  const [shB, , handB] = JOINTS.armB;
  const footA = JOINTS.legA[2];
  const footB = JOINTS.legB[2];
  const [hx, hz] = heading(g, T, V);

  const posture = Array.from({ length: 12 }, () => new Float64Array(T));
  for (let t = 0; t < T; t++) {
    const p = (j: number) => joint(g, V, t, j);
    // bounding box in the (forward, up, lateral) frame
    let f0 = Infinity, f1 = -Infinity, y0 = Infinity, y1 = -Infinity, l0 = Infinity, l1 = -Infinity;
    for (let j = 0; j < V; j++) {
      const [x, y, z] = p(j);
      const fw = x * hx + z * hz;
      const lat = -x * hz + z * hx;
      if (fw < f0) f0 = fw;
      if (fw > f1) f1 = fw;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (lat < l0) l0 = lat;
      if (lat > l1) l1 = lat;
    }
    posture[0]![t] = (f1 - f0) * (y1 - y0) * (l1 - l0);
    const N = p(neck), A = p(shA), B = p(shB), R = p(root), H = p(head), S = p(spine);
    posture[1]![t] = angleAt(A, N, B);
    posture[2]![t] = angleAt(N, A, B);
    posture[3]![t] = angleAt(N, B, A);
    posture[4]![t] = angleBetween(sub(H, R), [0, 1, 0]);
    posture[5]![t] = angleAt(H, N, S);
    const HA = p(handA), HB = p(handB), FA = p(footA), FB = p(footB);
    posture[6]![t] = norm(sub(HA, R));
    posture[7]![t] = norm(sub(HB, R));
    posture[8]![t] = norm(sub(FA, R));
    posture[9]![t] = norm(sub(FB, R));
    posture[10]![t] = triangleArea(HA, HB, N);
    posture[11]![t] = triangleArea(FA, FB, R);
  }
  for (let i = 0; i < 12; i++) f[offset + i] = meanFinite(posture[i]!);

  const moving = [handA, handB, head, footA, footB];
  if (!(smoothSeconds >= 0)) throw new RangeError(`smoothSeconds = ${smoothSeconds} must be ≥ 0`);
  const gm = smoothSeconds > 0 ? gaussianSmoothTrajectories(g, T, V, smoothSeconds * fps) : g;
  ([1, 2, 3] as const).forEach((k, q) => {
    moving.forEach((j, m) => (f[offset + 12 + q * 5 + m] = derivativeMagnitude(gm, T, V, fps, j, k)));
  });

  let cycle = gaitCycleTime(g, T, V, fps);
  let stride = strideLength(g, T, V, fps);
  if (!Number.isFinite(cycle)) cycle = T > 1 ? (T - 1) / fps : 0;
  if (!Number.isFinite(stride)) stride = rootSpeed(g, T, V, fps) * cycle;
  f[offset + 27] = stride;
  f[offset + 28] = cycle;
  return f;
}

/**
 * Affective features of every gait of a set: [N, 29] row-major float64,
 * at the set's fps (30 unless the data says otherwise).
 */
export function affectiveFeatures(set: GaitSet, options: AffectiveOptions = {}): Float64Array {
  const out = new Float64Array(set.N * NUM_AFFECTIVE_FEATURES);
  for (let i = 0; i < set.N; i++) affectiveFeaturesOf(set.gait(i), set.T, set.V, set.fps, out, i * NUM_AFFECTIVE_FEATURES, options.smoothSeconds ?? 0);
  return out;
}

export interface AffectiveOptions {
  /** Gaussian smoothing (standard deviation, seconds) of the trajectories before the speed, acceleration and jerk features. Default 0 (none). */
  smoothSeconds?: number;
}

/**
 * Smoothing of the affective-space FID: σ = 50 ms keeps the stride and step
 * rates of walking (gain exp(−(2πfσ)²/2) ≥ 0.82 up to 2 Hz) and removes
 * per-frame noise near the 15 Hz Nyquist rate of 30 fps data.
 */
export const AFFECTIVE_FID_SMOOTHING_SECONDS = 0.05;

/**
 * Min–max scaling fitted on the training split only and stored with a
 * model: x' = (x − min) / (max − min) per column. It is a plain object, so
 * `JSON.stringify(scaler)` saves it and `minMaxFromJSON` restores it.
 */
export interface MinMaxScaler {
  kind: 'minmax';
  /** Columns (D). */
  dim: number;
  /** Per-column minimum over the fitting rows. */
  min: number[];
  /** Per-column maximum over the fitting rows. */
  max: number[];
  /** Optional column names (e.g. AFFECTIVE_FEATURE_NAMES). */
  names?: string[];
}

/** Fits a min–max scaler to rows: [N, D] row-major. Throws E_SHAPE for N = 0 or wrong length, E_VALUE for non-finite values. */
export function fitMinMax(rows: ArrayLike<number>, N: number, D: number, names?: readonly string[]): MinMaxScaler {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(D) || D < 1)
    throw new GaitforgeError('E_SHAPE', `min–max scaler needs N ≥ 1 rows and D ≥ 1 columns, got N = ${N}, D = ${D}`);
  if (rows.length !== N * D) throw new GaitforgeError('E_SHAPE', `rows hold ${rows.length} values, expected N·D = ${N}·${D}`);
  if (names && names.length !== D) throw new GaitforgeError('E_SHAPE', `${names.length} column names for ${D} columns`);
  const min = new Array<number>(D).fill(Infinity);
  const max = new Array<number>(D).fill(-Infinity);
  for (let i = 0; i < N; i++)
    for (let d = 0; d < D; d++) {
      const v = rows[i * D + d]!;
      if (!Number.isFinite(v)) throw new GaitforgeError('E_VALUE', `row ${i}, column ${names?.[d] ?? d}: value ${v} is not finite`);
      if (v < min[d]!) min[d] = v;
      if (v > max[d]!) max[d] = v;
    }
  return { kind: 'minmax', dim: D, min, max, ...(names ? { names: [...names] } : {}) };
}

/**
 * Applies a fitted scaler to rows: [N, D] → new [N, D] Float64Array.
 * Columns that were constant when fitted map to 0. Values outside the
 * fitted range are not clipped (a test gait may lie beyond the training range).
 */
export function applyMinMax(scaler: MinMaxScaler, rows: ArrayLike<number>): Float64Array {
  const D = scaler.dim;
  if (rows.length % D !== 0) throw new GaitforgeError('E_SHAPE', `rows hold ${rows.length} values, not a multiple of D = ${D}`);
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i += D)
    for (let d = 0; d < D; d++) {
      const range = scaler.max[d]! - scaler.min[d]!;
      out[i + d] = range > 0 ? (rows[i + d]! - scaler.min[d]!) / range : 0;
    }
  return out;
}

/** Restores a scaler from parsed JSON; throws E_MODEL naming the field when it is malformed. */
export function minMaxFromJSON(json: unknown): MinMaxScaler {
  const o = json as Partial<MinMaxScaler> | null;
  if (!o || typeof o !== 'object' || o.kind !== 'minmax') throw new GaitforgeError('E_MODEL', 'scaler JSON: kind is not "minmax"');
  const D = o.dim;
  if (!Number.isInteger(D) || (D as number) < 1) throw new GaitforgeError('E_MODEL', `scaler JSON: dim = ${JSON.stringify(D)} is not a positive integer`);
  for (const field of ['min', 'max'] as const) {
    const a = o[field];
    if (!Array.isArray(a) || a.length !== D || a.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      throw new GaitforgeError('E_MODEL', `scaler JSON: ${field} must be ${D} finite numbers`);
  }
  if (o.names !== undefined && (!Array.isArray(o.names) || o.names.length !== D || o.names.some((n) => typeof n !== 'string')))
    throw new GaitforgeError('E_MODEL', `scaler JSON: names must be ${D} strings`);
  return { kind: 'minmax', dim: D as number, min: [...o.min!], max: [...o.max!], ...(o.names ? { names: [...o.names] } : {}) };
}

/**
 * Affective features of a reference (real) set and of other sets, all
 * min–max scaled with the scaler fitted on the reference only. Use this
 * before distances or an FID in the affective space: unscaled, the jerk
 * columns (hundreds to thousands of m/s³) would outweigh the angles,
 * distances and times by orders of magnitude.
 */
export function scaledAffectiveFeatures(reference: GaitSet, others: GaitSet[], options: AffectiveOptions = {}): { scaler: MinMaxScaler; reference: Float64Array; others: Float64Array[] } {
  const ref = affectiveFeatures(reference, options);
  const scaler = fitMinMax(ref, reference.N, NUM_AFFECTIVE_FEATURES, AFFECTIVE_FEATURE_NAMES);
  return { scaler, reference: applyMinMax(scaler, ref), others: others.map((s) => applyMinMax(scaler, affectiveFeatures(s, options))) };
}

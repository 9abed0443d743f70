/**
 * The procedural demo dataset: a kinematic walker whose joint-angle
 * trajectories over a gait cycle drive forward kinematics of the 16-joint
 * E-Gait skeleton. Deterministic from its seed, so every command works with
 * no download. Body proportions follow Winter's tables, emotion effects the
 * gait-emotion literature (sources in docs/pipeline.md, "The procedural demo
 * data"). Emotion intensity varies per gait and walkers have their own style,
 * so labels overlap and a classifier cannot be trivially perfect.
 */
import { GaitSet } from './gaitset.js';
import { Rng } from './rng.js';
import { GaitforgeError, checkRange, ConfigRangeError } from './errors.js';
import { DEFAULT_SIDE_CONVENTION, NUM_JOINTS, SKELETON_NAME, type SideConvention } from './skeleton.js';

/** STEP's label order (0 angry, 1 neutral, 2 happy, 3 sad). */
export const EMOTIONS = ['angry', 'neutral', 'happy', 'sad'] as const;
export type Emotion = (typeof EMOTIONS)[number];

/** Style parameters of one walk; emotions and identities modulate these. */
export interface WalkStyle {
  /** Walking speed, m/s. */
  speed: number;
  /** Stride length (two steps) as a fraction of body height. */
  strideRatio: number;
  /** Peak shoulder flexion/extension about its mean, degrees. */
  armSwing: number;
  /** Mean elbow flexion, degrees. */
  elbowFlex: number;
  /** Peak swing-phase knee flexion, degrees. */
  kneeSwing: number;
  /** Forward trunk lean, degrees (negative = leaning back / upright chest). */
  trunkLean: number;
  /** Head flexion relative to the trunk, degrees (positive = looking down). */
  headFlex: number;
  /** Pelvis rotation about the vertical axis, peak degrees. */
  pelvisYaw: number;
}

export const NEUTRAL_STYLE: WalkStyle = {
  speed: 1.3, strideRatio: 0.78, armSwing: 16, elbowFlex: 18, kneeSwing: 58, trunkLean: 3, headFlex: 4, pelvisYaw: 5,
};

/**
 * Emotion effects at full intensity: multiplicative for speed, stride, arm
 * swing, knee swing and pelvis yaw; additive (degrees) for angles.
 */
export const EMOTION_EFFECTS: Record<Emotion, Partial<Record<keyof WalkStyle, number>>> = {
  neutral: {},
  sad: { speed: 0.72, strideRatio: 0.86, armSwing: 0.5, kneeSwing: 0.85, pelvisYaw: 0.7, trunkLean: 7, headFlex: 18, elbowFlex: -4 },
  angry: { speed: 1.22, strideRatio: 1.1, armSwing: 1.25, kneeSwing: 1.08, pelvisYaw: 1.2, trunkLean: 4, headFlex: 2, elbowFlex: 22 },
  happy: { speed: 1.16, strideRatio: 1.05, armSwing: 1.45, kneeSwing: 1.05, pelvisYaw: 1.1, trunkLean: -4, headFlex: -6, elbowFlex: 4 },
};
const MULTIPLICATIVE: (keyof WalkStyle)[] = ['speed', 'strideRatio', 'armSwing', 'kneeSwing', 'pelvisYaw'];

/** A walker's body: proportions scale with height. */
export interface Body {
  height: number;
  /** Shoulder/hip width multiplier (1 = average). */
  width: number;
  /** Leg length multiplier (1 = average). */
  legRatio: number;
}

export interface ProceduralOptions {
  /** Number of walkers. Default 24. */
  identities?: number;
  /** Gaits per (identity, emotion). Default 6. */
  perEmotion?: number;
  /** Frames per gait (T). Default 75. */
  frames?: number;
  /** Frames per second. Default 30. */
  fps?: number;
  /** Emotions to generate (subset of EMOTIONS). Default all four. */
  emotions?: readonly Emotion[];
  /** Positional noise per joint and frame, metres. Default 0.006. */
  noise?: number;
  /**
   * Pose-estimator measurement noise, metres: the standard deviation of an
   * error added to every coordinate of every joint, correlated over time as a
   * tracker's errors are (a first-order autoregressive process per joint and
   * coordinate with correlation time `estimatorNoiseTime`), so bone lengths
   * jitter from frame to frame and do not average out within a clip.
   * Independent of `noise` (white, per frame). Default 0 (none).
   */
  estimatorNoise?: number;
  /** Correlation time of the estimator noise, seconds (the lag at which its autocorrelation is 1/e). Default 0.1. */
  estimatorNoiseTime?: number;
  /** Side convention for the generated joints. */
  sides?: SideConvention;
  seed?: number;
}

export const DEFAULT_PROCEDURAL: Required<ProceduralOptions> = {
  identities: 24, perEmotion: 6, frames: 75, fps: 30, emotions: EMOTIONS, noise: 0.006, estimatorNoise: 0, estimatorNoiseTime: 0.1,
  sides: DEFAULT_SIDE_CONVENTION, seed: 1,
};

export function resolveProcedural(o: ProceduralOptions = {}): Required<ProceduralOptions> {
  const r = { ...DEFAULT_PROCEDURAL, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Required<ProceduralOptions>;
  checkRange('identities', r.identities, 1, 100_000, true);
  checkRange('perEmotion', r.perEmotion, 1, 100_000, true);
  checkRange('frames', r.frames, 2, 10_000, true);
  checkRange('fps', r.fps, 1, 1000);
  checkRange('noise', r.noise, 0, 1);
  checkRange('estimatorNoise', r.estimatorNoise, 0, 1);
  checkRange('estimatorNoiseTime', r.estimatorNoiseTime, 0.001, 100);
  checkRange('seed', r.seed, 0, Number.MAX_SAFE_INTEGER, true);
  if (r.emotions.length === 0) throw new ConfigRangeError('emotions is empty');
  checkEmotions(r.emotions);
  return r;
}

/** `names` as emotions (untyped input: a command line, a file); E_LABEL naming the first that is not one of EMOTIONS. */
export function checkEmotions(names: readonly string[]): Emotion[] {
  return names.map((e) => {
    const known = EMOTIONS.find((x) => x === e);
    if (known === undefined) throw new GaitforgeError('E_LABEL', `unknown emotion ${JSON.stringify(e)} (known: ${EMOTIONS.join(', ')})`);
    return known;
  });
}

/** Applies an emotion at an intensity in [0, 1] to a style. */
export function applyEmotion(base: WalkStyle, emotion: Emotion, intensity: number): WalkStyle {
  const s = { ...base };
  for (const [k, v] of Object.entries(EMOTION_EFFECTS[emotion]) as [keyof WalkStyle, number][]) {
    s[k] = MULTIPLICATIVE.includes(k) ? base[k] * Math.pow(v, intensity) : base[k] + v * intensity;
  }
  return s;
}

const RAD = Math.PI / 180;
/** Periodic Gaussian bump on the unit circle of phases. */
function bump(phase: number, centre: number, width: number): number {
  let d = Math.abs(phase - centre) % 1;
  if (d > 0.5) d = 1 - d;
  return Math.exp(-(d * d) / (2 * width * width));
}

export interface WalkParams {
  body: Body;
  style: WalkStyle;
  /** Heading about the vertical axis, radians (0 = walking towards +Z). */
  heading: number;
  /** Gait-cycle phase at frame 0, in [0, 1). */
  phase: number;
  /** Start position of the root on the ground plane (x, z), metres. */
  start: [number, number];
}

/**
 * Renders one walk into `out` ([T, V, 3], metres, Y up) by forward
 * kinematics. Joint A-side joints are placed on the subject's left when
 * `sides` is 'a-is-left'.
 */
export function renderWalk(p: WalkParams, T: number, fps: number, out: Float32Array, sides: SideConvention = DEFAULT_SIDE_CONVENTION, noise?: { rng: Rng; std: number }): void {
  const { body, style } = p;
  const H = body.height;
  const thigh = 0.245 * H * body.legRatio;
  const shank = 0.246 * H * body.legRatio;
  const ankleH = 0.039 * H;
  const spineLen = 0.144 * H;
  const headLen = 0.12 * H;
  const shoulderHalf = 0.129 * H * body.width;
  const hipHalf = 0.085 * H * body.width;
  const upperArm = 0.186 * H;
  const foreArm = 0.16 * H;
  const aSign = sides === 'a-is-left' ? 1 : -1; // +x is the subject's left
  const stride = style.strideRatio * H;
  const cadence = style.speed / stride; // strides per second
  const legLen = thigh + shank;
  const hipAmp = Math.asin(Math.min(0.9, (0.3 * stride) / legLen));
  const cosH = Math.cos(p.heading);
  const sinH = Math.sin(p.heading);
  const rel = new Float64Array(NUM_JOINTS * 3);
  const set = (j: number, x: number, y: number, z: number) => {
    rel[3 * j] = x;
    rel[3 * j + 1] = y;
    rel[3 * j + 2] = z;
  };
  for (let t = 0; t < T; t++) {
    const time = t / fps;
    const phase = (((p.phase + cadence * time) % 1) + 1) % 1;
    const lean = style.trunkLean * RAD;
    const yaw = style.pelvisYaw * RAD * Math.cos(2 * Math.PI * phase);
    const sway = 0.012 * H * Math.sin(2 * Math.PI * phase);
    // Root at the origin of the body frame for now; its height is set below.
    set(0, sway, 0, 0);
    const sp = [sway, spineLen * Math.cos(lean), spineLen * Math.sin(lean)];
    set(1, sp[0]!, sp[1]!, sp[2]!);
    const nk = [sway, 2 * spineLen * Math.cos(lean), 2 * spineLen * Math.sin(lean)];
    set(2, nk[0]!, nk[1]!, nk[2]!);
    const hl = lean + style.headFlex * RAD;
    set(3, nk[0]!, nk[1]! + headLen * Math.cos(hl), nk[2]! + headLen * Math.sin(hl));
    // Arms: shoulders counter-rotate against the pelvis.
    const shYaw = -0.6 * yaw;
    for (const [side, base, legPhase] of [[aSign, 4, phase], [-aSign, 7, phase + 0.5]] as const) {
      const lat = side * shoulderHalf;
      const sx = nk[0]! + lat * Math.cos(shYaw);
      const sz = nk[2]! - lat * Math.sin(shYaw);
      const sy = nk[1]! - 0.02 * H;
      set(base, sx, sy, sz);
      const c = Math.cos(2 * Math.PI * legPhase);
      const alpha = (2 - style.armSwing * c) * RAD; // same-side leg forward → arm back
      const elbow = (style.elbowFlex + 0.5 * style.armSwing * (1 - c) * 0.6) * RAD;
      const abd = side * 0.04 * H;
      const ex = sx + abd * 0.5;
      const ey = sy - upperArm * Math.cos(alpha);
      const ez = sz + upperArm * Math.sin(alpha);
      set(base + 1, ex, ey, ez);
      set(base + 2, ex + abd * 0.3, ey - foreArm * Math.cos(alpha + elbow), ez + foreArm * Math.sin(alpha + elbow));
    }
    // Legs.
    let minFoot = Infinity;
    for (const [side, base, legPhase] of [[aSign, 10, phase], [-aSign, 13, phase + 0.5]] as const) {
      const ph = ((legPhase % 1) + 1) % 1;
      const lat = side * hipHalf;
      const hx = sway + lat * Math.cos(yaw);
      const hz = -lat * Math.sin(yaw);
      const hy = -0.02 * H;
      set(base, hx, hy, hz);
      const hipA = 4 * RAD + hipAmp * Math.cos(2 * Math.PI * ph);
      const knee = (4 + 14 * bump(ph, 0.12, 0.07) + style.kneeSwing * bump(ph, 0.7, 0.11)) * RAD;
      const kx = hx;
      const ky = hy - thigh * Math.cos(hipA);
      const kz = hz + thigh * Math.sin(hipA);
      set(base + 1, kx, ky, kz);
      const fy = ky - shank * Math.cos(hipA - knee);
      set(base + 2, kx, fy, kz + shank * Math.sin(hipA - knee));
      minFoot = Math.min(minFoot, fy);
    }
    // Lift the body so the lower foot's ankle is at ankle height above the ground.
    const lift = ankleH - minFoot;
    // World placement: rotate by the heading, translate along it.
    const dist = style.speed * time;
    const rootX = p.start[0] + sinH * dist;
    const rootZ = p.start[1] + cosH * dist;
    const o = t * NUM_JOINTS * 3;
    for (let j = 0; j < NUM_JOINTS; j++) {
      const x = rel[3 * j]!;
      const y = rel[3 * j + 1]! + lift;
      const z = rel[3 * j + 2]!;
      let wx = rootX + cosH * x + sinH * z;
      let wy = y;
      let wz = rootZ - sinH * x + cosH * z;
      if (noise && noise.std > 0) {
        wx += noise.rng.normal(0, noise.std);
        wy += noise.rng.normal(0, noise.std);
        wz += noise.rng.normal(0, noise.std);
      }
      out[o + 3 * j] = wx;
      out[o + 3 * j + 1] = wy;
      out[o + 3 * j + 2] = wz;
    }
  }
}

/**
 * Adds pose-estimator noise to one gait g: [T, V, 3] in place: per joint and
 * coordinate an AR(1) process e_t = ρ·e_{t−1} + √(1−ρ²)·σ·z_t, e_0 ~ N(0, σ²),
 * ρ = exp(−1 / (fps · tau)), so every frame's error has standard deviation σ
 * and errors of frames Δt apart correlate as exp(−Δt / tau).
 */
export function addEstimatorNoise(g: Float32Array, T: number, V: number, fps: number, sigma: number, tau: number, rng: Rng): void {
  if (sigma <= 0) return;
  const rho = Math.exp(-1 / (fps * tau));
  const innovation = Math.sqrt(1 - rho * rho) * sigma;
  const e = new Float64Array(V * 3);
  for (let k = 0; k < e.length; k++) e[k] = rng.normal(0, sigma);
  for (let t = 0; t < T; t++) {
    if (t > 0) for (let k = 0; k < e.length; k++) e[k] = rho * e[k]! + rng.normal(0, innovation);
    for (let k = 0; k < e.length; k++) g[t * V * 3 + k]! += e[k]!;
  }
}

/** Per-identity body and personal style, drawn from the identity's own stream. */
export function sampleIdentity(seed: number, identity: number): { body: Body; style: WalkStyle } {
  const r = new Rng(seed, `procedural/identity/${identity}`);
  const body: Body = { height: r.normal(1.72, 0.085), width: r.normal(1, 0.05), legRatio: r.normal(1, 0.03) };
  const s = NEUTRAL_STYLE;
  const style: WalkStyle = {
    speed: s.speed * Math.exp(r.normal(0, 0.1)),
    strideRatio: s.strideRatio * Math.exp(r.normal(0, 0.06)),
    armSwing: s.armSwing * Math.exp(r.normal(0, 0.3)),
    elbowFlex: s.elbowFlex + r.normal(0, 7),
    kneeSwing: s.kneeSwing * Math.exp(r.normal(0, 0.08)),
    trunkLean: s.trunkLean + r.normal(0, 3.5),
    headFlex: s.headFlex + r.normal(0, 6),
    pelvisYaw: s.pelvisYaw * Math.exp(r.normal(0, 0.2)),
  };
  return { body, style };
}

/**
 * Generates the demo dataset: `identities × emotions × perEmotion` gaits,
 * labels in STEP's order restricted to `emotions`, each with an identity
 * `id00`, random heading and start phase. Bit-identical for the same options.
 */
export function proceduralDataset(options: ProceduralOptions = {}): GaitSet {
  const o = resolveProcedural(options);
  const labelNames = EMOTIONS.filter((e) => o.emotions.includes(e));
  const N = o.identities * labelNames.length * o.perEmotion;
  const per = o.frames * NUM_JOINTS * 3;
  const positions = new Float32Array(N * per);
  const labels = new Int32Array(N);
  const ids: string[] = [];
  const identity: string[] = [];
  const width = String(o.identities - 1).length;
  let n = 0;
  for (let id = 0; id < o.identities; id++) {
    const who = sampleIdentity(o.seed, id);
    const idName = `id${String(id).padStart(Math.max(2, width), '0')}`;
    for (let e = 0; e < labelNames.length; e++) {
      const emotion = labelNames[e]!;
      for (let k = 0; k < o.perEmotion; k++, n++) {
        const r = new Rng(o.seed, `procedural/gait/${id}/${emotion}/${k}`);
        const intensity = r.uniform(0.25, 1);
        const style = applyEmotion(who.style, emotion, intensity);
        style.speed *= Math.exp(r.normal(0, 0.06));
        style.armSwing *= Math.exp(r.normal(0, 0.15));
        style.headFlex += r.normal(0, 3);
        const params: WalkParams = {
          body: who.body, style, heading: r.uniform(0, 2 * Math.PI), phase: r.next(),
          start: [r.uniform(-0.5, 0.5), r.uniform(-0.5, 0.5)],
        };
        const g = positions.subarray(n * per, (n + 1) * per);
        renderWalk(params, o.frames, o.fps, g, o.sides, { rng: r.derive('noise'), std: o.noise });
        addEstimatorNoise(g, o.frames, NUM_JOINTS, o.fps, o.estimatorNoise, o.estimatorNoiseTime, r.derive('estimator-noise'));
        labels[n] = e;
        ids.push(`${idName}-${emotion}-${k}`);
        identity.push(idName);
      }
    }
  }
  return new GaitSet({
    positions, labels, labelNames, T: o.frames, fps: o.fps, skeleton: SKELETON_NAME, ids, identity,
    // Every procedural gait is its own take.
    recording: [...ids],
    source: new Array(N).fill('real'), generator: new Array(N).fill(null), seed: new Array(N).fill(null),
  });
}

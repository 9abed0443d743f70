/**
 * BVH import: three's BVHLoader parses the text, three's Bone hierarchy does
 * the forward kinematics, a joint mapping picks the 16 E-Gait joints; clips
 * are converted to metres and Y up, resampled and cut into T-frame windows.
 * BVHLoader's conventions: rotation channels apply in the listed order
 * (`Zrotation Xrotation Yrotation` gives R = Rz·Rx·Ry, intrinsic), a joint with
 * position channels sits at OFFSET + the channel values, and end sites are
 * joints named `<parent>#end`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Vector3, type Bone, type KeyframeTrack } from 'three';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';
import { GaitforgeError } from '../core/errors.js';
import { GaitSet } from '../core/gaitset.js';
import { DEFAULT_SIDE_CONVENTION, jointNames, NUM_JOINTS, SKELETON_NAME, type SideConvention } from '../core/skeleton.js';
import { inferLabelNames, labelIndex } from './labels.js';
import { resampleFps, resampleGait, tileGait } from './preprocess.js';

/** A parsed BVH clip: world positions of every joint (end sites included), in the file's units and axes. */
export interface BvhClip {
  /** Joint names in hierarchy (depth-first) order; end sites are `<parent>#end`. */
  names: string[];
  /** Parent index of each joint (-1 for the root). */
  parents: number[];
  /** Frames in the clip. */
  frames: number;
  /** Seconds per frame. */
  frameTime: number;
  /** World positions [frames, joints, 3]. */
  positions: Float32Array;
}

const CHANNEL_NAMES = ['Xposition', 'Yposition', 'Zposition', 'Xrotation', 'Yrotation', 'Zrotation'];

/**
 * Checks the structure of a BVH text (hierarchy, channel counts, frame count
 * and frame lines) so malformed files fail with one clear E_FORMAT message
 * naming `file` instead of the loader's console output.
 */
function validateBvh(text: string, file: string): void {
  const lines = text.split(/\r?\n|\r/).map((l) => l.trim());
  let i = 0;
  const next = () => {
    while (i < lines.length && lines[i] === '') i++;
    return i < lines.length ? lines[i++]! : null;
  };
  const bad = (msg: string) => new GaitforgeError('E_FORMAT', `${file}: ${msg}`);
  if (next() !== 'HIERARCHY') throw bad('not a BVH file (it does not start with HIERARCHY)');
  const channelOwner: string[] = [];
  let depth = 0;
  let joints = 0;
  let line: string | null;
  let current: string[] = [];
  while ((line = next()) !== null) {
    if (line === 'MOTION') break;
    const tok = line.split(/\s+/);
    if (tok[0] === 'ROOT' || tok[0] === 'JOINT') {
      if (!tok[1]) throw bad(`line ${i}: ${tok[0]} without a name`);
      current.push(tok.slice(1).join(' '));
      joints++;
    } else if (tok[0]?.toUpperCase() === 'END' && tok[1]?.toUpperCase() === 'SITE') current.push(`${current[current.length - 1] ?? '?'}#end`);
    else if (tok[0] === '{') depth++;
    else if (tok[0] === '}') {
      depth--;
      current.pop();
      if (depth < 0) throw bad(`line ${i}: unbalanced }`);
    } else if (tok[0] === 'OFFSET') {
      if (tok.length !== 4 || tok.slice(1).some((x) => !Number.isFinite(Number(x)))) throw bad(`line ${i}: OFFSET needs three numbers`);
    } else if (tok[0] === 'CHANNELS') {
      const k = Number(tok[1]);
      if (!Number.isInteger(k) || k < 0 || tok.length !== k + 2) throw bad(`line ${i}: CHANNELS ${tok[1]} lists ${tok.length - 2} channels`);
      for (const c of tok.slice(2)) {
        if (!CHANNEL_NAMES.includes(c)) throw bad(`line ${i}: unknown channel ${c}`);
        channelOwner.push(current[current.length - 1] ?? '?');
      }
    } else throw bad(`line ${i}: unexpected ${JSON.stringify(line.slice(0, 40))} in HIERARCHY`);
  }
  if (line !== 'MOTION') throw bad('no MOTION section (truncated file?)');
  if (depth !== 0) throw bad('unbalanced braces in HIERARCHY');
  if (!joints) throw bad('no joints in HIERARCHY');
  const fl = next();
  const fm = fl ? /^Frames:\s*(\d+)$/.exec(fl) : null;
  if (!fm) throw bad(`expected "Frames: n" after MOTION, got ${JSON.stringify(fl)}`);
  const nFrames = Number(fm[1]);
  const tl = next();
  const tm = tl ? /^Frame Time:\s*(\S+)$/.exec(tl) : null;
  if (!tm || !(Number(tm[1]) > 0)) throw bad(`expected "Frame Time: seconds" (positive), got ${JSON.stringify(tl)}`);
  if (nFrames < 1) throw bad('MOTION holds no frames');
  for (let f = 0; f < nFrames; f++) {
    const fr = next();
    if (fr === null) throw bad(`MOTION declares ${nFrames} frames but holds ${f} (truncated file?)`);
    const vals = fr.split(/\s+/);
    if (vals.length !== channelOwner.length) throw bad(`frame ${f}: ${vals.length} values, but the hierarchy has ${channelOwner.length} channels`);
    for (let k = 0; k < vals.length; k++)
      if (!Number.isFinite(Number(vals[k])))
        throw new GaitforgeError('E_VALUE', `${file}: frame ${f}, joint ${channelOwner[k]}: value ${JSON.stringify(vals[k])} is not a finite number`);
  }
}

/**
 * Parses BVH text into world joint positions per frame (forward kinematics
 * over three's Bone hierarchy). Throws E_FORMAT / E_VALUE naming `file`.
 */
export function parseBvh(text: string, file = 'BVH'): BvhClip {
  validateBvh(text, file);
  const reported: string[] = [];
  const { error, warn } = console;
  console.error = (...a: unknown[]) => void reported.push(a.map(String).join(' '));
  console.warn = console.error;
  let parsed: ReturnType<BVHLoader['parse']>;
  try {
    parsed = new BVHLoader().parse(text);
  } catch (e) {
    throw new GaitforgeError('E_FORMAT', `${file}: cannot parse BVH: ${(e as Error).message}`);
  } finally {
    console.error = error;
    console.warn = warn;
  }
  if (reported.length) throw new GaitforgeError('E_FORMAT', `${file}: ${reported[0]}`);
  const bones = parsed.skeleton.bones as Bone[];
  const tracks = parsed.clip.tracks as KeyframeTrack[];
  // Bones are depth-first; tracks come in (position, quaternion) pairs for every bone except end sites.
  const names: string[] = [];
  const parents: number[] = [];
  const animated: { bone: Bone; pos: Float32Array; quat: Float32Array }[] = [];
  let k = 0;
  bones.forEach((b) => {
    const parent = b.parent ? bones.indexOf(b.parent as Bone) : -1;
    parents.push(parent);
    const isEnd = b.name === 'ENDSITE' && b.children.length === 0 && tracks[2 * k]?.name !== 'ENDSITE.position';
    if (isEnd) {
      const base = `${names[parent] ?? '?'}#end`;
      let name = base;
      for (let n = 2; names.includes(name); n++) name = `${base}${n}`;
      names.push(name);
      return;
    }
    names.push(b.name);
    const pos = tracks[2 * k];
    const quat = tracks[2 * k + 1];
    if (pos?.name !== `${b.name}.position` || quat?.name !== `${b.name}.quaternion`)
      throw new GaitforgeError('E_FORMAT', `${file}: joint ${b.name}: animation tracks out of order`);
    animated.push({ bone: b, pos: pos.values as Float32Array, quat: quat.values as Float32Array });
    k++;
  });
  const frames = animated[0]!.pos.length / 3;
  const times = tracks[0]!.times;
  const frameTime = frames > 1 ? (times[frames - 1]! - times[0]!) / (frames - 1) : Number(/Frame Time:\s*(\S+)/.exec(text)![1]);
  const J = bones.length;
  const out = new Float32Array(frames * J * 3);
  const v = new Vector3();
  const root = bones[0]!;
  for (let f = 0; f < frames; f++) {
    for (const a of animated) {
      a.bone.position.fromArray(a.pos, f * 3);
      a.bone.quaternion.fromArray(a.quat, f * 4);
    }
    root.updateMatrixWorld(true);
    bones.forEach((b, j) => {
      v.setFromMatrixPosition(b.matrixWorld);
      out[(f * J + j) * 3] = v.x;
      out[(f * J + j) * 3 + 1] = v.y;
      out[(f * J + j) * 3 + 2] = v.z;
    });
  }
  return { names, parents, frames, frameTime, positions: out };
}

// ------------------------------------------------------------ joint mapping

/** Anatomical names of the 16 E-Gait joints (left/right are the subject's). */
export const EGAIT_ANATOMICAL_JOINTS: readonly string[] = jointNames('a-is-left');

/** A joint mapping: E-Gait joint name → source joint name, or candidate names tried in order. */
export type JointMapping = Record<string, string | string[]>;

const sided = (left: string[], right: string[]) => ({ left, right });
function preset(p: {
  root: string[]; spine: string[]; neck: string[]; head: string[];
  shoulder: ReturnType<typeof sided>; elbow: ReturnType<typeof sided>; hand: ReturnType<typeof sided>;
  hip: ReturnType<typeof sided>; knee: ReturnType<typeof sided>; foot: ReturnType<typeof sided>;
}): JointMapping {
  const m: JointMapping = { root: p.root, spine: p.spine, neck: p.neck, head: p.head };
  for (const part of ['shoulder', 'elbow', 'hand', 'hip', 'knee', 'foot'] as const) {
    m[`left_${part}`] = p[part].left;
    m[`right_${part}`] = p[part].right;
  }
  return m;
}

/**
 * Built-in joint mappings. Names match case-insensitively, ignoring a
 * namespace prefix (`mixamorig:`) and characters other than letters and
 * digits (so `UpperArm_L`, `UpperArm.L` and `upperarm_l` are the same).
 */
export const BVH_JOINT_PRESETS: Record<'cmu' | 'mixamo' | 'side-suffix', JointMapping> = {
  // CMU mocap BVH conversions: Hips, LowerBack, Spine, Spine1, Neck, Neck1, Head, LeftShoulder (clavicle), LeftArm, ...
  cmu: preset({
    root: ['Hips'], spine: ['Spine1', 'Spine', 'Chest'], neck: ['Neck', 'Neck1'], head: ['Head'],
    shoulder: sided(['LeftArm'], ['RightArm']), elbow: sided(['LeftForeArm'], ['RightForeArm']), hand: sided(['LeftHand'], ['RightHand']),
    hip: sided(['LeftUpLeg'], ['RightUpLeg']), knee: sided(['LeftLeg'], ['RightLeg']), foot: sided(['LeftFoot'], ['RightFoot']),
  }),
  // Mixamo: mixamorig:Hips, mixamorig:Spine, Spine1, Spine2, Neck, Head, LeftShoulder (clavicle), LeftArm, ...
  mixamo: preset({
    root: ['mixamorig:Hips', 'Hips'], spine: ['mixamorig:Spine1', 'Spine1', 'Spine'], neck: ['mixamorig:Neck', 'Neck'], head: ['mixamorig:Head', 'Head'],
    shoulder: sided(['mixamorig:LeftArm', 'LeftArm'], ['mixamorig:RightArm', 'RightArm']),
    elbow: sided(['mixamorig:LeftForeArm', 'LeftForeArm'], ['mixamorig:RightForeArm', 'RightForeArm']),
    hand: sided(['mixamorig:LeftHand', 'LeftHand'], ['mixamorig:RightHand', 'RightHand']),
    hip: sided(['mixamorig:LeftUpLeg', 'LeftUpLeg'], ['mixamorig:RightUpLeg', 'RightUpLeg']),
    knee: sided(['mixamorig:LeftLeg', 'LeftLeg'], ['mixamorig:RightLeg', 'RightLeg']),
    foot: sided(['mixamorig:LeftFoot', 'LeftFoot'], ['mixamorig:RightFoot', 'RightFoot']),
  }),
  // Game-engine style: Hips, Spine, Chest, Neck, Head, UpperArm_L, LowerArm_L, Hand_L, UpperLeg_L, LowerLeg_L, Foot_L.
  'side-suffix': preset({
    root: ['Hips', 'Pelvis'], spine: ['Spine', 'Chest', 'Spine1'], neck: ['Neck'], head: ['Head'],
    shoulder: sided(['UpperArm_L', 'L_UpperArm'], ['UpperArm_R', 'R_UpperArm']),
    elbow: sided(['LowerArm_L', 'Forearm_L', 'L_LowerArm'], ['LowerArm_R', 'Forearm_R', 'R_LowerArm']),
    hand: sided(['Hand_L', 'L_Hand'], ['Hand_R', 'R_Hand']),
    hip: sided(['UpperLeg_L', 'Thigh_L', 'L_UpperLeg'], ['UpperLeg_R', 'Thigh_R', 'R_UpperLeg']),
    knee: sided(['LowerLeg_L', 'Shin_L', 'Calf_L', 'L_LowerLeg'], ['LowerLeg_R', 'Shin_R', 'Calf_R', 'R_LowerLeg']),
    foot: sided(['Foot_L', 'L_Foot'], ['Foot_R', 'R_Foot']),
  }),
};

const normName = (n: string) => {
  const end = n.endsWith('#end');
  const base = end ? n.slice(0, -4) : n;
  const bare = base.includes(':') ? base.slice(base.lastIndexOf(':') + 1) : base;
  return bare.toLowerCase().replace(/[^a-z0-9]/g, '') + (end ? '#end' : '');
};

/**
 * Indices of the 16 E-Gait joints (in E-Gait order under `sides`) in a BVH
 * joint list. `mapping` is a preset name, 'auto' (the first preset that maps
 * every joint), or a JointMapping. Throws E_FORMAT naming the file, the
 * E-Gait joint and the names tried when one is missing.
 */
export function resolveJointMapping(names: string[], mapping: string | JointMapping, file: string, sides: SideConvention = DEFAULT_SIDE_CONVENTION): number[] {
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    const k = normName(n);
    if (!index.has(k)) index.set(k, i);
  });
  const attempt = (m: JointMapping): { idx: number[]; missing: string | null } => {
    const idx: number[] = [];
    for (const target of jointNames(sides)) {
      const cands = m[target];
      if (cands === undefined) throw new GaitforgeError('E_CONFIG', `joint mapping has no entry for E-Gait joint ${target}`);
      const list = Array.isArray(cands) ? cands : [cands];
      const hit = list.map((c) => index.get(normName(c))).find((x) => x !== undefined);
      if (hit === undefined) return { idx, missing: `${target} (tried ${list.join(', ')})` };
      idx.push(hit);
    }
    return { idx, missing: null };
  };
  const available = () => names.filter((n) => !n.endsWith('#end')).join(', ');
  if (typeof mapping === 'string') {
    if (mapping === 'auto') {
      const tried: string[] = [];
      for (const [name, m] of Object.entries(BVH_JOINT_PRESETS)) {
        const r = attempt(m);
        if (!r.missing) return r.idx;
        tried.push(`${name}: no ${r.missing}`);
      }
      throw new GaitforgeError('E_FORMAT', `${file}: no built-in joint mapping fits (${tried.join('; ')}); joints in the file: ${available()}`);
    }
    const m = BVH_JOINT_PRESETS[mapping as keyof typeof BVH_JOINT_PRESETS];
    if (!m) throw new GaitforgeError('E_OPTION', `joint mapping ${JSON.stringify(mapping)} is not one of auto, ${Object.keys(BVH_JOINT_PRESETS).join(', ')} (or a JSON mapping file)`);
    mapping = m;
  }
  for (const k of Object.keys(mapping))
    if (!EGAIT_ANATOMICAL_JOINTS.includes(k))
      throw new GaitforgeError('E_CONFIG', `joint mapping names ${JSON.stringify(k)}, which is not an E-Gait joint (${EGAIT_ANATOMICAL_JOINTS.join(', ')})`);
  const r = attempt(mapping);
  if (r.missing) throw new GaitforgeError('E_FORMAT', `${file}: joint ${r.missing} is missing from the file; joints in the file: ${available()}`);
  return r.idx;
}

/** Reads a joint mapping JSON file ({ "root": "Hips", "left_hip": ["LeftUpLeg", "LThigh"], ... }). */
export async function readJointMapping(file: string): Promise<JointMapping> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new GaitforgeError(err.code ? 'E_IO' : 'E_CONFIG', `${file}: ${err.code ? 'cannot read joint mapping' : 'joint mapping is not valid JSON'}: ${err.message}`);
  }
  const obj = (data as { joints?: unknown })?.joints ?? data;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new GaitforgeError('E_CONFIG', `${file}: a joint mapping is a JSON object { "<E-Gait joint>": "<BVH joint>" }`);
  for (const [k, v] of Object.entries(obj)) {
    const ok = typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
    if (!ok) throw new GaitforgeError('E_CONFIG', `${file}: joint ${k}: expected a joint name or a list of names`);
  }
  return obj as JointMapping;
}

// ------------------------------------------------------------ import

export type BvhUnits = 'm' | 'cm' | 'mm' | 'in';
export const BVH_UNITS: readonly BvhUnits[] = ['m', 'cm', 'mm', 'in'];
const UNIT_SCALE: Record<BvhUnits, number> = { m: 1, cm: 0.01, mm: 0.001, in: 0.0254 };

const unitsError = (units: unknown) => new GaitforgeError('E_OPTION', `units ${JSON.stringify(units)} is not one of ${BVH_UNITS.join(', ')} or a positive scale`);

/** Metres per unit of `units`; E_OPTION naming the value unless it is a unit name or a positive scale. */
function unitScale(units: BvhUnits | number): number {
  const k = typeof units === 'number' ? units : UNIT_SCALE[units];
  if (!(k > 0) || !Number.isFinite(k)) throw unitsError(units);
  return k;
}

/** `units` from untyped text (a command line): a unit name, or a number read as a scale factor; checked as the import checks it. */
export function parseBvhUnits(text: string): BvhUnits | number {
  const units = Number.isFinite(Number(text)) ? Number(text) : BVH_UNITS.find((u) => u === text);
  if (units === undefined) throw unitsError(text);
  unitScale(units);
  return units;
}

export interface BvhImportConfig {
  /** Built-in mapping name ('auto', 'cmu', 'mixamo', 'side-suffix') or a JointMapping. Default 'auto'. */
  mapping?: string | JointMapping;
  /** Length unit of the BVH files (converted to metres), or a scale factor. Default 'cm'. */
  units?: BvhUnits | number;
  /** Up axis of the BVH files ('z' is rotated to Y up). Default 'y'. */
  upAxis?: 'y' | 'z';
  /** Frames per window (T). Default 75. */
  frames?: number;
  /** Frames between window starts. Default = frames (no overlap). */
  stride?: number;
  /** Target frame rate (clips are resampled to it). Default 30. */
  fps?: number;
  /** Clips shorter than `frames`: cyclic tiling (as STEP), resampling, or skipping. Default 'tile'. */
  shortClips?: 'tile' | 'resample' | 'skip';
  /** One label for every file. */
  label?: string;
  /** A regular expression on the file name whose first capture group is the label. */
  labelPattern?: string;
  /** A JSON file mapping file names to a label or { label, identity }. */
  sidecar?: string;
  /** A regular expression on the file name whose first capture group is the identity. */
  identityPattern?: string;
  /**
   * Label names of the result (index order); a file whose label is not among
   * them is an error. Default: the labels found in the files (see `inferLabelNames`).
   */
  labelNames?: string[];
  /** Which joints are left / right in the E-Gait order. Default 'a-is-left'. */
  sides?: SideConvention;
}

export const DEFAULT_BVH_IMPORT = {
  mapping: 'auto' as string | JointMapping, units: 'cm' as BvhUnits | number, upAxis: 'y' as 'y' | 'z', frames: 75, fps: 30,
  shortClips: 'tile' as 'tile' | 'resample' | 'skip',
  sides: DEFAULT_SIDE_CONVENTION,
};

interface Sidecar {
  [file: string]: string | { label?: string; identity?: string };
}

/** Clip of the 16 E-Gait joints [F, 16, 3] in metres, Y up, at the clip's own frame rate. */
export function egaitClipFromBvh(clip: BvhClip, mapping: string | JointMapping, file: string, units: BvhUnits | number = 'cm', upAxis: 'y' | 'z' = 'y', sides: SideConvention = DEFAULT_SIDE_CONVENTION): Float32Array {
  const idx = resolveJointMapping(clip.names, mapping, file, sides);
  const k = unitScale(units);
  const J = clip.names.length;
  const out = new Float32Array(clip.frames * NUM_JOINTS * 3);
  for (let f = 0; f < clip.frames; f++)
    idx.forEach((src, j) => {
      const i = (f * J + src) * 3;
      const o = (f * NUM_JOINTS + j) * 3;
      const [x, y, z] = [clip.positions[i]! * k, clip.positions[i + 1]! * k, clip.positions[i + 2]! * k];
      // Z up → Y up: rotate −90° about X, (x, y, z) → (x, z, −y).
      if (upAxis === 'z') [out[o], out[o + 1], out[o + 2]] = [x, z, -y];
      else [out[o], out[o + 1], out[o + 2]] = [x, y, z];
    });
  return out;
}

/**
 * Imports BVH files as a GaitSet [N, frames, 16, 3]: each file is parsed,
 * mapped to the E-Gait joints, converted to metres / Y up, resampled to
 * `fps` and cut into windows of `frames` frames every `stride` frames.
 * Ids are `<file name>#<first frame>`; the recording of every window is the
 * file name without its extension, so splits keep a file's (possibly
 * overlapping) windows together. Errors name the file (and joint).
 */
export async function importBvh(files: string[], config: BvhImportConfig = {}): Promise<GaitSet> {
  const c = { ...DEFAULT_BVH_IMPORT, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) } as typeof DEFAULT_BVH_IMPORT & BvhImportConfig;
  const T = c.frames;
  const stride = c.stride ?? T;
  if (!Number.isInteger(T) || T < 1) throw new GaitforgeError('E_OPTION', `frames = ${T} must be a positive integer`);
  if (!Number.isInteger(stride) || stride < 1) throw new GaitforgeError('E_OPTION', `stride = ${stride} must be a positive integer`);
  if (!(c.fps > 0)) throw new GaitforgeError('E_OPTION', `fps = ${c.fps} must be positive`);
  if (!['tile', 'resample', 'skip'].includes(c.shortClips)) throw new GaitforgeError('E_OPTION', `shortClips ${JSON.stringify(c.shortClips)} is not tile, resample or skip`);
  const labelSources = [c.label !== undefined, c.labelPattern !== undefined, c.sidecar !== undefined].filter(Boolean).length;
  if (labelSources !== 1) throw new GaitforgeError('E_OPTION', 'BVH import needs exactly one label source: a label, a label pattern or a sidecar JSON');
  if (!files.length) throw new GaitforgeError('E_OPTION', 'no BVH files given');
  const regex = (field: string, pattern: string | undefined) => {
    if (pattern === undefined) return null;
    try {
      return new RegExp(pattern);
    } catch (e) {
      throw new GaitforgeError('E_OPTION', `${field} ${JSON.stringify(pattern)} is not a regular expression: ${(e as Error).message}`);
    }
  };
  const labelRe = regex('labelPattern', c.labelPattern);
  const idRe = regex('identityPattern', c.identityPattern);
  let sidecar: Sidecar | null = null;
  if (c.sidecar !== undefined) {
    try {
      sidecar = JSON.parse(await readFile(c.sidecar, 'utf8')) as Sidecar;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new GaitforgeError(err.code ? 'E_IO' : 'E_CONFIG', `${c.sidecar}: ${err.code ? 'cannot read' : 'not valid JSON'}: ${err.message}`);
    }
  }
  const mapping = c.mapping;
  const per = T * NUM_JOINTS * 3;
  // Labels and identities of every file first, so the label names are known before any parsing.
  const meta = files.map((file) => {
    const base = path.basename(file);
    let label: string | undefined;
    let ident: string | null = idRe ? (idRe.exec(base)?.[1] ?? null) : null;
    if (c.label !== undefined) label = c.label;
    else if (labelRe) {
      label = labelRe.exec(base)?.[1];
      if (label === undefined) throw new GaitforgeError('E_LABEL', `${file}: the file name does not match the label pattern ${labelRe.source}`);
    } else {
      const entry = sidecar![base] ?? sidecar![file];
      if (entry === undefined) throw new GaitforgeError('E_LABEL', `${file}: no entry for ${base} in ${c.sidecar}`);
      label = typeof entry === 'string' ? entry : entry.label;
      if (typeof entry === 'object' && entry.identity !== undefined) ident = entry.identity;
      if (label === undefined) throw new GaitforgeError('E_LABEL', `${file}: the entry in ${c.sidecar} has no label`);
    }
    return { label, ident };
  });
  const labelNames = c.labelNames ?? inferLabelNames(meta.map((m) => m.label));
  const chunks: Float32Array[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  const identity: (string | null)[] = [];
  const recording: string[] = [];
  const frames: number[] = [];
  for (const [k, file] of files.entries()) {
    const base = path.basename(file);
    const take = path.basename(file, path.extname(file)); // the recording: one per file
    const { ident } = meta[k]!;
    const li = labelIndex(labelNames, meta[k]!.label, file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new GaitforgeError('E_IO', `${file}: cannot read: ${(e as Error).message}`);
    }
    const clip = parseBvh(text, file);
    const g = egaitClipFromBvh(clip, mapping, file, c.units, c.upAxis, c.sides);
    const { positions: rs, T: F } = resampleFps(g, clip.frames, NUM_JOINTS, 1 / clip.frameTime, c.fps);
    const push = (win: Float32Array, start: number, len: number) => {
      chunks.push(win);
      ids.push(`${base}#${start}`);
      labels.push(li);
      identity.push(ident);
      recording.push(take);
      frames.push(len);
    };
    if (F < T) {
      if (c.shortClips === 'skip') continue;
      push(c.shortClips === 'tile' ? tileGait(rs, F, NUM_JOINTS, T) : resampleGait(rs, F, NUM_JOINTS, T), 0, F);
    } else {
      for (let s = 0; s + T <= F; s += stride) push(rs.slice(s * NUM_JOINTS * 3, (s + T) * NUM_JOINTS * 3), s, T);
    }
  }
  if (!chunks.length) throw new GaitforgeError('E_VALUE', `no windows of ${T} frames in ${files.length} BVH file(s) (all clips are shorter and shortClips is skip)`);
  const positions = new Float32Array(chunks.length * per);
  chunks.forEach((w, i) => positions.set(w, i * per));
  return new GaitSet({
    positions, labels, labelNames, T, V: NUM_JOINTS, fps: c.fps, skeleton: SKELETON_NAME, ids, identity, recording,
    source: ids.map(() => 'real'), frames: Int32Array.from(frames),
  });
}

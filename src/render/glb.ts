/**
 * Animated GLB files of gaits, written by three.js's GLTFExporter (the
 * maintained glTF writer of a library gaitforge already uses; it computes
 * bounds, pads chunks and deduplicates meshes). Each gait is a group of 16
 * joint spheres and 15 bone cylinders animated by node TRS tracks (linear, one
 * key per frame at the data's fps), so any glTF viewer plays it without skinning.
 * Layout (names sanitised to [A-Za-z0-9_]):
 *   scene "gaitforge"  extras.gaitforge = { legend, fps, frames, skeleton, joints, bones, gaits, grid }
 *     "ground"          optional plane under the lowest joint
 *     "gait_<k>"        extras = { id, label, color, source, generator, seed, identity, frames, offset }
 *       "gait_<k>_j<j>_<joint name>"   sphere, animated translation
 *       "gait_<k>_b<p>_<c>"            cylinder from joint p to joint c: animated translation, rotation, scale
 * Joint translations are the data's coordinates exactly; a gait group's
 * translation (`extras.offset`) only places it on the grid.
 */
import {
  AnimationClip, Color, CylinderGeometry, Group, Mesh, MeshStandardMaterial, Object3D, PlaneGeometry, PropertyBinding, Quaternion,
  QuaternionKeyframeTrack, Scene, SphereGeometry, Vector3, VectorKeyframeTrack, type BufferGeometry, type KeyframeTrack,
} from 'three';
import { GLTFExporter } from 'three/examples/jsm/exporters/GLTFExporter.js';
import { checkRange, ConfigRangeError, GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { EDGES, jointNames, JOINTS, SIDE_CONVENTIONS, type SideConvention } from '../core/skeleton.js';
import { labelColors, shade } from './colors.js';
import { checkRenderable } from './select.js';
import { writeFilesAtomic } from '../core/files.js';
import { sharedEffect } from '../core/process-wide.js';
import path from 'node:path';

export interface GlbConfig {
  /** Radius of the joint spheres, metres. Default 0.025. */
  jointRadius?: number;
  /** Radius of the head sphere, metres. Default 0.09. */
  headRadius?: number;
  /** Radius of the bone cylinders, metres. Default 0.014. */
  boneRadius?: number;
  /** Add a ground plane just under the lowest joint sphere. Default true. */
  ground?: boolean;
  /** Free space between grid cells, metres. Default 0.4. */
  spacing?: number;
  /** Grid columns; 0 = ceil(sqrt(N)). Default 0. */
  columns?: number;
  /** Which side joints 4-6 / 10-12 are, for joint names. Default 'a-is-left'. */
  sides?: SideConvention;
}

export const DEFAULT_GLB: Required<GlbConfig> = {
  jointRadius: 0.025, headRadius: 0.09, boneRadius: 0.014, ground: true, spacing: 0.4, columns: 0, sides: 'a-is-left',
};

export function resolveGlb(c: GlbConfig = {}): Required<GlbConfig> {
  const r = { ...DEFAULT_GLB, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as Required<GlbConfig>;
  checkRange('jointRadius', r.jointRadius, 1e-4, 1);
  checkRange('headRadius', r.headRadius, 1e-4, 1);
  checkRange('boneRadius', r.boneRadius, 1e-4, 1);
  checkRange('spacing', r.spacing, 0, 100);
  checkRange('columns', r.columns, 0, 100_000, true);
  if (typeof r.ground !== 'boolean') throw new ConfigRangeError(`ground = ${String(r.ground)} is not a boolean`);
  if (!SIDE_CONVENTIONS.includes(r.sides)) throw new ConfigRangeError(`sides = ${String(r.sides)} is not one of ${SIDE_CONVENTIONS.join(', ')}`);
  return r;
}

/** What a GLB's scene extras hold under `gaitforge`. */
export interface GlbSceneExtras {
  legend: Record<string, string>;
  fps: number;
  frames: number;
  skeleton: string;
  joints: string[];
  bones: [number, number][];
  gaits: number;
  grid: { columns: number; rows: number; cell: [number, number] } | null;
  ground: number | null;
}

/** What each gait group node's extras hold. */
export interface GlbGaitExtras {
  id: string;
  label: string;
  color: string;
  source: string;
  generator: string | null;
  seed: number | null;
  identity: string | null;
  frames: number;
  /** Translation of the gait's group node: world position = data + offset. */
  offset: [number, number, number];
}

/**
 * The GLB bytes of one scene holding every gait of `set` (a grid when N > 1;
 * a single gait keeps its own coordinates, offset 0). Throws E_VALUE for
 * non-finite coordinates and E_SHAPE for skeletons other than 16 joints.
 */
export async function gaitSetToGlb(set: GaitSet, config: GlbConfig = {}): Promise<Uint8Array> {
  checkRenderable(set);
  const cfg = resolveGlb(config);
  const { scene, clip } = buildScene(set, cfg);
  return exportGlb(scene, clip);
}

/** The GLB bytes of gait `index` of `set` alone (see gaitSetToGlb). */
export async function gaitToGlb(set: GaitSet, index: number, config: GlbConfig = {}): Promise<Uint8Array> {
  if (!Number.isInteger(index) || index < 0 || index >= set.N) throw new RangeError(`gait index ${index} out of range [0, ${set.N - 1}]`);
  return gaitSetToGlb(set.slice(index, index + 1), config);
}

export interface WriteGlbOptions extends GlbConfig {
  /** One scene with all gaits on a grid in `out` (true), or one file per gait in the folder `out` (false). */
  grid?: boolean;
  /** Called after each gait file is built (per-gait mode). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Writes GLB files: with `grid` (or a single gait and `out` ending in .glb)
 * one file `out`; otherwise one `<out>/<id>.glb` per gait. Everything is
 * built and checked first and written to temporary names, then renamed, so
 * a failure writes nothing. Returns the paths written.
 */
export async function writeGlb(out: string, set: GaitSet, options: WriteGlbOptions = {}): Promise<string[]> {
  checkRenderable(set);
  resolveGlb(options);
  const single = options.grid === true || (set.N === 1 && out.toLowerCase().endsWith('.glb'));
  if (single) {
    const bytes = await gaitSetToGlb(set, options);
    writeFilesAtomic([{ path: out, data: bytes }]);
    return [out];
  }
  if (out.toLowerCase().endsWith('.glb'))
    throw new GaitforgeError('E_OPTION', `${set.N} gaits selected but --out ${out} names one file: give a folder, or use --grid for one scene`);
  const names = uniqueFileNames(set.ids);
  const files = [];
  for (let i = 0; i < set.N; i++) {
    files.push({ path: path.join(out, `${names[i]}.glb`), data: await gaitToGlb(set, i, options) });
    options.onProgress?.(i + 1, set.N);
  }
  writeFilesAtomic(files);
  return files.map((f) => f.path);
}

/** A file name made from a gait id: letters, digits, '-', '_' and '.' kept, the rest replaced by '_'. */
function safeFileName(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s.slice(0, 200) : '_';
}

/** File names (without extension) for gait ids, made unique by a numeric suffix (case-insensitively). */
export function uniqueFileNames(ids: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const base = safeFileName(id);
    const n = seen.get(base.toLowerCase()) ?? 0;
    seen.set(base.toLowerCase(), n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

/** Shared geometries, made once per process (three's exporter writes each once per file). */
let shapes: { sphere: BufferGeometry; cylinder: BufferGeometry; plane: BufferGeometry } | null = null;
function getShapes() {
  if (!shapes) {
    const strip = (g: BufferGeometry) => {
      g.deleteAttribute('uv'); // untextured: an unused TEXCOORD_0 only bloats the file
      return g;
    };
    // Unit sphere, scaled per node; unit-height cylinder from y = 0 to y = 1, scaled to the bone's length.
    const sphere = strip(new SphereGeometry(1, 14, 10));
    const cylinder = strip(new CylinderGeometry(1, 1, 1, 10, 1, false).translate(0, 0.5, 0));
    const plane = strip(new PlaneGeometry(1, 1).rotateX(-Math.PI / 2));
    shapes = { sphere, cylinder, plane };
  }
  return shapes;
}

/** A node name three's PropertyBinding and every glTF tool accept. */
function nodeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

interface Layout {
  offsets: Float64Array; // [N, 3]
  grid: GlbSceneExtras['grid'];
  minY: number;
  bounds: [number, number, number, number]; // world xmin, xmax, zmin, zmax after offsets
}

/** Grid placement: each gait's horizontal bounding box centred in its cell. */
function layout(set: GaitSet, cfg: Required<GlbConfig>): Layout {
  const { N, T, V } = set;
  const box = new Float64Array(N * 4);
  let minY = Infinity;
  let cellX = 0;
  let cellZ = 0;
  for (let i = 0; i < N; i++) {
    const g = set.gait(i);
    let x0 = Infinity, x1 = -Infinity, z0 = Infinity, z1 = -Infinity;
    for (let k = 0; k < T * V; k++) {
      const x = g[3 * k]!, y = g[3 * k + 1]!, z = g[3 * k + 2]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (z < z0) z0 = z;
      if (z > z1) z1 = z;
      if (y < minY) minY = y;
    }
    box.set([x0, x1, z0, z1], 4 * i);
    cellX = Math.max(cellX, x1 - x0);
    cellZ = Math.max(cellZ, z1 - z0);
  }
  const offsets = new Float64Array(N * 3);
  let grid: Layout['grid'] = null;
  if (N > 1) {
    const cols = cfg.columns > 0 ? Math.min(cfg.columns, N) : Math.ceil(Math.sqrt(N));
    const rows = Math.ceil(N / cols);
    cellX += cfg.spacing + 2 * cfg.headRadius;
    cellZ += cfg.spacing + 2 * cfg.headRadius;
    grid = { columns: cols, rows, cell: [round6(cellX), round6(cellZ)] };
    for (let i = 0; i < N; i++) {
      const c = i % cols;
      const r = Math.floor(i / cols);
      const cx = (c - (cols - 1) / 2) * cellX;
      const cz = (r - (rows - 1) / 2) * cellZ;
      // Rounded so the offset written to extras is exactly the node's translation (float32).
      offsets[3 * i] = Math.fround(cx - (box[4 * i]! + box[4 * i + 1]!) / 2);
      offsets[3 * i + 2] = Math.fround(cz - (box[4 * i + 2]! + box[4 * i + 3]!) / 2);
    }
  }
  const bounds: Layout['bounds'] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < N; i++) {
    bounds[0] = Math.min(bounds[0], box[4 * i]! + offsets[3 * i]!);
    bounds[1] = Math.max(bounds[1], box[4 * i + 1]! + offsets[3 * i]!);
    bounds[2] = Math.min(bounds[2], box[4 * i + 2]! + offsets[3 * i + 2]!);
    bounds[3] = Math.max(bounds[3], box[4 * i + 3]! + offsets[3 * i + 2]!);
  }
  return { offsets, grid, minY, bounds };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Builds the three.js scene and its one animation clip (all gaits play together). */
function buildScene(set: GaitSet, cfg: Required<GlbConfig>): { scene: Scene; clip: AnimationClip } {
  const { N, T, V, fps } = set;
  const { sphere, cylinder, plane } = getShapes();
  const names = jointNames(cfg.sides);
  const legend = labelColors(set.labelNames);
  const used = new Set(Array.from(set.labels, (l) => set.labelNames[l]!));
  const materials = new Map<string, { joint: MeshStandardMaterial; bone: MeshStandardMaterial }>();
  for (const label of set.labelNames) {
    if (!used.has(label)) continue;
    const joint = new MeshStandardMaterial({ color: new Color(legend[label]!), roughness: 0.55, metalness: 0 });
    joint.name = nodeName(`${label}_joint`);
    joint.userData = { label };
    const bone = new MeshStandardMaterial({ color: new Color(shade(legend[label]!, 0.3)), roughness: 0.6, metalness: 0 });
    bone.name = nodeName(`${label}_bone`);
    bone.userData = { label };
    materials.set(label, { joint, bone });
  }
  const lay = layout(set, cfg);
  const scene = new Scene();
  scene.name = 'gaitforge';
  const sceneExtras: GlbSceneExtras = {
    legend: Object.fromEntries(set.labelNames.filter((l) => used.has(l)).map((l) => [l, legend[l]!])),
    fps, frames: T, skeleton: set.skeleton, joints: names, bones: EDGES.map(([a, b]) => [a, b]), gaits: N, grid: lay.grid,
    ground: cfg.ground ? Math.fround(lay.minY - cfg.jointRadius) : null,
  };
  scene.userData = { gaitforge: sceneExtras };
  if (cfg.ground) {
    const groundMat = new MeshStandardMaterial({ color: new Color('#d9d9d9'), roughness: 1, metalness: 0 });
    groundMat.name = 'ground';
    const g = new Mesh(plane, groundMat);
    g.name = 'ground';
    const m = 0.5;
    g.position.set((lay.bounds[0] + lay.bounds[1]) / 2, sceneExtras.ground!, (lay.bounds[2] + lay.bounds[3]) / 2);
    g.scale.set(lay.bounds[1] - lay.bounds[0] + 2 * m, 1, lay.bounds[3] - lay.bounds[2] + 2 * m);
    scene.add(g);
  }
  const times = new Float32Array(T);
  for (let t = 0; t < T; t++) times[t] = t / fps;
  const tracks: KeyframeTrack[] = [];
  const up = new Vector3(0, 1, 0);
  const dir = new Vector3();
  const prevDir = new Vector3();
  const step = new Quaternion();
  const q = new Quaternion();
  for (let i = 0; i < N; i++) {
    const g = set.gait(i);
    const label = set.labelOf(i);
    const mat = materials.get(label)!;
    const group = new Group();
    group.name = `gait_${i}`;
    const off: [number, number, number] = [lay.offsets[3 * i]!, lay.offsets[3 * i + 1]!, lay.offsets[3 * i + 2]!];
    group.position.set(...off);
    const extras: GlbGaitExtras = {
      id: set.ids[i]!, label, color: legend[label]!, source: set.source[i]!, generator: set.generator[i]!,
      seed: set.seed[i]!, identity: set.identity[i]!, frames: set.frames[i]!, offset: off,
    };
    group.userData = extras;
    scene.add(group);
    for (let j = 0; j < V; j++) {
      const m = new Mesh(sphere, mat.joint);
      m.name = nodeName(`gait_${i}_j${j}_${names[j]}`);
      const r = j === JOINTS.head ? cfg.headRadius : cfg.jointRadius;
      m.scale.set(r, r, r);
      m.position.set(g[3 * j]!, g[3 * j + 1]!, g[3 * j + 2]!);
      group.add(m);
      const values = new Float32Array(T * 3);
      for (let t = 0; t < T; t++) {
        const o = (t * V + j) * 3;
        values[3 * t] = g[o]!;
        values[3 * t + 1] = g[o + 1]!;
        values[3 * t + 2] = g[o + 2]!;
      }
      tracks.push(new VectorKeyframeTrack(`${m.uuid}.position`, times, values));
    }
    for (const [a, b] of EDGES) {
      const m = new Mesh(cylinder, mat.bone);
      m.name = nodeName(`gait_${i}_b${a}_${b}`);
      group.add(m);
      const pos = new Float32Array(T * 3);
      const rot = new Float32Array(T * 4);
      const scl = new Float32Array(T * 3);
      for (let t = 0; t < T; t++) {
        const oa = (t * V + a) * 3;
        const ob = (t * V + b) * 3;
        dir.set(g[ob]! - g[oa]!, g[ob + 1]! - g[oa + 1]!, g[ob + 2]! - g[oa + 2]!);
        const len = dir.length();
        if (len > 1e-9) dir.divideScalar(len);
        if (t === 0 || len <= 1e-9 || prevDir.lengthSq() === 0) {
          // First frame: the shortest rotation from +Y; later frames turn the previous
          // orientation by the shortest rotation between consecutive directions, so the
          // cylinder does not spin about its axis between keys.
          q.identity();
          if (len > 1e-9) q.setFromUnitVectors(up, dir);
        } else {
          step.setFromUnitVectors(prevDir, dir);
          q.premultiply(step).normalize();
        }
        if (len > 1e-9) prevDir.copy(dir);
        else prevDir.set(0, 0, 0);
        pos[3 * t] = g[oa]!;
        pos[3 * t + 1] = g[oa + 1]!;
        pos[3 * t + 2] = g[oa + 2]!;
        rot[4 * t] = q.x;
        rot[4 * t + 1] = q.y;
        rot[4 * t + 2] = q.z;
        rot[4 * t + 3] = q.w;
        scl[3 * t] = cfg.boneRadius;
        scl[3 * t + 1] = len;
        scl[3 * t + 2] = cfg.boneRadius;
      }
      m.position.set(pos[0]!, pos[1]!, pos[2]!);
      m.quaternion.set(rot[0]!, rot[1]!, rot[2]!, rot[3]!);
      m.scale.set(scl[0]!, scl[1]!, scl[2]!);
      tracks.push(
        new VectorKeyframeTrack(`${m.uuid}.position`, times, pos),
        new QuaternionKeyframeTrack(`${m.uuid}.quaternion`, times, rot),
        new VectorKeyframeTrack(`${m.uuid}.scale`, times, scl),
      );
    }
  }
  const clip = new AnimationClip(N === 1 ? set.ids[0]! : 'gaits', (T - 1) / fps, tracks);
  clip.userData = { fps, frames: T };
  return { scene, clip };
}

/**
 * Node has no FileReader, which three's GLTFExporter uses to turn its Blob
 * into bytes; this is the smallest stand-in doing the same over Blob's own
 * promise API. Installed only where FileReader is missing.
 */
class BlobReader {
  result: ArrayBuffer | string | null = null;
  onloadend: (() => void) | null = null;
  readAsArrayBuffer(blob: Blob): void {
    void blob.arrayBuffer().then((b) => {
      this.result = b;
      this.onloadend?.();
    });
  }
  readAsDataURL(blob: Blob): void {
    void blob.arrayBuffer().then((b) => {
      this.result = `data:${blob.type || 'application/octet-stream'};base64,${Buffer.from(b).toString('base64')}`;
      this.onloadend?.();
    });
  }
}

/**
 * GLTFExporter finds each track's node with PropertyBinding.findNode, a
 * depth-first search of the scene: quadratic for large grids. Our tracks name
 * their node by uuid, so a uuid → node map per exported scene answers at
 * once; anything else falls back to three's search (same result: uuids are
 * unique). This wrapper and the FileReader stand-in are process-wide, so they
 * are held only while an export runs (exports may overlap) and then removed.
 */
const uuidIndex = new WeakMap<object, Map<string, Object3D>>();
const holdExportShims = sharedEffect(() => {
  const original = PropertyBinding.findNode;
  PropertyBinding.findNode = (root: Object3D, nodeName: string | number) =>
    (typeof nodeName === 'string' ? uuidIndex.get(root)?.get(nodeName) : undefined) ?? original.call(PropertyBinding, root, nodeName as string);
  const g = globalThis as { FileReader?: unknown };
  const hadReader = typeof g.FileReader !== 'undefined';
  if (!hadReader) g.FileReader = BlobReader;
  return () => {
    PropertyBinding.findNode = original;
    if (!hadReader) delete g.FileReader;
  };
});

function indexNodes(scene: Scene): () => void {
  const map = new Map<string, Object3D>();
  scene.traverse((o) => map.set(o.uuid, o));
  uuidIndex.set(scene, map);
  return () => uuidIndex.delete(scene);
}

async function exportGlb(scene: Scene, clip: AnimationClip): Promise<Uint8Array> {
  const releaseShims = holdExportShims();
  const release = indexNodes(scene);
  try {
    const result = await new GLTFExporter().parseAsync(scene, { binary: true, trs: true, animations: [clip] });
    if (!(result instanceof ArrayBuffer)) throw new GaitforgeError('E_FORMAT', 'GLTFExporter returned JSON instead of a binary GLB');
    return new Uint8Array(result);
  } finally {
    release();
    releaseShims();
  }
}

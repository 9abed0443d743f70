import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnimationMixer, Color, LoopOnce, Mesh, Vector3, type AnimationClip, type MeshStandardMaterial, type Object3D } from 'three';
import { GLTFLoader, type GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { describe, expect, it } from 'vitest';
import { EDGES } from '../../src/core/skeleton.js';
import { GaitforgeError } from '../../src/core/errors.js';
import {
  gaitSetToGlb, gaitToGlb, labelColors, selectGaits, uniqueFileNames, validateGlb, writeGlb, type GlbGaitExtras, type GlbSceneExtras,
} from '../../src/render/index.js';
import { mixedSet, withNaN } from './fixtures.js';

async function load(bytes: Uint8Array): Promise<GLTF> {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return new GLTFLoader().parseAsync(buf, '');
}

/**
 * A mixer playing `clip` once (LoopRepeat would wrap t = duration back to frame 0);
 * `at(t)` poses the scene at time t.
 */
function player(root: Object3D, clip: AnimationClip): (t: number) => void {
  const mixer = new AnimationMixer(root);
  const action = mixer.clipAction(clip);
  action.setLoop(LoopOnce, 1);
  action.clampWhenFinished = true;
  action.play();
  return (t) => {
    action.paused = false;
    mixer.setTime(t);
    root.updateMatrixWorld(true);
  };
}

/** Max |sampled joint position − expected| over every gait, joint and the given times. */
function maxJointError(gltf: GLTF, expected: (gait: number, time: number) => Float64Array, gaits: number, times: number[]): number {
  const at = player(gltf.scene, gltf.animations[0]!);
  let err = 0;
  const w = new Vector3();
  for (const t of times) {
    at(t);
    for (let i = 0; i < gaits; i++) {
      const group = gltf.scene.getObjectByName(`gait_${i}`)!;
      const off = (group.userData as GlbGaitExtras).offset;
      const e = expected(i, t);
      for (let j = 0; j < 16; j++) {
        const node = group.children.find((c) => c.name.startsWith(`gait_${i}_j${j}_`))!;
        node.getWorldPosition(w);
        err = Math.max(err, Math.abs(w.x - off[0] - e[3 * j]!), Math.abs(w.y - off[1] - e[3 * j + 1]!), Math.abs(w.z - off[2] - e[3 * j + 2]!));
      }
    }
  }
  return err;
}

describe('GLB export', () => {
  const set = mixedSet(40);

  it('passes the Khronos glTF validator with no errors, warnings, infos or hints (one gait and a grid)', async () => {
    for (const bytes of [await gaitToGlb(set, 5), await gaitSetToGlb(set), await gaitSetToGlb(set, { ground: false, columns: 3 })]) {
      const v = await validateGlb(bytes);
      expect(v.messages.filter((m) => m.severity <= 1)).toEqual([]);
      expect([v.errors, v.warnings, v.infos, v.hints]).toEqual([0, 0, 0, 0]);
    }
  });

  it('the validator does catch a broken file (the check can fail)', async () => {
    const bytes = (await gaitToGlb(set, 0)).slice();
    new DataView(bytes.buffer).setUint32(8, bytes.byteLength + 64, true); // header length disagrees with the file
    const v = await validateGlb(bytes);
    expect(v.errors).toBeGreaterThan(0);
  });

  it('reloaded with GLTFLoader and played with AnimationMixer, joints match the data within 1e-5 m at keys and between them', async () => {
    const gltf = await load(await gaitSetToGlb(set));
    expect(gltf.animations).toHaveLength(1);
    const clip = gltf.animations[0]!;
    expect(clip.duration).toBeCloseTo((set.T - 1) / set.fps, 5);
    const at = (i: number, time: number) => {
      const f = time * set.fps;
      const t0 = Math.min(set.T - 1, Math.floor(f + 1e-9));
      const t1 = Math.min(set.T - 1, t0 + 1);
      const a = f - t0;
      const g = set.gait(i);
      const out = new Float64Array(48);
      for (let k = 0; k < 48; k++) out[k] = (1 - a) * g[t0 * 48 + k]! + a * g[t1 * 48 + k]!;
      return out;
    };
    const keys = Array.from({ length: set.T }, (_, t) => t / set.fps);
    const mids = Array.from({ length: set.T - 1 }, (_, t) => (t + 0.37) / set.fps);
    expect(maxJointError(gltf, at, set.N, keys)).toBeLessThan(1e-5);
    expect(maxJointError(gltf, at, set.N, mids)).toBeLessThan(1e-5);
    // A wrong expectation (the next frame) is far off: the comparison has teeth.
    expect(maxJointError(gltf, (i, t) => at(i, Math.min(t + 1 / set.fps, clip.duration)), set.N, keys.slice(0, -1))).toBeGreaterThan(1e-3);
  });

  it('a single-gait file keeps the data coordinates (offset 0) and its bones span their joints', async () => {
    const gltf = await load(await gaitToGlb(set, 2));
    const group = gltf.scene.getObjectByName('gait_0')!;
    expect((group.userData as GlbGaitExtras).offset).toEqual([0, 0, 0]);
    const at = player(gltf.scene, gltf.animations[0]!);
    const g = set.gait(2);
    let err = 0;
    const end = new Vector3();
    for (const t of [0, 7, 23, set.T - 1, 3]) {
      at(t / set.fps);
      for (const [a, b] of EDGES) {
        const bone = group.children.find((c) => c.name === `gait_0_b${a}_${b}`)!;
        for (const [y, j] of [[0, a], [1, b]] as const) {
          end.set(0, y, 0).applyMatrix4(bone.matrixWorld);
          const o = (t * 16 + j) * 3;
          err = Math.max(err, Math.abs(end.x - g[o]!), Math.abs(end.y - g[o + 1]!), Math.abs(end.z - g[o + 2]!));
        }
      }
    }
    expect(err).toBeLessThan(1e-4);
  });

  it('stores the legend, gait metadata and label colours in extras and materials', async () => {
    const gltf = await load(await gaitSetToGlb(set));
    const extras = gltf.scene.userData.gaitforge as GlbSceneExtras;
    const legend = labelColors(set.labelNames);
    expect(extras.legend).toEqual(legend);
    expect(extras.fps).toBe(set.fps);
    expect(extras.frames).toBe(set.T);
    expect(extras.gaits).toBe(set.N);
    expect(extras.joints).toHaveLength(16);
    expect(extras.bones).toEqual(EDGES.map(([a, b]) => [a, b]));
    expect(new Set(Object.values(legend)).size).toBe(set.labelNames.length);
    for (let i = 0; i < set.N; i++) {
      const group = gltf.scene.getObjectByName(`gait_${i}`)!;
      const ex = group.userData as GlbGaitExtras;
      expect(ex).toMatchObject({
        id: set.ids[i], label: set.labelOf(i), source: set.source[i], generator: set.generator[i], seed: set.seed[i], identity: set.identity[i],
      });
      const joint = group.children.find((c) => c.name === `gait_${i}_j0_root`) as Mesh;
      const color = (joint.material as MeshStandardMaterial).color;
      const want = new Color(legend[set.labelOf(i)]!);
      expect(Math.abs(color.r - want.r) + Math.abs(color.g - want.g) + Math.abs(color.b - want.b)).toBeLessThan(1e-3);
    }
    expect(set.source).toContain('synthetic');
    expect(gltf.scene.getObjectByName('ground')).toBeDefined();
    const noGround = await load(await gaitSetToGlb(set, { ground: false }));
    expect(noGround.scene.getObjectByName('ground')).toBeUndefined();
    // Grid cells do not overlap: every gait's horizontal extent stays inside its own cell.
    const cells: [number, number][] = [];
    gltf.scene.traverse((o: Object3D) => {
      if (/^gait_\d+$/.test(o.name)) cells.push([o.position.x, o.position.z]);
    });
    expect(new Set(cells.map((c) => c.join(','))).size).toBe(set.N);
  });

  it('writes one file per gait or one grid scene, and nothing at all on bad input', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gf-glb-'));
    const files = await writeGlb(path.join(dir, 'each'), set.slice(0, 3));
    expect(files.map((f) => path.basename(f))).toEqual(set.ids.slice(0, 3).map((id) => `${id}.glb`));
    const grid = await writeGlb(path.join(dir, 'grid.glb'), set, { grid: true });
    expect(grid).toEqual([path.join(dir, 'grid.glb')]);
    const bad = withNaN(set, 4, 10, 7);
    await expect(writeGlb(path.join(dir, 'bad'), bad)).rejects.toThrow(/gait 4 \(id01-angry-0\), frame 10, joint 7/);
    await expect(writeGlb(path.join(dir, 'bad.glb'), bad, { grid: true })).rejects.toMatchObject({ code: 'E_VALUE' });
    await expect(writeGlb(path.join(dir, 'many.glb'), set)).rejects.toMatchObject({ code: 'E_OPTION' });
    expect(readdirSync(dir).sort()).toEqual(['each', 'grid.glb']);
    expect(existsSync(path.join(dir, 'bad'))).toBe(false);
  });
});

describe('selectGaits', () => {
  const set = mixedSet(10);
  it('picks by ids (in order), label, source and limit', () => {
    expect(selectGaits(set, { ids: ['id01-sad-0', 'id00-happy-0'] }).ids).toEqual(['id01-sad-0', 'id00-happy-0']);
    expect(selectGaits(set, { label: 'sad' }).ids).toEqual(['id00-sad-0', 'id01-sad-0']);
    expect(selectGaits(set, { source: 'synthetic', limit: 2 }).ids).toEqual(['id01-angry-0', 'id01-neutral-0']);
  });
  it('names every missing id, unknown labels and empty selections in one clear error', () => {
    const e = (() => {
      try {
        selectGaits(set, { ids: ['id00-sad-0', 'nope', 'gone'] }, 'gaits.parquet');
      } catch (x) {
        return x as GaitforgeError;
      }
    })();
    expect(e).toBeInstanceOf(GaitforgeError);
    expect(e!.code).toBe('E_OPTION');
    expect(e!.message).toMatch(/gait ids "nope", "gone" not in gaits\.parquet/);
    expect(() => selectGaits(set, { label: 'bored' })).toThrow(/unknown label "bored"/);
    expect(() => selectGaits(set.select([0]), { source: 'synthetic' })).toThrow(/no gaits in the data with source synthetic/);
    expect(() => selectGaits(withNaN(set, 1, 2, 3), {})).toThrow(/gait 1 \(id00-neutral-0\), frame 2, joint 3/);
  });
});

describe('uniqueFileNames', () => {
  it('makes safe, distinct file names from arbitrary ids', () => {
    expect(uniqueFileNames(['a/b', 'a_b', 'A_B', '..x', 'ok-1.2', ''])).toEqual(['a_b', 'a_b_1', 'A_B_2', '_x', 'ok-1.2', '_']);
  });
});

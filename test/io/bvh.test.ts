import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { EGAIT_ANATOMICAL_JOINTS, importBvh, parseBvh, readJointMapping, resolveJointMapping } from '../../src/io/index.js';
import { tempDir } from './helpers.js';

// walker.bvh (hand-written, cm): Hips at height 90 with 6 channels (ZXY rotations); Spine1 +20, Neck +30,
// Head +10 (end site +15); arms hang from the neck at x = ±15 (elbow −25, hand −25, end site −8); legs from
// the hips at x = ±10 (knee −40, foot −40, end site +10 in z). LeftUpLeg has 6 channels; the right leg uses
// the rotation order X Y Z. Frames: 0 rest; 1 hips moved to (10, 90, 5) and turned 90° about Y;
// 2 LeftUpLeg moved by (0, 2, 3) and bent 90° about X, LeftLeg bent 90° about X;
// 3 RightUpLeg rotated X = 90°, Y = 90° (order X then Y).
const fixture = fileURLToPath(new URL('../fixtures/walker.bvh', import.meta.url));
const text = readFileSync(fixture, 'utf8');
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const at = (n: string) => path.join(tmp.dir, n);

async function failure(p: Promise<unknown> | (() => unknown)): Promise<GaitforgeError> {
  const e = typeof p === 'function' ? (() => { try { p(); return null; } catch (x) { return x; } })() : await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(GaitforgeError);
  return e as GaitforgeError;
}

describe('BVH import', () => {
  const clip = parseBvh(text, 'walker.bvh');
  const pos = (f: number, name: string) => {
    const j = clip.names.indexOf(name);
    expect(j).toBeGreaterThanOrEqual(0);
    return Array.from(clip.positions.subarray((f * clip.names.length + j) * 3, (f * clip.names.length + j) * 3 + 3)).map((v) => Math.round(v * 1e4) / 1e4 + 0);
  };

  it('forward kinematics matches positions worked out by hand', () => {
    expect(clip.frames).toBe(4);
    expect(clip.names).toHaveLength(21);
    expect(clip.names.filter((n) => n.endsWith('#end'))).toEqual(['Head#end', 'LeftHand#end', 'RightHand#end', 'LeftFoot#end', 'RightFoot#end']);
    // frame 0: offsets add up
    expect(pos(0, 'Head#end')).toEqual([0, 165, 0]);
    expect(pos(0, 'LeftHand#end')).toEqual([15, 82, 0]);
    expect(pos(0, 'RightFoot#end')).toEqual([-10, 10, 10]);
    // frame 1: Ry(90°) maps (x, y, z) → (z, y, −x) about the hips at (10, 90, 5)
    expect(pos(1, 'Hips')).toEqual([10, 90, 5]);
    expect(pos(1, 'LeftArm')).toEqual([10, 140, -10]); // offset (15, 50, 0) → (0, 50, −15)
    expect(pos(1, 'RightArm')).toEqual([10, 140, 20]);
    expect(pos(1, 'LeftFoot#end')).toEqual([20, 10, -5]); // (10, −80, 10) → (10, −80, −10)
    // frame 2: 6-channel joint at OFFSET + (0, 2, 3); Rx(90°) maps (x, y, z) → (x, −z, y)
    expect(pos(2, 'LeftUpLeg')).toEqual([10, 92, 3]);
    expect(pos(2, 'LeftLeg')).toEqual([10, 92, -37]); // (0, −40, 0) → (0, 0, −40)
    expect(pos(2, 'LeftFoot')).toEqual([10, 132, -37]); // two 90° bends: (0, −40, 0) → (0, 40, 0)
    expect(pos(2, 'LeftFoot#end')).toEqual([10, 132, -47]);
    // frame 3: R = Rx(90°)·Ry(90°): (0, −40, 0) → (0, 0, −40); end site (0, 0, 10) → Ry: (10, 0, 0) → Rx: (10, 0, 0)
    expect(pos(3, 'RightLeg')).toEqual([-10, 90, -40]);
    expect(pos(3, 'RightFoot')).toEqual([-10, 90, -80]);
    expect(pos(3, 'RightFoot#end')).toEqual([0, 90, -80]);
  });

  it('maps the 16 E-Gait joints (CMU names), converts cm to metres, and follows the side convention', async () => {
    const s = await importBvh([fixture], { label: 'happy', frames: 4, mapping: 'cmu' });
    expect([s.N, s.T, s.V, s.fps, s.ids[0], s.labelOf(0)]).toEqual([1, 4, 16, 30, 'walker.bvh#0', 'happy']);
    const j = (f: number, k: number) => Array.from(s.gait(0).subarray((f * 16 + k) * 3, (f * 16 + k) * 3 + 3)).map((v) => Math.round(v * 1e4) / 1e4 + 0);
    expect(j(2, 12)).toEqual([0.1, 1.32, -0.37]); // left foot (a-is-left: joints 10-12 are the left leg)
    expect(j(3, 14)).toEqual([-0.1, 0.9, -0.4]); // right knee
    expect(j(1, 4)).toEqual([0.1, 1.4, -0.1]); // left shoulder = LeftArm
    expect(j(0, 3)).toEqual([0, 1.5, 0]); // head = the Head joint
    const r = await importBvh([fixture], { label: 'happy', frames: 4, sides: 'a-is-right' });
    expect(Array.from(r.gait(0).subarray((2 * 16 + 15) * 3, (2 * 16 + 15) * 3 + 3))).toEqual(Array.from(s.gait(0).subarray((2 * 16 + 12) * 3, (2 * 16 + 12) * 3 + 3)));
  });

  it('built-in presets for Mixamo and side-suffix names, a JSON mapping file, and end sites', async () => {
    const base = resolveJointMapping(clip.names, 'cmu', 'walker.bvh');
    const mixamo = parseBvh(text.replace(/(ROOT|JOINT) (\w+)/g, '$1 mixamorig:$2'), 'mixamo.bvh');
    expect(resolveJointMapping(mixamo.names, 'auto', 'mixamo.bvh')).toEqual(base);
    const rename: Record<string, string> = {
      LeftArm: 'UpperArm_L', LeftForeArm: 'LowerArm_L', LeftHand: 'Hand_L', RightArm: 'UpperArm_R', RightForeArm: 'LowerArm_R', RightHand: 'Hand_R',
      LeftUpLeg: 'UpperLeg_L', LeftLeg: 'LowerLeg_L', LeftFoot: 'Foot_L', RightUpLeg: 'UpperLeg_R', RightLeg: 'LowerLeg_R', RightFoot: 'Foot_R', Spine1: 'Spine',
    };
    const suffix = parseBvh(text.replace(/(ROOT|JOINT) (\w+)/g, (_m, k: string, n: string) => `${k} ${rename[n] ?? n}`), 'suffix.bvh');
    expect(resolveJointMapping(suffix.names, 'auto', 'suffix.bvh')).toEqual(base);
    // a mapping file can point at an end site (head top instead of the head joint)
    const m: Record<string, string> = Object.fromEntries(EGAIT_ANATOMICAL_JOINTS.map((n, i) => [n, clip.names[base[i]!]!]));
    m.head = 'Head#end';
    writeFileSync(at('map.json'), JSON.stringify(m));
    const idx = resolveJointMapping(clip.names, await readJointMapping(at('map.json')), 'walker.bvh');
    expect(clip.names[idx[3]!]).toBe('Head#end');
  });

  it('resamples to the target fps and cuts windows with a stride; Z-up files are turned to Y-up', async () => {
    const frame0 = text.split('\n').findIndex((l) => l.startsWith('Frame Time'));
    const head = text.split('\n').slice(0, frame0 - 1).join('\n');
    const rest = text.split('\n')[frame0 + 1]!.trim().split(/\s+/);
    // 20 frames at 60 fps; the root moves 1 cm in x per frame
    const lines = Array.from({ length: 20 }, (_, f) => [String(f), ...rest.slice(1)].join(' '));
    writeFileSync(at('long_sad_07.bvh'), `${head}\nFrames: 20\nFrame Time: 0.0166667\n${lines.join('\n')}\n`);
    const s = await importBvh([at('long_sad_07.bvh')], { labelPattern: '_(sad|happy)_', identityPattern: '_(\\d+)\\.bvh$', frames: 4, stride: 3, fps: 30 });
    expect(s.ids).toEqual(['long_sad_07.bvh#0', 'long_sad_07.bvh#3', 'long_sad_07.bvh#6']);
    expect(s.identity).toEqual(['07', '07', '07']);
    expect(s.labelOf(2)).toBe('sad');
    // window starting at 30-fps frame 3, its frame 1 = 30-fps frame 4 = 60-fps frame 8 → root x = 8 cm
    expect(s.gait(1)[1 * 16 * 3]).toBeCloseTo(0.08, 5);
    // too short for 12 frames at 30 fps (10 frames): tiled, with the original length recorded
    const t = await importBvh([at('long_sad_07.bvh')], { label: 'sad', frames: 12 });
    expect([t.N, t.frames[0]]).toEqual([1, 10]);
    expect(t.gait(0)[10 * 16 * 3]).toBeCloseTo(t.gait(0)[0]!, 6);
    const z = await importBvh([fixture], { label: 'sad', frames: 4, upAxis: 'z', units: 'm' });
    expect(Array.from(z.gait(0).subarray(3 * 3, 3 * 3 + 3))).toEqual([0, 0, -150]); // head (0, 150, 0) → (0, 0, −150)
    // labels (and identities) from a sidecar JSON
    writeFileSync(at('labels.json'), JSON.stringify({ 'walker.bvh': { label: 'angry', identity: 'subject-1' } }));
    const sc = await importBvh([fixture], { sidecar: at('labels.json'), frames: 4 });
    expect([sc.labelOf(0), sc.identity[0]]).toEqual(['angry', 'subject-1']);
  });

  it('takes the label names from the labels found: STEP emotions first, then sorted, whatever the file order', async () => {
    for (const n of ['s1_normal.bvh', 's2_elderly.bvh', 's3_happy.bvh', 's4_normal.bvh']) writeFileSync(at(n), text);
    const files = ['s1_normal.bvh', 's2_elderly.bvh', 's3_happy.bvh', 's4_normal.bvh'].map(at);
    const a = await importBvh(files, { labelPattern: '_([a-z]+)\\.bvh$', frames: 4 });
    expect(a.labelNames).toEqual(['happy', 'elderly', 'normal']);
    expect(a.ids.map((_, i) => a.labelOf(i))).toEqual(['normal', 'elderly', 'happy', 'normal']);
    const b = await importBvh([...files].reverse(), { labelPattern: '_([a-z]+)\\.bvh$', frames: 4 });
    expect(b.labelNames).toEqual(a.labelNames);
    // given names fix order and set
    const c = await importBvh(files, { labelPattern: '_([a-z]+)\\.bvh$', frames: 4, labelNames: ['normal', 'elderly', 'happy', 'sad'] });
    expect([c.labelNames, Array.from(c.labels)]).toEqual([['normal', 'elderly', 'happy', 'sad'], [0, 1, 2, 0]]);
  });

  it('bad input: a joint missing from the mapping, truncated files, NaN, unknown labels — one clear error each', async () => {
    writeFileSync(at('nofoot.bvh'), text.replace('JOINT RightFoot', 'JOINT RightToe'));
    let e = await failure(importBvh([at('nofoot.bvh')], { label: 'sad', frames: 4, mapping: 'cmu' }));
    expect(e.code).toBe('E_FORMAT');
    expect(e.message).toMatch(new RegExp(`^${at('nofoot.bvh')}: joint right_foot \\(tried RightFoot\\) is missing from the file; joints in the file: Hips, Spine1`));
    e = await failure(importBvh([at('nofoot.bvh')], { label: 'sad', frames: 4 }));
    expect(e.message).toMatch(/no built-in joint mapping fits \(cmu: no right_foot \(tried RightFoot\); mixamo: no right_foot/);

    const lines = text.trimEnd().split('\n');
    writeFileSync(at('cut.bvh'), lines.slice(0, -2).join('\n'));
    e = await failure(importBvh([at('cut.bvh')], { label: 'sad', frames: 4 }));
    expect([e.code, e.message]).toEqual(['E_FORMAT', `${at('cut.bvh')}: MOTION declares 4 frames but holds 2 (truncated file?)`]);
    writeFileSync(at('half.bvh'), text.slice(0, text.indexOf('JOINT LeftUpLeg')));
    e = await failure(importBvh([at('half.bvh')], { label: 'sad', frames: 4 }));
    expect(e.message).toBe(`${at('half.bvh')}: no MOTION section (truncated file?)`);

    const nan = [...lines];
    nan[nan.length - 1] = nan[nan.length - 1]!.replace(/^0 90 0  0 0 0/, '0 90 0  0 nan 0');
    writeFileSync(at('nan.bvh'), nan.join('\n'));
    e = await failure(importBvh([at('nan.bvh')], { label: 'sad', frames: 4 }));
    expect([e.code, e.message]).toEqual(['E_VALUE', `${at('nan.bvh')}: frame 3, joint Hips: value "nan" is not a finite number`]);

    e = await failure(() => parseBvh(text.replace('CHANNELS 3 Xrotation Yrotation Zrotation', 'CHANNELS 3 Xrotation Yrotation'), 'bad.bvh'));
    expect(e.message).toMatch(/^bad\.bvh: line \d+: CHANNELS 3 lists 2 channels$/);
    e = await failure(importBvh([fixture], { label: 'bored', frames: 4, labelNames: ['angry', 'neutral', 'happy', 'sad'] }));
    expect([e.code, e.message]).toEqual(['E_LABEL', `${fixture}: label "bored" is not one of the label names given (angry, neutral, happy, sad); add it to them, or leave them out to take the labels found in the files`]);
    e = await failure(importBvh([fixture], { frames: 4 }));
    expect(e.code).toBe('E_OPTION');
    e = await failure(importBvh([fixture], { frames: 4, labelPattern: '(' }));
    expect([e.code, e.message.split(':')[0]]).toEqual(['E_OPTION', 'labelPattern "(" is not a regular expression']);
  });
});

import { describe, expect, it } from 'vitest';
import { GaitSet, GaitforgeError } from '../src/index.js';
import { Rng } from '../src/core/index.js';

function tiny(N = 12, T = 4, labels?: number[]) {
  const positions = new Float32Array(N * T * 16 * 3).map((_, i) => i * 0.001);
  return new GaitSet({
    positions, T, labels: labels ?? Array.from({ length: N }, (_, i) => i % 3), labelNames: ['a', 'b', 'c'],
    identity: Array.from({ length: N }, (_, i) => `p${i % 4}`), ids: Array.from({ length: N }, (_, i) => `x${i}`),
  });
}

describe('GaitSet validation', () => {
  it('rejects a positions length that is not a multiple of T·V·3', () => {
    expect(() => new GaitSet({ positions: new Float32Array(100), T: 4, labels: [], labelNames: ['a'] })).toThrow(/not a multiple of T·V·3/);
  });
  it('rejects columns of the wrong length', () => {
    expect(() => new GaitSet({ positions: new Float32Array(2 * 4 * 48), T: 4, labels: [0], labelNames: ['a'] })).toThrow(/column labels has 1 entries but positions hold 2 gaits/);
  });
  it('names the gait, frame and joint of a NaN', () => {
    const p = new Float32Array(3 * 4 * 48);
    p[2 * 4 * 48 + 1 * 48 + 5 * 3 + 1] = NaN;
    try {
      new GaitSet({ positions: p, T: 4, labels: [0, 0, 0], labelNames: ['a'], ids: ['u', 'v', 'w'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaitforgeError);
      expect((e as GaitforgeError).code).toBe('E_VALUE');
      expect((e as Error).message).toBe('gait 2 (w), frame 1, joint 5: value NaN is not finite');
    }
  });
  it('rejects Inf and unknown label ids and names', () => {
    const p = new Float32Array(4 * 48);
    p[7] = Infinity;
    expect(() => new GaitSet({ positions: p, T: 4, labels: [0], labelNames: ['a'] })).toThrow(/frame 0, joint 2: value Infinity/);
    expect(() => new GaitSet({ positions: new Float32Array(4 * 48), T: 4, labels: [3], labelNames: ['a', 'b'] })).toThrow(/label id 3 is not one of 0..1/);
    expect(() => tiny().labelId('zzz')).toThrow(/unknown label "zzz"/);
  });
});

describe('GaitSet operations', () => {
  it('selects, slices and concatenates', () => {
    const s = tiny();
    const sel = s.select([3, 1]);
    expect(sel.ids).toEqual(['x3', 'x1']);
    expect(Array.from(sel.gait(1))).toEqual(Array.from(s.gait(1)));
    const sl = s.slice(2, 5);
    expect(sl.N).toBe(3);
    expect(sl.gait(0)[0]).toBe(s.gait(2)[0]);
    const other = new GaitSet({ positions: new Float32Array(4 * 48).fill(1), T: 4, labels: [1], labelNames: ['z', 'b'] });
    const c = GaitSet.concat([s, other]);
    expect(c.N).toBe(13);
    expect(c.labelNames).toEqual(['a', 'b', 'c', 'z']);
    expect(c.labelOf(12)).toBe('b');
    expect(() => GaitSet.concat([s, tiny(3, 5)])).toThrow(/cannot concatenate/);
  });
  it('shuffles reproducibly from the seed', () => {
    const s = tiny();
    expect(s.shuffle(7).ids).toEqual(s.shuffle(7).ids);
    expect(s.shuffle(7).ids).not.toEqual(s.shuffle(8).ids);
    expect([...s.shuffle(7).ids].sort()).toEqual([...s.ids].sort());
  });
  it('splits stratified by label with the given fractions', () => {
    const s = tiny(30);
    const [a, b] = s.stratifiedSplit([0.8, 0.2], 3, { groupBy: 'gait' });
    expect(a!.N + b!.N).toBe(30);
    expect(b!.countsByLabel()).toEqual({ a: 2, b: 2, c: 2 });
    expect(new Set([...a!.ids, ...b!.ids]).size).toBe(30);
    expect(() => s.stratifiedSplit([0.5, 0.6], 1)).toThrow(/sum to 1.1/);
  });
  it('groups by identity by default, else by recording, else gait by gait', () => {
    const s = tiny(40);
    expect(s.grouping()).toBe('identity');
    const [a, b] = s.stratifiedSplit([0.5, 0.5], 2);
    expect(a!.identity.filter((x) => b!.identity.includes(x))).toEqual([]);
    // no identities, recordings of 4 windows each (labels as in tiny: i % 3, so recordings mix labels)
    const takes = new GaitSet({ ...s, identity: s.identity.map(() => null), recording: s.ids.map((_, i) => `take${Math.floor(i / 4)}`) }, { validateValues: false });
    expect(takes.grouping()).toBe('recording');
    for (const seed of [1, 2, 3]) {
      const [c, d] = takes.stratifiedSplit([0.7, 0.3], seed);
      expect(c!.N).toBeGreaterThan(0);
      expect(d!.N).toBeGreaterThan(0);
      expect(c!.recording.filter((x) => d!.recording.includes(x))).toEqual([]);
    }
    // one recording known, the rest not: the unknown ones are gaits of their own
    const partly = new GaitSet({ ...takes, recording: takes.recording.map((r, i) => (i < 4 ? r : null)) }, { validateValues: false });
    expect(partly.grouping()).toBe('recording');
    expect(new Set(partly.groupKeys()).size).toBe(1 + 36);
    const none = new GaitSet({ ...takes, recording: takes.recording.map(() => null) }, { validateValues: false });
    expect(none.grouping()).toBe('gait');
    expect(() => none.grouping('identity')).toThrow(/gait 0 \(x0\) has no identity/);
    expect(() => s.grouping('walker' as never)).toThrow(/not one of auto, identity, recording, identity-or-recording, gait/);
  });
  it('with identities on some gaits only, keeps a walker and its recordings together in one grouping', () => {
    const s = tiny(40);
    // walker w<k> walked recordings r<k>a (gaits 4k, 4k+1) and r<k>b (4k+2, 4k+3); the identity is known on the first gait of each recording only
    const mixed = new GaitSet({
      ...s,
      identity: s.ids.map((_, i) => (i % 2 === 0 && i < 32 ? `w${Math.floor(i / 4)}` : null)),
      recording: s.ids.map((_, i) => (i < 32 ? `r${Math.floor(i / 4)}${i % 4 < 2 ? 'a' : 'b'}` : null)),
    }, { validateValues: false });
    expect(mixed.grouping()).toBe('identity-or-recording');
    const keys = mixed.groupKeys();
    // 8 walkers of 4 gaits each, then 8 gaits with neither an identity nor a recording
    expect(new Set(keys).size).toBe(8 + 8);
    for (let k = 0; k < 8; k++) expect(new Set(keys.slice(4 * k, 4 * k + 4))).toEqual(new Set([`identity:w${k}`]));
    expect(keys.slice(32)).toEqual(mixed.ids.slice(32).map((id) => `gait:${id}`));
    for (const seed of [1, 2, 3]) {
      const [a, b] = mixed.splitIndices([0.5, 0.5], seed);
      const sideOf = new Map<string, number>();
      for (const [side, part] of [a!, b!].entries())
        for (const i of part) {
          expect(sideOf.get(keys[i]!) ?? side).toBe(side);
          sideOf.set(keys[i]!, side);
        }
    }
  });
  it('identity-disjoint splits never share an identity', () => {
    const s = tiny(40);
    const [a, b] = s.stratifiedSplit([0.5, 0.5], 1, { byIdentity: true });
    const ia = new Set(a!.identity);
    for (const id of b!.identity) expect(ia.has(id)).toBe(false);
    expect(a!.N + b!.N).toBe(40);
  });
});

describe('Rng', () => {
  it('derives independent reproducible streams and non-zero tf seeds', () => {
    const a = new Rng(5, 'x');
    const b = new Rng(5, 'x');
    const c = new Rng(5, 'y');
    const xs = [a.next(), a.next()];
    expect([b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    for (let i = 0; i < 1000; i++) {
      const s = a.tfSeed();
      expect(s).toBeGreaterThan(0);
      expect(Number.isInteger(s)).toBe(true);
    }
    const n = new Rng(1, 'n');
    const v = Array.from({ length: 20000 }, () => n.normal());
    const m = v.reduce((p, q) => p + q, 0) / v.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
  });
});

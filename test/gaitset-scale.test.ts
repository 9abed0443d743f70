/** Every GaitSet operation at 10^6 gaits (T = 1, V = 1 keeps the arrays small). */
import { describe, expect, it } from 'vitest';
import { GaitSet } from '../src/core/gaitset.js';

const N = 1_000_000;
/** Each operation at this size takes a second or more on a loaded machine: the worker answers Vitest's RPC in between. */
const tick = () => new Promise<void>((r) => setImmediate(r));
async function big(offset: number, n = N): Promise<GaitSet> {
  const positions = Float32Array.from({ length: n * 3 }, (_, i) => (i % 7) / 7);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  await tick();
  const ids = Array.from({ length: n }, (_, i) => `s${offset}-${i}`);
  await tick();
  const identity = Array.from({ length: n }, (_, i) => (offset === 1 ? (i < 2 ? `w${i}` : 'w2') : `w${i % 1000}`));
  await tick();
  return new GaitSet({ positions, labels, labelNames: ['angry', 'happy', 'neutral', 'sad'], ids, identity, T: 1, V: 1, skeleton: 'point' });
}

describe('GaitSet at 10^6 gaits', () => {
  it('concat, select, slice, shuffle, counts, splits and relabelling work', async () => {
    const a = await big(0);
    await tick();
    const b = await big(1, 200_000);
    await tick();
    const c = GaitSet.concat([a, b]);
    expect(c.N).toBe(N + 200_000);
    expect(c.ids[N]).toBe('s1-0');
    expect(c.identity[N + 1]).toBe('w1');
    expect(c.countsByLabel()).toEqual({ angry: 300_000, happy: 300_000, neutral: 300_000, sad: 300_000 });
    expect(c.indicesByLabel().map((x) => x.length)).toEqual([300_000, 300_000, 300_000, 300_000]);
    await tick();
    const sel = c.select(Int32Array.from({ length: N }, (_, i) => N + 200_000 - 1 - i));
    expect(sel.ids[0]).toBe('s1-199999');
    await tick();
    expect(c.slice(10, N + 10).N).toBe(N);
    await tick();
    expect(b.shuffle(3).N).toBe(b.N);
    await tick();
    const [tr, va] = a.stratifiedSplit([0.9, 0.1], 1);
    expect(tr!.N + va!.N).toBe(N);
    await tick();
    // one identity holding 200,000 gaits
    const [ti, vi] = b.stratifiedSplit([0.5, 0.5], 1, { byIdentity: true });
    expect(ti!.N + vi!.N).toBe(200_000);
    await tick();
    expect(a.withLabelNames(['sad', 'neutral', 'happy', 'angry']).labelOf(0)).toBe('angry');
    a.validateValues();
  }, 120_000);
});

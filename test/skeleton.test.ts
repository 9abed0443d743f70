import { describe, expect, it } from 'vitest';
import { EDGES, PARENTS, hopDistances, jointNames, normalizedAdjacency, spatialAdjacency, MIRROR_PERMUTATION } from '../src/core/skeleton.js';

const V = 16;
const at = (a: Float32Array, v: number, w: number) => a[v * V + w]!;
const nnz = (a: Float32Array) => a.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
const colSum = (a: Float32Array, w: number) => Array.from({ length: V }, (_, v) => at(a, v, w)).reduce((s, x) => s + x, 0);

describe('skeleton', () => {
  it('has 15 edges forming the parent tree', () => {
    expect(EDGES).toHaveLength(15);
    for (const [p, c] of EDGES) expect(PARENTS[c]).toBe(p);
    expect(PARENTS.filter((p) => p < 0)).toEqual([-1]);
  });

  it('names joints under both side conventions', () => {
    expect(jointNames('a-is-left')[4]).toBe('left_shoulder');
    expect(jointNames('a-is-right')[4]).toBe('right_shoulder');
    expect(jointNames('a-is-right')[13]).toBe('left_hip');
    // mirroring swaps A and B and is an involution
    expect(MIRROR_PERMUTATION.map((j) => MIRROR_PERMUTATION[j])).toEqual([...Array(16).keys()]);
  });

  it('computes hop distances', () => {
    const d = hopDistances(V, EDGES);
    expect(d[6]![12]).toBe(8); // hand, elbow, shoulder, neck, spine, root, hip, knee, foot
    expect(d[3]![0]).toBe(3);
  });
});

describe('spatial partition adjacency (K=3)', () => {
  const [self, toward, away] = spatialAdjacency();
  it('partition counts match hand counts: 16 self, 15 towards the root, 15 away', () => {
    expect(nnz(self!)).toBe(16);
    expect(nnz(toward!)).toBe(15);
    expect(nnz(away!)).toBe(15);
  });
  it('towards-root entries connect each joint to its parent, away entries to its children', () => {
    for (let w = 1; w < V; w++) expect(at(toward!, PARENTS[w]!, w)).toBe(1);
    expect(at(away!, 1, 0)).toBeCloseTo(1 / 3); // the root has 3 children: spine, hip A, hip B
    expect(at(away!, 4, 2)).toBeCloseTo(1 / 3); // the neck has head + 2 shoulders
    expect(at(away!, 5, 4)).toBe(1);
    expect(colSum(away!, 6)).toBe(0); // hands are leaves
  });
  it('every non-empty column of every partition sums to 1; self is the identity', () => {
    for (const a of [self!, toward!, away!])
      for (let w = 0; w < V; w++) {
        const s = colSum(a, w);
        if (s !== 0) expect(s).toBeCloseTo(1, 6);
      }
    for (let v = 0; v < V; v++) for (let w = 0; w < V; w++) expect(at(self!, v, w)).toBe(v === w ? 1 : 0);
  });
  it('the two directed partitions are transposes in pattern (an edge appears once each way)', () => {
    for (let v = 0; v < V; v++)
      for (let w = 0; w < V; w++) expect(at(toward!, v, w) !== 0).toBe(at(away!, w, v) !== 0);
  });
  it("the 'stgcn-code' option normalises the whole 1-hop graph before splitting", () => {
    const q = spatialAdjacency(V, EDGES, { normalization: 'stgcn-code' });
    for (let w = 0; w < V; w++) expect(q.reduce((s, a) => s + colSum(a, w), 0)).toBeCloseTo(1, 6);
    // root: self + 3 children → degree 4; neck: self + spine + head + 2 shoulders → 5; hand: self + elbow → 2
    expect(at(q[0]!, 0, 0)).toBeCloseTo(1 / 4);
    expect(at(q[2]!, 1, 0)).toBeCloseTo(1 / 4);
    expect(at(q[0]!, 2, 2)).toBeCloseTo(1 / 5);
    expect(at(q[1]!, 5, 6)).toBeCloseTo(1 / 2);
    expect(() => spatialAdjacency(V, EDGES, { center: 99 })).toThrow(/center = 99/);
  });
  it('symmetric normalised adjacency is symmetric', () => {
    const a = normalizedAdjacency();
    for (let v = 0; v < V; v++) for (let w = 0; w < V; w++) expect(at(a, v, w)).toBeCloseTo(at(a, w, v), 7);
    expect(at(a, 6, 6)).toBeCloseTo(1 / 2);
  });
});

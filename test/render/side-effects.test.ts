/** GLB export changes nothing process-wide once it returns (three's PropertyBinding, the global FileReader). */
import { PropertyBinding } from 'three';
import { describe, expect, it } from 'vitest';
import { gaitSetToGlb } from '../../src/render/glb.js';
import { mixedSet } from './fixtures.js';

describe('GLB export side effects', () => {
  it('restores PropertyBinding.findNode and leaves no global FileReader, also with overlapping exports', async () => {
    const findNode = PropertyBinding.findNode;
    const hadReader = 'FileReader' in globalThis;
    const set = mixedSet();
    const [a, b] = await Promise.all([gaitSetToGlb(set.slice(0, 2)), gaitSetToGlb(set.slice(2, 4))]);
    expect(a.byteLength).toBeGreaterThan(0);
    expect(b.byteLength).toBeGreaterThan(0);
    expect(PropertyBinding.findNode).toBe(findNode);
    expect('FileReader' in globalThis).toBe(hadReader);
  });
});

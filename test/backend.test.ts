import { describe, expect, it } from 'vitest';
import { initBackend, GaitforgeError } from '../src/index.js';

describe('backend selection', () => {
  it('auto falls back past the absent native packages to wasm and says why', async () => {
    const b = await initBackend('auto');
    expect(b.chosen).toBe('wasm');
    expect(b.tfBackend).toBe('wasm');
    expect(b.simd).toBe(true);
    expect(b.skipped.map((s) => s.backend)).toEqual(['node-gpu', 'node']);
    expect(b.skipped[0]!.reason).toBe('not installed');
  });
  it('auto reports a native package that loads but fails, and still falls back', async () => {
    const loader = async (name: string) => {
      if (name.endsWith('-gpu')) throw new Error('libcudart.so.11.0: cannot open shared object file');
      throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const b = await initBackend('auto', { loader });
    expect(b.chosen).toBe('wasm');
    expect(b.skipped[0]!.reason).toMatch(/libcudart/);
    expect(b.skipped[1]!.reason).toBe('not installed');
  });
  it('an explicitly requested native backend that is absent is an error', async () => {
    await expect(initBackend('node')).rejects.toThrow(GaitforgeError);
    await expect(initBackend('node')).rejects.toThrow(/backend node is not usable: not installed/);
  });
  it('cpu can be requested', async () => {
    expect((await initBackend('cpu')).tfBackend).toBe('cpu');
    expect((await initBackend('wasm')).tfBackend).toBe('wasm');
  });
});

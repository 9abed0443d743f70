import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GaitSet } from '../../src/core/gaitset.js';
import { Rng } from '../../src/core/rng.js';

/** A temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; files: () => string[]; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-io-'));
  return { dir, files: () => readdirSync(dir).sort(), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A small seeded set with every column filled in varied ways and positions
 * that include values float rounding would notice: −0, subnormals, large
 * magnitudes and values that are not representable in fewer bits.
 */
export function sampleSet(N = 9, T = 5, V = 16, seed = 7): GaitSet {
  const rng = new Rng(seed, 'test/io');
  const positions = new Float32Array(N * T * V * 3);
  for (let i = 0; i < positions.length; i++) positions[i] = (rng.next() - 0.5) * 3;
  positions[0] = -0;
  positions[1] = 1.4e-45; // smallest subnormal
  positions[2] = 3.4e38;
  positions[3] = -1.1754942e-38;
  positions[4] = 0.1;
  return new GaitSet({
    positions, T, V, fps: 25, skeleton: V === 16 ? 'egait16' : 'custom', labelNames: ['angry', 'neutral', 'happy', 'sad'],
    labels: Array.from({ length: N }, (_, i) => (i * 3) % 4),
    ids: Array.from({ length: N }, (_, i) => `gait-${i}-é`),
    identity: Array.from({ length: N }, (_, i) => (i % 3 === 2 ? null : `walker${i % 4}`)),
    source: Array.from({ length: N }, (_, i) => (i % 2 ? 'synthetic' : 'real')),
    generator: Array.from({ length: N }, (_, i) => (i % 2 ? (i % 4 === 1 ? 'stepgen' : 'cvae') : null)),
    seed: Array.from({ length: N }, (_, i) => (i % 2 ? 2 ** 40 + i : null)),
    frames: Int32Array.from({ length: N }, (_, i) => 10 + i),
  });
}

/** Bit patterns of a Float32Array (so −0 / NaN payloads compare exactly). */
export const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The per-gait columns of a set as plain data, for deep equality. */
export function columns(s: GaitSet) {
  return {
    N: s.N, T: s.T, V: s.V, fps: s.fps, skeleton: s.skeleton, labelNames: s.labelNames, labels: Array.from(s.labels), ids: s.ids,
    identity: s.identity, source: s.source, generator: s.generator, seed: s.seed, frames: Array.from(s.frames),
  };
}

/** Small seeded gait sets for the render tests. */
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';

/**
 * 8 procedural gaits (2 walkers × 4 emotions), T frames; the second walker's
 * gaits are marked synthetic, with a generator name and a seed, so the
 * metadata and source filters have something to show.
 */
export function mixedSet(frames = 40): GaitSet {
  const base = proceduralDataset({ identities: 2, perEmotion: 1, frames, seed: 7 });
  const synthetic = base.identity.map((id) => id === 'id01');
  return new GaitSet({
    positions: base.positions, labels: base.labels, labelNames: base.labelNames, T: base.T, fps: base.fps, skeleton: base.skeleton,
    ids: base.ids, identity: base.identity,
    source: synthetic.map((s) => (s ? 'synthetic' : 'real')),
    generator: synthetic.map((s) => (s ? 'stepgen' : null)),
    seed: synthetic.map((s, i) => (s ? 100 + i : null)),
  });
}

/** A copy of `set` with one coordinate of gait `gait` set to NaN (values not validated). */
export function withNaN(set: GaitSet, gait: number, frame: number, joint: number): GaitSet {
  const pos = set.positions.slice();
  pos[gait * set.stride + (frame * set.V + joint) * 3 + 1] = NaN;
  return new GaitSet({ ...set, positions: pos, labelNames: set.labelNames, T: set.T, fps: set.fps, skeleton: set.skeleton }, { validateValues: false });
}

/**
 * Generator-evaluation costs: FID on evaluator-sized features, affective
 * features and plausibility per gait, and the exact nearest-neighbour
 * search behind the memorisation check (float64, single thread).
 */
import { affectiveFeatures } from '../src/core/affective.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { Rng } from '../src/core/rng.js';
import { fid } from '../src/eval/fid.js';
import { nearestNeighbours } from '../src/eval/nearest.js';
import { plausibility } from '../src/eval/plausibility.js';
import { time, type BenchSection } from './common.js';

function randomMatrix(n: number, d: number, seed: number): Float64Array {
  const rng = new Rng(seed, 'bench/eval');
  return Float64Array.from({ length: n * d }, () => rng.normal());
}

export const section: BenchSection = {
  name: 'eval',
  describe: 'FID, affective features, plausibility and nearest-neighbour memorisation search',
  async run({ quick, report }) {
    const n = quick ? 2000 : 10000;
    for (const d of [29, 64]) {
      const a = randomMatrix(n, d, 1);
      const b = randomMatrix(n, d, 2);
      const s = await time(() => fid(a, b, { dim: d }));
      report({ section: 'eval', name: `fid ${n}×${d} vs ${n}×${d}`, value: s * 1000, unit: 'ms' });
    }

    const set = proceduralDataset({ identities: quick ? 8 : 24, perEmotion: 6, seed: 1 });
    const sa = await time(() => affectiveFeatures(set));
    report({ section: 'eval', name: `affective features (${set.N} gaits, T=${set.T})`, value: set.N / sa, unit: 'gaits/s' });
    const sp = await time(() => plausibility(set));
    report({ section: 'eval', name: `plausibility (${set.N} gaits)`, value: set.N / sp, unit: 'gaits/s' });

    const m = quick ? 500 : 2000;
    const D = 75 * 16 * 3;
    const q = randomMatrix(m, D, 3);
    const r = randomMatrix(m, D, 4);
    const sn = await time(() => nearestNeighbours(q, r, D));
    report({ section: 'eval', name: `nearest neighbours ${m}×${m}×${D}`, value: sn, unit: 's', gmacPerS: (m * m * D) / sn / 1e9 });
  },
};

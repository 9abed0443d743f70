/**
 * GaitTAKE as gaitforge trains it by default against the `gaittake-paper` preset, on the same
 * training walkers and seeds: cross-condition rank-1 and mAP on two sets of unseen walkers
 * (procedural data with pose-estimator noise, as bench/identity.sh), the paired difference per
 * seed with its t interval, and the seconds to train.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { evaluateIdentity } from '../src/identity/evaluate.js';
import { IDENTITY_PRESETS, type IdentityPreset } from '../src/identity/config.js';
import { loadIdentityModel } from '../src/identity/model.js';
import { trainIdentityModel } from '../src/identity/train.js';
import { meanCI, pairedTTest } from '../src/eval/stats.js';
import { option, type BenchSection } from './common.js';

const num = (argv: string[], name: string, fallback: number) => Number(option(argv, name) ?? fallback);

export const section: BenchSection = {
  name: 'identity-presets',
  describe: "GaitTAKE's default training against the gaittake-paper preset (P×K 8×8, 30-frame windows, clip attention, non-zero triplet mean) on the same walkers and seeds: cross-condition rank-1 and mAP on unseen walkers, paired by seed",
  async run({ argv, quick, report, markdown }) {
    await initBackend((option(argv, '--backend') ?? 'wasm') as 'wasm');
    const seeds = num(argv, '--seeds', quick ? 2 : 3);
    const identities = num(argv, '--identities', quick ? 24 : 64);
    const epochs = num(argv, '--epochs', quick ? 2 : 16);
    const keep = option(argv, '--keep') ?? path.join('runs', 'identity-presets');
    mkdirSync(keep, { recursive: true });
    const noise = 0.02;
    const train = proceduralDataset({ identities, perEmotion: 2, estimatorNoise: noise, seed: 31 });
    const tests = { 'seed 12': proceduralDataset({ identities: 24, perEmotion: 4, estimatorNoise: noise, seed: 12 }), 'seed 13': proceduralDataset({ identities: 24, perEmotion: 4, estimatorNoise: noise, seed: 13 }) };
    const scores: Record<IdentityPreset, Record<string, { rank1: number[]; mAP: number[] }>> = { default: {}, 'gaittake-paper': {} };
    const seconds: Record<IdentityPreset, number[]> = { default: [], 'gaittake-paper': [] };
    console.error(`train: ${train.N} walks of ${identities} walkers (T = ${train.T}); test: two sets of 24 other walkers; ${epochs} epochs, seeds 1..${seeds}, one thread`);
    for (let seed = 1; seed <= seeds; seed++)
      for (const preset of IDENTITY_PRESETS) {
        const dir = path.join(keep, `${preset}-seed${seed}`);
        const t0 = performance.now();
        await trainIdentityModel('gaittake', train, { preset, epochs, channels: [32, 64], valFraction: 0.15 }, { outDir: dir, seed, threads: 1, resume: true });
        const s = (performance.now() - t0) / 1000;
        seconds[preset].push(s);
        const model = await loadIdentityModel(dir);
        for (const [name, set] of Object.entries(tests)) {
          const e = evaluateIdentity(model, set);
          const rank1 = e.rank1['mean']!;
          const mAP = e.mAP['mean']!;
          ((scores[preset][name] ??= { rank1: [], mAP: [] }).rank1).push(rank1);
          scores[preset][name]!.mAP.push(mAP);
          report({ section: 'identity-presets', name: `${preset} seed ${seed} ${name}: rank-1`, value: rank1, unit: 'fraction', preset, seed, test: name, mAP, trainSeconds: s });
        }
        model.dispose();
      }
    const pct = (x: number) => (100 * x).toFixed(1);
    const lines = ['| test walkers | metric | default | gaittake-paper | paper − default (paired by seed, 95% t interval) |', '|---|---|---|---|---|'];
    for (const name of Object.keys(tests))
      for (const metric of ['rank1', 'mAP'] as const) {
        const a = scores['gaittake-paper'][name]![metric];
        const b = scores.default[name]![metric];
        const ci = (v: number[]) => { const c = meanCI(v); return c.halfWidth === null ? pct(c.mean) : `${pct(c.mean)} ± ${pct(c.halfWidth)}`; };
        const d = seeds >= 2 ? pairedTTest(a, b) : null;
        if (d) report({ section: 'identity-presets', name: `paper − default ${name}: ${metric}`, value: d.meanDiff, unit: 'fraction', lo: d.lo, hi: d.hi, n: d.n });
        lines.push(`| ${name} | ${metric === 'rank1' ? 'rank-1 %' : 'mAP %'} | ${ci(b)} | ${ci(a)} | ${d ? `${d.meanDiff >= 0 ? '+' : ''}${pct(d.meanDiff)} [${pct(d.lo)}, ${pct(d.hi)}]` : '—'} |`);
      }
    lines.push('', `Training seconds per model (one thread): default ${meanCI(seconds.default).mean.toFixed(0)}, gaittake-paper ${meanCI(seconds['gaittake-paper']).mean.toFixed(0)}. ${seeds} seeds: an interval that contains 0 is no detected difference.`);
    markdown?.(lines.join('\n'));
    console.error(lines.join('\n'));
  },
};

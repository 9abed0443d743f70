/**
 * `npm run bench -- --only generator [--quick] [--gen-count N] [--epochs E]`
 *
 * STEP-Gen end to end on the active backend, default preset, T = 75:
 *  - training gaits/s (trainGenerator on the procedural demo data, E epochs);
 *  - generation gaits/s and peak RSS of `generateToFile` streaming N gaits to
 *    Parquet (default N = 1,000,000; 2,000 with --quick), run in a child
 *    process so the peak RSS is that of generation alone. Memory is bounded
 *    by the chunk size (1,000 gaits), not N.
 * Rates are given on the wall clock and on the process's CPU clock (gaits per
 * CPU second, which other processes on a shared machine move much less).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { currentBackend, initBackend } from '../src/core/backend.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { trainGenerator } from '../src/generator/train.js';
import { option, type BenchArgs, type BenchSection } from './common.js';

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export const section: BenchSection = {
  name: 'generator',
  describe: 'STEP-Gen training gaits/s, and streaming generation to Parquet: gaits/s and peak RSS',
  async run({ argv, quick, report }: BenchArgs) {
    const backend = option(argv, '--backend') ?? 'wasm';
    await initBackend(backend as never);
    const genCount = Number(option(argv, '--gen-count') ?? (quick ? 2_000 : 1_000_000));
    const epochs = Number(option(argv, '--epochs') ?? (quick ? 1 : 2));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-bench-gen-'));
    try {
      const data = proceduralDataset({ identities: quick ? 4 : 8, perEmotion: 4, seed: 1 });
      const modelDir = path.join(tmp, 'stepgen');
      const t0 = performance.now();
      const c0 = cpuSeconds();
      const r = await trainGenerator(data, { epochs, valFraction: 0 }, { outDir: modelDir, seed: 1 });
      const trainCpu = cpuSeconds() - c0;
      const trainSeconds = (performance.now() - t0) / 1000;
      const sps = r.history.reduce((a, h) => a + h.samplesPerSec, 0) / r.history.length;
      report({ section: 'generator', name: 'train stepgen (default preset, batch 16, T=75)', value: sps, unit: 'gaits/s', epochs, gaits: data.N, wallSeconds: trainSeconds, backend: currentBackend()?.chosen });
      report({ section: 'generator', name: 'train stepgen, CPU clock (incl. checkpoints)', value: (epochs * data.N) / trainCpu, unit: 'gaits/cpu-s', cpuSeconds: trainCpu });

      // Generation in a child process: its own peak RSS, nothing of the training above.
      const out = path.join(tmp, 'synth.parquet');
      const index = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js')).href;
      const perLabel = Math.ceil(genCount / data.labelNames.length);
      const script = `
        const lib = await import(${JSON.stringify(index)});
        await lib.initBackend(${JSON.stringify(backend)});
        const counts = Object.fromEntries(${JSON.stringify(data.labelNames)}.map((l) => [l, ${perLabel}]));
        const u0 = process.cpuUsage();
        const r = await lib.generateToFile(${JSON.stringify(modelDir)}, ${JSON.stringify(out)}, { counts, seed: 1 });
        const u = process.cpuUsage(u0);
        process.stdout.write(JSON.stringify({ ...r, cpuSeconds: (u.user + u.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024 }));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`generation child failed: ${child.stderr}`);
      const g = JSON.parse(child.stdout) as { rows: number; seconds: number; gaitsPerSec: number; cpuSeconds: number; maxRssMB: number };
      const bytes = statSync(out).size;
      report({ section: 'generator', name: `generate ${g.rows} gaits to Parquet (T=75)`, value: g.gaitsPerSec, unit: 'gaits/s', seconds: g.seconds, fileMB: bytes / 2 ** 20 });
      report({ section: 'generator', name: `generate ${g.rows} gaits, CPU clock`, value: g.rows / g.cpuSeconds, unit: 'gaits/cpu-s', cpuSeconds: g.cpuSeconds });
      report({ section: 'generator', name: `generate ${g.rows} gaits: peak RSS`, value: g.maxRssMB, unit: 'MB' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

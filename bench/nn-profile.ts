/**
 * `node dist/bench/nn-profile.js [--model classifier|cvae] [--preset default|step-paper] [--batch B] [--mode train|infer] [--steps S] [--by-shape] [--plain] [--ab simd|simd-bn|fused] [--no-simd] [--no-simd-bn]`
 *
 * Where one thread's time goes in a pass of a bench model (bench/nn-tasks.ts,
 * bench/nn-infer.ts): every kernel the pass runs, timed by tfjs's profiler,
 * summed by kernel name, with the pass's wall time, the share of it inside
 * kernels (the rest is JavaScript outside kernels: tfjs's dispatch, the
 * gradient tape, gaitforge's layer code) and the tensors and bytes it
 * allocates. Shares are fractions of one pass, so they hold on a loaded
 * machine better than absolute times do. A diagnostic, not a section of
 * `npm run bench`.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '../src/core/backend.js';
import { computeGradients } from '../src/train/engine.js';
import { setFusedKernels, setSimdKernels } from '../src/nn/kernels.js';
import { option } from './common.js';
import { benchForward } from './nn-infer.js';
import { CLASSES, LATENT, V } from './nn-models.js';
import { buildBenchTask } from './nn-tasks.js';

async function main() {
  const argv = process.argv.slice(2);
  await initBackend((option(argv, '--backend') as never) ?? 'wasm');
  const model = (option(argv, '--model') ?? 'classifier') as 'classifier' | 'cvae';
  const kt = (option(argv, '--preset') ?? 'default') === 'step-paper' ? 75 : 9;
  const mode = option(argv, '--mode') ?? 'train';
  const bs = Number(option(argv, '--batch') ?? (mode === 'train' ? 8 : 64));
  const steps = Number(option(argv, '--steps') ?? 5);
  const T = 75;
  const byShape = argv.includes('--by-shape');
  let pass: () => void;
  let dispose: () => void;
  if (mode === 'train') {
    const x = tf.tidy(() => tf.randomNormal([bs, T, V, 3], 0, 1, 'float32', 1).dataSync() as Float32Array);
    const labels = Int32Array.from({ length: bs }, (_, i) => i % CLASSES);
    const h = buildBenchTask({ model, T, kt, x, labels });
    const rows = Int32Array.from({ length: bs }, (_, i) => i);
    let seed = 100;
    pass = () => void computeGradients(h.task, rows, seed++);
    dispose = h.dispose;
  } else {
    const f = benchForward({ model, T, kt });
    const per = model === 'classifier' ? T * V * 3 : LATENT + CLASSES;
    const x = tf.tidy(() => tf.randomNormal([bs * per], 0, 1, 'float32', 3).dataSync() as Float32Array);
    pass = () => void f.run(x, bs);
    dispose = f.dispose;
  }
  if (argv.includes('--no-simd')) setSimdKernels(false);
  if (argv.includes('--no-simd-bn')) setSimdKernels(false, 'batch-norm');
  for (let i = 0; i < 3; i++) pass(); // warm-up
  const ab = option(argv, '--ab');
  if (ab) {
    // A/B of one lever in this process: passes alternate B (lever off) and A (on), ratios of medians
    const toggle = ab === 'simd' ? setSimdKernels : ab === 'simd-bn' ? (on: boolean) => setSimdKernels(on, 'batch-norm') : ab === 'fused' ? setFusedKernels : null;
    if (!toggle) throw new Error(`--ab ${ab}: expected simd|simd-bn|fused`);
    const t: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let s = 0; s < steps; s++)
      for (const on of [false, true]) {
        toggle(on);
        const t0 = performance.now();
        pass();
        t[on ? 'on' : 'off'].push(performance.now() - t0);
      }
    toggle(true);
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    const pairs = t.on.map((v, i) => t.off[i]! / v).sort((x, y) => x - y);
    console.log(JSON.stringify({ model, mode, kt, batch: bs, lever: ab, steps, msOn: med(t.on), msOff: med(t.off), speedup: med(t.off) / med(t.on), pairedSpeedupMedian: pairs[pairs.length >> 1], pairedRange: [pairs[0], pairs[pairs.length - 1]] }));
    dispose();
    return;
  }
  if (argv.includes('--plain')) {
    // passes only, no profiler: for instruction counts (valgrind --tool=callgrind), taken at two
    // values of --steps and subtracted so that start-up and warm-up cancel
    for (let s = 0; s < steps; s++) pass();
    dispose();
    return;
  }
  const byName = new Map<string, { ms: number; calls: number }>();
  let wall = 0;
  let kernelMs = 0;
  let kernels = 0;
  let tensors = 0;
  let bytes = 0;
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const info = await tf.profile(() => pass());
    wall += performance.now() - t0;
    for (const k of info.kernels) {
      // customGrad bodies and op scopes are recorded around the kernels they run: not counted twice
      if (/scope|__op$/.test(k.name)) continue;
      const ms = Number(await k.kernelTimeMs);
      for (const sh of k.outputShapes) {
        tensors++;
        bytes += 4 * sh.reduce((a: number, c: number) => a * c, 1);
      }
      kernelMs += ms;
      kernels++;
      const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
      const e = byName.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      byName.set(key, e);
    }
  }
  // the same passes unprofiled: the profiler's own cost is not part of a pass
  const t1 = performance.now();
  for (let s = 0; s < steps; s++) pass();
  const plain = (performance.now() - t1) / steps;
  const rowsOut = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(JSON.stringify({
    model, mode, kt, batch: bs, steps, passMs: plain, profiledPassMs: wall / steps, kernelMsPerPass: kernelMs / steps,
    kernelsPerPass: kernels / steps, outsideKernelsShare: 1 - kernelMs / wall, tensorsPerPass: tensors / steps, mbPerPass: bytes / steps / 2 ** 20,
  }));
  for (const [name, e] of rowsOut)
    console.log(`${name.padEnd(byShape ? 70 : 28)} ${(e.ms / steps).toFixed(2).padStart(8)} ms ${((100 * e.ms) / kernelMs).toFixed(1).padStart(5)}% of kernels ${String(e.calls / steps).padStart(5)} calls`);
  dispose();
}

// bench/main.ts imports every module of bench/ looking for sections: run only when started as a script
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });

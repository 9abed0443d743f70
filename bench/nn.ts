/**
 * `npm run bench -- --only nn [--compare-torch] [--quick] [--presets default,step-paper] [--seconds S] [--clock cpu|wall]`
 *
 * Samples/s of the ST-GCN classifier (Baseline-STEP shape) in training and
 * inference and of the conditional VAE (STEP-Gen shape) in training and
 * generation, for the `default` (temporal kernel 9) and `step-paper` (75)
 * presets, batch 8 and 32 (inference/generation: 64), on the active backend,
 * with FLOPs per sample and achieved GFLOP/s. With --compare-torch and a
 * /usr/bin/python3 that imports torch, the PyTorch reference
 * (../shared/reference/torch_stgcn_bench.py, one thread) runs in the same
 * process tree right before each preset and every row gets the
 * gaitforge/PyTorch ratio. Rates are medians over repeated steps. The
 * default clock is the process's CPU time (samples per CPU-second), for both
 * gaitforge and PyTorch: on a shared machine wall time mostly measures the
 * other processes; on an idle one the two clocks agree for these
 * single-threaded runs. `--clock wall` measures wall time.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/core/backend.js';
import { predictInChunks } from '../src/nn/index.js';
import type { BenchArgs, BenchSection } from './common.js';
import {
  buildClassifier, buildCvae, CLASSES, classifierFlops, decoderFlops, encoderFlops, LATENT, pushPullLoss, V, withCondition,
} from './nn-models.js';

const PRESETS = { default: 9, 'step-paper': 75 } as const;
type Preset = keyof typeof PRESETS;
const FRAMES = 75;

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

type Clock = 'cpu' | 'wall';
let clock: Clock = 'cpu';

/** Seconds on the chosen clock: process CPU time (user + system) or wall time. */
function now(): number {
  if (clock === 'wall') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Median rate as the PyTorch reference measures it: one warm-up call, then
 * calls until `seconds` passed on the clock and at least 3 ran.
 */
async function rate(fn: () => void, samples: number, seconds: number): Promise<number> {
  fn();
  const times: number[] = [];
  const start = now();
  while (now() - start < seconds || times.length < 3) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return samples / times[Math.floor(times.length / 2)]!;
}

function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
function randomOneHot(n: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.randomUniform([n], 0, CLASSES, 'int32', seed) as tf.Tensor1D, CLASSES).toFloat() as tf.Tensor2D);
}

interface Measured {
  model: 'classifier' | 'cvae';
  phase: 'train' | 'infer' | 'generate';
  batch: number;
  samplesPerS: number;
  flopsPerSample: number;
}

async function measurePreset(kt: number, seconds: number, batches: number[]): Promise<Measured[]> {
  const out: Measured[] = [];
  const T = FRAMES;
  const fwdC = classifierFlops(T, kt);
  const clf = buildClassifier(T, kt);
  const vars = clf.trainableWeights.map((w) => w.read() as tf.Variable);
  let opt = tf.train.adam(1e-3);
  for (const bs of batches) {
    const x = randn([bs, T, V, 3], 1);
    const y = randomOneHot(bs, 2);
    const step = () => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, clf.apply(x, { training: true }) as tf.Tensor), true, vars)!;
      loss.dataSync();
      loss.dispose();
    };
    out.push({ model: 'classifier', phase: 'train', batch: bs, samplesPerS: await rate(step, bs, seconds), flopsPerSample: 3 * fwdC });
    tf.dispose([x, y]);
  }
  const xi = randn([64, T, V, 3], 3);
  const infer = () => {
    const o = predictInChunks(clf, xi) as tf.Tensor;
    o.dataSync();
    o.dispose();
  };
  out.push({ model: 'classifier', phase: 'infer', batch: 64, samplesPerS: await rate(infer, 64, seconds), flopsPerSample: fwdC });
  xi.dispose();
  opt.dispose();
  clf.dispose();

  const vae = buildCvae(T, kt);
  opt = tf.train.adam(1e-3);
  const fwdE = encoderFlops(T, kt);
  const fwdD = decoderFlops(T, kt);
  let noiseSeed = 100;
  for (const bs of batches) {
    const x = randn([bs, T, V, 3], 4) as tf.Tensor4D;
    const oh = randomOneHot(bs, 5);
    const xc = withCondition(x, oh);
    const step = () => {
      const loss = opt.minimize(() => {
        const [mu, logvar] = vae.encoder.apply(xc, { training: true }) as tf.Tensor[];
        const eps = tf.randomNormal(mu!.shape, 0, 1, 'float32', noiseSeed++);
        const z = tf.add(mu!, tf.mul(eps, tf.exp(tf.mul(logvar!, 0.5))));
        const yhat = vae.decoder.apply(tf.concat([z, oh], 1), { training: true }) as tf.Tensor4D;
        return pushPullLoss(x, yhat, mu!, logvar!);
      }, true, vae.vars)!;
      loss.dataSync();
      loss.dispose();
    };
    out.push({ model: 'cvae', phase: 'train', batch: bs, samplesPerS: await rate(step, bs, seconds), flopsPerSample: 3 * (fwdE + fwdD) });
    tf.dispose([x, oh, xc]);
  }
  const zc = tf.tidy(() => tf.concat([randn([64, LATENT], 6), randomOneHot(64, 7)], 1));
  const generate = () => {
    const o = predictInChunks(vae.decoder, zc) as tf.Tensor;
    o.dataSync();
    o.dispose();
  };
  out.push({ model: 'cvae', phase: 'generate', batch: 64, samplesPerS: await rate(generate, 64, seconds), flopsPerSample: fwdD });
  zc.dispose();
  opt.dispose();
  vae.encoder.dispose();
  vae.decoder.dispose();
  return out;
}

const TORCH_PYTHON = '/usr/bin/python3';

function torchScript(argv: string[]): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // bench/ or dist/bench/: the repository root is the nearest parent holding package.json
  let root = here;
  while (!existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);
  return option(argv, '--torch-script') ?? path.resolve(root, '..', 'shared', 'reference', 'torch_stgcn_bench.py');
}

function torchAvailable(): string | null {
  if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} not found`;
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${TORCH_PYTHON} cannot import torch (apt-get install -y python3-torch)`;
}

interface TorchRow { model: string; phase: string; batch: number; samples_per_s: number }

/**
 * Runs the reference script's own main() (architectures, loss, timing loop
 * unchanged). With the cpu clock its timer (time.perf_counter) is swapped for
 * time.process_time, the process's CPU time, so both sides are measured on the
 * same clock. `oneDnnOffForClassifierTraining` switches oneDNN off during the
 * first two timed phases (classifier training) only: Debian's torch 1.13
 * crashes in oneDNN's backward of the stride-2, kernel-75 convolution of the
 * step-paper classifier.
 */
function runTorch(script: string, preset: Preset, seconds: number, oneDnnOffForClassifierTraining = false): TorchRow[] {
  const argv = [script, '--preset', preset, '--frames', String(FRAMES), '--threads', '1', '--seconds', String(seconds)];
  const boot = [
    'import runpy, sys, time, torch',
    ...(clock === 'cpu' ? ['time.perf_counter = time.process_time'] : []),
    `sys.argv = ${JSON.stringify(argv)}`,
    `g = runpy.run_path(sys.argv[0], run_name='reference')`,
    ...(oneDnnOffForClassifierTraining
      ? [
          'calls = [0]',
          'inner = g["main"].__globals__["rate"]',
          'def rate(fn, samples, seconds):',
          '    calls[0] += 1',
          '    torch.backends.mkldnn.enabled = calls[0] > 2',
          '    return inner(fn, samples, seconds)',
          'g["main"].__globals__["rate"] = rate  # run_path returns a copy of the globals',
        ]
      : []),
    'g["main"]()',
  ].join('\n');
  const r = spawnSync(TORCH_PYTHON, ['-c', boot], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`PyTorch reference failed (${r.error?.message ?? r.signal ?? r.status}): ${(r.stderr ?? '').slice(-500)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as TorchRow).filter((row) => row.phase);
}

export const section: BenchSection = {
  name: 'nn',
  describe: 'ST-GCN classifier (Baseline-STEP shape) and CVAE (STEP-Gen shape): samples/s, GFLOP/s, ratio to PyTorch',
  async run({ argv, quick, report }: BenchArgs) {
    const backend = await initBackend((option(argv, '--backend') as never) ?? 'auto');
    const seconds = Number(option(argv, '--seconds') ?? (quick ? 1.5 : 5));
    const presets = (option(argv, '--presets') ?? (quick ? 'default' : 'default,step-paper')).split(',') as Preset[];
    for (const p of presets) if (!(p in PRESETS)) throw new Error(`unknown preset ${p}: expected ${Object.keys(PRESETS).join('|')}`);
    const batches = quick ? [8] : [8, 32];
    clock = (option(argv, '--clock') ?? 'cpu') as Clock;
    if (clock !== 'cpu' && clock !== 'wall') throw new Error(`--clock ${clock}: expected cpu|wall`);
    const compare = argv.includes('--compare-torch');
    const torchMissing = compare ? torchAvailable() : null;
    if (compare && torchMissing) console.error(`nn: --compare-torch: ${torchMissing}; printing gaitforge figures only`);
    const script = torchScript(argv);
    const summary: string[] = [];
    for (const preset of presets) {
      const kt = PRESETS[preset];
      let torch: TorchRow[] = [];
      let torchNote: string | undefined;
      if (compare && !torchMissing) {
        console.error(`nn: running the PyTorch reference (${preset}, 1 thread, ${seconds} s a phase) ...`);
        try {
          torch = runTorch(script, preset, seconds);
        } catch (e) {
          // Debian's torch 1.13 dies (SIGBUS/SIGSEGV) in oneDNN's backward of the stride-2,
          // kernel-75 convolution (T = 38 → 19) of the step-paper classifier; its native path works
          torchNote = `classifier training without oneDNN: with it the reference failed (${(e as Error).message.split('\n')[0]})`;
          console.error(`nn: ${torchNote}; rerunning it with oneDNN off for classifier training`);
          torch = runTorch(script, preset, seconds, true);
        }
      }
      console.error(`nn: measuring gaitforge on ${backend.chosen} (${preset}) ...`);
      for (const m of await measurePreset(kt, seconds, batches)) {
        const ref = torch.find((t) => t.model === m.model && t.phase === m.phase && t.batch === m.batch);
        report({
          section: 'nn',
          name: `${m.model}/${m.phase}/${preset}/b${m.batch}`,
          value: m.samplesPerS,
          unit: clock === 'cpu' ? 'samples/cpu-s' : 'samples/s',
          clock,
          backend: backend.chosen,
          preset, kt, frames: FRAMES, batch: m.batch,
          flopsPerSample: m.flopsPerSample,
          gflops: (m.flopsPerSample * m.samplesPerS) / 1e9,
          ...(ref ? { torchSamplesPerS: ref.samples_per_s, ratioVsTorch: m.samplesPerS / ref.samples_per_s } : {}),
          ...(ref && torchNote && m.model === 'classifier' && m.phase === 'train' ? { torchNote } : {}),
        });
        const name = `${m.model} ${m.phase}`.padEnd(20);
        const ours = m.samplesPerS.toFixed(1).padStart(8);
        const theirs = ref ? ref.samples_per_s.toFixed(1).padStart(8) : '       -';
        const ratio = ref ? (m.samplesPerS / ref.samples_per_s).toFixed(2).padStart(6) : '     -';
        const gf = ((m.flopsPerSample * m.samplesPerS) / 1e9).toFixed(1).padStart(6);
        summary.push(`${preset.padEnd(11)} ${name} b${String(m.batch).padEnd(3)} ${ours} ${theirs} ${ratio} ${gf}${ref && torchNote && m.model === 'classifier' && m.phase === 'train' ? '  (PyTorch without oneDNN)' : ''}`);
      }
    }
    console.error(`\nnn (${clock} clock, samples/${clock === 'cpu' ? 'CPU-s' : 's'}, ${backend.chosen}):`);
    console.error(`${'preset'.padEnd(11)} ${'phase'.padEnd(20)} ${'batch'} ${'gaitforge'.padStart(8)} ${'PyTorch'.padStart(8)} ${'ratio'.padStart(6)} GFLOP/s`);
    for (const line of summary) console.error(line);
  },
};

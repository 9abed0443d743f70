/**
 * `npm run bench -- --only nn [--compare-torch] [--threads N] [--torch-max-threads N] [--quick] [--presets default,step-paper] [--seconds S] [--rounds R] [--batches 8,16,32] [--clock wall|cpu] [--no-results] [--results-dir DIR]`
 *
 * Samples/s of the ST-GCN classifier (Baseline-STEP shape) in training and
 * inference and of the conditional VAE (STEP-Gen shape) in training and
 * generation, for the `default` (temporal kernel 9) and `step-paper` (75)
 * presets, batch 8, 16 and 32 (inference/generation: 64), on the active backend,
 * with FLOPs per sample and achieved GFLOP/s. Training steps run through the
 * training engine (src/train: its Adam, data-parallel on `--threads` threads,
 * default the machine's cores; 1 on tfjs-node); inference and generation
 * split their 64 rows across the same number of replica threads. With
 * --threads N > 1 a scaling row per phase gives samples/s at 1 and N threads,
 * measured interleaved in one-second blocks (`rates`).
 *
 * With --compare-torch and a /usr/bin/python3 that imports torch, the PyTorch
 * reference (../shared/reference/torch_stgcn_bench.py, through
 * bench/torch_reference.py; see nn-torch.ts) runs right before gaitforge in
 * each round at every thread count 1..N, on OpenBLAS, and each phase is
 * compared against its fastest: every row prints `threads`, `torchThreads`,
 * `torchBlas` and `ratioVsTorch` (no ratio when PyTorch does not run on
 * OpenBLAS). Such a run writes docs/results/speed.json and the page
 * docs/results/speed.md (speed-page.ts) with the command, machine, date,
 * PyTorch's version and BLAS and `uptime` at start and end. Every figure is
 * measured in `--rounds` rounds (default 3, --quick 1) and reported as the
 * median over rounds, ratios and scalings paired by round (see run()).
 * Within a round, rates are medians
 * over repeated steps on the wall clock (default; compare on an idle
 * machine) or, with --clock cpu, per CPU-second of the process (all threads).
 * Every row also gives the process's resident memory (main thread and worker
 * threads) at the phase's start and the highest sampled during it
 * (`rssStartMB`, `rssPeakMB`), so memory is stated per thread count. With
 * batch 16 (default) or 8 (step-paper) measured, a row estimates an
 * E-Gait-sized STEP-Gen training (2,177 gaits × 150 epochs).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import { sampleQuantile } from '../src/eval/stats.js';
import { option, peakRssMB, type BenchArgs, type BenchRow, type BenchSection } from './common.js';
import { ratioRefusal, TorchReference, torchBlasLabel, type TorchBlas, type TorchRow } from './nn-torch.js';
import { machineInfo, repoRoot, uptimeLine, writeSpeedResults, type SpeedResults } from './speed-page.js';
import { availableParallelism } from 'node:os';
import { Engine, shardSizes } from '../src/train/engine.js';
import { startReplicaPool, startReplicas } from '../src/train/parallel.js';
import { benchForward, type BenchInferInput, type BenchInferSpec } from './nn-infer.js';
import { CLASSES, classifierFlops, decoderFlops, encoderFlops, LATENT, V } from './nn-models.js';
import { buildBenchTask, type BenchTaskSpec } from './nn-tasks.js';

const PRESETS = { default: 9, 'step-paper': 75 } as const;
type Preset = keyof typeof PRESETS;
const FRAMES = 75;

type Clock = 'cpu' | 'wall';
let clock: Clock = 'cpu';

/** Seconds on the chosen clock: process CPU time (user + system) or wall time. */
function now(): number {
  if (clock === 'wall') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Resident memory of the process (main thread and its worker threads), MB,
 * sampled after every call that `rates` times: the highest sample since the
 * last `resetRss()`. Within one process the kernel's high-water mark
 * (peakRssMB) only grows, so per-phase figures come from these samples. A
 * wasm heap never shrinks: the main thread's part carries over from earlier
 * phases, while the memory of a phase's worker threads goes when they end.
 */
let rssSampled = 0;
const rssMB = () => process.memoryUsage.rss() / 2 ** 20;
function resetRss(): number {
  rssSampled = rssMB();
  return rssSampled;
}

/**
 * Median rates of `fns` as the PyTorch reference measures one: calls until
 * each has run `seconds` on the clock and at least 3 times. Several functions
 * run interleaved in blocks of about `BLOCK_SECONDS` each, in turn, so a drift
 * in the machine's speed (a shared host) falls on all of them alike and their
 * ratio is paired block by block. The first call of every block is not
 * timed: it wakes worker threads that idled through the other functions'
 * blocks (a user's training keeps them busy), and is the warm-up.
 */
async function rates(fns: (() => unknown)[], samples: number, seconds: number): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  const spent = fns.map(() => 0);
  while (spent.some((t, i) => t < seconds || times[i]!.length < 3)) {
    for (const [i, fn] of fns.entries()) {
      await fn();
      const b0 = now();
      do {
        const t0 = now();
        await fn();
        const dt = now() - t0;
        times[i]!.push(dt);
        spent[i]! += dt;
        rssSampled = Math.max(rssSampled, rssMB());
      } while (now() - b0 < Math.min(BLOCK_SECONDS, seconds));
    }
  }
  return times.map((t) => samples / median(t));
}

/** Length of one function's block in `rates`, seconds on the clock. */
const BLOCK_SECONDS = 1;

/** Median (the mean of the middle two for an even count). */
const median = (xs: number[]): number => sampleQuantile(xs, 0.5);

/** `fn`'s result with the resident memory at its start and the highest sampled during it (MB). */
async function withRss<T>(fn: () => Promise<T>): Promise<{ value: T; rssStartMB: number; rssPeakMB: number }> {
  const rssStartMB = resetRss();
  const value = await fn();
  return { value, rssStartMB, rssPeakMB: rssSampled };
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
  /** Threads gaitforge ran the phase on. */
  threads: number;
  samplesPerS: number;
  /** Samples/s on one thread, measured interleaved with the `threads` runs (threads > 1 only). */
  samplesPerS1: number | null;
  flopsPerSample: number;
  /** Resident memory of the process at the phase's start and the highest sampled during it, MB (see withRss). */
  rssStartMB: number;
  rssPeakMB: number;
}

/** A seeded batch source for the engine tasks: `rows` gaits of standard-normal positions and labels. */
function benchData(rows: number, T: number, seed: number): { x: Float32Array; labels: Int32Array } {
  return tf.tidy(() => ({
    x: randn([rows, T, V, 3], seed).dataSync() as Float32Array,
    labels: Int32Array.from(tf.randomUniform([rows], 0, CLASSES, 'int32', seed + 1).dataSync()),
  }));
}

/** Samples/s on `threads` threads and, when threads > 1, on 1 thread, measured interleaved (`rates`). */
interface PairedRate {
  n: number;
  one: number | null;
}

/**
 * Training samples/s of a bench model through the training engine (Adam,
 * data-parallel replicas) on `threads` threads and, for the scaling row, on
 * one thread: two engines on two copies of the model, stepping in turn.
 */
async function trainRate(model: 'classifier' | 'cvae', T: number, kt: number, bs: number, threads: number, seconds: number): Promise<PairedRate> {
  const spec: BenchTaskSpec = { model, T, kt, ...benchData(bs, T, model === 'classifier' ? 1 : 4) };
  const locals = [buildBenchTask(spec)];
  const engines: Engine[] = [];
  try {
    const replicas = threads > 1 ? await startReplicas(new URL('./nn-tasks.js', import.meta.url), spec, threads - 1) : null;
    engines.push(new Engine(locals[0]!.task, { lr: 1e-3, weightDecay: 0, replicas }));
    if (threads > 1) {
      locals.push(buildBenchTask(spec));
      engines.push(new Engine(locals[1]!.task, { lr: 1e-3, weightDecay: 0 }));
    }
    const rows = Int32Array.from({ length: bs }, (_, i) => i);
    let noiseSeed = 100;
    const [n, one] = await rates(engines.map((e) => () => e.step(rows, noiseSeed++)), bs, seconds);
    return { n: n!, one: one ?? null };
  } finally {
    for (const e of engines) await e.dispose();
    for (const l of locals) l.dispose();
  }
}

/**
 * One-thread training through the engine (computeGradients, gradients
 * flattened, the engine's Adam) against tfjs's own `tf.train.adam().minimize`
 * on the same task's loss: two copies of the model stepping in turn
 * (`rates`), so the ratio is the engine's cost alone, paired block by block.
 * (Before the engine, gaitforge trained with tf.train.adam.)
 */
async function engineVsTfAdam(model: 'classifier' | 'cvae', T: number, kt: number, bs: number, seconds: number): Promise<{ engine: number; tfAdam: number }> {
  const spec: BenchTaskSpec = { model, T, kt, ...benchData(bs, T, model === 'classifier' ? 1 : 4) };
  const a = buildBenchTask(spec);
  const b = buildBenchTask(spec);
  const engine = new Engine(a.task, { lr: 1e-3, weightDecay: 0 });
  const adam = tf.train.adam(1e-3);
  const rows = Int32Array.from({ length: bs }, (_, i) => i);
  let noiseSeed = 100;
  try {
    const [e, t] = await rates(
      [
        () => engine.step(rows, noiseSeed++),
        () => {
          const loss = adam.minimize(() => b.task.loss(rows, noiseSeed++).total, true, b.task.variables)!;
          loss.dataSync();
          loss.dispose();
        },
      ],
      bs,
      seconds,
    );
    return { engine: e!, tfAdam: t! };
  } finally {
    await engine.dispose();
    adam.dispose();
    a.dispose();
    b.dispose();
  }
}

/**
 * Inference (classifier) or generation (CVAE decoder) samples/s of 64 rows on
 * `threads` threads: rank 0 here, the other contiguous parts on inference
 * replica threads (src/train/parallel.ts, bench/nn-infer.ts), as gaitforge's
 * classifier inference and generation split their batches. The split and the
 * transfers are inside the timed call. With threads > 1, one-thread runs of
 * all 64 rows here are interleaved with them for the scaling row.
 */
async function inferRate(model: 'classifier' | 'cvae', T: number, kt: number, threads: number, seconds: number): Promise<PairedRate> {
  const spec: BenchInferSpec = { model, T, kt };
  const rows = 64;
  const x = tf.tidy(() => (model === 'classifier' ? randn([rows, T, V, 3], 3) : tf.concat([randn([rows, LATENT], 6), randomOneHot(rows, 7)], 1)).dataSync() as Float32Array);
  const per = x.length / rows;
  const local = benchForward(spec);
  const pool = threads > 1 ? await startReplicaPool(new URL('./nn-infer.js', import.meta.url), spec, threads - 1) : null;
  const sizes = shardSizes(rows, threads, 1);
  const run = async () => {
    let off = sizes[0]!;
    const pending = sizes.slice(1).map((n, i) => {
      const input: BenchInferInput = { n, x: x.slice(off * per, (off + n) * per) };
      off += n;
      return pool!.call<Float32Array>(i + 1, input);
    });
    local.run(x.subarray(0, sizes[0]! * per), sizes[0]!);
    await Promise.all(pending);
  };
  // the scaling row's one thread: all rows here, interleaved with the split runs
  const runOne = () => local.run(x, rows);
  try {
    const [n, one] = await rates(threads > 1 ? [run, runOne] : [run], rows, seconds);
    return { n: n!, one: one ?? null };
  } finally {
    await pool?.close();
    local.dispose();
  }
}

async function measurePreset(kt: number, seconds: number, batches: number[], threads: number): Promise<Measured[]> {
  const out: Measured[] = [];
  const T = FRAMES;
  const fwdC = classifierFlops(T, kt);
  const timed = async (m: Omit<Measured, 'samplesPerS' | 'samplesPerS1' | 'rssStartMB' | 'rssPeakMB'>, fn: () => Promise<PairedRate>) => {
    const r = await withRss(fn);
    out.push({ ...m, samplesPerS: r.value.n, samplesPerS1: r.value.one, rssStartMB: r.rssStartMB, rssPeakMB: r.rssPeakMB });
  };
  for (const bs of batches)
    await timed({ model: 'classifier', phase: 'train', batch: bs, threads, flopsPerSample: 3 * fwdC }, () => trainRate('classifier', T, kt, bs, threads, seconds));
  await timed({ model: 'classifier', phase: 'infer', batch: 64, threads, flopsPerSample: fwdC }, () => inferRate('classifier', T, kt, threads, seconds));
  const fwdE = encoderFlops(T, kt);
  const fwdD = decoderFlops(T, kt);
  for (const bs of batches)
    await timed({ model: 'cvae', phase: 'train', batch: bs, threads, flopsPerSample: 3 * (fwdE + fwdD) }, () => trainRate('cvae', T, kt, bs, threads, seconds));
  await timed({ model: 'cvae', phase: 'generate', batch: 64, threads, flopsPerSample: fwdD }, () => inferRate('cvae', T, kt, threads, seconds));
  return out;
}

function torchScript(argv: string[]): string {
  return option(argv, '--torch-script') ?? path.resolve(repoRoot(), '..', 'shared', 'reference', 'torch_stgcn_bench.py');
}

/** E-Gait's size (gaits) and STEP-Gen's epochs (STEP, 'step-paper'), for the training-time estimate. */
const E_GAIT_GAITS = 2177;
const E_GAIT_EPOCHS = 150;
/** STEP-Gen's default training batch per preset (src/generator/config.ts). */
const GENERATOR_BATCH: Record<Preset, number> = { default: 16, 'step-paper': 8 };

/** The median of per-round values, and the value most rounds had (for thread counts). */
const mode = (xs: number[]): number => {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
};

export const section: BenchSection = {
  name: 'nn',
  describe: "ST-GCN classifier (Baseline-STEP shape) and CVAE (STEP-Gen shape): samples/s, GFLOP/s, ratio to PyTorch (OpenBLAS, its best at 1..N threads), 1→N thread scaling",
  async run({ argv, quick, report }: BenchArgs) {
    const uptimeStart = uptimeLine();
    const startedAt = new Date();
    const backend = await initBackend((option(argv, '--backend') as never) ?? 'auto');
    const seconds = Number(option(argv, '--seconds') ?? (quick ? 1.5 : 5));
    const presets = (option(argv, '--presets') ?? (quick ? 'default' : 'default,step-paper')).split(',') as Preset[];
    for (const p of presets) if (!(p in PRESETS)) throw new Error(`unknown preset ${p}: expected ${Object.keys(PRESETS).join('|')}`);
    // 16 is every gaitforge model's default training batch; the PyTorch reference measures 8 and 32
    const batches = (option(argv, '--batches') ?? (quick ? '8' : '8,16,32')).split(',').map(Number);
    if (batches.some((b) => !Number.isInteger(b) || b < 2)) throw new Error(`--batches ${option(argv, '--batches')}: expected integers ≥ 2, comma-separated`);
    clock = (option(argv, '--clock') ?? 'wall') as Clock;
    if (clock !== 'cpu' && clock !== 'wall') throw new Error(`--clock ${clock}: expected cpu|wall`);
    const native = backend.chosen === 'node' || backend.chosen === 'node-gpu';
    const threads = native ? 1 : Number(option(argv, '--threads') ?? availableParallelism());
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads ${option(argv, '--threads')}: expected a positive integer`);
    // PyTorch runs at every thread count up to this one (default: gaitforge's, at least the cores)
    const torchMaxThreads = Number(option(argv, '--torch-max-threads') ?? Math.max(threads, native ? availableParallelism() : threads));
    const compare = argv.includes('--compare-torch');
    const torchMissing = compare ? TorchReference.missing() : null;
    if (compare && torchMissing) console.error(`nn: --compare-torch: ${torchMissing}; printing gaitforge figures only`);
    const ref = compare && !torchMissing ? new TorchReference(torchScript(argv), path.join(repoRoot(), 'bench', 'torch_reference.py')) : null;
    let torchBlas: string | undefined;
    let blasInfo: TorchBlas | undefined;
    let refusal: string | null = null;
    let lossCheck: { maxRelDiff: number; against: string } | undefined;
    if (ref) {
      blasInfo = ref.blas(torchMaxThreads);
      torchBlas = torchBlasLabel(blasInfo);
      refusal = ratioRefusal(blasInfo);
      console.error(`nn: PyTorch's BLAS: ${torchBlas}`);
      if (refusal) console.error(`nn: ${refusal}`);
      lossCheck = ref.checkLosses();
      console.error(`nn: PyTorch's losses in the bench's environment against ${lossCheck.against}: largest relative difference ${lossCheck.maxRelDiff.toExponential(1)}`);
      if (!(lossCheck.maxRelDiff <= 1e-4)) console.error('nn: WARNING: the reference computes different losses in the bench\'s environment');
    }
    const rounds = Number(option(argv, '--rounds') ?? (quick ? 1 : 3));
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${option(argv, '--rounds')}: expected a positive integer`);
    const summary: string[] = [];
    const allRows: BenchRow[] = [];
    const emit = (row: BenchRow) => {
      allRows.push(row);
      report(row);
    };
    for (const preset of presets) {
      const kt = PRESETS[preset];
      // Rounds: the machine's speed drifts by tens of percent over minutes (a shared host), so
      // every figure is measured `rounds` times, PyTorch and gaitforge back to back in each
      // round, and the ratio to PyTorch is the median of the per-round ratios. The scaling
      // rows are paired within each round: one and N threads run interleaved in blocks (`rates`).
      const perRound: { torch?: { rows: TorchRow[]; note?: string }; n: Measured[] }[] = [];
      for (let r = 0; r < rounds; r++) {
        const label = rounds > 1 ? `, round ${r + 1}/${rounds}` : '';
        const torch = ref ? ref.best(preset, FRAMES, seconds, torchMaxThreads, clock === 'cpu') : undefined;
        console.error(`nn: measuring gaitforge on ${backend.chosen} (${preset}, ${threads} thread(s)${threads > 1 ? ' interleaved with 1' : ''}${label}) ...`);
        perRound.push({ torch, n: await measurePreset(kt, seconds, batches, threads) });
      }
      if (!native)
        for (const model of ['classifier', 'cvae'] as const)
          for (const bs of batches) {
            console.error(`nn: the engine against tf.train.adam, one thread (${preset}, ${model} b${bs}) ...`);
            const r = await engineVsTfAdam(model, FRAMES, kt, bs, seconds);
            emit({
              section: 'nn', name: `${model}/train-engine-vs-tfadam/${preset}/b${bs}`, value: r.engine / r.tfAdam, unit: '× (engine / tf.train.adam, 1 thread)',
              clock, backend: backend.chosen, preset, kt, batch: bs, threads: 1, samplesPerSEngine: r.engine, samplesPerSTfAdam: r.tfAdam,
            });
            summary.push(`${preset.padEnd(11)} ${`${model} train`.padEnd(20)} b${String(bs).padEnd(3)} engine vs tf.train.adam, 1 thread: ${r.engine.toFixed(1)} vs ${r.tfAdam.toFixed(1)} samples/s (×${(r.engine / r.tfAdam).toFixed(2)})`);
          }
      const peakN = peakRssMB();
      const torchNote = perRound.find((p) => p.torch?.note)?.torch?.note;
      const same = (a: { model: string; phase: string; batch: number }, b: { model: string; phase: string; batch: number }) =>
        a.model === b.model && a.phase === b.phase && a.batch === b.batch;
      for (const [i, m0] of perRound[0]!.n.entries()) {
        const ns = perRound.map((p) => p.n[i]!);
        const roundRates = ns.map((m) => m.samplesPerS);
        const samplesPerS = median(roundRates);
        const refs = perRound.map((p) => p.torch?.rows.find((t) => same(t, m0)));
        const hasRef = refs.every((t) => t !== undefined);
        const torchRates = hasRef ? refs.map((t) => t!.samples_per_s) : [];
        const ratios = hasRef ? roundRates.map((v, k) => v / torchRates[k]!) : [];
        const torchMedian = hasRef ? median(torchRates) : NaN;
        const ratioMedian = hasRef ? median(ratios) : NaN;
        const torchThreads = hasRef ? mode(refs.map((t) => t!.threads)) : undefined;
        const byThreads = hasRef ? refs[0]!.byThreads.map((_, t) => median(refs.map((r) => r!.byThreads[t]!))) : undefined;
        const withRatio = hasRef && !refusal;
        const note = hasRef && torchNote && m0.model === 'classifier' && m0.phase === 'train' ? torchNote : undefined;
        const rssStartMB = ns[0]!.rssStartMB;
        const rssPeakMB = Math.max(...ns.map((m) => m.rssPeakMB));
        emit({
          section: 'nn',
          name: `${m0.model}/${m0.phase}/${preset}/b${m0.batch}`,
          value: samplesPerS,
          unit: clock === 'cpu' ? 'samples/cpu-s' : 'samples/s',
          clock,
          backend: backend.chosen,
          preset, kt, frames: FRAMES, batch: m0.batch,
          threads: m0.threads,
          rounds, samplesPerSRounds: roundRates,
          flopsPerSample: m0.flopsPerSample,
          gflops: (m0.flopsPerSample * samplesPerS) / 1e9,
          peakRssMB: peakN,
          rssStartMB,
          rssPeakMB,
          ...(hasRef
            ? {
                torchSamplesPerS: torchMedian, torchSamplesPerSRounds: torchRates, torchThreads, torchThreadsRounds: refs.map((t) => t!.threads),
                torchSamplesPerSByThreads: byThreads, torchStable: refs.every((t) => t!.stable), torchBlas,
                ...(withRatio ? { ratioVsTorch: ratioMedian, ratioVsTorchRange: [Math.min(...ratios), Math.max(...ratios)] } : { ratioRefused: refusal }),
              }
            : {}),
          ...(note ? { torchNote: note } : {}),
        });
        const name = `${m0.model} ${m0.phase}`.padEnd(20);
        const ours = samplesPerS.toFixed(1).padStart(8);
        const theirs = hasRef ? torchMedian.toFixed(1).padStart(8) : '       -';
        const ratio = withRatio ? `${ratioMedian.toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`.padStart(17) : '-'.padStart(17);
        const gf = ((m0.flopsPerSample * samplesPerS) / 1e9).toFixed(1).padStart(6);
        const rss = `${rssStartMB.toFixed(0)}→${rssPeakMB.toFixed(0)}`.padStart(9);
        summary.push(`${preset.padEnd(11)} ${name} b${String(m0.batch).padEnd(3)} ${String(m0.threads).padStart(7)} ${ours} ${String(torchThreads ?? '-').padStart(12)} ${theirs} ${ratio} ${gf}  ${rss}${note ? '  (PyTorch without oneDNN)' : ''}`);
        if (threads === 1) continue;
        const ones1 = ns.map((m) => m.samplesPerS1!);
        const scalings = roundRates.map((v, k) => v / ones1[k]!);
        const scaling = median(scalings);
        const one = median(ones1);
        emit({
          section: 'nn', name: `${m0.model}/${m0.phase}-scaling/${preset}/b${m0.batch}`, value: scaling, unit: `× (${threads} threads vs 1)`,
          clock, backend: backend.chosen, preset, kt, batch: m0.batch, threads, rounds,
          samplesPerS1: one, samplesPerSN: samplesPerS, scalingRounds: scalings,
        });
        summary.push(`${preset.padEnd(11)} ${`${m0.model} ${m0.phase} scaling`.padEnd(20)} b${String(m0.batch).padEnd(3)} 1→${threads}: ${one.toFixed(1)} → ${samplesPerS.toFixed(1)} samples/s (×${scaling.toFixed(2)}${rounds > 1 ? `; rounds ${scalings.map((x) => x.toFixed(2)).join(' ')}` : ''})`);
      }
      // an E-Gait-sized STEP-Gen training (2,177 gaits × 150 epochs) at this preset's training batch
      const genBatch = GENERATOR_BATCH[preset];
      const cvae = allRows.find((r) => r.name === `cvae/train/${preset}/b${genBatch}`);
      if (cvae && clock === 'wall') {
        const hours = (E_GAIT_GAITS * E_GAIT_EPOCHS) / cvae.value / 3600;
        emit({
          section: 'nn', name: `estimate/e-gait-stepgen/${preset}`, value: hours, unit: 'h (2,177 gaits × 150 epochs)',
          preset, kt, batch: genBatch, threads, samplesPerS: cvae.value, gaits: E_GAIT_GAITS, epochs: E_GAIT_EPOCHS,
          ...(cvae['torchSamplesPerS'] ? { torchHours: (E_GAIT_GAITS * E_GAIT_EPOCHS) / (cvae['torchSamplesPerS'] as number) / 3600 } : {}),
        });
        summary.push(`${preset.padEnd(11)} E-Gait-sized STEP-Gen training (2,177 gaits × 150 epochs, b${genBatch}, ${threads} thread(s)): ${hours.toFixed(2)} h at ${cvae.value.toFixed(1)} samples/s`);
      }
    }
    console.error(`\nnn (${clock} clock, samples/${clock === 'cpu' ? 'CPU-s' : 's'}, ${backend.chosen}, peak RSS ${peakRssMB().toFixed(0)} MB${torchBlas ? `; PyTorch: ${torchBlas}` : ''}):`);
    console.error(`${'preset'.padEnd(11)} ${'phase'.padEnd(20)} ${'batch'} ${'threads'} ${'gaitforge'.padStart(8)} ${'torchThreads'} ${'PyTorch'.padStart(8)} ${'ratio'.padStart(6)} GFLOP/s  RSS MB (start→peak)`);
    for (const line of summary) console.error(line);
    if (refusal) console.error(`nn: ${refusal}`);
    if (ref && !argv.includes('--no-results')) {
      const results: SpeedResults = {
        command: `npm run bench -- ${argv.join(' ')}`,
        date: startedAt.toISOString(),
        finished: new Date().toISOString(),
        machine: machineInfo(),
        uptimeStart,
        uptimeEnd: uptimeLine(),
        backend: backend.chosen,
        clock,
        threads,
        torch: blasInfo ? { blas: torchBlas!, version: blasInfo.torchVersion, maxThreads: torchMaxThreads, lossCheck: lossCheck!, refusal } : null,
        rows: allRows,
      };
      const dir = option(argv, '--results-dir') ?? path.join(repoRoot(), 'docs', 'results');
      const written = writeSpeedResults(results, dir);
      console.error(`nn: results written to ${written.join(' and ')}`);
    }
  },
};

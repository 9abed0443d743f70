/**
 * Dataset I/O throughput: Parquet and Arrow IPC write/read MB/s of raw float
 * data (N × 75 × 16 × 3 float32) for 10,000 and 100,000 gaits, and the
 * 1,000,000-gait streaming Parquet write (peak RSS must stay under 1 GB).
 *
 * Every measurement runs in a fresh child process so its peak RSS (the
 * kernel's high-water mark) belongs to that measurement alone. The data are
 * 1,000 procedural gaits repeated with a different root offset per copy (so
 * no two rows hold the same bytes); files go to a temporary folder and are
 * deleted afterwards. `--quick`: 10,000 gaits and a 20,000-gait stream.
 * `--io-stream-gaits N` sets the size of the streaming write.
 * Rates are MB of raw float32 per wall-clock second (`value`) and per CPU
 * second of the process (`cpuMBps`, the one-core rate, robust to a busy machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GaitSet } from '../src/core/gaitset.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { openGaitWriter, readGaitFile, writeGaitFile, type GaitFileFormat } from '../src/io/index.js';
import type { BenchSection } from './common.js';

const T = 75;
const V = 16;
const PER = T * V * 3;
const CHILD_FLAG = '--io-bench-child';

type Task =
  | { kind: 'write'; format: GaitFileFormat; N: number; file: string }
  | { kind: 'read'; N: number; file: string }
  | { kind: 'stream'; N: number; file: string };

interface ChildResult {
  seconds: number;
  /** CPU seconds (user + system, all threads of the process) spent in the timed work. */
  cpuSeconds: number;
  peakRssMB: number;
  /** RSS once the input data were built, before the timed work. */
  baseRssMB: number;
  bytes: number;
  rows: number;
}

/** 1,000 procedural gaits (the base every benchmark set is tiled from). */
function baseSet(): GaitSet {
  return proceduralDataset({ identities: 25, perEmotion: 10, frames: T, seed: 11 });
}

/** Fills `out` with gaits [start, start + n) of the tiled data: base gait i mod 1000, root x offset by copy number. */
function fill(base: GaitSet, start: number, n: number, out: Float32Array): void {
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const src = base.gait(i % base.N);
    const dx = 0.013 * Math.floor(i / base.N);
    const dst = out.subarray(k * PER, (k + 1) * PER);
    dst.set(src);
    for (let o = 0; o < PER; o += 3) dst[o]! += dx;
  }
}

function tiled(base: GaitSet, start: number, n: number, positions = new Float32Array(n * PER)): GaitSet {
  fill(base, start, n, positions);
  const pick = <X>(a: ArrayLike<X>) => Array.from({ length: n }, (_, k) => a[(start + k) % base.N]!);
  return new GaitSet(
    {
      positions, T, V, fps: base.fps, labelNames: base.labelNames, labels: Int32Array.from(pick(base.labels)),
      ids: Array.from({ length: n }, (_, k) => `g${start + k}`), identity: pick(base.identity), source: Array(n).fill('synthetic'),
      generator: Array(n).fill('procedural'), seed: Array.from({ length: n }, (_, k) => start + k),
    },
    { validateValues: false },
  );
}

const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const peakMB = () => process.resourceUsage().maxRSS / 1024;

async function child(task: Task): Promise<ChildResult> {
  const base = baseSet();
  if (task.kind === 'write') {
    const set = tiled(base, 0, task.N);
    const baseRssMB = rssMB();
    const [t0, c0] = [performance.now(), cpu()];
    await writeGaitFile(task.file, set);
    const [seconds, cpuSeconds] = [(performance.now() - t0) / 1000, cpu() - c0];
    return { seconds, cpuSeconds, peakRssMB: peakMB(), baseRssMB, bytes: statSync(task.file).size, rows: set.N };
  }
  if (task.kind === 'read') {
    const baseRssMB = rssMB();
    const [t0, c0] = [performance.now(), cpu()];
    const set = await readGaitFile(task.file);
    const [seconds, cpuSeconds] = [(performance.now() - t0) / 1000, cpu() - c0];
    if (set.N !== task.N) throw new Error(`read ${set.N} gaits, expected ${task.N}`);
    return { seconds, cpuSeconds, peakRssMB: peakMB(), baseRssMB, bytes: statSync(task.file).size, rows: set.N };
  }
  // stream: batches of 1,000 gaits generated into one reused buffer, as a generator would
  const batch = 1000;
  const buffer = new Float32Array(batch * PER);
  const w = await openGaitWriter(task.file, { T, V, fps: base.fps, skeleton: base.skeleton, labelNames: base.labelNames });
  const baseRssMB = rssMB();
  let seconds = 0;
  let cpuSeconds = 0;
  const timed = async (fn: () => Promise<void>) => {
    const [t0, c0] = [performance.now(), cpu()];
    await fn();
    seconds += (performance.now() - t0) / 1000;
    cpuSeconds += cpu() - c0;
  };
  for (let start = 0; start < task.N; start += batch) {
    const set = tiled(base, start, Math.min(batch, task.N - start), buffer.subarray(0, Math.min(batch, task.N - start) * PER));
    await timed(() => w.append(set));
  }
  await timed(() => w.close());
  return { seconds, cpuSeconds, peakRssMB: peakMB(), baseRssMB, bytes: statSync(task.file).size, rows: w.rows };
}

function runChild(task: Task): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, CHILD_FLAG, JSON.stringify(task)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`io bench child ${task.kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

export const section: BenchSection = {
  name: 'io',
  describe: 'Parquet / Arrow write and read MB/s of raw float data, peak RSS, 1M-gait streaming Parquet write',
  async run({ quick, report, argv }) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-io-bench-'));
    try {
      const sizes = quick ? [10_000] : [10_000, 100_000];
      for (const N of sizes) {
        const rawMB = (N * PER * 4) / 1e6;
        for (const format of ['parquet', 'arrow'] as const) {
          const file = path.join(dir, `g${N}.${format}`);
          const w = runChild({ kind: 'write', format, N, file });
          report({
            section: 'io', name: `${format} write ${N}`, value: rawMB / w.seconds, unit: 'MB/s', cpuMBps: rawMB / w.cpuSeconds, seconds: w.seconds,
            rawMB, fileMB: w.bytes / 1e6, peakRssMB: w.peakRssMB, dataRssMB: w.baseRssMB,
          });
          const r = runChild({ kind: 'read', N, file });
          report({
            section: 'io', name: `${format} read ${N}`, value: rawMB / r.seconds, unit: 'MB/s', cpuMBps: rawMB / r.cpuSeconds, seconds: r.seconds,
            rawMB, peakRssMB: r.peakRssMB,
          });
          report({ section: 'io', name: `${format} peak RSS ${N} (write/read)`, value: Math.max(w.peakRssMB, r.peakRssMB), unit: 'MB', writeMB: w.peakRssMB, readMB: r.peakRssMB });
          rmSync(file, { force: true });
        }
      }
      const k = argv.indexOf('--io-stream-gaits');
      const N = k >= 0 ? Number(argv[k + 1]) : quick ? 20_000 : 1_000_000;
      const file = path.join(dir, `stream${N}.parquet`);
      const s = runChild({ kind: 'stream', N, file });
      const rawMB = (N * PER * 4) / 1e6;
      report({
        section: 'io', name: `parquet stream ${N} MB/s`, value: rawMB / s.seconds, unit: 'MB/s', cpuMBps: rawMB / s.cpuSeconds, seconds: s.seconds,
        rawMB, fileMB: s.bytes / 1e6,
      });
      report({ section: 'io', name: `parquet stream ${N} peak RSS`, value: s.peakRssMB, unit: 'MB', rssBeforeMB: s.baseRssMB, rows: s.rows });
      rmSync(file, { force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (process.argv[2] === CHILD_FLAG) {
  child(JSON.parse(process.argv[3]!) as Task).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e) => {
      process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
      process.exit(1);
    },
  );
}

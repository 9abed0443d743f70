/**
 * The PyTorch reference of the nn benchmark: ../shared/reference/torch_stgcn_bench.py run
 * unchanged through bench/torch_reference.py with Debian's /usr/bin/python3 (python3-torch).
 *
 * A reference worth comparing against:
 * - Debian's torch is built `BLAS_INFO=generic`: it runs on whatever `libblas.so.3` resolves to.
 *   On the netlib reference BLAS (package libblas3 alone) it is 2.5-7× slower than on OpenBLAS, so
 *   the bench reports the BLAS in every row (`torchBlas`) and prints no ratio unless it is
 *   OpenBLAS; it never installs anything, it prints the command.
 * - Each reference process gets `OPENBLAS_NUM_THREADS` and `OMP_NUM_THREADS` equal to its thread
 *   count (OpenBLAS's own threads would otherwise come on top of PyTorch's) and runs without
 *   `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` (a machine may pin them for numpy; OpenBLAS then
 *   picks its kernels for the processor it finds). `checkReferenceLosses` shows that this changes
 *   the speed, not the function.
 * - It runs at every thread count from 1 to N, and each phase is compared against its fastest
 *   (`torchThreads` says which): PyTorch's own two-thread figures are not always its best.
 * - The wrapper warms up and repeats the script's own measurement until two rounds agree within
 *   10% (at most 5): `torchStable` says whether they did.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TORCH_PYTHON = '/usr/bin/python3';

/** What the reference process reports about itself (`torch_reference.py --info`). */
export interface TorchBlas {
  torchVersion: string;
  /** torch's build setting BLAS_INFO ('generic' for Debian's: the BLAS is whatever libblas.so.3 resolves to). */
  buildBlas: string;
  libblas: string | null;
  libblasTarget: string | null;
  openblas: { config: string; core: string; threads: number; parallel: string; library: string } | null;
}

/** One phase of the reference at its best thread count. */
export interface TorchRow {
  model: string;
  phase: string;
  batch: number;
  /** The best samples/s over thread counts 1..N. */
  samples_per_s: number;
  /** The thread count that gave it. */
  threads: number;
  /** samples/s at each thread count, index 0 = 1 thread. */
  byThreads: number[];
  /** Whether the reference's own rounds agreed within 10% at every thread count. */
  stable: boolean;
}

/** The install command printed (never run) when the reference does not run on OpenBLAS. */
export const OPENBLAS_INSTALL = 'apt-get install -y libopenblas0-openmp';
export const OPENBLAS_WHY =
  "the OpenMP build shares PyTorch's OpenMP runtime, so BLAS calls inside PyTorch's parallel regions do not start threads of their own; " +
  'libopenblas0-pthread also works, with OPENBLAS_NUM_THREADS set per process as the bench does';

/** The environment of a reference process on `threads` threads: this process's, with the BLAS variables set or removed. */
export function referenceEnv(threads: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  env['OPENBLAS_NUM_THREADS'] = String(threads);
  env['OMP_NUM_THREADS'] = String(threads);
  return env;
}

export class TorchReference {
  /** `script`: the reference; `wrapper`: bench/torch_reference.py. */
  constructor(readonly script: string, readonly wrapper: string) {}

  /** Why the reference cannot run here, or null. */
  static missing(): string | null {
    if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} not found (apt-get install -y python3-torch)`;
    const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    return r.status === 0 ? null : `${TORCH_PYTHON} cannot import torch (apt-get install -y python3-torch)`;
  }

  private run(args: string[], env: NodeJS.ProcessEnv): string[] {
    const r = spawnSync(TORCH_PYTHON, [this.wrapper, '--script', this.script, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`PyTorch reference failed (${r.error?.message ?? r.signal ?? r.status}): ${(r.stderr ?? '').slice(-500)}`);
    return r.stdout.split('\n').filter((l) => l.startsWith('{'));
  }

  /** torch's version and BLAS as the reference process on `threads` threads sees them. */
  blas(threads: number): TorchBlas {
    return JSON.parse(this.run(['--info', '--threads', String(threads)], referenceEnv(threads))[0]!) as TorchBlas;
  }

  /**
   * Losses of 3 seeded Adam steps of both reference models in the bench's environment against
   * those with the variables set (OPENBLAS_CORETYPE as this machine sets it, else Haswell;
   * OPENBLAS_L2_SIZE as set; thread variables unset): the largest relative difference.
   */
  checkLosses(): { maxRelDiff: number; against: string } {
    const pinned = { ...process.env };
    pinned['OPENBLAS_CORETYPE'] ??= 'Haswell';
    delete pinned['OPENBLAS_NUM_THREADS'];
    delete pinned['OMP_NUM_THREADS'];
    const against = `OPENBLAS_CORETYPE=${pinned['OPENBLAS_CORETYPE']}${pinned['OPENBLAS_L2_SIZE'] ? ` OPENBLAS_L2_SIZE=${pinned['OPENBLAS_L2_SIZE']}` : ''}, thread variables unset`;
    const read = (env: NodeJS.ProcessEnv) => JSON.parse(this.run(['--losses', '--threads', '1'], env)[0]!) as Record<string, number[]>;
    const a = read(referenceEnv(1));
    const b = read(pinned);
    let maxRelDiff = 0;
    for (const k of ['classifier', 'cvae'])
      a[k]!.forEach((v, i) => (maxRelDiff = Math.max(maxRelDiff, Math.abs(v - b[k]![i]!) / Math.max(1e-12, Math.abs(b[k]![i]!)))));
    return { maxRelDiff, against };
  }

  /** The reference's rows at one thread count (see torch_reference.py). */
  private rowsAt(preset: string, frames: number, seconds: number, threads: number, cpuClock: boolean, oneDnnOff: boolean) {
    const args = ['--preset', preset, '--frames', String(frames), '--seconds', String(seconds), '--threads', String(threads)];
    if (cpuClock) args.push('--cpu-clock');
    if (oneDnnOff) args.push('--onednn-off-classifier-train');
    const rows: { model: string; phase: string; batch: number; samples_per_s: number; stable: boolean }[] = [];
    let stable = true;
    for (const line of this.run(args, referenceEnv(threads))) {
      const o = JSON.parse(line) as { wrapper?: string; stable?: boolean; phase?: string; model: string; batch: number; samples_per_s: number };
      if (o.wrapper === 'rate') stable = o.stable ?? false;
      else if (o.phase) rows.push({ model: o.model, phase: o.phase, batch: o.batch, samples_per_s: o.samples_per_s, stable });
    }
    return rows;
  }

  /**
   * Every phase at its fastest thread count in 1..maxThreads. Debian's torch 1.13 dies
   * (SIGBUS/SIGSEGV) in oneDNN's backward of the stride-2, kernel-75 convolution of the
   * step-paper classifier; then classifier training is measured with oneDNN off (`note`).
   */
  best(preset: string, frames: number, seconds: number, maxThreads: number, cpuClock: boolean): { rows: TorchRow[]; note?: string } {
    let note: string | undefined;
    const perThreads: ReturnType<TorchReference['rowsAt']>[] = [];
    for (let t = 1; t <= maxThreads; t++) {
      console.error(`nn: running the PyTorch reference (${preset}, ${t} thread(s), ${seconds} s a round) ...`);
      try {
        perThreads.push(this.rowsAt(preset, frames, seconds, t, cpuClock, note !== undefined));
      } catch (e) {
        if (note !== undefined) throw e;
        note = `classifier training without oneDNN: with it the reference failed (${(e as Error).message.split('\n')[0]})`;
        console.error(`nn: ${note}; rerunning it with oneDNN off for classifier training`);
        perThreads.push(this.rowsAt(preset, frames, seconds, t, cpuClock, true));
      }
    }
    const rows = perThreads[0]!.map((r0, i) => {
      const all = perThreads.map((rs) => rs[i]!);
      const byThreads = all.map((r) => r.samples_per_s);
      const k = byThreads.indexOf(Math.max(...byThreads));
      return { model: r0.model, phase: r0.phase, batch: r0.batch, samples_per_s: byThreads[k]!, threads: k + 1, byThreads, stable: all.every((r) => r.stable) };
    });
    return { rows, note };
  }
}

/** One line naming the reference's BLAS, e.g. "OpenBLAS 0.3.21 (pthread, Cooperlake) via …/libblas.so.3; torch 1.13 BLAS_INFO=generic". */
export function torchBlasLabel(b: TorchBlas): string {
  const lib = b.libblasTarget ?? b.libblas ?? 'no libblas.so.3 mapped';
  const what = b.openblas
    ? `${b.openblas.config.split(' ').slice(0, 2).join(' ')} (${b.openblas.parallel}, ${b.openblas.core}) via ${lib}`
    : `not OpenBLAS: ${lib}${/\/blas\/libblas\.so/.test(lib) ? ' (the netlib reference BLAS)' : ''}`;
  return `${what}; torch ${b.torchVersion} BLAS_INFO=${b.buildBlas}`;
}

/** Why no ratio may be printed against this reference, or null when it runs on OpenBLAS. */
export function ratioRefusal(b: TorchBlas): string | null {
  if (b.openblas) return null;
  return `PyTorch runs on ${b.libblasTarget ?? b.libblas ?? 'an unknown BLAS'}, not OpenBLAS (Debian's torch is built BLAS_INFO=generic: ` +
    `on the netlib reference BLAS it runs 2.5-7× slower), so no ratio is printed. Install OpenBLAS: ${OPENBLAS_INSTALL} (${OPENBLAS_WHY})`;
}

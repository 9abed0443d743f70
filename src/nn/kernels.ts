/**
 * Column-reduction kernels for the wasm and cpu backends, in TypeScript over
 * the backend's own Float32Arrays (on wasm: views of the heap), registered
 * with `tf.registerKernel`. tfjs has no one-pass kernel for batch norm's
 * per-channel statistics (Σx and Σx², Σg and Σg·x): its Sum transposes first
 * and a ones-row matMul repacks the whole tensor. Backends without these
 * kernels (webgl, tfjs-node) take ops.ts's composite path, same values.
 */
import * as tf from '@tensorflow/tfjs';
import { scratchOn, simdKernels, type SimdKernels, type WasmHeap } from './simd.js';

type Arr = Float32Array;
interface Info { dataId: object; shape: number[]; dtype: tf.DataType }
interface Io {
  read(t: Info): Arr;
  out(shape: number[]): { info: Info; data: () => Arr };
  /**
   * The wasm SIMD kernels (simd.ts) and the backend's heap, or null (cpu backend, no SIMD, or
   * switched off). Pointers are byte offsets of tensors on that heap: take them after every
   * allocation of the kernel (an allocation may grow the heap and detach earlier views).
   */
  simd: { k: SimdKernels; ptr(t: Info): number; scratch(bytes: number): number; buffer(): ArrayBuffer } | null;
}

const BACKENDS = ['wasm', 'cpu'] as const;

/** Typed-array access for one backend instance. */
function io(backendName: string, backend: unknown): Io {
  if (backendName === 'wasm') {
    const b = backend as { typedArrayFromHeap(t: Info): Arr; makeOutput(shape: number[], dtype: tf.DataType): Info; wasm: WasmHeap };
    const k = simdEnabled ? simdKernels(b.wasm) : null;
    return {
      read: (t) => b.typedArrayFromHeap(t),
      out: (shape) => {
        const info = b.makeOutput(shape, 'float32');
        return { info, data: () => b.typedArrayFromHeap(info) };
      },
      simd: k && {
        k,
        ptr: (t) => b.typedArrayFromHeap(t).byteOffset,
        scratch: (bytes) => scratchOn(b.wasm, bytes),
        buffer: () => b.wasm.asm.memory.buffer,
      },
    };
  }
  const b = backend as { data: { get(id: object): { values: Arr } }; makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Arr): Info };
  return {
    read: (t) => b.data.get(t.dataId).values,
    out: (shape) => {
      const values = new Float32Array(shape.reduce((a, c) => a * c, 1));
      return { info: b.makeTensorInfo(shape, 'float32', values), data: () => values };
    },
    simd: null,
  };
}

let simdEnabled = true;
let simdBatchNorm = true;

/**
 * Switches the wasm SIMD versions of the kernels (simd.ts) off (or back on);
 * `part` 'batch-norm' switches only the fused batch-norm kernels (BN_STATS,
 * BN_APPLY, BN_GRAD_STATS, BN_GRAD). For tests and A/B comparisons.
 */
export function setSimdKernels(on: boolean, part: 'all' | 'batch-norm' = 'all'): void {
  if (part === 'all') simdEnabled = on;
  simdBatchNorm = on;
}

export const COLUMN_SUMS = 'GaitforgeColumnSums';
export const COLUMN_DOTS = 'GaitforgeColumnDots';

/**
 * Σ_r a[r, j] and Σ_r a[r, j]·b[r, j] for a, b: [M, C] (b = a gives the sum
 * of squares), float64 accumulators. Channels go in blocks of 4 with the
 * accumulators in locals, which V8 keeps in registers.
 */
function columnDots(a: Arr, b: Arr | null, m: number, c: number, sums: Float64Array, dots: Float64Array | null): void {
  const n = m * c;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    if (b && dots) {
      for (let o = j; o < n; o += c) {
        const v0 = a[o]!, v1 = a[o + 1]!, v2 = a[o + 2]!, v3 = a[o + 3]!;
        s0 += v0; s1 += v1; s2 += v2; s3 += v3;
        d0 += v0 * b[o]!; d1 += v1 * b[o + 1]!; d2 += v2 * b[o + 2]!; d3 += v3 * b[o + 3]!;
      }
      dots[j] = d0; dots[j + 1] = d1; dots[j + 2] = d2; dots[j + 3] = d3;
    } else {
      for (let o = j; o < n; o += c) {
        s0 += a[o]!; s1 += a[o + 1]!; s2 += a[o + 2]!; s3 += a[o + 3]!;
      }
    }
    sums[j] = s0; sums[j + 1] = s1; sums[j + 2] = s2; sums[j + 3] = s3;
  }
  for (; j < c; j++) {
    let s0 = 0, d0 = 0;
    for (let o = j; o < n; o += c) {
      s0 += a[o]!;
      if (b) d0 += a[o]! * b[o]!;
    }
    sums[j] = s0;
    if (dots) dots[j] = d0;
  }
}

/**
 * columnDots on the wasm SIMD kernel when it applies (wasm, C a multiple of 4): sums (and dots)
 * into `sums` (`dots`); false when it does not apply.
 */
function simdColumnDots(b: Io, a: Info, bb: Info, m: number, c: number, sums: Float64Array, dots: Float64Array | null, mask?: Info): boolean {
  if (!b.simd || c % 4 !== 0) return false;
  const { k, scratch, ptr, buffer } = b.simd;
  const acc = scratch(24 * c); // 2c float32 accumulators, then 2c float64 totals
  if (mask) k.columnDotsMasked(ptr(a), ptr(bb), m, c, acc, acc + 8 * c, ptr(mask)); // a counts where mask > 0
  else k.columnDots(ptr(a), ptr(bb), m, c, acc, acc + 8 * c);
  const tot = new Float64Array(buffer(), acc + 8 * c, 2 * c);
  sums.set(tot.subarray(0, c));
  dots?.set(tot.subarray(c));
  return true;
}

/** Σ over rows of x: [M, C] → [C]. */
function columnSumsKernel(name: string) {
  return ({ inputs, backend }: { inputs: Record<string, Info>; backend: unknown }) => {
    const b = io(name, backend);
    const [m, c] = inputs['x']!.shape as [number, number];
    const out = b.out([c]);
    const s = new Float64Array(c);
    if (!simdColumnDots(b, inputs['x']!, inputs['x']!, m, c, s, null)) columnDots(b.read(inputs['x']!), null, m, c, s, null);
    out.data().set(s);
    return out.info;
  };
}

/** a, b: [M, C] → [Σ_r a, Σ_r a·b]: [C] each (b omitted: b = a). */
function columnDotsKernel(name: string) {
  return ({ inputs, backend }: { inputs: Record<string, Info>; backend: unknown }) => {
    const b = io(name, backend);
    const [m, c] = inputs['a']!.shape as [number, number];
    const sOut = b.out([c]);
    const dOut = b.out([c]);
    const s = new Float64Array(c);
    const d = new Float64Array(c);
    if (!simdColumnDots(b, inputs['a']!, inputs['b'] ?? inputs['a']!, m, c, s, d)) {
      const a = b.read(inputs['a']!);
      columnDots(a, inputs['b'] ? b.read(inputs['b']) : a, m, c, s, d);
    }
    sOut.data().set(s);
    dOut.data().set(d);
    return [sOut.info, dOut.info];
  };
}

export const SLOT_MIX = 'GaitforgeSlotMix';
export const SLOT_MIX_WEIGHT_GRAD = 'GaitforgeSlotMixWeightGrad';

/**
 * Sparse mixing of channel slots, the graph convolution's joint aggregation:
 * x: [R, sIn·C] → y: [R, sOut·C], y[r, dst_t, :] += w_t · x[r, src_t, :] over
 * the nnz entries t of a sparse adjacency (46 of the 768 entries of the
 * 16-joint K = 3 partition graph), so it costs nnz·R·C multiply-adds instead
 * of the dense matMul's sIn·sOut·R·C and needs no transposes.
 * attrs: src, dst (slot indices), sIn, sOut, c.
 */
function slotMixKernel(name: string) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const b = io(name, backend);
    const src = attrs['src'] as number[];
    const dst = attrs['dst'] as number[];
    const sIn = attrs['sIn'] as number;
    const sOut = attrs['sOut'] as number;
    const c = attrs['c'] as number;
    const rows = inputs['x']!.shape[0]!;
    const out = b.out([rows, sOut * c]);
    const x = b.read(inputs['x']!);
    const w = b.read(inputs['w']!);
    const y = out.data();
    // entries grouped by output slot (CSR), so each output is written once from its 1-4 sources
    const nnz = src.length;
    const order = Array.from({ length: nnz }, (_, t) => t).sort((p, q) => dst[p]! - dst[q]!);
    const ptr = new Int32Array(sOut + 1);
    for (const t of order) ptr[dst[t]! + 1]!++;
    for (let d = 0; d < sOut; d++) ptr[d + 1]! += ptr[d]!;
    const gsrc = Int32Array.from(order, (t) => src[t]! * c);
    const gw = Float32Array.from(order, (t) => w[t]!);
    if (b.simd && c % 4 === 0) {
      // CSR pointers, source offsets (bytes) and weights on the heap, then the SIMD loop
      const sp = b.simd.scratch(4 * (sOut + 1 + 2 * nnz));
      const ints = new Int32Array(b.simd.buffer(), sp, sOut + 1 + nnz);
      ints.set(ptr);
      ints.set(gsrc.map((o) => 4 * o), sOut + 1);
      new Float32Array(b.simd.buffer(), sp + 4 * (sOut + 1 + nnz), nnz).set(gw);
      b.simd.k.slotMix(b.simd.ptr(inputs['x']!), b.simd.ptr(out.info), rows, sIn, sOut, c, sp, sp + 4 * (sOut + 1), sp + 4 * (sOut + 1 + nnz));
      return out.info;
    }
    for (let r = 0; r < rows; r++) {
      const xr = r * sIn * c;
      const yr = r * sOut * c;
      for (let d = 0; d < sOut; d++) {
        const s0 = ptr[d]!;
        const n = ptr[d + 1]! - s0;
        const yo = yr + d * c;
        if (n === 0) {
          y.fill(0, yo, yo + c);
          continue;
        }
        const a0 = xr + gsrc[s0]!, w0 = gw[s0]!;
        if (n === 1) {
          for (let f = 0; f < c; f++) y[yo + f] = w0 * x[a0 + f]!;
          continue;
        }
        const a1 = xr + gsrc[s0 + 1]!, w1 = gw[s0 + 1]!;
        if (n === 2) {
          for (let f = 0; f < c; f++) y[yo + f] = w0 * x[a0 + f]! + w1 * x[a1 + f]!;
          continue;
        }
        const a2 = xr + gsrc[s0 + 2]!, w2 = gw[s0 + 2]!;
        if (n === 3) {
          for (let f = 0; f < c; f++) y[yo + f] = w0 * x[a0 + f]! + w1 * x[a1 + f]! + w2 * x[a2 + f]!;
          continue;
        }
        const a3 = xr + gsrc[s0 + 3]!, w3 = gw[s0 + 3]!;
        for (let f = 0; f < c; f++) y[yo + f] = w0 * x[a0 + f]! + w1 * x[a1 + f]! + w2 * x[a2 + f]! + w3 * x[a3 + f]!;
        for (let t = s0 + 4; t < s0 + n; t++) {
          const at = xr + gsrc[t]!, wt = gw[t]!;
          for (let f = 0; f < c; f++) y[yo + f]! += wt * x[at + f]!;
        }
      }
    }
    return out.info;
  };
}

/** Gradient of the slot weights: dw_t = Σ_r Σ_f x[r, src_t, f] · dy[r, dst_t, f]. */
function slotMixWeightGradKernel(name: string) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const b = io(name, backend);
    const src = attrs['src'] as number[];
    const dst = attrs['dst'] as number[];
    const sIn = attrs['sIn'] as number;
    const sOut = attrs['sOut'] as number;
    const c = attrs['c'] as number;
    const rows = inputs['x']!.shape[0]!;
    const out = b.out([src.length]);
    const x = b.read(inputs['x']!);
    const dy = b.read(inputs['dy']!);
    const nnz = src.length;
    if (b.simd && c % 4 === 0) {
      const sp = b.simd.scratch(16 * nnz); // float64 totals, then src and dst slots
      const ints = new Int32Array(b.simd.buffer(), sp + 8 * nnz, 2 * nnz);
      ints.set(src);
      ints.set(dst, nnz);
      b.simd.k.slotMixWeightGrad(b.simd.ptr(inputs['x']!), b.simd.ptr(inputs['dy']!), rows, sIn, sOut, c, sp + 8 * nnz, sp + 12 * nnz, nnz, sp);
      out.data().set(new Float64Array(b.simd.buffer(), sp, nnz));
      return out.info;
    }
    const acc = new Float64Array(nnz);
    for (let r = 0; r < rows; r++) {
      const xr = r * sIn * c;
      const yr = r * sOut * c;
      for (let t = 0; t < nnz; t++) {
        const xo = xr + src[t]! * c;
        const yo = yr + dst[t]! * c;
        let d = 0;
        for (let f = 0; f < c; f++) d += x[xo + f]! * dy[yo + f]!;
        acc[t]! += d;
      }
    }
    out.data().set(acc);
    return out.info;
  };
}

export const BN_APPLY = 'GaitforgeBatchNormApply';
export const BN_GRAD = 'GaitforgeBatchNormGrad';

/**
 * Batch norm's element-wise passes in one SIMD pass each (wasm only, C % 4 == 0: see
 * hasSimdKernels). Apply: x: [M, C], scale, shift: [C] → x·scale + shift (ReLU'd when
 * attrs.relu), the same float32 operations in the same order as tfjs's mul, add and relu.
 * Grad: dy, x: [M, C] (and y, the output, when relu), scale, a, b: [C] → g·scale − x·a − b
 * with g = dy where y > 0 (relu) or dy, as the composite path computes it.
 */
function bnKernel(name: string, grad: boolean) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const b = io(name, backend);
    const [m, c] = inputs['x']!.shape as [number, number];
    const out = b.out([m, c]);
    const { k, ptr } = b.simd!; // pointers after the output's allocation
    const at = (key: string) => (inputs[key] ? ptr(inputs[key]) : 0);
    const relu = Boolean(attrs['relu']);
    if (grad) (relu ? k.bnGradRelu : k.bnGrad)(at('dy'), at('y'), at('x'), at('scale'), at('a'), at('b'), ptr(out.info), m, c);
    else (relu ? k.bnApplyRelu : k.bnApply)(at('x'), at('scale'), at('shift'), ptr(out.info), m, c);
    return out.info;
  };
}

export const BN_STATS = 'GaitforgeBatchNormStats';
export const BN_GRAD_STATS = 'GaitforgeBatchNormGradStats';

/**
 * Batch norm's per-channel arithmetic in one kernel each way, in float64 (wasm SIMD only: see
 * hasSimdKernels), instead of about ten tfjs kernels on [C]-vectors each way.
 * Stats: x: [M, C], gamma, beta: [C], attrs eps → mean, variance (biased), inv = 1/√(variance + eps),
 * scale = γ·inv, shift = β − mean·scale: [C] each.
 * Grad stats: dy, x: [M, C] (y with attrs relu: dy counts where y > 0), mean, inv, scale: [C] →
 * dgamma = inv·(Σg·x − mean·Σg), a = scale·inv·dgamma / M, b = scale·Σg / M − a·mean, dbeta = Σg.
 */
function bnStatsKernel(name: string, grad: boolean) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const b = io(name, backend);
    const [m, c] = inputs['x']!.shape as [number, number];
    const outs = Array.from({ length: grad ? 4 : 5 }, () => b.out([c]));
    const sums = new Float64Array(c);
    const dots = new Float64Array(c);
    simdColumnDots(b, inputs[grad ? 'dy' : 'x']!, inputs['x']!, m, c, sums, dots, grad && attrs['relu'] ? inputs['y'] : undefined);
    const o = outs.map((t) => t.data()); // views after every allocation
    if (!grad) {
      const eps = attrs['eps'] as number;
      const gamma = b.read(inputs['gamma']!);
      const beta = b.read(inputs['beta']!);
      for (let j = 0; j < c; j++) {
        const mean = sums[j]! / m;
        const variance = Math.max(0, dots[j]! / m - mean * mean);
        const inv = 1 / Math.sqrt(variance + eps);
        const scale = gamma[j]! * inv;
        o[0]![j] = mean;
        o[1]![j] = variance;
        o[2]![j] = inv;
        o[3]![j] = scale;
        o[4]![j] = beta[j]! - mean * scale;
      }
    } else {
      const mean = b.read(inputs['mean']!);
      const inv = b.read(inputs['inv']!);
      const scale = b.read(inputs['scale']!);
      for (let j = 0; j < c; j++) {
        const dgamma = inv[j]! * (dots[j]! - mean[j]! * sums[j]!);
        const a = (scale[j]! * inv[j]! * dgamma) / m;
        o[0]![j] = dgamma;
        o[1]![j] = a;
        o[2]![j] = (scale[j]! * sums[j]!) / m - a * mean[j]!;
        o[3]![j] = sums[j]!;
      }
    }
    return outs.map((t) => t.info);
  };
}

export const INTERLEAVE_TIME = 'GaitforgeInterleaveTime';

/**
 * The stride-s temporal interleave of the phases of a strided convolution's
 * input gradient, cropped: phases p_r: [N, Q, R] (R = V·C) → y: [N, tIn, R]
 * with y[n, t] = p_{(t+padL) mod s}[n, floor((t+padL) / s)]. One copy of
 * each output row, instead of tfjs's stack (a copy) and a 4-D slice (which
 * wasm copies one innermost row at a time). attrs: s, padL, tIn.
 */
function interleaveTimeKernel(name: string) {
  return ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: Record<string, unknown> }) => {
    const b = io(name, backend);
    const s = attrs['s'] as number;
    const padL = attrs['padL'] as number;
    const tIn = attrs['tIn'] as number;
    const [n, q, r] = inputs['p0']!.shape as [number, number, number];
    const out = b.out([n, tIn, r]);
    const phases = Array.from({ length: s }, (_, i) => b.read(inputs[`p${i}`]!));
    const y = out.data();
    for (let a = 0; a < n; a++)
      for (let t = 0; t < tIn; t++) {
        const u = t + padL;
        const src = (a * q + Math.floor(u / s)) * r;
        y.set(phases[u % s]!.subarray(src, src + r), (a * tIn + t) * r);
      }
    return out.info;
  };
}

/**
 * Identity on wasm without a copy: the output shares the input's memory (its
 * reference count raised), as the cpu backend's Identity does. tfjs clones
 * every tensor a gradient saves for the backward pass, and wasm's stock
 * Identity copies each one. Safe because backend memory is never written
 * after a kernel produced it (variables take new memory on `assign`).
 */
function sharingIdentity({ inputs, backend }: { inputs: Record<string, Info>; backend: unknown }): Info {
  const x = inputs['x']!;
  (backend as { incRef(id: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let registered = false;

/** Registers the kernels (idempotent); called on first use. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: sharingIdentity as unknown as tf.KernelFunc });
  for (const name of BACKENDS) {
    const add = (kernelName: string, kernelFunc: unknown) => {
      if (!tf.getKernel(kernelName, name)) tf.registerKernel({ kernelName, backendName: name, kernelFunc: kernelFunc as tf.KernelFunc });
    };
    add(COLUMN_SUMS, columnSumsKernel(name));
    add(COLUMN_DOTS, columnDotsKernel(name));
    add(SLOT_MIX, slotMixKernel(name));
    add(SLOT_MIX_WEIGHT_GRAD, slotMixWeightGradKernel(name));
    add(INTERLEAVE_TIME, interleaveTimeKernel(name));
    if (name === 'wasm') {
      add(BN_APPLY, bnKernel(name, false));
      add(BN_GRAD, bnKernel(name, true));
      add(BN_STATS, bnStatsKernel(name, false));
      add(BN_GRAD_STATS, bnStatsKernel(name, true));
    }
  }
}

let enabled = true;

/**
 * Switches the kernels off (or back on) for every backend, so the composite
 * path that webgl and tfjs-node take can be exercised on wasm and cpu.
 */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/** True when the active backend has the fused kernels (and they are not switched off). */
export function hasFusedKernels(): boolean {
  registerKernels();
  return enabled && (BACKENDS as readonly string[]).includes(tf.getBackend());
}

/**
 * True when the active backend runs batch norm's fused SIMD passes (simd.ts) on rows of `c`
 * floats: wasm, fused kernels on, SIMD on and available, c a multiple of 4.
 */
export function hasSimdKernels(c: number): boolean {
  if (c % 4 !== 0 || !simdEnabled || !simdBatchNorm || !hasFusedKernels() || tf.getBackend() !== 'wasm') return false;
  return simdKernels((tf.backend() as unknown as { wasm: WasmHeap }).wasm) !== null;
}

/** Runs a registered kernel on the active backend; tensors are tracked by the engine like any op's. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor | tf.Tensor[];
}

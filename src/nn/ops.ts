/**
 * Differentiable primitives with hand-written gradients, built only from
 * kernels that are fast on every tfjs backend (conv2d forward, matMul without
 * transpose flags, transpose, reshape): on wasm, conv2d has no filter-gradient
 * kernel and a naive input-gradient one, and the stock matMul gradient's
 * transpose flags take a far slower path than transposing first.
 * Layout: channels last. A temporal convolution runs along T of [N, T, V, C]
 * with a kernel [kt, 1, Cin, Cout], "same" padding floor((kt-1)/2) in front
 * and output length ceil(T / stride) (PyTorch's `padding=(kt-1)//2` for odd kt).
 * Every function returns new tensors that the caller disposes.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_APPLY, BN_GRAD, BN_GRAD_STATS, BN_STATS, COLUMN_DOTS, COLUMN_SUMS, hasFusedKernels, hasSimdKernels, INTERLEAVE_TIME, runKernel, SLOT_MIX, SLOT_MIX_WEIGHT_GRAD } from './kernels.js';

type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
type SaveFn = (t: tf.Tensor[]) => void;
type CustomBody = (...args: (tf.Tensor | SaveFn)[]) => { value: tf.Tensor; gradFunc: GradFn };
const customGrad = (f: CustomBody) => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * aᵀ·dy for a: [M, K], dy: [M, N] (a weight gradient: M is large). The wasm
 * matMul repacks its right operand on every call, which for M in the
 * thousands costs more than the product, so the smaller of a and dy goes on
 * the right: K ≥ N: transpose(a)·dy; K < N: transpose(transpose(dy)·a).
 */
function weightGrad(a: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] >= dy.shape[1]) return tf.matMul(tf.transpose(a), dy);
  return tf.transpose(tf.matMul(tf.transpose(dy), a)) as tf.Tensor2D;
}

const mm = customGrad((a, b, save) => {
  (save as SaveFn)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sb!) as tf.Tensor2D),
      weightGrad(sa as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
});

/**
 * a: [M, K] × b: [K, N] → [M, N]. The gradients multiply operands that were
 * transposed first (no transpose flags). Caller disposes the result.
 */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return mm(a, b) as tf.Tensor2D;
}

/**
 * x: [..., Cin] × w: [Cin, Cout] (+ bias [Cout]) → [..., Cout]: a 1×1
 * convolution / dense layer over the last axis, as one 2-D matMul.
 * Caller disposes the result.
 */
export function denseLastAxis(x: tf.Tensor, w: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const cin = x.shape[x.shape.length - 1]!;
  const cout = w.shape[1];
  const y2 = matMul2d(x.reshape([-1, cin]) as tf.Tensor2D, w);
  const y = bias ? addBias(y2, bias) : y2;
  return y.reshape([...x.shape.slice(0, -1), cout]);
}

/**
 * A sparse mixing pattern between channel slots: entry t moves slot src[t]
 * of the input to slot dst[t] of the output with weight w[t] (see `graphMix`).
 */
export interface MixPattern {
  src: number[];
  dst: number[];
  sIn: number;
  sOut: number;
}

/** The same pattern run backwards (its adjoint). */
export function transposePattern(p: MixPattern): MixPattern {
  return { src: p.dst, dst: p.src, sIn: p.sOut, sOut: p.sIn };
}

const mixOps = new Map<MixPattern, Map<number, (x: tf.Tensor, w: tf.Tensor) => tf.Tensor>>();

/** Dense [sIn, sOut] matrix of a pattern, differentiable in w (fallback path). */
function denseMix(p: MixPattern, w: tf.Tensor1D): tf.Tensor2D {
  const sel = new Float32Array(p.sIn * p.sOut * p.src.length);
  p.src.forEach((s, t) => (sel[(s * p.sOut + p.dst[t]!) * p.src.length + t] = 1));
  return matMul2d(tf.tensor2d(sel, [p.sIn * p.sOut, p.src.length]), w.reshape([-1, 1]) as tf.Tensor2D).reshape([p.sIn, p.sOut]) as tf.Tensor2D;
}

/**
 * Sparse graph mixing: x: [R, sIn, C], w: [nnz] → y: [R, sOut, C] with
 * y[r, dst_t, :] = Σ_t w_t · x[r, src_t, :]. On wasm/cpu a sparse kernel
 * (nnz·R·C multiply-adds, no transposes); elsewhere a dense matMul.
 * Differentiable in x and w. Caller disposes.
 */
export function graphMix(x: tf.Tensor3D, w: tf.Tensor1D, p: MixPattern): tf.Tensor3D {
  const [r, sIn, c] = x.shape;
  if (sIn !== p.sIn) throw new RangeError(`graphMix: x has ${sIn} slots, the pattern ${p.sIn}`);
  if (!hasFusedKernels()) {
    const xt = tf.transpose(x, [0, 2, 1]).reshape([r * c, sIn]) as tf.Tensor2D;
    return tf.transpose(matMul2d(xt, denseMix(p, w)).reshape([r, c, p.sOut]), [0, 2, 1]) as tf.Tensor3D;
  }
  let byC = mixOps.get(p);
  if (!byC) mixOps.set(p, (byC = new Map()));
  let op = byC.get(c);
  if (!op) {
    const fwd = { ...p, c };
    const adj = { ...transposePattern(p), c };
    op = customGrad((xx, ww, save) => {
      (save as SaveFn)([xx as tf.Tensor, ww as tf.Tensor]);
      return {
        value: runKernel(SLOT_MIX, { x: xx as tf.Tensor, w: ww as tf.Tensor }, fwd) as tf.Tensor,
        gradFunc: (dy, [sx, sw]) => [
          runKernel(SLOT_MIX, { x: dy, w: sw! }, adj) as tf.Tensor,
          runKernel(SLOT_MIX_WEIGHT_GRAD, { x: sx!, dy }, fwd) as tf.Tensor,
        ],
      };
    });
    byC.set(c, op);
  }
  return op(x.reshape([r, sIn * c]), w).reshape([r, p.sOut, c]) as tf.Tensor3D;
}

/** Geometry of a temporal convolution: input length, kernel, stride, padding, output length. */
export interface TemporalGeometry {
  tIn: number;
  kt: number;
  stride: number;
  padL: number;
  padR: number;
  tOut: number;
}

/** "same" geometry: output ceil(tIn / stride), floor((kt-1)/2) zeros before the sequence. */
export function temporalGeometry(tIn: number, kt: number, stride: number): TemporalGeometry {
  const tOut = Math.ceil(tIn / stride);
  const padL = Math.floor((kt - 1) / 2);
  const padR = Math.max(0, (tOut - 1) * stride + kt - tIn - padL);
  return { tIn, kt, stride, padL, padR, tOut };
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
const padT = (l: number, r: number): Pad4 => [[0, 0], [l, r], [0, 0], [0, 0]];

/** x: [N, tIn, V, Ci], w: [kt, 1, Ci, Co] → [N, tOut, V, Co] (forward kernel only). */
function convForward(x: tf.Tensor4D, w: tf.Tensor4D, g: TemporalGeometry): tf.Tensor4D {
  return tf.conv2d(x, w, [g.stride, 1], padT(g.padL, g.padR) as never);
}

/**
 * Taps `taps` of a kernel [kt, 1, A, B] in the given order, channels swapped
 * → [taps.length, 1, B, A], picked by an exact 0/1 selection matMul: wasm's
 * Reverse, GatherV2 and StridedSlice are slow on so few rows.
 */
function pickTransposed(w: tf.Tensor4D, taps: number[]): tf.Tensor4D {
  const [kt, , a, b] = w.shape;
  const sel = new Float32Array(taps.length * kt);
  taps.forEach((k, i) => (sel[i * kt + k] = 1));
  const picked = tf.matMul(tf.tensor2d(sel, [taps.length, kt]), w.reshape([kt, a * b]) as tf.Tensor2D);
  return tf.transpose(picked.reshape([taps.length, 1, a, b]), [0, 1, 3, 2]) as tf.Tensor4D;
}

/** Flips a kernel [kt, 1, A, B] along time and swaps its channels → [kt, 1, B, A]. */
function flipTranspose(w: tf.Tensor4D): tf.Tensor4D {
  return pickTransposed(w, Array.from({ length: w.shape[0] }, (_, j) => w.shape[0] - 1 - j));
}

/**
 * The adjoint of `convForward` with respect to its input:
 * dy: [N, tOut, V, Co], w: [kt, 1, Ci, Co] → [N, tIn, V, Ci].
 * Stride 1 is one convolution of dy with the flipped, transposed kernel.
 * Stride s > 1 splits the kernel into s phases (taps k ≡ r mod s), convolves
 * dy with each phase and interleaves the results, so no multiplication by
 * inserted zeros is spent.
 */
function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, g: TemporalGeometry): tf.Tensor4D {
  const { kt, stride: s, padL, padR, tIn, tOut } = g;
  if (s === 1) return tf.conv2d(dy, flipTranspose(w), 1, padT(kt - 1 - padL, padL) as never);
  const [n, , v] = dy.shape;
  const ci = w.shape[2];
  const q = Math.ceil((tIn + padL) / s);
  const phases: tf.Tensor4D[] = [];
  for (let r = 0; r < s; r++) {
    const m = Math.ceil((kt - r) / s);
    if (m <= 0) {
      phases.push(tf.zeros([n, q, v, ci]));
      continue;
    }
    // taps r, r+s, r+2s, ... of the kernel, flipped: r + s(m-1), ..., r + s, r
    const taps = Array.from({ length: m }, (_, j) => r + s * (m - 1 - j));
    phases.push(tf.conv2d(dy, pickTransposed(w, taps), 1, padT(m - 1, q - tOut) as never));
  }
  if (hasFusedKernels()) {
    const inputs = Object.fromEntries(phases.map((p, r) => [`p${r}`, p.reshape([n, q, v * ci])]));
    return (runKernel(INTERLEAVE_TIME, inputs, { s, padL, tIn }) as tf.Tensor).reshape([n, tIn, v, ci]);
  }
  const inter = tf.stack(phases, 2).reshape([n, q * s, v * ci]) as tf.Tensor3D;
  return inter.slice([0, padL, 0], [n, tIn, v * ci]).reshape([n, tIn, v, ci]); // 3-D: whole rows per copy
}

/**
 * The gradient of `convForward` with respect to its kernel, as one forward
 * convolution: x is laid out as Ci images [tIn, 1] with N·V channels, dy as a
 * [tOut, 1] filter over those N·V channels (dilated by the stride), so the
 * output [Ci, kt, 1, Co] is Σ_{n,t,v} x[n, s·t + k - padL, v, ci] · dy[n, t, v, co].
 * x: [N, tIn, V, Ci], dy: [N, tOut, V, Co] → [kt, 1, Ci, Co].
 */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: TemporalGeometry): tf.Tensor4D {
  const [n, tIn, v, ci] = x.shape;
  const co = dy.shape[3];
  const img = tf.transpose(x, [3, 1, 0, 2]).reshape([ci, tIn, 1, n * v]) as tf.Tensor4D;
  const filt = tf.transpose(dy, [1, 0, 2, 3]).reshape([g.tOut, 1, n * v, co]) as tf.Tensor4D;
  let out = tf.conv2d(img, filt, 1, padT(g.padL, g.padR) as never, 'NHWC', [g.stride, 1]);
  if (out.shape[1] !== g.kt) out = out.slice([0, 0, 0, 0], [ci, g.kt, 1, co]);
  return tf.transpose(out, [1, 2, 0, 3]);
}

type Conv = (a: tf.Tensor4D, b: tf.Tensor4D, g: TemporalGeometry) => tf.Tensor4D;
const convOps = new Map<string, (x: tf.Tensor, w: tf.Tensor) => tf.Tensor>();

/**
 * The custom-gradient op `value(x, w)` of a geometry, cached per
 * (geometry, kind): its input gradient `inputGrad(dy, w)` and filter
 * gradient `filterGrad(x, dy)`.
 */
function temporalOp(kind: string, g: TemporalGeometry, value: Conv, inputGrad: Conv, filterGrad: Conv) {
  const key = `${kind}/${g.tIn}/${g.kt}/${g.stride}`;
  let op = convOps.get(key);
  if (!op) {
    op = customGrad((x, w, save) => {
      (save as SaveFn)([x as tf.Tensor, w as tf.Tensor]);
      return {
        value: value(x as tf.Tensor4D, w as tf.Tensor4D, g),
        gradFunc: (dy, [sx, sw]) => [inputGrad(dy as tf.Tensor4D, sw as tf.Tensor4D, g), filterGrad(sx as tf.Tensor4D, dy as tf.Tensor4D, g)],
      };
    });
    convOps.set(key, op);
  }
  return op;
}

const convOp = (g: TemporalGeometry) => temporalOp('conv', g, convForward, convInputGrad, convFilterGrad);
// the transposed convolution is the convolution's input gradient: its own gradients swap roles
const tconvOp = (g: TemporalGeometry) => temporalOp('tconv', g, convInputGrad, convForward, (x, dy, geo) => convFilterGrad(dy, x, geo));

/**
 * Temporal convolution along T with "same" padding and stride:
 * x: [N, T, V, Ci], w: [kt, 1, Ci, Co] → [N, ceil(T / stride), V, Co].
 * Differentiable on every backend. Caller disposes the result.
 */
export function temporalConv(x: tf.Tensor4D, w: tf.Tensor4D, stride = 1): tf.Tensor4D {
  const g = temporalGeometry(x.shape[1], w.shape[0], stride);
  return convOp(g)(x, w) as tf.Tensor4D;
}

/**
 * Transposed temporal convolution (the "deconvolution" of decoders), the
 * adjoint of `temporalConv`: x: [N, T, V, Ci], w: [kt, 1, Co, Ci] →
 * [N, T·stride, V, Co]. With stride 1 it is a convolution with the flipped
 * kernel and costs the same as `temporalConv`. Caller disposes the result.
 */
export function temporalConvTranspose(x: tf.Tensor4D, w: tf.Tensor4D, stride = 1): tf.Tensor4D {
  const g = temporalGeometry(x.shape[1] * stride, w.shape[0], stride);
  if (g.tOut !== x.shape[1]) throw new RangeError(`temporalConvTranspose: T = ${x.shape[1]} does not fit stride ${stride}`);
  return tconvOp(g)(x, w) as tf.Tensor4D;
}

/** Σ over the rows of x2d: [M, C] → [1, C] as a matMul with a ones row (fallback path). */
function onesRowSums(x2d: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, x2d.shape[0]]) as tf.Tensor2D, x2d);
}

/** Σ over the rows of x2d: [M, C] → [C]. Caller disposes. */
export function columnSums(x2d: tf.Tensor2D): tf.Tensor1D {
  if (hasFusedKernels()) return runKernel(COLUMN_SUMS, { x: x2d }) as tf.Tensor1D;
  return onesRowSums(x2d).reshape([-1]);
}

const biasOp = customGrad((x, b) => ({
  value: tf.add(x as tf.Tensor, b as tf.Tensor),
  gradFunc: (dy) => [dy, columnSums(dy as tf.Tensor2D)],
}));

/** x2d: [M, C] + bias: [C] → [M, C]; the bias gradient is a fused column sum. Caller disposes. */
export function addBias(x2d: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return biasOp(x2d, bias) as tf.Tensor2D;
}

const bnOps = new Map<string, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

/** Side channel through which `batchNormTrain` hands out the batch statistics it computed. */
let lastBatchStats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;

/**
 * Batch norm (+ ReLU) whose statistics come from the column kernels of
 * kernels.ts (one pass each for Σx, Σx² and for Σg, Σg·x); on wasm SIMD the
 * element-wise passes are kernels too (BN_APPLY, BN_GRAD), else stock ops.
 */
function bnFusedOp(eps: number, relu: boolean) {
  return customGrad((x, gamma, beta, save) => {
    const x2 = x as tf.Tensor2D;
    const m = x2.shape[0];
    // on wasm SIMD: statistics and per-channel arithmetic in one kernel, the element-wise pass in
    // another, each way (kernels.ts BN_STATS, BN_APPLY, BN_GRAD_STATS, BN_GRAD)
    const simd = hasSimdKernels(x2.shape[1]);
    let mean: tf.Tensor1D, variance: tf.Tensor1D, inv: tf.Tensor1D, scale: tf.Tensor1D, y: tf.Tensor;
    if (simd) {
      let shift: tf.Tensor1D;
      [mean, variance, inv, scale, shift] = runKernel(BN_STATS, { x: x2, gamma: gamma as tf.Tensor, beta: beta as tf.Tensor }, { eps }) as tf.Tensor1D[] as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      y = runKernel(BN_APPLY, { x: x2, scale, shift }, { relu }) as tf.Tensor;
    } else {
      const [s, q] = runKernel(COLUMN_DOTS, { a: x2 }) as tf.Tensor1D[];
      mean = tf.div(s!, m);
      variance = tf.relu(tf.sub(tf.div(q!, m), tf.square(mean))) as tf.Tensor1D;
      inv = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
      scale = tf.mul(gamma as tf.Tensor, inv) as tf.Tensor1D;
      const pre = tf.add(tf.mul(x2, scale), tf.sub(beta as tf.Tensor, tf.mul(mean, scale)));
      y = relu ? tf.relu(pre) : pre;
    }
    // kept: the forward body runs in its own tidy scope; batchNormTrain hands them to its caller
    lastBatchStats = { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
    (save as SaveFn)(relu ? [x2, mean, inv, scale, y] : [x2, mean, inv, scale]);
    return {
      value: y,
      gradFunc: (dy, [sx, smean, sinv, sscale, sy]) => {
        if (simd) {
          const [dgamma, a, b, sg] = runKernel(BN_GRAD_STATS, { dy, x: sx!, ...(relu ? { y: sy! } : {}), mean: smean!, inv: sinv!, scale: sscale! }, { relu }) as tf.Tensor[];
          const dx = runKernel(BN_GRAD, { dy, ...(relu ? { y: sy! } : {}), x: sx!, scale: sscale!, a: a!, b: b! }, { relu }) as tf.Tensor;
          return [dx, dgamma!, sg!];
        }
        const g = relu ? tf.mul(dy, tf.step(sy!)) : dy;
        const [sg, sgx] = runKernel(COLUMN_DOTS, { a: g, b: sx! }) as tf.Tensor1D[];
        // Σ g·x̂ = inv · (Σ g·x − μ Σ g);  dx = k·g − a·x − b with k = γ·inv
        const dgamma = tf.mul(sinv!, tf.sub(sgx!, tf.mul(smean!, sg!)));
        const a = tf.div(tf.mul(tf.mul(sscale!, sinv!), dgamma), m);
        const b = tf.sub(tf.div(tf.mul(sscale!, sg!), m), tf.mul(a, smean!));
        const dx = tf.sub(tf.sub(tf.mul(g, sscale!), tf.mul(sx!, a)), b);
        return [dx, dgamma, sg!];
      },
    };
  });
}

/** Batch norm (+ ReLU) composed from stock ops, for backends without the fused kernels. */
function bnCompositeOp(eps: number, relu: boolean) {
  return customGrad((x, gamma, beta, save) => {
    const x2 = x as tf.Tensor2D;
    const m = x2.shape[0];
    const mean = tf.div(onesRowSums(x2), m);
    const xc = tf.sub(x2, mean);
    const variance = tf.div(onesRowSums(tf.square(xc) as tf.Tensor2D), m);
    const inv = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(xc, inv);
    lastBatchStats = { mean: tf.keep(mean.reshape([-1])), variance: tf.keep(variance.reshape([-1])) };
    const pre = tf.add(tf.mul(xhat, gamma as tf.Tensor), beta as tf.Tensor);
    const y = relu ? tf.relu(pre) : pre;
    (save as SaveFn)([xhat, inv, gamma as tf.Tensor, y]);
    return {
      value: y,
      gradFunc: (dy, [sxhat, sinv, sgamma, sy]) => {
        const g = (relu ? tf.mul(dy, tf.step(sy!)) : dy) as tf.Tensor2D;
        const dbeta = onesRowSums(g);
        const dgamma = onesRowSums(tf.mul(g, sxhat!) as tf.Tensor2D);
        const scale = tf.div(tf.mul(sgamma!, sinv!), m);
        const dx = tf.mul(scale, tf.sub(tf.sub(tf.mul(g, m), dbeta), tf.mul(sxhat!, dgamma)));
        return [dx, dgamma.reshape([-1]), dbeta.reshape([-1])];
      },
    };
  });
}

function bnOp(eps: number, relu: boolean) {
  const fused = hasFusedKernels();
  const key = `${eps}/${relu}/${fused}`;
  let op = bnOps.get(key);
  if (!op) {
    op = fused ? bnFusedOp(eps, relu) : bnCompositeOp(eps, relu);
    bnOps.set(key, op);
  }
  return op;
}

/**
 * Batch normalisation with batch statistics (training mode) over every axis
 * but the last, optionally followed by a ReLU fused into the same passes:
 * x: [..., C], gamma, beta: [C] → { y: [..., C], mean: [C], variance: [C]
 * (biased) }. Caller disposes all three (mean and variance are kept tensors:
 * an enclosing tidy does not free them).
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
  relu = false,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const c = x.shape[x.shape.length - 1]!;
  lastBatchStats = null;
  const y2 = bnOp(eps, relu)(x.reshape([-1, c]), gamma, beta);
  const stats = lastBatchStats as { mean: tf.Tensor1D; variance: tf.Tensor1D } | null;
  if (!stats) throw new Error('batchNormTrain: statistics were not computed');
  return { y: y2.reshape(x.shape), mean: stats.mean, variance: stats.variance };
}

/**
 * Batch normalisation with fixed statistics (inference), optionally followed
 * by a ReLU: x: [..., C] → (x − mean) / sqrt(variance + eps) · gamma + beta.
 * Caller disposes.
 */
export function batchNormInfer(
  x: tf.Tensor,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
  relu = false,
): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    const shift = tf.sub(beta, tf.mul(mean, scale));
    const y = tf.add(tf.mul(x, scale), shift);
    return relu ? tf.relu(y) : y;
  });
}

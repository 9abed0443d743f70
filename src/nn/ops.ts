/**
 * Differentiable primitives with hand-written gradients, built only from the
 * kernels that are fast on every tfjs backend (conv2d forward, matMul on 2-D
 * operands without transpose flags, transpose, reshape).
 *
 * Why hand-written: on tfjs-backend-wasm 4.22 `tf.conv2d` has no
 * Conv2DBackpropFilter kernel (training fails), Conv2DBackpropInput is naive,
 * and the stock MatMul gradient uses transpose flags, which take a path 15-20x
 * slower than multiplying operands transposed first. tfjs offers no
 * alternative kernels, so the gradients are composed here from the fast ones.
 *
 * Layout: channels last. A temporal convolution runs along T of [N, T, V, C]
 * with a kernel [kt, 1, Cin, Cout] (tfjs conv2d HWIO), "same" padding
 * floor((kt-1)/2) before the sequence and output length ceil(T / stride),
 * which equals PyTorch's `padding=(kt-1)//2` for odd kt.
 *
 * Every function returns new tensors that the caller disposes (or that an
 * enclosing `tf.tidy` collects).
 */
import * as tf from '@tensorflow/tfjs';

type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
type SaveFn = (t: tf.Tensor[]) => void;
type CustomBody = (...args: (tf.Tensor | SaveFn)[]) => { value: tf.Tensor; gradFunc: GradFn };
const customGrad = (f: CustomBody) => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

const mm = customGrad((a, b, save) => {
  (save as SaveFn)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sb!) as tf.Tensor2D),
      tf.matMul(tf.transpose(sa!) as tf.Tensor2D, dy as tf.Tensor2D),
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
  const y = bias ? tf.add(y2, bias) : y2;
  return y.reshape([...x.shape.slice(0, -1), cout]);
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

/** Flips a kernel [kt, 1, A, B] along time and swaps its channels → [kt, 1, B, A]. */
function flipTranspose(w: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(tf.reverse(w, 0), [0, 1, 3, 2]);
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
    // taps r, r+s, r+2s, ...: a strided slice of the (small) kernel
    const sub = tf.stridedSlice(w, [r, 0, 0, 0], [kt, 1, w.shape[2], w.shape[3]], [s, 1, 1, 1]) as tf.Tensor4D;
    phases.push(tf.conv2d(dy, flipTranspose(sub), 1, padT(m - 1, q - tOut) as never));
  }
  const inter = tf.stack(phases, 2).reshape([n, q * s, v, ci]) as tf.Tensor4D;
  return inter.slice([0, padL, 0, 0], [n, tIn, v, ci]);
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

const convOps = new Map<string, (x: tf.Tensor, w: tf.Tensor) => tf.Tensor>();
const tconvOps = new Map<string, (x: tf.Tensor, w: tf.Tensor) => tf.Tensor>();

function convOp(g: TemporalGeometry) {
  const key = `${g.tIn}/${g.kt}/${g.stride}`;
  let op = convOps.get(key);
  if (!op) {
    op = customGrad((x, w, save) => {
      (save as SaveFn)([x as tf.Tensor, w as tf.Tensor]);
      return {
        value: convForward(x as tf.Tensor4D, w as tf.Tensor4D, g),
        gradFunc: (dy, [sx, sw]) => [
          convInputGrad(dy as tf.Tensor4D, sw as tf.Tensor4D, g),
          convFilterGrad(sx as tf.Tensor4D, dy as tf.Tensor4D, g),
        ],
      };
    });
    convOps.set(key, op);
  }
  return op;
}

function tconvOp(g: TemporalGeometry) {
  const key = `${g.tIn}/${g.kt}/${g.stride}`;
  let op = tconvOps.get(key);
  if (!op) {
    op = customGrad((x, w, save) => {
      (save as SaveFn)([x as tf.Tensor, w as tf.Tensor]);
      return {
        value: convInputGrad(x as tf.Tensor4D, w as tf.Tensor4D, g),
        gradFunc: (dy, [sx, sw]) => [
          convForward(dy as tf.Tensor4D, sw as tf.Tensor4D, g),
          convFilterGrad(dy as tf.Tensor4D, sx as tf.Tensor4D, g),
        ],
      };
    });
    tconvOps.set(key, op);
  }
  return op;
}

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

/** Batch statistics of x2d: [M, C] over rows → { mean: [C], variance: [C] } (biased). Caller disposes. */
function columnSums(x2d: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, x2d.shape[0]]) as tf.Tensor2D, x2d);
}

const bnOps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

/** Side channel through which `batchNormTrain` hands out the batch statistics it computed. */
let lastBatchStats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;

function bnOp(eps: number) {
  let op = bnOps.get(eps);
  if (!op) {
    op = customGrad((x, gamma, beta, save) => {
      const x2 = x as tf.Tensor2D;
      const m = x2.shape[0];
      const mean = tf.div(columnSums(x2), m);
      const xc = tf.sub(x2, mean);
      const variance = tf.div(columnSums(tf.square(xc) as tf.Tensor2D), m);
      const inv = tf.rsqrt(tf.add(variance, eps));
      const xhat = tf.mul(xc, inv);
      // kept: the forward body runs in its own tidy scope; batchNormTrain hands them to its caller
      lastBatchStats = { mean: tf.keep(mean.reshape([-1])), variance: tf.keep(variance.reshape([-1])) };
      (save as SaveFn)([xhat, inv, gamma as tf.Tensor]);
      return {
        value: tf.add(tf.mul(xhat, gamma as tf.Tensor), beta as tf.Tensor),
        gradFunc: (dy, [sxhat, sinv, sgamma]) => {
          const dy2 = dy as tf.Tensor2D;
          const dbeta = columnSums(dy2);
          const dgamma = columnSums(tf.mul(dy2, sxhat!) as tf.Tensor2D);
          const scale = tf.div(tf.mul(sgamma!, sinv!), m);
          const dx = tf.mul(scale, tf.sub(tf.sub(tf.mul(dy2, m), dbeta), tf.mul(sxhat!, dgamma)));
          return [dx, dgamma.reshape([-1]), dbeta.reshape([-1])];
        },
      };
    });
    bnOps.set(eps, op);
  }
  return op;
}

/**
 * Batch normalisation with batch statistics (training mode) over every axis
 * but the last: x: [..., C], gamma, beta: [C] → { y: [..., C], mean: [C],
 * variance: [C] (biased) }. Column sums are matMuls with a ones row, which is
 * faster on wasm than reductions over leading axes. Caller disposes all three
 * (mean and variance are kept tensors: an enclosing tidy does not free them).
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const c = x.shape[x.shape.length - 1]!;
  lastBatchStats = null;
  const y2 = bnOp(eps)(x.reshape([-1, c]), gamma, beta);
  const stats = lastBatchStats as { mean: tf.Tensor1D; variance: tf.Tensor1D } | null;
  if (!stats) throw new Error('batchNormTrain: statistics were not computed');
  return { y: y2.reshape(x.shape), mean: stats.mean, variance: stats.variance };
}

/**
 * Batch normalisation with fixed statistics (inference): x: [..., C] →
 * (x - mean) / sqrt(variance + eps) · gamma + beta. Caller disposes.
 */
export function batchNormInfer(
  x: tf.Tensor,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift);
  });
}

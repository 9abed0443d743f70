import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTrain, columnSums, graphAggregate, graphMix, matMul2d, temporalConv, temporalConvTranspose } from '../../src/nn/index.js';
import { setFusedKernels, setSimdKernels } from '../../src/nn/kernels.js';
import { simdKernels, type WasmHeap } from '../../src/nn/simd.js';
import { BACKENDS, numericGrad, rand, relErr, useBackend } from './helpers.js';

/** Plain loops: y[n,t,v,co] = Σ_k Σ_ci x[n, t·s + k − floor((kt−1)/2), v, ci] w[k,0,ci,co]. */
function convReference(x: tf.Tensor, w: tf.Tensor, s: number): { data: Float64Array; shape: number[] } {
  const [n, T, v, ci] = x.shape as number[];
  const [kt, , , co] = w.shape as number[];
  const xd = x.dataSync();
  const wd = w.dataSync();
  const tOut = Math.ceil(T! / s);
  const pad = Math.floor((kt! - 1) / 2);
  const out = new Float64Array(n! * tOut * v! * co!);
  for (let a = 0; a < n!; a++)
    for (let t = 0; t < tOut; t++)
      for (let j = 0; j < v!; j++)
        for (let o = 0; o < co!; o++) {
          let acc = 0;
          for (let k = 0; k < kt!; k++) {
            const i = t * s + k - pad;
            if (i < 0 || i >= T!) continue;
            for (let c = 0; c < ci!; c++) acc += xd[((a * T! + i) * v! + j) * ci! + c]! * wd[(k * ci! + c) * co! + o]!;
          }
          out[((a * tOut + t) * v! + j) * co! + o] = acc;
        }
  return { data: out, shape: [n!, tOut, v!, co!] };
}

const CASES: [number, number, number][] = [
  // [T, kt, stride]
  [7, 3, 1], [8, 5, 2], [7, 3, 2], [6, 1, 2], [9, 5, 3], [5, 1, 1], [6, 4, 2],
];

describe.each(BACKENDS)('fast ops on %s', (backend) => {
  it('temporalConv matches plain loops; its gradients match central differences', async () => {
    await useBackend(backend);
    for (const [T, kt, s] of CASES) {
      tf.tidy(() => {
        const x = rand([2, T, 2, 3], T * 10 + kt);
        const w = rand([kt, 1, 3, 2], kt * 7 + s);
        const ref = convReference(x, w, s);
        const y = temporalConv(x as tf.Tensor4D, w as tf.Tensor4D, s);
        expect(y.shape).toEqual(ref.shape);
        expect(relErr(y.dataSync(), ref.data)).toBeLessThan(1e-5);
        const r = rand(ref.shape, 99);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(temporalConv(a as tf.Tensor4D, b as tf.Tensor4D, s), r)) as tf.Scalar;
        const [gx, gw] = tf.grads(f)([x, w]);
        expect(relErr(gx!.dataSync(), numericGrad(f, [x, w], 0))).toBeLessThan(2e-3);
        expect(relErr(gw!.dataSync(), numericGrad(f, [x, w], 1))).toBeLessThan(2e-3);
      });
    }
  });

  it('a strided convolution\'s input gradient is the same bits with the interleave kernel as with stack and slice', async () => {
    await useBackend(backend);
    for (const [T, kt, s] of CASES.filter(([, , s]) => s > 1)) {
      const grad = (fused: boolean) => {
        setFusedKernels(fused);
        try {
          return tf.tidy(() => {
            const x = rand([2, T, 3, 4], T + kt);
            const w = rand([kt, 1, 4, 5], kt * s);
            const r = rand([2, Math.ceil(T / s), 3, 5], 7);
            return Array.from(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(temporalConv(a as tf.Tensor4D, w as tf.Tensor4D, s), r)))(x).dataSync());
          });
        } finally {
          setFusedKernels(true);
        }
      };
      expect(grad(true)).toEqual(grad(false));
    }
  });

  it('temporalConvTranspose is the adjoint of temporalConv and has correct gradients', async () => {
    await useBackend(backend);
    for (const [T, kt, s] of CASES.filter(([T, , s]) => T % s === 0)) {
      tf.tidy(() => {
        const z = rand([2, T / s, 2, 3], T + kt);
        const w = rand([kt, 1, 4, 3], kt + s); // [kt, 1, Cout, Cin]
        const up = temporalConvTranspose(z as tf.Tensor4D, w as tf.Tensor4D, s);
        expect(up.shape).toEqual([2, T, 2, 4]);
        const u = rand(up.shape, 5);
        // <convT(z), u> = <z, conv(u)>
        const lhs = tf.sum(tf.mul(up, u)).dataSync()[0]!;
        const rhs = tf.sum(tf.mul(z, temporalConv(u as tf.Tensor4D, w as tf.Tensor4D, s))).dataSync()[0]!;
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
        const r = rand(up.shape, 6);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(temporalConvTranspose(a as tf.Tensor4D, b as tf.Tensor4D, s), r)) as tf.Scalar;
        const [gz, gw] = tf.grads(f)([z, w]);
        expect(relErr(gz!.dataSync(), numericGrad(f, [z, w], 0))).toBeLessThan(2e-3);
        expect(relErr(gw!.dataSync(), numericGrad(f, [z, w], 1))).toBeLessThan(2e-3);
      });
    }
  });

  it('matMul2d and graphAggregate gradients match central differences', async () => {
    await useBackend(backend);
    tf.tidy(() => {
      const a = rand([5, 4], 1);
      const b = rand([4, 3], 2);
      const r = rand([5, 3], 3);
      const f = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(matMul2d(p as tf.Tensor2D, q as tf.Tensor2D), r)) as tf.Scalar;
      const [ga, gb] = tf.grads(f)([a, b]);
      expect(relErr(ga!.dataSync(), numericGrad(f, [a, b], 0))).toBeLessThan(2e-3);
      expect(relErr(gb!.dataSync(), numericGrad(f, [a, b], 1))).toBeLessThan(2e-3);

      const z = rand([2, 3, 4, 3 * 2], 4); // N=2, T=3, V=4, K=3, F=2
      const g = rand([4 * 3, 4], 5);
      const r2 = rand([2, 3, 4, 2], 6);
      const h = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(graphAggregate(p as tf.Tensor4D, q as tf.Tensor2D, 3), r2)) as tf.Scalar;
      // forward against the definition y[n,t,w,f] = Σ_{v,k} g[v·K+k, w] z[n,t,v,k·F+f]
      const y = graphAggregate(z as tf.Tensor4D, g as tf.Tensor2D, 3).dataSync();
      const zd = z.dataSync();
      const gd = g.dataSync();
      let err = 0;
      for (let nt = 0; nt < 6; nt++)
        for (let w = 0; w < 4; w++)
          for (let f2 = 0; f2 < 2; f2++) {
            let acc = 0;
            for (let v = 0; v < 4; v++) for (let k = 0; k < 3; k++) acc += gd[(v * 3 + k) * 4 + w]! * zd[(nt * 4 + v) * 6 + k * 2 + f2]!;
            err = Math.max(err, Math.abs(acc - y[(nt * 4 + w) * 2 + f2]!));
          }
      expect(err).toBeLessThan(1e-5);
      const [gz, gg] = tf.grads(h)([z, g]);
      expect(relErr(gz!.dataSync(), numericGrad(h, [z, g], 0))).toBeLessThan(2e-3);
      expect(relErr(gg!.dataSync(), numericGrad(h, [z, g], 1))).toBeLessThan(2e-3);
    });
  });

  it('batchNormTrain normalises and its gradients match central differences', async () => {
    await useBackend(backend);
    tf.tidy(() => {
      const x = tf.add(tf.mul(rand([6, 3], 7), 2), 0.5);
      const gamma = tf.add(rand([3], 8), 1.5);
      const beta = rand([3], 9);
      const { y, mean, variance } = batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D);
      const m = tf.moments(x, 0);
      expect(relErr(mean.dataSync(), m.mean.dataSync())).toBeLessThan(1e-5);
      expect(relErr(variance.dataSync(), m.variance.dataSync())).toBeLessThan(1e-5);
      const expected = tf.add(tf.mul(tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), gamma), beta);
      expect(relErr(y.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      mean.dispose();
      variance.dispose();
      const r = rand([6, 3], 10);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D);
        o.mean.dispose();
        o.variance.dispose();
        return tf.sum(tf.mul(tf.square(o.y), r)) as tf.Scalar; // nonlinear in y so dx is not trivially 0
      };
      const grads = tf.grads(f)([x, gamma, beta]);
      for (let i = 0; i < 3; i++) expect(relErr(grads[i]!.dataSync(), numericGrad(f, [x, gamma, beta], i, 3e-3))).toBeLessThan(5e-3);
    });
  });
});

describe('fast ops agree with tfjs autograd on the cpu backend', () => {
  it('temporalConv gradients equal those of tf.conv2d with explicit padding', async () => {
    await useBackend('cpu');
    for (const [T, kt, s] of CASES) {
      tf.tidy(() => {
        const x = rand([2, T, 3, 2], T + 1);
        const w = rand([kt, 1, 2, 3], kt + 2);
        const pad = Math.floor((kt - 1) / 2);
        const tOut = Math.ceil(T / s);
        const padR = Math.max(0, (tOut - 1) * s + kt - T - pad);
        const r = rand([2, tOut, 3, 3], 3);
        const mine = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(temporalConv(a as tf.Tensor4D, b as tf.Tensor4D, s), r)) as tf.Scalar;
        const stock = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [s, 1], [[0, 0], [pad, padR], [0, 0], [0, 0]]), r)) as tf.Scalar;
        const g1 = tf.grads(mine)([x, w]);
        const g2 = tf.grads(stock)([x, w]);
        expect(relErr(g1[0]!.dataSync(), g2[0]!.dataSync())).toBeLessThan(1e-5);
        expect(relErr(g1[1]!.dataSync(), g2[1]!.dataSync())).toBeLessThan(1e-5);
      });
    }
  });
  it('matMul2d and batchNormTrain gradients equal autograd of the stock ops', async () => {
    await useBackend('cpu');
    tf.tidy(() => {
      const a = rand([7, 5], 1);
      const b = rand([5, 4], 2);
      const r = rand([7, 4], 3);
      const g1 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(matMul2d(p as tf.Tensor2D, q as tf.Tensor2D), r)))([a, b]);
      const g2 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q), r)))([a, b]);
      expect(relErr(g1[0]!.dataSync(), g2[0]!.dataSync())).toBeLessThan(1e-6);
      expect(relErr(g1[1]!.dataSync(), g2[1]!.dataSync())).toBeLessThan(1e-6);

      const x = rand([9, 4], 4);
      const gamma = tf.add(rand([4], 5), 1.5);
      const beta = rand([4], 6);
      const r2 = rand([9, 4], 7);
      const mine = (p: tf.Tensor, g: tf.Tensor, q: tf.Tensor) => {
        const o = batchNormTrain(p, g as tf.Tensor1D, q as tf.Tensor1D);
        o.mean.dispose();
        o.variance.dispose();
        return tf.sum(tf.mul(tf.square(o.y), r2));
      };
      const stock = (p: tf.Tensor, g: tf.Tensor, q: tf.Tensor) => {
        const m = tf.moments(p, 0);
        return tf.sum(tf.mul(tf.square(tf.add(tf.mul(tf.div(tf.sub(p, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), g), q)), r2));
      };
      const h1 = tf.grads(mine)([x, gamma, beta]);
      const h2 = tf.grads(stock)([x, gamma, beta]);
      for (let i = 0; i < 3; i++) expect(relErr(h1[i]!.dataSync(), h2[i]!.dataSync())).toBeLessThan(1e-4);
    });
  });
});

describe('Identity on wasm shares memory instead of copying', () => {
  it('a clone reads the same values, survives the original and frees the memory with the last reference', async () => {
    await useBackend('wasm');
    const { registerKernels } = await import('../../src/nn/kernels.js');
    registerKernels();
    const backend = tf.backend() as unknown as { refCount(id: object): number };
    const bytes0 = tf.memory().numBytes;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = tf.clone(x);
    expect(c.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(backend.refCount(c.dataId)).toBe(1);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    // a variable assigned from the clone takes new memory on its next assign; the clone keeps its values
    const v = tf.variable(c);
    const doubled = tf.mul(c, 2) as tf.Tensor2D;
    v.assign(doubled);
    doubled.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(v.dataSync())).toEqual([2, 4, 6, 8, 10, 12]);
    c.dispose();
    v.dispose();
    expect(tf.memory().numBytes).toBe(bytes0);
  });
});

describe('wasm SIMD kernels (simd.ts) agree with the JavaScript kernels', () => {
  it('column sums, batch norm (with and without ReLU) and its gradients, graph mixing and its gradients', async () => {
    await useBackend('wasm');
    expect(simdKernels((tf.backend() as unknown as { wasm: WasmHeap }).wasm)).not.toBeNull();
    // 130 rows: two full 64-row blocks and a partial one; 5 sources into slot 0, slot 1 empty
    const pattern = { src: [0, 1, 2, 3, 4, 0, 1], dst: [0, 0, 0, 0, 0, 2, 3], sIn: 5, sOut: 4 };
    const outputs = (simd: boolean) => {
      setSimdKernels(simd);
      try {
        return tf.tidy(() => {
          const x = tf.add(tf.mul(rand([130, 8], 1), 3), 0.25);
          const gamma = rand([8], 2);
          const beta = rand([8], 3);
          const r = rand([130, 8], 4);
          const bnOut = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, relu: boolean) => {
            const o = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, relu);
            o.mean.dispose();
            o.variance.dispose();
            return o.y;
          };
          const bn = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(bnOut(a, g, b, true), r)) as tf.Scalar;
          const bnLinear = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(bnOut(a, g, b, false)), r)) as tf.Scalar;
          const xm = rand([130, 5, 8], 5);
          const w = rand([7], 6);
          const rm = rand([130, 4, 8], 7);
          const mix = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(graphMix(a as tf.Tensor3D, b as tf.Tensor1D, pattern), rm)) as tf.Scalar;
          return [
            columnSums(x as tf.Tensor2D),
            bnOut(x, gamma, beta, true),
            bnOut(x, gamma, beta, false),
            ...tf.grads(bn)([x, gamma, beta]),
            ...tf.grads(bnLinear)([x, gamma, beta]),
            graphMix(xm as tf.Tensor3D, w as tf.Tensor1D, pattern),
            ...tf.grads(mix)([xm, w]),
          ].map((t) => Array.from(t.dataSync()));
        });
      } finally {
        setSimdKernels(true);
      }
    };
    const simd = outputs(true);
    const js = outputs(false);
    simd.forEach((v, i) => expect(relErr(v, js[i]!), `output ${i}`).toBeLessThan(1e-5));
  });
});

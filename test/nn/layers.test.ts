import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GaitforgeError } from '../../src/core/errors.js';
import { normalizedAdjacency, spatialAdjacency } from '../../src/core/skeleton.js';
import {
  flushDenormals, GraphGRU, loadModel, predictInChunks, saveModel, SpatialAttention, STGCNBlock, TemporalAttentionPool, trainableVariables,
} from '../../src/nn/index.js';
import { setFusedKernels } from '../../src/nn/kernels.js';
import { BACKENDS, numericGradYielding, rand, relErr, useBackend } from './helpers.js';

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A tiny classifier over [N, T, 16, 3] using every layer. */
function tinyModel(T: number, seed = 1): tf.LayersModel {
  const inp = tf.input({ shape: [T, 16, 3] });
  let h = new STGCNBlock({ filters: 6, residual: false, temporalKernel: 3, seed }).apply(inp) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 8, stride: 2, temporalKernel: 3, seed }).apply(h) as tf.SymbolicTensor;
  h = new STGCNBlock({ filters: 8, stride: 2, transposed: true, temporalKernel: 3, dropout: 0.1, seed }).apply(h) as tf.SymbolicTensor;
  h = new SpatialAttention({ units: 4, seed }).apply(h) as tf.SymbolicTensor;
  h = new GraphGRU({ units: 4, seed }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [T, 16 * 4] }).apply(h) as tf.SymbolicTensor;
  const [pooled, beta] = new TemporalAttentionPool({ units: 8, returnWeights: true, seed }).apply(h) as tf.SymbolicTensor[];
  const logits = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(pooled!) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: [logits, beta!] });
}

describe.each(BACKENDS)('layers on %s', (backend) => {
  it('training steps leak no tensors; on wasm a tiny model overfits a tiny batch (loss falls ≥ 10x)', async () => {
    await useBackend(backend);
    const model = tinyModel(8);
    const x = tf.mul(rand([6, 8, 16, 3], 1), 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const opt = tf.train.adam(0.02);
    const vars = trainableVariables(model);
    const step = () => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, (model.apply(x, { training: true }) as tf.Tensor[])[0]!), true, vars)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const first = step(); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    let last = first;
    // the pure-JS cpu backend is slow: there, check leaks over a few steps only
    for (let i = 0; i < (backend === 'wasm' ? 40 : 3); i++) {
      last = step();
      expect(tf.memory().numTensors).toBe(before);
      await new Promise((r) => setImmediate(r)); // as the fit loop does: the worker answers Vitest's RPC between steps
    }
    if (backend === 'wasm') expect(first / last).toBeGreaterThan(10);
    // inference mode leaks nothing either, chunked or not
    const n0 = tf.memory().numTensors;
    tf.dispose(predictInChunks(model, x, 4));
    tf.dispose(model.predict(x));
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });

  it('STGCNBlock gradients match central differences (smooth configuration)', async () => {
    await useBackend(backend);
    // without batch norm the ReLU inputs are not centred on 0, so central differences rarely straddle a kink
    const layer = new STGCNBlock({ filters: 3, temporalKernel: 3, stride: 2, batchNorm: false, adjacency: 'stgcn-code', seed: 3 });
    const x = rand([2, 4, 16, 2], 11);
    const r = rand(layer.computeOutputShape(x.shape) as number[], 12).reshape([-1]);
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(tf.sin((layer.apply(input, { training: true }) as tf.Tensor).reshape([-1])), r)) as tf.Scalar;
    const vars = trainableVariables((layer.apply(x), layer));
    const { grads } = tf.variableGrads(() => loss(x), vars);
    for (const v of vars) {
      const num = await numericGradYielding((val) => {
        const keep = v.clone();
        v.assign(val);
        const out = loss(x);
        v.assign(keep);
        keep.dispose();
        return out;
      }, [v], 0, 1e-3);
      // float32 forward + ReLU kinks inside the block: a loose bound here; the op-level checks
      // (ops.test.ts) are tight and the exact comparison with stock autograd is below
      expect(relErr(grads[v.name]!.dataSync(), num), v.name).toBeLessThan(3e-2);
    }
    const gx = tf.grad(loss)(x);
    expect(relErr(gx.dataSync(), await numericGradYielding(loss, [x], 0, 1e-3)), 'input').toBeLessThan(3e-2);
    tf.dispose([gx, ...Object.values(grads), r, x]);
    layer.dispose();
  });
});

/**
 * The ST-GCN block written with stock tfjs ops only (conv2d, conv2dTranspose,
 * matMul, moments), differentiated by tfjs's own autograd on the cpu backend.
 */
function referenceBlock(layer: STGCNBlock, x: tf.Tensor4D, ws: Record<string, tf.Tensor>, moving = false): tf.Tensor {
  const { filters: F, temporalKernel: kt, stride: s, transposed, activation } = layer.cfg;
  const [n, t, v, cin] = x.shape;
  const K = 3;
  const bn = (y: tf.Tensor, p: string) => {
    if (!ws[`${p}_gamma`]) return y;
    const m = moving ? { mean: ws[`${p}_moving_mean`]!, variance: ws[`${p}_moving_variance`]! } : tf.moments(y, [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(y, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), ws[`${p}_gamma`]!), ws[`${p}_beta`]!);
  };
  const adj = spatialAdjacency(v, undefined, { normalization: layer.cfg.adjacency });
  const z = tf.add(tf.matMul(x.reshape([-1, cin]), ws['gcn_kernel']!), ws['gcn_bias']!).reshape([n, t, v, K, F]);
  let y: tf.Tensor = tf.zeros([n * t, F, v]);
  for (let k = 0; k < K; k++) {
    let a: tf.Tensor = tf.tensor2d(adj[k]!, [v, v]);
    if (ws['edge_importance']) a = tf.mul(a, tf.squeeze(tf.slice(ws['edge_importance'], [k, 0, 0], [1, v, v]), [0]));
    const zk = tf.transpose(tf.slice(z, [0, 0, 0, k, 0], [n, t, v, 1, F]).reshape([n * t, v, F]), [0, 2, 1]);
    y = tf.add(y, tf.matMul(zk.reshape([n * t * F, v]), a).reshape([n * t, F, v]));
  }
  y = tf.relu(bn(tf.transpose(y, [0, 2, 1]).reshape([n, t, v, F]), 'bn1'));
  const pad = Math.floor((kt - 1) / 2);
  const w = ws['tcn_kernel'] as tf.Tensor4D;
  if (transposed) {
    const full = tf.conv2dTranspose(y as tf.Tensor4D, w, [n, (t - 1) * s + kt, v, F], [s, 1], 'valid');
    y = tf.slice(tf.pad(full, [[0, 0], [0, kt], [0, 0], [0, 0]]), [0, pad, 0, 0], [n, t * s, v, F]);
  } else {
    const tOut = Math.ceil(t / s);
    y = tf.conv2d(y as tf.Tensor4D, w, [s, 1], [[0, 0], [pad, Math.max(0, (tOut - 1) * s + kt - t - pad)], [0, 0], [0, 0]]);
  }
  if (ws['tcn_bias']) y = tf.add(y, ws['tcn_bias']);
  y = bn(y, 'bn2');
  if (layer.cfg.residual) {
    let res: tf.Tensor = x;
    if (ws['res_kernel']) {
      const wr = ws['res_kernel'] as tf.Tensor4D;
      if (transposed) {
        const full = tf.conv2dTranspose(x, wr, [n, (t - 1) * s + 1, v, F], [s, 1], 'valid');
        res = tf.pad(full, [[0, 0], [0, s - 1], [0, 0], [0, 0]]);
      } else res = tf.conv2d(x, wr, [s, 1], 'valid');
      res = bn(tf.add(res, ws['res_bias']!), 'bn3');
    }
    y = tf.add(y, res);
  }
  return activation === 'relu' ? tf.relu(y) : y;
}

describe.each([true, false])('STGCNBlock agrees with stock-tfjs autograd on the cpu backend (fused kernels: %s)', (fused) => {
  afterAll(() => setFusedKernels(true));
  it.each([
    { filters: 3, stride: 2, temporalKernel: 3 },
    { filters: 4, temporalKernel: 5 },
    { filters: 2, transposed: true, stride: 2, temporalKernel: 3, activation: 'linear' as const },
    { filters: 2, transposed: true, temporalKernel: 5, edgeImportance: false },
    { filters: 2, temporalKernel: 3, batchNorm: false, adjacency: 'stgcn-code' as const, residual: false },
  ])('%o: output and every gradient', async (args) => {
    await useBackend('cpu');
    setFusedKernels(fused);
    tf.tidy(() => {
      const layer = new STGCNBlock({ ...args, seed: 3 });
      const x = rand([2, 6, 16, 3], 11) as tf.Tensor4D;
      layer.apply(x); // builds
      layer.setWeights(layer.getWeights().map((w, i) => tf.add(w, tf.mul(rand(w.shape, 50 + i), 0.3)))); // not ones/zeros
      const names = layer.trainableWeights.map((w) => w.name.split('/').pop()!);
      const r = rand(layer.computeOutputShape(x.shape) as number[], 12);
      const mine = (...ts: tf.Tensor[]) => {
        // gradients w.r.t. the layer's own variables, via tf.variableGrads below
        return tf.sum(tf.mul(tf.sin(layer.apply(ts[0]!, { training: true }) as tf.Tensor), r)) as tf.Scalar;
      };
      const ref = (...ts: tf.Tensor[]) => {
        const ws = Object.fromEntries(names.map((nm, i) => [nm, ts[i + 1]!]));
        return tf.sum(tf.mul(tf.sin(referenceBlock(layer, ts[0] as tf.Tensor4D, ws)), r)) as tf.Scalar;
      };
      const vars = trainableVariables(layer);
      const values = vars.map((v) => v.clone());
      expect(mine(x).dataSync()[0]).toBeCloseTo(ref(x, ...values).dataSync()[0]!, 4);
      const gMine = tf.variableGrads(() => mine(x), vars).grads;
      const gRef = tf.grads(ref)([x, ...values]);
      expect(relErr(tf.grad((a: tf.Tensor) => mine(a))(x).dataSync(), gRef[0]!.dataSync()), 'input').toBeLessThan(1e-4);
      vars.forEach((v, i) => expect(relErr(gMine[v.name]!.dataSync(), gRef[i + 1]!.dataSync()), names[i]).toBeLessThan(1e-4));
    });
  });
});

describe.each(BACKENDS)('STGCNBlock inference on %s', (backend) => {
  it.each([
    { filters: 3, stride: 2, temporalKernel: 3 },
    { filters: 4, temporalKernel: 5 },
    { filters: 2, transposed: true, stride: 2, temporalKernel: 3, activation: 'linear' as const },
    { filters: 5, transposed: true, temporalKernel: 5 },
  ])('%o: batch norms folded into the convolutions give the running-statistics output', async (args) => {
    await useBackend(backend);
    tf.tidy(() => {
      const layer = new STGCNBlock({ ...args, seed: 4 });
      const x = rand([2, 6, 16, 3], 21) as tf.Tensor4D;
      layer.apply(x);
      const names = layer.weights.map((w) => w.name.split('/').pop()!);
      // random weights and running statistics (variances positive)
      layer.setWeights(layer.getWeights().map((w, i) => (names[i]!.endsWith('variance') ? tf.add(tf.abs(rand(w.shape, 60 + i)), 0.2) : tf.add(w, tf.mul(rand(w.shape, 60 + i), 0.3)))));
      const ws = Object.fromEntries(names.map((nm, i) => [nm, layer.weights[i]!.read()]));
      const mine = layer.apply(x) as tf.Tensor;
      const ref = referenceBlock(layer, x, ws, true);
      expect(relErr(mine.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    });
  });
});

describe('layer semantics (wasm)', () => {
  it('STGCNBlock output shapes, identity residual and config round trip', async () => {
    await useBackend('wasm');
    const x = rand([2, 9, 16, 4], 1);
    const shapeOf = (a: ConstructorParameters<typeof STGCNBlock>[0]) => tf.tidy(() => (new STGCNBlock(a).apply(x) as tf.Tensor).shape);
    expect(shapeOf({ filters: 4 })).toEqual([2, 9, 16, 4]);
    expect(shapeOf({ filters: 5, stride: 2 })).toEqual([2, 5, 16, 5]);
    expect(shapeOf({ filters: 5, stride: 3, temporalKernel: 75 })).toEqual([2, 3, 16, 5]);
    expect(shapeOf({ filters: 6, stride: 2, transposed: true })).toEqual([2, 18, 16, 6]);
    const b = new STGCNBlock({ filters: 7, temporalKernel: 5, dropout: 0.2, adjacency: 'stgcn-code' });
    const c = STGCNBlock.fromConfig(STGCNBlock, b.getConfig()) as STGCNBlock;
    expect(c.cfg).toEqual(b.cfg);
    expect(() => new STGCNBlock({ filters: 0 })).toThrow(/filters = 0/);
    expect(() => new STGCNBlock({ filters: 4, dropout: 1 })).toThrow(/dropout = 1/);
    expect(() => new STGCNBlock({ filters: 4, adjacency: 'x' as never })).toThrow(/adjacency/);
    x.dispose();
  });

  it('GraphGRU matches a step-by-step reference of the T-GCN equations', async () => {
    await useBackend('wasm');
    const [n, t, v, c, H] = [2, 3, 16, 2, 3];
    const layer = new GraphGRU({ units: H, seed: 5 });
    const x = rand([n, t, v, c], 2);
    const out = layer.apply(x) as tf.Tensor;
    expect(out.shape).toEqual([n, t, v, H]);
    const [wx, whg, whc, bg, bc] = layer.getWeights().map((w) => w.arraySync()) as [number[][], number[][], number[][], number[], number[]];
    const A = normalizedAdjacency();
    const xa = x.arraySync() as number[][][][];
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const got = out.arraySync() as number[][][][];
    let err = 0;
    for (let b = 0; b < n; b++) {
      let h = Array.from({ length: v }, () => new Array<number>(H).fill(0));
      for (let s = 0; s < t; s++) {
        // Â [x, h] W for the gates, then Â [x, r ⊙ h] W for the candidate
        const lin = (inp: number[][], wIn: number[][], hid: number[][], wH: number[][], cols: number[]) =>
          Array.from({ length: v }, (_, w) => cols.map((col, j) => {
            let acc = 0;
            for (let u = 0; u < v; u++) {
              const a = A[w * v + u]!;
              if (!a) continue;
              let z = 0;
              for (let k = 0; k < c; k++) z += inp[u]![k]! * wIn[k]![col]!;
              for (let k = 0; k < H; k++) z += hid[u]![k]! * wH[k]![j]!;
              acc += a * z;
            }
            return acc;
          }));
        const gates = lin(xa[b]![s]!, wx, h, whg, Array.from({ length: 2 * H }, (_, j) => j)).map((row) => row.map((z, j) => sig(z + bg[j]!)));
        const rh = h.map((row, w) => row.map((hv, j) => gates[w]![j]! * hv));
        const cand = lin(xa[b]![s]!, wx, rh, whc, Array.from({ length: H }, (_, j) => 2 * H + j)).map((row) => row.map((z, j) => Math.tanh(z + bc[j]!)));
        h = h.map((row, w) => row.map((hv, j) => gates[w]![H + j]! * hv + (1 - gates[w]![H + j]!) * cand[w]![j]!));
        for (let w = 0; w < v; w++) for (let j = 0; j < H; j++) err = Math.max(err, Math.abs(h[w]![j]! - got[b]![s]![w]![j]!));
      }
    }
    expect(err).toBeLessThan(1e-5);
    const last = new GraphGRU({ units: H, seed: 5, returnSequences: false });
    last.apply(x);
    last.setWeights(layer.getWeights());
    const lastOut = last.apply(x) as tf.Tensor;
    expect(lastOut.shape).toEqual([n, v, H]);
    expect(relErr(lastOut.dataSync(), out.slice([0, t - 1], [n, 1]).dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, out, lastOut]);
  });

  it('attention weights are softmaxes; zero scores leave x unchanged and pool to the mean', async () => {
    await useBackend('wasm');
    const x = rand([2, 5, 16, 3], 3);
    const sa = new SpatialAttention({ units: 4 });
    sa.apply(x);
    const alpha = sa.weightsFor(x as tf.Tensor4D);
    expect(alpha.shape).toEqual([2, 5, 16]);
    expect(relErr(tf.sum(alpha, 2).dataSync(), new Float32Array(10).fill(1))).toBeLessThan(1e-5);
    sa.setWeights(sa.getWeights().map((w, i) => (i === 2 ? tf.zerosLike(w) : w)));
    expect(relErr((sa.apply(x) as tf.Tensor).dataSync(), x.dataSync())).toBeLessThan(1e-5);
    const h = rand([2, 5, 3], 4);
    const tp = new TemporalAttentionPool({ returnWeights: true });
    const [pooled, beta] = tp.apply(h) as tf.Tensor[];
    expect(pooled!.shape).toEqual([2, 3]);
    expect(beta!.shape).toEqual([2, 5]);
    expect(relErr(tf.sum(beta!, 1).dataSync(), [1, 1])).toBeLessThan(1e-5);
    tp.setWeights(tp.getWeights().map((w, i) => (i === 2 ? tf.zerosLike(w) : w)));
    expect(relErr(((tp.apply(h) as tf.Tensor[])[0]!).dataSync(), tf.mean(h, 1).dataSync())).toBeLessThan(1e-5);
  });

  it('TemporalAttentionPool with clipLength L: the mean of one softmax pooling per clip of L frames; frames after the last whole clip weigh 0', async () => {
    await useBackend('wasm');
    const h = rand([2, 11, 3], 5); // 3 clips of 3 frames, 2 frames left over
    const clipped = new TemporalAttentionPool({ name: 'tap', units: 4, returnWeights: true, clipLength: 3, seed: 7 });
    const whole = new TemporalAttentionPool({ name: 'tap', units: 4, returnWeights: true, seed: 7 }); // same name and seed: same weights
    const [pooled, beta] = clipped.apply(h) as tf.Tensor[];
    whole.apply(h);
    expect(relErr(whole.getWeights()[0]!.dataSync(), clipped.getWeights()[0]!.dataSync())).toBe(0);
    const perClip = [0, 1, 2].map((s) => (whole.apply(h.slice([0, 3 * s, 0], [2, 3, 3])) as tf.Tensor[])[0]!);
    expect(relErr(pooled!.dataSync(), tf.div(tf.addN(perClip), 3).dataSync())).toBeLessThan(1e-5);
    const b = beta!.arraySync() as number[][];
    for (const row of b) {
      for (let s = 0; s < 3; s++) expect(row.slice(3 * s, 3 * s + 3).reduce((x, y) => x + y, 0)).toBeCloseTo(1 / 3, 5);
      expect(row.slice(9)).toEqual([0, 0]);
    }
    expect(() => new TemporalAttentionPool({ clipLength: 1.5 })).toThrow(/clipLength/);
  });
});

describe('denormal weights (wasm)', () => {
  it('flushDenormals zeroes denormal weights only, and loadModel flushes them', async () => {
    await useBackend('wasm');
    const layer = new STGCNBlock({ filters: 2, temporalKernel: 3 });
    tf.dispose(layer.apply(rand([1, 4, 16, 2], 1)) as tf.Tensor);
    const ws = layer.getWeights();
    const k = ws[0]!.dataSync().slice();
    k[0] = 1e-40; // denormal
    k[1] = -3e-39; // denormal
    k[2] = 2e-38; // normal
    layer.setWeights([tf.tensor(k, ws[0]!.shape), ...ws.slice(1)]);
    expect(flushDenormals(layer)).toBe(2);
    const after = layer.getWeights()[0]!.dataSync();
    expect([after[0], after[1], after[2]]).toEqual([0, 0, Math.fround(2e-38)]);
    expect(flushDenormals(layer)).toBe(0);
  });
});

describe('save / load (wasm)', () => {
  it('round trip gives identical outputs and the meta; missing or corrupt files name the file', async () => {
    await useBackend('wasm');
    const model = tinyModel(4, 7);
    const x = rand([3, 4, 16, 3], 8);
    const opt = tf.train.sgd(0.1);
    // one training step so batch-norm running statistics differ from their initial values
    opt.minimize(() => tf.sum((model.apply(x, { training: true }) as tf.Tensor[])[0]!) as tf.Scalar, false, trainableVariables(model));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-nn-'));
    tmpDirs.push(dir);
    await saveModel(model, dir, { preset: 'tiny', classes: ['a', 'b', 'c'] });
    const { model: loaded, meta } = await loadModel<{ preset: string; classes: string[] }>(dir);
    expect(meta).toEqual({ preset: 'tiny', classes: ['a', 'b', 'c'] });
    const [a] = model.predict(x) as tf.Tensor[];
    const [b] = loaded.predict(x) as tf.Tensor[];
    expect(Array.from(b!.dataSync())).toEqual(Array.from(a!.dataSync()));
    expect(loaded.getWeights().length).toBe(model.getWeights().length);

    writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(12));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.bin has 12 bytes/);
    rmSync(path.join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(GaitforgeError);
    await expect(loadModel(dir)).rejects.toThrow(/has no weights\.bin/);
    writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadModel(dir)).rejects.toThrow(/model\.json is not valid JSON/);
    tf.dispose([x, a!, b!]);
    model.dispose();
    loaded.dispose();
  });
});

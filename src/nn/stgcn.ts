/**
 * The spatial-temporal graph convolution block (ST-GCN, Yan et al. 2018) as a
 * tfjs layer, channels last: x: [N, T, V, Cin] → [N, T', V, filters] with
 * T' = ceil(T / stride), or T · stride for the transposed (decoder) variant.
 *   spatial graph conv: z = x W (1×1, Cin → K·filters), y[w] = Σ_k Σ_v (A_k ∘ M_k)[v][w] z_k[v]
 *   → BN → ReLU → temporal conv (kernel kt along T, "same" padding, stride) → BN → dropout
 *   → + residual (identity, or 1×1 conv with the same stride + BN) → activation
 * A is the K = 3 partition adjacency of `spatialAdjacency()`, M a learnable
 * edge-importance mask (initialised to ones). Built on ops.ts, so it trains fast on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { EDGES, spatialAdjacency } from '../core/skeleton.js';
import {
  addBatchNorm, applyBatchNorm, checkChoice, checkInt, checkNumber, isTraining, single, singleShape, torchUniform,
  noiseSeed, weightSeed, type AddWeight, type BatchNormWeights, type LayerVariable,
} from './common.js';
import { addBias, denseLastAxis, graphMix, matMul2d, temporalConv, temporalConvTranspose, type MixPattern } from './ops.js';
import { ConfigRangeError } from '../core/errors.js';

export type STGCNActivation = 'relu' | 'linear';

/** A batch norm in inference mode as y = x · scale + shift: [C] each. */
interface Fold {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}
export type STGCNAdjacency = 'partition' | 'stgcn-code';

export interface STGCNBlockArgs {
  /** Output channels. */
  filters: number;
  /** Temporal kernel length kt (9 as in ST-GCN; 75 in the `step-paper` preset). Default 9. */
  temporalKernel?: number;
  /** Temporal stride: output length ceil(T / stride) (T · stride when transposed). Default 1. */
  stride?: number;
  /** Residual connection: identity when shapes match, else 1×1 projection + BN. Default true. */
  residual?: boolean;
  /** Dropout rate after the temporal conv, in [0, 1). Default 0. */
  dropout?: number;
  /** Decoder variant: a transposed ("deconvolution") temporal conv that upsamples by `stride`. Default false. */
  transposed?: boolean;
  /** STGCNActivation after the residual add. Default 'relu'. */
  activation?: STGCNActivation;
  /** Batch norm after the spatial and the temporal conv (and on the projection). Default true. */
  batchNorm?: boolean;
  /** Learnable edge-importance mask over the K adjacency partitions. Default true. */
  edgeImportance?: boolean;
  /** Adjacency normalisation (see `spatialAdjacency`). Default 'partition'. */
  adjacency?: STGCNAdjacency;
  /** Skeleton edges; default the 16-joint E-Gait skeleton. Joints = input V. */
  edges?: [number, number][];
  /** Seed of the weight initialisers and dropout masks. Default 1. */
  seed?: number;
  /** Batch-norm momentum (PyTorch convention). Default 0.1. */
  bnMomentum?: number;
  /** Batch-norm epsilon. Default 1e-5. */
  bnEpsilon?: number;
  name?: string;
  trainable?: boolean;
}

export const DEFAULT_STGCN_BLOCK: Required<Omit<STGCNBlockArgs, 'filters' | 'name' | 'trainable'>> = {
  temporalKernel: 9,
  stride: 1,
  residual: true,
  dropout: 0,
  transposed: false,
  activation: 'relu',
  batchNorm: true,
  edgeImportance: true,
  adjacency: 'partition',
  edges: EDGES.map(([a, b]) => [a, b] as [number, number]),
  seed: 1,
  bnMomentum: 0.1,
  bnEpsilon: 1e-5,
};

export type ResolvedSTGCNBlockArgs = Required<Omit<STGCNBlockArgs, 'name' | 'trainable'>>;

/** Copies args, fills defaults, throws RangeError naming a bad field. */
export function resolveSTGCNBlock(args: STGCNBlockArgs): ResolvedSTGCNBlockArgs {
  const r = { ...DEFAULT_STGCN_BLOCK, ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)) } as ResolvedSTGCNBlockArgs & { name?: string; trainable?: boolean };
  const L = 'STGCNBlock';
  checkInt(L, 'filters', r.filters, 1, 65536);
  checkInt(L, 'temporalKernel', r.temporalKernel, 1, 1024);
  checkInt(L, 'stride', r.stride, 1, 64);
  checkNumber(L, 'dropout', r.dropout, 0, 0.999);
  checkNumber(L, 'bnMomentum', r.bnMomentum, 0, 1);
  checkNumber(L, 'bnEpsilon', r.bnEpsilon, 0, 1);
  checkChoice(L, 'activation', r.activation, ['relu', 'linear']);
  checkChoice(L, 'adjacency', r.adjacency, ['partition', 'stgcn-code']);
  if (!Number.isSafeInteger(r.seed)) throw new ConfigRangeError(`${L}: seed = ${String(r.seed)} is not a safe integer`);
  const { name: _n, trainable: _t, ...rest } = r;
  return { ...rest, edges: r.edges.map(([a, b]) => [a, b] as [number, number]) };
}

/** K = 3 partitions, [K, V, V] row-major: A[k][v][w] = weight of input joint v for output joint w. */
function adjacencyData(v: number, edges: [number, number][], mode: STGCNAdjacency): Float32Array {
  for (const [a, b] of edges)
    if (!(a >= 0 && a < v && b >= 0 && b < v)) throw new RangeError(`STGCNBlock: edge (${a}, ${b}) is out of range for V = ${v} joints`);
  const parts = spatialAdjacency(v, edges, { normalization: mode });
  const out = new Float32Array(parts.length * v * v);
  parts.forEach((p, k) => out.set(p, k * v * v));
  return out;
}

/**
 * Spatial aggregation y[nt, w, f] = Σ_{v,k} G[(v,k), w] · z[nt, v, k, f] as one 2-D matMul:
 * z: [N, T, V, K·F], g: [V·K, V] → [N, T, V, F]. Caller disposes.
 */
export function graphAggregate(z: tf.Tensor4D, g: tf.Tensor2D, k: number): tf.Tensor4D {
  const [n, t, v, kf] = z.shape;
  const f = kf / k;
  const zt = tf.transpose(z.reshape([n * t, v * k, f]), [0, 2, 1]).reshape([n * t * f, v * k]) as tf.Tensor2D;
  const y = matMul2d(zt, g).reshape([n * t, f, v]);
  return tf.transpose(y, [0, 2, 1]).reshape([n, t, v, f]) as tf.Tensor4D;
}

/**
 * The ST-GCN block. Input [N, T, V, Cin] → output [N, T', V, filters].
 * Weights: gcn_kernel [Cin, K·filters], gcn_bias [K·filters], edge_importance
 * [K, V, V], tcn_kernel [kt, 1, filters, filters], bn1_*, bn2_* (or tcn_bias
 * without batch norm), and for a projected residual res_kernel [1, 1, Cin, filters]
 * (transposed: [1, 1, filters, Cin]), res_bias, bn3_*.
 */
export class STGCNBlock extends tf.layers.Layer {
  static className = 'STGCNBlock';
  readonly cfg: ResolvedSTGCNBlockArgs;
  private gcnKernel!: LayerVariable;
  private gcnBias!: LayerVariable;
  private importance: LayerVariable | null = null;
  private tcnKernel!: LayerVariable;
  private tcnBias: LayerVariable | null = null;
  private resKernel: LayerVariable | null = null;
  private resBias: LayerVariable | null = null;
  private bn1: BatchNormWeights | null = null;
  private bn2: BatchNormWeights | null = null;
  private bn3: BatchNormWeights | null = null;
  private adjacency: Float32Array | null = null;
  private numJoints = 0;
  private dropoutCalls = 0;
  static readonly K = 3;
  private readonly adder: AddWeight = (name, shape, init, trainable = true) =>
    this.addWeight(name, shape, 'float32', init, undefined, trainable);

  constructor(args: STGCNBlockArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.cfg = resolveSTGCNBlock(args);
  }

  /** True when the residual is a 1×1 projection rather than the identity. */
  private projects(cin: number): boolean {
    return this.cfg.residual && (cin !== this.cfg.filters || this.cfg.stride !== 1);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 4) throw new RangeError(`STGCNBlock expects [N, T, V, C] input, got rank ${shape.length}`);
    const v = shape[2]!;
    const cin = shape[3]!;
    const { filters: f, temporalKernel: kt, seed } = this.cfg;
    const K = STGCNBlock.K;
    this.numJoints = v;
    this.adjacency = adjacencyData(v, this.cfg.edges, this.cfg.adjacency);
    this.gcnKernel = this.addWeight('gcn_kernel', [cin, K * f], 'float32', torchUniform(seed, `${this.name}/gcn`));
    this.gcnBias = this.addWeight('gcn_bias', [K * f], 'float32', tf.initializers.zeros());
    if (this.cfg.edgeImportance) this.importance = this.addWeight('edge_importance', [K, v, v], 'float32', tf.initializers.ones());
    this.tcnKernel = this.addWeight('tcn_kernel', [kt, 1, f, f], 'float32', torchUniform(seed, `${this.name}/tcn`));
    if (this.cfg.batchNorm) {
      this.bn1 = addBatchNorm(this.adder, 'bn1', f);
      this.bn2 = addBatchNorm(this.adder, 'bn2', f);
    } else {
      this.tcnBias = this.addWeight('tcn_bias', [f], 'float32', tf.initializers.zeros());
    }
    if (this.projects(cin)) {
      const shapeR = this.cfg.transposed ? [1, 1, f, cin] : [1, 1, cin, f];
      this.resKernel = this.addWeight('res_kernel', shapeR, 'float32', torchUniform(seed, `${this.name}/res`));
      this.resBias = this.addWeight('res_bias', [f], 'float32', tf.initializers.zeros());
      if (this.cfg.batchNorm) this.bn3 = addBatchNorm(this.adder, 'bn3', f);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, t, v] = singleShape(inputShape);
    const s = this.cfg.stride;
    const tOut = t == null ? null : this.cfg.transposed ? t * s : Math.ceil(t / s);
    return [n ?? null, tOut, v ?? null, this.cfg.filters];
  }

  /**
   * The nonzero entries of A (k, v, w) as slot-mixing patterns, their values
   * and their flat index into the edge-importance mask [K, V, V].
   */
  private sparse: { values: Float32Array; maskIndex: number[]; expand: MixPattern; reduce: MixPattern } | null = null;

  private sparsePattern() {
    if (!this.sparse) {
      const v = this.numJoints;
      const K = STGCNBlock.K;
      const values: number[] = [];
      const maskIndex: number[] = [];
      const expand: MixPattern = { src: [], dst: [], sIn: v, sOut: v * K };
      const reduce: MixPattern = { src: [], dst: [], sIn: v * K, sOut: v };
      for (let k = 0; k < K; k++)
        for (let a = 0; a < v; a++)
          for (let w = 0; w < v; w++) {
            const val = this.adjacency![(k * v + a) * v + w]!;
            if (val === 0) continue;
            values.push(val);
            maskIndex.push((k * v + a) * v + w);
            expand.src.push(a); // x[v] → xa[w, k]
            expand.dst.push(w * K + k);
            reduce.src.push(a * K + k); // z[v, k] → y[w]
            reduce.dst.push(w);
          }
      this.sparse = { values: Float32Array.from(values), maskIndex, expand, reduce };
    }
    return this.sparse;
  }

  /** Values of A ∘ M at the nonzeros of A: [nnz]. */
  private edgeWeights(): tf.Tensor1D {
    const sp = this.sparsePattern();
    const a = tf.tensor1d(sp.values);
    if (!this.importance) return a;
    // selection as a matMul: the gradient of tf.gather needs UnsortedSegmentSum, which wasm lacks
    const size = this.importance.read().size;
    const sel = new Float32Array(size * sp.maskIndex.length);
    sp.maskIndex.forEach((i, t) => (sel[i * sp.maskIndex.length + t] = 1));
    const m = matMul2d(this.importance.read().reshape([1, size]) as tf.Tensor2D, tf.tensor2d(sel, [size, sp.maskIndex.length]));
    return tf.mul(a, m.reshape([-1])) as tf.Tensor1D;
  }

  /**
   * Spatial graph convolution y[w] = Σ_k Σ_v (A_k ∘ M_k)[v][w] (x[v] W_k + b_k):
   * x: [N, T, V, Cin] → [N, T, V, F]. When Cin < F the joints are aggregated
   * first (on Cin channels, then one [K·Cin, F] matMul), else after the
   * [Cin, K·F] matMul; both orders compute the same function.
   */
  private spatialConv(x: tf.Tensor4D, fold: Fold | null = null): tf.Tensor4D {
    const [n, t, v, cin] = x.shape;
    const K = STGCNBlock.K;
    const f = this.cfg.filters;
    const sp = this.sparsePattern();
    const ew = this.edgeWeights();
    let kernel = this.gcnKernel.read() as tf.Tensor2D; // [Cin, K·F], columns (k, f)
    let bias = this.gcnBias.read() as tf.Tensor1D; // [K·F]
    if (fold) {
      // inference: the following batch norm's scale folded into the kernel and bias
      kernel = tf.mul(kernel.reshape([cin, K, f]), fold.scale).reshape([cin, K * f]) as tf.Tensor2D;
      bias = tf.mul(bias.reshape([K, f]), fold.scale).reshape([K * f]) as tf.Tensor1D;
    }
    if (cin < f) {
      const xa = graphMix(x.reshape([n * t, v, cin]) as tf.Tensor3D, ew, sp.expand); // [NT, V·K, Cin]
      const wk = tf.transpose(kernel.reshape([cin, K, f]), [1, 0, 2]).reshape([K * cin, f]) as tf.Tensor2D;
      const y = matMul2d(xa.reshape([n * t * v, K * cin]) as tf.Tensor2D, wk);
      // the bias of every partition, summed over the joints feeding w: Σ_k (Σ_v A_k∘M_k[v][w]) b_k → [V, F]
      const colSums = graphMix(tf.ones([1, v, 1]) as tf.Tensor3D, ew, sp.expand).reshape([v, K]) as tf.Tensor2D;
      let biasVF = matMul2d(colSums, bias.reshape([K, f]) as tf.Tensor2D);
      if (fold) biasVF = tf.add(biasVF, fold.shift);
      return addBias(y.reshape([n * t, v * f]) as tf.Tensor2D, biasVF.reshape([v * f]) as tf.Tensor1D).reshape([n, t, v, f]) as tf.Tensor4D;
    }
    const z = denseLastAxis(x, kernel, bias); // [N, T, V, K·F]
    const y = graphMix(z.reshape([n * t, v * K, f]) as tf.Tensor3D, ew, sp.reduce).reshape([n, t, v, f]) as tf.Tensor4D;
    return fold ? tf.add(y, fold.shift) : y;
  }

  /**
   * Inference with every batch norm folded into the convolution before it
   * (kernel · scale, bias · scale + shift): the same function as
   * `call(..., { training: false })` with 2-3 fewer passes over the activations.
   */
  private callFolded(x: tf.Tensor4D): tf.Tensor {
    const { stride, transposed, bnEpsilon: eps, activation } = this.cfg;
    const cin = x.shape[3];
    const fold = (w: BatchNormWeights): Fold => {
      const scale = tf.mul(w.gamma.read(), tf.rsqrt(tf.add(w.movingVariance.read(), eps))) as tf.Tensor1D;
      return { scale, shift: tf.sub(w.beta.read(), tf.mul(w.movingMean.read(), scale)) as tf.Tensor1D };
    };
    // scales the output channels of a temporal kernel: axis 3 for a conv, axis 2 for a transposed conv
    const scaleKernel = (k: tf.Tensor4D, s: tf.Tensor1D) => tf.mul(k, transposed ? s.reshape([1, 1, -1, 1]) : s) as tf.Tensor4D;
    const f1 = fold(this.bn1!);
    const f2 = fold(this.bn2!);
    let y: tf.Tensor = tf.relu(this.spatialConv(x, f1));
    const wt = scaleKernel(this.tcnKernel.read() as tf.Tensor4D, f2.scale);
    y = transposed ? temporalConvTranspose(y as tf.Tensor4D, wt, stride) : temporalConv(y as tf.Tensor4D, wt, stride);
    let shift: tf.Tensor = f2.shift;
    if (this.cfg.residual) {
      let r: tf.Tensor = x;
      if (this.projects(cin)) {
        const f3 = fold(this.bn3!);
        const wr = scaleKernel(this.resKernel!.read() as tf.Tensor4D, f3.scale);
        r = transposed ? temporalConvTranspose(x, wr, stride) : stride === 1 ? denseLastAxis(x, wr.reshape([cin, -1]) as tf.Tensor2D) : temporalConv(x, wr, stride);
        shift = tf.add(shift, tf.add(tf.mul(this.resBias!.read(), f3.scale), f3.shift));
      }
      y = tf.add(y, r);
    }
    y = tf.add(y, shift);
    return activation === 'relu' ? tf.relu(y) : y;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const training = isTraining(kwargs);
      if (!training && this.cfg.batchNorm) return this.callFolded(x);
      const { stride, transposed, bnMomentum: mom, bnEpsilon: eps, dropout, activation } = this.cfg;
      const cin = x.shape[3];
      const bn = (t: tf.Tensor, w: BatchNormWeights | null, relu = false) =>
        w ? applyBatchNorm(t, w, training, mom, eps, relu) : relu ? tf.relu(t) : t;

      let y: tf.Tensor = this.spatialConv(x);
      y = bn(y, this.bn1, true);
      const wt = this.tcnKernel.read() as tf.Tensor4D;
      y = transposed ? temporalConvTranspose(y as tf.Tensor4D, wt, stride) : temporalConv(y as tf.Tensor4D, wt, stride);
      if (this.tcnBias) y = tf.add(y, this.tcnBias.read());
      y = bn(y, this.bn2);
      if (training && dropout > 0) y = tf.dropout(y, dropout, undefined, noiseSeed(this.cfg.seed, `${this.name}/dropout`, () => this.dropoutCalls++));
      if (this.cfg.residual) {
        let r: tf.Tensor = x;
        if (this.projects(cin)) {
          const wr = this.resKernel!.read() as tf.Tensor4D;
          r = transposed ? temporalConvTranspose(x, wr, stride) : stride === 1 ? denseLastAxis(x, wr.reshape([cin, -1]) as tf.Tensor2D) : temporalConv(x, wr, stride);
          r = bn(tf.add(r, this.resBias!.read()), this.bn3);
        }
        y = tf.add(y, r);
      }
      return activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg, edges: this.cfg.edges.map(([a, b]) => [a, b]) } as unknown as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(STGCNBlock);

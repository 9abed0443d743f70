/**
 * Sampling a trained flow: each gait's noise ε ~ N(0, I) over the k
 * coefficients comes from its own seed (plan.ts `gaitSeed`) and is integrated
 * from t = 1 (noise) to t = 0 (data) on the config's time grid with a
 * deterministic Euler or Heun step and the guided velocity
 *   v = v(x, t, ∅) + W · (v(x, t, y) − v(x, t, ∅))   (W = 1: conditional only, W = 0: unconditional),
 * then decoded to metres (canonical frame) and rigidified as STEP-Gen's
 * samples are. Every row is computed on its own (no batch statistics), so the
 * gaits are the same bits whatever the batch size or thread count.
 * Restyling (`restyleRows`, SDEdit): a real walk's coefficients are noised to
 * z_s = (1 − s)·z0 + s·ε (ε from the walk's own seed) and integrated back from
 * t = s with the new label; the walk moves by the decoded difference from z0,
 * keeping the detail the PCA space drops, and its bones are set back (edit.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../../core/errors.js';
import { filesHash } from '../../core/hash.js';
import { deriveSeed, Rng } from '../../core/rng.js';
import { loadModel } from '../../nn/serialize.js';
import { checkpointDir } from '../../train/checkpoint.js';
import { MANIFEST_FILE } from '../checkpoint.js';
import { refitToSources } from '../edit.js';
import { standardize } from '../normalize.js';
import { PCA_BIN, PCA_JSON } from '../pca.js';
import { fromSpace, PcaSpaceGenerator, readPcaSpace, toSpace, type PcaSpace } from '../pca-space.js';
import { gaitSeed, type Planned, type SampleOptions } from '../plan.js';
import { timeGrid, type ResolvedFlowConfig } from './config.js';
import { FlowDenoiser, labelInput } from './model.js';
import { readFlowManifest, type FlowManifest } from './train.js';

/** The checked options of a flow sampling call. */
export interface FlowSampleOptions {
  seed: number;
  batchSize: number;
  rigid: boolean;
  steps: number;
  guidance: number;
}

/** Checks the flow's own sampling options (E_OPTION naming the option). */
export function checkFlowOptions(steps: unknown, guidance: unknown): void {
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > 1000) throw optionError('steps', steps, 'an integer in [1, 1000]');
  if (typeof guidance !== 'number' || !Number.isFinite(guidance) || guidance < 0 || guidance > 20) throw optionError('guidance', guidance, 'a number in [0, 20]');
}

/** k standard normal values from `seed` (a gait's noise). */
function noise(seed: number, purpose: string, k: number, out: Float32Array, at: number): void {
  const rng = new Rng(seed, purpose);
  for (let j = 0; j < k; j++) out[at + j] = rng.normal();
}

export class FlowGenerator extends PcaSpaceGenerator<ResolvedFlowConfig, FlowSampleOptions> {
  constructor(manifest: FlowManifest, space: PcaSpace, checkpointHash: string, dir: string, private denoiser: tf.LayersModel | null) {
    super(manifest, space, checkpointHash, dir);
  }

  sampleOptions(o: SampleOptions): FlowSampleOptions {
    const common = this.commonOptions(o);
    const steps = o.steps ?? this.config.steps;
    const guidance = o.guidance ?? this.config.guidance;
    checkFlowOptions(steps, guidance);
    return { ...common, steps, guidance };
  }

  fileMetadata(o: FlowSampleOptions): Record<string, string> {
    return {
      'generator.name': this.name, 'generator.checkpoint': this.checkpointHash, 'generator.seed': String(o.seed), 'generator.rigid': String(o.rigid),
      'generator.steps': String(o.steps), 'generator.guidance': String(o.guidance), 'generator.sampler': this.config.sampler, 'generator.timeGrid': this.config.timeGrid,
    };
  }

  protected coefficients(plan: Planned[], o: FlowSampleOptions): Float32Array {
    const k = this.space.basis.k;
    const z = new Float32Array(plan.length * k);
    plan.forEach((p, i) => noise(gaitSeed(o.seed, this.labelNames[p.label]!, p.k), 'generator/flow/noise', k, z, i * k));
    return this.integrate(z, Int32Array.from(plan, (p) => p.label), timeGrid(this.config.timeGrid, o.steps), o.guidance, o.batchSize);
  }

  /**
   * Integrates coefficients z ([n, k], at the grid's first time) along the
   * guided flow of `labels` to t = 0, `batchSize` rows at a time. Returns new
   * coefficients; leaves no tensors behind.
   */
  integrate(z: Float32Array, labels: Int32Array, grid: number[], guidance: number, batchSize: number): Float32Array {
    if (!this.denoiser) throw new GaitforgeError('E_MODEL', `generator ${this.tag} was disposed`);
    const k = this.space.basis.k;
    const n = labels.length;
    const out = new Float32Array(z.length);
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      const r = tf.tidy(() => {
        let x = tf.tensor2d(z.subarray(s * k, e * k), [e - s, k]);
        const y = labels.subarray(s, e);
        for (let i = 0; i + 1 < grid.length; i++) {
          const dt = grid[i + 1]! - grid[i]!;
          const v = this.velocity(x, grid[i]!, y, guidance);
          const euler = tf.add(x, tf.mul(v, dt)) as tf.Tensor2D;
          // Heun's correction, except into t = 0 (an x0-predicting model has no velocity there)
          if (this.config.sampler === 'heun' && grid[i + 1]! > 0) x = tf.add(x, tf.mul(tf.add(v, this.velocity(euler, grid[i + 1]!, y, guidance)), dt / 2)) as tf.Tensor2D;
          else x = euler;
        }
        return x;
      });
      out.set(r.dataSync(), s * k);
      r.dispose();
    }
    return out;
  }

  /** The guided velocity at coefficients x ([n, k]) and time t for labels y (inside a tidy). */
  private velocity(x: tf.Tensor2D, t: number, y: Int32Array, W: number): tf.Tensor2D {
    const n = y.length;
    const L = this.labelNames.length;
    const predict = (labels: Int32Array, xs: tf.Tensor2D) => {
      const tt = tf.fill([labels.length, 1], t) as tf.Tensor2D;
      const out = this.denoiser!.apply([xs, tt, labelInput(labels, L)], { training: false }) as tf.Tensor2D;
      // the velocity of an x0 prediction: (x_t − x̂0) / t
      return this.config.prediction === 'velocity' ? out : (tf.div(tf.sub(xs, out), t) as tf.Tensor2D);
    };
    if (W === 1) return predict(y, x);
    const nul = new Int32Array(n).fill(L);
    if (W === 0) return predict(nul, x);
    // conditional and unconditional in one call: rows are independent, so this changes no bit of either
    const both = predict(Int32Array.from([...y, ...nul]), tf.concat([x, x], 0) as tf.Tensor2D);
    const vc = tf.slice(both, [0, 0], [n, -1]);
    const vu = tf.slice(both, [n, 0], [n, -1]);
    return tf.add(vu, tf.mul(tf.sub(vc, vu), W)) as tf.Tensor2D;
  }

  /**
   * Restyled positions [rows, T, V, 3] (metres, canonical frame) of source
   * gaits `canonical` ([S, T, V, 3], canonical frame) for rows (source index,
   * target label, the row's seed), at strength s (the module comment).
   */
  restyleRows(canonical: Float32Array, rows: readonly (readonly [number, number, number])[], s: number, o: { steps: number; guidance: number; batchSize: number }): Float32Array {
    const { T, V } = this;
    const per = T * V * 3;
    const k = this.space.basis.k;
    const positions = new Float32Array(rows.length * per);
    rows.forEach(([i], r) => positions.set(canonical.subarray(i * per, (i + 1) * per), r * per));
    if (s === 0 || rows.length === 0) return positions;
    const sources = [...new Set(rows.map(([i]) => i))];
    const at = new Map(sources.map((i, j) => [i, j]));
    const std = standardize(Float32Array.from(sources.flatMap((i) => Array.from(canonical.subarray(i * per, (i + 1) * per)))), this.normalization);
    const z0 = toSpace(this.space, std);
    const zs = new Float32Array(rows.length * k);
    const eps = new Float32Array(k);
    rows.forEach(([i, , seed], r) => {
      noise(seed, 'generator/flow/restyle', k, eps, 0);
      const src = at.get(i)! * k;
      for (let j = 0; j < k; j++) zs[r * k + j] = (1 - s) * z0[src + j]! + s * eps[j]!;
    });
    const steps = Math.max(1, Math.ceil(o.steps * s));
    const z = this.integrate(zs, Int32Array.from(rows, ([, l]) => l), timeGrid(this.config.timeGrid, steps, s), o.guidance, o.batchSize);
    // the edit in metres: decode(ẑ) − decode(z0), added to the whole walk
    const scale = this.normalization.scale;
    const edited = fromSpace(this.space, z);
    const before = fromSpace(this.space, Float32Array.from(rows.flatMap(([i]) => Array.from(z0.subarray(at.get(i)! * k, (at.get(i)! + 1) * k)))));
    for (let j = 0; j < positions.length; j++) positions[j]! += (edited[j]! - before[j]!) * scale;
    refitToSources(positions, canonical, rows.map(([i, l]) => [i, l] as const), T, V);
    return positions;
  }

  dispose(): void {
    this.denoiser?.dispose();
    this.denoiser = null;
  }
}

/** The seed of restyled row (source id, target label) under a run seed. */
export function restyleSeed(seed: number, sourceId: string, label: string): number {
  return deriveSeed(seed, `generator/flow/restyle/${sourceId}/${label}`);
}

/** Loads the flow of `dir` (its best checkpoint); E_MODEL naming a missing or mismatched file. */
export async function loadFlowGenerator(dir: string): Promise<FlowGenerator> {
  const m = readFlowManifest(dir);
  if (m.bestEpoch < 1) throw new GaitforgeError('E_MODEL', `${dir} holds no finished epoch yet (training was stopped before the first epoch ended)`);
  const space = readPcaSpace(dir, m);
  const modelDir = path.join(checkpointDir(dir, 'best'), 'denoiser');
  if (!existsSync(modelDir)) throw new GaitforgeError('E_MODEL', `model directory ${dir} is missing best/denoiser/`);
  const { model } = await loadModel(modelDir);
  const layer = model.layers.find((l) => l instanceof FlowDenoiser) as FlowDenoiser | undefined;
  if (!layer || layer.args.k !== space.basis.k || layer.args.labels !== m.labelNames.length) {
    model.dispose();
    throw new GaitforgeError('E_MODEL', `${modelDir} does not match ${path.join(dir, MANIFEST_FILE)} (k = ${layer?.args.k}, labels ${layer?.args.labels}; the manifest: k = ${space.basis.k}, ${m.labelNames.length} labels)`);
  }
  const hash = filesHash(dir, [MANIFEST_FILE, PCA_JSON, PCA_BIN, path.join('best', 'denoiser', 'model.json'), path.join('best', 'denoiser', 'weights.bin')]);
  return new FlowGenerator(m, space, hash, path.resolve(dir), model);
}

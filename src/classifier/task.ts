/**
 * A classifier's objective for the training engine (src/train): emotion
 * cross-entropy, and for AT-GCN the identity and next-frame losses combined
 * with learned task weights, on rows of prepared training inputs. Built
 * from plain data, so data-parallel replicas (replica.ts) rebuild it in a
 * worker thread.
 */
import * as tf from '@tensorflow/tfjs';
import { trainableVariables } from '../nn/index.js';
import type { GradientTask } from '../train/engine.js';
import { decayedWeights } from '../train/optimizer.js';
import { buildArchitecture, type ArchitectureSpec, type OutputName } from './architectures.js';
import { gatherRows } from '../io/model-input.js';
import '../nn/head-layers.js';
import { batchAccuracy, crossEntropy, nextFrameLoss, uncertaintyWeighted } from '../nn/objectives.js';

/** Training inputs, computed once: rows are gaits. */
export interface ClassifierData {
  /** [N, modelT, V, 3] flat. */
  positions: Float32Array;
  /** STEP: scaled affective features [N, D] flat; null otherwise. */
  affective: Float32Array | null;
  labels: Int32Array;
  /** Identity class per gait, −1 when unknown or not a training identity. */
  identity: Int32Array;
}

export interface ClassifierTaskSpec {
  arch: ArchitectureSpec;
  /** 'emotion' first, then 'identity' and/or 'nextFrame' (AT-GCN). */
  taskNames: string[];
  data: ClassifierData;
}

export class ClassifierTask implements GradientTask {
  readonly variables: tf.Variable[];
  readonly decayed: boolean[];
  readonly replicated: tf.Variable[];
  readonly metricNames: string[];
  private readonly modelT: number;
  private readonly V: number;

  /** `logVars` ([tasks], AT-GCN with more than one task): the learned task weights s_i. */
  constructor(
    readonly model: tf.LayersModel,
    readonly outputs: OutputName[],
    readonly taskNames: string[],
    readonly logVars: tf.Variable | null,
    readonly data: ClassifierData,
  ) {
    const extra = logVars ? [logVars] : [];
    this.variables = [...trainableVariables(model), ...extra];
    // the decay rule (train/optimizer.ts): kernels only, never the task weights
    this.decayed = [...decayedWeights([model]), ...extra.map(() => false)];
    this.replicated = [...model.weights.map((w) => w.read() as tf.Variable), ...extra];
    this.metricNames = ['loss', 'accuracy', ...taskNames.map((t) => `loss_${t}`)];
    const shape = model.inputs[0]!.shape;
    this.modelT = shape[1]!;
    this.V = shape[2]!;
  }

  /** Metrics: [objective, emotion accuracy, each task's loss]. */
  loss(rows: Int32Array): { total: tf.Scalar; metrics: tf.Tensor1D } {
    const { data, outputs, taskNames } = this;
    const per = this.modelT * this.V * 3;
    const positions = tf.tensor4d(gatherRows(data.positions, per, rows), [rows.length, this.modelT, this.V, 3]);
    const labels = tf.tensor1d(Int32Array.from(rows, (i) => data.labels[i]!), 'int32');
    let inputs: tf.Tensor | tf.Tensor[] = positions;
    if (data.affective) {
      const D = data.affective.length / data.labels.length;
      inputs = [positions, tf.tensor2d(gatherRows(data.affective, D, rows), [rows.length, D])];
    }
    const outs = this.model.apply(inputs, { training: true }) as tf.Tensor[];
    const logits = outs[0] as tf.Tensor2D;
    const losses: tf.Scalar[] = [crossEntropy(logits, labels)];
    if (taskNames.includes('identity')) {
      const ids = Int32Array.from(rows, (i) => data.identity[i]!);
      const mask = tf.tensor1d(Float32Array.from(ids, (x) => (x >= 0 ? 1 : 0)));
      const target = tf.tensor1d(Int32Array.from(ids, (x) => Math.max(0, x)), 'int32');
      losses.push(crossEntropy(outs[outputs.indexOf('identity')] as tf.Tensor2D, target, mask));
    }
    if (taskNames.includes('nextFrame')) losses.push(nextFrameLoss(positions, outs[outputs.indexOf('nextFrame')] as tf.Tensor4D));
    const total = this.logVars ? uncertaintyWeighted(losses, this.logVars as tf.Tensor as tf.Tensor1D) : losses[0]!;
    const metrics = tf.stack([total, batchAccuracy(logits, labels), ...losses]) as tf.Tensor1D;
    return { total, metrics };
  }
}

/** Builds the model, the task weights and the task from plain data. `dispose()` releases the model and task weights. */
export function buildClassifierTask(spec: ClassifierTaskSpec): { task: ClassifierTask; model: tf.LayersModel; outputs: OutputName[]; logVars: tf.Variable | null; dispose(): void } {
  const built = buildArchitecture(spec.arch);
  const logVars = spec.taskNames.length > 1 ? tf.variable(tf.zeros([spec.taskNames.length]), true) : null;
  const task = new ClassifierTask(built.model, built.outputs, spec.taskNames, logVars, spec.data);
  return {
    task, model: built.model, outputs: built.outputs, logVars,
    dispose() {
      logVars?.dispose();
      built.model.dispose();
    },
  };
}

/**
 * `npm run bench -- --only classifier [--quick] [--seconds S]`
 *
 * Samples/s of the three classifiers as gaitforge trains and runs them
 * (T = 75 frames, V = 16 joints, 4 labels, default config): a training step
 * (the training engine's step: forward, every task's loss, gradients, weight decay, Adam) at
 * batch 16, and end-to-end inference on 128 gaits (preprocessing, STEP's
 * affective features, chunks of 64, softmax). AT-GCN runs its GRU over every
 * 2nd frame (the default frame stride) with identity (24 walkers) and
 * next-frame tasks on. Medians over repeated calls on the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { affectiveFeatures, AFFECTIVE_FEATURE_NAMES, fitMinMax, NUM_AFFECTIVE_FEATURES } from '../src/core/affective.js';
import { resolveClassifierConfig, type ClassifierKind } from '../src/classifier/config.js';
import { classifierPreprocess, modelPositions } from '../src/io/model-input.js';
import { ModelRunner, softmaxRows } from '../src/classifier/model.js';
import { buildClassifierTask } from '../src/classifier/task.js';
import { Engine } from '../src/train/engine.js';
import type { BenchArgs, BenchSection } from './common.js';

const KINDS: ClassifierKind[] = ['baseline-step', 'step', 'at-gcn'];
const IDENTITIES = 24;

async function rate(fn: () => unknown, samples: number, seconds: number): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || times.length < 3) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return samples / (times[Math.floor(times.length / 2)]! / 1000);
}

export const section: BenchSection = {
  name: 'classifier',
  describe: 'Baseline-STEP, STEP and AT-GCN: training step (batch 16) and end-to-end inference samples/s, T=75, V=16',
  async run({ argv, quick, report }: BenchArgs) {
    const bi = argv.indexOf('--backend');
    const backend = await initBackend((bi >= 0 ? argv[bi + 1] : 'auto') as never);
    const si = argv.indexOf('--seconds');
    const seconds = si >= 0 ? Number(argv[si + 1]) : quick ? 2 : 8;
    const data = proceduralDataset({ identities: IDENTITIES, perEmotion: 2, seed: 1 }); // 192 gaits
    const infer = data.select([...Array(128).keys()]);
    const bs = 16;
    for (const kind of KINDS) {
      const cfg = resolveClassifierConfig({});
      const stride = kind === 'at-gcn' ? cfg.frameStride : 1;
      const pre = classifierPreprocess(data.V);
      const pos = modelPositions(data, pre, stride);
      const scaler = kind === 'step' ? fitMinMax(affectiveFeatures(data), data.N, NUM_AFFECTIVE_FEATURES, AFFECTIVE_FEATURE_NAMES) : null;
      const taskNames = kind === 'at-gcn' ? ['emotion', 'identity', 'nextFrame'] : ['emotion'];
      const n = pos.data.length / (pos.T * data.V * 3);
      const built = buildClassifierTask({
        arch: {
          kind, config: cfg, T: pos.T, V: data.V, numLabels: data.labelNames.length, numIdentities: kind === 'at-gcn' ? IDENTITIES : 0,
          affectiveDim: scaler ? NUM_AFFECTIVE_FEATURES : 0, seed: 1,
        },
        taskNames,
        data: {
          positions: pos.data,
          affective: scaler ? Float32Array.from({ length: n * NUM_AFFECTIVE_FEATURES }, (_, i) => ((i * 7919) % 1000) / 1000) : null,
          labels: data.labels,
          identity: Int32Array.from({ length: n }, (_, i) => i % IDENTITIES),
        },
      });
      const engine = new Engine(built.task, { lr: cfg.lr, weightDecay: cfg.weightDecay });
      const rows = Int32Array.from({ length: bs }, (_, i) => i);
      const step = () => engine.step(rows, 1);
      const train = await rate(step, bs, seconds);
      report({ section: 'classifier', name: `${kind} train b${bs}`, value: train, unit: 'samples/s', kind, phase: 'train', batch: bs, frames: pos.T, backend: backend.chosen });
      const runner = new ModelRunner(built.model, {
        kind, T: data.T, V: data.V, frameStride: stride, modelT: pos.T, preprocess: pre, affectiveScaler: scaler, outputs: built.outputs, labelNames: data.labelNames,
      });
      const inf = await rate(() => softmaxRows(runner.forward(infer).logits, data.labelNames.length), infer.N, seconds);
      report({ section: 'classifier', name: `${kind} predict (128 gaits)`, value: inf, unit: 'samples/s', kind, phase: 'infer', batch: 64, frames: pos.T, backend: backend.chosen });
      await engine.dispose();
      built.dispose();
    }
  },
};

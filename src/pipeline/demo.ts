/**
 * `gaitforge demo`: the main job end to end on the built-in procedural data —
 * synth-dataset → train STEP-Gen (--full: every generator) → generate → FID →
 * classifiers with and without augmentation → report + plots + a GLB of
 * generated gaits — through the same code path as `gaitforge ablate`.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { proceduralDataset, type ProceduralOptions } from '../core/procedural.js';
import { statsBaselineAccuracy, summarizeDataset, type DatasetSummary } from '../core/summary.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { writeGaitFile } from '../io/index.js';
import { loadGenerator } from '../generator/index.js';
import { writeGlb } from '../render/index.js';
import { ablate, type AblateSummary } from './ablation/ablate.js';
import { generatorModelDir } from './ablation/cells/generator.js';
import type { AblationConfig } from './ablation/config.js';
import { collectResults } from './ablation/run.js';

export interface DemoPreset {
  data: ProceduralOptions;
  ablation: AblationConfig;
}

/**
 * `quick`: finishes in minutes on a 2-core laptop on the wasm backend.
 * `full`: the paper-sized configuration (E-Gait-sized data, STEP's counts
 * and five seeds) — hours on wasm, meant for a GPU.
 */
export const DEMO_PRESETS: Record<'quick' | 'full', DemoPreset> = {
  quick: {
    // The main comparison only (STEP with STEP-Gen against real only), over 7 seeds with
    // walker-disjoint splits; --full adds the baseline CVAE, the classical augmenters,
    // Baseline-STEP and AT-GCN, STEP's counts and paper-sized data. Each generator is scored
    // by two Baseline-STEPs cross-fitted on its seed's test split (evaluator-space FID, the
    // anchored recognition ratio; docs/pipeline.md gives the demo's cost). Sized for the gain's
    // interval: 16 frames at 15 fps (1.07 s, more than one gait cycle) cost half of 32 at 30 fps
    // per gait, which buys 40 walkers (300 training and 120 test gaits per seed) and 7 seeds
    // within 10 minutes on 2 cores; STEP keeps the epoch of lowest validation loss, which on a
    // 60-gait validation split varies less between seeds than the epoch of highest accuracy
    // (docs/pipeline.md, "The demo").
    data: { identities: 40, perEmotion: 3, frames: 16, fps: 15 },
    ablation: {
      splits: { train: 0.625, val: 0.125, test: 0.25, groupBy: 'identity' },
      augmenters: ['none', 'stepgen'],
      counts: [0, 40],
      classifiers: ['step'],
      seeds: 7,
      generator: { epochs: 10, batchSize: 16 },
      classifier: { epochs: 12, batchSize: 16, selectBy: 'loss' },
      fidPerLabel: 32,
    },
  },
  full: {
    data: { identities: 48, perEmotion: 12, frames: 75 },
    ablation: {
      splits: { train: 0.7, val: 0.15, test: 0.15, groupBy: 'identity' },
      augmenters: ['none', 'stepgen', 'cvae-baseline', 'flow', 'pca-gaussian', 'mirror', 'rotate', 'timewarp', 'noise', 'classical', 'mean-shift'],
      counts: [0, 250, 500, 1000, 2000, 4000],
      classifiers: ['baseline-step', 'step', 'at-gcn'],
      seeds: 5,
      fidPerLabel: 500,
    },
  },
};

export interface DemoOptions {
  seed?: number;
  /** Paper-sized configuration instead of the quick one. */
  full?: boolean;
  /** Output folder. Default ./gaitforge-demo. */
  outDir?: string;
  /** Ablation worker threads. Default: the number of cores, at most 2 for quick. */
  workers?: number;
  progress?: Progress;
}

export interface DemoResult {
  outDir: string;
  steps: string[];
  summary: DatasetSummary;
  nearestCentroidAccuracy: number;
  ablation: AblateSummary;
  report: string | null;
  glb: string | null;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const progress = options.progress ?? silentProgress;
  const seed = options.seed ?? 1;
  const preset = DEMO_PRESETS[options.full ? 'full' : 'quick'];
  const outDir = options.outDir ?? 'gaitforge-demo';
  const steps: string[] = [];

  progress.log('demo: generating the procedural demo dataset');
  const set = proceduralDataset({ ...preset.data, seed });
  const dataPath = path.join(outDir, 'data.parquet');
  mkdirSync(outDir, { recursive: true });
  await writeGaitFile(dataPath, set, { metadata: { dataset: 'procedural', seed: String(seed) } });
  const summary = summarizeDataset(set);
  const acc = statsBaselineAccuracy(set, seed);
  steps.push(`generated ${set.N} procedural gaits (${set.labelNames.join(', ')}; ${summary.identities} walkers, T=${set.T}) → ${dataPath}`);
  steps.push(`a nearest-centroid classifier on 5 gait statistics, unseen walkers: ${(100 * acc).toFixed(1)}% (chance ${(100 / set.labelNames.length).toFixed(0)}%)`);

  const workers = options.workers ?? Math.max(1, Math.min(options.full ? os.cpus().length : 2, os.cpus().length));
  const ablation = await ablate({ dataPath, config: { ...preset.ablation, seeds: shiftSeeds(preset.ablation.seeds, seed) }, runDir: path.join(outDir, 'ablation'), workers, progress });
  steps.push(`ablation: ${ablation.cells} classifier runs (${ablation.built} new) in ${ablation.wallSeconds.toFixed(0)} s with ${workers} worker thread(s)`);

  let glb: string | null = null;
  const { generators } = collectResults([path.join(outDir, 'ablation')]);
  const stepgen = generators.filter((g) => g.augmenter === 'stepgen').sort((a, b) => a.seed - b.seed)[0];
  if (stepgen) {
    const gen = await loadGenerator(generatorModelDir(path.join(outDir, 'ablation'), stepgen));
    try {
      const samples = gen.sample(Object.fromEntries(gen.labelNames.map((l) => [l, 2])), { seed });
      glb = path.join(outDir, 'stepgen-samples.glb');
      await writeGlb(glb, samples, { grid: true });
      steps.push(`rendered ${samples.N} STEP-Gen gaits (2 per label) → ${glb}`);
    } finally {
      gen.dispose();
    }
  }
  if (ablation.report) steps.push(`report: ${ablation.report}`);
  return { outDir, steps, summary, nearestCentroidAccuracy: acc, ablation, report: ablation.report, glb };
}

/** The preset's seeds, offset so `--seed` changes every repeat. */
function shiftSeeds(seeds: number | number[] | undefined, seed: number): number[] {
  const base = Array.isArray(seeds) ? seeds : Array.from({ length: seeds ?? 1 }, (_, i) => i + 1);
  return base.map((s) => s + (seed - 1) * 1000);
}

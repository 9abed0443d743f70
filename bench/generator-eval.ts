/**
 * `npm run bench -- --only generator-eval [--quick] [--epochs E] [--repeats R] [--keep DIR]`
 *
 * STEP-Gen against the baseline CVAE on the procedural demo dataset (the
 * default `proceduralDataset()`: 24 walkers × 4 emotions × 6 gaits, T = 75):
 * a 60/40 split stratified by label (seed 1), both generators trained on the
 * 60% with the same short config and seed, then `evaluateGenerator` on the
 * held-out 40% with the shipped evaluator and the training split for the
 * memorisation check. Prints the side-by-side table (Markdown) that
 * docs/evaluation.md shows, and one JSON row per headline number.
 * With --keep DIR the generators stay in DIR, and a later run with the same
 * options reuses them (trainGenerator's resume) and only evaluates again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { loadGenerator, trainGenerator, type GeneratorConfig, type GeneratorVariant } from '../src/generator/index.js';
import { evaluateGenerator, loadEvaluator, metricText as ci, valueText as num, type GeneratorEvaluation } from '../src/pipeline/evaluate-generator.js';
import type { BenchArgs, BenchSection } from './common.js';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The side-by-side table: one column per generator and one for the real held-out gaits. */
export function comparisonTable(results: [string, GeneratorEvaluation][]): string {
  const first = results[0]![1];
  const row = (name: string, cells: string[], real: string) => `| ${name} | ${cells.join(' | ')} | ${real} |`;
  const lines = [
    `| metric (mean ± 95% CI over ${first.repeats} draws) | ${results.map(([n]) => n).join(' | ')} | real (held-out) |`,
    `|---|${results.map(() => '---|').join('')}---|`,
  ];
  const each = (f: (e: GeneratorEvaluation) => string) => results.map(([, e]) => f(e));
  lines.push(row('FID, evaluator space (64-d)', each((e) => ci(e.evaluatorSpace!.fid.fid)), `${ci(first.evaluatorSpace!.fid.floor)} (floor)`));
  lines.push(row('FID, affective space (29-d)', each((e) => ci(e.affective.fid.fid)), `${ci(first.affective.fid.floor)} (floor)`));
  lines.push(row('Diversity (evaluator)', each((e) => ci(e.evaluatorSpace!.diversity.generated)), ci(first.evaluatorSpace!.diversity.real)));
  lines.push(row('MultiModality (evaluator)', each((e) => ci(e.evaluatorSpace!.multimodality.generated)), ci(first.evaluatorSpace!.multimodality.real)));
  lines.push(row('Recognition accuracy of the evaluator, %', each((e) => ci(e.recognition!.generated, 100)), num(first.recognition!.real, 100)));
  lines.push(row('Recognition ratio (generated / real)', each((e) => ci(e.recognition!.ratio)), '1'));
  lines.push(row('Memorisation: generated gaits closer to a training gait than τ, %', each((e) => ci(e.memorisation!.closeFraction, 100)), `${num(first.memorisation!.expectedFraction, 100)} (expected)`));
  lines.push(row('Memorisation: median nearest-training distance, m', each((e) => ci(e.memorisation!.generatedMedian)), num(first.memorisation!.heldOutMedian)));
  lines.push(row('Memorisation: draws flagged', each((e) => `${e.memorisation!.flaggedDraws} / ${e.repeats}`), '—'));
  lines.push(row('Limb speed, m/s', each((e) => ci(e.motion.generated.limbSpeed)), num(first.motion.real.limbSpeed)));
  lines.push(row('Step frequency, steps/s', each((e) => ci(e.motion.generated.stepFrequency)), first.motion.real.stepFrequency === null ? '—' : num(first.motion.real.stepFrequency)));
  lines.push(row('Bone-length CV', each((e) => ci(e.plausibility.generated.boneCv)), num(first.plausibility.real.boneCv)));
  lines.push(row('Foot skating, m/s', each((e) => ci(e.plausibility.generated.footSkate)), num(first.plausibility.real.footSkate)));
  lines.push(row('Jerk, m/s³', each((e) => ci(e.plausibility.generated.jerk)), num(first.plausibility.real.jerk)));
  lines.push(row('Implausible gaits, %', each((e) => ci(e.plausibility.generated.flaggedFraction, 100)), num(first.plausibility.real.flaggedFraction, 100)));
  return lines.join('\n');
}

export const section: BenchSection = {
  name: 'generator-eval',
  describe: 'STEP-Gen vs the baseline CVAE on the procedural demo data: FID with the real-vs-real floor, memorisation, plausibility',
  async run({ argv, quick, report }: BenchArgs) {
    await initBackend((option(argv, '--backend') ?? 'wasm') as never);
    const epochs = Number(option(argv, '--epochs') ?? (quick ? 2 : 12));
    const repeats = Number(option(argv, '--repeats') ?? (quick ? 3 : 10));
    const keep = option(argv, '--keep');
    const root = keep ?? mkdtempSync(path.join(os.tmpdir(), 'gaitforge-bench-geneval-'));
    const data = proceduralDataset();
    const [train, test] = data.stratifiedSplit([0.6, 0.4], 1);
    // short: ~230 optimiser steps, about what the generator's quality test needs on its small set (lr 2e-3, one step down at 70%)
    const config: GeneratorConfig = { epochs, batchSize: 16, lr: 2e-3, lrSteps: [0.7] };
    console.error(`data: ${data.N} procedural gaits; train ${train!.N}, held out ${test!.N}; generator config ${JSON.stringify(config)}, seed 1; ${repeats} draws`);
    const { evaluator, dir: evaluatorDir } = await loadEvaluator();
    const results: [string, GeneratorEvaluation][] = [];
    try {
      for (const variant of ['stepgen', 'cvae-baseline'] as GeneratorVariant[]) {
        const outDir = path.join(root, variant);
        const t0 = performance.now();
        // resume: a finished generator in --keep is reused as it is (same data, config and seed), an interrupted one continues
        const r = await trainGenerator(train!, { ...config, variant }, { outDir, seed: 1, resume: true });
        const trainSeconds = (performance.now() - t0) / 1000;
        const gen = await loadGenerator(outDir);
        try {
          const e = await evaluateGenerator(gen, test!, { seed: 1, repeats, evaluator, train: train! });
          results.push([variant === 'stepgen' ? 'STEP-Gen' : 'baseline CVAE', e]);
          report({
            section: 'generator-eval', name: `${variant}: FID evaluator space`, value: e.evaluatorSpace!.fid.fid.mean, unit: 'FID',
            halfWidth: e.evaluatorSpace!.fid.fid.halfWidth, floor: e.evaluatorSpace!.fid.floor.mean, affective: e.affective.fid.fid.mean,
            affectiveFloor: e.affective.fid.floor.mean, bestEpoch: r.bestEpoch, trainSeconds, evaluateSeconds: e.seconds,
            generator: gen.checkpointHash, evaluator: evaluator.checkpointHash,
          });
        } finally {
          gen.dispose();
        }
      }
    } finally {
      evaluator.dispose();
      if (!keep) rmSync(root, { recursive: true, force: true });
    }
    console.error(`evaluator: Baseline-STEP ${evaluator.checkpointHash} (${evaluatorDir})`);
    console.error(comparisonTable(results));
  },
};

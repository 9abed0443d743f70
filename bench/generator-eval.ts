/**
 * `npm run bench -- --only generator-eval [--quick] [--epochs E] [--seeds S] [--first-seed F] [--repeats R] [--config JSON] [--prior fitted|mixture|identity|standard] [--variants stepgen,cvae-baseline] [--threads N] [--keep DIR] [--bvh DIR --label-pattern REGEX [--frames T] [--clips-per-label K]]`
 *
 * STEP-Gen against the baseline CVAE, with a copy of the training set as a
 * control, on one dataset:
 * - by default the procedural demo dataset (`proceduralDataset()`: 24 walkers
 *   × 4 emotions × 6 gaits, T = 75), split 60/40 by walker;
 * - with `--bvh DIR`, real motion capture: every .bvh file of DIR (sorted by
 *   name; the first K of each label with --clips-per-label), labelled by the
 *   first capture group of --label-pattern on the file name, cut into windows
 *   of T frames (default 32) without overlap, split 60/40 by clip (no clip on
 *   both sides).
 * Either way the evaluator space and the recognition ratio come from two
 * Baseline-STEPs cross-fitted on the held-out split (`crossFitEvaluators`,
 * cached under the run folder): neither trained on the generators' gaits.
 * The split is stratified by label (seed 1). Each generator trains on the 60%
 * with seeds F..F+S−1 (F default 1; S default 3, --quick 1) and the same config
 * (the generator defaults for a short default of epochs; --config JSON
 * overrides any field), then
 * `evaluateGenerator` scores it on the held-out 40% (R draws per seed), with
 * the training split for the memorisation check; on the procedural data each
 * row also gives the limb speed of the held-out walks rendered without the
 * walkers' 6 mm sensor noise (`limbSpeedRealNoiseFree`). The copy must score like the
 * real gaits and be flagged by the memorisation check. Prints the side-by-side
 * table (Markdown) that docs/evaluation.md and docs/generator.md show, with
 * intervals across seeds, and one JSON row per generator and seed.
 * With --keep DIR the generators stay in DIR, and a later run with the same
 * options reuses them (trainGenerator's resume) and only evaluates again. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/core/backend.js';
import type { GaitSet } from '../src/core/gaitset.js';
import { proceduralDataset } from '../src/core/procedural.js';
import { importBvh } from '../src/io/bvh.js';
import { crossFitEvaluators } from '../src/pipeline/evaluator.js';
import { GENERATOR_VARIANTS, generatorFamily, loadGenerator, startSampler, trainGeneratorFamily, type GeneratorConfig, type GeneratorFamilyConfig, type GeneratorVariant } from '../src/generator/index.js';
import type { LatentPriorKind } from '../src/generator/latent.js';
import { motionStats, stepFrequency } from '../src/generator/quality.js';
import { copySource, evaluateGenerator, type GeneratorEvaluation } from '../src/pipeline/evaluate-generator.js';
import { evaluationMetrics, metricText as ci, realText } from '../src/pipeline/evaluation-table.js';
import { meanCI, type MeanCI } from '../src/eval/stats.js';
import { jsonOption, option, type BenchArgs, type BenchSection } from './common.js';

/** Mean ± CI across seeds of one per-seed value (each seed's mean over its draws); a single seed keeps its CI over draws. */
function acrossSeeds(evals: GeneratorEvaluation[], pick: (e: GeneratorEvaluation) => MeanCI | null): MeanCI | null {
  const per = evals.map(pick);
  if (per.some((c) => c === null)) return null;
  return per.length === 1 ? per[0]! : meanCI(per.map((c) => c!.mean));
}

/**
 * The side-by-side table: one column per generator (a list of evaluations,
 * one per training seed) and one for the real held-out gaits, one row per
 * metric of `evaluationMetrics` (what evaluate-generator prints). With one
 * seed a cell is mean ± 95% CI over the draws; with several, mean ± 95% CI
 * across the seeds of each seed's mean over its draws.
 */
export function comparisonTable(results: [string, GeneratorEvaluation[]][]): string {
  const first = results[0]![1][0]!;
  const seeds = results[0]![1].length;
  const row = (name: string, cells: string[], real: string) => `| ${name} | ${cells.join(' | ')} | ${real} |`;
  const over = seeds === 1 ? `${first.repeats} draws` : `${seeds} seeds (each the mean of ${first.repeats} draws)`;
  const lines = [
    `| metric (mean ± 95% CI over ${over}) | ${results.map(([n]) => n).join(' | ')} | real (held-out) |`,
    `|---|${results.map(() => '---|').join('')}---|`,
  ];
  for (const m of evaluationMetrics(first)) {
    const realValue = m.real(first);
    // a real value with an interval of its own (e.g. the floor) is taken across the seeds, as the cells are
    const real = realValue !== null && typeof realValue === 'object' ? acrossSeeds(results[0]![1], (e) => m.real(e) as MeanCI) : realValue;
    lines.push(row(m.name, results.map(([, es]) => ci(acrossSeeds(es, m.generated), m.scale)), realText(m, real, first)));
  }
  if (first.memorisation)
    lines.push(row('Memorisation: draws flagged', results.map(([, es]) => `${es.reduce((a, e) => a + e.memorisation!.flaggedDraws, 0)} / ${es.reduce((a, e) => a + e.repeats, 0)}`), '—'));
  return lines.join('\n');
}

/**
 * The bench's dataset, split 60/40 (stratified by label, seed 1) by walker (procedural) or by clip (--bvh).
 * For the procedural data also the held-out walks rendered without the walkers' per-joint sensor
 * noise (`noise: 0`, the same walkers, walks and split): the limb motion itself, without the speed
 * that frame-to-frame noise adds to the real gaits and a generator trained with a squared error
 * averages away.
 */
async function benchData(argv: string[]): Promise<{ name: string; train: GaitSet; test: GaitSet; testNoiseFree?: GaitSet; unit: string }> {
  const dir = option(argv, '--bvh');
  if (dir === undefined) {
    const split = (data: GaitSet) => data.stratifiedSplit([0.6, 0.4], 1, { groupBy: 'identity' }) as [GaitSet, GaitSet];
    const data = proceduralDataset();
    const [train, test] = split(data);
    const testNoiseFree = split(proceduralDataset({ noise: 0 }))[1];
    if (testNoiseFree.ids.some((id, i) => id !== test.ids[i])) throw new Error('generator-eval: the noise-free held-out split differs from the held-out split');
    return { name: `${data.N} procedural gaits (T = ${data.T})`, train, test, testNoiseFree, unit: 'walker' };
  }
  const pattern = option(argv, '--label-pattern');
  if (pattern === undefined) throw new Error('--bvh needs --label-pattern REGEX: its first capture group on a file name is the label');
  if (!existsSync(dir)) throw new Error(`--bvh: ${dir} does not exist`);
  const frames = Number(option(argv, '--frames') ?? 32);
  const perLabel = option(argv, '--clips-per-label');
  const re = new RegExp(pattern);
  const seen = new Map<string, number>();
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.bvh'))
    .sort()
    .filter((f) => {
      const label = re.exec(f)?.[1] ?? '';
      seen.set(label, (seen.get(label) ?? 0) + 1);
      return perLabel === undefined || seen.get(label)! <= Number(perLabel);
    })
    .map((f) => path.join(dir, f));
  if (!files.length) throw new Error(`--bvh: no .bvh files in ${dir}`);
  const data = await importBvh(files, { labelPattern: pattern, frames, stride: frames });
  const [train, test] = data.stratifiedSplit([0.6, 0.4], 1, { groupBy: 'recording' }) as [GaitSet, GaitSet];
  return { name: `${data.N} windows (T = ${frames}) of ${files.length} BVH clips in ${dir}, labels ${data.labelNames.join(', ')}`, train, test, unit: 'clip' };
}

/** Display names of the families in the table. */
const FAMILY_NAMES: Record<string, string> = { stepgen: 'STEP-Gen', 'cvae-baseline': 'baseline CVAE', flow: 'flow', 'pca-gaussian': 'PCA-Gaussian' };

/**
 * Per label, the generated gaits' limb speed and step frequency over the real held-out gaits' of that label
 * (one draw of as many gaits per label as the held-out split has): does every label walk?
 */
function motionByLabel(fake: GaitSet, real: GaitSet): Record<string, { limbSpeed: number; stepFrequency: number | null }> {
  const of = (s: GaitSet, l: string) => s.select(s.indicesByLabel()[s.labelId(l)]!);
  return Object.fromEntries(real.labelNames.filter((l) => real.countsByLabel()[l]! > 0).map((l) => {
    const [f, r] = [of(fake, l), of(real, l)];
    const [fs, rs] = [stepFrequency(f), stepFrequency(r)];
    return [l, { limbSpeed: motionStats(f).limbSpeed / motionStats(r).limbSpeed, stepFrequency: fs.gaits > 0 && rs.gaits > 0 ? fs.frequency / rs.frequency : null }];
  }));
}

export const section: BenchSection = {
  name: 'generator-eval',
  describe: 'Every generator family (STEP-Gen, the baseline CVAE, the flow, the PCA-Gaussian floor; a copy of the training set as a control) on the procedural demo data or BVH clips (--bvh), over seeds: FID beside the floor, recognition ratio, motion, memorisation, plausibility, seconds to train and to sample',
  async run({ argv, quick, report, markdown }: BenchArgs) {
    await initBackend((option(argv, '--backend') ?? 'wasm') as never);
    const epochs = option(argv, '--epochs') === undefined ? (quick ? 2 : undefined) : Number(option(argv, '--epochs'));
    const repeats = Number(option(argv, '--repeats') ?? (quick ? 3 : 10));
    const seeds = Number(option(argv, '--seeds') ?? (quick ? 1 : 3));
    const firstSeed = Number(option(argv, '--first-seed') ?? 1);
    if (!Number.isSafeInteger(firstSeed) || firstSeed < 0) throw new Error(`--first-seed: expected a non-negative integer, got ${option(argv, '--first-seed')}`);
    const seedList = Array.from({ length: seeds }, (_, i) => firstSeed + i);
    const threads = Number(option(argv, '--threads') ?? 1);
    const variants = (option(argv, '--variants') ?? 'stepgen,cvae-baseline,flow,pca-gaussian').split(',') as GeneratorVariant[];
    for (const v of variants) if (!GENERATOR_VARIANTS.includes(v)) throw new Error(`--variants: unknown variant ${v} (expected ${GENERATOR_VARIANTS.join('|')})`);
    const trainFraction = Number(option(argv, '--train-fraction') ?? 1);
    if (!(trainFraction > 0 && trainFraction <= 1)) throw new Error(`--train-fraction: expected a number in (0, 1], got ${option(argv, '--train-fraction')}`);
    const keep = option(argv, '--keep');
    const prior = option(argv, '--prior') as LatentPriorKind | undefined; // default: the generators' config prior
    const root = keep ?? mkdtempSync(path.join(os.tmpdir(), 'gaitforge-bench-geneval-'));
    const data = await benchData(argv);
    const { name, test, testNoiseFree, unit } = data;
    // --train-fraction: a nested subset of the training clips or walkers, stratified by label (the held-out split stays whole)
    const train = trainFraction === 1 ? data.train : data.train.select(data.train.nestedSubset(trainFraction, 1));
    const limbSpeedRealNoiseFree = testNoiseFree ? motionStats(testNoiseFree).limbSpeed : undefined;
    if (limbSpeedRealNoiseFree !== undefined)
      console.error(`held-out limb speed ${motionStats(test).limbSpeed.toFixed(3)} m/s; the same walks without the walkers' sensor noise ${limbSpeedRealNoiseFree.toFixed(3)} m/s`);
    // each family's defaults; --epochs sets every family's epochs, --config the CVAE family's fields, --flow-config the flow's, --pca-config the floor's
    const configs: Record<string, object> = {
      cvae: { ...(epochs !== undefined ? { epochs } : {}), ...jsonOption<GeneratorConfig>(argv, '--config') },
      flow: { ...(epochs !== undefined ? { epochs } : {}), ...jsonOption<object>(argv, '--flow-config') },
      'pca-gaussian': jsonOption<object>(argv, '--pca-config'),
    };
    const configOf = (variant: GeneratorVariant) => ({ ...configs[generatorFamily(variant)], variant }) as GeneratorFamilyConfig;
    console.error(`data: ${name}; train ${train.N}${trainFraction < 1 ? ` (${trainFraction} of the training ${unit}s)` : ''}, held out ${test.N} (${unit}-disjoint); configs ${JSON.stringify(configs)}, seeds ${seedList.join(', ')}; ${repeats} draws each`);
    // two evaluators cross-fitted on the held-out split (cached in the run folder): none has trained on the generators' gaits
    const crossFit = await crossFitEvaluators(test, { name: `the held-out split (${unit}-disjoint)`, cacheDir: path.join(root, '.gaitforge-evaluators'), threads });
    const evaluator = crossFit.folds;
    const evaluatorHashes = evaluator.map((f) => f.classifier.checkpointHash);
    const columns: [string, GeneratorEvaluation[]][] = [];
    const costs: string[][] = [];
    try {
      for (const variant of variants) {
        const evals: GeneratorEvaluation[] = [];
        const trainTimes: number[] = [];
        const sampleTimes: number[] = [];
        for (const seed of seedList) {
          const outDir = path.join(root, `${variant}-seed${seed}${trainFraction < 1 ? `-fraction${trainFraction}` : ''}`);
          const t0 = performance.now();
          // resume: a finished generator in --keep is reused as it is (same data, config and seed), an interrupted one continues
          const r = await trainGeneratorFamily(train, configOf(variant), { outDir, seed, resume: true, threads });
          const trainSeconds = (performance.now() - t0) / 1000;
          const gen = await loadGenerator(outDir);
          try {
            // sampling cost: 1,000 gaits, evenly over the labels, on the bench's threads
            const perLabel = Math.ceil(1000 / gen.labelNames.length);
            const sampler = await startSampler(gen, threads);
            const s0 = performance.now();
            const drawn = await sampler.sample(Object.fromEntries(gen.labelNames.map((l) => [l, perLabel])), { seed });
            const sampleSeconds = ((performance.now() - s0) / 1000) * (1000 / drawn.N);
            await sampler.close();
            const e = await evaluateGenerator(gen, test, { seed, repeats, evaluator, train, threads, ...(prior && generatorFamily(variant) === 'cvae' ? { prior } : {}) });
            evals.push(e);
            const byLabel = motionByLabel(drawn.withLabelNames(test.labelNames), test);
            const fitted = 'bestEpoch' in r.result ? r.result.bestEpoch : null;
            trainTimes.push(trainSeconds);
            sampleTimes.push(sampleSeconds);
            report({
              section: 'generator-eval', name: `${variant} seed ${seed}: FID evaluator space`, value: e.evaluatorSpace!.fid.fid.mean, unit: 'FID',
              halfWidth: e.evaluatorSpace!.fid.fid.halfWidth, floor: e.evaluatorSpace!.fid.floor.mean, affective: e.affective.fid.fid.mean,
              affectiveFloor: e.affective.fid.floor.mean, dim: e.evaluatorSpace!.fid.dim, affectiveDim: e.affective.fid.dim, recognitionRatio: e.recognition!.ratio.mean, trainingCopyRatio: e.recognition!.trainingCopyRatio?.mean ?? null,
              limbSpeed: e.motion.generated.limbSpeed.mean, limbSpeedReal: e.motion.real.limbSpeed, limbSpeedRatio: e.motion.ratio.limbSpeed.mean,
              ...(limbSpeedRealNoiseFree !== undefined ? { limbSpeedRealNoiseFree } : {}), stepFrequency: e.motion.generated.stepFrequency?.mean ?? null, stepFrequencyReal: e.motion.real.stepFrequency,
              stepFrequencyRatio: e.motion.ratio.stepFrequency?.mean ?? null, motionByLabel: byLabel,
              memorisationFlagged: e.memorisation!.flaggedDraws, memorisationClose: e.memorisation!.closeFraction.mean,
              footSkate: e.plausibility.generated.footSkate.mean, footSkateReal: e.plausibility.real.footSkate,
              prior: e.prior, steps: e.steps, guidance: e.guidance, bestEpoch: fitted, trainSeconds, sampleSecondsPer1000: sampleSeconds, evaluateSeconds: e.seconds, seed,
              trainGaits: train.N, trainFraction, config: configOf(variant), generator: gen.checkpointHash, evaluators: evaluatorHashes,
            });
          } finally {
            gen.dispose();
          }
        }
        columns.push([FAMILY_NAMES[variant] ?? variant, evals]);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        costs.push([FAMILY_NAMES[variant] ?? variant, mean(trainTimes).toFixed(0), mean(sampleTimes).toFixed(1)]);
      }
      // the control: the training set itself, drawn per seed as a generator's samples are
      const copy = copySource(train, 'training-set copy');
      const evals: GeneratorEvaluation[] = [];
      for (const seed of seedList) evals.push(await evaluateGenerator(copy, test, { seed, repeats, evaluator, train, threads }));
      for (const e of evals)
        report({
          section: 'generator-eval', name: `training-set copy seed ${e.seed}: FID evaluator space`, value: e.evaluatorSpace!.fid.fid.mean, unit: 'FID',
          floor: e.evaluatorSpace!.fid.floor.mean, recognitionRatio: e.recognition!.ratio.mean, flaggedDraws: e.memorisation!.flaggedDraws, seed: e.seed,
        });
      columns.push(['training set (copy, control)', evals]);
    } finally {
      crossFit.dispose();
      if (!keep) rmSync(root, { recursive: true, force: true });
    }
    const table = comparisonTable(columns);
    const cost = ['| family | seconds to train (mean over seeds) | seconds per 1,000 gaits |', '|---|---:|---:|', ...costs.map((r) => `| ${r.join(' | ')} |`)].join('\n');
    console.error(`evaluator: ${crossFit.description}; checkpoints ${evaluatorHashes.join(', ')}`);
    console.error(table);
    console.error(cost);
    markdown?.(
      `Data: ${name}; ${train.N} training gaits${trainFraction < 1 ? ` (${trainFraction} of the training ${unit}s)` : ''}, ${test.N} held-out (${unit}-disjoint). ` +
        `Evaluator: ${crossFit.description}.\n\n${table}\n\n${cost}`,
    );
  },
};

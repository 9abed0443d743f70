/**
 * Do a walker's restyled walks keep the walker and carry the new label? The
 * flow's restyling (SDEdit: a real walk noised part of the way and integrated
 * back with the new label) measured as the identity task uses it: a flow
 * trains on the donors' walks and the targets' neutral walks (the identity
 * ablation's split, as identity-generation.ts builds it), then every target's
 * neutral walks are restyled into each emotion the target was never recorded
 * in, at each `--strengths` value.
 *
 *   npm run bench -- --only identity-restyle --donors FILE --targets FILE --identity-model DIR
 *     [--max-donors N] [--strengths 0.3,0.4,0.5,0.6,0.7] [--flow-config JSON] [--seed 1] [--threads 1] [--keep DIR]
 *
 * Walker: rank-1 of the restyled walks against every neutral training walk
 * (donors' and targets'), by the identity model `--identity-model` (trained on
 * other walkers: none of the targets' walks may be among its training walks).
 * Label: two Baseline-STEPs cross-fitted on the targets' real walks in those
 * emotions (halves by walker), each scoring the walks of the walkers it never
 * trained on; the ratio is the accuracy on a set over the accuracy on those
 * real walks. The strength is chosen on half of the targets (the validation
 * walkers): the one with the highest walker rank-1 whose label ratio reaches
 * 0.9 (else the highest label ratio); the other half reports it. Beside it:
 * the label-mean shift (generator/edit.ts, the control without a generator)
 * at strength 1, and the targets' real walks in those emotions.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateClassifier } from '../src/classifier/evaluate.js';
import { initBackend } from '../src/core/backend.js';
import { GaitSet } from '../src/core/gaitset.js';
import { Rng } from '../src/core/rng.js';
import { labelMeanShift, loadGenerator, restyle, trainGeneratorFamily, type GeneratorFamilyConfig } from '../src/generator/index.js';
import { gaitHash, loadIdentityModel } from '../src/identity/index.js';
import { readGaitFile } from '../src/io/index.js';
import { crossFitEvaluators } from '../src/pipeline/evaluator.js';
import { jsonOption, option, type BenchArgs, type BenchSection } from './common.js';
import { fileSplit, recognition } from './identity-generation.js';

/** The rows of `set` whose identity is in `who`. */
const walkersOf = (set: GaitSet, who: Set<string>) => set.select(Array.from({ length: set.N }, (_, i) => i).filter((i) => who.has(set.identity[i]!)));

async function main({ argv, report, markdown }: BenchArgs): Promise<void> {
  const donorsFile = option(argv, '--donors');
  const targetsFile = option(argv, '--targets');
  const judgeDir = option(argv, '--identity-model');
  if (!donorsFile || !targetsFile || !judgeDir) throw new RangeError('identity-restyle: --donors FILE --targets FILE --identity-model DIR are required');
  const strengths = (option(argv, '--strengths') ?? '0.3,0.4,0.5,0.6,0.7').split(',').map(Number);
  if (strengths.some((x) => !(x >= 0 && x <= 1))) throw new RangeError(`identity-restyle: --strengths must be numbers in [0, 1] (got ${option(argv, '--strengths')})`);
  const seed = Number(option(argv, '--seed') ?? 1);
  const threads = Number(option(argv, '--threads') ?? 1);
  const maxDonors = option(argv, '--max-donors') === undefined ? null : Number(option(argv, '--max-donors'));
  await initBackend('wasm');
  const out = option(argv, '--keep') ?? mkdtempSync(path.join(os.tmpdir(), 'gf-idrestyle-'));
  const s = fileSplit(await readGaitFile(donorsFile), await readGaitFile(targetsFile), maxDonors);
  const judge = await loadIdentityModel(judgeDir);
  const seen = s.evaluation.ids.find((_, i) => judge.trainGaitHashes?.has(gaitHash(s.evaluation, i)));
  if (seen !== undefined) throw new RangeError(`identity-restyle: target walk ${seen} is one the identity model ${judgeDir} was trained on`);

  // the flow, trained once on the split (reused from --keep)
  const config = { ...jsonOption<object>(argv, '--flow-config'), variant: 'flow' } as GeneratorFamilyConfig;
  const genDir = path.join(out, 'flow');
  await trainGeneratorFamily(s.train, config, { outDir: genDir, seed, resume: true, threads });
  // from the epochs' own times, so a flow reused from --keep reports what its training took
  const trainSeconds = (JSON.parse(readFileSync(path.join(genDir, 'loss.json'), 'utf8')) as { seconds: number }[]).reduce((a, e) => a + e.seconds, 0);
  const gen = await loadGenerator(genDir);

  const neutral = s.train.labelNames.indexOf('neutral');
  const gallery = s.train.select(Array.from({ length: s.train.N }, (_, i) => i).filter((i) => s.train.labels[i] === neutral));
  const realProbes = s.evaluation.select(Array.from({ length: s.evaluation.N }, (_, i) => i).filter((i) => s.evaluation.labels[i] !== neutral));
  const targetNeutral = walkersOf(gallery, new Set(s.targets));
  // validation and test targets: halves of the targets by walker, seeded
  const order = new Rng(seed, 'bench/identity-restyle/targets').shuffle([...s.targets]);
  const halves = [new Set(order.slice(0, Math.ceil(order.length / 2))), new Set(order.slice(Math.ceil(order.length / 2)))] as const;

  // label evaluators cross-fitted on the targets' real probes, each scoring the walkers it never trained on
  const crossFit = await crossFitEvaluators(realProbes, { name: "the targets' real walks in unrecorded emotions", cacheDir: path.join(out, 'evaluators'), threads });
  const folds = crossFit.folds.map((f) => ({ classifier: f.classifier, walkers: new Set(Array.from(f.scored, (i) => realProbes.identity[i]!)) }));
  const accuracy = (set: GaitSet) => {
    let hits = 0;
    let n = 0;
    for (const f of folds) {
      const mine = walkersOf(set, f.walkers);
      if (mine.N === 0) continue;
      hits += evaluateClassifier(f.classifier, mine).accuracy * mine.N;
      n += mine.N;
    }
    return hits / n;
  };
  /** Walker rank-1 (mean over conditions) and label ratio of a set of edited walks, on one half of the targets. */
  const score = (set: GaitSet, half: Set<string>) => {
    const mine = walkersOf(set, half);
    const r = recognition(judge, gallery, mine);
    return { walker: r.rank1['mean']!, label: accuracy(mine) / accuracy(walkersOf(realProbes, half)), walks: mine.N };
  };

  const rows: { name: string; strength: number; val: ReturnType<typeof score>; test: ReturnType<typeof score> }[] = [];
  const add = (name: string, strength: number, set: GaitSet) => {
    const row = { name, strength, val: score(set, halves[0]), test: score(set, halves[1]) };
    rows.push(row);
    report({ section: 'identity-restyle', name: `${name} s=${strength}`, value: row.test.walker, unit: 'walker rank-1 (test targets)', labelRatio: row.test.label, validation: row.val, test: row.test, strength });
  };
  const r0 = performance.now();
  for (const strength of strengths) add('flow restyle', strength, (await restyle(gen, targetNeutral, { to: s.unrecorded, strength, seed, threads })).withLabelNames(gallery.labelNames));
  const restyleSeconds = (performance.now() - r0) / 1000 / strengths.length;
  add('label-mean shift (no generator)', 1, labelMeanShift(s.train, targetNeutral, { to: s.unrecorded, strength: 1 }).withLabelNames(gallery.labelNames));
  add('real walks in those emotions', 0, realProbes);
  gen.dispose();
  judge.dispose();
  crossFit.dispose();

  // the strength chosen on the validation targets
  const flowRows = rows.filter((r) => r.name === 'flow restyle');
  const ok = flowRows.filter((r) => r.val.label >= 0.9);
  const chosen = ok.length ? ok.sort((a, b) => b.val.walker - a.val.walker)[0]! : flowRows.sort((a, b) => b.val.label - a.val.label)[0]!;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `Split: ${s.donors.length} donors (every walk) and ${s.targets.length} targets (their neutral walks) train the flow (${trainSeconds.toFixed(0)} s over its epochs); ` +
      `the targets' ${targetNeutral.N} neutral walks are restyled into ${s.unrecorded.join(', ')} (${restyleSeconds.toFixed(0)} s per strength). ` +
      `Validation targets: ${halves[0].size}, test targets: ${halves[1].size}. Walker: rank-1 against the ${gallery.N} neutral training walks by the identity model in ${judgeDir}; ` +
      `label: ${crossFit.description}.`,
    '',
    '| walks | strength | walker rank-1 (validation) | label ratio (validation) | walker rank-1 (test) | label ratio (test) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name}${r === chosen ? ' (chosen on validation)' : ''} | ${r.strength} | ${pct(r.val.walker)} | ${r.val.label.toFixed(2)} | ${pct(r.test.walker)} | ${r.test.label.toFixed(2)} |`),
    '',
    `Chosen strength ${chosen.strength} (validation walkers): on the test walkers ${pct(chosen.test.walker)} of restyled walks are recognised as their walker, carrying their new label at ${chosen.test.label.toFixed(2)} of the real rate ` +
      `(target: at least 80% and 0.9).`,
  ];
  console.error(lines.join('\n'));
  markdown?.(lines.join('\n'));
  report({ section: 'identity-restyle', name: 'chosen strength', value: chosen.strength, unit: 'strength', test: chosen.test, validation: chosen.val });
}

export const section: BenchSection = {
  name: 'identity-restyle',
  describe: "The flow's restyling of unseen walkers into emotions they were never recorded in: recognised as their walker (an identity model trained on other walkers) and carrying the new label (evaluators cross-fitted on their real walks), against the label-mean shift",
  run: main,
};

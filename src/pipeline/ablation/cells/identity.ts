/**
 * Identity cells of the identity task: the GaitTAKE model trained on a
 * seed's training walks plus `count` walks per (target, unrecorded
 * condition) from an augmenter (a learned generator's samples or restyled
 * gallery walks, or the mean-shift control), scored on the seed's probes by
 * the cross-condition protocol. The cells live beside the classifier cells
 * (prefix clf-), so progress, shards and merging treat them alike.
 */
import path from 'node:path';
import { GaitforgeError } from '../../../core/errors.js';
import { GaitSet } from '../../../core/gaitset.js';
import { VERSION } from '../../../core/version.js';
import { crossConditionSplit, identificationMetrics } from '../../../eval/identification.js';
import { labelMeanShift, loadGenerator, restyle, type SampleCell } from '../../../generator/index.js';
import { LoadedGenerator } from '../../../generator/sample.js';
import { gaitHash, loadIdentityModel, trainIdentityModel, type IdentityConfig } from '../../../identity/index.js';
import { cacheKey } from '../../cache.js';
import { IDENTITY_TASK_CONTROL, isLearnedAugmenter } from '../config.js';
import type { RunContext } from '../context.js';
import type { GridCell } from '../grid.js';
import { restyleSources } from '../identity-split.js';
import type { IdentityCellResult } from '../results.js';
import { generatorKey, generatorModelDir } from './generator.js';

export function identityKey(ctx: RunContext, c: GridCell): string {
  const { r } = ctx;
  const learned = isLearnedAugmenter(c.augmenter);
  return cacheKey({
    kind: 'identity', version: VERSION, dataHash: ctx.dataHash, seed: c.seed, augmenter: c.augmenter, count: c.count, model: c.classifier, config: r.identity!.model, ...ctx.threadsKey, ...ctx.taskKey,
    generator: learned ? generatorKey(ctx, { seed: c.seed, variant: c.augmenter }) : null,
    // how the generator's walks were made, in the keys of the cells that have any (sampled cells keep the keys they had before
    // restyling existed, and cells restyled at the posterior mean those they had before the shifted latent existed)
    ...(learned && c.count > 0 && r.identity!.walks !== 'sample' ? { walks: r.identity!.walks } : {}),
    ...(learned && c.count > 0 && r.identity!.restyleLatent === 'shifted' ? { restyleLatent: 'shifted' } : {}),
  });
}

export function identityCell(ctx: RunContext, c: GridCell): Promise<IdentityCellResult> {
  const learned = isLearnedAugmenter(c.augmenter);
  const key = identityKey(ctx, c);
  return ctx.build('clf', key, async (tmp) => {
    const t0 = performance.now();
    const split = ctx.identitySplit(c.seed);
    const task = ctx.r.identity!;
    const generatorKeyOf = learned ? generatorKey(ctx, { seed: c.seed, variant: c.augmenter }) : null;
    const sampleSeed = Number.parseInt(key.slice(0, 8), 16);
    let synthetic: GaitSet | null = null;
    if (c.count > 0 && c.augmenter === IDENTITY_TASK_CONTROL) {
      const sources = restyleSources(split, task.galleryCondition, c.count, sampleSeed);
      synthetic = labelMeanShift(split.train, sources, { to: split.unrecorded }).withLabelNames(split.train.labelNames);
    } else if (c.count > 0) {
      if (!generatorKeyOf) throw new GaitforgeError('E_CONFIG', `task 'identity': augmenter ${c.augmenter} is not a learned generator`);
      const gen = await loadGenerator(generatorModelDir(ctx.runDir, { key: generatorKeyOf }));
      try {
        // the restyling latent is the CVAE family's; a flow restyles by its own noising (its restyleStrength)
        const latent = gen instanceof LoadedGenerator ? { latent: task.restyleLatent! } : { seed: sampleSeed };
        if (task.walks === 'restyle')
          synthetic = (await restyle(gen, restyleSources(split, task.galleryCondition, c.count, sampleSeed), { to: split.unrecorded, ...latent, threads: ctx.threads })).withLabelNames(split.train.labelNames);
        else {
          const cells: SampleCell[] = split.targets.flatMap((identity) => split.unrecorded.map((label) => ({ identity, label, count: c.count })));
          synthetic = gen.sample(cells, { seed: sampleSeed }).withLabelNames(split.train.labelNames);
        }
      } finally {
        gen.dispose();
      }
    }
    const trainSet = synthetic ? GaitSet.concat([split.train, synthetic]) : split.train;
    ctx.progress.log(`ablate: gaittake on ${split.train.N} real + ${synthetic?.N ?? 0} ${c.augmenter} walks (seed ${c.seed}, ${split.targets.length} targets)`);
    const outDir = path.join(tmp, 'model');
    const model = { ...(task.model as IdentityConfig), valFraction: 0 };
    const out = await trainIdentityModel('gaittake', trainSet, model, { outDir, seed: c.seed, galleryCondition: task.galleryCondition, threads: ctx.threads, progress: ctx.progress });
    const embedder = await loadIdentityModel(outDir);
    try {
      const ev = split.evaluation;
      const cc = crossConditionSplit(ev, task.galleryCondition);
      for (const probes of Object.values(cc.probes))
        for (const p of probes)
          if (embedder.trainGaitHashes?.has(gaitHash(ev, p))) throw new GaitforgeError('E_VALUE', `task 'identity': probe ${ev.ids[p]} is one of the identity model's training gaits`);
      const m = identificationMetrics(embedder.embed(ev), ev, cc);
      return {
        ...c, task: 'identity', key, generatorKey: generatorKeyOf, trainReal: split.train.N, trainSynthetic: synthetic?.N ?? 0,
        testGaits: Object.values(m.probes).reduce((a, b) => a + b, 0), rank1: m.rank1['mean']!, mAP: m.mAP['mean']!, rank5: m.rank5['mean']!,
        identity: { rank1: m.rank1, rank5: m.rank5, mAP: m.mAP, probes: m.probes, galleryGaits: cc.gallery.length, targets: split.targets.length },
        bestEpoch: out.bestEpoch, wallSeconds: (performance.now() - t0) / 1000,
      };
    } finally {
      embedder.dispose();
    }
  });
}

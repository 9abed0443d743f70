/**
 * Generator cells: one learned generator per (seed, variant), trained on the
 * seed's real training split (the emotion task selects its checkpoint on the
 * seed's validation split; the identity task holds out the generator's own
 * valFraction of the training walks), with its model card. The key holds the
 * generator config resolved, so a cell made under other defaults is not reused.
 */
import path from 'node:path';
import { VERSION } from '../../../core/version.js';
import { loadGenerator, resolveGenerator, type GeneratorConfig } from '../../../generator/index.js';
import { cacheKey, cellDir } from '../../cache.js';
import { trainGeneratorWithCard } from '../../model-card.js';
import type { ResolvedAblation } from '../config.js';
import type { RunContext } from '../context.js';
import type { GeneratorCellResult } from '../results.js';

/** What a learned augmenter's generator trains with. */
export function generatorConfig(r: ResolvedAblation, variant: string): GeneratorConfig {
  return { ...(r.generator as GeneratorConfig), variant } as GeneratorConfig;
}

export function generatorKey(ctx: RunContext, seed: number, variant: string): string {
  const { r } = ctx;
  return cacheKey({ kind: 'generator', version: VERSION, dataHash: ctx.dataHash, seed, variant, splits: r.splits, config: resolveGenerator(generatorConfig(r, variant)), ...ctx.threadsKey, ...ctx.taskKey });
}

/** The model folder of a finished generator cell. */
export function generatorModelDir(runDir: string, g: Pick<GeneratorCellResult, 'key'>): string {
  return path.join(cellDir(runDir, 'gen', g.key), 'model');
}

export function generatorCell(ctx: RunContext, seed: number, variant: string): Promise<GeneratorCellResult> {
  const key = generatorKey(ctx, seed, variant);
  return ctx.build('gen', key, async (tmp) => {
    const t0 = performance.now();
    const [train, val] = ctx.identityTask ? [ctx.identitySplit(seed).train, undefined] : ctx.split(seed);
    ctx.progress.log(`ablate: training ${variant} (seed ${seed}) on ${train.N} real gaits`);
    const res = await trainGeneratorWithCard(train, generatorConfig(ctx.r, variant), {
      outDir: path.join(tmp, 'model'), seed, val, progress: ctx.progress, threads: ctx.threads, dataName: `${ctx.options.dataPath ?? 'the ablation data'}: the seed-${seed} train split`,
    });
    const gen = await loadGenerator(path.join(tmp, 'model'));
    const hash = gen.checkpointHash;
    gen.dispose();
    return { seed, augmenter: variant, key, checkpointHash: hash, bestEpoch: res.bestEpoch, wallSeconds: (performance.now() - t0) / 1000 };
  });
}

/**
 * Generator cells: one learned generator per (seed, variant), trained on the
 * seed's real training split (the emotion task selects its checkpoint on the
 * seed's validation split; the identity task holds out the generator's own
 * valFraction of the training walks), with its model card. The key holds the
 * generator config resolved, so a cell made under other defaults is not reused.
 */
import path from 'node:path';
import { VERSION } from '../../../core/version.js';
import { loadGenerator, resolveGeneratorFamily, type GeneratorFamilyConfig } from '../../../generator/index.js';
import { cacheKey, cellDir } from '../../cache.js';
import { trainGeneratorWithCard } from '../../model-card.js';
import { CVAE_AUGMENTERS, type FAMILY_SECTIONS, type ResolvedAblation } from '../config.js';
import type { RunContext } from '../context.js';
import type { GeneratorCellResult } from '../results.js';
import { unitName, type SplitUnit } from '../splits.js';

/** What a learned augmenter's generator trains with: the CVAE family's `generator` section, or its family's section of `generators`. */
export function generatorConfig(r: ResolvedAblation, variant: string): GeneratorFamilyConfig {
  const section = (CVAE_AUGMENTERS as readonly string[]).includes(variant) ? r.generator : (r.generators?.[variant as (typeof FAMILY_SECTIONS)[number]] ?? {});
  return { ...section, variant } as GeneratorFamilyConfig;
}

/** A learned augmenter's generator: one per (split unit, real fraction, variant). */
export interface GeneratorRef extends SplitUnit {
  realFraction?: number;
  variant: string;
}

/** The key parts of a split unit and real fraction, absent at their defaults (holdout, fraction 1) so older cells keep their keys. */
export function unitKeyParts(u: SplitUnit & { realFraction?: number }): { fold?: number; realFraction?: number } {
  return { ...(u.fold !== undefined ? { fold: u.fold } : {}), ...(u.realFraction !== undefined ? { realFraction: u.realFraction } : {}) };
}

export function generatorKey(ctx: RunContext, g: GeneratorRef): string {
  const { r } = ctx;
  return cacheKey({
    kind: 'generator', version: VERSION, dataHash: ctx.dataHash, seed: g.seed, variant: g.variant, splits: r.splits, config: resolveGeneratorFamily(generatorConfig(r, g.variant)),
    ...unitKeyParts(g), ...ctx.threadsKey, ...ctx.taskKey,
  });
}

/** The model folder of a finished generator cell. */
export function generatorModelDir(runDir: string, g: Pick<GeneratorCellResult, 'key'>): string {
  return path.join(cellDir(runDir, 'gen', g.key), 'model');
}

export function generatorCell(ctx: RunContext, g: GeneratorRef): Promise<GeneratorCellResult> {
  const key = generatorKey(ctx, g);
  const { seed, variant } = g;
  return ctx.build('gen', key, async (tmp) => {
    const t0 = performance.now();
    const [train, val] = ctx.identityTask ? [ctx.identitySplit(seed).train, undefined] : [ctx.realTrain(g, g.realFraction), ctx.split(g)[1]];
    ctx.progress.log(`ablate: training ${variant} (${unitName(g)}${g.realFraction !== undefined ? `, ${g.realFraction} of the real data` : ''}) on ${train.N} real gaits`);
    const res = await trainGeneratorWithCard(train, generatorConfig(ctx.r, variant), {
      outDir: path.join(tmp, 'model'), seed, val, progress: ctx.progress, threads: ctx.threads, dataName: `${ctx.options.dataPath ?? 'the ablation data'}: the ${unitName(g)} train split`,
    });
    const gen = await loadGenerator(path.join(tmp, 'model'));
    const hash = gen.checkpointHash;
    gen.dispose();
    return { seed, ...unitKeyParts(g), augmenter: variant, key, checkpointHash: hash, bestEpoch: res.bestEpoch, wallSeconds: (performance.now() - t0) / 1000 };
  });
}

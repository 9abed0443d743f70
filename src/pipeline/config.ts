/**
 * Ablation configuration: what `gaitforge ablate` runs. Read from JSON or
 * YAML, overridden from the CLI, and validated completely before any
 * training starts (one GaitforgeError E_CONFIG naming the field).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigRangeError, GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { CLASSICAL_AUGMENTERS, type AugmentConfig } from './augment.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../classifier/config.js';
import { resolveGenerator, type GeneratorConfig } from '../generator/config.js';

export const LEARNED_AUGMENTERS = ['stepgen', 'cvae-baseline'] as const;
export const AUGMENTERS = ['none', ...LEARNED_AUGMENTERS, ...CLASSICAL_AUGMENTERS] as const;
export type AugmenterName = (typeof AUGMENTERS)[number];
export const CLASSIFIERS = ['baseline-step', 'step', 'at-gcn'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];

export interface AblationConfig {
  /** Train/val/test fractions (sum 1), stratified by label; `byIdentity` keeps identities disjoint. */
  splits?: { train?: number; val?: number; test?: number; byIdentity?: boolean };
  /** Augmenters to compare; 'none' is the real-only baseline (count 0). */
  augmenters?: AugmenterName[];
  /** Synthetic gaits per label; 0 means real data only. */
  counts?: number[];
  classifiers?: ClassifierName[];
  /** Number of repeats (seeds 1..S) or an explicit list of seeds. Each re-splits and re-trains. */
  seeds?: number | number[];
  /** Options of the learned generators (GeneratorConfig; `variant` is set by the augmenter). */
  generator?: GeneratorConfig;
  /** Options of the classifiers (ClassifierConfig). */
  classifier?: ClassifierConfig;
  /** Options of the classical augmenters. */
  augment?: AugmentConfig;
  /** Generated gaits per label for each generator's FID. Default 200. */
  fidPerLabel?: number;
}

export interface ResolvedAblation {
  splits: { train: number; val: number; test: number; byIdentity: boolean };
  augmenters: AugmenterName[];
  counts: number[];
  classifiers: ClassifierName[];
  seeds: number[];
  generator: GeneratorConfig;
  classifier: ClassifierConfig;
  augment: AugmentConfig;
  fidPerLabel: number;
}

export const DEFAULT_ABLATION: ResolvedAblation = {
  splits: { train: 0.7, val: 0.15, test: 0.15, byIdentity: false },
  augmenters: ['none', 'stepgen', 'cvae-baseline', 'mirror', 'rotate', 'timewarp', 'noise'],
  counts: [0, 250, 500, 1000, 2000, 4000],
  classifiers: ['baseline-step', 'step', 'at-gcn'],
  seeds: [1, 2, 3, 4, 5],
  generator: {},
  classifier: {},
  augment: {},
  fidPerLabel: 200,
};

const KNOWN_KEYS = new Set(Object.keys(DEFAULT_ABLATION));

function bad(field: string, value: unknown, expected: string): GaitforgeError {
  return new GaitforgeError('E_CONFIG', `ablation config: ${field} = ${JSON.stringify(value)}: ${expected}`);
}

/**
 * Fills defaults and validates everything; with `data`, also checks that
 * every label has enough gaits to appear in each split.
 */
export function resolveAblation(c: AblationConfig, data?: GaitSet): ResolvedAblation {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('(root)', c, 'must be an object');
  for (const k of Object.keys(c)) if (!KNOWN_KEYS.has(k)) throw bad(k, (c as Record<string, unknown>)[k], `unknown field (known: ${[...KNOWN_KEYS].join(', ')})`);
  const splits = { ...DEFAULT_ABLATION.splits, ...(c.splits ?? {}) };
  for (const k of ['train', 'val', 'test'] as const)
    if (typeof splits[k] !== 'number' || !(splits[k] >= 0 && splits[k] <= 1)) throw bad(`splits.${k}`, splits[k], 'must be a number in [0, 1]');
  if (!(splits.train > 0) || !(splits.val > 0) || !(splits.test > 0)) throw bad('splits', splits, 'train, val and test must all be > 0');
  const sum = splits.train + splits.val + splits.test;
  if (Math.abs(sum - 1) > 1e-6) throw bad('splits', { train: splits.train, val: splits.val, test: splits.test }, `fractions sum to ${+sum.toFixed(6)}, not 1`);
  const augmenters = c.augmenters ?? DEFAULT_ABLATION.augmenters;
  if (!Array.isArray(augmenters) || augmenters.length === 0) throw bad('augmenters', augmenters, 'must be a non-empty list');
  for (const a of augmenters) if (!AUGMENTERS.includes(a)) throw bad('augmenters', a, `unknown augmenter (known: ${AUGMENTERS.join(', ')})`);
  const counts = c.counts ?? DEFAULT_ABLATION.counts;
  if (!Array.isArray(counts) || counts.length === 0) throw bad('counts', counts, 'must be a non-empty list');
  for (const n of counts) if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad('counts', n, 'counts must be non-negative integers');
  const classifiers = c.classifiers ?? DEFAULT_ABLATION.classifiers;
  if (!Array.isArray(classifiers) || classifiers.length === 0) throw bad('classifiers', classifiers, 'must be a non-empty list');
  for (const k of classifiers) if (!CLASSIFIERS.includes(k)) throw bad('classifiers', k, `unknown classifier (known: ${CLASSIFIERS.join(', ')})`);
  let seeds: number[];
  if (c.seeds === undefined) seeds = DEFAULT_ABLATION.seeds;
  else if (typeof c.seeds === 'number') {
    if (!Number.isInteger(c.seeds) || c.seeds < 1 || c.seeds > 1000) throw bad('seeds', c.seeds, 'a repeat count must be an integer in [1, 1000]');
    seeds = Array.from({ length: c.seeds }, (_, i) => i + 1);
  } else if (Array.isArray(c.seeds) && c.seeds.length > 0) {
    for (const s of c.seeds) if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw bad('seeds', s, 'seeds must be non-negative integers');
    if (new Set(c.seeds).size !== c.seeds.length) throw bad('seeds', c.seeds, 'seeds must be distinct');
    seeds = [...c.seeds];
  } else throw bad('seeds', c.seeds, 'must be a repeat count or a non-empty list of seeds');
  const fidPerLabel = c.fidPerLabel ?? DEFAULT_ABLATION.fidPerLabel;
  if (!Number.isInteger(fidPerLabel) || fidPerLabel < 2) throw bad('fidPerLabel', fidPerLabel, 'must be an integer ≥ 2');
  for (const k of ['generator', 'classifier', 'augment'] as const)
    if (c[k] !== undefined && (typeof c[k] !== 'object' || c[k] === null || Array.isArray(c[k]))) throw bad(k, c[k], 'must be an object of options');
  checkSection('generator', c.generator, (g) => {
    if ((g as Record<string, unknown>)['variant'] !== undefined) throw new ConfigRangeError('variant is set by each learned augmenter (stepgen, cvae-baseline); leave it out');
    for (const variant of augmenters.filter((a) => (LEARNED_AUGMENTERS as readonly string[]).includes(a))) resolveGenerator({ ...g, variant } as GeneratorConfig);
  });
  checkSection('classifier', c.classifier, (k) => resolveClassifierConfig(k as ClassifierConfig));
  const r: ResolvedAblation = {
    // 'none' (real data only, count 0) is always run: every gain is measured against it.
    splits, augmenters: [...new Set<AugmenterName>(['none', ...augmenters])], counts: [...new Set(counts)].sort((a, b) => a - b), classifiers: [...new Set(classifiers)],
    seeds, generator: { ...(c.generator ?? {}) }, classifier: { ...(c.classifier ?? {}) }, augment: { ...(c.augment ?? {}) }, fidPerLabel,
  };
  if (data) checkSplittable(r, data);
  return r;
}

/** Resolves a nested section (unknown fields and out-of-range values are errors) before anything trains. */
function checkSection(name: string, section: object | undefined, resolve: (s: object) => void): void {
  if (section === undefined) return;
  try {
    resolve(section);
  } catch (e) {
    if (e instanceof RangeError) throw new GaitforgeError('E_CONFIG', `ablation config: ${name}.${e.message}`, { cause: e });
    throw e;
  }
}

/** Every label must leave at least one gait (or identity) in each of train, val and test. */
function checkSplittable(r: ResolvedAblation, data: GaitSet): void {
  const smallest = Math.min(r.splits.train, r.splits.val, r.splits.test);
  const need = Math.ceil(1 / smallest);
  data.indicesByLabel().forEach((idx, l) => {
    const units = r.splits.byIdentity ? new Set(idx.map((i) => data.identity[i])).size : idx.length;
    if (units < need)
      throw new GaitforgeError(
        'E_CONFIG',
        `label ${JSON.stringify(data.labelNames[l])} has ${units} ${r.splits.byIdentity ? 'identities' : 'gaits'}: too few to split ${r.splits.train}/${r.splits.val}/${r.splits.test} (needs at least ${need})`,
      );
  });
  if (r.splits.byIdentity && data.identity.some((x) => x == null))
    throw new GaitforgeError('E_CONFIG', 'splits.byIdentity is set but some gaits have no identity');
}

/** Reads a JSON or YAML config file (by extension; .yml/.yaml are YAML). */
export function loadAblationConfig(path: string): AblationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GaitforgeError('E_IO', `cannot read config ${path}: ${(e as Error).message}`);
  }
  try {
    return (/\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text)) as AblationConfig;
  } catch (e) {
    throw new GaitforgeError('E_CONFIG', `config ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * The grid a config spans. 'none' contributes count 0 only; every other
 * augmenter contributes its counts > 0 (count 0 is the shared real-only row).
 */
export interface GridCell {
  seed: number;
  augmenter: AugmenterName;
  count: number;
  classifier: ClassifierName;
}
export function gridCells(r: ResolvedAblation): GridCell[] {
  const cells: GridCell[] = [];
  for (const seed of r.seeds)
    for (const augmenter of r.augmenters)
      for (const count of augmenter === 'none' ? [0] : r.counts.filter((n) => n > 0))
        for (const classifier of r.classifiers) cells.push({ seed, augmenter, count, classifier });
  return cells;
}

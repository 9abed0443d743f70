/**
 * A feature space's share of a generator evaluation: each draw's FID beside
 * its floor (label-matched, fidBesideFloor), Diversity and MultiModality of
 * the generated gaits and of the held-out real half, accumulated over draws
 * (a draw may average several evaluator folds) into mean ± 95% CI.
 */
import { groupedHalves, type GaitSet } from '../core/gaitset.js';
import { diversity, multimodality } from '../eval/diversity.js';
import { selectRows, type FeatureMatrix } from '../eval/features.js';
import { fidBesideFloor, type FidBesideFloor } from '../eval/fid.js';
import { meanCI } from '../eval/stats.js';
import type { MeanCI } from '../eval/stats.js';
import { countsByName } from './fid-sets.js';

/** A metric of the generated gaits next to the same metric of real gaits, each mean ± CI over the draws. */
export interface PairedMetric {
  generated: MeanCI;
  real: MeanCI;
}

export interface FidSummary {
  /** FID(reference, generated) over the draws (fidBesideFloor). */
  fid: MeanCI;
  /** FID(reference, held-out real gaits): the real-vs-real floor. */
  floor: MeanCI;
  /** Generated gaits and floor gaits per draw (equal), each against a reference of as many. */
  n: number;
  floorN: number;
  /** Per-draw values, in draw order. */
  values: number[];
  floorValues: number[];
  /** Dimension the FIDs were computed in (the first draw's; eval/fid.ts projectedDim). */
  dim: number;
  /** Dimension of the feature space. */
  featureDim: number;
  /** Gaits per label name in each FID set of the first draw (reference, floor and generated: equal). */
  counts: Record<string, number>;
  /** Draws (of R) whose FIDs added a ridge because a covariance was singular, and the largest ridge (0: none). */
  ridgeUses: number;
  ridge: number;
  /** Distinct warnings of the FID computations (with the draw they first came from). */
  warnings: string[];
}

export interface SpaceSuite {
  fid: FidSummary;
  diversity: PairedMetric;
  /** Mean over labels; per label name as well. */
  multimodality: PairedMetric & { perLabel: Record<string, { generated: MeanCI | null; real: MeanCI | null }> };
}

/** One draw's FID and Diversity/MultiModality in a feature space. */
export interface SpaceDraw {
  fid: FidBesideFloor;
  halvesWarning: string | null;
  divG: number;
  divR: number;
  mm: { generated: number; real: number; perLabelG: (number | null)[]; perLabelR: (number | null)[] };
}

/**
 * A feature space's draw: the real rows `rows` of `realF` (a subset `sub` of
 * the real set, labels aligned with the generated gaits') split into grouped
 * halves, the FID of the generated gaits beside the floor, and Diversity and
 * MultiModality of the generated gaits and of the held-out half.
 */
export function spaceDraw(sub: GaitSet, realF: FeatureMatrix, fake: FeatureMatrix, fakeLabels: Int32Array, seed: number, labelNames: string[]): SpaceDraw {
  const h = groupedHalves(sub, seed);
  const fid = fidBesideFloor(realF, fake, { seed, halves: h, labels: { real: sub.labels, fake: fakeLabels } });
  const held = selectRows(realF, h.floor);
  const opts = { seed, numLabels: labelNames.length, labelNames };
  const mg = multimodality(fake, fakeLabels, opts);
  const mr = multimodality(held, Int32Array.from(h.floor, (i) => sub.labels[i]!), opts);
  return {
    fid, halvesWarning: h.warning, divG: diversity(fake, { seed }), divR: diversity(held, { seed }),
    mm: { generated: mg.mean, real: mr.mean, perLabelG: mg.perLabel, perLabelR: mr.perLabel },
  };
}

/** Per-draw accumulators of one feature space; a draw may be the mean of several folds' draws. */
export class SpaceAccumulator {
  readonly fid: number[] = [];
  readonly floor: number[] = [];
  readonly divG: number[] = [];
  readonly divR: number[] = [];
  readonly mmG: number[] = [];
  readonly mmR: number[] = [];
  readonly mmLabelG: number[][];
  readonly mmLabelR: number[][];
  ridgeUses = 0;
  ridge = 0;
  /** The first draw's FID sets: gaits, dimension, counts per label. */
  n = 0;
  dim = 0;
  counts: Record<string, number> = {};
  /** First text of each kind of FID warning (numbers masked in the key: ridge sizes differ between draws). */
  private readonly warnings = new Map<string, string>();

  constructor(readonly featureDim: number, readonly labelNames: string[]) {
    this.mmLabelG = labelNames.map(() => []);
    this.mmLabelR = labelNames.map(() => []);
  }

  /** Adds draw `draw`, the mean over its folds' draws. */
  add(draw: number, folds: SpaceDraw[]): void {
    const mean = (f: (d: SpaceDraw) => number) => folds.reduce((a, d) => a + f(d), 0) / folds.length;
    this.fid.push(mean((d) => d.fid.fid));
    this.floor.push(mean((d) => d.fid.floor));
    this.divG.push(mean((d) => d.divG));
    this.divR.push(mean((d) => d.divR));
    this.mmG.push(mean((d) => d.mm.generated));
    this.mmR.push(mean((d) => d.mm.real));
    this.labelNames.forEach((_, l) => {
      for (const [acc, pick] of [[this.mmLabelG, (d: SpaceDraw) => d.mm.perLabelG[l]], [this.mmLabelR, (d: SpaceDraw) => d.mm.perLabelR[l]]] as const) {
        const v = folds.map(pick).filter((x): x is number => x != null);
        if (v.length) acc[l]!.push(v.reduce((a, b) => a + b, 0) / v.length);
      }
    });
    if (draw === 0) {
      const first = folds[0]!.fid;
      this.n = first.n;
      this.dim = first.dim;
      this.counts = countsByName(first.counts?.reference, this.labelNames);
    }
    const ridge = Math.max(...folds.map((d) => d.fid.ridge));
    if (ridge > 0) {
      this.ridgeUses++;
      this.ridge = Math.max(this.ridge, ridge);
    }
    for (const w of folds.flatMap((d) => [...(d.halvesWarning ? [d.halvesWarning] : []), ...d.fid.warnings])) {
      const key = w.replace(/[-+]?\d+(\.\d+)?(e[-+]?\d+)?/g, '#');
      if (!this.warnings.has(key)) this.warnings.set(key, `draw ${draw}: ${w}`);
    }
  }

  summary(): SpaceSuite {
    const ci = (v: number[]) => (v.length ? meanCI(v) : null);
    return {
      fid: {
        fid: meanCI(this.fid), floor: meanCI(this.floor), n: this.n, floorN: this.n, values: this.fid, floorValues: this.floor, dim: this.dim, featureDim: this.featureDim,
        counts: this.counts, ridgeUses: this.ridgeUses, ridge: this.ridge, warnings: [...this.warnings.values()],
      },
      diversity: { generated: meanCI(this.divG), real: meanCI(this.divR) },
      multimodality: {
        generated: meanCI(this.mmG), real: meanCI(this.mmR),
        perLabel: Object.fromEntries(this.labelNames.map((n, l) => [n, { generated: ci(this.mmLabelG[l]!), real: ci(this.mmLabelR[l]!) }])),
      },
    };
  }
}


/**
 * Splitting a gait file into parts (train and test, say) the way every split
 * of gaitforge is made (GaitSet.splitIndices, docs/pipeline.md "Splits"):
 * whole groups (walkers, else recordings) go to one part, stratified by
 * label, in a seeded order. The parts are written all or none.
 */
import { checkSplitFractions, type ResolvedGrouping, type SplitGrouping } from '../core/gaitset.js';
import { GaitforgeError } from '../core/errors.js';
import { readGaitFile, readGaitFileInfo } from './gaitfile-read.js';
import { writeGaitFiles } from './gaitfile-write.js';

export interface SplitGaitFileOptions {
  /** Each part's share of every label's groups, summing to 1 (e.g. [0.8, 0.2]). */
  fractions: number[];
  /** The file of each part (.parquet or .arrow), one per fraction. */
  out: string[];
  /** Seed of the split: the same seed gives the same parts. Default 1. */
  seed?: number;
  /**
   * What stays on one side (GaitSet.grouping). Default 'auto': walkers when
   * every gait has one, else walkers or recordings. 'gait' (gait by gait)
   * only when asked for: on data without walkers or recordings, 'auto' is
   * refused, since windows of one take would sit on both sides.
   */
  groupBy?: SplitGrouping;
}

export interface SplitPart {
  path: string;
  fraction: number;
  gaits: number;
  /** Gaits per label name. */
  labels: Record<string, number>;
  /** The groups in the part, named as GaitSet.groupKeys names them (`identity:p03`, `recording:take1`, ...). */
  groups: string[];
}

export interface SplitGaitFileResult {
  input: string;
  gaits: number;
  seed: number;
  groupedBy: ResolvedGrouping;
  parts: SplitPart[];
}

/** A grouping's group, singular and plural. */
const GROUP_NAMES: Record<ResolvedGrouping, [string, string]> = {
  identity: ['walker', 'walkers'], recording: ['recording', 'recordings'], 'identity-or-recording': ['walker or recording', 'walkers or recordings'], gait: ['gait', 'gaits'],
};

/**
 * Splits the gait file `input` into `options.out` (see SplitGaitFileOptions).
 * Label names, joint names and metadata are kept; each part's metadata also
 * records the split. Throws E_OPTION for fractions that are not positive or
 * do not sum to 1, or a count of files other than of fractions; E_VALUE when
 * a label has too few groups to reach every part, or when the data can only
 * be split gait by gait and that was not asked for.
 */
export async function splitGaitFile(input: string, options: SplitGaitFileOptions): Promise<SplitGaitFileResult> {
  const { fractions, out } = options;
  const seed = options.seed ?? 1;
  const requested = options.groupBy ?? 'auto';
  checkSplitFractions(fractions);
  if (fractions.some((f) => f === 0)) throw new GaitforgeError('E_OPTION', `split fractions ${JSON.stringify(fractions)}: every part needs a fraction above 0`);
  if (out.length !== fractions.length)
    throw new GaitforgeError('E_OPTION', `${out.length} output file${out.length === 1 ? '' : 's'} for ${fractions.length} split fractions: name one file per part`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GaitforgeError('E_OPTION', `split seed ${seed}: expected a non-negative integer`);
  const info = await readGaitFileInfo(input);
  const set = await readGaitFile(input);
  const groupedBy = set.grouping(requested);
  if (groupedBy === 'gait' && requested !== 'gait')
    throw new GaitforgeError('E_VALUE', `${input}: its gaits have neither walkers (identity) nor recordings, so the split would go gait by gait and windows of one take could sit on both sides; ask for grouping 'gait' to split it so anyway`);
  const parts = set.splitIndices(fractions, seed, { groupBy: requested });
  const keys = set.groupKeys(requested);
  // every label with gaits reaches every part, else a part could not test (or train on) it
  set.indicesByLabel().forEach((rows, l) => {
    if (rows.length === 0) return;
    const empty = parts.findIndex((p) => !p.some((i) => set.labels[i] === l));
    if (empty < 0) return;
    const groups = new Set(rows.map((i) => keys[i])).size;
    const [one, many] = GROUP_NAMES[groupedBy];
    throw new GaitforgeError('E_VALUE', `label ${JSON.stringify(set.labelNames[l])} has ${groups} ${groups === 1 ? one : many} (grouped by ${groupedBy}): too few for the split fractions ${fractions.join(', ')}, which leave ${out[empty]} none of it`);
  });
  const sets = parts.map((p) => set.select(p));
  await writeGaitFiles(sets.map((s, p) => ({
    path: out[p]!, set: s,
    options: {
      jointNames: info.jointNames ?? undefined,
      metadata: { ...info.metadata, split_of: input, split_part: `${p + 1}/${parts.length}`, split_fractions: fractions.join(','), split_seed: String(seed), split_grouped_by: groupedBy },
    },
  })));
  return {
    input, gaits: set.N, seed, groupedBy,
    parts: parts.map((p, k) => ({ path: out[k]!, fraction: fractions[k]!, gaits: p.length, labels: sets[k]!.countsByLabel(), groups: [...new Set(p.map((i) => keys[i]!))].sort() })),
  };
}

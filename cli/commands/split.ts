import { SPLIT_GROUPINGS } from '../../src/core/gaitset.js';
import { commaList, defineCommand, emit, globalOptions, numberList, seedOption, table, type CommandOptions } from '../util.js';

const OPTIONS = {
  data: { type: 'string', demandOption: true, describe: 'Gait file to split (.parquet or .arrow)' },
  fractions: { type: 'string', demandOption: true, describe: "Comma-separated shares of every label's groups, one per part, summing to 1 (e.g. 0.8,0.2)" },
  out: { type: 'string', demandOption: true, describe: 'Comma-separated output files, one per fraction (e.g. train.parquet,test.parquet); written all or none' },
  seed: seedOption('Random seed of the split (the same seed gives the same parts)'),
  'group-by': {
    type: 'string', default: 'auto', choices: SPLIT_GROUPINGS,
    describe: "What stays on one side: auto (walkers when every gait has one, else walkers or recordings), identity, recording, identity-or-recording; gait (one by one, leaky for windows of one take) only when asked for",
  },
} as const satisfies CommandOptions;

export const splitCommand = defineCommand({
  command: 'split',
  describe: 'Split a gait file into parts (train/test) by walker, else by recording, stratified by label and seeded; --json says what went where',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const fractions = numberList('fractions', argv.fractions);
    const lib = await import('../lib.js');
    const r = await lib.splitGaitFile(argv.data, { fractions, out: commaList(argv.out), seed: argv.seed, groupBy: argv['group-by'] });
    const labels = Object.keys(r.parts[0]?.labels ?? {});
    emit(argv, r, [
      `split ${r.input} (${r.gaits} gaits, grouped by ${r.groupedBy}, seed ${r.seed}):`,
      table(['part', 'fraction', 'gaits', 'groups', ...labels], r.parts.map((p) => [p.path, String(p.fraction), p.gaits, p.groups.length, ...labels.map((l) => p.labels[l] ?? 0)])),
    ]);
  },
});

import { defineCommand, emit, globalOptions, progressBar, selectionOptions, type CommandOptions } from '../util.js';

const OPTIONS = {
  in: { type: 'string', demandOption: true, describe: 'Gait file (.parquet or .arrow)' },
  out: { type: 'string', demandOption: true, describe: 'Folder to write index.html into' },
  ...selectionOptions('include', 'At most this many gaits'),
  'max-gaits': { type: 'number', default: 2000, describe: 'Refuse larger selections (the page embeds every gait, ~170 kB each)' },
  title: { type: 'string', default: 'gaitforge viewer', describe: 'Page title' },
} as const satisfies CommandOptions;

export const view = defineCommand({
  command: 'view',
  describe: 'Write a self-contained HTML viewer (three.js, no network) that plays the gaits; open index.html or serve the folder',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const io = await import('../../src/io/index.js');
    const r = await import('../../src/render/index.js');
    const all = await io.readGaitFile(argv.in);
    const set = r.selectGaits(all, { ids: argv.ids, label: argv.label, source: argv.source, limit: argv.limit }, argv.in);
    const bar = progressBar(argv);
    bar.start('viewer GLBs', set.N);
    const file = await r.writeViewer(argv.out, set, { title: argv.title, maxGaits: argv['max-gaits'], onProgress: (d) => bar.update(d) });
    bar.stop();
    const { statSync } = await import('node:fs');
    const bytes = statSync(file).size;
    emit(argv, { file, gaits: set.N, bytes }, [
      `wrote ${file} (${set.N} gaits, ${(bytes / 1e6).toFixed(1)} MB)`,
      `open it in a browser (file:// works), or serve the folder: npx serve ${argv.out}`,
    ]);
  },
});

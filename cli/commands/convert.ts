import { defineCommand, emit, globalOptions, type CommandOptions } from '../util.js';

const OPTIONS = {
  'row-group-size': { type: 'number', default: 1000, describe: 'Gaits per row group / record batch' },
} as const satisfies CommandOptions;

export const convert = defineCommand({
  command: 'convert <input> <output>',
  describe: 'Convert a gait file between Parquet and Arrow IPC (streamed row group by row group)',
  builder: (y) =>
    globalOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'Input .parquet / .arrow' })
      .positional('output', { type: 'string', demandOption: true, describe: 'Output .parquet / .arrow' })
      .options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const r = await lib.convertGaitFile(argv.input, argv.output, { rowGroupSize: argv['row-group-size'] });
    emit(argv, r, `converted ${r.rows} gaits: ${argv.input} (${r.inputBytes} bytes) → ${argv.output} (${r.outputBytes} bytes)`);
  },
});

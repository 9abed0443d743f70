import type { CommandModule } from 'yargs';
import { emit, globalOptions, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  input: string;
  output: string;
  'row-group-size': number;
}

export const convert: CommandModule<object, Args> = {
  command: 'convert <input> <output>',
  describe: 'Convert a gait file between Parquet and Arrow IPC (streamed row group by row group)',
  builder: (y) =>
    globalOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'Input .parquet / .arrow' })
      .positional('output', { type: 'string', demandOption: true, describe: 'Output .parquet / .arrow' })
      .option('row-group-size', { type: 'number', default: 1000, describe: 'Gaits per row group / record batch' }) as never,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const r = await lib.convertGaitFile(argv.input, argv.output, { rowGroupSize: argv['row-group-size'] });
    emit(argv, r, `converted ${r.rows} gaits: ${argv.input} (${r.inputBytes} bytes) → ${argv.output} (${r.outputBytes} bytes)`);
  },
};

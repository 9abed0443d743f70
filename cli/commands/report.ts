import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  run: string;
  out: string;
  title?: string;
  question?: string;
}

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <run>',
  describe: "Write the results page (docs/results/) of a run folder: an ablation's or a benchmark's (npm run bench -- --out DIR), with the command, machine, date, tables and plots",
  builder: (y) =>
    globalOptions(y)
      .positional('run', { type: 'string', demandOption: true, describe: 'The run folder' })
      .option('out', { type: 'string', demandOption: true, describe: "The page to write (Markdown); an ablation's plots go to a folder of the same name beside it" })
      .option('title', { type: 'string', describe: "The page's title" })
      .option('question', { type: 'string', describe: 'The question the experiment answers (a sentence at the top)' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const { writeResultsPage } = await import('../../src/pipeline/results-page.js');
    const page = writeResultsPage(argv.run, argv.out, { title: argv.title, question: argv.question });
    emit(argv, page, `${page.kind} results page: ${page.path}${page.assets.length ? ` (${page.assets.length} plots and filmstrips beside it)` : ''}`);
  },
};

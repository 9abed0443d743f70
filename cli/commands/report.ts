import { defineCommand, emit, globalOptions, type CommandOptions } from '../util.js';

const OPTIONS = {
  out: { type: 'string', demandOption: true, describe: "The page to write (Markdown); an ablation's plots go to a folder of the same name beside it" },
  title: { type: 'string', describe: "The page's title" },
  question: { type: 'string', describe: 'The question the experiment answers (a sentence at the top)' },
} as const satisfies CommandOptions;

export const reportCommand = defineCommand({
  command: 'report <run>',
  describe: "Write the results page (docs/results/) of a run folder: an ablation's or a benchmark's (npm run bench -- --out DIR), with the command, machine, date, tables and plots",
  builder: (y) =>
    globalOptions(y)
      .positional('run', { type: 'string', demandOption: true, describe: 'The run folder' })
      .options(OPTIONS),
  handler: async (argv) => {
    const { writeResultsPage } = await import('../../src/pipeline/results-page.js');
    const page = writeResultsPage(argv.run, argv.out, { title: argv.title, question: argv.question });
    emit(argv, page, `${page.kind} results page: ${page.path}${page.assets.length ? ` (${page.assets.length} plots and filmstrips beside it)` : ''}`);
  },
});

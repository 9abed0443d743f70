import { DEFAULT_RESTYLE_LATENT, RESTYLE_LATENTS } from '../../src/generator/latent.js';
import { commaList, defineCommand, emit, fmt, globalOptions, progressBar, threadsOption, type CommandOptions } from '../util.js';

const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Generator directory (from train-generator); an identity-conditioned one restyles only its training identities' },
  data: { type: 'string', demandOption: true, describe: 'Gait file to restyle (.parquet or .arrow; the T, joints and fps of the generator)' },
  out: { type: 'string', demandOption: true, describe: 'Output file (.parquet or .arrow); rows keep the source gait\'s identity and recording' },
  to: { type: 'string', demandOption: true, describe: 'Comma-separated labels: each gait becomes one gait of each of them other than its own' },
  from: { type: 'string', describe: 'Comma-separated labels: restyle only the gaits of these labels (default: all)' },
  strength: { type: 'number', describe: "STEP-Gen: scale of the edit, 0 = the gait unchanged, 1 = the decoder's whole difference between the labels, up to 10 (default 1). flow: how far the walk is noised before it is integrated back with the new label, 0 = the gait unchanged, 1 = pure noise (default: the model's config, 0.5)" },
  latent: { type: 'string', choices: RESTYLE_LATENTS, describe: `STEP-Gen only: the code the new label is decoded at: 'shifted' the gait's posterior mean moved by the label's latent effect (carries the label), 'posterior' the posterior mean itself (default ${DEFAULT_RESTYLE_LATENT})` },
  // no default: STEP-Gen's restyling draws no noise, and a seed given to it is an error
  seed: { type: 'number', describe: "flow only: run seed of each walk's noise (default 1)" },
  steps: { type: 'number', describe: "flow only: integration steps of a whole path (default: the model's config)" },
  guidance: { type: 'number', describe: "flow only: classifier-free guidance W of the path back (default: the model's config)" },
  'batch-size': { type: 'number', default: 64, describe: 'Gaits per encoder/decoder call' },
  threads: threadsOption("Threads restyling (worker threads on wasm/cpu; 1 on tfjs-node); the gaits do not depend on it. Default: this machine's cores"),
} as const satisfies CommandOptions;

export const restyleCommand = defineCommand({
  command: 'restyle',
  describe: "Turn real gaits into other labels with a trained generator: STEP-Gen adds the decoder's difference between the new label and the gait's own around its latent code (--latent); a flow noises the walk part of the way and integrates it back with the new label (--strength); both keep the walker's detail",
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const r = await lib.restyleFile(argv.model, argv.data, argv.out, {
      to: commaList(argv.to), from: argv.from === undefined ? undefined : commaList(argv.from), strength: argv.strength, latent: argv.latent, seed: argv.seed, steps: argv.steps, guidance: argv.guidance,
      batchSize: argv['batch-size'], progress: progressBar(argv), threads: argv.threads,
    });
    emit(argv, r, [
      `wrote ${r.rows} restyled gaits to ${r.path} (${r.sources} gaits of ${argv.data} into ${argv.to})`,
      `generator ${r.generator}, strength ${r.strength}, ${r.latent ? `latent ${r.latent}` : `${r.steps} steps, guidance ${r.guidance}, seed ${r.seed}`}; ${fmt(r.seconds, 3)} s`,
    ]);
  },
});

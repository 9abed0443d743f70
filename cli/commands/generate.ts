import { commaList, configFrom, defineCommand, emit, fmt, globalOptions, PRIOR_HELP, progressBar, seedOption, threadsOption, type CommandOptions } from '../util.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GAIT_FILE_FORMATS } from '../../src/io/gaitfile-format.js';
import type { GenerateToFileOptions, SampleCell, SampleCounts } from '../../src/generator/sample.js';
import { LATENT_PRIORS } from '../../src/generator/latent.js';

/**
 * Parses `angry=500,sad=2000` into counts per label, or
 * `alice:angry=5,bob:sad=3` into (identity, label, count) cells (values
 * checked by the library).
 */
export function parseCounts(s: string): SampleCounts {
  const out: Record<string, number> = {};
  const cells: SampleCell[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:([^=:]+):)?([^=:]+)=(.+)$/.exec(part);
    if (!m) throw new GaitforgeError('E_OPTION', `--counts ${JSON.stringify(s)}: expected label=count or identity:label=count pairs separated by commas (e.g. angry=500,sad=2000 or alice:angry=5)`);
    const count = Number(m[3]!.trim());
    if (m[1] !== undefined) cells.push({ identity: m[1].trim(), label: m[2]!.trim(), count });
    else out[m[2]!.trim()] = count;
  }
  if (cells.length && Object.keys(out).length)
    throw new GaitforgeError('E_OPTION', `--counts ${JSON.stringify(s)}: name an identity in every pair (identity:label=count) or in none`);
  return cells.length ? cells : out;
}

/** The options; those with a `field` set that field of generateToFile's options. */
const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Generator directory (from train-generator)' },
  out: { type: 'string', demandOption: true, describe: 'Output file (.parquet or .arrow)' },
  'per-label': { type: 'number', conflicts: 'counts', describe: 'Gaits per label (all labels, or those in --labels)' },
  counts: { type: 'string', describe: 'Gaits per label as label=count pairs, e.g. angry=500,sad=2000 (for each of --identities when given), or per identity and label as identity:label=count pairs, e.g. id03:sad=20,id07:angry=5 (identity-conditioned generators)' },
  labels: { type: 'string', conflicts: 'counts', describe: 'Comma-separated labels for --per-label (default: all the model knows)' },
  identities: { type: 'string', describe: "Identity-conditioned generators (config identityDim > 0): comma-separated identities to generate, each with the per-label counts, or 'all'; rows carry the identity" },
  temperature: { field: 'temperature', type: 'number', describe: "STEP-Gen: scale of the latent noise (0 = the prior's mean; the mixture's: a component's mean). Default 1" },
  prior: { field: 'prior', type: 'string', choices: LATENT_PRIORS, describe: `STEP-Gen: ${PRIOR_HELP}` },
  steps: { field: 'steps', type: 'number', describe: "flow: integration steps from noise to gait (default: the model's config, 8 Heun steps)" },
  guidance: { field: 'guidance', type: 'number', describe: "flow: classifier-free guidance W, v = v_uncond + W·(v_cond − v_uncond): 1 conditional, 0 unconditional, > 1 more of the label (default: the model's config)" },
  rigid: { field: 'rigid', type: 'boolean', default: true, describe: 'Fit every gait to a rigid skeleton (each bone at its median length, or at the measured length of its walker for an identity-conditioned generator); --no-rigid keeps the raw decoder output' },
  seed: { field: 'seed', ...seedOption('Random seed (the same seed gives the same gaits)') },
  format: { field: 'format', type: 'string', choices: GAIT_FILE_FORMATS, describe: 'File format (default: from the extension)' },
  'batch-size': { field: 'batchSize', type: 'number', default: 64, describe: 'Gaits per decoder call' },
  threads: { field: 'threads', ...threadsOption('Threads decoding each chunk (worker threads on wasm/cpu; 1 on tfjs-node); the gaits do not depend on it. Default: this machine\'s cores') },
} as const satisfies CommandOptions<GenerateToFileOptions>;

export const generateCommand = defineCommand({
  command: 'generate',
  describe: 'Sample labeled synthetic gaits from a trained generator of any family into a Parquet/Arrow file (streamed: any number of gaits)',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    if (argv['per-label'] === undefined && argv.counts === undefined)
      throw new lib.GaitforgeError('E_OPTION', 'name how many gaits to generate: --per-label N or --counts label=N,...');
    await lib.initBackend(argv.backend);
    let counts: SampleCounts;
    if (argv.counts !== undefined) counts = parseCounts(argv.counts);
    else {
      const labels = argv.labels ? commaList(argv.labels) : lib.readGeneratorFamilyManifest(argv.model).labelNames;
      counts = Object.fromEntries(labels.map((l) => [l, argv['per-label']!]));
    }
    const identities = argv.identities === undefined ? undefined : argv.identities.trim() === 'all' ? ('all' as const) : commaList(argv.identities);
    const r = await lib.generateToFile(argv.model, argv.out, { ...configFrom(OPTIONS, argv), counts, identities, progress: progressBar(argv) });
    const what = Array.isArray(counts) ? counts.map((c) => `${c.identity ?? ''}${c.identity ? ':' : ''}${c.label} ${c.count}`) : Object.entries(counts).map(([l, c]) => `${l} ${c}`);
    emit(argv, { ...r, counts, ...(identities ? { identities } : {}) }, [
      `wrote ${r.rows} synthetic gaits to ${r.path} (${what.join(', ')}${identities ? ` for ${identities === 'all' ? 'every identity' : `each of ${identities.join(', ')}`}` : ''})`,
      `generator ${r.generator}, seed ${argv.seed}, ${r.prior ? `${r.prior} prior, temperature ${argv.temperature ?? 1}` : r.steps !== undefined ? `${r.steps} steps, guidance ${r.guidance}` : 'no latent prior'}; ${fmt(r.gaitsPerSec, 4)} gaits/s`,
    ]);
  },
});

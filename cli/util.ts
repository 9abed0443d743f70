/**
 * Shared CLI plumbing: command modules typed by their options, global
 * options, output (`--json` or text), progress bars and error reporting.
 * Commands stay thin: validate, call one library function, print.
 */
import cliProgress from 'cli-progress';
import { availableParallelism } from 'node:os';
import type { ArgumentsCamelCase, Argv, CommandModule, InferredOptionType, Options } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../src/core/backend-choice.js';
import { GaitforgeError } from '../src/core/errors.js';
import { GAIT_SOURCES } from '../src/core/gaitset.js';
import type { Progress } from '../src/core/progress.js';

/** What the output helpers read of a command's arguments. */
export interface GlobalArgs {
  json?: boolean;
  quiet?: boolean;
}

/**
 * A command module whose handler sees the arguments its builder declares,
 * typed as yargs infers them from the options (no interface to keep in step).
 */
export function defineCommand<A>(module: {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv<object>) => Argv<A>;
  handler: (argv: ArgumentsCamelCase<A>) => void | Promise<void>;
}): CommandModule<object, A> {
  return module;
}

const DEFAULT_BACKEND: BackendChoice = 'auto';

/** --json, --quiet and --backend: the options every command takes. */
export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON on stdout' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bars or chatter on stderr' })
    .option('backend', {
      type: 'string', default: DEFAULT_BACKEND, choices: BACKEND_CHOICES,
      describe: 'Compute backend (auto: tfjs-node-gpu, tfjs-node, wasm, cpu, first that works)',
    });
}

/**
 * A command's options, each declared once: its yargs spec and, for a flag
 * that sets a field of the library's config, that field's name (`field`;
 * yargs reads only its own keys of a spec).
 */
export type CommandOptions<Config = Record<string, unknown>> = Record<string, Options & { field?: keyof Config & string }>;

/**
 * The config fields of a table of options: each option with a `field`, typed
 * as yargs parses the flag (undefined for a flag not given, whose field is left out).
 */
export type ConfigFrom<O extends CommandOptions> = {
  -readonly [K in keyof O as O[K] extends { field: infer F extends string } ? F : never]: InferredOptionType<O[K]>;
};

/**
 * The config fields the given flags set. A flag not given leaves its field
 * out, so a config file's value or the library's default stays.
 */
export function configFrom<O extends CommandOptions>(options: O, argv: Readonly<Record<string, unknown>>): ConfigFrom<O>;
export function configFrom(options: CommandOptions, argv: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [flag, o] of Object.entries(options)) if (o.field !== undefined && argv[flag] !== undefined) config[o.field] = argv[flag];
  return config;
}

/** The comma-separated items of a list option, trimmed, empty ones left out. */
export function commaList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The numbers of a comma-separated option `--flag`; E_OPTION naming the option and the item that is not a number. */
export function numberList(flag: string, value: string): number[] {
  return commaList(value).map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n)) throw new GaitforgeError('E_OPTION', `--${flag} ${JSON.stringify(value)}: ${JSON.stringify(x)} is not a number`);
    return n;
  });
}

/** Prints `data` as JSON with --json, else the text (a string or lines). */
export function emit(argv: GlobalArgs, data: unknown, text: string | string[]): void {
  if (argv.json) process.stdout.write(JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2) + '\n');
  else process.stdout.write((Array.isArray(text) ? text.join('\n') : text) + '\n');
}

/** Chatter for humans on stderr (suppressed by --quiet and --json). */
export function say(argv: GlobalArgs, message: string): void {
  if (!argv.quiet && !argv.json) process.stderr.write(message + '\n');
}

/**
 * Ctrl-C stops a training after its current step (the last finished epoch
 * stays resumable); a second Ctrl-C quits at once. `done()` removes the
 * handler once the training has returned.
 */
export function stopOnSigint(argv: GlobalArgs): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    say(argv, '\nstopping after the current step (Ctrl-C again to quit at once)');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.off('SIGINT', onSigint) };
}

/**
 * A progress bar with ETA on stderr; silent when stderr is not a TTY, or with
 * --quiet / --json.
 */
export function progressBar(argv: GlobalArgs): Progress {
  const enabled = !argv.quiet && !argv.json && process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let values = '';
  return {
    start(label, total) {
      if (!enabled) return;
      bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(18)} {bar} {percentage}% {value}/{total} ETA {eta_formatted} {values}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { values: '' });
    },
    update(done, v) {
      if (!bar) return;
      if (v) values = Object.entries(v).map(([k, x]) => `${k}=${typeof x === 'number' ? x.toPrecision(4) : x}`).join(' ');
      bar.update(done, { values });
    },
    stop() {
      bar?.stop();
      bar = null;
      values = '';
    },
    log(message) {
      if (argv.quiet || argv.json) return;
      if (bar) bar.stop();
      process.stderr.write(message + '\n');
    },
  };
}

/** Formats rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells.map((r, k) => {
    const line = r.map((c, i) => String(c ?? '').padEnd(w[i]!)).join('  ').trimEnd();
    return k === 0 ? `${line}\n${w.map((x) => '-'.repeat(x)).join('  ')}` : line;
  }).join('\n');
}

export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(digits);
}

/** `--prior`'s help (generate, evaluate-generator). */
export const PRIOR_HELP =
  "Latent distribution: 'fitted', each label's Gaussian fitted to the training posteriors (STEP); 'mixture', each label's mixture of up to 8 diagonal Gaussians (generators trained since it exists; docs/generator.md); 'identity' (identity-conditioned generators), the label's effect plus the identity's (docs/identity.md); 'standard', N(0, I). Default: the generator's config prior (mixture; identity with --identity-dim > 0; fitted for --preset step-paper and generators trained before the mixture)";

/** `--threads`: data-parallel threads of training and inference (default: the machine's cores). */
export function threadsOption(describe = "Threads (data-parallel workers on the wasm/cpu backends; 1 on tfjs-node). Default: this machine's cores") {
  return { type: 'number', default: availableParallelism(), describe } as const;
}

/** `--seed` (default 1): the same seed gives the same output. */
export function seedOption(describe = 'Random seed (every run is reproducible from it)') {
  return { type: 'number', default: 1, describe } as const;
}

/**
 * The options that pick gaits from a file for render and view (selectGaits'
 * ids, label, source and limit): `verb` says what the picked gaits are for.
 */
export function selectionOptions(verb: string, limitDescribe: string) {
  return {
    ids: { type: 'string', coerce: commaList, describe: `Comma-separated gait ids to ${verb}, in this order` },
    label: { type: 'string', describe: 'Only gaits with this label' },
    source: { type: 'string', choices: GAIT_SOURCES, describe: 'Only real or only synthetic gaits' },
    limit: { type: 'number', describe: limitDescribe },
  } as const satisfies CommandOptions;
}

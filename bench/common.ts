/**
 * Shared benchmark plumbing. Each bench/<section>.ts exports
 * `section: BenchSection`; `npm run bench [-- --only io,nn ...]` runs them all
 * and prints JSON lines (one per measurement) and a table per section.
 */
export interface BenchRow {
  section: string;
  name: string;
  /** The headline figure, e.g. samples/s, MB/s. */
  value: number;
  unit: string;
  [extra: string]: unknown;
}

export interface BenchArgs {
  /** Raw CLI args after `--` (e.g. --compare-torch). */
  argv: string[];
  /** Smaller sizes for a quick run (`--quick`). */
  quick: boolean;
  /** Appends a row: prints its JSON line at once. */
  report(row: BenchRow): void;
  /** Records a Markdown block of the section's results (its tables): written to the run folder with `--out DIR`. */
  markdown?(md: string): void;
}

export interface BenchSection {
  name: string;
  describe: string;
  run(args: BenchArgs): Promise<void>;
}

export function hasFlag(argv: string[], flag: string): boolean {
  return argv.includes(flag);
}

/** The value after `name` in argv (`--epochs 40` → '40'), or undefined when absent. */
export function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * The JSON object after `name` in argv (`--config '{"epochs":40}'`), or {} when absent; a value
 * that is not a JSON object is a RangeError naming the option.
 */
export function jsonOption<T extends object>(argv: string[], name: string): Partial<T> {
  const v = option(argv, name);
  if (v === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw new RangeError(`${name} must be a JSON object (got ${JSON.stringify(v)}: ${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RangeError(`${name} must be a JSON object (got ${JSON.stringify(v)})`);
  return parsed as Partial<T>;
}

/** Peak resident set size so far in this process, MB (from the kernel's high-water mark). */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Times an async function: seconds. */
export async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

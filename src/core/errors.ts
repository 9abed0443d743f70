/**
 * Typed library errors. Every failure a user can cause (bad file, bad option,
 * bad data) is a GaitforgeError with a stable `code`; the CLI prints its
 * message on one line and exits with 1 (2 for usage errors).
 */
export type ErrorCode =
  | 'E_OPTION' // an impossible or unknown option value (usage error)
  | 'E_SHAPE' // arrays whose lengths do not match the declared shape
  | 'E_VALUE' // NaN/Inf or out-of-range values inside data
  | 'E_LABEL' // a label that is not in the label set
  | 'E_FORMAT' // a file that is corrupt, truncated or has the wrong schema
  | 'E_IO' // a file that cannot be read or written
  | 'E_MODEL' // a model directory that is missing files or incompatible
  | 'E_BACKEND' // a compute backend that cannot be used
  | 'E_CONFIG'; // an invalid configuration file

export class GaitforgeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GaitforgeError';
    this.code = code;
  }
  /** Usage errors (bad options) exit with 2, everything else with 1. */
  get exitCode(): number {
    return this.code === 'E_OPTION' ? 2 : 1;
  }
}

/** An E_OPTION error (returned, for the caller to throw) naming the option, the value and what is allowed. */
export function optionError(name: string, value: unknown, allowed: string): GaitforgeError {
  return new GaitforgeError('E_OPTION', `invalid ${name}: ${JSON.stringify(value)} (expected ${allowed})`);
}

/**
 * A configuration value out of its allowed range, thrown by every
 * `resolveX(config)`. It is a RangeError (so `instanceof RangeError` still
 * holds), but its own type: the CLI reports it, like E_OPTION, as a usage
 * error (exit 2), while any other RangeError is a bug and is reported as an
 * internal error with its stack.
 */
export class ConfigRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigRangeError';
  }
}

/** True for errors that are the user's to fix by changing an option or a config value (CLI exit 2). */
export function isUsageError(e: unknown): boolean {
  return e instanceof ConfigRangeError || (e instanceof GaitforgeError && e.code === 'E_OPTION');
}

/**
 * Range check used by every `resolveX(config)`: throws a ConfigRangeError
 * naming the field, the value and the allowed range.
 */
export function checkRange(field: string, value: number, min: number, max: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigRangeError(
      `${field} = ${String(value)} is out of range: expected ${integer ? 'an integer ' : 'a number '}in [${min}, ${max}]`,
    );
  }
}

/**
 * Rejects fields of a config object that its interface does not have
 * (a misspelt field would otherwise be silently ignored): ConfigRangeError
 * naming the field and the known ones.
 */
export function checkKnownFields(config: object, known: readonly string[], prefix = ''): void {
  for (const k of Object.keys(config))
    if (!known.includes(k)) throw new ConfigRangeError(`${prefix}${k} is not a known field (known: ${known.join(', ')})`);
}

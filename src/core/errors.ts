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

/** Throws E_OPTION naming the option, the value and what is allowed. */
export function optionError(name: string, value: unknown, allowed: string): GaitforgeError {
  return new GaitforgeError('E_OPTION', `invalid ${name}: ${JSON.stringify(value)} (expected ${allowed})`);
}

/**
 * Range check used by every `resolveX(config)`: throws a RangeError naming the
 * field, the value and the allowed range.
 */
export function checkRange(field: string, value: number, min: number, max: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `${field} = ${String(value)} is out of range: expected ${integer ? 'an integer ' : 'a number '}in [${min}, ${max}]`,
    );
  }
}

/**
 * Progress reporting for long library work. The library calls a `Progress`
 * it is given (or none); the CLI supplies one that draws bars with ETA.
 */
export interface Progress {
  /** Starts a task of `total` units; `label` names it. */
  start(label: string, total: number): void;
  /** Sets the number of finished units, with optional values to show (loss terms...). */
  update(done: number, values?: Record<string, number | string>): void;
  /** Ends the current task. */
  stop(): void;
  /** Prints a line without breaking the bar. */
  log(message: string): void;
}

/** A Progress that does nothing (the default for library calls). */
export const silentProgress: Progress = { start() {}, update() {}, stop() {}, log() {} };

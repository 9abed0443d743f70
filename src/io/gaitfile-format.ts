/**
 * Gait file formats by extension: `.parquet` / `.pq` → Parquet; `.arrow` /
 * `.feather` / `.ipc` → the Arrow IPC file format; `.arrows` → the Arrow IPC
 * stream format. Pure TypeScript; never imports tfjs.
 */
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';

export type GaitFileFormat = 'parquet' | 'arrow';
export const GAIT_FILE_FORMATS: readonly GaitFileFormat[] = ['parquet', 'arrow'];

/** Gaits per Parquet row group / Arrow record batch. */
export const DEFAULT_ROW_GROUP_SIZE = 1000;

export const PARQUET_EXT = ['.parquet', '.pq'];
export const ARROW_EXT = ['.arrow', '.feather', '.ipc', '.arrows'];

/** The format a path's extension names, or null. */
export function formatOfPath(file: string): GaitFileFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (PARQUET_EXT.includes(ext)) return 'parquet';
  if (ARROW_EXT.includes(ext)) return 'arrow';
  return null;
}

export function requireFormat(file: string, format?: GaitFileFormat): GaitFileFormat {
  if (format !== undefined) {
    if (!GAIT_FILE_FORMATS.includes(format))
      throw new GaitforgeError('E_OPTION', `${file}: format ${JSON.stringify(format)} is not 'parquet' or 'arrow'`);
    return format;
  }
  const f = formatOfPath(file);
  if (!f)
    throw new GaitforgeError('E_OPTION', `${file}: unknown gait file extension ${JSON.stringify(path.extname(file))} (use ${[...PARQUET_EXT, ...ARROW_EXT].join(', ')})`);
  return f;
}

export function ioError(file: string, what: string, e: unknown): GaitforgeError {
  if (e instanceof GaitforgeError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return new GaitforgeError('E_IO', `${file}: no such file`, { cause: e });
  if (err?.code) return new GaitforgeError('E_IO', `${file}: cannot ${what}: ${err.code} ${err.message}`, { cause: e });
  return new GaitforgeError('E_FORMAT', `${file}: not a readable ${what.replace(/^read /, '')}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

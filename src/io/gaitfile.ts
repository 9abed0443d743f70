/**
 * Gait files: Parquet and Arrow IPC read (gaitfile-read.ts) and written
 * (gaitfile-write.ts, streaming and atomic) through one API, the format
 * chosen by the file extension (gaitfile-format.ts), and converted between
 * them. Pure TypeScript; never imports tfjs.
 */
import { stat } from 'node:fs/promises';
import { readGaitBatches, readGaitFileInfo } from './gaitfile-read.js';
import { openGaitWriter, type GaitWriter } from './gaitfile-write.js';
import { requireFormat, type GaitFileFormat } from './gaitfile-format.js';

export { DEFAULT_ROW_GROUP_SIZE, formatOfPath, GAIT_FILE_FORMATS, type GaitFileFormat } from './gaitfile-format.js';
export type { ReadGaitOptions } from './decode.js';
export { openGaitWriter, parquetWriterProperties, writeGaitFile, writeGaitFiles, type GaitWriter, type GaitWriterOptions, type WriteGaitFileOptions } from './gaitfile-write.js';
export { readGaitBatches, readGaitFile, readGaitFileInfo, type GaitFileInfo } from './gaitfile-read.js';

/**
 * Converts a gait file to another format (or row-group size), streaming row
 * group by row group; label names, joint names and extra metadata are kept.
 */
export async function convertGaitFile(
  input: string, output: string, options: { format?: GaitFileFormat; rowGroupSize?: number } = {},
): Promise<{ rows: number; format: GaitFileFormat; inputBytes: number; outputBytes: number }> {
  const info = await readGaitFileInfo(input);
  const format = requireFormat(output, options.format);
  let w: GaitWriter | null = null;
  const open = (labelNames: string[]) =>
    openGaitWriter(output, {
      format, T: info.T, V: info.V, fps: info.fps, skeleton: info.skeleton, labelNames, jointNames: info.jointNames ?? undefined,
      metadata: info.metadata, rowGroupSize: options.rowGroupSize,
    });
  try {
    for await (const set of readGaitBatches(input)) {
      w ??= await open(set.labelNames);
      await w.append(set);
    }
    w ??= await open(info.labelNames ?? ['unlabelled']);
  } catch (e) {
    await w?.abort();
    throw e;
  }
  await w.close();
  return { rows: w.rows, format, inputBytes: info.bytes, outputBytes: (await stat(output)).size };
}

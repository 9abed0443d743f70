/**
 * A one-pass report on a gait file (row group by row group, bounded memory):
 * counts per label, identity, source and generator, original lengths, value
 * ranges per axis and a NaN / ±Inf check. Pure TypeScript; no tfjs.
 */
import { readGaitBatches, readGaitFileInfo, type GaitFileInfo } from './gaitfile.js';

export interface GaitFileReport {
  info: GaitFileInfo;
  rows: number;
  labels: Record<string, number>;
  identities: number;
  /** Rows without an identity. */
  unknownIdentity: number;
  sources: Record<string, number>;
  generators: Record<string, number>;
  /** Original lengths (frames column) before tiling / resampling. */
  frames: { min: number; max: number } | null;
  /** Finite value ranges per axis (metres). */
  range: { x: [number, number]; y: [number, number]; z: [number, number] } | null;
  /** Number of NaN / ±Inf values, and where the first one is. */
  nonFinite: number;
  firstNonFinite: { row: number; id: string; frame: number; joint: number } | null;
}

/** Scans a gait file and summarises it (see GaitFileReport). */
export async function inspectGaitFile(file: string): Promise<GaitFileReport> {
  const info = await readGaitFileInfo(file);
  const labels: Record<string, number> = {};
  const sources: Record<string, number> = {};
  const generators: Record<string, number> = {};
  const ids = new Set<string>();
  let unknownIdentity = 0;
  let rows = 0;
  let fmin = Infinity;
  let fmax = -Infinity;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  let nonFinite = 0;
  let first: GaitFileReport['firstNonFinite'] = null;
  for await (const set of readGaitBatches(file, { allowNonFinite: true })) {
    for (const n of set.labelNames) labels[n] ??= 0;
    for (let i = 0; i < set.N; i++) {
      labels[set.labelOf(i)]!++;
      sources[set.source[i]!] = (sources[set.source[i]!] ?? 0) + 1;
      const g = set.generator[i];
      if (g != null) generators[g] = (generators[g] ?? 0) + 1;
      const id = set.identity[i];
      if (id == null) unknownIdentity++;
      else ids.add(id);
      fmin = Math.min(fmin, set.frames[i]!);
      fmax = Math.max(fmax, set.frames[i]!);
    }
    const p = set.positions;
    for (let k = 0; k < p.length; k++) {
      const v = p[k]!;
      const a = k % 3;
      if (Number.isFinite(v)) {
        if (v < lo[a]!) lo[a] = v;
        if (v > hi[a]!) hi[a] = v;
      } else {
        if (!first) {
          const row = Math.floor(k / set.stride);
          const r = k % set.stride;
          first = { row: rows + row, id: set.ids[row]!, frame: Math.floor(r / (set.V * 3)), joint: Math.floor((r % (set.V * 3)) / 3) };
        }
        nonFinite++;
      }
    }
    rows += set.N;
  }
  const any = lo[0]! <= hi[0]!;
  return {
    info, rows, labels, identities: ids.size, unknownIdentity, sources, generators,
    frames: rows ? { min: fmin, max: fmax } : null,
    range: any ? { x: [lo[0]!, hi[0]!], y: [lo[1]!, hi[1]!], z: [lo[2]!, hi[2]!] } : null,
    nonFinite, firstNonFinite: first,
  };
}

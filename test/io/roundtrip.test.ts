import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import {
  BatchBuilder, GaitTableDecoder, convertGaitFile, formatOfPath, openGaitWriter, readGaitBatches, readGaitFile, readGaitFileInfo, writeGaitFile,
} from '../../src/io/index.js';
import { bits, columns, sampleSet, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const at = (name: string) => path.join(tmp.dir, name);

describe('gait files round trip', () => {
  const set = sampleSet(23, 5, 16);
  const metadata = { experiment: 'round-trip', 'note with spaces': 'ünïcode ✓' };

  it('Arrow → Parquet → Arrow is bit-exact, columns and metadata included', async () => {
    await writeGaitFile(at('a.arrow'), set, { metadata, rowGroupSize: 10 });
    await convertGaitFile(at('a.arrow'), at('b.parquet'), { rowGroupSize: 10 });
    await convertGaitFile(at('b.parquet'), at('c.arrow'), { rowGroupSize: 10 });
    for (const f of ['a.arrow', 'b.parquet', 'c.arrow']) {
      const back = await readGaitFile(at(f));
      expect(bits(back.positions)).toEqual(bits(set.positions));
      expect(columns(back)).toEqual(columns(set));
      const info = await readGaitFileInfo(at(f));
      expect(info.metadata).toEqual(metadata);
      expect(info).toMatchObject({ rows: 23, T: 5, V: 16, fps: 25, skeleton: 'egait16', labelNames: set.labelNames, formatVersion: '1' });
      expect(info.jointNames).toHaveLength(16);
    }
    // Same gaits, same batches, same metadata: the Arrow file comes back byte for byte.
    expect(readFileSync(at('c.arrow')).equals(readFileSync(at('a.arrow')))).toBe(true);
  });

  it('Parquet uses ZSTD + byte-stream-split on positions and row groups of the requested size', async () => {
    await writeGaitFile(at('rg.parquet'), set, { rowGroupSize: 10 });
    const info = await readGaitFileInfo(at('rg.parquet'));
    expect(info.batches).toBe(3);
    expect(info.parquet?.positionsCompression).toBe('ZSTD');
    expect(info.parquet?.positionsEncodings).toContain('BYTE_STREAM_SPLIT');
    expect(info.columns.find((c) => c.name === 'positions')?.type).toBe('FixedSizeList[240]<Float32>');
  });

  it('the streaming writer takes batches of any size and keeps the label meaning when label orders differ', async () => {
    const w = await openGaitWriter(at('s.parquet'), { T: 5, V: 16, fps: 25, skeleton: 'egait16', labelNames: set.labelNames, rowGroupSize: 4 });
    await w.append(set.slice(0, 3));
    await w.append(set.slice(3, 17).withLabelNames(['sad', 'happy', 'neutral', 'angry']));
    await w.append(set.slice(17));
    expect(w.rows).toBe(23);
    await w.close();
    const back = await readGaitFile(at('s.parquet'));
    expect(bits(back.positions)).toEqual(bits(set.positions));
    expect(columns(back)).toEqual(columns(set));
    const parts: GaitSet[] = [];
    for await (const b of readGaitBatches(at('s.parquet'))) parts.push(b);
    expect(parts.map((p) => p.N)).toEqual([4, 4, 4, 4, 4, 3]);
    expect(columns(GaitSet.concat(parts))).toEqual(columns(set));
  });

  it('Arrow stream format (.arrows), empty files, and a label list given by the reader', async () => {
    await writeGaitFile(at('x.arrows'), set);
    const back = await readGaitFile(at('x.arrows'), { labelNames: ['sad', 'happy', 'neutral', 'angry', 'calm'] });
    expect(back.labelNames).toEqual(['sad', 'happy', 'neutral', 'angry', 'calm']);
    for (let i = 0; i < set.N; i++) expect(back.labelOf(i)).toBe(set.labelOf(i));
    for (const f of ['e.parquet', 'e.arrow']) {
      const w = await openGaitWriter(at(f), { T: 5, V: 16, fps: 30, skeleton: 'egait16', labelNames: ['a', 'b'] });
      await w.close();
      expect((await readGaitFileInfo(at(f))).rows).toBe(0);
      expect((await readGaitFile(at(f))).N).toBe(0);
    }
  });

  it('formats follow the extension; no temporary files remain', async () => {
    expect(formatOfPath('x.PARQUET')).toBe('parquet');
    expect(formatOfPath('x.feather')).toBe('arrow');
    expect(formatOfPath('x.csv')).toBeNull();
    await writeGaitFile(at('forced.bin'), set.slice(0, 2), { format: 'parquet' });
    expect(readFileSync(at('forced.bin')).subarray(0, 4).toString()).toBe('PAR1');
    expect(tmp.files().filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the decoder gathers rows whether the row count is known, unknown or understated', () => {
    const b = new BatchBuilder({ T: 5, V: 16, fps: 25, skeleton: 'egait16', labelNames: set.labelNames });
    const batches = [b.batch(set, 0, 4), b.batch(set, 4, 11), b.batch(set, 11, 23)];
    for (const expected of [23, 0, 6]) {
      const d = new GaitTableDecoder(b.schema, 'mem', {}, expected);
      for (const x of batches) d.add(x);
      const back = d.finish();
      expect(bits(back.positions)).toEqual(bits(set.positions));
      expect(back.ids).toEqual(set.ids);
    }
  });
});

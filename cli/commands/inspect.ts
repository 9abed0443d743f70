import { defineCommand, emit, fmt, globalOptions, table } from '../util.js';

export const inspect = defineCommand({
  command: 'inspect <file>',
  describe: 'Describe a gait file: rows, labels, identities, sources, shape, fps, value ranges, NaN check',
  builder: (y) => globalOptions(y).positional('file', { type: 'string', demandOption: true, describe: 'A .parquet / .arrow gait file' }),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const r = await lib.inspectGaitFile(argv.file);
    const i = r.info;
    const range = r.range ? (['x', 'y', 'z'] as const).map((a) => `${a} [${fmt(r.range![a][0])}, ${fmt(r.range![a][1])}]`).join('  ') : '(no values)';
    emit(argv, r, [
      `${i.path}: ${i.format}, ${i.bytes} bytes, ${r.rows} gaits in ${i.batches} ${i.format === 'parquet' ? 'row groups' : 'record batches'}`,
      `shape [T=${i.T}, V=${i.V}, 3], ${i.fps} fps, skeleton ${i.skeleton}, written by gaitforge ${i.gaitforgeVersion ?? '(unknown)'}`,
      ...(i.parquet ? [`positions: ${i.parquet.positionsCompression}, ${i.parquet.positionsEncodings.join('+')}`] : []),
      `identities: ${r.identities}${r.unknownIdentity ? ` (+${r.unknownIdentity} gaits without one)` : ''}`,
      `sources: ${Object.entries(r.sources).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
      `generators: ${Object.entries(r.generators).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
      `original lengths: ${r.frames ? `${r.frames.min}..${r.frames.max} frames` : '-'}`,
      `value ranges (m): ${range}`,
      r.nonFinite
        ? `NaN/Inf: ${r.nonFinite} values, first at row ${r.firstNonFinite!.row} (${r.firstNonFinite!.id}), frame ${r.firstNonFinite!.frame}, joint ${r.firstNonFinite!.joint}`
        : 'NaN/Inf: none',
      ...(Object.keys(i.metadata).length ? [`metadata: ${Object.entries(i.metadata).map(([k, v]) => `${k}=${v}`).join(', ')}`] : []),
      '',
      table(['label', 'gaits'], Object.entries(r.labels).map(([k, v]) => [k, v])),
    ]);
  },
});

import { GaitforgeError } from '../../src/core/errors.js';
import { defineCommand, emit, globalOptions, progressBar, say, selectionOptions, type CommandOptions } from '../util.js';

const FORMATS = ['glb', 'svg', 'png'] as const;
type Format = (typeof FORMATS)[number];
/** Filmstrips of a whole file would be very tall: without --ids/--limit they show this many gaits. */
const FILMSTRIP_DEFAULT_LIMIT = 16;

function formatOf(out: string, given: string | undefined): Format {
  const ext = /\.([a-z0-9]+)$/i.exec(out)?.[1]?.toLowerCase();
  const fromExt = FORMATS.find((f) => f === ext);
  if (given !== undefined) {
    const format = FORMATS.find((f) => f === given);
    if (format === undefined) throw new GaitforgeError('E_OPTION', `invalid --format: ${JSON.stringify(given)} (expected glb, svg or png)`);
    if (fromExt && fromExt !== format) throw new GaitforgeError('E_OPTION', `--format ${given} but --out ${out} ends in .${fromExt}`);
    return format;
  }
  return fromExt ?? 'glb';
}

const OPTIONS = {
  in: { type: 'string', demandOption: true, describe: 'Gait file (.parquet or .arrow)' },
  out: { type: 'string', demandOption: true, describe: 'Output: a .glb file (one gait or --grid), a folder (one .glb per gait), or a .svg/.png filmstrip' },
  ...selectionOptions('render', `At most this many gaits (default: all for GLB, ${FILMSTRIP_DEFAULT_LIMIT} for filmstrips)`),
  grid: { type: 'boolean', default: false, describe: 'GLB: one scene with all selected gaits on a grid' },
  format: { type: 'string', describe: 'glb, svg or png (default: from the --out extension, else glb)' },
  ground: { type: 'boolean', default: true, describe: 'GLB: add a ground plane (--no-ground to leave it out)' },
  frames: { type: 'number', default: 8, describe: 'Filmstrip: poses per view over one gait cycle' },
  scale: { type: 'number', default: 2, describe: 'PNG: output pixels per SVG pixel' },
  validate: { type: 'boolean', default: false, describe: 'GLB: check every file with the Khronos glTF validator' },
} as const satisfies CommandOptions;

export const render = defineCommand({
  command: 'render',
  describe: 'Render gaits to animated GLB files (one per gait, or one scene with --grid) or to an SVG/PNG filmstrip',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const format = formatOf(argv.out, argv.format);
    const io = await import('../../src/io/index.js');
    const r = await import('../../src/render/index.js');
    const t0 = performance.now();
    const all = await io.readGaitFile(argv.in);
    const limit = argv.limit ?? (format !== 'glb' && !argv.ids?.length ? FILMSTRIP_DEFAULT_LIMIT : undefined);
    const set = r.selectGaits(all, { ids: argv.ids, label: argv.label, source: argv.source, limit }, argv.in);
    if (format === 'glb') {
      const bar = progressBar(argv);
      const perGait = !argv.grid && !(set.N === 1 && argv.out.toLowerCase().endsWith('.glb'));
      if (perGait) bar.start('render GLB', set.N);
      const files = await r.writeGlb(argv.out, set, { grid: argv.grid, ground: argv.ground, onProgress: (d) => bar.update(d) });
      bar.stop();
      let validation: { file: string; errors: number; warnings: number }[] | undefined;
      if (argv.validate) {
        const { readFileSync } = await import('node:fs');
        validation = [];
        for (const f of files) {
          const v = await r.validateGlb(readFileSync(f));
          validation.push({ file: f, errors: v.errors, warnings: v.warnings });
          if (v.errors > 0) throw new GaitforgeError('E_FORMAT', `${f}: the glTF validator reports ${v.errors} errors (first: ${v.messages[0]?.code} ${v.messages[0]?.message})`);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      say(argv, `rendered ${set.N} gait${set.N > 1 ? 's' : ''} in ${seconds.toFixed(1)} s`);
      emit(argv, { format, gaits: set.N, files, seconds, ...(validation ? { validation } : {}) }, [
        files.length === 1 ? `wrote ${files[0]} (${set.N} gait${set.N > 1 ? 's' : ''})` : `wrote ${files.length} GLB files to ${argv.out}`,
        ...(validation ? [`glTF validator: ${validation.reduce((a, v) => a + v.errors, 0)} errors, ${validation.reduce((a, v) => a + v.warnings, 0)} warnings in ${validation.length} files`] : []),
      ]);
    } else {
      await r.writeFilmstrip(argv.out, set, { format, frames: argv.frames, scale: argv.scale });
      const seconds = (performance.now() - t0) / 1000;
      emit(argv, { format, gaits: set.N, files: [argv.out], seconds }, `wrote ${argv.out} (${format} filmstrip, ${set.N} gait${set.N > 1 ? 's' : ''})`);
    }
  },
});

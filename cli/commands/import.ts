import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, say, table, type GlobalArgs } from '../util.js';
import { GaitforgeError } from '../../src/core/errors.js';

interface PreArgs extends GlobalArgs {
  out: string;
  frames: number;
  fps: number;
  centre: string;
  view: string;
  scale: string;
  height: number;
  'procrustes-rotation': string;
  'procrustes-frame': string;
  'procrustes-scale': boolean;
  sides: string;
  'label-names'?: string;
  metadata?: string[];
}

interface EgaitArgs extends PreArgs {
  features: string;
  labels?: string;
  'labels-from': string;
  'label-map'?: string;
  'key-label-pattern'?: string;
  'identity-pattern'?: string;
  'length-mode': string;
  source: string;
  'synthetic-pattern'?: string;
  generator?: string;
}

interface BvhArgs extends PreArgs {
  files: string[];
  map: string;
  units: string;
  'up-axis': string;
  stride?: number;
  'short-clips': string;
  label?: string;
  'label-pattern'?: string;
  sidecar?: string;
  'identity-pattern'?: string;
}

/** Output and preprocessing options shared by both importers. */
function common<T>(y: Argv<T>, defaults: { centre: string; view: string }) {
  return globalOptions(y)
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'Output gait file (.parquet or .arrow)' })
    .option('frames', { type: 'number', default: 75, describe: 'Frames per gait (T)' })
    .option('fps', { type: 'number', default: 30, describe: 'Frame rate of the output' })
    .option('label-names', { type: 'string', describe: "Comma-separated label names of the output, in index order (default: the labels found, STEP's four emotions first, then sorted)" })
    .option('centre', { type: 'string', default: defaults.centre, choices: ['none', 'first-frame', 'first-frame-xz', 'per-frame'], describe: 'Root-centring' })
    .option('view', { type: 'string', default: defaults.view, choices: ['none', 'canonical', 'procrustes'], describe: 'View normalisation (canonical: walk along +Z; procrustes: Umeyama alignment to a rest pose, as STEP)' })
    .option('procrustes-rotation', { type: 'string', default: 'rotation', choices: ['rotation', 'yaw'], describe: 'Procrustes: full rotation or about the vertical only' })
    .option('procrustes-frame', { type: 'string', default: 'first', choices: ['first', 'mean'], describe: 'Procrustes: align the first frame or the mean pose' })
    .option('procrustes-scale', { type: 'boolean', default: false, describe: 'Procrustes: also fit a scale' })
    .option('scale', { type: 'string', default: 'none', choices: ['none', 'height'], describe: 'Scale normalisation' })
    .option('height', { type: 'number', default: 1.6, describe: 'Skeleton height for --scale height (m)' })
    .option('sides', { type: 'string', default: 'a-is-left', choices: ['a-is-left', 'a-is-right'], describe: 'Which E-Gait joints are the left arm/leg' })
    .option('metadata', { type: 'string', array: true, describe: 'Extra key=value metadata for the file' });
}

function parseMetadata(items: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items ?? []) {
    const i = it.indexOf('=');
    if (i <= 0) throw new GaitforgeError('E_OPTION', `--metadata ${JSON.stringify(it)} is not key=value`);
    out[it.slice(0, i)] = it.slice(i + 1);
  }
  return out;
}

async function finish(argv: PreArgs, raw: import('../lib.js').GaitSet, what: string, notes: string[] = []) {
  const lib = await import('../lib.js');
  const set = lib.preprocess(raw, {
    centre: argv.centre as never, view: argv.view as never, scale: argv.scale as never, height: argv.height, sides: argv.sides as never,
    procrustesRotation: argv['procrustes-rotation'] as never, procrustesFrame: argv['procrustes-frame'] as never, procrustesScale: argv['procrustes-scale'],
  });
  await lib.writeGaitFile(argv.out, set, { metadata: { imported_from: what, ...parseMetadata(argv.metadata) } });
  const counts = set.countsByLabel();
  const labelNamesFrom = argv['label-names'] === undefined ? 'found' : 'given';
  const synthetic = set.source.filter((s) => s === 'synthetic').length;
  emit(argv, { out: argv.out, gaits: set.N, T: set.T, V: set.V, fps: set.fps, labelNames: set.labelNames, labelNamesFrom, labels: counts, real: set.N - synthetic, synthetic, notes }, [
    ...notes,
    `wrote ${set.N} gaits [T=${set.T}, V=${set.V}, ${set.fps} fps] to ${argv.out}`,
    labelNamesFrom === 'found'
      ? `label names (found in the files; STEP's emotions first, then sorted; fix them with --label-names): ${set.labelNames.join(', ')}`
      : `label names (--label-names): ${set.labelNames.join(', ')}`,
    table(['label', 'gaits'], Object.entries(counts).map(([k, v]) => [k, v])),
  ]);
}

const egait: CommandModule<object, EgaitArgs> = {
  command: 'egait',
  describe: 'Import E-Gait / STEP HDF5 files (features.h5 + labels.h5, matched by key)',
  builder: (y) =>
    common(y, { centre: 'none', view: 'none' })
      .option('features', { type: 'string', demandOption: true, describe: 'features.h5: one T×48 dataset per gait' })
      .option('labels', { type: 'string', describe: 'labels.h5: one integer per key' })
      .option('labels-from', { type: 'string', default: 'h5', choices: ['h5', 'key'], describe: 'Take labels from labels.h5 or from the key names' })
      .option('label-map', { type: 'string', describe: 'Label values → names, e.g. "0=angry,1=neutral,2=happy,3=sad" (default: STEP\'s, which other E-Gait files contradict)' })
      .option('key-label-pattern', { type: 'string', describe: 'With --labels-from key: regex whose first group is the label' })
      .option('identity-pattern', { type: 'string', describe: 'Regex whose first group is the identity in a key' })
      .option('length-mode', { type: 'string', default: 'tile', choices: ['tile', 'resample'], describe: 'Clips of another length: cyclic tiling (STEP) or resampling' })
      .option('source', { type: 'string', default: 'real', choices: ['real', 'synthetic'], describe: 'Source column value of the keys --synthetic-pattern does not match' })
      .option('synthetic-pattern', { type: 'string', describe: 'Regex on the key: matching keys are marked synthetic (E-Gait ships real and generated gaits together)' })
      .option('generator', { type: 'string', describe: 'Generator column value (for generated gaits)' }) as never,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    say(argv, `reading ${argv.features}`);
    const set = await lib.importEgait({
      features: argv.features, labels: argv.labels, labelsFrom: argv['labels-from'] as never,
      labelMap: argv['label-map'] ? lib.parseLabelMap(argv['label-map']) : undefined, keyLabelPattern: argv['key-label-pattern'],
      identityPattern: argv['identity-pattern'], labelNames: argv['label-names']?.split(',').map((s) => s.trim()),
      frames: argv.frames, lengthMode: argv['length-mode'] as never, fps: argv.fps, source: argv.source as never, syntheticPattern: argv['synthetic-pattern'], generator: argv.generator ?? null,
    });
    const syn = set.source.filter((s) => s === 'synthetic').length;
    const notes = [
      argv['synthetic-pattern']
        ? `source: ${syn} key(s) matching ${argv['synthetic-pattern']} marked synthetic, the other ${set.N - syn} assumed ${argv.source}`
        : `source: assumed ${argv.source} for all ${set.N} keys (the file does not say; mark generated gaits with --synthetic-pattern or --source synthetic)`,
    ];
    await finish(argv, set, `egait:${argv.features}`, notes);
  },
};

const bvh: CommandModule<object, BvhArgs> = {
  command: 'bvh <files..>',
  describe: 'Import BVH motion capture (forward kinematics, joint mapping, T-frame windows)',
  builder: (y) =>
    common(y, { centre: 'first-frame-xz', view: 'canonical' })
      .positional('files', { type: 'string', array: true, describe: 'BVH files' })
      .option('map', { type: 'string', default: 'auto', describe: 'Joint mapping: auto, cmu, mixamo, side-suffix, or a JSON file {"root": "Hips", ...}' })
      .option('units', { type: 'string', default: 'cm', describe: 'Length unit of the files: m, cm, mm, in, or a scale factor' })
      .option('up-axis', { type: 'string', default: 'y', choices: ['y', 'z'], describe: 'Up axis of the files' })
      .option('stride', { type: 'number', describe: 'Frames between window starts (default: --frames)' })
      .option('short-clips', { type: 'string', default: 'tile', choices: ['tile', 'resample', 'skip'], describe: 'Clips shorter than --frames' })
      .option('label', { type: 'string', describe: 'One label for every file' })
      .option('label-pattern', { type: 'string', describe: 'Regex on the file name whose first group is the label' })
      .option('sidecar', { type: 'string', describe: 'JSON file: {"<file name>": "<label>" | {"label": ..., "identity": ...}}' })
      .option('identity-pattern', { type: 'string', describe: 'Regex on the file name whose first group is the identity' }) as never,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const mapping = /\.json$/i.test(argv.map) ? await lib.readJointMapping(argv.map) : argv.map;
    const units = Number.isFinite(Number(argv.units)) ? Number(argv.units) : argv.units;
    const set = await lib.importBvh(argv.files, {
      mapping, units: units as never, upAxis: argv['up-axis'] as never, frames: argv.frames, stride: argv.stride, fps: argv.fps,
      shortClips: argv['short-clips'] as never, label: argv.label, labelPattern: argv['label-pattern'], sidecar: argv.sidecar,
      identityPattern: argv['identity-pattern'], labelNames: argv['label-names']?.split(',').map((s) => s.trim()), sides: argv.sides as never,
    });
    await finish(argv, set, `bvh:${argv.files.length} file(s)`);
  },
};

export const importCommand: CommandModule<object, GlobalArgs> = {
  command: 'import <kind>',
  describe: 'Import real gait data (E-Gait HDF5 or BVH) into a gait file',
  builder: (y) => y.command(egait as never).command(bvh as never).demandCommand(1, 'Name a kind: egait or bvh') as never,
  handler: () => undefined,
};

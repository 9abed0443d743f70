import type { Argv } from 'yargs';
import { configFrom, defineCommand, emit, globalOptions, say, table, type CommandOptions, type GlobalArgs } from '../util.js';
import { GaitforgeError } from '../../src/core/errors.js';
import { GAIT_SOURCES } from '../../src/core/gaitset.js';
import { SIDE_CONVENTIONS } from '../../src/core/skeleton.js';
import type { BvhImportConfig } from '../../src/io/bvh.js';
import type { EgaitImportConfig } from '../../src/io/egait.js';
import {
  CENTRE_MODES, PROCRUSTES_FRAMES, PROCRUSTES_ROTATIONS, SCALE_MODES, VIEW_MODES, type CentreMode, type PreprocessConfig, type ViewMode,
} from '../../src/io/preprocess.js';

/** The output options of both importers; frames and fps are fields of both importers' configs. */
const OUTPUT_OPTIONS = {
  out: { alias: 'o', type: 'string', demandOption: true, describe: 'Output gait file (.parquet or .arrow)' },
  frames: { field: 'frames', type: 'number', default: 75, describe: 'Frames per gait (T)' },
  fps: { field: 'fps', type: 'number', default: 30, describe: 'Frame rate of the output' },
  'label-names': { type: 'string', describe: "Comma-separated label names of the output, in index order (default: the labels found, STEP's four emotions first, then sorted)" },
} as const satisfies CommandOptions<EgaitImportConfig & BvhImportConfig>;

/** The preprocessing options (PreprocessConfig fields) of both importers, with each importer's centring and view defaults. */
function preprocessOptions(defaults: { centre: CentreMode; view: ViewMode }) {
  return {
    centre: { field: 'centre', type: 'string', default: defaults.centre, choices: CENTRE_MODES, describe: 'Root-centring' },
    view: { field: 'view', type: 'string', default: defaults.view, choices: VIEW_MODES, describe: 'View normalisation (canonical: walk along +Z; procrustes: Umeyama alignment to a rest pose, as STEP)' },
    'procrustes-rotation': { field: 'procrustesRotation', type: 'string', default: 'rotation', choices: PROCRUSTES_ROTATIONS, describe: 'Procrustes: full rotation or about the vertical only' },
    'procrustes-frame': { field: 'procrustesFrame', type: 'string', default: 'first', choices: PROCRUSTES_FRAMES, describe: 'Procrustes: align the first frame or the mean pose' },
    'procrustes-scale': { field: 'procrustesScale', type: 'boolean', default: false, describe: 'Procrustes: also fit a scale' },
    scale: { field: 'scale', type: 'string', default: 'none', choices: SCALE_MODES, describe: 'Scale normalisation' },
    height: { field: 'height', type: 'number', default: 1.6, describe: 'Skeleton height for --scale height (m)' },
    sides: { field: 'sides', type: 'string', default: 'a-is-left', choices: SIDE_CONVENTIONS, describe: 'Which E-Gait joints are the left arm/leg' },
  } as const satisfies CommandOptions<PreprocessConfig>;
}
const EGAIT_PREPROCESS = preprocessOptions({ centre: 'none', view: 'none' });
const BVH_PREPROCESS = preprocessOptions({ centre: 'first-frame-xz', view: 'canonical' });

/** Output and preprocessing options shared by both importers. */
function common<T>(y: Argv<T>, preprocess: typeof EGAIT_PREPROCESS) {
  return globalOptions(y)
    .options(OUTPUT_OPTIONS)
    .options(preprocess)
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

/** `--label-names` as a list (empty names left in: the importer names them). */
const labelNames = (s: string | undefined) => s?.split(',').map((x) => x.trim());

/** Preprocesses the imported gaits, writes them and prints what was written. */
async function finish(
  argv: GlobalArgs & { out: string; 'label-names'?: string; metadata?: string[] },
  raw: import('../lib.js').GaitSet, preprocess: PreprocessConfig, what: string, notes: string[] = [],
) {
  const lib = await import('../lib.js');
  const set = lib.preprocess(raw, preprocess);
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

const EGAIT_OPTIONS = {
  features: { field: 'features', type: 'string', demandOption: true, describe: 'features.h5: one T×48 dataset per gait' },
  labels: { field: 'labels', type: 'string', describe: 'labels.h5: one integer per key' },
  'labels-from': { field: 'labelsFrom', type: 'string', default: 'h5', choices: ['h5', 'key'], describe: 'Take labels from labels.h5 or from the key names' },
  'label-map': { type: 'string', describe: 'Label values → names, e.g. "0=angry,1=neutral,2=happy,3=sad" (default: STEP\'s, which other E-Gait files contradict)' },
  'key-label-pattern': { field: 'keyLabelPattern', type: 'string', describe: 'With --labels-from key: regex whose first group is the label' },
  'identity-pattern': { field: 'identityPattern', type: 'string', describe: 'Regex whose first group is the identity in a key' },
  'length-mode': { field: 'lengthMode', type: 'string', default: 'tile', choices: ['tile', 'resample'], describe: 'Clips of another length: cyclic tiling (STEP) or resampling' },
  source: { field: 'source', type: 'string', default: 'real', choices: GAIT_SOURCES, describe: 'Source column value of the keys --synthetic-pattern does not match' },
  'synthetic-pattern': { field: 'syntheticPattern', type: 'string', describe: 'Regex on the key: matching keys are marked synthetic (E-Gait ships real and generated gaits together)' },
  generator: { field: 'generator', type: 'string', describe: 'Generator column value (for generated gaits)' },
} as const satisfies CommandOptions<EgaitImportConfig>;

const egait = defineCommand({
  command: 'egait',
  describe: 'Import E-Gait / STEP HDF5 files (features.h5 + labels.h5, matched by key)',
  builder: (y) => common(y, EGAIT_PREPROCESS).options(EGAIT_OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    say(argv, `reading ${argv.features}`);
    const set = await lib.importEgait({
      ...configFrom(OUTPUT_OPTIONS, argv), ...configFrom(EGAIT_OPTIONS, argv),
      labelMap: argv['label-map'] ? lib.parseLabelMap(argv['label-map']) : undefined, labelNames: labelNames(argv['label-names']),
    });
    const syn = set.source.filter((s) => s === 'synthetic').length;
    const notes = [
      argv['synthetic-pattern']
        ? `source: ${syn} key(s) matching ${argv['synthetic-pattern']} marked synthetic, the other ${set.N - syn} assumed ${argv.source}`
        : `source: assumed ${argv.source} for all ${set.N} keys (the file does not say; mark generated gaits with --synthetic-pattern or --source synthetic)`,
    ];
    await finish(argv, set, configFrom(EGAIT_PREPROCESS, argv), `egait:${argv.features}`, notes);
  },
});

const BVH_OPTIONS = {
  map: { type: 'string', default: 'auto', describe: 'Joint mapping: auto, cmu, mixamo, side-suffix, or a JSON file {"root": "Hips", ...}' },
  units: { type: 'string', default: 'cm', describe: 'Length unit of the files: m, cm, mm, in, or a scale factor' },
  'up-axis': { field: 'upAxis', type: 'string', default: 'y', choices: ['y', 'z'], describe: 'Up axis of the files' },
  stride: { field: 'stride', type: 'number', describe: 'Frames between window starts (default: --frames)' },
  'short-clips': { field: 'shortClips', type: 'string', default: 'tile', choices: ['tile', 'resample', 'skip'], describe: 'Clips shorter than --frames' },
  label: { field: 'label', type: 'string', describe: 'One label for every file' },
  'label-pattern': { field: 'labelPattern', type: 'string', describe: 'Regex on the file name whose first group is the label' },
  sidecar: { field: 'sidecar', type: 'string', describe: 'JSON file: {"<file name>": "<label>" | {"label": ..., "identity": ...}}' },
  'identity-pattern': { field: 'identityPattern', type: 'string', describe: 'Regex on the file name whose first group is the identity' },
} as const satisfies CommandOptions<BvhImportConfig>;

const bvh = defineCommand({
  command: 'bvh <files..>',
  describe: 'Import BVH motion capture (forward kinematics, joint mapping, T-frame windows)',
  builder: (y) =>
    common(y, BVH_PREPROCESS)
      .positional('files', { type: 'string', array: true, describe: 'BVH files' })
      .options(BVH_OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    const mapping = /\.json$/i.test(argv.map) ? await lib.readJointMapping(argv.map) : argv.map;
    const files = argv.files ?? [];
    const set = await lib.importBvh(files, {
      ...configFrom(OUTPUT_OPTIONS, argv), ...configFrom(BVH_OPTIONS, argv),
      mapping, units: lib.parseBvhUnits(argv.units), labelNames: labelNames(argv['label-names']), sides: argv.sides,
    });
    await finish(argv, set, configFrom(BVH_PREPROCESS, argv), `bvh:${files.length} file(s)`);
  },
});

export const importCommand = defineCommand({
  command: 'import <kind>',
  describe: 'Import real gait data (E-Gait HDF5 or BVH) into a gait file',
  builder: (y) => y.command(egait).command(bvh).demandCommand(1, 'Name a kind: egait or bvh'),
  handler: () => undefined,
});

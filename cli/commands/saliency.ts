import path from 'node:path';
import { commaList, defineCommand, emit, globalOptions, say, type CommandOptions } from '../util.js';

const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Classifier directory written by train-classifier' },
  data: { type: 'string', demandOption: true, describe: 'Gait file holding the gaits (.parquet or .arrow)' },
  ids: { type: 'string', demandOption: true, describe: 'Comma-separated gait ids' },
  out: { type: 'string', demandOption: true, describe: 'Output folder for saliency.json and saliency.svg' },
  target: { type: 'string', default: 'predicted', choices: ['predicted', 'label'], describe: "Differentiate the predicted class's probability or the gait's own label's" },
} as const satisfies CommandOptions;

export const saliencyCommand = defineCommand({
  command: 'saliency',
  describe: "Per-joint, per-frame gradient magnitudes of a classifier's decision for chosen gaits (saliency.json + saliency.svg heat map)",
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const ids = commaList(argv.ids);
    if (ids.length === 0) throw new lib.GaitforgeError('E_OPTION', 'invalid --ids: "" (expected comma-separated gait ids)');
    const clf = await lib.loadClassifier(argv.model);
    try {
      const set = await lib.readGaitFile(argv.data);
      const r = lib.saliency(clf, set, ids, { target: argv.target });
      const json = path.join(argv.out, 'saliency.json');
      const svg = path.join(argv.out, 'saliency.svg');
      lib.writeFilesAtomic([{ path: json, data: JSON.stringify(r) }, { path: svg, data: lib.saliencySvg(r) }]);
      say(argv, `wrote ${json} and ${svg}`);
      emit(argv, { json, svg, gaits: r.gaits.map((g) => ({ id: g.id, label: g.label, predicted: g.predicted, target: g.target, probability: g.probability, perJoint: g.perJoint })) },
        r.gaits.map((g) => {
          const top = g.perJoint.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, j]) => r.jointNames[j]);
          return `${g.id}: label ${g.label ?? '?'}, predicted ${g.predicted} (p(${g.target}) = ${(100 * g.probability).toFixed(1)}%); most salient joints: ${top.join(', ')}`;
        }).concat([`wrote ${json} and ${svg}`]));
    } finally {
      clf.dispose();
    }
  },
});

import { defineCommand, emit, globalOptions, type CommandOptions } from '../util.js';

const OPTIONS = {
  model: { type: 'string', demandOption: true, describe: 'Directory written by train-identity (gaittake or at-gcn)' },
  data: { type: 'string', demandOption: true, describe: 'Gaits of identities not seen in training (.parquet or .arrow)' },
  'gallery-condition': { type: 'string', default: 'neutral', describe: 'Condition (label) forming the gallery; every other label is a probe condition' },
} as const satisfies CommandOptions;

export const evaluateIdentityCommand = defineCommand({
  command: 'evaluate-identity',
  describe: 'Cross-condition identification (gallery: neutral walks, probes: other emotions) of an identity model on unseen identities, with bone-length and affective-feature baselines',
  builder: (y) => globalOptions(y).options(OPTIONS),
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend);
    const model = await lib.loadIdentityModel(argv.model);
    try {
      const set = await lib.readGaitFile(argv.data);
      const ev = lib.evaluateIdentity(model, set, { galleryCondition: argv['gallery-condition'] });
      emit(argv, ev, [`${argv.data} with ${argv.model} (${model.kind}, checkpoint ${model.checkpointHash})`, '', lib.identityMarkdown(ev)]);
    } finally {
      model.dispose();
    }
  },
});

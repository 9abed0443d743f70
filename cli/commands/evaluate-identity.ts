import type { Argv, CommandModule } from 'yargs';
import { emit, globalOptions, type GlobalArgs } from '../util.js';

interface Args extends GlobalArgs {
  model: string;
  data: string;
  'gallery-condition': string;
}

export const evaluateIdentityCommand: CommandModule<object, Args> = {
  command: 'evaluate-identity',
  describe: 'Cross-condition identification (gallery: neutral walks, probes: other emotions) of an identity model on unseen identities, with bone-length and affective-feature baselines',
  builder: (y) =>
    globalOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'Directory written by train-identity (gaittake or at-gcn)' })
      .option('data', { type: 'string', demandOption: true, describe: 'Gaits of identities not seen in training (.parquet or .arrow)' })
      .option('gallery-condition', { type: 'string', default: 'neutral', describe: 'Condition (label) forming the gallery; every other label is a probe condition' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const lib = await import('../lib.js');
    await lib.initBackend(argv.backend as never);
    const model = await lib.loadIdentityModel(argv.model);
    try {
      const set = await lib.readGaitFile(argv.data);
      const ev = lib.evaluateIdentity(model, set, { galleryCondition: argv['gallery-condition'] });
      emit(argv, ev, [`${argv.data} with ${argv.model} (${model.kind}, checkpoint ${model.checkpointHash})`, '', lib.identityMarkdown(ev)]);
    } finally {
      model.dispose();
    }
  },
};

/**
 * The model card of a generator: a short README.md in its folder, written
 * when training ends (`gaitforge train-generator` and the ablation's
 * generators): the data it trained on, its config and preset, the epochs
 * and the selected one, the generator metrics against real validation
 * gaits (each beside the real value, FID beside its floor) and a
 * filmstrip of one sample per label (samples.svg). The metrics run on the
 * validation split the training already held out, with few draws, to keep
 * the card cheap; without validation gaits the card says so.
 */
import path from 'node:path';
import type { Classifier } from '../classifier/model.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { sharedGroups, type GaitSet } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { deriveSeed } from '../core/rng.js';
import {
  generatorFamily, loadGenerator, readGeneratorFamilyManifest, resolveGeneratorFamily, summedKlWeight, trainGeneratorFamily,
  type GeneratorFamilyConfig, type ResolvedGeneratorConfig, type TrainFamilyResult, type TrainFlowResult, type TrainGeneratorOptions, type TrainGeneratorResult,
} from '../generator/index.js';
import { filmstripSvg } from '../render/index.js';
import { evaluateGenerator, type GeneratorEvaluation } from './evaluate-generator.js';
import { evaluationRows } from './evaluation-table.js';
import { checkEvaluatorFits, chooseEvaluator, crossFitEvaluators, type CrossFitEvaluators, type EvaluatorChoice, type EvaluatorFold } from './evaluator.js';

/** Draws of the card's metrics by default (few: the card is written at the end of every training). */
export const MODEL_CARD_REPEATS = 3;
export const MODEL_CARD_FILE = 'README.md';
export const MODEL_CARD_STRIP = 'samples.svg';

/** What a card needs of a training of any family: the folder, the gaits it trained on and was selected on, the selected epoch and its losses. */
export interface CardTraining {
  dir: string;
  trainPart: GaitSet;
  valPart: GaitSet | null;
  /** 1-based epoch of the saved model (0 for a generator fitted in closed form). */
  bestEpoch: number;
  /** Whether every epoch ran. */
  completed: boolean;
  /** The selected epoch's total validation (else training) loss, or null without epochs. */
  bestLoss: { total: number; on: 'validation' | 'training' } | null;
}

export interface ModelCardOptions {
  /** Names the training data (its file). */
  dataName: string;
  /** The training (its trainPart and valPart are the data the card describes and scores on). */
  result: CardTraining;
  /** Seed of the card's draws and samples. */
  seed: number;
  /** The evaluator space and the recognition ratio (evaluateGenerator's `evaluator`); null/absent: the affective space only. */
  evaluator?: Classifier | EvaluatorFold[] | null;
  /** Says which evaluator that is (e.g. "two Baseline-STEPs cross-fitted on the validation gaits"). */
  evaluatorDescription?: string;
  /** Why there is no evaluator (printed when `evaluator` is absent). */
  noEvaluatorReason?: string;
  /** Draws of the metrics. Default MODEL_CARD_REPEATS. */
  repeats?: number;
  threads?: number;
}

export interface ModelCard {
  /** Path of README.md. */
  path: string;
  /** The metrics on the validation gaits, or null (with `skipped` saying why). */
  evaluation: GeneratorEvaluation | null;
  skipped: string | null;
}

/** Why a validation set cannot carry the card's metrics (each label needs 4 gaits), or null when it can. */
function cannotEvaluate(val: GaitSet | null): string | null {
  if (!val || val.N === 0) return 'the training held out no validation gaits (valFraction 0 and no --val)';
  const few = Object.entries(val.countsByLabel()).filter(([, c]) => c > 0 && c < 4);
  if (few.length) return `the validation split has fewer than 4 gaits of ${few.map(([l, c]) => `${l} (${c})`).join(', ')}, and each label needs 4 (2 in each half of a draw)`;
  return null;
}

/** The card's training lines of a family: what it is, its main settings and its epochs. */
function trainingLines(m: ReturnType<typeof readGeneratorFamilyManifest>): string[] {
  const c = m.config;
  const epochs = `- epochs: ${m.epochsDone} of ${'epochs' in c ? c.epochs : '—'}${m.completed ? '' : ' (stopped early)'}`;
  if (c.variant === 'flow' && 'componentScale' in c)
    return [
      `- variant: flow (rectified flow over the training gaits' principal components, ${c.componentScale} scale, a ${c.depth}-block MLP of width ${c.width}; label dropout ${c.labelDropout} for classifier-free guidance)`,
      `- sampling: ${c.steps} ${c.sampler} steps on a ${c.timeGrid} time grid, guidance ${c.guidance}`,
      epochs,
    ];
  if (c.variant === 'pca-gaussian' && 'shrinkage' in c)
    return [`- variant: pca-gaussian (a Gaussian per label over the training gaits' principal components, explaining ${c.explainedVariance} of their variance, at most ${c.maxComponents}; shrinkage ${c.shrinkage}), fitted in closed form`];
  const g = c as ResolvedGeneratorConfig;
  return [
    `- preset: ${g.preset}, variant: ${g.variant}; the label ${g.decoderCondition === 'every-layer' ? 'before every decoder layer' : "at the decoder's input"}; samples from the ${g.prior} prior`,
    `- KL weight β = ${g.beta} on mean-normalised terms: ${summedKlWeight(g, m.T, m.V).toPrecision(3)} on the summed scale of VAE papers (β · T·V·3 / latentDim = β · ${m.T * m.V * 3} / ${g.latentDim})`,
    epochs,
  ];
}

/** "3 walkers" / "5 recordings" that two sets share (walkers first), or null when none. */
function sharedText(a: GaitSet, b: GaitSet): string | null {
  const s = sharedGroups(a, b);
  for (const [values, what] of [[s.identities, 'walker'], [s.recordings, 'recording']] as const)
    if (values.length) return `${values.length} ${what}${values.length === 1 ? '' : 's'}`;
  return null;
}

const mdTable = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/**
 * Writes README.md and samples.svg into the generator folder `result.dir`
 * (atomically, both or neither). Leaves no tensors behind; the caller keeps
 * the evaluator.
 */
export async function writeModelCard(options: ModelCardOptions): Promise<ModelCard> {
  const { result, seed } = options;
  const dir = result.dir;
  const manifest = readGeneratorFamilyManifest(dir);
  const gen = await loadGenerator(dir);
  try {
    const train = result.trainPart;
    const val = result.valPart;
    let evaluation: GeneratorEvaluation | null = null;
    // the metrics sample by label (evaluate-generator); an identity-conditioned generator needs identities to sample
    const byIdentity = gen.identityNames.length > 0;
    let skipped = byIdentity
      ? 'the generator is conditioned on identity as well as label, and these metrics sample by label only (docs/identity.md measures identity-conditioned samples)'
      : cannotEvaluate(val);
    let evaluator = options.evaluator ?? null;
    let evaluatorNote = evaluator ? (options.evaluatorDescription ?? 'given') : (options.noEvaluatorReason ?? 'no evaluator given');
    if (evaluator && val && !skipped) {
      try {
        for (const c of Array.isArray(evaluator) ? evaluator.map((f) => f.classifier) : [evaluator]) checkEvaluatorFits(c, val, 'the evaluator', 'the validation split');
      } catch (e) {
        evaluatorNote = `not used: ${(e as Error).message.split(', so its features')[0]}`;
        evaluator = null;
      }
    }
    // validation gaits that are training gaits (a --val cut from the training file) leave nothing to measure memorisation against
    const trainIds = new Set(train.ids);
    const reused = val ? val.ids.filter((id) => trainIds.has(id)).length : 0;
    if (!skipped && val) {
      try {
        evaluation = await evaluateGenerator(gen, val, {
          seed: deriveSeed(seed, 'model-card'), repeats: options.repeats ?? MODEL_CARD_REPEATS, evaluator, train: reused ? undefined : train, threads: options.threads,
        });
      } catch (e) {
        // a validation split whose labels sit in too few groups to reach both halves of a draw: the card says so, the training stands
        if (!(e instanceof GaitforgeError && e.code === 'E_SHAPE')) throw e;
        skipped = `the validation split is too small for these metrics (${e.message})`;
      }
    }
    const perLabel = Object.fromEntries(gen.labelNames.map((l) => [l, 1]));
    const samples = gen.sample(perLabel, { seed: deriveSeed(seed, 'model-card/strip'), ...(byIdentity ? { identities: gen.identityNames.slice(0, 1) } : {}) });
    const cfg = manifest.config;
    const counts = (s: GaitSet) => Object.entries(s.countsByLabel()).map(([l, c]) => `${l} ${c}`).join(', ');
    const lines = [
      `# Generator ${manifest.name} (${gen.checkpointHash.slice(0, 16)})`,
      '',
      `Trained by gaitforge ${manifest.gaitforgeVersion} on the ${manifest.backend} backend, seed ${manifest.seed}.`,
      '',
      '## Data',
      '',
      `- file: ${options.dataName}`,
      `- training gaits: ${train.N} (${counts(train)})`,
      `- validation gaits: ${val ? `${val.N} (${counts(val)})` : 'none'}`,
      `- labels: ${manifest.labelNames.join(', ')}`,
      `- T = ${manifest.T} frames at ${manifest.fps} fps, V = ${manifest.V} joints (${manifest.skeleton})`,
      '',
      '## Training',
      '',
      ...trainingLines(manifest),
      ...(result.bestLoss ? [`- selected epoch: ${result.bestEpoch} (lowest ${result.bestLoss.on} loss, ${result.bestLoss.total.toPrecision(4)})`] : []),
      '',
      '## Metrics on the validation gaits',
      '',
    ];
    if (evaluation) {
      lines.push(
        `${evaluation.repeats} draws (seed ${evaluation.seed}): each splits the ${evaluation.realGaits} validation gaits into a reference half and a held-out half and samples ${evaluation.generatedPerDraw} gaits; ` +
          'mean ± 95% CI over the draws, each beside the real value (FID beside the real-vs-real floor). Evaluator: ' + evaluatorNote + '.',
        '',
        mdTable(['metric', 'generated', 'real'], evaluationRows(evaluation)),
        '',
        `\`gaitforge evaluate-generator\` with more draws and a held-out test set gives the numbers to report; see docs/evaluation.md.`,
      );
      const shared = sharedText(train, val!);
      const warnings = [
        ...(reused ? [`${reused} of the ${val!.N} validation gaits are training gaits: memorisation is not checked`] : []),
        ...(shared ? [`the validation gaits share ${shared} with the training gaits (a validation set cut from the same walkers or recordings), so these metrics are optimistic and the memorisation check is not against new walkers`] : []),
        ...evaluation.warnings,
      ];
      if (warnings.length) lines.push('', ...warnings.map((w) => `- warning: ${w}`));
    } else lines.push(`Not measured: ${skipped}.`);
    lines.push('', '## Samples', '', `One generated gait per label${byIdentity ? ` of ${gen.identityNames[0]}` : ''} (side and front views over a gait cycle):`, '', `![samples](${MODEL_CARD_STRIP})`, '');
    lines.push('## Config', '', 'As trained (every default filled in):', '', '```json', JSON.stringify(cfg, null, 2), '```', '');
    const card = path.join(dir, MODEL_CARD_FILE);
    writeFilesAtomic([
      { path: card, data: lines.join('\n') },
      { path: path.join(dir, MODEL_CARD_STRIP), data: filmstripSvg(samples, { title: `${manifest.name}: one sample per label` }) },
    ]);
    return { path: card, evaluation, skipped };
  } finally {
    gen.dispose();
  }
}

export interface TrainGeneratorWithCardOptions extends TrainGeneratorOptions {
  /** Names the training data in the card. */
  dataName: string;
  /**
   * Evaluator directory for the card's evaluator space and recognition
   * ratio. Default: two Baseline-STEPs cross-fitted on the validation gaits
   * (cached in the generator folder's `card-evaluators/`), so no evaluator
   * has seen the training gaits; when the validation gaits are too few to
   * halve, the card has the affective space only and says why.
   */
  evaluatorDir?: string;
  /** Draws of the card's metrics. Default MODEL_CARD_REPEATS. */
  cardRepeats?: number;
}

/**
 * A generator of any family trained (or fitted) as trainGeneratorFamily
 * does, with the gaits it trained and was selected on. The PCA-Gaussian
 * floor selects nothing: it fits on `train` and the card scores it on
 * `options.val`.
 */
async function trainForCard(train: GaitSet, config: GeneratorFamilyConfig, options: TrainGeneratorOptions): Promise<CardTraining & { training: TrainFamilyResult }> {
  const family = generatorFamily(resolveGeneratorFamily(config).variant);
  if (family === 'pca-gaussian') {
    const { val, ...rest } = options;
    const training = await trainGeneratorFamily(train, config, rest);
    return { dir: training.result.dir, trainPart: train, valPart: val && val.N > 0 ? val : null, bestEpoch: 0, completed: true, bestLoss: null, training };
  }
  const training = await trainGeneratorFamily(train, config, options);
  const r = training.result as TrainGeneratorResult | TrainFlowResult;
  const best = r.history[r.bestEpoch - 1];
  return {
    dir: r.dir, trainPart: r.trainPart, valPart: r.valPart, bestEpoch: r.bestEpoch, completed: r.completed, training,
    bestLoss: best ? (best.val ? { total: best.val.total, on: 'validation' } : { total: best.train.total, on: 'training' }) : null,
  };
}

/**
 * Trains a generator of any family and, when training completed, writes its
 * model card. A run stopped early gets no card (it is written when a resumed
 * run completes).
 */
export async function trainGeneratorWithCard(train: GaitSet, config: GeneratorFamilyConfig, options: TrainGeneratorWithCardOptions): Promise<CardTraining & { training: TrainFamilyResult; card: ModelCard | null }> {
  const r = await trainForCard(train, config, options);
  if (!r.completed) return { ...r, card: null };
  const progress = options.progress ?? silentProgress;
  progress.log(`writing the model card of ${r.dir}`);
  let given: EvaluatorChoice | null = null;
  let crossFit: CrossFitEvaluators | null = null;
  let reason = '';
  try {
    if (options.evaluatorDir !== undefined) given = await chooseEvaluator([{ set: r.valPart ?? r.trainPart, name: 'the validation split', real: true }], { dir: options.evaluatorDir });
    else if (!r.valPart) reason = 'none (affective space only): there are no validation gaits to cross-fit evaluators on';
    else {
      try {
        crossFit = await crossFitEvaluators(r.valPart, { name: 'the validation gaits', cacheDir: path.join(r.dir, 'card-evaluators'), threads: options.threads, progress });
      } catch (e) {
        if (!(e instanceof GaitforgeError && e.code === 'E_SHAPE')) throw e;
        reason = `none (affective space only): ${e.message.split('; use more')[0]}`;
      }
    }
    const card = await writeModelCard({
      dataName: options.dataName, result: r, seed: options.seed, evaluator: crossFit?.folds ?? given?.evaluator ?? null,
      evaluatorDescription: crossFit?.description ?? given?.description, noEvaluatorReason: reason, repeats: options.cardRepeats, threads: options.threads,
    });
    return { ...r, card };
  } finally {
    crossFit?.dispose();
    given?.evaluator.dispose();
  }
}

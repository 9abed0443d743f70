/**
 * gaitforge's library API: what a user calls. Building blocks live under
 * subpath exports: gaitforge/core, /io, /nn, /train, /eval, /generator,
 * /classifier, /identity, /pipeline and /render (each folder's index.ts).
 */

// Gaits: the data model, files, import, the procedural demo data.
export { GaitSet, type GaitSetInit, type SplitGrouping } from './core/gaitset.js';
export { GaitforgeError, type ErrorCode } from './core/errors.js';
export { initBackend, type BackendChoice, type BackendInfo } from './core/backend.js';
export { proceduralDataset, type ProceduralOptions } from './core/procedural.js';
export { summarizeDataset, type DatasetSummary } from './core/summary.js';
export type { Progress } from './core/progress.js';
export { readGaitFile, writeGaitFile, convertGaitFile, type ReadGaitOptions } from './io/gaitfile.js';
export { inspectGaitFile, type GaitFileReport } from './io/inspect.js';
export { splitGaitFile, type SplitGaitFileOptions, type SplitGaitFileResult } from './io/split.js';
export { importBvh, type BvhImportConfig } from './io/bvh.js';
export { importEgait, type EgaitImportConfig } from './io/egait.js';

// Generators: every family trains, samples and restyles through these.
export { trainGeneratorFamily, resolveGeneratorFamily, type GeneratorFamilyConfig, type TrainFamilyResult } from './generator/family.js';
export type { GeneratorConfig } from './generator/config.js';
export type { FlowConfig } from './generator/flow/config.js';
export type { PcaGaussianConfig } from './generator/pca-gaussian/config.js';
export { loadGenerator, generateToFile, type Generator, type SampleSource, type GenerateToFileOptions, type GenerateToFileResult } from './generator/sample.js';
export { restyle, restyleFile, type RestyleOptions, type RestyleFileOptions } from './generator/restyle.js';
export { labelMeanShift } from './generator/edit.js';
export { trainGeneratorWithCard, type TrainGeneratorWithCardOptions } from './pipeline/model-card.js';

// Measuring generators: FID beside the real-vs-real floor, the full evaluation.
export { fidFromSets, type FidFromSetsOptions, type FidFromSetsResult } from './pipeline/fid-sets.js';
export { evaluateGenerator, type EvaluateGeneratorOptions, type GeneratorEvaluation } from './pipeline/evaluate-generator.js';

// Classifiers (STEP, Baseline-STEP, AT-GCN) and identity models (GaitTAKE).
export { trainClassifier, type TrainClassifierOptions, type TrainClassifierResult } from './classifier/train.js';
export { loadClassifier, type Classifier } from './classifier/model.js';
export { evaluateClassifier, type EvaluateClassifierOptions } from './classifier/evaluate.js';
export type { ClassifierConfig } from './classifier/config.js';
export { trainIdentityModel, type TrainIdentityOptions, type TrainIdentityResult } from './identity/train.js';
export { loadIdentityModel, type IdentityEmbedder } from './identity/model.js';
export { evaluateIdentity, type EvaluateIdentityOptions } from './identity/evaluate.js';
export type { IdentityConfig } from './identity/config.js';

// The experiments: augmentation ablations, the demo, results pages.
export { ablate, mergeAblation, type AblateRequest, type AblateSummary } from './pipeline/ablation/ablate.js';
export { loadAblationConfig, type AblationConfig } from './pipeline/ablation/config.js';
export { runDemo, type DemoOptions, type DemoResult } from './pipeline/demo.js';
export { writeResultsPage, type ResultsPageOptions } from './pipeline/results-page.js';

// Rendering: GLB, filmstrips, the HTML viewer.
export { writeGlb, type WriteGlbOptions } from './render/glb.js';
export { writeFilmstrip, type WriteFilmstripOptions } from './render/filmstrip.js';
export { writeViewer, type ViewerConfig } from './render/viewer.js';

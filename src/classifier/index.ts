/**
 * Gait emotion classifiers (Baseline-STEP, STEP, AT-GCN): configuration,
 * architectures, training with validation-only model selection, loading,
 * evaluation metrics and saliency.
 */
export * from './config.js';
export * from '../core/affective.js';
export * from './metrics.js';
export { buildArchitecture, type ArchitectureSpec, type BuiltModel, type OutputName } from './architectures.js';
export * from './model.js';
export * from './train.js';
export * from './evaluate.js';
export { startInference, type ClassifierInference } from './inference.js';
export * from './saliency.js';

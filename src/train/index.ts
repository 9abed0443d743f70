/**
 * The one training engine: fit loop (fit.ts), optimizer (optimizer.ts),
 * learning-rate schedule (schedule.ts), checkpoints with exact resume
 * (checkpoint.ts), the run policy of every trainer (run.ts: resume or refuse
 * by fingerprint), epoch batches (batches.ts) and data-parallel worker
 * threads (parallel.ts).
 */
export { Adam, DECAYED_WEIGHT, decayedVariables, type AdamOptions, type AdamState } from './optimizer.js';
export { learningRate, milestonesFromFractions, type StepSchedule } from './schedule.js';
export { better, checkpointHashOf, freshState, readCheckpointState, readOptimizerState, writeCheckpoint, type CheckpointContent, type FitState } from './checkpoint.js';
export { Engine, shardSizes, type EngineOptions, type GradientTask, type Replicas } from './engine.js';
export { fit, startEngine, type EpochTrain, type FitOptions } from './fit.js';
export { machineThreads, resolveThreads, startReplicas, type ReplicaHandle } from './parallel.js';
export { checkSameRun, clearRunDir, finishedRun, interruptedRun, lastCheckpoint, runDiff, type Interrupted, type RunFingerprint } from './run.js';
export { epochBatches } from './batches.js';

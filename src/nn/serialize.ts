/**
 * Saving and loading models as a directory: model.json (tfjs layers format,
 * loadable by `tf.loadLayersModel` once gaitforge's layers are registered),
 * weights.bin and meta.json (the caller's metadata), written to temporary
 * names and renamed once all three are complete. Node's fs is used directly:
 * tfjs ships a file-system handler only in tfjs-node.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic, type OutputFile } from '../core/files.js';
import { flushDenormals } from './model-utils.js';
// the custom layers must be registered before a model that uses them is deserialised
import './batch-norm.js';
import './stgcn.js';
import './attention.js';
import './graph-gru.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const META_FILE = 'meta.json';

/**
 * Writes model.json, weights.bin and meta.json into `dir` (created if
 * missing). Existing files are replaced only after all three were written.
 * Denormal weights are flushed to 0 first (in the model too).
 */
export async function saveModel(model: tf.LayersModel, dir: string, meta: object = {}): Promise<void> {
  let files: OutputFile[] = [];
  const handler: tf.io.IOHandler = {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      files = [
        { path: path.join(dir, MODEL_FILE), data: JSON.stringify(modelJson) },
        { path: path.join(dir, WEIGHTS_FILE), data: new Uint8Array(weightData) },
        { path: path.join(dir, META_FILE), data: JSON.stringify(meta, null, 2) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    },
  };
  flushDenormals(model); // denormal weights make wasm kernels 100x slower (see flushDenormals)
  try {
    await model.save(handler);
  } catch (e) {
    throw new GaitforgeError('E_IO', `cannot save model to ${dir}: ${(e as Error).message}`, { cause: e });
  }
  writeFilesAtomic(files); // all three or none (core/files.ts)
}

function readOrThrow(dir: string, file: string): Buffer {
  const p = path.join(dir, file);
  if (!existsSync(p)) throw new GaitforgeError('E_MODEL', `model directory ${dir} has no ${file}`);
  try {
    return readFileSync(p);
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `cannot read ${p}: ${(e as Error).message}`, { cause: e });
  }
}

function parseJson(dir: string, file: string): unknown {
  const text = readOrThrow(dir, file).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${path.join(dir, file)} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Loads a directory written by `saveModel` (flushing denormal weights, see
 * `flushDenormals`). Returns the model (caller
 * disposes it with `model.dispose()`) and the parsed meta.json. Throws
 * GaitforgeError E_MODEL naming the missing or corrupt file.
 */
export async function loadModel<M extends object = Record<string, unknown>>(dir: string): Promise<{ model: tf.LayersModel; meta: M }> {
  const modelJson = parseJson(dir, MODEL_FILE) as tf.io.ModelJSON;
  const modelFile = path.join(dir, MODEL_FILE);
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest))
    throw new GaitforgeError('E_MODEL', `${modelFile} is not a tfjs layers model (no modelTopology / weightsManifest)`);
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const bin = readOrThrow(dir, WEIGHTS_FILE);
  const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'bool' ? 1 : 4), 0);
  if (bin.byteLength !== expected)
    throw new GaitforgeError('E_MODEL', `${path.join(dir, WEIGHTS_FILE)} has ${bin.byteLength} bytes, ${modelFile} describes ${expected}`);
  const meta = parseJson(dir, META_FILE) as M;
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData, format: modelJson.format,
      generatedBy: modelJson.generatedBy, convertedBy: modelJson.convertedBy ?? undefined,
    }));
    flushDenormals(model);
    return { model, meta };
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${modelFile} cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
}

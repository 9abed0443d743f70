/**
 * Entry of a replica thread (parallel.ts): a worker thread with its own tfjs
 * backend that rebuilds a model from a replica module's spec and answers
 * each training step with the gradient of its shard (`step`), or each
 * inference request with its replica's answer (`call`).
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { assignFlat, computeGradients } from './engine.js';
import type { InferenceReplica, ReplicaHandle, ReplicaReply, ReplicaRequest } from './parallel.js';

if (!parentPort) throw new Error('src/train/worker is a worker-thread entry');
const port = parentPort;
let replica: ReplicaHandle | InferenceReplica | null = null;

function reply(m: ReplicaReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

port.on('message', (m: ReplicaRequest) => {
  void handle(m).catch((e: unknown) => {
    const err = e as Error;
    reply({ type: 'error', message: err?.message ?? String(e), stack: err?.stack, code: e instanceof GaitforgeError ? e.code : undefined });
  });
});

async function handle(m: ReplicaRequest): Promise<void> {
  if (m.type === 'init') {
    await initBackend(m.backend);
    const mod = (await import(m.module)) as { createReplica(spec: unknown): ReplicaHandle | InferenceReplica | Promise<ReplicaHandle | InferenceReplica> };
    replica = await mod.createReplica(m.spec);
    reply({ type: 'ready' });
  } else if (m.type === 'step') {
    if (!replica || !('task' in replica)) throw new Error(replica ? 'step sent to an inference replica' : 'step before init');
    assignFlat(replica.task.replicated, m.weights);
    const { grad, metrics } = computeGradients(replica.task, m.rows, m.noiseSeed);
    reply({ type: 'grad', grad, metrics, numTensors: tf.memory().numTensors }, [grad.buffer as ArrayBuffer]);
  } else if (m.type === 'call') {
    if (!replica || !('call' in replica)) throw new Error(replica ? 'call sent to a training replica' : 'call before init');
    const output = await replica.call(m.input);
    reply({ type: 'result', output, numTensors: tf.memory().numTensors }, transferables(output));
  } else if (m.type === 'close') {
    replica?.dispose();
    replica = null;
    reply({ type: 'closed', numTensors: tf.memory().numTensors });
    port.close();
  }
}

/** The distinct ArrayBuffers of the typed arrays in `x`, at its top level or one object level down. */
function transferables(x: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
    } else if (v && typeof v === 'object' && depth < 2) for (const y of Object.values(v)) visit(y, depth + 1);
  };
  visit(x, 0);
  return [...out];
}

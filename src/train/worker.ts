/**
 * Entry of a data-parallel training replica (parallel.ts): a worker thread
 * with its own tfjs backend that rebuilds the model from the adapter's spec
 * and answers each step with the gradient of its shard.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../core/backend.js';
import { GaitforgeError } from '../core/errors.js';
import { assignFlat, computeGradients } from './engine.js';
import type { ReplicaHandle, ReplicaReply, ReplicaRequest } from './parallel.js';

if (!parentPort) throw new Error('src/train/worker is a worker-thread entry');
const port = parentPort;
let replica: ReplicaHandle | null = null;

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
    const mod = (await import(m.module)) as { createReplica(spec: unknown): ReplicaHandle | Promise<ReplicaHandle> };
    replica = await mod.createReplica(m.spec);
    reply({ type: 'ready' });
  } else if (m.type === 'step') {
    if (!replica) throw new Error('step before init');
    assignFlat(replica.task.replicated, m.weights);
    const { grad, metrics } = computeGradients(replica.task, m.rows, m.noiseSeed);
    reply({ type: 'grad', grad, metrics, numTensors: tf.memory().numTensors }, [grad.buffer as ArrayBuffer]);
  } else if (m.type === 'close') {
    replica?.dispose();
    replica = null;
    reply({ type: 'closed', numTensors: tf.memory().numTensors });
    port.close();
  }
}

/**
 * The engine's heap setting (src/train/heap.ts): while it is held, training
 * steps of a real classifier run far fewer full garbage collections.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClassifierTask } from '../../src/classifier/task.js';
import { DEFAULT_CLASSIFIER } from '../../src/classifier/config.js';
import { initBackend } from '../../src/core/backend.js';
import { Rng } from '../../src/core/rng.js';
import { computeGradients } from '../../src/train/engine.js';
import { holdHeapGrowth } from '../../src/train/heap.js';

beforeAll(async () => {
  await initBackend('wasm');
});

let majors = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e.detail as { kind: number }).kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
});
observer.observe({ entryTypes: ['gc'] });
afterAll(() => observer.disconnect());

describe('holdHeapGrowth', () => {
  it('cuts the full collections of classifier training steps', async () => {
    // the default Baseline-STEP at the demo's T = 75, 4 rows a step: the shape whose full
    // collections slowed data-parallel training (docs/train.md, "Heap growth")
    const T = 75;
    const V = 16;
    const N = 4;
    const rng = new Rng(1, 'heap-test');
    const built = buildClassifierTask({
      arch: { kind: 'baseline-step', config: DEFAULT_CLASSIFIER, T, V, numLabels: 4, numIdentities: 0, affectiveDim: 0, seed: 2 },
      taskNames: ['emotion'],
      data: {
        positions: Float32Array.from({ length: N * T * V * 3 }, () => rng.normal()),
        affective: null,
        labels: Int32Array.from({ length: N }, (_, i) => i % 4),
        identity: new Int32Array(N).fill(-1),
      },
    });
    const rows = Int32Array.from({ length: N }, (_, i) => i);
    let step = 0;
    const fullCollections = async (steps: number) => {
      // gc entries arrive asynchronously, and later on a loaded machine: let the earlier ones in first
      await new Promise((r) => setTimeout(r, 200));
      majors = 0;
      // a step at a time, as the fit loop runs them: up to 500 steps back to back held the
      // worker's event loop for a minute on a loaded machine, past Vitest's RPC timeout
      for (let s = 0; s < steps; s++) {
        computeGradients(built.task, rows, step++);
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 200));
      return majors;
    };
    try {
      await fullCollections(5);
      // V8's own rule first: once the heap has grown under the held setting, its limit stays
      // high until the next full collection. Steps run one at a time with the event loop in
      // between, as the fit loop runs them, which lets V8 finish its markings: measured in 25
      // steps, 12 full collections under V8's rule against 1 held (2 loaded cores); run back to
      // back without yielding it was 7 in 100 steps, once 0 in a loaded full suite (V8's
      // concurrent marking starved of a core). So: blocks of 25 steps until 3 full collections
      // or 500 steps, then as many steps held (1: a marking already under way)
      const BLOCK = 25;
      let free = 0;
      let steps = 0;
      while (free < 3 && steps < 500) {
        free += await fullCollections(BLOCK);
        steps += BLOCK;
      }
      const release = holdHeapGrowth();
      let held: number;
      try {
        held = await fullCollections(steps);
      } finally {
        release();
      }
      expect(free).toBeGreaterThanOrEqual(3);
      // back to back (no yielding), a loaded fresh-clone suite once saw 3-5 free against 2 held,
      // so: fewer than under the free setting, and at most a third as many or 2
      expect(held).toBeLessThan(free);
      expect(held).toBeLessThanOrEqual(Math.max(2, Math.floor(free / 3)));
    } finally {
      built.dispose();
    }
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli-run.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { writeGaitFile } from '../../src/io/index.js';

const run = runCli;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-clf-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const f = (name: string) => path.join(tmp, name);
let testIds: string[] = [];

beforeAll(async () => {
  const set = proceduralDataset({ identities: 6, perEmotion: 1, frames: 16, seed: 2 });
  const [train, test] = set.stratifiedSplit([0.67, 0.33], 1, { byIdentity: true });
  await writeGaitFile(f('train.parquet'), train!);
  await writeGaitFile(f('test.parquet'), test!);
  testIds = test!.ids;
  // a "synthetic" file of copies that keep their walker (as restyled walks do), and a test file with a label the model never saw
  await writeGaitFile(f('synth.parquet'), new GaitSet({ ...train!, positions: train!.positions, labels: train!.labels, labelNames: train!.labelNames, T: train!.T, ids: train!.ids.map((i) => `syn-${i}`), source: train!.source.map(() => 'synthetic' as const) }));
  await writeGaitFile(f('odd.parquet'), new GaitSet({ positions: test!.positions.slice(0, test!.stride), labels: [0], labelNames: ['bored'], T: 16 }));
});

describe('classifier commands', () => {
  it('train-classifier → evaluate → saliency', async () => {
    const t = await run('train-classifier', '--model', 'baseline-step', '--train', f('train.parquet'), '--augment', f('synth.parquet'), '--val-fraction', '0.34',
      '--out', f('models/clf'), '--epochs', '2', '--batch-size', '8', '--temporal-kernel', '3', '--seed', '3', '--json', '--backend', 'wasm');
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    const tr = JSON.parse(t.stdout);
    const meta = JSON.parse(readFileSync(f('models/clf/meta.json'), 'utf8'));
    // 4 training walkers of 4 walks each; 34% of them grouped by walker holds out one walker, and that walker's 4 synthetic
    // copies leave training (they would train on the walker the model is selected on); the other 12 train
    expect(meta.valGaits).toBe(4);
    expect(meta.trainSyntheticDropped).toBe(4);
    expect(meta.trainSynthetic).toBe(12);
    expect(tr.syntheticDropped).toBe(4);
    expect(tr.bestEpoch).toBe(JSON.parse(readFileSync(f('models/clf/history.json'), 'utf8')).bestEpoch);
    expect(meta.validation).toMatch(/grouped by identity/);
    expect(meta.config.temporalKernel).toBe(3);

    const e = await run('evaluate', '--model', f('models/clf'), '--data', f('test.parquet'), '--json');
    expect(e.status).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.gaits).toBe(8);
    expect(ev.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(8);
    expect(ev.checkpointHash).toBe(tr.checkpointHash);
    // the forward pass on 1 and 2 threads: the same evaluation; a bad thread count is a usage error naming the option
    const [e1, e2, e0] = await Promise.all(['1', '2', '0'].map((n) => run('evaluate', '--model', f('models/clf'), '--data', f('test.parquet'), '--json', '--threads', n)));
    expect(e1!.status).toBe(0);
    expect(JSON.parse(e2!.stdout)).toEqual(JSON.parse(e1!.stdout));
    expect(JSON.parse(e1!.stdout)).toEqual(ev);
    expect(e0!.status).toBe(2);
    expect(e0!.stderr.trim().split('\n')).toHaveLength(1);
    expect(e0!.stderr).toMatch(/threads/);
    const text = await run('evaluate', '--model', f('models/clf'), '--data', f('test.parquet'));
    expect(text.stdout).toMatch(/\| model \| gaits \| accuracy \| macro-F1 \| top-2 \|/);
    expect(text.stdout).toMatch(/\| angry \| /);

    const s = await run('saliency', '--model', f('models/clf'), '--data', f('test.parquet'), '--ids', `${testIds[3]},${testIds[0]}`, '--out', f('out/sal'));
    expect(s.status).toBe(0);
    expect(existsSync(f('out/sal/saliency.svg'))).toBe(true);
    const sal = JSON.parse(readFileSync(f('out/sal/saliency.json'), 'utf8'));
    expect(sal.gaits.map((g: { id: string }) => g.id)).toEqual([testIds[3], testIds[0]]);
    expect(sal.gaits[0].saliency).toHaveLength(16);
  });

  it('fails with one line for unknown labels, a missing model and conflicting options', async () => {
    const [e, m, c, b] = await Promise.all([
      run('evaluate', '--model', f('models/clf'), '--data', f('odd.parquet')),
      run('evaluate', '--model', f('nothing'), '--data', f('test.parquet')),
      run('train-classifier', '--model', 'step', '--train', f('train.parquet'), '--val', f('test.parquet'), '--val-fraction', '0.2', '--out', f('x/clf')),
      run('train-classifier', '--model', 'step', '--train', f('train.parquet'), '--out', f('x/clf'), '--temporal-kernel', '4'),
    ]);
    expect(e.status).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/label "bored" is not one the model was trained on/);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/has no model.json/);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/either --val or --val-fraction/);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/temporalKernel = 4/);
    expect(existsSync(f('x')), 'a refused command creates no output folder').toBe(false);
  });
});


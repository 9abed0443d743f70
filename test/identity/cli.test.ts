import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli-run.js';
import { afterAll, describe, expect, it } from 'vitest';

const run = runCli;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-id-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const f = (name: string) => path.join(tmp, name);

describe('identity commands', () => {
  it('synth-dataset --estimator-noise → train-identity → evaluate-identity --json', async () => {
    for (const [name, seed, ids] of [['train', '1', '6'], ['test', '2', '4']] as const) {
      const s = await run('synth-dataset', '--identities', ids, '--per-emotion', '1', '--frames', '12', '--estimator-noise', '0.02', '--seed', seed, '--out', f(`${name}.parquet`), '--json');
      expect(s.status).toBe(0);
    }
    const t = await run('train-identity', '--model', 'gaittake', '--train', f('train.parquet'), '--out', f('m'), '--epochs', '1', '--channels', '8',
      '--heads', '2', '--embedding-dim', '4', '--identities-per-batch', '3', '--walks-per-identity', '2', '--val-fraction', '0.34', '--json', '--backend', 'wasm');
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    const trained = JSON.parse(t.stdout);
    expect(trained.kind).toBe('gaittake');
    expect(trained.completed).toBe(true);
    // --resume of a finished run trains nothing more and reports the same model
    const again = await run('train-identity', '--model', 'gaittake', '--train', f('train.parquet'), '--out', f('m'), '--epochs', '1', '--channels', '8',
      '--heads', '2', '--embedding-dim', '4', '--identities-per-batch', '3', '--walks-per-identity', '2', '--val-fraction', '0.34', '--json', '--backend', 'wasm', '--resume', '--threads', '1');
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).checkpointHash).toBe(trained.checkpointHash);
    const e = await run('evaluate-identity', '--model', f('m'), '--data', f('test.parquet'), '--json', '--backend', 'wasm');
    expect(e.status).toBe(0);
    const ev = JSON.parse(e.stdout);
    for (const s of [ev, ev.baselines.boneLengths, ev.baselines.affective])
      for (const k of ['rank1', 'rank5', 'mAP']) expect(Object.keys(s[k])).toEqual(['angry', 'happy', 'sad', 'mean']);
    expect(ev.galleryCondition).toBe('neutral');
    const txt = await run('evaluate-identity', '--model', f('m'), '--data', f('test.parquet'), '--gallery-condition', 'calm');
    expect(txt.status).toBe(1);
    expect(txt.stderr).toMatch(/gallery condition "calm" is not a label/);
  });

  it('rejects a bad option before reading anything, naming it', async () => {
    const r = await run('train-identity', '--model', 'gaittake', '--train', f('none.parquet'), '--out', f('bad'), '--margin', '-1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/margin = -1 is out of range/);
    expect(existsSync(f('bad'))).toBe(false);
    const wrong = await run('train-identity', '--model', 'at-gcn', '--train', f('none.parquet'), '--out', f('bad'), '--heads', '2');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--heads applies to --model gaittake only/);
  });

  it('--help describes both commands', async () => {
    for (const c of ['train-identity', 'evaluate-identity']) {
      const r = await run(c, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/--model/);
    }
  });
});

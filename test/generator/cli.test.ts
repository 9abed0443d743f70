import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { readGaitFile, writeGaitFile } from '../../src/io/gaitfile.js';
import { runCli } from '../cli-run.js';

const run = runCli;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-gen-cli-'));
  await writeGaitFile(path.join(tmp, 'train.parquet'), proceduralDataset({ identities: 2, perEmotion: 2, frames: 16, seed: 1 }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gaitforge train-generator / generate', () => {
  it('trains, then samples per label and by counts to Parquet and Arrow', async () => {
    const model = path.join(tmp, 'runs', 'model'); // folders that do not exist yet are created
    const t = await run('train-generator', '--data', path.join(tmp, 'train.parquet'), '--out', model, '--epochs', '1', '--batch-size', '8',
      '--val-fraction', '0', '--latent-dim', '8', '--seed', '3', '--json');
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    const tj = JSON.parse(t.stdout);
    expect(tj).toMatchObject({ dir: model, bestEpoch: 1, completed: true, epochs: 1 });
    expect(Number.isFinite(tj.final.train.lc)).toBe(true);
    // the model card, written at the end of training: no validation gaits here, and it says so
    expect(tj.card).toEqual({ path: path.join(model, 'README.md'), skipped: 'the training held out no validation gaits (valFraction 0 and no --val)', recognitionRatio: null });
    expect(readFileSync(tj.card.path, 'utf8')).toMatch(/^# Generator stepgen /);
    expect(existsSync(path.join(model, 'samples.svg'))).toBe(true);

    const sampled = path.join(tmp, 'new', 'dir', 's.parquet');
    const g = await run('generate', '--model', model, '--per-label', '3', '--out', sampled, '--seed', '4', '--json');
    expect(g.status).toBe(0);
    const gj = JSON.parse(g.stdout);
    expect(gj.rows).toBe(12);
    expect(gj.counts).toEqual({ angry: 3, neutral: 3, happy: 3, sad: 3 });
    const set = await readGaitFile(sampled);
    expect(set.countsByLabel()).toEqual({ angry: 3, neutral: 3, happy: 3, sad: 3 });
    expect(set.generator[0]).toBe(gj.generator);

    const a = await run('generate', '--model', model, '--counts', 'angry=2,sad=1', '--out', path.join(tmp, 's.arrow'), '--format', 'arrow');
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/wrote 3 synthetic gaits/);
    const l = await run('generate', '--model', model, '--per-label', '2', '--labels', 'happy', '--out', path.join(tmp, 'h.parquet'), '--json');
    expect(JSON.parse(l.stdout).counts).toEqual({ happy: 2 });
  }, 120_000);

  it('bad options: one line on stderr, exit 1 or 2, no file or folder written', async () => {
    const model = path.join(tmp, 'runs', 'model');
    const out = path.join(tmp, 'bad', 'dir', 'bad.parquet');
    const unknown = await run('generate', '--model', model, '--counts', 'bored=2', '--out', out);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/does not know label "bored"/);
    const zero = await run('generate', '--model', model, '--counts', 'sad=0', '--out', out);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/count for label sad: 0/);
    const neither = await run('generate', '--model', model, '--out', out);
    expect(neither.status).toBe(2);
    const missing = await run('generate', '--model', path.join(tmp, 'nope'), '--per-label', '1', '--out', out);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const existing = await run('train-generator', '--data', path.join(tmp, 'train.parquet'), '--out', model, '--epochs', '1');
    expect(existing.status).toBe(1);
    expect(existing.stderr).toMatch(/already holds a generator/);
    const badCfg = await run('train-generator', '--data', path.join(tmp, 'train.parquet'), '--out', path.join(tmp, 'm2', 'model'), '--lambda-c', '-1');
    expect(badCfg.status).toBe(2);
    expect(badCfg.stderr).toMatch(/lambdaC = -1/);
    expect(existsSync(path.join(tmp, 'm2'))).toBe(false);
    const noFeatureModel = await run('train-generator', '--data', path.join(tmp, 'train.parquet'), '--out', path.join(tmp, 'm3', 'model'), '--identity-feature-weight', '1');
    expect(noFeatureModel.status).toBe(2);
    expect(noFeatureModel.stderr.trim().split('\n')).toHaveLength(1);
    expect(noFeatureModel.stderr).toMatch(/--identity-feature-weight 1 needs --identity-feature-model DIR/);
    const notGaitTake = await run('train-generator', '--data', path.join(tmp, 'train.parquet'), '--out', path.join(tmp, 'm3', 'model'), '--identity-feature-model', model);
    expect(notGaitTake.status).toBe(1);
    expect(notGaitTake.stderr).toMatch(/has no meta\.json/);
    expect(existsSync(path.join(tmp, 'm3'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('bad'))).toEqual([]);
  }, 60_000);
});

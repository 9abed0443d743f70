import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { readGaitFile, readGaitFileInfo, writeGaitFile } from '../../src/io/gaitfile.js';
import { trainGenerator } from '../../src/generator/train.js';
import { loadGenerator } from '../../src/generator/sample.js';
import { restyle } from '../../src/generator/restyle.js';
import { errorOf } from '../expect-error.js';
import { runCli } from '../cli-run.js';
import { toyGaits } from './toy-gaits.js';

// the CLI of the PCA-space families (the built CLI: npm test builds it first), on a small toy set
const toy = toyGaits({ perLabel: 40, sds: [0.04, 0.02], shift: 0.04 });
let tmp: string;
const at = (name: string) => path.join(tmp, name);

beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-flow-cli-'));
  await writeGaitFile(at('toy.parquet'), toy.set);
  // a STEP-Gen generator, for the options it does not take
  await trainGenerator(toy.set, { encoderChannels: [8, 8], decoderChannels: [8], latentDim: 4, epochs: 1, batchSize: 16, valFraction: 0 }, { outDir: at('stepgen'), seed: 1 });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('flow and pca-gaussian CLI', () => {
  it('train-generator --variant flow, then generate: the same bits on 1 and 2 threads, steps and guidance in the metadata', async () => {
    const t = await runCli('train-generator', '--variant', 'flow', '--data', at('toy.parquet'), '--out', at('flow'), '--epochs', '2', '--width', '16', '--depth', '1', '--threads', '1', '--json');
    expect(t.status).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ variant: 'flow', completed: true, epochs: 2 });
    const gen = (threads: string, out: string) => runCli('generate', '--model', at('flow'), '--per-label', '3', '--out', at(out), '--guidance', '2', '--steps', '5', '--threads', threads, '--json');
    const [g1, g2] = [await gen('1', 'g1.parquet'), await gen('2', 'g2.parquet')];
    expect([g1.status, g2.status]).toEqual([0, 0]);
    expect(JSON.parse(g1.stdout)).toMatchObject({ rows: 6, steps: 5, guidance: 2, prior: null, generator: expect.stringMatching(/^flow@[0-9a-f]{12}$/) });
    const [a, b] = [await readGaitFile(at('g1.parquet')), await readGaitFile(at('g2.parquet'))];
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(b.positions.buffer))).toBe(true);
    const info = await readGaitFileInfo(at('g1.parquet'));
    expect(info.metadata).toMatchObject({ 'generator.steps': '5', 'generator.guidance': '2', 'generator.name': 'flow' });
    expect(info.metadata['generator.prior']).toBeUndefined();
    // evaluate-generator: the same fields as for STEP-Gen, with the sampler's steps and guidance and no prior
    const held = toyGaits({ perLabel: 20, sds: [0.04, 0.02], shift: 0.04, seed: 2 }).set;
    await writeGaitFile(at('held.parquet'), held);
    const e = await runCli('evaluate-generator', '--model', at('flow'), '--real', at('held.parquet'), '--steps', '4', '--repeats', '2', '--evaluator-epochs', '1', '--threads', '1', '--json');
    expect(e.status, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect([ev.steps, ev.guidance, ev.prior, ev.temperature]).toEqual([4, 1.25, null, null]);
    expect(ev.generator.tag).toMatch(/^flow@/);
    expect(ev.recognition.ratio.n).toBe(2);
    expect(ev.evaluatorSpace.fid.dim).toBeGreaterThan(0);
  });

  it('train-generator --variant pca-gaussian fits the floor that generate samples', async () => {
    const t = await runCli('train-generator', '--variant', 'pca-gaussian', '--data', at('toy.parquet'), '--out', at('pg'), '--json');
    expect(t.status).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ variant: 'pca-gaussian', dir: at('pg') });
    const g = await runCli('generate', '--model', at('pg'), '--per-label', '2', '--out', at('pg.arrow'), '--threads', '1', '--json');
    expect(g.status).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ rows: 4, generator: expect.stringMatching(/^pca-gaussian@/) });
  });

  it('names a STEP-Gen field given to a flow, --latent for a flow, and --guidance / --steps for STEP-Gen, in one line each', async () => {
    const field = await runCli('train-generator', '--variant', 'flow', '--data', at('toy.parquet'), '--out', at('x'), '--latent-dim', '8');
    expect(field.status).toBe(2);
    expect(field.stderr.trim().split('\n')).toHaveLength(1);
    expect(field.stderr).toMatch(/latentDim is a STEP-Gen field .*flow variant/);
    const latent = await runCli('restyle', '--model', at('flow'), '--data', at('toy.parquet'), '--out', at('r.parquet'), '--to', 'happy', '--latent', 'shifted');
    expect(latent.status).toBe(2);
    expect(latent.stderr).toMatch(/option latent \(--latent\) is STEP-Gen's/);
    const guidance = await runCli('generate', '--model', at('stepgen'), '--per-label', '1', '--out', at('s.parquet'), '--guidance', '2');
    expect(guidance.status).toBe(2);
    expect(guidance.stderr).toMatch(/option guidance \(--guidance\) is not used by STEP-Gen generators/);
    // the library names them too: steps for STEP-Gen's sampling and its restyle
    const stepgen = await loadGenerator(at('stepgen'));
    expect((await errorOf(() => stepgen.sample({ sad: 1 }, { seed: 1, steps: 4 }))).message).toMatch(/option steps .* not used by STEP-Gen/);
    expect((await errorOf(restyle(stepgen, toy.set.select([0]), { to: ['happy'], steps: 4 }))).message).toMatch(/option steps .* not used by STEP-Gen's restyle/);
    stepgen.dispose();
  });
});

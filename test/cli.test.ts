import { describe, expect, it } from 'vitest';
import { runCli } from './cli-run.js';

const run = runCli;

describe('cli', () => {
  it('prints help for every command', async () => {
    const r = await run('--help');
    expect(r.status).toBe(0);
    for (const c of ['info', 'synth-dataset', 'demo']) {
      expect(r.stdout).toContain(c);
      const h = await run(c, '--help');
      expect(h.status).toBe(0);
      expect(h.stdout).toContain('--json');
    }
  });
  it('info names the wasm backend here', async () => {
    const r = await run('info', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).chosen).toBe('wasm');
  });
  it('synth-dataset prints a summary with counts per label and identity', async () => {
    const r = await run('synth-dataset', '--identities', '4', '--per-emotion', '2', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.labels).toEqual({ angry: 8, neutral: 8, happy: 8, sad: 8 });
    expect(Object.values(j.summary.perIdentity)).toEqual([8, 8, 8, 8]);
  });
  it('usage errors exit 2 with one line, library errors exit 2 for bad options', async () => {
    const r = await run('no-such-command');
    expect(r.status).toBe(2);
    const b = await run('synth-dataset', '--identities', '0');
    expect(b.status).toBe(2);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(/identities = 0/);
    const e = await run('synth-dataset', '--emotions', 'bored');
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/unknown emotion "bored"/);
  });
});

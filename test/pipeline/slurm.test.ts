/**
 * The Slurm array of docs/pipeline.md on a real one-node cluster: munged, slurmctld and slurmd
 * started as root with their key, config, state and logs in a temp folder, the committed job script
 * (scripts/slurm/ablate-array.sh) submitted with `sbatch --array=1-2 --wait` over a tiny learning
 * curve, the task folders joined by `ablate merge`, and the merged results compared cell for cell
 * with an unsharded in-process run. Skips, saying why, where the Slurm or MUNGE programs are missing
 * or the daemons cannot start; it never installs anything (.ci/run installs Debian's slurm-wlm and munge).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ablate, initBackend, proceduralDataset, writeGaitFile, type AblationConfig } from '../../src/index.js';
import { collectResults } from '../../src/pipeline/index.js';
import { runCli } from '../cli-run.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(REPO, 'scripts/slurm/ablate-array.sh');
const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo', 'scancel'];

/** The executable `name` on PATH, or undefined. */
const onPath = (name: string): string | undefined =>
  (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name)).find((f) => {
    try {
      accessSync(f, constants.X_OK);
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
const missing = PROGRAMS.filter((p) => !onPath(p));
if (missing.length > 0)
  console.warn(`skipping the Slurm array test: ${missing.join(', ')} not on PATH (Debian: apt-get install slurm-wlm munge; .ci/run installs them)`);

/** Runs a program to its end without blocking the test worker; never rejects. */
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 60_000) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr || (err?.message ?? '') }));
  });

/** A TCP port free on this machine now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A one-node Slurm cluster in `dir`: MUNGE with its own key and socket, slurmctld and slurmd on
 * free ports, no cgroups (proctrack/linuxproc, task/none), the node named and sized as this host.
 */
class Cluster {
  readonly conf: string;
  readonly env: NodeJS.ProcessEnv;
  readonly host: string;
  private readonly pids = new Map<string, number>();

  constructor(readonly dir: string, host: string) {
    this.host = host;
    this.conf = path.join(dir, 'slurm.conf');
    this.env = { ...process.env, SLURM_CONF: this.conf };
  }

  /** Starts the daemons and waits for the node to be idle; throws with the reason (and the logs) where it cannot. */
  async start(): Promise<void> {
    const at = (f: string) => path.join(this.dir, f);
    // munged refuses a key others can read
    writeFileSync(at('munge.key'), randomBytes(128), { mode: 0o600 });
    const socket = at('munge.sock');
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    writeFileSync(this.conf, [
      'ClusterName=gaitforge-test',
      `SlurmctldHost=${this.host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${at('state')}`,
      `SlurmdSpoolDir=${at('spool')}`,
      `SlurmctldPidFile=${at('slurmctld.pid')}`,
      `SlurmdPidFile=${at('slurmd.pid')}`,
      `SlurmctldLogFile=${at('slurmctld.log')}`,
      `SlurmdLogFile=${at('slurmd.log')}`,
      // no cgroups: processes tracked through /proc, tasks launched as they are
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'MpiDefault=none',
      'MailProg=/bin/true',
      // starts a submitted job at once, not at the next backfill pass
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      // `sbatch --wait` polls at 2 s, then 4 times longer while under half of MinJobAge (default 300: 2, 8, 32 s):
      // 16 keeps its polls at 8 s, and a finished job's record twice that long
      'MinJobAge=16',
      `NodeName=${this.host} NodeAddr=127.0.0.1 CPUs=${os.availableParallelism()} State=UNKNOWN`,
      `PartitionName=test Nodes=${this.host} Default=YES MaxTime=INFINITE State=UP`,
    ].join('\n') + '\n');
    const daemon = async (name: string, args: string[]) => {
      const r = await run(onPath(name)!, args, this.env);
      if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr.trim()}${this.logs()}`);
      const pidFile = at(`${name}.pid`);
      const t0 = Date.now();
      while (!existsSync(pidFile) && Date.now() - t0 < 10_000) await sleep(100);
      if (!existsSync(pidFile)) throw new Error(`${name} wrote no ${pidFile}${this.logs()}`);
      this.pids.set(name, Number(readFileSync(pidFile, 'utf8').trim()));
    };
    // each daemon forks into the background once it is ready, and writes its pid file
    await daemon('munged', ['--key-file', at('munge.key'), '--socket', socket, '--pid-file', at('munged.pid'),
      '--log-file', at('munged.log'), '--seed-file', at('munged.seed'), '--force']);
    await daemon('slurmctld', ['-f', this.conf]);
    await daemon('slurmd', ['-f', this.conf]);
    const t0 = Date.now();
    let state = '';
    while (Date.now() - t0 < 30_000) {
      const r = await run(onPath('sinfo')!, ['--noheader', '--Node', '--nodes', this.host, '--format', '%T'], this.env);
      state = r.code === 0 ? r.stdout.trim() : r.stderr.trim();
      if (state === 'idle') return;
      await sleep(250);
    }
    throw new Error(`node ${this.host} not idle after 30 s (sinfo: ${state || 'nothing'})${this.logs()}`);
  }

  /** The daemons' log tails, for an error message. */
  logs(): string {
    return ['munged.log', 'slurmctld.log', 'slurmd.log'].map((f) => path.join(this.dir, f)).filter(existsSync)
      .map((f) => `\n--- ${path.basename(f)}:\n${readFileSync(f, 'utf8').trim().split('\n').slice(-15).join('\n')}`).join('');
  }

  /** Cancels `jobs`, then stops the daemons this cluster started (by their pid files), slurmd first. */
  async stop(jobs: string[]): Promise<void> {
    if (jobs.length > 0 && this.pids.has('slurmctld')) await run(onPath('scancel')!, jobs, this.env, 10_000);
    for (const name of ['slurmd', 'slurmctld', 'munged']) {
      const file = path.join(this.dir, `${name}.pid`);
      const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : this.pids.get(name);
      if (!pid) continue;
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      if (!alive()) continue;
      process.kill(pid, 'SIGTERM');
      const t0 = Date.now();
      while (alive() && Date.now() - t0 < 10_000) await sleep(100);
      if (alive()) process.kill(pid, 'SIGKILL');
    }
  }
}

// The tiny data of ablate.test.ts; a 2-fold learning curve over two real fractions, with and without
// mirroring: 8 cells in 8 (fold, fraction, augmenter) groups, which the shards deal between them.
// No learned generator: seconds of training, and no cell trained by both shards.
const data = proceduralDataset({ identities: 8, perEmotion: 4, frames: 16, seed: 5 });
const config: AblationConfig = {
  splits: { mode: 'kfold', folds: 2 },
  realFractions: [0.5, 1],
  augmenters: ['none', 'mirror'],
  counts: [0, 3],
  classifiers: ['baseline-step'],
  seeds: 1,
  classifier: { epochs: 1, batchSize: 8 },
};

type Row = { key: string; accuracy: number; confusion: number[][] };
/** Result rows sorted by cell key, without their wall times (as in ablate.test.ts). */
const rows = (runDir: string): Row[] =>
  (JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).cells as (Row & { wall_seconds?: number })[])
    .map(({ wall_seconds: _, ...r }) => r)
    .sort((a, b) => a.key.localeCompare(b.key));

describe.skipIf(missing.length > 0)('the Slurm array of docs/pipeline.md on a one-node cluster', () => {
  let dir: string;
  let cluster: Cluster | undefined;
  let unavailable: string | undefined;
  const jobs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gf-slurm-'));
    if (process.getuid?.() !== 0) {
      unavailable = 'the daemons run as root (SlurmUser root) and this is not root';
      return;
    }
    const host = (await run('hostname', ['-s'])).stdout.trim() || os.hostname().split('.')[0]!;
    cluster = new Cluster(path.join(dir, 'cluster'), host);
    for (const d of ['state', 'spool']) mkdirSync(path.join(cluster.dir, d), { recursive: true });
    try {
      await cluster.start();
    } catch (e) {
      unavailable = `the one-node cluster did not start: ${(e as Error).message}`;
    }
  }, 60_000);

  afterAll(async () => {
    try {
      await cluster?.stop(jobs);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('scripts/slurm/ablate-array.sh as a 2-task array, merged by `ablate merge`, equals the unsharded run cell for cell', async ({ skip }) => {
    if (unavailable) {
      console.warn(`skipping the Slurm array test: ${unavailable}`);
      skip(unavailable);
    }
    const dataPath = path.join(dir, 'data.parquet');
    const configPath = path.join(dir, 'curve.yaml');
    await writeGaitFile(dataPath, data);
    writeFileSync(configPath, stringify(config));
    const runs = path.join(dir, 'runs');
    const env = {
      ...cluster!.env,
      // the job runs this test's node on the built CLI
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
      GAITFORGE_CLI: path.join(REPO, 'dist/cli/main.js'),
      GAITFORGE_DATA: dataPath,
      GAITFORGE_CONFIG: configPath,
      GAITFORGE_RUN_DIR: runs,
    };
    const array = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // --parsable: the job id alone (its first line), for scancel should the test end first
      const child = execFile(onPath('sbatch')!, ['--parsable', '--array=1-2', '--wait', `--output=${path.join(dir, 'slurm-%A_%a.out')}`,
        `--chdir=${dir}`, SCRIPT, '--quiet', '--backend', 'wasm'], { env, timeout: 110_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
      child.stdout!.once('data', (d: Buffer) => jobs.push(String(d).trim().split(/[;\s]/)[0]!));
    });
    // the unsharded run, in this process, while the array's tasks train
    await initBackend('wasm');
    const full = await ablate({ dataPath, config, runDir: path.join(dir, 'full') });
    expect(full.complete).toBe(true);
    const reference = rows(path.join(dir, 'full'));
    expect(reference).toHaveLength(2 * 2 * 2); // folds × fractions × (none, mirror)

    const a = await array;
    const outputs = readdirSync(dir).filter((f) => f.startsWith('slurm-')).sort()
      .map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
    expect(a.code, `sbatch: ${a.stderr}\n${outputs}${cluster!.logs()}`).toBe(0);
    // each task computed its shard from the array
    expect(outputs).toMatch(/task 1 on \S+: shard 1\/2 into .*shard-1/);
    expect(outputs).toMatch(/task 2 on \S+: shard 2\/2 into .*shard-2/);
    const shards = [1, 2].map((k) => path.join(runs, `shard-${k}`));
    for (const s of shards) expect(existsSync(path.join(s, 'report.md'))).toBe(false);
    const held = shards.map((s) => collectResults([s]).cells);
    for (const cells of held) {
      expect(cells.length).toBeGreaterThan(0);
      expect(cells.length).toBeLessThan(reference.length);
    }
    expect(held[0]!.length + held[1]!.length).toBe(reference.length);
    expect(new Set(held.flat().map((c) => c.key)).size).toBe(reference.length);

    const merged = path.join(dir, 'merged');
    const m = await runCli('ablate', 'merge', ...shards, '--out', merged, '--quiet');
    expect(m.status, m.stderr).toBe(0);
    expect(rows(merged)).toEqual(reference);
    expect(readFileSync(path.join(merged, 'report.md'), 'utf8')).toMatch(/## Learning curve/);
  }, 120_000);
});

import { spawn } from 'node:child_process';

/**
 * Runs the built CLI (dist/cli/main.js, built by `npm test`'s tsc) without blocking the test
 * worker: a long synchronous spawn starves vitest's RPC with its main process.
 */
export function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['dist/cli/main.js', ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

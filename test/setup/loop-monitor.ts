/**
 * Event-loop watchdog for test runs (a vitest setup file). With
 * GAITFORGE_LOOP_REPORT=<dir> set, a 20 ms heartbeat records every gap
 * longer than 250 ms between its beats, with the test (or hook phase) that
 * was running when the gap began, and writes one JSON file per test file to
 * <dir> after the file's tests, with the file's wall and CPU seconds (the
 * worker's own, not its children's); scripts/loop-report.mjs lists the worst.
 * Without the variable it does nothing. A gap is time in which the worker
 * could not answer Vitest's RPC (e.g. "Timeout calling onTaskUpdate").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';

const dir = process.env.GAITFORGE_LOOP_REPORT;
if (dir) {
  const BEAT_MS = 20;
  const RECORD_MS = 250;
  const file = path.relative(process.cwd(), (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__?.filepath ?? 'unknown');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let phase = '(collect/beforeAll)';
  let last = performance.now();
  let lastPhase = phase;
  const gaps: { ms: number; at: number; began: string; ended: string }[] = [];
  const beat = () => {
    const now = performance.now();
    const gap = now - last - BEAT_MS;
    if (gap > RECORD_MS) gaps.push({ ms: Math.round(gap), at: Math.round(last - t0), began: lastPhase, ended: phase });
    last = now;
    lastPhase = phase;
  };
  const timer = setInterval(beat, BEAT_MS);
  timer.unref();
  beforeEach((ctx) => {
    beat();
    phase = ctx.task.name;
    lastPhase = phase;
  });
  afterEach(() => {
    beat();
    phase = '(between tests/afterAll)';
    lastPhase = phase;
  });
  afterAll(() => {
    beat();
    clearInterval(timer);
    mkdirSync(dir, { recursive: true });
    const cpu = process.cpuUsage(cpu0);
    const out = { file, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, worstMs: Math.max(0, ...gaps.map((g) => g.ms)), gaps };
    writeFileSync(path.join(dir, `${file.replace(/[\\/]/g, '__')}.json`), JSON.stringify(out, null, 1));
  });
}

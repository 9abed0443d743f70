#!/usr/bin/env node
// Lists the test files whose event loop was blocked longest, from the JSON files that
// test/setup/loop-monitor.ts writes to GAITFORGE_LOOP_REPORT, with their wall and CPU seconds.
// Usage: node scripts/loop-report.mjs DIR [N] [block|cpu]   (sorted by longest block, or by CPU)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, n = '15', by = 'block'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/loop-report.mjs DIR [N] [block|cpu]');
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
files.sort(by === 'cpu' ? (a, b) => b.cpuSeconds - a.cpuSeconds : (a, b) => b.worstMs - a.worstMs);
const s = (ms) => (ms / 1000).toFixed(1).padStart(6);
console.log(`longest event-loop block per test file (worst ${n} of ${files.length}, by ${by === 'cpu' ? 'CPU seconds' : 'longest block'}):`);
console.log(`${'block s'.padStart(8)} ${'blocked s'.padStart(9)} ${'file s'.padStart(7)} ${'cpu s'.padStart(6)}  file :: test where the longest block began`);
for (const f of files.slice(0, Number(n))) {
  const worst = f.gaps.reduce((a, g) => (g.ms > (a?.ms ?? -1) ? g : a), null);
  const blocked = f.gaps.reduce((a, g) => a + g.ms, 0);
  console.log(`${s(f.worstMs).padStart(8)} ${s(blocked).padStart(9)} ${s(f.seconds * 1000).padStart(7)} ${s((f.cpuSeconds ?? NaN) * 1000)}  ${f.file} :: ${worst ? worst.began : '-'}`);
}

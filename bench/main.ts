/**
 * `npm run bench [-- --only a,b] [--quick] [--compare-torch]`: runs every
 * section in bench/ (each file exporting `section`) and prints JSON lines
 * and a table. A benchmark, not a test: run it on an idle machine and quote
 * ratios measured within one run.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFilesAtomic } from '../src/core/files.js';
import { BENCH_RUN_FILE, type BenchRun } from '../src/pipeline/results-page.js';
import { option, type BenchRow, type BenchSection } from './common.js';

async function main() {
  const argv = process.argv.slice(2);
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(argv[onlyIdx + 1]!.split(',')) : null;
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !/^(main|common)\./.test(f)).sort();
  const sections: BenchSection[] = [];
  for (const f of files) {
    const m = (await import(pathToFileURL(path.join(dir, f)).href)) as { section?: BenchSection };
    if (m.section && (!only || only.has(m.section.name))) sections.push(m.section);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log([
      'npm run bench -- [--only SECTION,...] [--quick] [--out DIR] [section options]',
      '  --out DIR: write the run folder DIR/bench.json (rows, tables, command, machine); `gaitforge report DIR --out PAGE.md` makes its results page',
      '',
      'A benchmark, not a test: run it on an idle machine (check uptime) and quote ratios measured in one run.',
      '',
      'sections:',
      ...sections.map((s) => `  ${s.name.padEnd(18)} ${s.describe}`),
      '',
      'nn options: --compare-torch (PyTorch reference, /usr/bin/python3 with torch on OpenBLAS; writes docs/results/speed.{json,md}),',
      '  --threads N (default: the cores), --torch-max-threads N (PyTorch at 1..N threads, its best per phase; default: --threads),',
      '  --no-results, --results-dir DIR, --clock wall|cpu (default wall), --seconds S, --rounds R (default 3, --quick 1), --batches B,... (training batches, default 8,16,32, --quick 8), --presets default,step-paper,',
      '  --backend auto|wasm|cpu|node|node-gpu, --torch-script PATH',
    ].join('\n'));
    return;
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  const head = { bench: 'gaitforge', date: new Date().toISOString(), machine, loadAverage: os.loadavg().map((x) => +x.toFixed(2)) };
  console.log(JSON.stringify(head));
  // --out DIR: a run folder (bench.json) that `gaitforge report DIR` turns into a results page
  const out = option(argv, '--out');
  const run: BenchRun = { ...head, command: `npm run bench -- ${argv.join(' ')}`, sections: [], wallSeconds: 0 };
  const t0 = performance.now();
  const save = () => {
    if (!out) return;
    run.wallSeconds = (performance.now() - t0) / 1000;
    writeFilesAtomic([{ path: path.join(out, BENCH_RUN_FILE), data: JSON.stringify(run, null, 2) }]);
  };
  for (const s of sections) {
    const rows: BenchRow[] = [];
    const markdown: string[] = [];
    run.sections.push({ name: s.name, describe: s.describe, rows, markdown });
    console.error(`\n== ${s.name}: ${s.describe}`);
    await s.run({
      argv, quick: argv.includes('--quick'),
      report(row) {
        rows.push(row);
        console.log(JSON.stringify(row));
        save();
      },
      markdown(md) {
        markdown.push(md);
        save();
      },
    });
    save();
    const w = Math.max(4, ...rows.map((r) => r.name.length));
    console.error(`${'name'.padEnd(w)}  ${'value'.padStart(12)}  unit`);
    for (const r of rows) console.error(`${r.name.padEnd(w)}  ${r.value.toPrecision(5).padStart(12)}  ${r.unit}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

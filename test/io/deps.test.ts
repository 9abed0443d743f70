import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md: io depends only on core and never on tfjs. Follow every import reachable from src/io/index.ts.
const root = path.resolve(fileURLToPath(new URL('../../src/io/index.ts', import.meta.url)));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

describe('io dependencies', () => {
  it('reach core and data libraries only, never tfjs or other src areas', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const stack = [root];
    while (stack.length) {
      const f = stack.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const spec of imports(f)) {
        if (spec.startsWith('.')) stack.push(path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts')));
        else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    const src = path.dirname(path.dirname(root));
    const areas = new Set([...seen].map((f) => path.relative(src, f).split(path.sep)[0]));
    expect([...areas].sort()).toEqual(['core', 'io']);
    expect([...packages].filter((p) => p.includes('tensorflow'))).toEqual([]);
    expect([...packages].filter((p) => !p.startsWith('node:')).sort()).toEqual(['apache-arrow', 'h5wasm', 'ml-matrix', 'parquet-wasm', 'seedrandom', 'three']);
  });
});

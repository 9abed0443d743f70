import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The README and docs/ as a user follows them: every `import { ... } from 'gaitforge...'` line names
// exports that exist in the built package (the package resolves itself through its exports map),
// and every relative link leads to a file of the repository.
const root = path.resolve(import.meta.dirname, '..');
const markdownIn = (dir: string) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`);
const pages = ['README.md', ...markdownIn('docs')];
// results pages link their plots and filmstrips, copied beside them by `gaitforge report`
const resultsPages = markdownIn('docs/results');

describe('documented imports', () => {
  it('name exports of the package or its subpaths', async () => {
    const missing: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const text = readFileSync(path.join(root, page), 'utf8');
      for (const m of text.matchAll(/^import \{([^}]*)\} from '(gaitforge(?:\/[a-z]+)?)';$/gm)) {
        const mod = (await import(m[2]!)) as Record<string, unknown>;
        for (const raw of m[1]!.split(',')) {
          const name = raw.trim().replace(/^type\s+/, '');
          if (!name || raw.trim().startsWith('type ')) continue; // types vanish at run time
          checked++;
          if (!(name in mod)) missing.push(`${page}: ${name} from '${m[2]}'`);
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  }, 60_000);
  it('link only to files that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of [...pages, ...resultsPages]) {
      const text = readFileSync(path.join(root, page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z]+:/i.test(target)) continue; // same-page anchors, web addresses
        checked++;
        if (!existsSync(path.resolve(root, path.dirname(page), target))) broken.push(`${page}: ${m[1]}`);
      }
    }
    expect(checked).toBeGreaterThan(70);
    expect(broken).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every `import { ... } from 'gaitforge...'` line of the README and docs/ names exports that exist
// in the built package (the package resolves itself through its exports map), so a user's copy of
// an example runs.
const root = path.resolve(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

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
});

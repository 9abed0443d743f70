import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** gaitforge's package folder (works from src/ under a test runner and from dist/src/ when built). */
export const PACKAGE_ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const f = path.join(dir, 'package.json');
    if (existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as { name?: string }).name === 'gaitforge') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('gaitforge: cannot find its own package.json');
    dir = up;
  }
})();

/** gaitforge's own version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;


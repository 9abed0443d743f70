/** sharedEffect (src/core/process-wide.ts): one install for overlapping holders, undone by the last release. */
import { describe, expect, it } from 'vitest';
import { sharedEffect } from '../src/core/process-wide.js';

describe('sharedEffect', () => {
  it('installs once for overlapping holders, undoes at the last release, and ignores a second release', () => {
    const log: string[] = [];
    const hold = sharedEffect(() => {
      log.push('install');
      return () => log.push('undo');
    });
    const a = hold();
    const b = hold();
    expect(log).toEqual(['install']);
    a();
    a(); // a second release of the same hold must not release b's
    expect(log).toEqual(['install']);
    b();
    expect(log).toEqual(['install', 'undo']);
    const c = hold();
    expect(log).toEqual(['install', 'undo', 'install']);
    c();
    expect(log).toEqual(['install', 'undo', 'install', 'undo']);
  });
});

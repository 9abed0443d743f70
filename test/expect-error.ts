import { expect } from 'vitest';
import { GaitforgeError } from '../src/core/errors.js';

/** The GaitforgeError that a promise rejects with or a function throws (fails the test when there is none, or it is another error). */
export async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<GaitforgeError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(GaitforgeError);
    return e as GaitforgeError;
  }
  throw new Error('expected an error');
}

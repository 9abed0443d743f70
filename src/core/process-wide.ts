/**
 * Process-wide side effects held only while a call needs them: the first
 * holder installs the effect, the last release undoes it, so overlapping
 * holders (async exports, concurrent training engines) share one install and
 * the rest of the process sees its state as it was once they are done.
 */

/**
 * A hold on the effect that `install` makes and whose returned function
 * undoes: each call of the result holds it until the function it returns is
 * called (once; later calls do nothing).
 */
export function sharedEffect(install: () => () => void): () => () => void {
  let holders = 0;
  let undo: (() => void) | null = null;
  return () => {
    if (holders++ === 0) undo = install();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--holders > 0) return;
      undo?.();
      undo = null;
    };
  };
}

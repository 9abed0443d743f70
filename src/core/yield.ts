/**
 * One turn of the event loop for long library work. `await yieldToEventLoop()`
 * between training steps, batches or chunks lets timers, I/O, signals
 * (Ctrl-C), progress bars and a test runner's RPC through; work that holds
 * the loop for long on a loaded machine looks hung to all of them. Awaiting a
 * resolved promise is no yield, nor is `await tensor.data()` on the wasm and
 * cpu backends (it resolves on a microtask): setImmediate is.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

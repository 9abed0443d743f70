import { defineCommand, emit, globalOptions } from '../util.js';

export const info = defineCommand({
  command: 'info',
  describe: 'Show the compute backend in use, its SIMD/threads, versions, and why faster backends were not used',
  builder: (y) => globalOptions(y),
  handler: async (argv) => {
    const { initBackend, VERSION } = await import('../lib.js');
    const b = await initBackend(argv.backend);
    const lines = [
      `gaitforge ${VERSION}`,
      `backend: ${b.chosen} (tfjs backend '${b.tfBackend}', requested ${b.requested})`,
    ];
    if (b.chosen === 'wasm')
      lines.push(`wasm: SIMD ${b.simd ? 'on' : 'off'}, threads ${b.threads ? 'on' : 'off (tfjs runs wasm single-threaded under Node)'}`);
    for (const s of b.skipped) lines.push(`not used: ${s.backend}: ${s.reason}`);
    if (b.skipped.some((s) => s.backend === 'node-gpu' || s.backend === 'node'))
      lines.push('(install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node 4.22.0 next to gaitforge for native speed: see README, "Using a GPU")');
    lines.push(`versions: ${Object.entries(b.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    emit(argv, { version: VERSION, ...b }, lines);
  },
});

/**
 * WebAssembly SIMD versions of the memory-bound kernels of kernels.ts (batch
 * norm's column statistics, graph mixing) for the wasm backend: a small module,
 * assembled here from its instructions, that imports the tfjs wasm backend's
 * memory and works on tensors where they lie. Assembled in code, so the
 * package needs no wasm toolchain, binary blob or build step. Arithmetic is
 * float32 (4 lanes) with float64 totals every 64 rows: results match the
 * JavaScript kernels to float32 rounding. Used only when rows are multiples of 4 floats.
 */

// --- a minimal wasm binary encoder ------------------------------------------------------------

const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const s32 = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
const str = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** The instructions the kernels use. */
const op = {
  get: (i: number) => [0x20, ...u32(i)],
  set: (i: number) => [0x21, ...u32(i)],
  tee: (i: number) => [0x22, ...u32(i)],
  i32: (n: number) => [0x41, ...s32(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  ltU: [0x49],
  geU: [0x4f],
  eqz: [0x45],
  /** f32 load/store with a byte offset. */
  f32Load: (off = 0) => [0x2a, 2, ...u32(off)],
  f64Load: (off = 0) => [0x2b, 3, ...u32(off)],
  f64Store: (off = 0) => [0x39, 3, ...u32(off)],
  i32Load: (off = 0) => [0x28, 2, ...u32(off)],
  f64Add: [0xa0],
  f64Promote: [0xbb],
  f64Const0: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (l: number) => [0x0c, ...u32(l)],
  brIf: (l: number) => [0x0d, ...u32(l)],
  select: [0x1b],
  // SIMD (prefix 0xfd)
  vLoad: (off = 0) => [0xfd, ...u32(0), 0, ...u32(off)], // align 1: rows are 4-float aligned only
  vStore: (off = 0) => [0xfd, ...u32(11), 0, ...u32(off)],
  vZero: [0xfd, ...u32(12), ...new Array<number>(16).fill(0)],
  f32x4Splat: [0xfd, ...u32(19)],
  f32x4Add: [0xfd, ...u32(228)],
  f32x4Sub: [0xfd, ...u32(229)],
  f32x4Mul: [0xfd, ...u32(230)],
  f32x4Max: [0xfd, ...u32(233)],
  f32x4Gt: [0xfd, ...u32(68)],
  vAnd: [0xfd, ...u32(78)],
  f32x4Lane: (l: number) => [0xfd, ...u32(31), l],
};

/**
 * `for (i = from; i < to; i += step) body` with i, to in locals (to read, i written):
 * the loop is skipped when from >= to.
 */
function forLoop(i: number, from: number[], to: number[], step: number[], body: number[]): number[] {
  return [
    ...from, ...op.set(i),
    ...op.block,
    ...op.get(i), ...to, ...op.geU, ...op.brIf(0),
    ...op.loop,
    ...body,
    ...op.get(i), ...step, ...op.add, ...op.tee(i), ...to, ...op.ltU, ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

interface Fn {
  name: string;
  params: number[];
  locals: number[];
  body: number[];
}

function assemble(fns: Fn[]): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec([])]);
  const code = fns.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, ...op.end];
    return [...u32(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x00]])), // memory, min 0 pages, no max
    ...section(3, vec(fns.map((_, i) => u32(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...u32(i)]))),
    ...section(10, vec(code)),
  ]);
}

// --- the kernels --------------------------------------------------------------------------------

/** Rows summed in float32 lanes before each float64 flush. */
const BLOCK = 64;

/**
 * columnDots(a, b, m, c, acc, tot): tot[j] = Σ_r a[r, j], tot[c + j] = Σ_r a[r, j]·b[r, j]
 * (float64), for a, b: [m, c] float32, c % 4 == 0; acc: scratch of 2c float32.
 * Masked (columnDotsMasked(a, b, m, c, acc, tot, mask)): a[r, j] counts only where
 * mask[r, j] > 0 (the gradient through a ReLU whose output is `mask`).
 */
function columnDotsFn(masked: boolean): Fn {
  const [a, b, m, c, acc, tot, mask] = [0, 1, 2, 3, 4, 5, 6];
  const first = masked ? 7 : 6;
  const [row, blockEnd, j, rowBytes, pa, pb, r, pm] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => first + i) as [number, number, number, number, number, number, number, number];
  // a's 4 lanes at column byte j, masked: a & (mask > 0)
  const loadA = masked
    ? [...op.get(pa), ...op.get(j), ...op.add, ...op.vLoad(), ...op.get(pm), ...op.get(j), ...op.add, ...op.vLoad(), ...op.vZero, ...op.f32x4Gt, ...op.vAnd]
    : [...op.get(pa), ...op.get(j), ...op.add, ...op.vLoad()];
  const cBytes = [...op.get(rowBytes)];
  const zeroAcc = forLoop(j, op.i32(0), [...cBytes, ...op.i32(2), ...op.mul], op.i32(16), [
    ...op.get(acc), ...op.get(j), ...op.add, ...op.vZero, ...op.vStore(),
  ]);
  const accumulateRow = forLoop(j, op.i32(0), cBytes, op.i32(16), [
    // acc[j] += a; acc[c + j] += a * b
    ...op.get(acc), ...op.get(j), ...op.add,
    ...op.get(acc), ...op.get(j), ...op.add, ...op.vLoad(),
    ...loadA,
    ...op.f32x4Add, ...op.vStore(),
    ...op.get(acc), ...op.get(rowBytes), ...op.add, ...op.get(j), ...op.add,
    ...op.get(acc), ...op.get(rowBytes), ...op.add, ...op.get(j), ...op.add, ...op.vLoad(),
    ...loadA,
    ...op.get(pb), ...op.get(j), ...op.add, ...op.vLoad(),
    ...op.f32x4Mul, ...op.f32x4Add, ...op.vStore(),
  ]);
  // tot[k] += f64(acc[k]) for k < 2c: j counts float32 bytes, the float64 address is 2j
  const flush = forLoop(j, op.i32(0), [...cBytes, ...op.i32(2), ...op.mul], op.i32(4), [
    ...op.get(tot), ...op.get(j), ...op.i32(2), ...op.mul, ...op.add,
    ...op.get(tot), ...op.get(j), ...op.i32(2), ...op.mul, ...op.add, ...op.f64Load(),
    ...op.get(acc), ...op.get(j), ...op.add, ...op.f32Load(), ...op.f64Promote,
    ...op.f64Add, ...op.f64Store(),
  ]);
  const zeroTot = forLoop(j, op.i32(0), [...cBytes, ...op.i32(4), ...op.mul], op.i32(8), [
    ...op.get(tot), ...op.get(j), ...op.add, ...op.f64Const0, ...op.f64Store(),
  ]);
  const body = [
    ...op.get(c), ...op.i32(4), ...op.mul, ...op.set(rowBytes),
    ...zeroTot,
    ...forLoop(row, op.i32(0), op.get(m), op.i32(BLOCK), [
      // blockEnd = min(row + BLOCK, m)
      ...op.get(row), ...op.i32(BLOCK), ...op.add, ...op.get(m),
      ...op.get(row), ...op.i32(BLOCK), ...op.add, ...op.get(m), ...op.ltU, ...op.select, ...op.set(blockEnd),
      ...zeroAcc,
      ...forLoop(r, op.get(row), op.get(blockEnd), op.i32(1), [
        ...op.get(a), ...op.get(r), ...op.get(rowBytes), ...op.mul, ...op.add, ...op.set(pa),
        ...op.get(b), ...op.get(r), ...op.get(rowBytes), ...op.mul, ...op.add, ...op.set(pb),
        ...(masked ? [...op.get(mask), ...op.get(r), ...op.get(rowBytes), ...op.mul, ...op.add, ...op.set(pm)] : []),
        ...accumulateRow,
      ]),
      ...flush,
    ]),
  ];
  return { name: masked ? 'columnDotsMasked' : 'columnDots', params: new Array<number>(first).fill(I32), locals: new Array<number>(8).fill(I32), body };
}

/** `for (r < m) for (j < c·4 bytes, 16 at a time) body(rowOffset, j)`: the row-by-lanes walk of the element-wise kernels. */
function rowsByLanes(m: number, c: number, [r, j, ro, rowBytes]: number[], body: number[]): number[] {
  return [
    ...op.get(c), ...op.i32(4), ...op.mul, ...op.set(rowBytes!),
    ...forLoop(r!, op.i32(0), op.get(m), op.i32(1), [
      ...op.get(r!), ...op.get(rowBytes!), ...op.mul, ...op.set(ro!),
      ...forLoop(j!, op.i32(0), op.get(rowBytes!), op.i32(16), body),
    ]),
  ];
}

/** Lanes at byte j of row offset ro of the [m, c] tensor at `base`, or of the [c] vector at `base`. */
const rowLanes = (base: number, ro: number, j: number) => [...op.get(base), ...op.get(ro), ...op.add, ...op.get(j), ...op.add, ...op.vLoad()];
const chLanes = (base: number, j: number) => [...op.get(base), ...op.get(j), ...op.add, ...op.vLoad()];

/** bnApply(x, scale, shift, y, m, c, relu): y = x·scale + shift (then max(·, 0) when relu ≠ 0), per channel; c % 4 == 0. */
function bnApplyFn(relu: boolean): Fn {
  const [x, scale, shift, y, m, c] = [0, 1, 2, 3, 4, 5];
  const L = [6, 7, 8, 9];
  const [, j, ro] = L as [number, number, number];
  const body = rowsByLanes(m, c, L, [
    ...op.get(y), ...op.get(ro), ...op.add, ...op.get(j), ...op.add,
    ...rowLanes(x, ro, j), ...chLanes(scale, j), ...op.f32x4Mul, ...chLanes(shift, j), ...op.f32x4Add,
    ...(relu ? [...op.vZero, ...op.f32x4Max] : []),
    ...op.vStore(),
  ]);
  return { name: relu ? 'bnApplyRelu' : 'bnApply', params: new Array<number>(6).fill(I32), locals: new Array<number>(4).fill(I32), body };
}

/**
 * bnGrad(dy, y, x, scale, a, b, dx, m, c): dx = g·scale − x·a − b per channel, with g = dy,
 * or (relu) dy where y > 0 and 0 elsewhere; c % 4 == 0.
 */
function bnGradFn(relu: boolean): Fn {
  const [dy, y, x, scale, a, b, dx, m, c] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = [9, 10, 11, 12];
  const [, j, ro] = L as [number, number, number];
  const g = relu ? [...rowLanes(dy, ro, j), ...rowLanes(y, ro, j), ...op.vZero, ...op.f32x4Gt, ...op.vAnd] : rowLanes(dy, ro, j);
  const body = rowsByLanes(m, c, L, [
    ...op.get(dx), ...op.get(ro), ...op.add, ...op.get(j), ...op.add,
    ...g, ...chLanes(scale, j), ...op.f32x4Mul,
    ...rowLanes(x, ro, j), ...chLanes(a, j), ...op.f32x4Mul, ...op.f32x4Sub,
    ...chLanes(b, j), ...op.f32x4Sub,
    ...op.vStore(),
  ]);
  return { name: relu ? 'bnGradRelu' : 'bnGrad', params: new Array<number>(9).fill(I32), locals: new Array<number>(4).fill(I32), body };
}

/**
 * slotMix(x, y, rows, sIn, sOut, c, ptr, srcOff, w): y[r, d, :] = Σ_{t ∈ [ptr[d], ptr[d+1])}
 * w[t] · x[r, src_t, :] with srcOff[t] = src_t · c · 4 (bytes), c % 4 == 0; an empty slot is 0.
 */
function slotMixFn(): Fn {
  const [x, y, rows, sIn, sOut, c, ptr, srcOff, w] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, d, f, t, tEnd, xr, yo, slotBytes, vacc] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const body = [
    ...op.get(c), ...op.i32(4), ...op.mul, ...op.set(slotBytes),
    ...forLoop(r, op.i32(0), op.get(rows), op.i32(1), [
      ...op.get(x), ...op.get(r), ...op.get(sIn), ...op.mul, ...op.get(slotBytes), ...op.mul, ...op.add, ...op.set(xr),
      ...forLoop(d, op.i32(0), op.get(sOut), op.i32(1), [
        ...op.get(y), ...op.get(r), ...op.get(sOut), ...op.mul, ...op.get(d), ...op.add, ...op.get(slotBytes), ...op.mul, ...op.add, ...op.set(yo),
        ...op.get(ptr), ...op.get(d), ...op.i32(4), ...op.mul, ...op.add, ...op.i32Load(4), ...op.set(tEnd),
        ...forLoop(f, op.i32(0), op.get(slotBytes), op.i32(16), [
          ...op.vZero, ...op.set(vacc),
          ...forLoop(t, [...op.get(ptr), ...op.get(d), ...op.i32(4), ...op.mul, ...op.add, ...op.i32Load()], op.get(tEnd), op.i32(1), [
            ...op.get(vacc),
            ...op.get(w), ...op.get(t), ...op.i32(4), ...op.mul, ...op.add, ...op.f32Load(), ...op.f32x4Splat,
            ...op.get(xr), ...op.get(srcOff), ...op.get(t), ...op.i32(4), ...op.mul, ...op.add, ...op.i32Load(), ...op.add, ...op.get(f), ...op.add, ...op.vLoad(),
            ...op.f32x4Mul, ...op.f32x4Add, ...op.set(vacc),
          ]),
          ...op.get(yo), ...op.get(f), ...op.add, ...op.get(vacc), ...op.vStore(),
        ]),
      ]),
    ]),
  ];
  return { name: 'slotMix', params: new Array<number>(9).fill(I32), locals: [...new Array<number>(8).fill(I32), V128], body };
}

/**
 * slotMixWeightGrad(x, dy, rows, sIn, sOut, c, src, dst, nnz, tot): tot[t] = Σ_r Σ_f
 * x[r, src_t, f] · dy[r, dst_t, f] (float64), float32 lanes summed over blocks of 64 rows;
 * src, dst: slot indices (int32), c % 4 == 0.
 */
function slotMixWeightGradFn(): Fn {
  const [x, dy, rows, sIn, sOut, c, src, dst, nnz, tot] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [row, blockEnd, t, r, f, xo, yo, slotBytes, vacc] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const lane = (l: number) => [...op.get(vacc), ...op.f32x4Lane(l), ...op.f64Promote];
  const body = [
    ...op.get(c), ...op.i32(4), ...op.mul, ...op.set(slotBytes),
    ...forLoop(t, op.i32(0), op.get(nnz), op.i32(1), [
      ...op.get(tot), ...op.get(t), ...op.i32(8), ...op.mul, ...op.add, ...op.f64Const0, ...op.f64Store(),
    ]),
    ...forLoop(row, op.i32(0), op.get(rows), op.i32(BLOCK), [
      ...op.get(row), ...op.i32(BLOCK), ...op.add, ...op.get(rows),
      ...op.get(row), ...op.i32(BLOCK), ...op.add, ...op.get(rows), ...op.ltU, ...op.select, ...op.set(blockEnd),
      ...forLoop(t, op.i32(0), op.get(nnz), op.i32(1), [
        ...op.vZero, ...op.set(vacc),
        ...forLoop(r, op.get(row), op.get(blockEnd), op.i32(1), [
          // xo = x + (r·sIn + src[t])·slotBytes; yo = dy + (r·sOut + dst[t])·slotBytes
          ...op.get(x), ...op.get(r), ...op.get(sIn), ...op.mul,
          ...op.get(src), ...op.get(t), ...op.i32(4), ...op.mul, ...op.add, ...op.i32Load(), ...op.add,
          ...op.get(slotBytes), ...op.mul, ...op.add, ...op.set(xo),
          ...op.get(dy), ...op.get(r), ...op.get(sOut), ...op.mul,
          ...op.get(dst), ...op.get(t), ...op.i32(4), ...op.mul, ...op.add, ...op.i32Load(), ...op.add,
          ...op.get(slotBytes), ...op.mul, ...op.add, ...op.set(yo),
          ...forLoop(f, op.i32(0), op.get(slotBytes), op.i32(16), [
            ...op.get(vacc),
            ...op.get(xo), ...op.get(f), ...op.add, ...op.vLoad(),
            ...op.get(yo), ...op.get(f), ...op.add, ...op.vLoad(),
            ...op.f32x4Mul, ...op.f32x4Add, ...op.set(vacc),
          ]),
        ]),
        // tot[t] += Σ lanes
        ...op.get(tot), ...op.get(t), ...op.i32(8), ...op.mul, ...op.add,
        ...op.get(tot), ...op.get(t), ...op.i32(8), ...op.mul, ...op.add, ...op.f64Load(),
        ...lane(0), ...op.f64Add, ...lane(1), ...op.f64Add, ...lane(2), ...op.f64Add, ...lane(3), ...op.f64Add,
        ...op.f64Store(),
      ]),
    ]),
  ];
  return { name: 'slotMixWeightGrad', params: new Array<number>(10).fill(I32), locals: [...new Array<number>(8).fill(I32), V128], body };
}

let moduleBytes: Uint8Array<ArrayBuffer> | null = null;

export interface SimdKernels {
  columnDots(a: number, b: number, m: number, c: number, acc: number, tot: number): void;
  columnDotsMasked(a: number, b: number, m: number, c: number, acc: number, tot: number, mask: number): void;
  bnApply(x: number, scale: number, shift: number, y: number, m: number, c: number): void;
  bnApplyRelu(x: number, scale: number, shift: number, y: number, m: number, c: number): void;
  bnGrad(dy: number, y: number, x: number, scale: number, a: number, b: number, dx: number, m: number, c: number): void;
  bnGradRelu(dy: number, y: number, x: number, scale: number, a: number, b: number, dx: number, m: number, c: number): void;
  slotMix(x: number, y: number, rows: number, sIn: number, sOut: number, c: number, ptr: number, srcOff: number, w: number): void;
  slotMixWeightGrad(x: number, dy: number, rows: number, sIn: number, sOut: number, c: number, src: number, dst: number, nnz: number, tot: number): void;
}

/** The wasm backend's module object: its memory and allocator. */
export interface WasmHeap {
  asm: { memory: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/** The SIMD kernels over `heap`'s memory (one instance per backend), or null where wasm SIMD is unavailable. */
export function simdKernels(heap: WasmHeap): SimdKernels | null {
  const memory = heap.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (instances.has(memory)) return instances.get(memory)!;
  let k: SimdKernels | null = null;
  try {
    moduleBytes ??= assemble([columnDotsFn(false), columnDotsFn(true), slotMixFn(), slotMixWeightGradFn(), bnApplyFn(false), bnApplyFn(true), bnGradFn(false), bnGradFn(true)]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes), { env: { memory } });
    k = inst.exports as unknown as SimdKernels;
  } catch {
    k = null; // no SIMD in this engine: the JavaScript kernels run
  }
  instances.set(memory, k);
  return k;
}

/**
 * Scratch memory on the wasm heap for a kernel's inputs and accumulators, grown as needed and
 * kept for the backend's lifetime (it is small: a few float64 per channel or graph entry).
 */
const scratch = new WeakMap<WebAssembly.Memory, { ptr: number; bytes: number }>();

export function scratchOn(heap: WasmHeap, bytes: number): number {
  const memory = heap.asm.memory;
  const s = scratch.get(memory);
  if (s && s.bytes >= bytes) return s.ptr;
  if (s) heap._free(s.ptr);
  const size = Math.max(bytes, 2 * (s?.bytes ?? 0), 4096);
  const ptr = heap._malloc(size);
  scratch.set(memory, { ptr, bytes: size });
  return ptr;
}

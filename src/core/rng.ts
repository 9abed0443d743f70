import seedrandom from 'seedrandom';

/**
 * Seeded random streams. A run has one integer `seed`; every purpose
 * (splitting, noise, weight init, ...) derives its own independent stream
 * from it with `new Rng(seed, 'purpose')`, so adding a new consumer never
 * shifts the numbers another consumer sees. Nothing here touches global state.
 */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spare: number | null = null;
  readonly seed: number;
  readonly purpose: string;

  constructor(seed: number, purpose = '') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed = ${seed} is not a safe integer`);
    this.seed = seed;
    this.purpose = purpose;
    this.prng = seedrandom(`gaitforge:${seed}:${purpose}`);
  }

  /** A child stream, independent of this one and of other children. */
  derive(purpose: string): Rng {
    return new Rng(this.seed, this.purpose ? `${this.purpose}/${purpose}` : purpose);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng.double();
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.prng.double();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal (Box–Muller, pairs cached). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * A seed for a tfjs random op (`tf.randomNormal(shape, 0, 1, 'float32', seed)`).
   * Always a positive int32: tfjs treats 0 / undefined as "unseeded".
   */
  tfSeed(): number {
    return 1 + (this.prng.int32() >>> 1) % 2147483646;
  }
}

/** Derives a positive 31-bit integer from a seed and a purpose (stable across runs). */
export function deriveSeed(seed: number, purpose: string): number {
  return new Rng(seed, purpose).tfSeed();
}

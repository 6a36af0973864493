// A small seeded PRNG, so every random choice in data/ (shuffles, SampleFrames offsets, crops,
// flips, the synthetic data set) is reproducible from one integer seed.
//
// mulberry32 (32-bit state, period 2^32): plenty for augmentation draws, and a dozen lines that a
// learner can read. `Rng.derive(seed, ...keys)` gives an independent stream per (epoch, clip), so
// results do not depend on the order in which concurrent decodes finish.
import { hashSeed } from "../util/seed";

/** Re-exported: the seed mixer lives in util/seed.ts with the kit's other seed derivations. */
export { hashSeed };

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = hashSeed(seed);
  }

  /** An independent generator for the sub-task identified by `keys` (e.g. epoch, clip index). */
  static derive(seed: number, ...keys: number[]): Rng {
    return new Rng(hashSeed(seed, ...keys));
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n) (numpy's randint(n)). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi], both ends included (Python's random.randint). */
  intIn(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

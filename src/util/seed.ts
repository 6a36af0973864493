// Seed mixing: every place that turns a run's seed (plus indices) into another seed. `hashSeed`
// feeds data/rng.ts's generator. The linear ones below feed tfjs's seeded ops (initialisers,
// dropout, randomUniform), which take a single number and treat 0 as "unseeded"; they are older
// than hashSeed and kept exactly as they are, because initial weights, dropout masks, saved runs
// and the notebooks' checked numbers depend on these values.

/** Mixes integers into one 32-bit seed (murmur3's finaliser applied after each key). */
export function hashSeed(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    h = Math.imul(h ^ (k >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Fold in the high part of keys beyond 32 bits so that e.g. Date-like seeds still differ.
    h = (h + Math.floor(k / 4294967296)) | 0;
  }
  return h >>> 0;
}

/** The first initialiser seed of a model built with `seed`; each parameter takes the next one. */
export function initSeedBase(seed: number): number {
  return seed * 100_003 + 1;
}

/** The dropout seed of optimiser step `step` (0-based) of a run; never 0 for seeds >= 0. */
export function dropoutSeed(seed: number, step: number): number {
  return seed * 1_000_003 + step + 1;
}

/** The first of four consecutive seeds for the random batch-norm statistics of module `module`. */
export function batchNormStatsSeed(seed: number, module: number): number {
  return seed * 10 + module * 4;
}

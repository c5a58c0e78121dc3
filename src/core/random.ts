/** Injected randomness: a seeded PRNG for tests and simulations, Math.random by default. */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

export const mathRandom: Random = { next: () => Math.random() };

/** mulberry32: small, fast, deterministic; not for cryptography. */
export class SeededRandom implements Random {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

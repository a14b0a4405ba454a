// A small seeded random source for the randomised schedulers (twos): xoshiro128** seeded by
// splitmix32, so a run can be replayed exactly. Not for anything secret. Never allocates.

export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0x7f4a7c15) {
    this.seed(seed);
  }

  /** Restarts the sequence from `seed` (any 32-bit value). */
  seed(seed: number): void {
    // splitmix32 spreads one word over the four words of state (never all zero).
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** xoshiro128**: the next uniformly distributed u32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniform integer in [0, bound), 0 < bound < 2^32, like the kernel's
   * get_random_u32_below(): Lemire's multiply-and-shift with rejection of the biased low part.
   */
  below(bound: number): number {
    for (;;) {
      const x = this.nextU32();
      const low = Math.imul(x, bound) >>> 0; // (x * bound) mod 2^32
      if (low >= bound || low >= (0x100000000 - bound) % bound) return mulHigh32(x, bound);
    }
  }
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** floor(a * b / 2^32) for u32 a, b, exact (the product can exceed 2^53). */
function mulHigh32(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const mid = aHi * bLo + aLo * bHi + ((aLo * bLo) >>> 16);
  return aHi * bHi + Math.floor(mid / 0x10000);
}

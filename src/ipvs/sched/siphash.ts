// The kernel's hsiphash() of one u32 as a 64-bit kernel computes it (lib/siphash.c: on 64-bit,
// "HalfSipHash1-3" is really SipHash-1-3), for mh's offsets, skips and lookups. Never allocates.

/**
 * A hsiphash_key_t as two 64-bit words, each split into 32-bit halves:
 * [key0 hi, key0 lo, key1 hi, key1 lo].
 */
export type HsipKey = Uint32Array;

export function hsipKey(key0: bigint, key1: bigint): HsipKey {
  const m = 0xffffffffn;
  return Uint32Array.of(Number((key0 >> 32n) & m), Number(key0 & m), Number((key1 >> 32n) & m), Number(key1 & m));
}

// SipHash state v0..v3, each 64-bit as (hi, lo) at [2i, 2i+1]. Module scratch: the hash runs
// to completion synchronously, so one state serves every caller without allocating.
const v = new Uint32Array(8);

/** v[a] += v[b] (mod 2^64). */
function add(a: number, b: number): void {
  const lo = v[a + 1] + v[b + 1];
  v[a + 1] = lo;
  v[a] = v[a] + v[b] + (lo > 0xffffffff ? 1 : 0);
}

/** v[a] = rol64(v[a], r) for 0 < r < 32. */
function rotl(a: number, r: number): void {
  const hi = v[a];
  const lo = v[a + 1];
  v[a] = (hi << r) | (lo >>> (32 - r));
  v[a + 1] = (lo << r) | (hi >>> (32 - r));
}

/** v[a] = rol64(v[a], 32). */
function swapHalves(a: number): void {
  const hi = v[a];
  v[a] = v[a + 1];
  v[a + 1] = hi;
}

/** v[a] ^= v[b]. */
function xor(a: number, b: number): void {
  v[a] ^= v[b];
  v[a + 1] ^= v[b + 1];
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

/** SIPHASH_PERMUTATION (one SipRound). */
function sipRound(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); swapHalves(V0);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); swapHalves(V2);
}

/**
 * hsiphash(&x, 4, key) on a 64-bit kernel (= hsiphash_1u32): the four bytes of x in host
 * (little-endian) order, length 4 in the top byte of the final block, one compression round,
 * three finalisation rounds, and the low 32 bits of v0^v1^v2^v3.
 */
export function hsiphash32(x: number, key: HsipKey): number {
  // PREAMBLE: the SipHash constants ("somepseudorandomlygeneratedbytes") xored with the key.
  v[0] = 0x736f6d65 ^ key[0]; v[1] = 0x70736575 ^ key[1];
  v[2] = 0x646f7261 ^ key[2]; v[3] = 0x6e646f6d ^ key[3];
  v[4] = 0x6c796765 ^ key[0]; v[5] = 0x6e657261 ^ key[1];
  v[6] = 0x74656462 ^ key[2]; v[7] = 0x79746573 ^ key[3];
  // b = (len << 56) | x
  const bHi = 4 << 24;
  const bLo = x >>> 0;
  v[6] ^= bHi; v[7] ^= bLo;
  sipRound();
  v[0] ^= bHi; v[1] ^= bLo;
  v[5] ^= 0xff;
  sipRound();
  sipRound();
  sipRound();
  return (v[1] ^ v[3] ^ v[5] ^ v[7]) >>> 0;
}

// libconhash's default hash (DPVS __conhash_hash_def): MD5, digest words summed, a 64-bit mix,
// times 3221225473, as a signed ring key. Lookups never allocate; node:crypto serves update().

import { createHash } from 'node:crypto';
import { MD5_ONE_BLOCK_MAX, md5Short } from './md5.js';

/** A key as [hi, lo] 32-bit halves; compare hi as signed, lo as unsigned. */
export type ConhashKey = Uint32Array;

// The 64-bit accumulator `a` of the mix and a temporary, as 32-bit halves. Module scratch: the
// mix runs to completion synchronously.
let ah = 0;
let al = 0;
let th = 0;
let tl = 0;

function tShl(n: number): void {
  th = ((ah << n) | (al >>> (32 - n))) >>> 0;
  tl = (al << n) >>> 0;
}
function tShr(n: number): void {
  tl = ((al >>> n) | (ah << (32 - n))) >>> 0;
  th = ah >>> n;
}
function add(hi: number, lo: number): void {
  const sum = al + lo;
  al = sum >>> 0;
  ah = (ah + hi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
}
function xorLo(c: number): void {
  al = (al ^ c) >>> 0;
}
function xorT(): void {
  ah = (ah ^ th) >>> 0;
  al = (al ^ tl) >>> 0;
}

/**
 * The mix over `unsigned long` (64 bits on DPVS's targets), from the sum of the digest's four
 * little-endian words (the MD5 state words A..D):
 *   a = (a+0x7ed55d16) + (a<<12);  a = (a^0xc761c23c) ^ (a>>19);
 *   a = (a+0x165667b1) + (a<<5);   a = (a+0xd3a2646c) ^ (a<<9);
 *   a = (a+0xfd7046c5) + (a<<3);   a = (a^0xb55a4f09) ^ (a>>16);
 *   a = a * 3221225473             (= a<<31 + a<<30 + a)
 */
function mixDigest(d: Uint32Array, out: ConhashKey): void {
  const sum = d[0] + d[1] + d[2] + d[3];
  ah = Math.floor(sum / 0x100000000);
  al = sum >>> 0;
  tShl(12); add(0, 0x7ed55d16); add(th, tl);
  tShr(19); xorLo(0xc761c23c); xorT();
  tShl(5); add(0, 0x165667b1); add(th, tl);
  tShl(9); add(0, 0xd3a2646c); xorT();
  tShl(3); add(0, 0xfd7046c5); add(th, tl);
  tShr(16); xorLo(0xb55a4f09); xorT();
  tShl(31);
  const h31 = th;
  const l31 = tl;
  tShl(30); add(th, tl); add(h31, l31);
  out[0] = ah;
  out[1] = al;
}

const digest = new Uint32Array(4);

/** The hash of msg[0..len) (len <= 55), without allocating: the lookup path. */
export function conhashHashBytes(msg: Uint8Array, len: number, out: ConhashKey): void {
  if (len > MD5_ONE_BLOCK_MAX) throw new RangeError('conhash lookup key too long');
  md5Short(msg, len, digest);
  mixDigest(digest, out);
}

/** The hash of an ASCII string of any length: ring construction at update time. */
export function conhashHashString(s: string, out: ConhashKey): void {
  const md5 = createHash('md5').update(s, 'latin1').digest();
  for (let i = 0; i < 4; i++) digest[i] = md5.readUInt32LE(i * 4);
  mixDigest(digest, out);
}

/** a < b as signed 64-bit keys (the rbtree compares `long`s). */
export function keyLess(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi !== bHi ? (aHi | 0) < (bHi | 0) : aLo >>> 0 < bLo >>> 0;
}

// MD5 (RFC 1321) of one short message, for conhash lookups: libconhash hashes strings with MD5
// and a lookup's string is at most ten digits. One 64-byte block, no allocation.

/** The longest message that fits one block with its padding and length. */
export const MD5_ONE_BLOCK_MAX = 55;

/** K[i] = floor(|sin(i + 1)| * 2^32), the RFC's table. */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
/** Per-round rotation amounts, four per round. */
const S = Int8Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);

const block = new Uint8Array(64);
const words = new Int32Array(16);

/**
 * Writes MD5(msg[0..len)) into `out` as the four state words A, B, C, D; the digest bytes are
 * those words in little-endian order. len must be <= MD5_ONE_BLOCK_MAX.
 */
export function md5Short(msg: Uint8Array, len: number, out: Uint32Array): void {
  block.fill(0);
  for (let i = 0; i < len; i++) block[i] = msg[i];
  block[len] = 0x80;
  const bits = len * 8;
  block[56] = bits & 0xff;
  block[57] = bits >>> 8;
  for (let i = 0; i < 16; i++) {
    const o = i * 4;
    words[i] = block[o] | (block[o + 1] << 8) | (block[o + 2] << 16) | (block[o + 3] << 24);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    f = (f + a + K[i] + words[g]) | 0;
    a = d;
    d = c;
    c = b;
    const s = S[((i >>> 4) << 2) | (i & 3)];
    b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
  }
  out[0] = a + 0x67452301;
  out[1] = b + 0xefcdab89;
  out[2] = c + 0x98badcfe;
  out[3] = d + 0x10325476;
}

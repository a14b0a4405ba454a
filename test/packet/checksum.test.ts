// Checksum arithmetic: RFC 1071 known answers, and RFC 1624 incremental updates agreeing with a
// full recomputation by the independent reference routine for random fields and values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  csumApplyDelta, csumFold, csumPartial, csumReplace16, csumReplace32, delta16, delta32, pseudoSum4, pseudoSum6,
} from '../../src/packet/checksum.js';
import { inetChecksum } from '../support/csum-ref.js';

test('RFC 1071 section 3 example sums to 0xddf2 (checksum 0x220d)', () => {
  const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(csumFold(csumPartial(b, 0, 8, 0)), 0x220d);
});

test('odd lengths pad the last byte with zero, as the reference does', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (b) => {
    return csumFold(csumPartial(b, 0, b.length, 0)) === inetChecksum(b);
  }), { numRuns: 500 });
});

test('large inputs (64 KiB of 0xff) do not lose carries', () => {
  const b = new Uint8Array(65536).fill(0xff);
  assert.equal(csumFold(csumPartial(b, 0, b.length, 0)), inetChecksum(b));
});

test('incremental 16- and 32-bit replacements equal a full recomputation', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 40, maxLength: 120 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }),
    (raw, at, v16, v32) => {
      const b = Uint8Array.from(raw);
      b[0] = 0; b[1] = 0; // checksum field at 0
      const c0 = csumFold(csumPartial(b, 0, b.length, 0));
      b[0] = c0 >> 8; b[1] = c0 & 255;
      const o = 2 + ((at % ((b.length - 6) >> 1)) << 1); // even offset past the checksum
      const old16 = (b[o]! << 8) | b[o + 1]!;
      const c1 = csumReplace16(c0, old16, v16);
      b[o] = v16 >> 8; b[o + 1] = v16 & 255;
      const old32 = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      const c2 = csumReplace32(c1, old32, v32);
      b[o] = v32 >>> 24; b[o + 1] = (v32 >>> 16) & 255; b[o + 2] = (v32 >>> 8) & 255; b[o + 3] = v32 & 255;
      const viaDelta = csumApplyDelta(c0, delta16(old16, v16) + delta32(old32, v32));
      b[0] = 0; b[1] = 0;
      const full = inetChecksum(b);
      // 0x0000 and 0xffff are the same number in one's complement; either is a valid result.
      const same = (x: number) => x === full || (x ^ full) === 0xffff && (x === 0 || full === 0);
      return same(c2) && same(viaDelta);
    },
  ), { numRuns: 1000 });
});

test('pseudo-header sums match the byte-level construction', () => {
  const src = new Uint8Array([10, 0, 0, 48]);
  const dst = new Uint8Array([10, 0, 0, 100]);
  const ph = new Uint8Array([...src, ...dst, 0, 6, 0, 40]);
  assert.equal(csumFold(pseudoSum4(0x0a000030, 0x0a000064, 6, 40)), inetChecksum(ph));
  const b = new Uint8Array(32);
  b.set([0x20, 0x01, 0x0d, 0xb8], 0); b[15] = 1;
  b.set([0x20, 0x01, 0x0d, 0xb8], 16); b[31] = 2;
  const ph6 = new Uint8Array([...b, 0, 0, 0, 20, 0, 0, 0, 17]);
  assert.equal(csumFold(pseudoSum6(b, 0, 16, 17, 20)), inetChecksum(ph6));
});

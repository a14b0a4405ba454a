// IPv4 and IPv6 header writers and field updates used by forwarding and encapsulation.
// In place on frame bytes; IPv4 header checksums are recomputed for new headers and updated
// incrementally (RFC 1624) for rewritten ones.

import { csumApplyDelta, csumFold, csumPartial } from './checksum.js';
import { readU16, writeU16, writeU32 } from './ether.js';

/** Recomputes the IPv4 header checksum of the header at l3. */
export function ipv4UpdateChecksum(buf: Uint8Array, l3: number): void {
  const ihl = (buf[l3]! & 15) * 4;
  buf[l3 + 10] = 0;
  buf[l3 + 11] = 0;
  writeU16(buf, l3 + 10, csumFold(csumPartial(buf, l3, ihl, 0)));
}

/**
 * Updates the IPv4 header checksum at l3 for header fields that changed by `delta` (the sum of
 * delta16/delta32 terms, RFC 1624): a rewrite of a header whose checksum was verified on input
 * costs a few operations instead of a pass over the header.
 */
export function ipv4ApplyDelta(buf: Uint8Array, l3: number, delta: number): void {
  writeU16(buf, l3 + 10, csumApplyDelta(readU16(buf, l3 + 10), delta));
}

/** Writes a 20-byte IPv4 header (no options) and its checksum. */
export function writeIpv4Header(
  buf: Uint8Array, l3: number, tos: number, totalLen: number, id: number, df: boolean,
  ttl: number, proto: number, src: number, dst: number,
): void {
  buf[l3] = 0x45;
  buf[l3 + 1] = tos;
  writeU16(buf, l3 + 2, totalLen);
  writeU16(buf, l3 + 4, id);
  writeU16(buf, l3 + 6, df ? 0x4000 : 0);
  buf[l3 + 8] = ttl;
  buf[l3 + 9] = proto;
  writeU32(buf, l3 + 12, src);
  writeU32(buf, l3 + 16, dst);
  ipv4UpdateChecksum(buf, l3);
}

/** Writes a 40-byte IPv6 header; addresses as words. */
export function writeIpv6Header(
  buf: Uint8Array, l3: number, tc: number, flow: number, payloadLen: number, nextHdr: number, hlim: number,
  s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number,
): void {
  writeU32(buf, l3, (0x60000000 | ((tc & 255) << 20) | (flow & 0xfffff)) >>> 0);
  writeU16(buf, l3 + 4, payloadLen);
  buf[l3 + 6] = nextHdr;
  buf[l3 + 7] = hlim;
  writeU32(buf, l3 + 8, s0); writeU32(buf, l3 + 12, s1); writeU32(buf, l3 + 16, s2); writeU32(buf, l3 + 20, s3);
  writeU32(buf, l3 + 24, d0); writeU32(buf, l3 + 28, d1); writeU32(buf, l3 + 32, d2); writeU32(buf, l3 + 36, d3);
}

/** IPv4 TOS / IPv6 traffic class of the header at l3. */
export function ipTos(buf: Uint8Array, l3: number, af: number): number {
  return af === 4 ? buf[l3 + 1]! : (readU16(buf, l3) >> 4) & 255;
}

/** Decrements TTL / hop limit, fixing the IPv4 checksum incrementally (RFC 1624). */
export function ipDecrementTtl(buf: Uint8Array, l3: number, af: number): void {
  if (af === 6) {
    buf[l3 + 7] = buf[l3 + 7]! - 1;
    return;
  }
  buf[l3 + 8] = buf[l3 + 8]! - 1;
  // TTL is the high byte of its 16-bit word: the word drops by 0x100, the checksum rises by it.
  let c = readU16(buf, l3 + 10) + 0x100;
  c = (c & 0xffff) + (c >>> 16);
  writeU16(buf, l3 + 10, c);
}

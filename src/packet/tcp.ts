// TCP header rewrites FullNAT needs: option lookup, MSS clamp, timestamp removal, SACK shifting,
// TOA insertion. All in place on frame bytes, allocation-free; callers fix lengths and checksums.

import { readU16, readU32, writeU16, writeU32 } from './ether.js';
import {
  TCPOLEN_TOA4, TCPOLEN_TOA6, TCPOPT_EOL, TCPOPT_MSS, TCPOPT_NOP, TCPOPT_SACK, TCPOPT_TIMESTAMP, TCPOPT_TOA,
} from './proto.js';

/** Offset of the first option of `kind` within [o, end), or -1. Assumes a validated option list. */
export function tcpFindOption(buf: Uint8Array, o: number, end: number, kind: number): number {
  while (o < end) {
    const k = buf[o]!;
    if (k === TCPOPT_EOL) return -1;
    if (k === TCPOPT_NOP) { o++; continue; }
    if (k === kind) return o;
    o += buf[o + 1]!;
  }
  return -1;
}

/**
 * Lowers the MSS option by `by` bytes (FullNAT: the RS must leave room for the TOA the load
 * balancer adds). Returns the old MSS or -1 when there is no MSS option.
 */
export function tcpLowerMss(buf: Uint8Array, tcpOff: number, hdrLen: number, by: number): number {
  const o = tcpFindOption(buf, tcpOff + 20, tcpOff + hdrLen, TCPOPT_MSS);
  if (o < 0 || buf[o + 1] !== 4) return -1;
  const old = readU16(buf, o + 2);
  writeU16(buf, o + 2, old > by ? old - by : old);
  return old;
}

/**
 * Replaces a timestamp option with NOPs: FullNAT hides many clients behind one LIP, and their
 * unrelated clocks would trip the RS's PAWS check (as DPVS does on the client's SYN).
 */
export function tcpStripTimestamp(buf: Uint8Array, tcpOff: number, hdrLen: number): boolean {
  const o = tcpFindOption(buf, tcpOff + 20, tcpOff + hdrLen, TCPOPT_TIMESTAMP);
  if (o < 0 || buf[o + 1] !== 10) return false;
  buf.fill(TCPOPT_NOP, o, o + 10);
  return true;
}

/** Subtracts `delta` from every SACK block edge (the RS acknowledges shifted sequence numbers). */
export function tcpShiftSack(buf: Uint8Array, tcpOff: number, hdrLen: number, delta: number): void {
  const o = tcpFindOption(buf, tcpOff + 20, tcpOff + hdrLen, TCPOPT_SACK);
  if (o < 0) return;
  const l = buf[o + 1]!;
  if (l < 10 || (l - 2) % 8 !== 0) return;
  for (let p = o + 2; p < o + l; p += 4) writeU32(buf, p, (readU32(buf, p) - delta) >>> 0);
}

/**
 * Makes room for `need` option bytes by squeezing out NOPs and any TOA already present (a
 * client behind another FullNAT). Returns the header length after compaction.
 */
export function tcpCompactOptions(buf: Uint8Array, tcpOff: number, hdrLen: number): number {
  let r = tcpOff + 20;
  let w = r;
  const end = tcpOff + hdrLen;
  while (r < end) {
    const k = buf[r]!;
    if (k === TCPOPT_EOL) break;
    if (k === TCPOPT_NOP) { r++; continue; }
    const l = buf[r + 1]!;
    if (k !== TCPOPT_TOA) {
      if (w !== r) buf.copyWithin(w, r, r + l);
      w += l;
    }
    r += l;
  }
  // Pad to a 4-byte boundary with EOL so the data offset stays a whole number of words.
  while ((w - tcpOff) % 4 !== 0) buf[w++] = TCPOPT_EOL;
  return w - tcpOff;
}

/**
 * Inserts a TOA option right after the fixed 20-byte TCP header, shifting existing options and
 * payload towards the tail. `ipEnd` is one past the datagram's last byte; the buffer must have
 * room for the option past ipEnd. The address is the client's: IPv4 (w0) or IPv6 (w0..w3),
 * laid out as DPVS's struct tcpopt_addr: kind 254, length 8|20, port, address.
 */
export function tcpInsertToa(
  buf: Uint8Array, tcpOff: number, ipEnd: number,
  port: number, af: number, w0: number, w1: number, w2: number, w3: number,
): number {
  const toaLen = af === 4 ? TCPOLEN_TOA4 : TCPOLEN_TOA6;
  const at = tcpOff + 20;
  buf.copyWithin(at + toaLen, at, ipEnd);
  buf[at] = TCPOPT_TOA;
  buf[at + 1] = toaLen;
  writeU16(buf, at + 2, port);
  writeU32(buf, at + 4, w0);
  if (af === 6) {
    writeU32(buf, at + 8, w1);
    writeU32(buf, at + 12, w2);
    writeU32(buf, at + 16, w3);
  }
  const doff = (buf[tcpOff + 12]! >> 4) + (toaLen >> 2);
  buf[tcpOff + 12] = (doff << 4) | (buf[tcpOff + 12]! & 0x0f);
  return toaLen;
}

// ICMPv4 and ICMPv6: echo replies in place and the error messages tsvs originates
// (fragmentation needed, packet too big, time exceeded), quoting the offending packet.

import { csumFold, csumPartial, pseudoSum6 } from './checksum.js';
import { readU16, writeU16, writeU32 } from './ether.js';
import { IPPROTO_ICMPV6 } from './proto.js';

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_FRAG_NEEDED = 4; // code of DEST_UNREACH

export const ICMP6_DST_UNREACH = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAM_PROB = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const ND_ROUTER_SOLICIT = 133;
export const ND_ROUTER_ADVERT = 134;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;

/** Most of the offending datagram an ICMPv4 error may carry: RFC 1812 keeps it within 576 bytes. */
export const ICMP4_ERROR_MAX = 576;
/** RFC 4443: an ICMPv6 error must not exceed the minimum MTU. */
export const ICMP6_ERROR_MAX = 1280;

export function isIcmp4Error(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB || type === ICMP_SOURCE_QUENCH;
}

export function isIcmp6Error(type: number): boolean {
  return type < 128;
}

/** Recomputes the ICMPv4 checksum over [icmp, end). */
export function icmp4UpdateChecksum(buf: Uint8Array, icmp: number, end: number): void {
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  writeU16(buf, icmp + 2, csumFold(csumPartial(buf, icmp, end - icmp, 0)));
}

/** Recomputes the ICMPv6 checksum; l3 is the IPv6 header (for the pseudo-header). */
export function icmp6UpdateChecksum(buf: Uint8Array, l3: number, icmp: number, end: number): void {
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  const s = pseudoSum6(buf, l3 + 8, l3 + 24, IPPROTO_ICMPV6, end - icmp);
  writeU16(buf, icmp + 2, csumFold(csumPartial(buf, icmp, end - icmp, s)));
}

/**
 * Writes an ICMP error header (type, code, and the 32-bit rest: unused, or next-hop MTU for
 * frag-needed / the MTU for packet-too-big) at `icmp`. The caller copies the quote after it.
 */
export function writeIcmpErrorHeader(buf: Uint8Array, icmp: number, type: number, code: number, rest: number): void {
  buf[icmp] = type;
  buf[icmp + 1] = code;
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  writeU32(buf, icmp + 4, rest);
}

/** The 16-bit id of an echo message (for tests and logs). */
export function icmpEchoId(buf: Uint8Array, icmp: number): number {
  return readU16(buf, icmp + 4);
}

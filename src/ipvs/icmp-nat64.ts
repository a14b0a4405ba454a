// ICMP errors about NAT64 connections, translated between ICMPv4 and ICMPv6 (RFC 7915 types
// and codes) with the quoted packet translated too. Built in a scratch buffer: lengths change.

import { Drop } from '../packet/drop-reason.js';
import { csumApplyDelta, delta16, delta32 } from '../packet/checksum.js';
import { readU16, readU32, writeU16, writeU32 } from '../packet/ether.js';
import { ICMP4_ERROR_MAX, ICMP6_ERROR_MAX, icmp4UpdateChecksum, icmp6UpdateChecksum } from '../packet/icmp.js';
import { writeIpv4Header, writeIpv6Header } from '../packet/ip.js';
import type { PacketInfo } from '../packet/parse.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP } from '../packet/proto.js';
import type { Ipvs } from './ipvs.js';

const L3 = 128;
/** One buffer per process is enough: a translation is built and sent before the next starts. */
const scratch = new Uint8Array(L3 + 2048);

/** ICMPv4 type/code -> ICMPv6 (type << 8 | code), or -1 for errors we do not translate. */
function v4ToV6(type: number, code: number): number {
  if (type === 11) return (3 << 8) | code;
  if (type !== 3) return -1;
  switch (code) {
    case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12: return 1 << 8; // no route
    case 3: return (1 << 8) | 4; // port unreachable
    case 4: return 2 << 8; // fragmentation needed -> packet too big
    case 9: case 10: case 13: return (1 << 8) | 1; // administratively prohibited
    default: return -1;
  }
}

/** ICMPv6 type/code -> ICMPv4 (type << 8 | code), or -1. */
function v6ToV4(type: number, code: number): number {
  if (type === 2) return (3 << 8) | 4;
  if (type === 3) return (11 << 8) | code;
  if (type !== 1) return -1;
  switch (code) {
    case 0: case 2: case 3: return (3 << 8) | 1; // host unreachable
    case 1: return (3 << 8) | 10; // administratively prohibited
    case 4: return (3 << 8) | 3; // port unreachable
    default: return -1;
  }
}

/**
 * Translates an ICMP error about NAT64 connection i. dir 1: an ICMPv4 error from the real
 * server's side becomes an ICMPv6 error to the client; dir 0: an ICMPv6 error from the client
 * becomes an ICMPv4 error to the real server. in3/in4: quoted IP and L4 header offsets.
 */
export function icmpNat64(ipvs: Ipvs, pi: PacketInfo, port: number, i: number, dir: number, in3: number, in4: number, proto: number): number {
  const ct = ipvs.conns;
  const b = pi.buf;
  const end = pi.ipEnd;
  const s = scratch;
  let len: number;
  if (dir === 1) {
    const tc = v4ToV6(pi.icmpType, pi.icmpCode);
    if (tc < 0) return Drop.UNSUPPORTED;
    // Outer IPv6 from the VIP to the client; the quote becomes the client's own packet.
    const o6 = L3 + 40;
    const q6 = o6 + 8;
    const innerHdr = in4 - in3;
    const quoted = Math.min(end - in4, ICMP6_ERROR_MAX - 48 - 40);
    const innerPayload = readU16(b, in3 + 2) - innerHdr;
    writeIpv6Header(s, q6, b[in3 + 1]!, 0, innerPayload, proto, b[in3 + 8]!, ct.addrWord(i, 0, 0), ct.addrWord(i, 0, 1), ct.addrWord(i, 0, 2), ct.addrWord(i, 0, 3), ct.addrWord(i, 1, 0), ct.addrWord(i, 1, 1), ct.addrWord(i, 1, 2), ct.addrWord(i, 1, 3));
    s.set(b.subarray(in4, in4 + quoted), q6 + 40);
    const l4 = q6 + 40;
    let dl = 0;
    // Pseudo-header change from IPv4 (LIP, RIP) to IPv6 (CIP, VIP), then ports and sequence.
    dl += delta32(readU32(b, in3 + 12), 0) + delta32(readU32(b, in3 + 16), 0);
    for (let k = 0; k < 4; k++) dl += delta32(0, ct.addrWord(i, 0, k)) + delta32(0, ct.addrWord(i, 1, k));
    dl += delta16(readU16(s, l4), ct.port(i, 0)) + delta16(readU16(s, l4 + 2), ct.port(i, 1));
    writeU16(s, l4, ct.port(i, 0));
    writeU16(s, l4 + 2, ct.port(i, 1));
    if (proto === IPPROTO_TCP && quoted >= 8) {
      const seq = readU32(s, l4 + 4);
      const ns = (seq - ct.seqDelta(i)) >>> 0;
      writeU32(s, l4 + 4, ns);
      dl += delta32(seq, ns);
    }
    fixQuotedL4(s, l4, quoted, proto, dl);
    let rest = readU32(b, pi.l4Off + 4);
    if (tc >> 8 === 2) rest = readU16(b, pi.l4Off + 6) + 20; // the IPv6 header is 20 bytes longer
    else rest = 0;
    s[o6] = tc >> 8; s[o6 + 1] = tc & 255; writeU32(s, o6 + 4, rest);
    len = 48 + 40 + quoted;
    writeIpv6Header(s, L3, 0, 0, len - 40, IPPROTO_ICMPV6, ipvs.stack.settings.defaultTtl,
      ct.addrWord(i, 1, 0), ct.addrWord(i, 1, 1), ct.addrWord(i, 1, 2), ct.addrWord(i, 1, 3), ct.addrWord(i, 0, 0), ct.addrWord(i, 0, 1), ct.addrWord(i, 0, 2), ct.addrWord(i, 0, 3));
    icmp6UpdateChecksum(s, L3, o6, L3 + len);
    const e = ipvs.xmit.nextHop(i, 1, 6, ct.addrWord(i, 0, 0), ct.addrWord(i, 0, 1), ct.addrWord(i, 0, 2), ct.addrWord(i, 0, 3), false);
    if (e === null) return Drop.NO_ROUTE;
    ipvs.stack.sendToNeigh(e, s, L3, len, 6);
    return Drop.NONE;
  }
  const tc = v6ToV4(pi.icmpType, pi.icmpCode);
  if (tc < 0) return Drop.UNSUPPORTED;
  // Outer IPv4 from the LIP to the real server; the quote becomes what the RS sent us.
  const o4 = L3 + 20;
  const q4 = o4 + 8;
  const quoted = Math.min(end - in4, ICMP4_ERROR_MAX - 28 - 20);
  const innerPayload = readU16(b, in3 + 4) - (in4 - in3 - 40);
  writeIpv4Header(s, q4, (readU16(b, in3) >> 4) & 255, 20 + innerPayload, 0, true, b[in3 + 7]!, proto, ct.addrWord(i, 3, 0), ct.addrWord(i, 2, 0));
  s.set(b.subarray(in4, in4 + quoted), q4 + 20);
  const l4 = q4 + 20;
  let dl = 0;
  for (let k = 0; k < 4; k++) dl += delta32(readU32(b, in3 + 8 + 4 * k), 0) + delta32(readU32(b, in3 + 24 + 4 * k), 0);
  dl += delta32(0, ct.addrWord(i, 3, 0)) + delta32(0, ct.addrWord(i, 2, 0));
  dl += delta16(readU16(s, l4), ct.port(i, 3)) + delta16(readU16(s, l4 + 2), ct.port(i, 2));
  writeU16(s, l4, ct.port(i, 3));
  writeU16(s, l4 + 2, ct.port(i, 2));
  fixQuotedL4(s, l4, quoted, proto, dl);
  let rest = 0;
  if (tc === ((3 << 8) | 4)) rest = Math.max(68, Math.min(0xffff, readU32(b, pi.l4Off + 4) - 20));
  s[o4] = tc >> 8; s[o4 + 1] = tc & 255; writeU32(s, o4 + 4, rest);
  len = 28 + 20 + quoted;
  writeIpv4Header(s, L3, 0xc0, len, 0, false, ipvs.stack.settings.defaultTtl, IPPROTO_ICMP, ct.addrWord(i, 2, 0), ct.addrWord(i, 3, 0));
  icmp4UpdateChecksum(s, o4, L3 + len);
  const e = ipvs.xmit.nextHop(i, 0, 4, ct.addrWord(i, 3, 0), 0, 0, 0, false);
  if (e === null) return Drop.NO_ROUTE;
  ipvs.stack.sendToNeigh(e, s, L3, len, 4);
  return Drop.NONE;
}

/** Updates the quoted L4 checksum when the quote holds it (UDP/IPv4 "no checksum" stays 0). */
function fixQuotedL4(s: Uint8Array, l4: number, quoted: number, proto: number, dl: number): void {
  const co = proto === IPPROTO_TCP ? 16 : 6;
  if (quoted < co + 2) return;
  const c = readU16(s, l4 + co);
  if (proto !== IPPROTO_TCP && c === 0) return;
  writeU16(s, l4 + co, csumApplyDelta(c, dl));
}


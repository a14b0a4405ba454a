// ICMP errors that belong to an IPVS connection (unreachable, frag-needed, time exceeded,
// packet-too-big): found through the quoted packet, translated, and sent to the other side.

import { Drop } from '../packet/drop-reason.js';
import { csumApplyDelta, delta16, delta32 } from '../packet/checksum.js';
import { rewriteAddr } from './xmit.js';
import { icmpNat64 } from './icmp-nat64.js';
import { readU16, readU32, writeU16, writeU32 } from '../packet/ether.js';
import { icmp4UpdateChecksum, icmp6UpdateChecksum, isIcmp4Error, isIcmp6Error } from '../packet/icmp.js';
import { ipv4UpdateChecksum } from '../packet/ip.js';
import { type PacketInfo, l4ChecksumOk } from '../packet/parse.js';
import { IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP } from '../packet/proto.js';
import { ip4, ip6 } from '../packet/inet.js';
import { CONN_F_IN_V6, CONN_F_OUT_V6, CONN_F_V6 } from './conn-table.js';
import { FWD_DR, FWD_FNAT, FWD_NAT, FWD_TUNNEL } from './dest.js';
import { type Ipvs, V_ACCEPT, V_STOLEN } from './ipvs.js';
import { ST_FIELDS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from './stats.js';

/**
 * Handles an ICMP/ICMPv6 packet if it is an error about one of our connections. Returns
 * V_ACCEPT for everything else (echo, unrelated errors) so the stack can deal with it.
 */
export function icmpRelated(ipvs: Ipvs, pi: PacketInfo, port: number): number {
  const af = pi.af;
  if (af === 4 ? !isIcmp4Error(pi.icmpType) : !isIcmp6Error(pi.icmpType)) return V_ACCEPT;
  const b = pi.buf;
  const end = pi.ipEnd;
  const in3 = pi.l4Off + 8;
  let in4: number;
  let proto: number;
  if (af === 4) {
    if (in3 + 20 > end || b[in3]! >> 4 !== 4) return V_ACCEPT;
    in4 = in3 + (b[in3]! & 15) * 4;
    proto = b[in3 + 9]!;
  } else {
    if (in3 + 40 > end || b[in3]! >> 4 !== 6) return V_ACCEPT;
    in4 = in3 + 40;
    proto = b[in3 + 6]!;
  }
  if (proto === IPPROTO_IPIP || proto === IPPROTO_IPV6 || proto === IPPROTO_GRE) return tunnelRelated(ipvs, pi, port, in3, in4, proto);
  if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || in4 + 8 > end) return V_ACCEPT;
  const sport = readU16(b, in4);
  const dport = readU16(b, in4 + 2);
  const ct = ipvs.conns;
  // The quoted packet went the other way: look its tuple up reversed.
  const ent = af === 4
    ? ct.lookup(proto, readU32(b, in3 + 16), 0, 0, 0, dport, readU32(b, in3 + 12), 0, 0, 0, sport, false)
    : ct.lookup(proto, readU32(b, in3 + 24), readU32(b, in3 + 28), readU32(b, in3 + 32), readU32(b, in3 + 36), dport,
      readU32(b, in3 + 8), readU32(b, in3 + 12), readU32(b, in3 + 16), readU32(b, in3 + 20), sport, false);
  // A connection whose time is up (its wheel slot not yet come round) is gone for errors too.
  if (ent >= 0 && ipvs.overdue(ent >> 1, ipvs.stack.clock.now())) return V_ACCEPT;
  if (ent < 0) return proto === IPPROTO_UDP ? tunnelRelated(ipvs, pi, port, in3, in4, proto) : V_ACCEPT;
  const i = ent >> 1;
  const dir = ent & 1;
  const d = ipvs.destOf(i);
  if (ipvs.settings.verifyL4Checksum && !l4ChecksumOk(pi)) return dropped(ipvs, Drop.ICMP_MALFORMED, port);
  const f = ct.flags(i);
  const nat64 = (f & CONN_F_V6) !== 0 && ((f & CONN_F_IN_V6) === 0) !== ((f & CONN_F_OUT_V6) === 0);
  const len = end - pi.l3Off;
  const st = ipvs.stats;
  st.dest[d.id * ST_FIELDS + (dir === 0 ? ST_INPKTS : ST_OUTPKTS)]++;
  st.dest[d.id * ST_FIELDS + (dir === 0 ? ST_INBYTES : ST_OUTBYTES)] += len;
  st.svc[d.svc.id * ST_FIELDS + (dir === 0 ? ST_INPKTS : ST_OUTPKTS)]++;
  st.svc[d.svc.id * ST_FIELDS + (dir === 0 ? ST_INBYTES : ST_OUTBYTES)] += len;
  if (nat64) {
    const r = icmpNat64(ipvs, pi, port, i, dir, in3, in4, proto);
    return r === Drop.NONE ? V_STOLEN : dropped(ipvs, r, port);
  }
  const m = d.method;
  if (dir === 0 && (m === FWD_DR || m === FWD_TUNNEL)) {
    const r = ipvs.xmit.inbound(pi, port, i, d);
    if (r !== Drop.NONE) ipvs.stack.drop(r, port);
    return V_STOLEN;
  }
  if (dir === 1 && m !== FWD_NAT && m !== FWD_FNAT) return dropped(ipvs, Drop.UNSUPPORTED, port);
  const A = af === 4 ? 12 : 8;
  const B = af === 4 ? 16 : 24;
  // New outer source/destination and inner source/destination (conn address index, -1 = keep).
  let outS = -1, outD = -1, inS: number, inD: number, inSp: number, inDp: number;
  let seqShift = 0;
  let ackShift = 0;
  if (dir === 0) {
    // From the client side about our reply (VIP:vport -> CIP:cport): towards the RS.
    if (m === FWD_NAT) { outD = 3; inS = 3; inD = -1; inSp = ct.port(i, 3); inDp = -1; }
    // FullNAT acked the client with the RS's ack less the delta: the RS must see its own ack.
    else { outS = 2; outD = 3; inS = 3; inD = 2; inSp = ct.port(i, 3); inDp = ct.port(i, 2); ackShift = ct.seqDelta(i); }
  } else {
    // From the RS side about what we sent it: towards the client.
    if (m === FWD_NAT) { outS = 1; inS = -1; inD = 1; inSp = -1; inDp = ct.port(i, 1); }
    else { outS = 1; outD = 0; inS = 0; inD = 1; inSp = ct.port(i, 0); inDp = ct.port(i, 1); seqShift = ct.seqDelta(i); }
  }
  const l3 = pi.l3Off;
  if (outS >= 0) rewriteAddr(b, l3 + A, af, ct.addrWord(i, outS, 0), ct.addrWord(i, outS, 1), ct.addrWord(i, outS, 2), ct.addrWord(i, outS, 3));
  if (outD >= 0) rewriteAddr(b, l3 + B, af, ct.addrWord(i, outD, 0), ct.addrWord(i, outD, 1), ct.addrWord(i, outD, 2), ct.addrWord(i, outD, 3));
  let dl = 0;
  if (inS >= 0) dl += rewriteAddr(b, in3 + A, af, ct.addrWord(i, inS, 0), ct.addrWord(i, inS, 1), ct.addrWord(i, inS, 2), ct.addrWord(i, inS, 3));
  if (inD >= 0) dl += rewriteAddr(b, in3 + B, af, ct.addrWord(i, inD, 0), ct.addrWord(i, inD, 1), ct.addrWord(i, inD, 2), ct.addrWord(i, inD, 3));
  if (inSp >= 0) { dl += delta16(sport, inSp); writeU16(b, in4, inSp); }
  if (inDp >= 0) { dl += delta16(dport, inDp); writeU16(b, in4 + 2, inDp); }
  if (proto === IPPROTO_TCP && seqShift !== 0) {
    const seq = readU32(b, in4 + 4);
    const ns = (seq - seqShift) >>> 0;
    writeU32(b, in4 + 4, ns);
    dl += delta32(seq, ns);
  }
  if (proto === IPPROTO_TCP && ackShift !== 0 && in4 + 12 <= end) {
    const ack = readU32(b, in4 + 8);
    const na = (ack + ackShift) >>> 0;
    writeU32(b, in4 + 8, na);
    dl += delta32(ack, na);
  }
  // The quoted L4 checksum, when the quote holds it, follows the rewrite.
  const co = in4 + (proto === IPPROTO_TCP ? 16 : 6);
  if (co + 2 <= end) {
    const c = readU16(b, co);
    if (proto === IPPROTO_TCP || c !== 0 || af === 6) writeU16(b, co, csumApplyDelta(c, dl));
  }
  if (af === 4) {
    if (in4 <= end) ipv4UpdateChecksum(b, in3);
    icmp4UpdateChecksum(b, pi.l4Off, end);
    ipv4UpdateChecksum(b, l3);
  } else {
    icmp6UpdateChecksum(b, l3, pi.l4Off, end);
  }
  const t = dir === 0 ? 3 : 0;
  const e = ipvs.xmit.nextHop(i, dir, af, ct.addrWord(i, t, 0), ct.addrWord(i, t, 1), ct.addrWord(i, t, 2), ct.addrWord(i, t, 3), m === FWD_DR);
  if (e === null) return dropped(ipvs, Drop.NO_ROUTE, port);
  ipvs.stack.sendToNeigh(e, b, l3, len, af);
  return V_STOLEN;
}

/**
 * An ICMP error quoting one of our tunnel packets (IPIP, IPv6-in-IPv6, GRE, GUE), sent by a
 * router on the way to a real server. Only "too big" matters to the client: it gets its own
 * frag-needed / packet-too-big with the MTU less our encapsulation, quoting its own packet, as
 * the kernel's ip_vs_in_icmp does. Anything else is not IPVS's.
 */
function tunnelRelated(ipvs: Ipvs, pi: PacketInfo, port: number, in3: number, in4: number, proto: number): number {
  const b = pi.buf;
  const end = pi.ipEnd;
  const af = pi.af;
  const stack = ipvs.stack;
  const ours = af === 4
    ? stack.addrs.find(4, readU32(b, in3 + 12), 0, 0, 0)
    : stack.addrs.find(6, readU32(b, in3 + 8), readU32(b, in3 + 12), readU32(b, in3 + 16), readU32(b, in3 + 20));
  if (ours === undefined) return V_ACCEPT;
  let o = in4;
  if (proto === IPPROTO_GRE) {
    if (o + 4 > end) return V_ACCEPT;
    o += (readU16(b, o) & 0x8000) !== 0 ? 8 : 4;
  } else if (proto === IPPROTO_UDP) {
    o += 12; // UDP + the 4-byte GUE header
  }
  const overhead = o - in3;
  // The client's own packet: its tuple finds the connection in the client -> VIP direction.
  let oproto: number;
  let l4: number;
  if (af === 4) {
    if (o + 20 > end || b[o]! >> 4 !== 4) return V_ACCEPT;
    oproto = b[o + 9]!;
    l4 = o + (b[o]! & 15) * 4;
  } else {
    if (o + 40 > end || b[o]! >> 4 !== 6) return V_ACCEPT;
    oproto = b[o + 6]!;
    l4 = o + 40;
  }
  if ((oproto !== IPPROTO_TCP && oproto !== IPPROTO_UDP) || l4 + 4 > end) return V_ACCEPT;
  const ent = af === 4
    ? ipvs.conns.lookup(oproto, readU32(b, o + 12), 0, 0, 0, readU16(b, l4), readU32(b, o + 16), 0, 0, 0, readU16(b, l4 + 2), false)
    : ipvs.conns.lookup(oproto, readU32(b, o + 8), readU32(b, o + 12), readU32(b, o + 16), readU32(b, o + 20), readU16(b, l4),
      readU32(b, o + 24), readU32(b, o + 28), readU32(b, o + 32), readU32(b, o + 36), readU16(b, l4 + 2), false);
  if (ent < 0 || (ent & 1) !== 0 || ipvs.conns.method(ent >> 1) !== FWD_TUNNEL) return V_ACCEPT;
  const icmp = pi.l4Off;
  const tooBig = af === 4 ? pi.icmpType === 3 && pi.icmpCode === 4 : pi.icmpType === 2;
  if (!tooBig) return V_ACCEPT;
  const mtu = af === 4 ? readU16(b, icmp + 6) : readU32(b, icmp + 4);
  const inner = mtu > overhead ? mtu - overhead : 0;
  if (ipvs.settings.verifyL4Checksum && !l4ChecksumOk(pi)) {
    stack.drop(Drop.ICMP_MALFORMED, port);
    return V_STOLEN;
  }
  const vip = af === 4 ? ip4(readU32(b, o + 16))
    : ip6(readU32(b, o + 24), readU32(b, o + 28), readU32(b, o + 32), readU32(b, o + 36));
  if (af === 4) stack.icmpErrorQuoting(4, b, o, end - o, vip, 3, 4, inner & 0xffff, port);
  else stack.icmpErrorQuoting(6, b, o, end - o, vip, 2, 0, inner, port);
  return V_STOLEN;
}

/** Counts a drop and tells the caller the packet was consumed. */
function dropped(ipvs: Ipvs, reason: number, port: number): number {
  ipvs.stack.drop(reason as never, port);
  return V_STOLEN;
}

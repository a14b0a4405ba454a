// Frame parsing: validates Ethernet/802.1Q, ARP, IPv4 (options, fragments), IPv6 (extension
// headers) and the TCP/UDP/ICMP header, filling one reused PacketInfo. Never allocates or throws.

import { Drop, type DropReason } from './drop-reason.js';
import { ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, readU16, readU32 } from './ether.js';
import { csumPartial } from './checksum.js';
import {
  IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_ROUTING, IPPROTO_TCP, IPPROTO_UDP, TCPOPT_EOL, TCPOPT_NOP,
} from './proto.js';

const EMPTY = new Uint8Array(0);
/** Longest chain of IPv6 extension headers we walk before calling the packet bogus. */
const MAX_EXT_HEADERS = 8;

/**
 * Where everything is in the frame being processed, and the header fields the data plane keys
 * on. One instance per worker, overwritten for every frame: never keep a reference across frames.
 * Offsets are absolute indices into `buf`.
 */
export class PacketInfo {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  /** 802.1Q TCI, or -1 when untagged. */
  vlanTci = -1;
  ethType = 0;
  l3Off = 0;
  /** 4, 6, or 0 for frames that are not IP (ARP and others). */
  af = 0;
  /** IPv4 IHL*4; IPv6 40 plus extension headers. */
  l3HdrLen = 0;
  /** One past the last byte of the IP datagram: Ethernet padding lies beyond it. */
  ipEnd = 0;
  ttl = 0;
  /** Offset of the IPv6 Next Header byte that names l4Proto (for rewrites), or the IPv4 proto byte. */
  nextHdrOff = 0;
  /** IPv4 MF set or fragment offset non-zero; IPv6 fragment header present. */
  isFragment = false;
  /** A fragment other than the first: it carries no L4 header. */
  laterFragment = false;
  /** IPv4 DF bit (IPv6 never fragments in flight). */
  dontFragment = false;
  sW0 = 0; sW1 = 0; sW2 = 0; sW3 = 0;
  dW0 = 0; dW1 = 0; dW2 = 0; dW3 = 0;
  l4Proto = 0;
  l4Off = 0;
  l4Len = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  tcpHdrLen = 0;
  icmpType = 0;
  icmpCode = 0;
}

/**
 * Parses the frame buf[off, off+len) into `pi`. Returns Drop.NONE when the frame is well formed
 * (including non-IP frames, with pi.af = 0), or the reason it must be dropped.
 */
export function parseFrame(pi: PacketInfo, buf: Uint8Array, off: number, len: number): DropReason {
  pi.buf = buf;
  pi.off = off;
  pi.len = len;
  pi.af = 0;
  pi.vlanTci = -1;
  pi.l4Proto = 0;
  pi.isFragment = false;
  pi.laterFragment = false;
  pi.dontFragment = false;
  pi.sport = 0;
  pi.dport = 0;
  pi.tcpFlags = 0;
  if (len < ETH_HLEN) return Drop.L2_TRUNCATED;
  const end = off + len;
  let type = readU16(buf, off + 12);
  let l3 = off + ETH_HLEN;
  if (type === ETH_P_8021Q || type === ETH_P_8021AD) {
    if (l3 + 4 > end) return Drop.VLAN_TRUNCATED;
    pi.vlanTci = readU16(buf, l3);
    type = readU16(buf, l3 + 2);
    l3 += 4;
  }
  pi.ethType = type;
  pi.l3Off = l3;
  if (type === ETH_P_IP) return parseIpv4(pi, buf, l3, end);
  if (type === ETH_P_IPV6) return parseIpv6(pi, buf, l3, end);
  if (type === ETH_P_ARP) {
    // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if (l3 + 28 > end) return Drop.ARP_MALFORMED;
    if (readU16(buf, l3) !== 1 || readU16(buf, l3 + 2) !== ETH_P_IP || buf[l3 + 4] !== 6 || buf[l3 + 5] !== 4) {
      return Drop.ARP_MALFORMED;
    }
    return Drop.NONE;
  }
  return Drop.NONE;
}

function parseIpv4(pi: PacketInfo, buf: Uint8Array, l3: number, end: number): DropReason {
  if (l3 + 20 > end) return Drop.IP_TRUNCATED;
  const vihl = buf[l3]!;
  if (vihl >> 4 !== 4) return Drop.IP_BAD_VERSION;
  const ihl = (vihl & 15) * 4;
  if (ihl < 20) return Drop.IP_BAD_IHL;
  if (l3 + ihl > end) return Drop.IP_TRUNCATED;
  const total = readU16(buf, l3 + 2);
  if (total < ihl || l3 + total > end) return Drop.IP_BAD_LENGTH;
  if (csumPartial(buf, l3, ihl, 0) % 0xffff !== 0) return Drop.IP_BAD_CSUM;
  if (ihl > 20 && !ipv4OptionsValid(buf, l3 + 20, l3 + ihl)) return Drop.IP_BAD_OPTIONS;
  pi.af = 4;
  pi.l3HdrLen = ihl;
  pi.ipEnd = l3 + total;
  pi.ttl = buf[l3 + 8]!;
  pi.nextHdrOff = l3 + 9;
  const frag = readU16(buf, l3 + 6);
  pi.dontFragment = (frag & 0x4000) !== 0;
  const fragOff = frag & 0x1fff;
  pi.isFragment = (frag & 0x2000) !== 0 || fragOff !== 0;
  pi.laterFragment = fragOff !== 0;
  pi.sW0 = readU32(buf, l3 + 12); pi.sW1 = 0; pi.sW2 = 0; pi.sW3 = 0;
  pi.dW0 = readU32(buf, l3 + 16); pi.dW1 = 0; pi.dW2 = 0; pi.dW3 = 0;
  pi.l4Proto = buf[l3 + 9]!;
  pi.l4Off = l3 + ihl;
  pi.l4Len = total - ihl;
  if (pi.laterFragment) return Drop.NONE;
  return parseL4(pi, buf);
}

/** Option list walk (RFC 791): each option fits, single-byte EOL/NOP, others length >= 2. */
function ipv4OptionsValid(buf: Uint8Array, o: number, end: number): boolean {
  while (o < end) {
    const t = buf[o]!;
    if (t === 0) return true;
    if (t === 1) { o++; continue; }
    if (o + 1 >= end) return false;
    const l = buf[o + 1]!;
    if (l < 2 || o + l > end) return false;
    o += l;
  }
  return true;
}

function parseIpv6(pi: PacketInfo, buf: Uint8Array, l3: number, end: number): DropReason {
  if (l3 + 40 > end) return Drop.IP_TRUNCATED;
  if (buf[l3]! >> 4 !== 6) return Drop.IP_BAD_VERSION;
  const plen = readU16(buf, l3 + 4);
  if (l3 + 40 + plen > end) return Drop.IP_BAD_LENGTH;
  pi.af = 6;
  pi.ipEnd = l3 + 40 + plen;
  pi.ttl = buf[l3 + 7]!;
  pi.sW0 = readU32(buf, l3 + 8); pi.sW1 = readU32(buf, l3 + 12); pi.sW2 = readU32(buf, l3 + 16); pi.sW3 = readU32(buf, l3 + 20);
  pi.dW0 = readU32(buf, l3 + 24); pi.dW1 = readU32(buf, l3 + 28); pi.dW2 = readU32(buf, l3 + 32); pi.dW3 = readU32(buf, l3 + 36);
  let nh = buf[l3 + 6]!;
  let nhOff = l3 + 6;
  let o = l3 + 40;
  for (let n = 0; ; n++) {
    if (nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_DSTOPTS || nh === IPPROTO_FRAGMENT || nh === IPPROTO_AH) {
      if (n >= MAX_EXT_HEADERS) return Drop.IP6_BAD_EXTHDR;
      // Hop-by-hop options may only come first (RFC 8200 section 4.1).
      if (nh === IPPROTO_HOPOPTS && n !== 0) return Drop.IP6_BAD_EXTHDR;
      if (o + 8 > pi.ipEnd) return Drop.IP6_BAD_EXTHDR;
      let hl: number;
      if (nh === IPPROTO_FRAGMENT) {
        hl = 8;
        const fo = readU16(buf, o + 2);
        pi.isFragment = true;
        pi.laterFragment = (fo & 0xfff8) !== 0;
      } else if (nh === IPPROTO_AH) {
        hl = (buf[o + 1]! + 2) * 4;
      } else {
        hl = (buf[o + 1]! + 1) * 8;
      }
      if (o + hl > pi.ipEnd) return Drop.IP6_BAD_EXTHDR;
      nhOff = o;
      nh = buf[o]!;
      o += hl;
      continue;
    }
    break;
  }
  pi.nextHdrOff = nhOff;
  pi.l3HdrLen = o - l3;
  pi.l4Proto = nh;
  pi.l4Off = o;
  pi.l4Len = pi.ipEnd - o;
  if (pi.laterFragment) return Drop.NONE;
  return parseL4(pi, buf);
}

function parseL4(pi: PacketInfo, buf: Uint8Array): DropReason {
  const o = pi.l4Off;
  const l4len = pi.l4Len;
  switch (pi.l4Proto) {
    case IPPROTO_TCP: {
      if (l4len < 20) return Drop.L4_TRUNCATED;
      const doff = (buf[o + 12]! >> 4) * 4;
      if (doff < 20 || doff > l4len) return Drop.TCP_BAD_DOFF;
      if (doff > 20 && !tcpOptionsValid(buf, o + 20, o + doff)) return Drop.TCP_BAD_OPTIONS;
      pi.sport = readU16(buf, o);
      pi.dport = readU16(buf, o + 2);
      pi.tcpFlags = buf[o + 13]!;
      pi.tcpHdrLen = doff;
      return Drop.NONE;
    }
    case IPPROTO_UDP: {
      if (l4len < 8) return Drop.L4_TRUNCATED;
      const ulen = readU16(buf, o + 4);
      if (ulen < 8 || ulen > l4len) return Drop.UDP_BAD_LENGTH;
      pi.sport = readU16(buf, o);
      pi.dport = readU16(buf, o + 2);
      return Drop.NONE;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if (l4len < 8) return Drop.ICMP_MALFORMED;
      pi.icmpType = buf[o]!;
      pi.icmpCode = buf[o + 1]!;
      return Drop.NONE;
    }
    default:
      return Drop.NONE;
  }
}

/** TCP option walk: EOL ends the list, NOP is one byte, every other option has len >= 2 and fits. */
export function tcpOptionsValid(buf: Uint8Array, o: number, end: number): boolean {
  while (o < end) {
    const k = buf[o]!;
    if (k === TCPOPT_EOL) return true;
    if (k === TCPOPT_NOP) { o++; continue; }
    if (o + 1 >= end) return false;
    const l = buf[o + 1]!;
    if (l < 2 || o + l > end) return false;
    o += l;
  }
  return true;
}

/**
 * Verifies the TCP/UDP/ICMP/ICMPv6 checksum of the parsed packet. A UDP-over-IPv4 checksum of 0
 * means "none" (RFC 768). Fragments cannot be verified and pass.
 */
export function l4ChecksumOk(pi: PacketInfo): boolean {
  if (pi.isFragment) return true;
  const buf = pi.buf;
  const p = pi.l4Proto;
  let len = pi.l4Len;
  if (p === IPPROTO_UDP) {
    len = readU16(buf, pi.l4Off + 4);
    if (pi.af === 4 && readU16(buf, pi.l4Off + 6) === 0) return true;
  } else if (p !== IPPROTO_TCP && p !== IPPROTO_ICMP && p !== IPPROTO_ICMPV6) {
    return true;
  }
  let sum = csumPartial(buf, pi.l4Off, len, 0);
  if (p !== IPPROTO_ICMP) sum += pseudoSumOf(pi, p, len);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum === 0xffff;
}

function pseudoSumOf(pi: PacketInfo, proto: number, len: number): number {
  if (pi.af === 4) {
    return (pi.sW0 >>> 16) + (pi.sW0 & 0xffff) + (pi.dW0 >>> 16) + (pi.dW0 & 0xffff) + proto + len;
  }
  return (pi.sW0 >>> 16) + (pi.sW0 & 0xffff) + (pi.sW1 >>> 16) + (pi.sW1 & 0xffff)
    + (pi.sW2 >>> 16) + (pi.sW2 & 0xffff) + (pi.sW3 >>> 16) + (pi.sW3 & 0xffff)
    + (pi.dW0 >>> 16) + (pi.dW0 & 0xffff) + (pi.dW1 >>> 16) + (pi.dW1 & 0xffff)
    + (pi.dW2 >>> 16) + (pi.dW2 & 0xffff) + (pi.dW3 >>> 16) + (pi.dW3 & 0xffff)
    + (len >>> 16) + (len & 0xffff) + proto;
}

// VRRP adverts as whole Ethernet frames (AF_PACKET sends and receives frames): the IPv4/IPv6
// header keepalived puts around the VRRP part, and the reverse, for frames our socket filter let in.

import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, readU16, readU32, writeU16 } from '../../packet/ether.js';
import { type IpAddr, ip4, ip6 } from '../../packet/inet.js';
import { writeIpv4Header, writeIpv6Header } from '../../packet/ip.js';
import { type AdvertFields, IPPROTO_VRRP, VRRP_TTL, encodeAdvert } from './advert.js';

/** keepalived's IPv4 TOS / IPv6 traffic class for adverts: precedence "internetwork control" (0xc0). */
export const VRRP_TOS = 0xc0;

/** The Ethernet multicast address of an IPv4 or IPv6 group (RFC 1112 6.4, RFC 2464 7). */
export function multicastMac(group: IpAddr): Uint8Array {
  if (group.af === 4) return Uint8Array.of(0x01, 0x00, 0x5e, (group.w0 >>> 16) & 0x7f, (group.w0 >>> 8) & 255, group.w0 & 255);
  const w = group.w3;
  return Uint8Array.of(0x33, 0x33, w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
}

export function isMulticast(a: IpAddr): boolean {
  return a.af === 4 ? a.w0 >>> 28 === 0xe : a.w0 >>> 24 === 0xff;
}

function writeEth(buf: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  buf.set(dst.subarray(0, 6), 0);
  buf.set(src.subarray(0, 6), 6);
  writeU16(buf, 12, type);
}

/**
 * Writes a whole advert frame at buf[0]: Ethernet, then IPv4 (TOS 0xc0, no DF, TTL 255, as
 * keepalived) or IPv6 (hop limit 255), then the VRRP part. Returns the frame length.
 */
export function buildAdvertFrame(
  buf: Uint8Array, srcMac: Uint8Array, dstMac: Uint8Array, src: IpAddr, dst: IpAddr, f: AdvertFields, ipId: number,
): number {
  const ph = { src, dst };
  if (src.af === 4) {
    writeEth(buf, dstMac, srcMac, ETH_P_IP);
    const l4 = ETH_HLEN + 20;
    const len = encodeAdvert(buf, l4, f, ph);
    writeIpv4Header(buf, ETH_HLEN, VRRP_TOS, 20 + len, ipId & 0xffff, false, VRRP_TTL, IPPROTO_VRRP, src.w0, dst.w0);
    return l4 + len;
  }
  writeEth(buf, dstMac, srcMac, ETH_P_IPV6);
  const l4 = ETH_HLEN + 40;
  const len = encodeAdvert(buf, l4, f, ph);
  writeIpv6Header(buf, ETH_HLEN, VRRP_TOS, 0, len, IPPROTO_VRRP, VRRP_TTL, src.w0, src.w1, src.w2, src.w3, dst.w0, dst.w1, dst.w2, dst.w3);
  return l4 + len;
}

/** The IP layer of a received VRRP frame: what keepalived's raw socket would have seen. */
export interface VrrpIp {
  readonly af: 4 | 6;
  readonly src: IpAddr;
  readonly dst: IpAddr;
  readonly ttl: number;
  /** Offset and length of the VRRP part (from the IP header's length, not the frame's padding). */
  readonly off: number;
  readonly len: number;
  /** IPv4: header length (keepalived's length check counts it); IPv6: 0. */
  readonly ipHdrLen: number;
}

/**
 * Parses a frame the socket filter passed (IPv4 protocol 112 or IPv6 next header 112). Null for
 * anything else or a truncated one (the kernel's raw socket would not have delivered it either).
 */
export function parseVrrpFrame(buf: Uint8Array, off: number, len: number): VrrpIp | null {
  if (len < ETH_HLEN + 20) return null;
  const type = readU16(buf, off + 12);
  const l3 = off + ETH_HLEN;
  if (type === ETH_P_IP) {
    const ihl = (buf[l3]! & 15) * 4;
    const tot = readU16(buf, l3 + 2);
    if (buf[l3]! >> 4 !== 4 || ihl < 20 || buf[l3 + 9] !== IPPROTO_VRRP || tot < ihl || l3 + tot > off + len) return null;
    return { af: 4, src: ip4(readU32(buf, l3 + 12)), dst: ip4(readU32(buf, l3 + 16)), ttl: buf[l3 + 8]!, off: l3 + ihl, len: tot - ihl, ipHdrLen: ihl };
  }
  if (type === ETH_P_IPV6) {
    if (len < ETH_HLEN + 40 || buf[l3 + 6] !== IPPROTO_VRRP) return null;
    const plen = readU16(buf, l3 + 4);
    if (l3 + 40 + plen > off + len) return null;
    const w = (o: number): number => readU32(buf, l3 + o);
    return { af: 6, src: ip6(w(8), w(12), w(16), w(20)), dst: ip6(w(24), w(28), w(32), w(36)), ttl: buf[l3 + 7]!, off: l3 + 40, len: plen, ipHdrLen: 0 };
  }
  return null;
}

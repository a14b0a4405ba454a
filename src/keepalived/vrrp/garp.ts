// The frames a new master announces its VIPs with: gratuitous ARP (keepalived's form: an ARP
// request with sender = target = VIP, target MAC broadcast) and unsolicited neighbour advertisements
// (RFC 4861 7.2.6: to ff02::1, override flag, target link-layer address option).

import { ARP_REQUEST, writeArp } from '../../packet/arp.js';
import { csumFold, csumPartial, pseudoSum6 } from '../../packet/checksum.js';
import { ETH_HLEN, ETH_P_ARP, ETH_P_IPV6, writeU16, writeU32 } from '../../packet/ether.js';
import type { IpAddr } from '../../packet/inet.js';
import { writeIpv6Header } from '../../packet/ip.js';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);
const ICMP6_NA = 136;
const NA_FLAG_OVERRIDE = 0x20000000;
const ND_OPT_TARGET_LLADDR = 2;
/** NA header (type, code, sum, flags, target) + the 8-byte target link-layer address option. */
const NA_LEN = 24 + 8;

function eth(buf: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  buf.set(dst, 0);
  buf.set(src.subarray(0, 6), 6);
  writeU16(buf, 12, type);
}

/** A gratuitous ARP for `vip` from `mac` into buf; returns its length (42). */
export function buildGarp(buf: Uint8Array, mac: Uint8Array, vip: IpAddr): number {
  eth(buf, BROADCAST, mac, ETH_P_ARP);
  writeArp(buf, ETH_HLEN, ARP_REQUEST, mac, 0, vip.w0, BROADCAST, 0, vip.w0);
  return ETH_HLEN + 28;
}

/** An unsolicited NA for `vip` from `mac` into buf; returns its length (86). */
export function buildUnsolicitedNa(buf: Uint8Array, mac: Uint8Array, vip: IpAddr): number {
  eth(buf, ALL_NODES_MAC, mac, ETH_P_IPV6);
  const l3 = ETH_HLEN;
  writeIpv6Header(buf, l3, 0, 0, NA_LEN, 58, 255, vip.w0, vip.w1, vip.w2, vip.w3, 0xff020000, 0, 0, 1);
  const l4 = l3 + 40;
  buf[l4] = ICMP6_NA;
  buf[l4 + 1] = 0;
  writeU16(buf, l4 + 2, 0);
  writeU32(buf, l4 + 4, NA_FLAG_OVERRIDE);
  writeU32(buf, l4 + 8, vip.w0);
  writeU32(buf, l4 + 12, vip.w1);
  writeU32(buf, l4 + 16, vip.w2);
  writeU32(buf, l4 + 20, vip.w3);
  buf[l4 + 24] = ND_OPT_TARGET_LLADDR;
  buf[l4 + 25] = 1;
  buf.set(mac.subarray(0, 6), l4 + 26);
  writeU16(buf, l4 + 2, csumFold(csumPartial(buf, l4, NA_LEN, pseudoSum6(buf, l3 + 8, l3 + 24, 58, NA_LEN))));
  return l4 + NA_LEN;
}

/** The announcement frame for one VIP (ARP for IPv4, NA for IPv6). */
export function buildAnnouncement(buf: Uint8Array, mac: Uint8Array, vip: IpAddr): number {
  return vip.af === 4 ? buildGarp(buf, mac, vip) : buildUnsolicitedNa(buf, mac, vip);
}

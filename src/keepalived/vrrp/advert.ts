// The VRRP advertisement itself (RFC 3768 v2, RFC 5798 v3): encoding, decoding and checksums of
// the VRRP part of the packet. The IP and Ethernet headers around it belong to frame.ts.
//
//  v2:  |ver=2|type=1| VRID | Priority | Count |  Auth Type | Adver Int (s) | Checksum | addrs | auth (8) |
//  v3:  |ver=3|type=1| VRID | Priority | Count | rsvd(4) Max Adver Int (12 bits, cs) | Checksum | addrs |
//
// Checksums as keepalived 2.2.7 computes them: v2 over the VRRP part only (addresses and auth data
// included); v3 over the IPv4 or IPv6 pseudo-header (source, the packet's real destination, 112,
// VRRP length) and the VRRP part. keepalived's unicast "old checksum" compatibility (pseudo-header
// with 224.0.0.18 as destination) is not produced; such a packet fails our checksum check.

import { csumFold, csumPartial, pseudoSum4, word32Sum } from '../../packet/checksum.js';
import { readU16, readU32, writeU16, writeU32 } from '../../packet/ether.js';
import { type IpAddr, ip4, ip6 } from '../../packet/inet.js';

export const IPPROTO_VRRP = 112;
export const VRRP_TYPE_ADVERT = 1;
export const VRRP_AUTH_NONE = 0;
export const VRRP_AUTH_PASS = 1;
export const VRRP_AUTH_AH = 2;
export const VRRP_AUTH_LEN = 8;
export const VRRP_HDR_LEN = 8;
/** TTL / hop limit a VRRP packet is sent with and must arrive with (RFC 3768 7.1, RFC 5798 7.1). */
export const VRRP_TTL = 255;

export interface Advert {
  /** As sent (check.ts rejects anything but the instance's version). */
  readonly version: number;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  /** The Count IP Addrs field (what the sender claims; `addrs` holds what was there). */
  readonly count: number;
  /** v2 only (0 in v3). */
  readonly authType: number;
  /** v2: seconds; v3: centiseconds (12 bits). */
  readonly advertInt: number;
  readonly checksum: number;
  readonly addrs: readonly IpAddr[];
  /** v2 with auth: the 8 bytes after the addresses. */
  readonly authData?: Uint8Array;
}

/** The IP addresses the checksum's pseudo-header uses (v3). */
export interface PseudoHeader {
  readonly src: IpAddr;
  readonly dst: IpAddr;
}

const addrLen = (af: 4 | 6): number => (af === 4 ? 4 : 16);

/** Bytes of the VRRP part for `count` addresses of family af (v2 IPv4 carries 8 auth bytes). */
export function advertLength(version: 2 | 3, af: 4 | 6, count: number): number {
  return VRRP_HDR_LEN + count * addrLen(af) + (version === 2 && af === 4 ? VRRP_AUTH_LEN : 0);
}

function pseudoSum(ph: PseudoHeader, len: number): number {
  if (ph.src.af === 4) return pseudoSum4(ph.src.w0, ph.dst.w0, IPPROTO_VRRP, len);
  let s = 0;
  for (const a of [ph.src, ph.dst]) s += word32Sum(a.w0) + word32Sum(a.w1) + word32Sum(a.w2) + word32Sum(a.w3);
  return s + word32Sum(len) + IPPROTO_VRRP;
}

/** The checksum field value for the VRRP bytes at off (their checksum field must read 0). */
export function advertChecksum(buf: Uint8Array, off: number, len: number, version: 2 | 3, ph: PseudoHeader | null): number {
  const base = version === 3 && ph ? pseudoSum(ph, len) : 0;
  return csumFold(csumPartial(buf, off, len, base));
}

/** True when the checksum verifies (the sum over everything, checksum included, folds to 0). */
export function advertChecksumOk(buf: Uint8Array, off: number, len: number, version: 2 | 3, ph: PseudoHeader | null): boolean {
  return advertChecksum(buf, off, len, version, ph) === 0;
}

export interface AdvertFields {
  readonly version: 2 | 3;
  readonly vrid: number;
  readonly priority: number;
  /** v2: whole seconds; v3: centiseconds. */
  readonly advertInt: number;
  readonly addrs: readonly IpAddr[];
  /** v2: PASS with its (up to 8 byte) password, or none. */
  readonly authPass?: string;
}

/** Writes the VRRP part at off with its checksum; returns its length. */
export function encodeAdvert(buf: Uint8Array, off: number, f: AdvertFields, ph: PseudoHeader | null): number {
  const af = f.addrs[0]?.af ?? ph?.src.af ?? 4;
  const len = advertLength(f.version, af, f.addrs.length);
  buf[off] = (f.version << 4) | VRRP_TYPE_ADVERT;
  buf[off + 1] = f.vrid;
  buf[off + 2] = f.priority;
  buf[off + 3] = f.addrs.length;
  if (f.version === 2) {
    buf[off + 4] = f.authPass !== undefined ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
    buf[off + 5] = f.advertInt;
  } else {
    writeU16(buf, off + 4, f.advertInt & 0x0fff);
  }
  writeU16(buf, off + 6, 0);
  let p = off + VRRP_HDR_LEN;
  for (const a of f.addrs) {
    writeU32(buf, p, a.w0);
    if (af === 6) {
      writeU32(buf, p + 4, a.w1);
      writeU32(buf, p + 8, a.w2);
      writeU32(buf, p + 12, a.w3);
    }
    p += addrLen(af);
  }
  if (f.version === 2 && af === 4) {
    // keepalived sends 8 zero bytes without auth and the password zero-padded with it.
    buf.fill(0, p, p + VRRP_AUTH_LEN);
    if (f.authPass !== undefined) buf.set(Buffer.from(f.authPass).subarray(0, VRRP_AUTH_LEN), p);
  }
  writeU16(buf, off + 6, advertChecksum(buf, off, len, f.version, ph));
  return len;
}

/**
 * Reads the VRRP part at off (len bytes: what the IP header says follows it). Returns null when
 * not even the fixed header is there; addresses past `len` are not read (the length check in
 * check.ts reports the shortfall as keepalived does).
 */
export function decodeAdvert(buf: Uint8Array, off: number, len: number, af: 4 | 6): Advert | null {
  if (len < VRRP_HDR_LEN) return null;
  const version = buf[off]! >> 4;
  const v3 = version === 3;
  const count = buf[off + 3]!;
  const addrs: IpAddr[] = [];
  const al = addrLen(af);
  for (let i = 0, p = off + VRRP_HDR_LEN; i < count && p + al <= off + len; i++, p += al) {
    addrs.push(af === 4 ? ip4(readU32(buf, p)) : ip6(readU32(buf, p), readU32(buf, p + 4), readU32(buf, p + 8), readU32(buf, p + 12)));
  }
  const authOff = off + VRRP_HDR_LEN + count * al;
  const hasAuth = !v3 && af === 4 && authOff + VRRP_AUTH_LEN <= off + len;
  return {
    version,
    type: buf[off]! & 15,
    vrid: buf[off + 1]!,
    priority: buf[off + 2]!,
    count,
    authType: v3 ? 0 : buf[off + 4]!,
    advertInt: v3 ? readU16(buf, off + 4) & 0x0fff : buf[off + 5]!,
    checksum: readU16(buf, off + 6),
    addrs,
    ...(hasAuth ? { authData: buf.slice(authOff, authOff + VRRP_AUTH_LEN) } : {}),
  };
}

// Reference Internet checksums for tests: a deliberately plain RFC 1071 sum and a frame walker.
// Imports nothing from src/packet, so a bug in the engine's checksum code cannot vouch for itself.

/**
 * RFC 1071 Internet checksum of bytes[off, off+len): the one's complement of the one's-complement
 * sum of big-endian 16-bit words, an odd last byte padded with zero. Written as the RFC's byte-pair
 * loop on purpose: this is the yardstick the engine's fast code is measured against.
 * Over a region that already holds a correct checksum field the result is 0.
 */
export function inetChecksum(bytes: Uint8Array, off = 0, len = bytes.length - off): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < len; i += 2) sum += bytes[off + i]! * 256 + bytes[off + i + 1]!;
  if (i < len) sum += bytes[off + i]! * 256;
  // Plain arithmetic, not `>>>`, so sums over large buffers never overflow 32 bits.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

/**
 * The TCP/UDP/ICMPv6 pseudo-header: RFC 793/768 for IPv4 (12 bytes), RFC 8200 section 8.1 for
 * IPv6 (40 bytes). `src` and `dst` are the 4- or 16-byte addresses as on the wire.
 */
export function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  if (src.length === 4) {
    const p = new Uint8Array(12);
    p.set(src, 0);
    p.set(dst, 4);
    p[9] = proto;
    p[10] = length >>> 8;
    p[11] = length & 255;
    return p;
  }
  const p = new Uint8Array(40);
  p.set(src, 0);
  p.set(dst, 16);
  p[32] = length >>> 24;
  p[33] = (length >>> 16) & 255;
  p[34] = (length >>> 8) & 255;
  p[35] = length & 255;
  p[39] = proto;
  return p;
}

/** Checksum of a transport segment (its checksum field zeroed) under the pseudo-header. */
export function l4Checksum(src: Uint8Array, dst: Uint8Array, proto: number, seg: Uint8Array, off = 0, len = seg.length - off): number {
  return checksumWithPrefix(pseudoHeader(src, dst, proto, len), seg, off, len);
}

function checksumWithPrefix(prefix: Uint8Array | null, b: Uint8Array, off: number, len: number): number {
  if (prefix === null) return inetChecksum(b, off, len);
  // Concatenating keeps the sum itself the obvious loop; pseudo-headers are a multiple of 2 bytes.
  const all = new Uint8Array(prefix.length + len);
  all.set(prefix, 0);
  all.set(b.subarray(off, off + len), prefix.length);
  return inetChecksum(all);
}

export interface ChecksumReport {
  readonly ok: boolean;
  readonly problems: string[];
}

/**
 * Walks an Ethernet frame (802.1Q/802.1ad tags, ARP, IPv4, IPv6 with extension headers, TCP, UDP,
 * ICMP, ICMPv6, GRE, IP-in-IP, IPv6-in-IP) and checks every checksum it can, inner packets too.
 * Problems name the layer path, e.g. `ipv4/gre/ipv6/udp: checksum 0x1234, expected 0x1235`.
 */
export function verifyFrameChecksums(frame: Uint8Array): ChecksumReport {
  const problems: string[] = [];
  walkEthernet(frame, 0, frame.length, '', problems);
  return { ok: problems.length === 0, problems };
}

/** The same walk for a bare IPv4 or IPv6 packet (no Ethernet header). */
export function verifyPacketChecksums(packet: Uint8Array): ChecksumReport {
  const problems: string[] = [];
  walkIp(packet, 0, packet.length, '', 0, problems);
  return { ok: problems.length === 0, problems };
}

const be16 = (b: Uint8Array, o: number): number => b[o]! * 256 + b[o + 1]!;
const hex4 = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
const join = (path: string, name: string): string => (path === '' ? name : `${path}/${name}`);

function walkEthernet(b: Uint8Array, off: number, end: number, path: string, problems: string[]): void {
  if (end - off < 14) { problems.push(`${join(path, 'eth')}: truncated (${end - off} bytes)`); return; }
  let type = be16(b, off + 12);
  let p = off + 14;
  while (type === 0x8100 || type === 0x88a8) {
    if (end - p < 4) { problems.push(`${join(path, 'vlan')}: truncated`); return; }
    type = be16(b, p + 2);
    p += 4;
  }
  if (type === 0x0800) walkIp(b, p, end, path, 4, problems);
  else if (type === 0x86dd) walkIp(b, p, end, path, 6, problems);
}

/**
 * Checks the checksum that covers [off, off+len) (optionally under a pseudo-header). `fieldOff` is
 * the checksum field's offset, used to say what the right value would have been.
 */
function checkSum(
  name: string, b: Uint8Array, off: number, len: number, fieldOff: number,
  prefix: Uint8Array | null, problems: string[], zeroMeansFfff = false,
): void {
  if (checksumWithPrefix(prefix, b, off, len) === 0) return;
  const copy = b.slice(off, off + len);
  const rel = fieldOff - off;
  copy[rel] = 0;
  copy[rel + 1] = 0;
  let want = checksumWithPrefix(prefix, copy, 0, len);
  if (want === 0 && zeroMeansFfff) want = 0xffff;
  problems.push(`${name}: checksum ${hex4(be16(b, fieldOff))}, expected ${hex4(want)}`);
}

function walkIp(b: Uint8Array, off: number, end: number, path: string, expect: 0 | 4 | 6, problems: string[]): void {
  if (end - off < 1) { problems.push(`${join(path, 'ip')}: truncated`); return; }
  const version = b[off]! >>> 4;
  if (expect !== 0 && version !== expect) {
    problems.push(`${join(path, `ipv${expect}`)}: version field is ${version}`);
    return;
  }
  if (version === 4) walkIpv4(b, off, end, join(path, 'ipv4'), problems);
  else if (version === 6) walkIpv6(b, off, end, join(path, 'ipv6'), problems);
  else problems.push(`${join(path, 'ip')}: unknown IP version ${version}`);
}

function walkIpv4(b: Uint8Array, off: number, end: number, path: string, problems: string[]): void {
  if (end - off < 20) { problems.push(`${path}: truncated header (${end - off} bytes)`); return; }
  const ihl = (b[off]! & 15) * 4;
  if (ihl < 20 || off + ihl > end) { problems.push(`${path}: bad header length ${ihl}`); return; }
  checkSum(`${path} header`, b, off, ihl, off + 10, null, problems);
  const total = be16(b, off + 2);
  if (total < ihl || off + total > end) {
    problems.push(`${path}: total length ${total} but ${end - off} bytes present`);
    return;
  }
  // A fragment carries only part of the transport segment: its checksum cannot be checked alone.
  if ((be16(b, off + 6) & 0x3fff) !== 0) return;
  walkL4(b, off + ihl, off + total, b[off + 9]!, b.subarray(off + 12, off + 16), b.subarray(off + 16, off + 20), path, problems);
}

function walkIpv6(b: Uint8Array, off: number, end: number, path: string, problems: string[]): void {
  if (end - off < 40) { problems.push(`${path}: truncated header (${end - off} bytes)`); return; }
  const stop = off + 40 + be16(b, off + 4);
  if (stop > end) {
    problems.push(`${path}: payload length ${stop - off - 40} but ${end - off - 40} bytes present`);
    return;
  }
  let dst = b.subarray(off + 24, off + 40);
  let nh = b[off + 6]!;
  let p = off + 40;
  for (;;) {
    if (nh !== 0 && nh !== 43 && nh !== 44 && nh !== 60) break;
    if (stop - p < 8) { problems.push(`${path}: extension header ${nh} truncated`); return; }
    if (nh === 44) {
      // Fragment header: only an atomic fragment (offset 0, no M flag) holds the whole segment.
      if ((be16(b, p + 2) & 0xfff9) !== 0) return;
      nh = b[p]!;
      p += 8;
      continue;
    }
    const len = (b[p + 1]! + 1) * 8;
    if (p + len > stop) { problems.push(`${path}: extension header ${nh} truncated`); return; }
    if (nh === 43 && b[p + 3]! > 0) {
      // RFC 8200 8.1: with segments left, the pseudo-header uses the final destination, which is
      // the last address for type 0/2 routing headers and the first segment (SRH, type 4).
      const type = b[p + 2]!;
      const naddr = Math.floor((len - 8) / 16);
      if (naddr > 0 && (type === 0 || type === 2)) dst = b.subarray(p + 8 + 16 * (naddr - 1), p + 8 + 16 * naddr);
      else if (naddr > 0 && type === 4) dst = b.subarray(p + 8, p + 24);
    }
    nh = b[p]!;
    p += len;
  }
  walkL4(b, p, stop, nh, b.subarray(off + 8, off + 24), dst, path, problems);
}

const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);

function walkL4(
  b: Uint8Array, off: number, end: number, proto: number,
  src: Uint8Array, dst: Uint8Array, path: string, problems: string[],
): void {
  const len = end - off;
  const v6 = src.length === 16;
  switch (proto) {
    case 6: {
      const name = join(path, 'tcp');
      if (len < 20) { problems.push(`${name}: truncated (${len} bytes)`); return; }
      checkSum(name, b, off, len, off + 16, pseudoHeader(src, dst, 6, len), problems);
      return;
    }
    case 17: {
      const name = join(path, 'udp');
      if (len < 8) { problems.push(`${name}: truncated (${len} bytes)`); return; }
      const ulen = be16(b, off + 4);
      if (ulen !== len) problems.push(`${name}: length field ${ulen} but the IP payload is ${len} bytes`);
      if (be16(b, off + 6) === 0) {
        // RFC 768: zero means "no checksum" over IPv4; RFC 8200 8.1 forbids it over IPv6.
        if (v6) problems.push(`${name}: zero checksum is not allowed over IPv6`);
        return;
      }
      checkSum(name, b, off, len, off + 6, pseudoHeader(src, dst, 17, len), problems, true);
      return;
    }
    case 1: {
      const name = join(path, 'icmp');
      if (len < 8) { problems.push(`${name}: truncated (${len} bytes)`); return; }
      checkSum(name, b, off, len, off + 2, null, problems);
      if (ICMP4_ERRORS.has(b[off]!)) checkQuote(b, off + 8, end, name, problems);
      return;
    }
    case 58: {
      const name = join(path, 'icmpv6');
      if (len < 8) { problems.push(`${name}: truncated (${len} bytes)`); return; }
      checkSum(name, b, off, len, off + 2, pseudoHeader(src, dst, 58, len), problems);
      if (b[off]! < 128) checkQuote(b, off + 8, end, name, problems);
      return;
    }
    case 47:
      walkGre(b, off, end, join(path, 'gre'), problems);
      return;
    case 4:
      walkIp(b, off, end, path, 4, problems);
      return;
    case 41:
      walkIp(b, off, end, path, 6, problems);
      return;
    default:
  }
}

/**
 * An ICMP error quotes the offending packet, usually cut short, so only the quoted IPv4 header
 * checksum can be checked, and only when the whole header is there (IPv6 headers have none).
 */
function checkQuote(b: Uint8Array, off: number, end: number, path: string, problems: string[]): void {
  if (end - off < 20 || b[off]! >>> 4 !== 4) return;
  const ihl = (b[off]! & 15) * 4;
  if (ihl < 20 || off + ihl > end) return;
  checkSum(`${path}/quote ipv4 header`, b, off, ihl, off + 10, null, problems);
}

function walkGre(b: Uint8Array, off: number, end: number, path: string, problems: string[]): void {
  if (end - off < 4) { problems.push(`${path}: truncated`); return; }
  const flags = be16(b, off);
  const hasCsum = (flags & 0x8000) !== 0;
  if ((flags & 0x4000) !== 0) { problems.push(`${path}: source routing (R bit) not supported`); return; }
  const hlen = 4 + (hasCsum ? 4 : 0) + ((flags & 0x2000) !== 0 ? 4 : 0) + ((flags & 0x1000) !== 0 ? 4 : 0);
  if (end - off < hlen) { problems.push(`${path}: truncated header`); return; }
  // RFC 2784: the checksum covers the GRE header and payload, with no pseudo-header.
  if (hasCsum) checkSum(path, b, off, end - off, off + 4, null, problems);
  const proto = be16(b, off + 2);
  if (proto === 0x0800) walkIp(b, off + hlen, end, path, 4, problems);
  else if (proto === 0x86dd) walkIp(b, off + hlen, end, path, 6, problems);
  else if (proto === 0x6558) walkEthernet(b, off + hlen, end, path, problems);
}

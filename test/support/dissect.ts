// Decodes a frame into a plain object for fixture assertions, and matches it against a partial one.
// Tolerant of cut-short packets (ICMP quotes): it decodes what is there and marks what is not.

import { formatIp4, formatIp6, formatMac } from '../../src/packet/inet.js';

export interface EthInfo { src: string; dst: string; type: number; vlan?: number; pcp?: number }
export interface ArpInfo { op: number; sha: string; spa: string; tha: string; tpa: string }
export interface Ipv4Info {
  src: string; dst: string; ttl: number; tos: number; id: number;
  /** 'DF', 'MF', 'DF+MF' (RF first when set), or '' */
  flags: string;
  fragOffset: number; proto: number; totalLength: number;
  /** In 32-bit words, as on the wire. */
  ihl: number;
  /** Option bytes in hex ('' when none). */
  options: string;
  checksum: number;
}
export type Ipv6ExtInfo =
  | { kind: 'hbh' | 'dstopts'; nextHeader: number; options: string }
  | { kind: 'routing'; nextHeader: number; routingType: number; segmentsLeft: number; addresses: string[] }
  | { kind: 'fragment'; nextHeader: number; offset: number; mf: boolean; id: number };
export interface Ipv6Info {
  src: string; dst: string; hlim: number; tc: number; flowLabel: number;
  /** The fixed header's next header; the transport protocol is the last ext's nextHeader. */
  nextHeader: number;
  payloadLength: number;
  ext: Ipv6ExtInfo[];
}
export type TcpOptionInfo =
  | { kind: 'mss' | 'wscale'; value: number }
  | { kind: 'sackok' | 'nop' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'toa'; port: number; addr: string }
  | { kind: 'raw'; code: number; data: string };
export interface TcpInfo {
  sport: number; dport: number; seq?: number; ack?: number;
  /** Set flags in the order F S R P A U E C, so SYN+ACK is 'SA' and PSH+ACK is 'PA' (as scapy). */
  flags?: string;
  win?: number; doff?: number; urg?: number; checksum?: number;
  /** Options up to the first EOL; EOL and the padding after it are left out. */
  options?: TcpOptionInfo[];
  /** UTF-8 text when every byte is printable ASCII, else hex. */
  payload?: string;
  payloadLen?: number;
}
export interface UdpInfo { sport: number; dport: number; length: number; checksum: number; payload: string; payloadLen: number }
export interface IcmpInfo {
  type: number; code: number; name: string; checksum: number;
  id?: number; seq?: number; data?: string; mtu?: number;
  /** The quoted packet of an error message, dissected from its IP header. */
  inner?: Dissection;
  /** Neighbour discovery (ICMPv6 135/136). */
  target?: string; sll?: string; tll?: string; router?: boolean; solicited?: boolean; override?: boolean;
}
export interface GreInfo { proto: number; csum: boolean; checksum?: number; key?: number; seq?: number }

export interface Dissection {
  eth?: EthInfo;
  arp?: ArpInfo;
  ipv4?: Ipv4Info;
  ipv6?: Ipv6Info;
  tcp?: TcpInfo;
  udp?: UdpInfo;
  icmp?: IcmpInfo;
  icmpv6?: IcmpInfo;
  gre?: GreInfo;
  /** The encapsulated packet of IP-in-IP, IPv6-in-IP and GRE. */
  inner?: Dissection;
  /** Bytes after the last layer decoded (unknown protocol), in the same text-or-hex form. */
  payload?: string;
  /** Which layer was cut short, when one was. */
  truncated?: string;
}

const be16 = (b: Uint8Array, o: number): number => b[o]! * 256 + b[o + 1]!;
const be32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ip4At = (b: Uint8Array, o: number): string => formatIp4(be32(b, o));
const ip6At = (b: Uint8Array, o: number): string => formatIp6(be32(b, o), be32(b, o + 4), be32(b, o + 8), be32(b, o + 12));

/** Printable ASCII (and tab/CR/LF) reads as text; anything else as hex. */
export function textOrHex(b: Uint8Array): string {
  const printable = b.every((c) => (c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13);
  return printable ? Buffer.from(b).toString('latin1') : hex(b);
}

/** Decodes an Ethernet frame. */
export function dissect(frame: Uint8Array): Dissection {
  const d: Dissection = {};
  dissectEth(frame, 0, frame.length, d);
  return d;
}

/** Decodes a bare IPv4/IPv6 packet (an ICMP quote, a tunnel's inner packet). */
export function dissectIp(pkt: Uint8Array): Dissection {
  const d: Dissection = {};
  dissectIpAt(pkt, 0, pkt.length, d);
  return d;
}

function dissectEth(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 14) { d.truncated = 'eth'; return; }
  const eth: EthInfo = { dst: formatMac(b, off), src: formatMac(b, off + 6), type: be16(b, off + 12) };
  d.eth = eth;
  let p = off + 14;
  if (eth.type === 0x8100 && end - p >= 4) {
    eth.pcp = b[p]! >>> 5;
    eth.vlan = be16(b, p) & 0xfff;
    eth.type = be16(b, p + 2);
    p += 4;
  }
  if (eth.type === 0x0806) dissectArp(b, p, end, d);
  else if (eth.type === 0x0800 || eth.type === 0x86dd) dissectIpAt(b, p, end, d);
  else if (p < end) d.payload = textOrHex(b.subarray(p, end));
}

function dissectArp(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 28) { d.truncated = 'arp'; return; }
  d.arp = { op: be16(b, off + 6), sha: formatMac(b, off + 8), spa: ip4At(b, off + 14), tha: formatMac(b, off + 18), tpa: ip4At(b, off + 24) };
}

function ipv4FlagText(v: number): string {
  return [v & 4 ? 'RF' : '', v & 2 ? 'DF' : '', v & 1 ? 'MF' : ''].filter(Boolean).join('+');
}

function dissectIpAt(b: Uint8Array, off: number, end: number, d: Dissection): void {
  const version = end > off ? b[off]! >>> 4 : 0;
  if (version === 4) dissectIpv4(b, off, end, d);
  else if (version === 6) dissectIpv6(b, off, end, d);
  else d.truncated = 'ip';
}

function dissectIpv4(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 20) { d.truncated = 'ipv4'; return; }
  const ihl = b[off]! & 15;
  const fo = be16(b, off + 6);
  const ip: Ipv4Info = {
    src: ip4At(b, off + 12), dst: ip4At(b, off + 16), ttl: b[off + 8]!, tos: b[off + 1]!, id: be16(b, off + 4),
    flags: ipv4FlagText(fo >>> 13), fragOffset: fo & 0x1fff, proto: b[off + 9]!, totalLength: be16(b, off + 2),
    ihl, options: hex(b.subarray(off + 20, Math.min(end, off + ihl * 4))), checksum: be16(b, off + 10),
  };
  d.ipv4 = ip;
  // A quoted packet is usually cut short: decode what is present, within the total length.
  const stop = Math.min(end, off + ip.totalLength);
  if (stop < off + ihl * 4 || ihl < 5) { d.truncated = 'ipv4'; return; }
  if (stop < off + ip.totalLength && d.truncated === undefined) d.truncated = 'ipv4';
  if (ip.fragOffset !== 0) { d.payload = textOrHex(b.subarray(off + ihl * 4, stop)); return; }
  dissectL4(b, off + ihl * 4, stop, ip.proto, d);
}

function dissectIpv6(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 40) { d.truncated = 'ipv6'; return; }
  const w0 = be32(b, off);
  const ip: Ipv6Info = {
    src: ip6At(b, off + 8), dst: ip6At(b, off + 24), hlim: b[off + 7]!, tc: (w0 >>> 20) & 255, flowLabel: w0 & 0xfffff,
    nextHeader: b[off + 6]!, payloadLength: be16(b, off + 4), ext: [],
  };
  d.ipv6 = ip;
  const stop = Math.min(end, off + 40 + ip.payloadLength);
  if (stop < off + 40 + ip.payloadLength) d.truncated = 'ipv6';
  let nh = ip.nextHeader;
  let p = off + 40;
  while (nh === 0 || nh === 43 || nh === 44 || nh === 60) {
    if (stop - p < 8) { d.truncated = 'ipv6 ext'; return; }
    const next = b[p]!;
    const len = nh === 44 ? 8 : (b[p + 1]! + 1) * 8;
    if (p + len > stop) { d.truncated = 'ipv6 ext'; return; }
    if (nh === 44) {
      const fo = be16(b, p + 2);
      ip.ext.push({ kind: 'fragment', nextHeader: next, offset: fo >>> 3, mf: (fo & 1) === 1, id: be32(b, p + 4) });
      if (fo >>> 3 !== 0) { d.payload = textOrHex(b.subarray(p + 8, stop)); return; }
    } else if (nh === 43) {
      const addresses: string[] = [];
      for (let a = p + 8; a + 16 <= p + len; a += 16) addresses.push(ip6At(b, a));
      ip.ext.push({ kind: 'routing', nextHeader: next, routingType: b[p + 2]!, segmentsLeft: b[p + 3]!, addresses });
    } else {
      ip.ext.push({ kind: nh === 0 ? 'hbh' : 'dstopts', nextHeader: next, options: hex(b.subarray(p + 2, p + len)) });
    }
    nh = next;
    p += len;
  }
  dissectL4(b, p, stop, nh, d);
}

function dissectL4(b: Uint8Array, off: number, end: number, proto: number, d: Dissection): void {
  switch (proto) {
    case 6: dissectTcp(b, off, end, d); return;
    case 17: dissectUdp(b, off, end, d); return;
    case 1: d.icmp = dissectIcmp(b, off, end, 4, d); return;
    case 58: d.icmpv6 = dissectIcmp(b, off, end, 6, d); return;
    case 47: dissectGre(b, off, end, d); return;
    case 4:
    case 41:
      d.inner = {};
      dissectIpAt(b, off, end, d.inner);
      return;
    default:
      if (off < end) d.payload = textOrHex(b.subarray(off, end));
  }
}

function tcpFlagText(v: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) if (v & (1 << i)) s += 'FSRPAUEC'[i];
  return s;
}

function tcpOptions(b: Uint8Array, off: number, end: number): TcpOptionInfo[] {
  const out: TcpOptionInfo[] = [];
  let p = off;
  while (p < end) {
    const kind = b[p]!;
    if (kind === 0) break;
    if (kind === 1) { out.push({ kind: 'nop' }); p++; continue; }
    const len = p + 1 < end ? b[p + 1]! : 0;
    if (len < 2 || p + len > end) { out.push({ kind: 'raw', code: kind, data: hex(b.subarray(p + 1, end)) }); break; }
    const v = p + 2;
    if (kind === 2 && len === 4) out.push({ kind: 'mss', value: be16(b, v) });
    else if (kind === 3 && len === 3) out.push({ kind: 'wscale', value: b[v]! });
    else if (kind === 4 && len === 2) out.push({ kind: 'sackok' });
    else if (kind === 8 && len === 10) out.push({ kind: 'ts', val: be32(b, v), ecr: be32(b, v + 4) });
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let q = v; q < p + len; q += 8) blocks.push([be32(b, q), be32(b, q + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (kind === 254 && (len === 8 || len === 20)) {
      out.push({ kind: 'toa', port: be16(b, v), addr: len === 8 ? ip4At(b, v + 2) : ip6At(b, v + 2) });
    } else out.push({ kind: 'raw', code: kind, data: hex(b.subarray(v, p + len)) });
    p += len;
  }
  return out;
}

function dissectTcp(b: Uint8Array, off: number, end: number, d: Dissection): void {
  const len = end - off;
  if (len < 4) { d.truncated = 'tcp'; return; }
  if (len < 20) {
    // An ICMP quote holds at least 8 bytes of the segment: ports and sequence number.
    d.tcp = { sport: be16(b, off), dport: be16(b, off + 2), ...(len >= 8 ? { seq: be32(b, off + 4) } : {}) };
    d.truncated ??= 'tcp';
    return;
  }
  const doff = b[off + 12]! >>> 4;
  const hlen = Math.min(Math.max(doff * 4, 20), len);
  const payload = b.subarray(off + hlen, end);
  d.tcp = {
    sport: be16(b, off), dport: be16(b, off + 2), seq: be32(b, off + 4), ack: be32(b, off + 8),
    flags: tcpFlagText(b[off + 13]!), win: be16(b, off + 14), doff, urg: be16(b, off + 18), checksum: be16(b, off + 16),
    options: tcpOptions(b, off + 20, off + hlen), payload: textOrHex(payload), payloadLen: payload.length,
  };
}

function dissectUdp(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 8) { d.truncated = 'udp'; return; }
  const payload = b.subarray(off + 8, end);
  d.udp = { sport: be16(b, off), dport: be16(b, off + 2), length: be16(b, off + 4), checksum: be16(b, off + 6), payload: textOrHex(payload), payloadLen: payload.length };
}

const ICMP4_NAMES: Record<number, string> = { 0: 'echo-reply', 3: 'dest-unreach', 8: 'echo-request', 11: 'time-exceeded', 4: 'source-quench', 5: 'redirect', 12: 'param-problem' };
const ICMP6_NAMES: Record<number, string> = { 1: 'dest-unreach', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'param-problem', 128: 'echo-request', 129: 'echo-reply', 133: 'rs', 134: 'ra', 135: 'ns', 136: 'na' };

function dissectIcmp(b: Uint8Array, off: number, end: number, af: 4 | 6, d: Dissection): IcmpInfo | undefined {
  if (end - off < 8) { d.truncated = af === 4 ? 'icmp' : 'icmpv6'; return undefined; }
  const type = b[off]!;
  const m: IcmpInfo = { type, code: b[off + 1]!, name: (af === 4 ? ICMP4_NAMES : ICMP6_NAMES)[type] ?? `type-${type}`, checksum: be16(b, off + 2) };
  const body = b.subarray(off + 8, end);
  const echo = af === 4 ? type === 0 || type === 8 : type === 128 || type === 129;
  const error = af === 4 ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : type < 128;
  if (echo) {
    m.id = be16(b, off + 4);
    m.seq = be16(b, off + 6);
    m.data = textOrHex(body);
  } else if (error) {
    if (af === 4 && type === 3 && m.code === 4) m.mtu = be16(b, off + 6);
    if (af === 6 && type === 2) m.mtu = be32(b, off + 4);
    m.inner = dissectIp(body);
  } else if (af === 6 && (type === 135 || type === 136) && body.length >= 16) {
    m.target = ip6At(b, off + 8);
    if (type === 136) {
      m.router = (b[off + 4]! & 0x80) !== 0;
      m.solicited = (b[off + 4]! & 0x40) !== 0;
      m.override = (b[off + 4]! & 0x20) !== 0;
    }
    // RFC 4861 4.6.1: options are type, length in 8-byte units, data.
    for (let p = off + 24; p + 8 <= end && b[p + 1]! > 0; p += b[p + 1]! * 8) {
      if (b[p] === 1) m.sll = formatMac(b, p + 2);
      else if (b[p] === 2) m.tll = formatMac(b, p + 2);
    }
  } else {
    m.data = textOrHex(body);
  }
  return m;
}

function dissectGre(b: Uint8Array, off: number, end: number, d: Dissection): void {
  if (end - off < 4) { d.truncated = 'gre'; return; }
  const flags = be16(b, off);
  const g: GreInfo = { proto: be16(b, off + 2), csum: (flags & 0x8000) !== 0 };
  let p = off + 4;
  if (g.csum) { g.checksum = be16(b, p); p += 4; }
  if (flags & 0x2000) { g.key = be32(b, p); p += 4; }
  if (flags & 0x1000) { g.seq = be32(b, p); p += 4; }
  d.gre = g;
  if (p > end) { d.truncated = 'gre'; return; }
  d.inner = {};
  if (g.proto === 0x0800 || g.proto === 0x86dd) dissectIpAt(b, p, end, d.inner);
  else if (g.proto === 0x6558) dissectEth(b, p, end, d.inner);
  else if (p < end) d.inner.payload = textOrHex(b.subarray(p, end));
}

// ---- partial matching ----

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `<${hex(v)}>`;
  if (typeof v === 'function') return 'a predicate';
  return JSON.stringify(v) ?? String(v);
}

/**
 * Deep partial match, so a fixture states only the fields that must hold: a value, a nested partial
 * object, or a predicate. Every field named in `expected` must hold in `actual`; others are ignored.
 * - a key present with value `undefined` means the field must be absent (e.g. `{ tcp: undefined }`);
 * - arrays must have the same length, each element matched partially;
 * - a Uint8Array matches a hex string (how dissect shows bytes) or equal bytes;
 * - a function is a predicate on the actual value.
 * Returns one line per mismatch, with its path (`tcp.options[2].addr: ...`); [] means a match.
 */
export function matchFields(actual: unknown, expected: unknown, path = ''): string[] {
  const at = path === '' ? '(root)' : path;
  if (typeof expected === 'function') {
    return (expected as (v: unknown) => boolean)(actual) ? [] : [`${at}: predicate failed on ${show(actual)}`];
  }
  if (expected === undefined) return actual === undefined ? [] : [`${at}: expected absent, got ${show(actual)}`];
  if (expected instanceof Uint8Array) {
    const got = actual instanceof Uint8Array ? hex(actual) : actual;
    return got === hex(expected) ? [] : [`${at}: expected ${show(expected)}, got ${show(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${show(actual)}`];
    if (actual.length !== expected.length) {
      return [`${at}: expected ${expected.length} elements, got ${actual.length}: ${show(actual)}`];
    }
    return expected.flatMap((e, i) => matchFields(actual[i], e, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${at}: expected an object, got ${show(actual)}`];
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([k, e]) => matchFields(a[k], e, path === '' ? k : `${path}.${k}`));
  }
  return Object.is(actual, expected) ? [] : [`${at}: expected ${show(expected)}, got ${show(actual)}`];
}

// Encodes the builder's layers into bytes: lengths, protocol numbers and checksums filled in.
// Each header is written after what it carries, since its lengths and checksums depend on that.

import { parseIp4, parseIp6, parseMac } from '../../src/packet/inet.js';
import { inetChecksum, l4Checksum } from './csum-ref.js';
import type {
  ArpOpts, ChecksumOpts, EthOpts, GreOpts, IcmpCommonOpts, IcmpOpts, Icmpv6Opts, Ipv4Opts, Ipv6Ext, Ipv6Opts, Layer, TcpOpts, TcpOption, UdpOpts,
} from './layers.js';

/** The enclosing IP header's addresses, for pseudo-headers. */
interface IpContext {
  src: Uint8Array;
  dst: Uint8Array;
}

export function toBytes(data: string | Uint8Array | number[]): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, (v >>> 16) & 0xffff);
  put16(b, o + 2, v & 0xffff);
}

/**
 * Defaults that are not scapy's (scapy takes these from the host's interface), so toScapy spells
 * them out. Every other default (TTL 64, IP id 1, TCP flags S and window 8192, ...) is scapy's own.
 */
export const DEFAULTS = { ethSrc: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:02', arpHw: '00:00:00:00:00:00', arpIp: '0.0.0.0' } as const;

function mac(s: string): Uint8Array {
  const m = parseMac(s);
  if (!m) throw new Error(`builder: bad MAC address '${s}'`);
  return m;
}

function addrBytes(s: string, af: 4 | 6): Uint8Array {
  const a = af === 4 ? parseIp4(s) : parseIp6(s);
  if (!a) throw new Error(`builder: bad IPv${af} address '${s}'`);
  const out = new Uint8Array(af === 4 ? 4 : 16);
  const words = [a.w0, a.w1, a.w2, a.w3];
  for (let i = 0; i < out.length / 4; i++) put32(out, i * 4, words[i]!);
  return out;
}

/** The checksum each layer's options produced, recorded for toScapy(). */
export type Sums = Map<object, number>;

/** Writes the computed checksum at `at`, or the forced / deliberately wrong one the options ask for. */
function writeChecksum(b: Uint8Array, at: number, computed: number, o: ChecksumOpts, sums: Sums): void {
  let v = computed;
  if (o.checksum !== undefined) v = o.checksum;
  else if (o.badChecksum) v = computed ^ 1;
  put16(b, at, v);
  sums.set(o, v);
}

/** Pads to a multiple of `n` with zero bytes (EOL for IPv4 and TCP options). */
function padTo(b: Uint8Array, n: number): Uint8Array {
  const len = Math.ceil(b.length / n) * n;
  if (len === b.length) return b;
  const out = new Uint8Array(len);
  out.set(b);
  return out;
}

const IP_PROTO: Partial<Record<Layer['kind'], number>> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, gre: 47, ipv4: 4, ipv6: 41 };
const ETHER_TYPE: Partial<Record<Layer['kind'], number>> = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806, eth: 0x6558 };

/** The frame's bytes; the checksum each layer got is recorded in `sums`. */
export function encodeLayers(layers: readonly Layer[], sums: Sums): Uint8Array {
  return encode(layers, 0, null, sums);
}

/** Encodes layers[i..]: addresses flow down to the pseudo-headers, bytes come back up. */
function encode(layers: readonly Layer[], i: number, ip: IpContext | null, sums: Sums): Uint8Array {
  const l = layers[i];
  if (!l) return new Uint8Array(0);
  const next = layers[i + 1]?.kind;
  if (l.kind === 'ipv4' || l.kind === 'ipv6') {
    // An IP layer hands its own addresses down to the transport layer's pseudo-header.
    const ctx = l.kind === 'ipv4'
      ? { src: addrBytes(l.o.src, 4), dst: addrBytes(l.o.dst, 4) }
      : { src: addrBytes(l.o.src, 6), dst: addrBytes(finalDestination(l.o), 6) };
    const inner = encode(layers, i + 1, ctx, sums);
    return l.kind === 'ipv4' ? encodeIpv4(l.o, next, inner, sums) : encodeIpv6(l.o, next, inner);
  }
  const inner = encode(layers, i + 1, ip, sums);
  switch (l.kind) {
    case 'eth': return encodeEth(l.o, next, inner);
    case 'arp': return concat(encodeArp(l.o), inner);
    case 'tcp': return encodeTcp(l.o, needIp(ip, 'tcp'), inner, sums);
    case 'udp': return encodeUdp(l.o, needIp(ip, 'udp'), inner, sums);
    case 'icmp': return encodeIcmp(l.o, inner, sums);
    case 'icmpv6': return encodeIcmpv6(l.o, needIp(ip, 'icmpv6'), inner, sums);
    case 'gre': return encodeGre(l.o, next, inner, sums);
    case 'raw': return concat(l.bytes, inner);
  }
}

function needIp(ip: IpContext | null, what: string): IpContext {
  if (!ip) throw new Error(`builder: ${what} needs an enclosing ipv4() or ipv6() for its pseudo-header`);
  return ip;
}

function encodeEth(o: EthOpts, next: Layer['kind'] | undefined, inner: Uint8Array): Uint8Array {
  const tagged = o.vlan !== undefined;
  const h = new Uint8Array(tagged ? 18 : 14);
  h.set(mac(o.dst ?? DEFAULTS.ethDst), 0);
  h.set(mac(o.src ?? DEFAULTS.ethSrc), 6);
  const type = o.type ?? (next ? ETHER_TYPE[next] : undefined) ?? 0x88b5;
  if (tagged) {
    put16(h, 12, 0x8100);
    put16(h, 14, ((o.pcp ?? 0) << 13) | (o.vlan! & 0xfff));
    put16(h, 16, type);
  } else {
    put16(h, 12, type);
  }
  return concat(h, inner);
}

export function arpOp(o: ArpOpts): number {
  return o.op === 'reply' ? 2 : o.op === 'request' || o.op === undefined ? 1 : o.op;
}

function encodeArp(o: ArpOpts): Uint8Array {
  const h = new Uint8Array(28);
  put16(h, 0, 1); // Ethernet
  put16(h, 2, 0x0800);
  h[4] = 6;
  h[5] = 4;
  put16(h, 6, arpOp(o));
  h.set(mac(o.sha ?? DEFAULTS.arpHw), 8);
  h.set(addrBytes(o.spa ?? DEFAULTS.arpIp, 4), 14);
  h.set(mac(o.tha ?? DEFAULTS.arpHw), 18);
  h.set(addrBytes(o.tpa ?? DEFAULTS.arpIp, 4), 24);
  return h;
}

export function ipv4Flags(f: string | number | undefined): number {
  if (f === undefined) return 0;
  if (typeof f === 'number') return f & 7;
  let v = 0;
  for (const t of f.split(/[+|, ]+/).filter(Boolean)) {
    if (t === 'DF') v |= 2;
    else if (t === 'MF') v |= 1;
    else if (t === 'RF') v |= 4;
    else throw new Error(`builder: unknown IPv4 flag '${t}' (use DF, MF, RF)`);
  }
  return v;
}

function encodeIpv4(o: Ipv4Opts, next: Layer['kind'] | undefined, inner: Uint8Array, sums: Sums): Uint8Array {
  const opts = padTo(toBytes(o.options ?? []), 4);
  const h = new Uint8Array(20 + opts.length);
  h[0] = 0x40 | (h.length / 4);
  h[1] = o.tos ?? 0;
  put16(h, 2, o.totalLength ?? h.length + inner.length);
  put16(h, 4, o.id ?? 1);
  put16(h, 6, (ipv4Flags(o.flags) << 13) | ((o.fragOffset ?? 0) & 0x1fff));
  h[8] = o.ttl ?? 64;
  h[9] = o.proto ?? (next ? IP_PROTO[next] : undefined) ?? 0;
  h.set(addrBytes(o.src, 4), 12);
  h.set(addrBytes(o.dst, 4), 16);
  h.set(opts, 20);
  writeChecksum(h, 10, inetChecksum(h), o, sums);
  return concat(h, inner);
}

const EXT_NH = { hbh: 0, routing: 43, fragment: 44, dstopts: 60 } as const;

/** HBH / destination options: 2 header bytes plus options, padded to 8 with Pad1/PadN (RFC 8200 4.2). */
function optionsHeader(options: Uint8Array): Uint8Array {
  const len = Math.ceil((options.length + 2) / 8) * 8;
  const h = new Uint8Array(len);
  h.set(options, 2);
  const pad = len - 2 - options.length;
  if (pad >= 2) { h[2 + options.length] = 1; h[3 + options.length] = pad - 2; }
  // pad === 1 leaves a single 0 byte: Pad1.
  return h;
}

function extHeader(e: Ipv6Ext): Uint8Array {
  switch (e.kind) {
    case 'hbh':
    case 'dstopts':
      return optionsHeader(toBytes(e.options ?? []));
    case 'fragment': {
      const h = new Uint8Array(8);
      put16(h, 2, ((e.offset ?? 0) << 3) | (e.mf ? 1 : 0));
      put32(h, 4, e.id ?? 0);
      return h;
    }
    case 'routing': {
      const addrs = e.addresses ?? [];
      const type = e.routingType ?? 0;
      const h = new Uint8Array(8 + 16 * addrs.length);
      h[2] = type;
      h[3] = e.segmentsLeft ?? 0;
      if (type === 4 && addrs.length > 0) h[4] = addrs.length - 1; // SRH last entry
      addrs.forEach((a, k) => h.set(addrBytes(a, 6), 8 + 16 * k));
      return h;
    }
  }
}

/** RFC 8200 8.1: the pseudo-header's destination is the final one when a routing header has segments left. */
function finalDestination(o: Ipv6Opts): string {
  for (const e of o.ext ?? []) {
    if (e.kind !== 'routing' || !(e.segmentsLeft ?? 0) || !e.addresses?.length) continue;
    return (e.routingType ?? 0) === 4 ? e.addresses[0]! : e.addresses[e.addresses.length - 1]!;
  }
  return o.dst;
}

function encodeIpv6(o: Ipv6Opts, next: Layer['kind'] | undefined, inner: Uint8Array): Uint8Array {
  const exts = (o.ext ?? []).map(extHeader);
  const kinds = (o.ext ?? []).map((e) => EXT_NH[e.kind]);
  const last = o.nextHeader ?? (next ? IP_PROTO[next] : undefined) ?? 59;
  exts.forEach((h, k) => {
    h[0] = k + 1 < kinds.length ? kinds[k + 1]! : last;
    if (kinds[k] !== 44) h[1] = h.length / 8 - 1;
  });
  const h = new Uint8Array(40);
  put32(h, 0, (6 << 28) | ((o.tc ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff));
  const body = concat(...exts, inner);
  put16(h, 4, o.payloadLength ?? body.length);
  h[6] = kinds.length ? kinds[0]! : last;
  h[7] = o.hlim ?? 64;
  h.set(addrBytes(o.src, 6), 8);
  h.set(addrBytes(o.dst, 6), 24);
  return concat(h, body);
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

function tcpFlags(s: string): number {
  let v = 0;
  for (const c of s) {
    const bit = TCP_FLAG_BITS[c];
    if (bit === undefined) throw new Error(`builder: unknown TCP flag '${c}' (use F S R P A U E C)`);
    v |= bit;
  }
  return v;
}

export function tcpOption(opt: TcpOption): number[] {
  switch (opt.kind) {
    case 'eol': return [0];
    case 'nop': return [1];
    case 'mss': return [2, 4, opt.value >>> 8, opt.value & 255];
    case 'wscale': return [3, 3, opt.value];
    case 'sackok': return [4, 2];
    case 'sack': {
      const out = [5, 2 + 8 * opt.blocks.length];
      for (const [l, r] of opt.blocks) {
        const b = new Uint8Array(8);
        put32(b, 0, l);
        put32(b, 4, r);
        out.push(...b);
      }
      return out;
    }
    case 'ts': {
      const b = new Uint8Array(10);
      b[0] = 8;
      b[1] = 10;
      put32(b, 2, opt.val);
      put32(b, 6, opt.ecr);
      return [...b];
    }
    case 'toa': {
      const addr = addrBytes(opt.addr, opt.addr.includes(':') ? 6 : 4);
      return [254, 4 + addr.length, opt.port >>> 8, opt.port & 255, ...addr];
    }
    case 'raw': {
      const data = toBytes(opt.data ?? []);
      return [opt.code, 2 + data.length, ...data];
    }
  }
}

function encodeTcp(o: TcpOpts, ip: IpContext, inner: Uint8Array, sums: Sums): Uint8Array {
  const opts = padTo(Uint8Array.from((o.options ?? []).flatMap(tcpOption)), 4);
  if (opts.length > 40) throw new Error(`builder: TCP options take ${opts.length} bytes, at most 40 fit`);
  const h = new Uint8Array(20 + opts.length);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put32(h, 4, o.seq ?? 0);
  put32(h, 8, o.ack ?? 0);
  h[12] = (h.length / 4) << 4;
  h[13] = tcpFlags(o.flags ?? 'S');
  put16(h, 14, o.win ?? 8192);
  put16(h, 18, o.urg ?? 0);
  h.set(opts, 20);
  const seg = concat(h, inner);
  writeChecksum(seg, 16, l4Checksum(ip.src, ip.dst, 6, seg), o, sums);
  return seg;
}

function encodeUdp(o: UdpOpts, ip: IpContext, inner: Uint8Array, sums: Sums): Uint8Array {
  const seg = concat(new Uint8Array(8), inner);
  put16(seg, 0, o.sport);
  put16(seg, 2, o.dport);
  put16(seg, 4, o.length ?? seg.length);
  // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
  writeChecksum(seg, 6, l4Checksum(ip.src, ip.dst, 17, seg) || 0xffff, o, sums);
  return seg;
}

/** Body after the 8-byte ICMP header: echo data, or the quoted packet of an error. */
export function quoteBytes(o: IcmpCommonOpts): Uint8Array {
  if (o.quote !== undefined) {
    const q = o.quote instanceof Uint8Array ? o.quote : o.quote.build();
    return o.quoteLen !== undefined ? q.subarray(0, o.quoteLen) : q;
  }
  return toBytes(o.data ?? new Uint8Array(0));
}

const ICMP4_TYPE = { 'echo-reply': 0, 'dest-unreach': 3, 'echo-request': 8, 'time-exceeded': 11 } as const;

function encodeIcmp(o: IcmpOpts, inner: Uint8Array, sums: Sums): Uint8Array {
  const type = icmpType(o);
  const msg = concat(new Uint8Array(8), quoteBytes(o), inner);
  msg[0] = type;
  msg[1] = o.code ?? 0;
  if (type === 0 || type === 8) {
    put16(msg, 4, o.id ?? 0);
    put16(msg, 6, o.seq ?? 0);
  } else if (o.mtu !== undefined) {
    put16(msg, 6, o.mtu);
  }
  writeChecksum(msg, 2, inetChecksum(msg), o, sums);
  return msg;
}

const ICMP6_TYPE = {
  'dest-unreach': 1, 'packet-too-big': 2, 'time-exceeded': 3,
  'echo-request': 128, 'echo-reply': 129, ns: 135, na: 136,
} as const;

export const icmpType = (o: IcmpOpts): number => (typeof o.type === 'number' ? o.type : ICMP4_TYPE[o.type]);
export const icmpv6Type = (o: Icmpv6Opts): number => (typeof o.type === 'number' ? o.type : ICMP6_TYPE[o.type]);

/** RFC 4861 4.6.1 link-layer address option: type, length in 8-byte units, the MAC. */
function llOption(type: 1 | 2, m: string): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = type;
  b[1] = 1;
  b.set(mac(m), 2);
  return b;
}

function encodeIcmpv6(o: Icmpv6Opts, ip: IpContext, inner: Uint8Array, sums: Sums): Uint8Array {
  const type = icmpv6Type(o);
  let body: Uint8Array;
  if (type === 135 || type === 136) {
    const parts = [addrBytes(o.target ?? '::', 6)];
    if (o.sll !== undefined) parts.push(llOption(1, o.sll));
    if (o.tll !== undefined) parts.push(llOption(2, o.tll));
    body = concat(...parts);
  } else {
    body = quoteBytes(o);
  }
  const msg = concat(new Uint8Array(8), body, inner);
  msg[0] = type;
  msg[1] = o.code ?? 0;
  if (type === 128 || type === 129) {
    put16(msg, 4, o.id ?? 0);
    put16(msg, 6, o.seq ?? 0);
  } else if (type === 2) {
    put32(msg, 4, o.mtu ?? 1280);
  } else if (type === 136) {
    msg[4] = (o.router ? 0x80 : 0) | (o.solicited ? 0x40 : 0) | (o.override ? 0x20 : 0);
  }
  writeChecksum(msg, 2, l4Checksum(ip.src, ip.dst, 58, msg), o, sums);
  return msg;
}

/** Asking for a checksum value, even a bad one, implies the optional checksum field. */
export function greHasChecksum(o: GreOpts): boolean {
  return o.csum === true || o.checksum !== undefined || o.badChecksum === true;
}

function encodeGre(o: GreOpts, next: Layer['kind'] | undefined, inner: Uint8Array, sums: Sums): Uint8Array {
  const csum = greHasChecksum(o);
  const h = new Uint8Array(4 + (csum ? 4 : 0) + (o.key !== undefined ? 4 : 0) + (o.seq !== undefined ? 4 : 0));
  put16(h, 0, (csum ? 0x8000 : 0) | (o.key !== undefined ? 0x2000 : 0) | (o.seq !== undefined ? 0x1000 : 0));
  put16(h, 2, o.proto ?? (next ? ETHER_TYPE[next] : undefined) ?? 0);
  let p = csum ? 8 : 4;
  if (o.key !== undefined) { put32(h, p, o.key); p += 4; }
  if (o.seq !== undefined) put32(h, p, o.seq);
  const pkt = concat(h, inner);
  if (csum) writeChecksum(pkt, 4, inetChecksum(pkt), o, sums);
  return pkt;
}

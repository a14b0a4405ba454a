// Renders the builder's layers as a scapy expression, for humans reading or regenerating fixtures.
// Fields left unset are left out: the builder's defaults are scapy's, except where spelled out here.
// scapy.test.ts checks that scapy builds the same bytes.

import { arpOp, DEFAULTS, greHasChecksum, icmpType, icmpv6Type, ipv4Flags, quoteBytes, tcpOption, toBytes, type Sums } from './encode.js';
import type { ChecksumOpts, IcmpCommonOpts, Icmpv6Opts, Ipv6Ext, Layer, TcpOption } from './layers.js';

function pyArgs(args: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v}`)
    .join(', ');
}

const pyBytes = (b: Uint8Array): string => `bytes.fromhex("${Buffer.from(b).toString('hex')}")`;

function pyLoad(b: Uint8Array): string {
  const printable = b.every((c) => c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c);
  return printable ? `b"${Buffer.from(b).toString('latin1')}"` : pyBytes(b);
}

/** A forced or deliberately bad checksum must be spelled out, or scapy would compute a good one. */
function scapyChecksum(o: ChecksumOpts, sums: Sums, name = 'chksum'): Record<string, number | undefined> {
  return { [name]: o.checksum !== undefined || o.badChecksum ? sums.get(o) : undefined };
}

function scapyTcpOption(opt: TcpOption): string {
  switch (opt.kind) {
    case 'eol': return `("EOL", None)`;
    case 'nop': return `("NOP", None)`;
    case 'mss': return `("MSS", ${opt.value})`;
    case 'wscale': return `("WScale", ${opt.value})`;
    case 'sackok': return `("SAckOK", b"")`;
    case 'sack': return `("SAck", (${opt.blocks.flat().join(', ')}))`;
    case 'ts': return `("Timestamp", (${opt.val}, ${opt.ecr}))`;
    case 'toa':
    case 'raw': {
      // scapy has no name for these: (kind, value bytes) and it adds the length itself.
      const [kind, , ...value] = tcpOption(opt);
      return `(${kind}, ${pyBytes(Uint8Array.from(value))})`;
    }
  }
}

function scapyQuote(o: IcmpCommonOpts): string {
  if (o.quote !== undefined && !(o.quote instanceof Uint8Array) && o.quoteLen === undefined) return '/' + o.quote.toScapy();
  const b = quoteBytes(o);
  return b.length ? `/Raw(load=${pyLoad(b)})` : '';
}

function scapyIcmpv6(o: Icmpv6Opts, sums: Sums): string {
  const type = icmpv6Type(o);
  const ck = scapyChecksum(o, sums, 'cksum');
  switch (type) {
    case 128:
    case 129: {
      const name = type === 128 ? 'ICMPv6EchoRequest' : 'ICMPv6EchoReply';
      const data = o.data !== undefined ? `data=${pyLoad(toBytes(o.data))}` : undefined;
      return `${name}(${[pyArgs({ id: o.id, seq: o.seq, ...ck }), data].filter(Boolean).join(', ')})`;
    }
    case 1: return `ICMPv6DestUnreach(${pyArgs({ code: o.code, ...ck })})${scapyQuote(o)}`;
    case 2: return `ICMPv6PacketTooBig(${pyArgs({ mtu: o.mtu, code: o.code, ...ck })})${scapyQuote(o)}`;
    case 3: return `ICMPv6TimeExceeded(${pyArgs({ code: o.code, ...ck })})${scapyQuote(o)}`;
    case 135:
    case 136: {
      const head = type === 135
        ? `ICMPv6ND_NS(${pyArgs({ tgt: o.target, ...ck })})`
        : `ICMPv6ND_NA(${pyArgs({ tgt: o.target, R: o.router ?? false, S: o.solicited ?? false, O: o.override ?? false, ...ck })})`;
      const sll = o.sll !== undefined ? `/ICMPv6NDOptSrcLLAddr(lladdr="${o.sll}")` : '';
      const tll = o.tll !== undefined ? `/ICMPv6NDOptDstLLAddr(lladdr="${o.tll}")` : '';
      return head + sll + tll;
    }
    default: return `ICMPv6Unknown(${pyArgs({ type, code: o.code, ...ck })})${scapyQuote(o)}`;
  }
}

/** scapy wants option objects, not bytes: split the TLVs (RFC 8200 4.2). */
function scapyTlvs(options: Uint8Array | number[] | undefined): string {
  const b = toBytes(options ?? []);
  const out: string[] = [];
  for (let i = 0; i < b.length; ) {
    if (b[i] === 0) { out.push('Pad1()'); i++; continue; }
    const data = b.subarray(i + 2, i + 2 + (b[i + 1] ?? 0));
    out.push(b[i] === 1 ? `PadN(optdata=${pyBytes(data)})` : `HBHOptUnknown(otype=${b[i]}, optdata=${pyBytes(data)})`);
    i += 2 + data.length;
  }
  return out.length ? `options=[${out.join(', ')}]` : '';
}

function scapyExt(e: Ipv6Ext): string {
  switch (e.kind) {
    case 'hbh': return `IPv6ExtHdrHopByHop(${scapyTlvs(e.options)})`;
    case 'dstopts': return `IPv6ExtHdrDestOpt(${scapyTlvs(e.options)})`;
    case 'fragment': return `IPv6ExtHdrFragment(${pyArgs({ offset: e.offset, m: e.mf, id: e.id })})`;
    case 'routing': {
      const addrs = (e.addresses ?? []).map((a) => JSON.stringify(a)).join(', ');
      if ((e.routingType ?? 0) === 4) return `IPv6ExtHdrSegmentRouting(addresses=[${addrs}], ${pyArgs({ segleft: e.segmentsLeft ?? 0 })})`;
      return `IPv6ExtHdrRouting(type=${e.routingType ?? 0}, addresses=[${addrs}], ${pyArgs({ segleft: e.segmentsLeft ?? 0 })})`;
    }
  }
}

/** One layer as a scapy expression; `sums` holds the checksums a build actually wrote. */
export function scapyLayer(l: Layer, sums: Sums): string {
  switch (l.kind) {
    case 'eth': {
      const o = l.o;
      const e = `Ether(${pyArgs({ src: o.src ?? DEFAULTS.ethSrc, dst: o.dst ?? DEFAULTS.ethDst, type: o.vlan === undefined ? o.type : undefined })})`;
      return o.vlan === undefined ? e : `${e}/Dot1Q(${pyArgs({ vlan: o.vlan, prio: o.pcp, type: o.type })})`;
    }
    case 'arp': {
      return `ARP(${pyArgs({ op: arpOp(l.o), hwsrc: l.o.sha ?? DEFAULTS.arpHw, psrc: l.o.spa ?? DEFAULTS.arpIp, hwdst: l.o.tha, pdst: l.o.tpa })})`;
    }
    case 'ipv4': {
      const o = l.o;
      const flags = o.flags === undefined ? undefined : ipv4Flags(o.flags);
      const opts = o.options ? `, options=[IPOption(${pyBytes(toBytes(o.options))})]` : '';
      return `IP(${pyArgs({ src: o.src, dst: o.dst, ttl: o.ttl, tos: o.tos, id: o.id, flags, frag: o.fragOffset, proto: o.proto, len: o.totalLength, ...scapyChecksum(o, sums) })}${opts})`;
    }
    case 'ipv6': {
      const o = l.o;
      const head = `IPv6(${pyArgs({ src: o.src, dst: o.dst, hlim: o.hlim, tc: o.tc, fl: o.flowLabel, plen: o.payloadLength })})`;
      return [head, ...(o.ext ?? []).map(scapyExt)].join('/');
    }
    case 'tcp': {
      const o = l.o;
      const opts = o.options?.length ? `, options=[${o.options.map(scapyTcpOption).join(', ')}]` : '';
      return `TCP(${pyArgs({ sport: o.sport, dport: o.dport, seq: o.seq, ack: o.ack, flags: o.flags, window: o.win, urgptr: o.urg, ...scapyChecksum(o, sums) })}${opts})`;
    }
    case 'udp':
      return `UDP(${pyArgs({ sport: l.o.sport, dport: l.o.dport, len: l.o.length, ...scapyChecksum(l.o, sums) })})`;
    case 'icmp': {
      const o = l.o;
      const type = icmpType(o);
      const echo = type === 0 || type === 8;
      const args = pyArgs({ type, code: o.code, id: echo ? o.id : undefined, seq: echo ? o.seq : undefined, nexthopmtu: echo ? undefined : o.mtu, ...scapyChecksum(o, sums) });
      return `ICMP(${args})${scapyQuote(o)}`;
    }
    case 'icmpv6': return scapyIcmpv6(l.o, sums);
    case 'gre': {
      const o = l.o;
      const csum = greHasChecksum(o);
      return `GRE(${pyArgs({ chksum_present: csum || undefined, key_present: o.key !== undefined || undefined, key: o.key, seqnum_present: o.seq !== undefined || undefined, seqence_number: o.seq, proto: o.proto, ...scapyChecksum(o, sums) })})`;
    }
    case 'raw': return `Raw(load=${pyLoad(l.bytes)})`;
  }
}

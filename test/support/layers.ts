// The builder's vocabulary: one options type per layer, as fixtures write them, and the layer list.
// Types only, so encoding and scapy rendering can share them without depending on each other.

export interface EthOpts {
  src?: string;
  dst?: string;
  /** EtherType; by default from the next layer (IPv4, IPv6, ARP) or 0x88b5 (local experimental). */
  type?: number;
  /** Adds an 802.1Q tag with this VLAN id. */
  vlan?: number;
  pcp?: number;
}

export interface ArpOpts {
  op?: 'request' | 'reply' | number;
  sha?: string;
  spa?: string;
  tha?: string;
  tpa?: string;
}

/** Checksum controls shared by every layer that has one. */
export interface ChecksumOpts {
  /** Write this value instead of the computed checksum (e.g. 0 for a UDP "no checksum"). */
  checksum?: number;
  /** Write a checksum that is certainly wrong (the right one with its low bit flipped). */
  badChecksum?: boolean;
}

export interface Ipv4Opts extends ChecksumOpts {
  src: string;
  dst: string;
  ttl?: number;
  tos?: number;
  id?: number;
  /** 'DF', 'MF', 'DF+MF' (also 'RF', the reserved bit), or the 3-bit value. */
  flags?: string | number;
  /** In 8-byte units, as on the wire (scapy's `frag`). */
  fragOffset?: number;
  /** Raw option bytes; padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array | number[];
  /** By default from the next layer (TCP 6, UDP 17, ICMP 1, GRE 47, IPv4 4, IPv6 41, else 0). */
  proto?: number;
  /** Overrides the computed total length, to build malformed packets. */
  totalLength?: number;
}

export type Ipv6Ext =
  | { kind: 'hbh'; options?: Uint8Array | number[] }
  | { kind: 'dstopts'; options?: Uint8Array | number[] }
  | { kind: 'routing'; routingType?: 0 | 2 | 4; segmentsLeft?: number; addresses?: string[] }
  | { kind: 'fragment'; offset?: number; mf?: boolean; id?: number };

export interface Ipv6Opts {
  src: string;
  dst: string;
  hlim?: number;
  tc?: number;
  flowLabel?: number;
  /** Extension headers in wire order; their next-header fields are filled in. */
  ext?: Ipv6Ext[];
  /** Next header after the extension headers; by default from the next layer, else 59 (none). */
  nextHeader?: number;
  /** Overrides the computed payload length, to build malformed packets. */
  payloadLength?: number;
}

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackok' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'nop' }
  | { kind: 'eol' }
  /** DPVS TOA (kind 254): the client's port and address; length 8 for IPv4, 20 for IPv6. */
  | { kind: 'toa'; port: number; addr: string }
  | { kind: 'raw'; code: number; data?: Uint8Array | number[] };

export interface TcpOpts extends ChecksumOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Any of F S R P A U E C, in any order, e.g. 'SA' or 'PA'. */
  flags?: string;
  win?: number;
  urg?: number;
  /** Padded with zeros (EOL) to a multiple of 4 bytes. */
  options?: TcpOption[];
}

export interface UdpOpts extends ChecksumOpts {
  sport: number;
  dport: number;
  /** Overrides the length field. */
  length?: number;
}

/** Anything that builds a packet: a PacketBuilder, without this module depending on it. */
export interface Buildable {
  build(): Uint8Array;
  toScapy(): string;
}

/** An ICMP error quotes another packet: raw bytes, or a builder starting at the IP layer. */
export type Quote = Uint8Array | Buildable;

/** What ICMP and ICMPv6 messages share: echo fields, or an error's MTU and quote. */
export interface IcmpCommonOpts extends ChecksumOpts {
  code?: number;
  id?: number;
  seq?: number;
  data?: string | Uint8Array;
  /** Next-hop MTU: "fragmentation needed" (ICMP 3/4, RFC 1191) or packet-too-big (ICMPv6 2). */
  mtu?: number;
  quote?: Quote;
  /** Quote only this many bytes of `quote` (e.g. 28: the IPv4 header and 8 bytes). */
  quoteLen?: number;
}

export interface IcmpOpts extends IcmpCommonOpts {
  type: 'echo-request' | 'echo-reply' | 'dest-unreach' | 'time-exceeded' | number;
}

export interface Icmpv6Opts extends IcmpCommonOpts {
  type: 'echo-request' | 'echo-reply' | 'packet-too-big' | 'dest-unreach' | 'time-exceeded' | 'ns' | 'na' | number;
  /** Neighbour discovery target address. */
  target?: string;
  /** Source / target link-layer address options (RFC 4861 4.6.1). */
  sll?: string;
  tll?: string;
  router?: boolean;
  solicited?: boolean;
  override?: boolean;
}

export interface GreOpts extends ChecksumOpts {
  /** Protocol of the payload; by default from the next layer (0x0800, 0x86dd, 0x6558 for eth). */
  proto?: number;
  key?: number;
  seq?: number;
  /** Adds the optional checksum (C bit, RFC 2784). */
  csum?: boolean;
}

/** One layer of a frame as the builder records it; encoded only when the frame is built. */
export type Layer =
  | { kind: 'eth'; o: EthOpts }
  | { kind: 'arp'; o: ArpOpts }
  | { kind: 'ipv4'; o: Ipv4Opts }
  | { kind: 'ipv6'; o: Ipv6Opts }
  | { kind: 'tcp'; o: TcpOpts }
  | { kind: 'udp'; o: UdpOpts }
  | { kind: 'icmp'; o: IcmpOpts }
  | { kind: 'icmpv6'; o: Icmpv6Opts }
  | { kind: 'gre'; o: GreOpts }
  | { kind: 'raw'; bytes: Uint8Array };

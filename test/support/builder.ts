// A scapy-like frame builder for fixtures: eth().ipv4({...}).tcp({...}).payload('x').build().
// Lengths, protocol numbers and checksums are filled in (checksums by csum-ref), unless forced.

import { encodeLayers, toBytes, type Sums } from './encode.js';
import type {
  ArpOpts, Buildable, EthOpts, GreOpts, IcmpOpts, Icmpv6Opts, Ipv4Opts, Ipv6Opts, Layer, TcpOpts, UdpOpts,
} from './layers.js';
import { scapyLayer } from './to-scapy.js';

export type * from './layers.js';

/** Builds frames layer by layer; every method returns a new builder, so a prefix can be reused. */
export class PacketBuilder {
  private constructor(private readonly layers: readonly Layer[]) {}

  static empty(): PacketBuilder {
    return new PacketBuilder([]);
  }

  private with(l: Layer): PacketBuilder {
    return new PacketBuilder([...this.layers, l]);
  }

  eth(o: EthOpts = {}): PacketBuilder { return this.with({ kind: 'eth', o }); }
  arp(o: ArpOpts = {}): PacketBuilder { return this.with({ kind: 'arp', o }); }
  ipv4(o: Ipv4Opts): PacketBuilder { return this.with({ kind: 'ipv4', o }); }
  ipv6(o: Ipv6Opts): PacketBuilder { return this.with({ kind: 'ipv6', o }); }
  tcp(o: TcpOpts): PacketBuilder { return this.with({ kind: 'tcp', o }); }
  udp(o: UdpOpts): PacketBuilder { return this.with({ kind: 'udp', o }); }
  icmp(o: IcmpOpts): PacketBuilder { return this.with({ kind: 'icmp', o }); }
  icmpv6(o: Icmpv6Opts): PacketBuilder { return this.with({ kind: 'icmpv6', o }); }
  gre(o: GreOpts = {}): PacketBuilder { return this.with({ kind: 'gre', o }); }

  /** Appends bytes as they are, or another builder's output (e.g. an inner packet). */
  raw(bytes: Uint8Array | Buildable): PacketBuilder {
    return this.with({ kind: 'raw', bytes: bytes instanceof Uint8Array ? bytes : bytes.build() });
  }

  payload(data: string | Uint8Array): PacketBuilder {
    return this.with({ kind: 'raw', bytes: toBytes(data) });
  }

  build(): Uint8Array {
    return encodeLayers(this.layers, new Map());
  }

  hex(): string {
    return Buffer.from(this.build()).toString('hex');
  }

  /** Base64 of the frame, the form Katran's fixtures store. */
  base64(): string {
    return Buffer.from(this.build()).toString('base64');
  }

  /** An equivalent scapy expression, for humans (best effort: scapy recomputes what we leave out). */
  toScapy(): string {
    // Build once to learn the checksums actually written, so a deliberately bad one can be shown.
    const sums: Sums = new Map();
    encodeLayers(this.layers, sums);
    return this.layers.map((l) => scapyLayer(l, sums)).join('/');
  }
}

export const eth = (o: EthOpts = {}): PacketBuilder => PacketBuilder.empty().eth(o);
export const arp = (o: ArpOpts = {}): PacketBuilder => PacketBuilder.empty().arp(o);
export const ipv4 = (o: Ipv4Opts): PacketBuilder => PacketBuilder.empty().ipv4(o);
export const ipv6 = (o: Ipv6Opts): PacketBuilder => PacketBuilder.empty().ipv6(o);
export const raw = (bytes: Uint8Array | Buildable): PacketBuilder => PacketBuilder.empty().raw(bytes);

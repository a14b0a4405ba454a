// The lite network stack of one worker: ports, addresses, routes and neighbours, L2 output with
// ARP/ND resolution, answers to ARP/ND and ICMP echo, and the ICMP errors we must originate.

import { TsvsError } from '../errors.js';
import { Drop, type DropReason } from '../packet/drop-reason.js';
import {
  ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, copyMac, macEquals, readU16, readU32, writeEthHeader, writeU16, writeU32,
} from '../packet/ether.js';
import { type IpAddr, ip4, ip6 } from '../packet/inet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, arpOp, arpSenderIp, arpSenderMacOff, arpTargetIp, writeArp } from '../packet/arp.js';
import {
  ICMP4_ERROR_MAX, ICMP6_ERROR_MAX, ICMP6_ECHO_REPLY, ICMP_ECHOREPLY, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT,
  icmp4UpdateChecksum, icmp6UpdateChecksum, writeIcmpErrorHeader,
} from '../packet/icmp.js';
import { ipDecrementTtl, ipv4UpdateChecksum, writeIpv4Header, writeIpv6Header } from '../packet/ip.js';
import type { PacketInfo } from '../packet/parse.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../packet/proto.js';
import { AddrTable } from './addr.js';
import { MAX_PORTS, NetCounters, PC_DROPS, PC_KERNEL_PKTS, PC_TX_BYTES, PC_TX_PKTS, PORT_COUNTERS } from './counters.js';
import {
  NUD_INCOMPLETE, NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE, NUD_STALE, type NeighEntry, NeighTable, PendingPool,
} from './neigh.js';
import { Port } from './port.js';
import { type RouteEntry, RouteTable } from './route.js';

/** Where frames leave the data plane: out of a port, or up to the Linux stack (DPVS's KNI). */
export interface FrameSink {
  transmit(port: number, buf: Uint8Array, off: number, len: number): void;
  toKernel(port: number, buf: Uint8Array, off: number, len: number): void;
}

/** Milliseconds; replay drives it from capture timestamps, the daemon from the monotonic clock. */
export interface Clock {
  now(): number;
}

const BCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);
const ZERO_MAC = new Uint8Array(6);
/** Headroom before L3 in the scratch buffer: room for Ethernet + an outer header. */
const SCRATCH_L3 = 128;

export interface StackSettings {
  /** DPVS ipv4_defs/forwarding: route transit traffic (off: hand it to the kernel). */
  forwarding: boolean;
  /** TTL of packets we originate (DPVS ipv4_defs/default_ttl). */
  defaultTtl: number;
}

export class Stack {
  readonly ports: Port[] = [];
  readonly addrs = new AddrTable();
  readonly routes = new RouteTable();
  readonly neighs = new NeighTable();
  readonly pending = new PendingPool(1024);
  readonly counters: NetCounters;
  readonly settings: StackSettings = { forwarding: false, defaultTtl: 64 };
  /**
   * Whether ARP requests and NS for our addresses get an answer. Several workers that all see
   * every ARP/ND frame (the afpacket driver gives each its copy) must not all answer: one does,
   * every one still learns the asker.
   */
  answerNeighbours = true;
  /**
   * Answer ARP/NS for a service's address that is not also a `tsip addr` (default true). Off,
   * only tsip addresses, LIPs included, are answered, as DPVS answers only its inet addresses: a
   * master/backup pair holds the same services and only the master's VIP may answer.
   */
  answerServiceAddrs = true;
  /** Answers "is this a VIP?" for ARP/ND/echo; set by the IPVS layer above. */
  isVip: (af: number, w0: number, w1: number, w2: number, w3: number) => boolean = () => false;
  private readonly scratch = new Uint8Array(4096);
  private ipId = 1;

  constructor(readonly sink: FrameSink, readonly clock: Clock, counters = new NetCounters()) {
    this.counters = counters;
  }

  // ------------------------------------------------------------------ configuration

  addPort(name: string, mac: Uint8Array, mtu: number): Port {
    if (this.portByName(name)) throw new TsvsError('TSVS_ERR_PORT_EXISTS', `port ${name} already exists`);
    if (this.ports.length >= MAX_PORTS) throw new TsvsError('TSVS_ERR_INVALID_ARG', `at most ${MAX_PORTS} ports`);
    const p = new Port(this.ports.length, name, mac, mtu);
    this.ports.push(p);
    return p;
  }

  portByName(name: string): Port | undefined {
    return this.ports.find((p) => p.name === name);
  }

  port(name: string): Port {
    const p = this.portByName(name);
    if (!p) throw new TsvsError('TSVS_ERR_NO_PORT', `no such device: ${name} (declare it with: tsip link add ${name} lladdr MAC)`);
    return p;
  }

  isLocal(af: number, w0: number, w1: number, w2: number, w3: number): boolean {
    return this.addrs.find(af, w0, w1, w2, w3) !== undefined || this.isVip(af, w0, w1, w2, w3);
  }

  /** The addresses ARP and ND answer for: isLocal, less bare service addresses when answerServiceAddrs is off. */
  private ownsForNeighbours(af: number, w0: number, w1: number, w2: number, w3: number): boolean {
    return this.addrs.find(af, w0, w1, w2, w3) !== undefined || (this.answerServiceAddrs && this.isVip(af, w0, w1, w2, w3));
  }

  drop(reason: DropReason, port: number): void {
    this.counters.drops[reason]++;
    if (port >= 0) this.counters.port[port * PORT_COUNTERS + PC_DROPS]++;
  }

  toKernel(port: number, buf: Uint8Array, off: number, len: number): void {
    this.counters.port[port * PORT_COUNTERS + PC_KERNEL_PKTS]++;
    this.sink.toKernel(port, buf, off, len);
  }

  // ------------------------------------------------------------------ output

  routeOutput(af: number, d0: number, d1: number, d2: number, d3: number): RouteEntry | null {
    return af === 4 ? this.routes.lookup4(d0) : this.routes.lookup6(d0, d1, d2, d3);
  }

  /** MTU for a route: its own, else its port's. */
  routeMtu(r: RouteEntry): number {
    return r.mtu > 0 ? r.mtu : this.ports[r.port]!.mtu;
  }

  /**
   * Finds (or starts resolving) the neighbour for next hop nh on a port. Returns the entry; the
   * caller checks usable(). Creating an entry sends the first solicitation.
   */
  neighFor(af: number, port: number, n0: number, n1: number, n2: number, n3: number): NeighEntry {
    let e = this.neighs.lookupW(af, n0, n1, n2, n3);
    if (e === undefined) {
      e = this.neighs.create(af === 4 ? ip4(n0) : ip6(n0, n1, n2, n3), port);
      e.state = NUD_INCOMPLETE;
      e.updatedMs = this.clock.now();
      this.solicit(e, false);
    } else if (e.state === NUD_STALE) {
      // Keep using the old MAC while we check it, as Linux's DELAY/PROBE does.
      e.state = NUD_PROBE;
      e.probes = 0;
      this.solicit(e, true);
    }
    return e;
  }

  /**
   * Sends the IP packet buf[l3, l3+len) to neighbour e: writes the Ethernet header in the 14
   * bytes before l3 (the caller guarantees the room) or queues a copy until e resolves.
   */
  sendToNeigh(e: NeighEntry, buf: Uint8Array, l3: number, len: number, af: number): void {
    if (e.usable()) {
      this.emit(e.port, e.mac, buf, l3, len, af === 4 ? ETH_P_IP : ETH_P_IPV6);
      return;
    }
    if (e.queue.length >= this.neighs.settings.queueLength) {
      this.drop(Drop.NEIGH_QUEUE_FULL, e.port);
      return;
    }
    const slot = this.pending.put(buf, l3, len);
    if (slot < 0) {
      this.drop(Drop.NEIGH_QUEUE_FULL, e.port);
      return;
    }
    e.queue.push(slot);
  }

  private emit(port: number, dmac: Uint8Array, buf: Uint8Array, l3: number, len: number, type: number): void {
    const p = this.ports[port]!;
    const off = l3 - ETH_HLEN;
    writeEthHeader(buf, off, dmac, 0, p.mac, 0, type);
    const c = this.counters.port;
    c[port * PORT_COUNTERS + PC_TX_PKTS]++;
    c[port * PORT_COUNTERS + PC_TX_BYTES] += len + ETH_HLEN;
    this.sink.transmit(port, buf, off, len + ETH_HLEN);
  }

  /**
   * Routes and sends an IP packet we originate or forward. Returns false (and counts the drop)
   * when there is no route. MTU is the caller's concern.
   */
  routeAndSend(buf: Uint8Array, l3: number, len: number, af: number, d0: number, d1: number, d2: number, d3: number, inPort: number): boolean {
    const r = this.routeOutput(af, d0, d1, d2, d3);
    if (r === null || r.scope === 'kni_host') {
      this.drop(Drop.NO_ROUTE, inPort);
      return false;
    }
    const v = r.via;
    const e = v !== null ? this.neighFor(af, r.port, v.w0, v.w1, v.w2, v.w3) : this.neighFor(af, r.port, d0, d1, d2, d3);
    this.sendToNeigh(e, buf, l3, len, af);
    return true;
  }

  /**
   * Sends an IPv4 datagram larger than `mtu` as fragments (RFC 791): the caller has checked DF
   * is clear. Fragments are built in the scratch buffer, so the original stays intact.
   */
  sendFragments(e: NeighEntry, buf: Uint8Array, l3: number, len: number, mtu: number): void {
    const ihl = (buf[l3]! & 15) * 4;
    const payload = len - ihl;
    const step = Math.floor((mtu - ihl) / 8) * 8;
    if (step <= 0) {
      this.drop(Drop.FRAG_NEEDED, e.port);
      return;
    }
    const frag = readU16(buf, l3 + 6);
    const baseOff = frag & 0x1fff;
    const origMf = frag & 0x2000;
    const s = this.scratch;
    for (let o = 0; o < payload; o += step) {
      const n = Math.min(step, payload - o);
      s.set(buf.subarray(l3, l3 + ihl), SCRATCH_L3);
      s.set(buf.subarray(l3 + ihl + o, l3 + ihl + o + n), SCRATCH_L3 + ihl);
      writeU16(s, SCRATCH_L3 + 2, ihl + n);
      writeU16(s, SCRATCH_L3 + 6, (baseOff + o / 8) | (o + n < payload ? 0x2000 : origMf));
      ipv4UpdateChecksum(s, SCRATCH_L3);
      this.sendToNeigh(e, s, SCRATCH_L3, ihl + n, 4);
    }
  }

  // ------------------------------------------------------------------ ARP / ND

  private solicit(e: NeighEntry, unicast: boolean): void {
    const now = this.clock.now();
    e.retryAtMs = now + this.neighs.settings.retransMs;
    e.probes++;
    const p = this.ports[e.port]!;
    const src = this.addrs.selectSource(e.port, e.addr);
    const b = this.scratch;
    const l3 = SCRATCH_L3;
    if (e.addr.af === 4) {
      writeArp(b, l3, ARP_REQUEST, p.mac, 0, src ? src.w0 : 0, ZERO_MAC, 0, e.addr.w0);
      this.emit(e.port, unicast ? e.mac : BCAST, b, l3, ARP_LEN, ETH_P_ARP);
      return;
    }
    // Neighbour solicitation (RFC 4861 4.3) to the solicited-node multicast address, or unicast
    // when re-checking an address we already know.
    const a = e.addr;
    const d0 = unicast ? a.w0 : 0xff020000;
    const d1 = unicast ? a.w1 : 0;
    const d2 = unicast ? a.w2 : 1;
    const d3 = unicast ? a.w3 : (0xff000000 | (a.w3 & 0xffffff)) >>> 0;
    const s = src ?? ip6(0, 0, 0, 0);
    writeIpv6Header(b, l3, 0, 0, 32, IPPROTO_ICMPV6, 255, s.w0, s.w1, s.w2, s.w3, d0, d1, d2, d3);
    const icmp = l3 + 40;
    b[icmp] = ND_NEIGHBOR_SOLICIT; b[icmp + 1] = 0; writeU32(b, icmp + 4, 0);
    writeU32(b, icmp + 8, a.w0); writeU32(b, icmp + 12, a.w1); writeU32(b, icmp + 16, a.w2); writeU32(b, icmp + 20, a.w3);
    b[icmp + 24] = 1; b[icmp + 25] = 1; copyMac(b, icmp + 26, p.mac, 0);
    icmp6UpdateChecksum(b, l3, icmp, icmp + 32);
    let dmac: Uint8Array = e.mac;
    if (!unicast) {
      dmac = this.scratch.subarray(0, 6);
      dmac[0] = 0x33; dmac[1] = 0x33; dmac[2] = 0xff; dmac[3] = (a.w3 >>> 16) & 255; dmac[4] = (a.w3 >>> 8) & 255; dmac[5] = a.w3 & 255;
    }
    this.emit(e.port, dmac, b, l3, 72, ETH_P_IPV6);
  }

  /** Learns or refreshes a neighbour and flushes its queue when it just became usable. */
  private learn(af: number, addr: IpAddr, port: number, mac: Uint8Array, macOff: number, create: boolean): void {
    let e = this.neighs.lookupW(af, addr.w0, addr.w1, addr.w2, addr.w3);
    if (e === undefined) {
      if (!create) return;
      e = this.neighs.create(addr, port);
    }
    if (e.state === NUD_PERMANENT) return;
    if (e.usable() && !macEquals(e.mac, 0, mac, macOff)) this.neighs.gen++;
    copyMac(e.mac, 0, mac, macOff);
    e.port = port;
    e.state = NUD_REACHABLE;
    e.updatedMs = this.clock.now();
    e.probes = 0;
    const ethType = af === 4 ? ETH_P_IP : ETH_P_IPV6;
    while (e.queue.length > 0) {
      const slot = e.queue.shift()!;
      this.emit(e.port, e.mac, this.pending.slab, this.pending.l3Off(slot), this.pending.l3Len[slot]!, ethType);
      this.pending.release(slot);
    }
  }

  /** ARP in: answer requests for our addresses and VIPs, learn from what is addressed to us. */
  arpInput(pi: PacketInfo, port: number): void {
    const b = pi.buf;
    const a = pi.l3Off;
    const op = arpOp(b, a);
    const sip = arpSenderIp(b, a);
    const tip = arpTargetIp(b, a);
    const forUs = this.ownsForNeighbours(4, tip, 0, 0, 0);
    if (sip !== 0) this.learn(4, ip4(sip), port, b, arpSenderMacOff(a), forUs && op === ARP_REQUEST);
    if (op === ARP_REQUEST && forUs) {
      if (!this.answerNeighbours) return;
      const p = this.ports[port]!;
      // Reply in place: the requester's fields become the target fields.
      copyMac(b, a + 18, b, a + 8);
      writeU32(b, a + 24, sip);
      copyMac(b, a + 8, p.mac, 0);
      writeU32(b, a + 14, tip);
      writeU16(b, a + 6, ARP_REPLY);
      this.emit(port, b.subarray(a + 18, a + 24), b, a, ARP_LEN, ETH_P_ARP);
      return;
    }
    if (op === ARP_REPLY) return;
    this.toKernel(port, b, pi.off, pi.len);
  }

  /** ND in: NS for our addresses gets an NA; NS/NA source/target link-layer options teach us. */
  ndInput(pi: PacketInfo, port: number): boolean {
    const b = pi.buf;
    const icmp = pi.l4Off;
    const type = pi.icmpType;
    if ((type !== ND_NEIGHBOR_SOLICIT && type !== ND_NEIGHBOR_ADVERT) || pi.l4Len < 24) return false;
    const t0 = readU32(b, icmp + 8), t1 = readU32(b, icmp + 12), t2 = readU32(b, icmp + 16), t3 = readU32(b, icmp + 20);
    const llOff = this.ndLinkLayerOption(b, icmp + 24, pi.ipEnd, type === ND_NEIGHBOR_SOLICIT ? 1 : 2);
    if (type === ND_NEIGHBOR_ADVERT) {
      if (llOff >= 0) this.learn(6, ip6(t0, t1, t2, t3), port, b, llOff, false);
      return true;
    }
    const forUs = this.ownsForNeighbours(6, t0, t1, t2, t3);
    const unspecSrc = (pi.sW0 | pi.sW1 | pi.sW2 | pi.sW3) === 0;
    if (llOff >= 0 && !unspecSrc) this.learn(6, ip6(pi.sW0, pi.sW1, pi.sW2, pi.sW3), port, b, llOff, forUs);
    if (!forUs) return false;
    if (!this.answerNeighbours) return true;
    // Neighbour advertisement (RFC 4861 4.4): solicited + override, with our link-layer address.
    const p = this.ports[port]!;
    const s = this.scratch;
    const l3 = SCRATCH_L3;
    const d = unspecSrc ? [0xff020000, 0, 0, 1] : [pi.sW0, pi.sW1, pi.sW2, pi.sW3];
    writeIpv6Header(s, l3, 0, 0, 32, IPPROTO_ICMPV6, 255, t0, t1, t2, t3, d[0]!, d[1]!, d[2]!, d[3]!);
    const o = l3 + 40;
    s[o] = ND_NEIGHBOR_ADVERT; s[o + 1] = 0;
    writeU32(s, o + 4, unspecSrc ? 0x20000000 : 0x60000000);
    writeU32(s, o + 8, t0); writeU32(s, o + 12, t1); writeU32(s, o + 16, t2); writeU32(s, o + 20, t3);
    s[o + 24] = 2; s[o + 25] = 1; copyMac(s, o + 26, p.mac, 0);
    icmp6UpdateChecksum(s, l3, o, o + 32);
    this.emit(port, unspecSrc ? ALL_NODES_MAC : b.subarray(pi.off + 6, pi.off + 12), s, l3, 72, ETH_P_IPV6);
    return true;
  }

  private ndLinkLayerOption(b: Uint8Array, o: number, end: number, type: number): number {
    while (o + 8 <= end) {
      const len = b[o + 1]! * 8;
      if (len === 0 || o + len > end) return -1;
      if (b[o] === type && len >= 8) return o + 2;
      o += len;
    }
    return -1;
  }

  // ------------------------------------------------------------------ ICMP

  /** Turns an echo request addressed to us into the reply, in place, and sends it back. */
  echoReply(pi: PacketInfo, port: number): void {
    const b = pi.buf;
    const l3 = pi.l3Off;
    const len = pi.ipEnd - l3;
    if (pi.af === 4) {
      writeU32(b, l3 + 12, pi.dW0);
      writeU32(b, l3 + 16, pi.sW0);
      b[l3 + 8] = this.settings.defaultTtl;
      ipv4UpdateChecksum(b, l3);
      b[pi.l4Off] = ICMP_ECHOREPLY;
      icmp4UpdateChecksum(b, pi.l4Off, pi.ipEnd);
    } else {
      for (let i = 0; i < 16; i++) {
        const t = b[l3 + 8 + i]!;
        b[l3 + 8 + i] = b[l3 + 24 + i]!;
        b[l3 + 24 + i] = t;
      }
      b[l3 + 7] = this.settings.defaultTtl;
      b[pi.l4Off] = ICMP6_ECHO_REPLY;
      icmp6UpdateChecksum(b, l3, pi.l4Off, pi.ipEnd);
    }
    // Answer through the routing table like any packet we originate.
    this.routeAndSend(b, l3, len, pi.af, pi.sW0, pi.sW1, pi.sW2, pi.sW3, port);
  }

  /**
   * Sends an ICMP/ICMPv6 error about the packet in pi back to its source, quoting as much of it
   * as the error may carry. `rest` is the 32-bit field after the checksum (MTU for PTB).
   */
  icmpError(pi: PacketInfo, port: number, type: number, code: number, rest: number): void {
    const srcAddr = this.addrs.find(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3)
      ? (pi.af === 4 ? ip4(pi.dW0) : ip6(pi.dW0, pi.dW1, pi.dW2, pi.dW3))
      : this.addrs.selectSource(port, pi.af === 4 ? ip4(pi.sW0) : ip6(pi.sW0, pi.sW1, pi.sW2, pi.sW3));
    if (srcAddr === null) return;
    this.icmpErrorQuoting(pi.af, pi.buf, pi.l3Off, pi.ipEnd - pi.l3Off, srcAddr, type, code, rest, port);
  }

  /**
   * Sends an ICMP/ICMPv6 error from `src` to the source of the IP packet buf[q, q+qLen),
   * quoting as much of it as the error may carry (576 bytes in all for IPv4, 1280 for IPv6).
   */
  icmpErrorQuoting(af: number, buf: Uint8Array, q: number, qLen: number, src: IpAddr, type: number, code: number, rest: number, port: number): void {
    const b = this.scratch;
    const l3 = SCRATCH_L3;
    if (af === 4) {
      const n = Math.min(qLen, ICMP4_ERROR_MAX - 28);
      const dst = readU32(buf, q + 12);
      writeIpv4Header(b, l3, 0xc0, 28 + n, this.ipId++ & 0xffff, false, this.settings.defaultTtl, IPPROTO_ICMP, src.w0, dst);
      writeIcmpErrorHeader(b, l3 + 20, type, code, rest);
      b.set(buf.subarray(q, q + n), l3 + 28);
      icmp4UpdateChecksum(b, l3 + 20, l3 + 28 + n);
      this.routeAndSend(b, l3, 28 + n, 4, dst, 0, 0, 0, port);
      return;
    }
    const n = Math.min(qLen, ICMP6_ERROR_MAX - 48);
    const d0 = readU32(buf, q + 8), d1 = readU32(buf, q + 12), d2 = readU32(buf, q + 16), d3 = readU32(buf, q + 20);
    writeIpv6Header(b, l3, 0, 0, 8 + n, IPPROTO_ICMPV6, this.settings.defaultTtl, src.w0, src.w1, src.w2, src.w3, d0, d1, d2, d3);
    writeIcmpErrorHeader(b, l3 + 40, type, code, rest);
    b.set(buf.subarray(q, q + n), l3 + 48);
    icmp6UpdateChecksum(b, l3, l3 + 40, l3 + 48 + n);
    this.routeAndSend(b, l3, 48 + n, 6, d0, d1, d2, d3, port);
  }

  /** Transit traffic when forwarding is on: TTL, MTU, route. */
  forward(pi: PacketInfo, port: number): void {
    if (pi.ttl <= 1) {
      this.drop(Drop.TTL_EXCEEDED, port);
      this.icmpError(pi, port, pi.af === 4 ? 11 : 3, 0, 0);
      return;
    }
    const r = this.routeOutput(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3);
    if (r === null) {
      this.drop(Drop.NO_ROUTE, port);
      return;
    }
    const len = pi.ipEnd - pi.l3Off;
    const mtu = this.routeMtu(r);
    // IPv4 without DF is fragmented (RFC 791); DF or IPv6 gets the ICMP error.
    const fragment = len > mtu && pi.af === 4 && !pi.dontFragment;
    if (len > mtu && !fragment) {
      this.drop(Drop.FRAG_NEEDED, port);
      if (pi.af === 4) this.icmpError(pi, port, 3, 4, mtu & 0xffff);
      else this.icmpError(pi, port, 2, 0, mtu);
      return;
    }
    ipDecrementTtl(pi.buf, pi.l3Off, pi.af);
    const v = r.via;
    const e = v !== null ? this.neighFor(pi.af, r.port, v.w0, v.w1, v.w2, v.w3) : this.neighFor(pi.af, r.port, pi.dW0, pi.dW1, pi.dW2, pi.dW3);
    if (fragment) this.sendFragments(e, pi.buf, pi.l3Off, len, mtu);
    else this.sendToNeigh(e, pi.buf, pi.l3Off, len, pi.af);
  }

  // ------------------------------------------------------------------ timers

  /** Neighbour retries and ageing; runs from the worker's timer tick, not per packet. */
  tick(nowMs: number): void {
    const s = this.neighs.settings;
    for (const e of this.neighs.entries) {
      if (e === null || e.state === NUD_PERMANENT) continue;
      if (e.state === NUD_REACHABLE) {
        if (nowMs - e.updatedMs >= s.reachableMs) e.state = NUD_STALE;
        continue;
      }
      if (e.state === NUD_INCOMPLETE || e.state === NUD_PROBE) {
        if (nowMs < e.retryAtMs) continue;
        if (e.probes >= s.maxProbes) {
          for (const slot of this.neighs.remove(e)) {
            this.drop(Drop.NEIGH_UNRESOLVED, e.port);
            this.pending.release(slot);
          }
          continue;
        }
        this.solicit(e, e.state === NUD_PROBE);
      }
    }
  }
}

const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);

// One data-plane engine: a frame in from a port goes through L2, the lite stack and IPVS, and
// frames come out through the sink. The same engine runs in replay, tests and worker threads.

import { Drop } from '../packet/drop-reason.js';
import { ETH_P_ARP, macEquals, macIsMulticast } from '../packet/ether.js';
import { ICMP6_ECHO_REQUEST, ICMP_ECHO, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT } from '../packet/icmp.js';
import { PacketInfo, l4ChecksumOk, parseFrame } from '../packet/parse.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../packet/proto.js';
import { AddrMap } from '../netif/addr-map.js';
import { type NetCounters, PC_RX_BYTES, PC_RX_PKTS, PORT_COUNTERS } from '../netif/counters.js';
import { type Clock, type FrameSink, Stack } from '../netif/stack.js';
import { ConnTable } from '../ipvs/conn-table.js';
import { Ipvs, V_STOLEN } from '../ipvs/ipvs.js';
import type { IpvsStats } from '../ipvs/stats.js';

export interface EngineOptions {
  /** Connection slots (DPVS conn_pool_size); fixed for the engine's life. */
  connCapacity?: number;
  /** This worker's index and the worker count, for the FullNAT local-port partition. */
  worker?: number;
  workers?: number;
  /** Counter storage: a worker thread passes views into its SharedArrayBuffer slots. */
  counters?: NetCounters;
  stats?: IpvsStats;
  /** Answer ARP requests and NS for our addresses (default true); see Stack.answerNeighbours. */
  answerNeighbours?: boolean;
  /** Answer ARP/NS for bare service addresses (default true); see Stack.answerServiceAddrs. */
  answerServiceAddrs?: boolean;
  /** FullNAT identity of this node: see FnatIdentity. Absent: the fixed test defaults. */
  fnat?: FnatIdentity;
}

/**
 * What makes one node's FullNAT choices its own: the ISN secret, the start of the LIP port rings,
 * and the offset that turns the engine clock into wall time for the ISN's clock term.
 */
export interface FnatIdentity {
  readonly seqSecret: number;
  readonly lportSeed: number;
  readonly isnClockOffsetMs: number;
}

export class Engine {
  readonly pi = new PacketInfo();
  readonly stack: Stack;
  readonly conns: ConnTable;
  readonly ipvs: Ipvs;
  /** Addresses routed to the kernel (`tsip route add X/32 scope kni_host`). */
  readonly kniHosts = new AddrMap<true>();

  constructor(sink: FrameSink, readonly clock: Clock, opts: EngineOptions = {}) {
    this.stack = new Stack(sink, clock, opts.counters);
    this.stack.answerNeighbours = opts.answerNeighbours ?? true;
    this.stack.answerServiceAddrs = opts.answerServiceAddrs ?? true;
    this.conns = new ConnTable(opts.connCapacity ?? 1 << 18);
    this.ipvs = new Ipvs(this.stack, this.conns, opts.worker ?? 0, opts.workers ?? 1, opts.stats);
    if (opts.fnat) {
      const st = this.ipvs.settings;
      st.seqSecret = opts.fnat.seqSecret;
      st.lportSeed = opts.fnat.lportSeed;
      st.isnClockOffsetMs = opts.fnat.isnClockOffsetMs;
    }
  }

  /**
   * Processes one received frame buf[off, off+len). The buffer must leave XMIT_HEADROOM bytes
   * before off and XMIT_TAILROOM after the frame: encapsulation and TOA grow it in place.
   */
  input(port: number, buf: Uint8Array, off: number, len: number): void {
    const stack = this.stack;
    const c = stack.counters.port;
    c[port * PORT_COUNTERS + PC_RX_PKTS]++;
    c[port * PORT_COUNTERS + PC_RX_BYTES] += len;
    const pi = this.pi;
    const r = parseFrame(pi, buf, off, len);
    if (r !== Drop.NONE) {
      stack.drop(r, port);
      return;
    }
    const p = stack.ports[port]!;
    if (!p.up) {
      stack.drop(Drop.PORT_DOWN, port);
      return;
    }
    if (!macIsMulticast(buf, off) && !macEquals(buf, off, p.mac, 0)) {
      stack.drop(Drop.NOT_FOR_US, port);
      return;
    }
    if (pi.ethType === ETH_P_ARP) {
      stack.arpInput(pi, port);
      return;
    }
    if (pi.af === 0) {
      stack.toKernel(port, buf, off, len);
      return;
    }
    if (this.kniHosts.size > 0 && this.kniHosts.getW(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3) !== undefined) {
      stack.toKernel(port, buf, off, len);
      return;
    }
    if (pi.l4Proto === IPPROTO_ICMPV6 && (pi.icmpType === ND_NEIGHBOR_SOLICIT || pi.icmpType === ND_NEIGHBOR_ADVERT)) {
      if (!l4ChecksumOk(pi)) {
        stack.drop(Drop.L4_BAD_CSUM, port);
        return;
      }
      if (!stack.ndInput(pi, port)) stack.toKernel(port, buf, off, len);
      return;
    }
    if (this.ipvs.input(pi, port) === V_STOLEN) return;
    if (stack.isLocal(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3)) {
      const echo = pi.af === 4 ? pi.l4Proto === IPPROTO_ICMP && pi.icmpType === ICMP_ECHO
        : pi.l4Proto === IPPROTO_ICMPV6 && pi.icmpType === ICMP6_ECHO_REQUEST;
      if (echo && !pi.isFragment) {
        if (!l4ChecksumOk(pi)) stack.drop(Drop.L4_BAD_CSUM, port);
        else stack.echoReply(pi, port);
        return;
      }
      // A VIP's or LIP's other traffic (no service, no connection) must not reach the kernel,
      // which would answer it with RSTs; other interface addresses go up like DPVS's KNI path.
      if (stack.isVip(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3) || this.ipvs.laddrs.getW(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3) !== undefined) {
        stack.drop(Drop.NO_SERVICE, port);
        return;
      }
      stack.toKernel(port, buf, off, len);
      return;
    }
    if (stack.settings.forwarding) stack.forward(pi, port);
    else stack.toKernel(port, buf, off, len);
  }

  /** Timer work: connection expiry, neighbour retries. Call often (each burst or capture frame). */
  tick(nowMs: number): void {
    this.ipvs.tick(nowMs);
    this.stack.tick(nowMs);
  }
}

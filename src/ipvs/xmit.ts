// Transmission by forwarding method: FullNAT (incl. NAT64 and TOA), NAT, DR and tunnels
// (IPIP, IPv6-in-IPv6, GRE, GUE). Rewrites frames in place; never allocates per packet.

import { Drop, type DropReason } from '../packet/drop-reason.js';
import { csumApplyDelta, csumFold, csumPartial, delta16, delta32, pseudoSum4, pseudoSum6 } from '../packet/checksum.js';
import { ETH_P_IP, ETH_P_IPV6, readI32, readU16, readU32, writeU16, writeU32 } from '../packet/ether.js';
import { ipv4ApplyDelta, writeIpv4Header, writeIpv6Header } from '../packet/ip.js';
import type { PacketInfo } from '../packet/parse.js';
import {
  IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, TCPOLEN_TOA4, TCPOLEN_TOA6, TCP_ACK, TCP_RST, TCP_SYN,
} from '../packet/proto.js';
import { tcpCompactOptions, tcpInsertToa, tcpLowerMss, tcpShiftSack, tcpStripTimestamp } from '../packet/tcp.js';
import type { NeighEntry } from '../netif/neigh.js';
import {
  CONN_F_FDATA, CONN_F_IN_V6, CONN_F_SEQ_INIT, CONN_F_V6, CONN_WORDS, type ConnTable, W_CADDR, W_CVPORT, W_DLPORT, W_FDATA, W_FLAGS,
  W_LADDR, W_MTU, W_NHGEN, W_NHIN, W_NHOUT, W_SEQDELTA, W_VADDR,
} from './conn-table.js';
import { type Dest, FWD_DR, FWD_FNAT, FWD_NAT, TUN_GRE, TUN_GUE } from './dest.js';
import type { Ipvs } from './ipvs.js';

/** 2^32 ISN clock ticks of 64 ns, in ms. */
const ISN_WRAP_MS = 274877.906944;

/** Smallest headroom drivers must leave before a frame: Ethernet + IPv6 + UDP + GUE + slack. */
export const XMIT_HEADROOM = 128;
/** Tailroom for a TOA (IPv6: 20 bytes). */
export const XMIT_TAILROOM = 32;

export class Xmit {
  private readonly ct: ConnTable;
  private ipId = 1;

  constructor(private readonly ipvs: Ipvs) {
    this.ct = ipvs.conns;
  }

  // ================================================================= next hop

  /**
   * Neighbour for the connection's direction (0 towards the real server, 1 towards the client),
   * cached in the connection until routes or neighbours change. `onlink` resolves the address
   * itself on the route's port (DR: the real server must share our L2).
   */
  nextHop(i: number, dir: number, af: number, d0: number, d1: number, d2: number, d3: number, onlink: boolean): NeighEntry | null {
    const c = this.ct.rec;
    const r0 = i * CONN_WORDS;
    const nb = this.ipvs.stack.neighs;
    if (c[r0 + W_NHGEN] === (nb.gen | 0)) {
      const idx = c[r0 + W_NHIN + dir]!;
      if (idx >= 0) {
        const e = nb.entries[idx];
        if (e && e.state !== 3 /* STALE */) return e;
      }
    }
    return this.nextHopSlow(i, dir, af, d0, d1, d2, d3, onlink);
  }

  /** nextHop off the cached path: a stale neighbour, or the route and neighbour looked up. */
  private nextHopSlow(i: number, dir: number, af: number, d0: number, d1: number, d2: number, d3: number, onlink: boolean): NeighEntry | null {
    const c = this.ct.rec;
    const r0 = i * CONN_WORDS;
    const stack = this.ipvs.stack;
    const nb = stack.neighs;
    if (c[r0 + W_NHGEN] === (nb.gen | 0)) {
      const idx = c[r0 + W_NHIN + dir]!;
      if (idx >= 0) {
        const e = nb.entries[idx];
        if (e) {
          if (e.state === 3 /* STALE */) return stack.neighFor(af, e.port, e.addr.w0, e.addr.w1, e.addr.w2, e.addr.w3);
          return e;
        }
      }
    } else {
      c[r0 + W_NHIN] = -1;
      c[r0 + W_NHOUT] = -1;
      c[r0 + W_NHGEN] = nb.gen;
    }
    // Conn words are int32: the route lookup masks them and AddrMap keys are int32, so they go in
    // as they are (unsigned words above 2^31 would be boxed as heap numbers for each call).
    const r = stack.routeOutput(af, d0, d1, d2, d3);
    if (r === null || r.scope === 'kni_host') return null;
    const v = r.via;
    const e = v !== null && !onlink ? stack.neighFor(af, r.port, v.w0, v.w1, v.w2, v.w3) : stack.neighFor(af, r.port, d0, d1, d2, d3);
    const mtu = stack.routeMtu(r);
    c[r0 + W_NHIN + dir] = e.index;
    c[r0 + W_MTU] = dir === 0 ? (c[r0 + W_MTU]! & ~0xffff) | mtu : (c[r0 + W_MTU]! & 0xffff) | (mtu << 16);
    return e;
  }

  /** Sends or fragments an IPv4 datagram bigger than the path MTU; too big with DF -> ICMP. */
  private tooBig(pi: PacketInfo, port: number, mtu: number, overhead: number): DropReason {
    if (pi.af === 4) {
      this.ipvs.stack.icmpError(pi, port, 3, 4, (mtu - overhead) & 0xffff);
    } else {
      this.ipvs.stack.icmpError(pi, port, 2, 0, mtu - overhead);
    }
    return overhead > 0 ? Drop.TUNNEL_TOO_BIG : Drop.FRAG_NEEDED;
  }

  private send(e: NeighEntry, buf: Uint8Array, l3: number, len: number, af: number, mtu: number): void {
    if (len > mtu && af === 4) this.ipvs.stack.sendFragments(e, buf, l3, len, mtu);
    else this.ipvs.stack.sendToNeigh(e, buf, l3, len, af);
  }

  // ================================================================= inbound: client -> RS

  inbound(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    switch (d.method) {
      case FWD_FNAT: return this.fnatIn(pi, port, i, d);
      case FWD_NAT: return this.natIn(pi, port, i, d);
      case FWD_DR: return this.drIn(pi, port, i, d);
      default: return this.tunIn(pi, port, i, d);
    }
  }

  outbound(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    if (d.method === FWD_FNAT) return this.fnatOut(pi, port, i, d);
    if (d.method === FWD_NAT) return this.natOut(pi, port, i, d);
    // DR/tunnel replies never come through us; a packet matching that tuple is not IPVS's.
    return Drop.UNSUPPORTED;
  }

  private drIn(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const e = this.nextHop(i, 0, d.af, d.a0, d.a1, d.a2, d.a3, true);
    if (e === null) return Drop.NO_ROUTE;
    const len = pi.ipEnd - pi.l3Off;
    const mtu = this.ct.rec[i * CONN_WORDS + W_MTU]! & 0xffff;
    if (len > mtu && (pi.af === 6 || pi.dontFragment)) return this.tooBig(pi, port, mtu, 0);
    this.send(e, pi.buf, pi.l3Off, len, pi.af, mtu);
    return Drop.NONE;
  }

  private tunIn(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const af = d.af;
    const e = this.nextHop(i, 0, af, d.a0, d.a1, d.a2, d.a3, false);
    if (e === null) return Drop.NO_ROUTE;
    const stack = this.ipvs.stack;
    const buf = pi.buf;
    const inner = pi.l3Off;
    const len = pi.ipEnd - inner;
    const ipHdr = af === 4 ? 20 : 40;
    const encap = d.tunType === TUN_GRE ? (d.tunCsum ? 8 : 4) : d.tunType === TUN_GUE ? 12 : 0;
    const overhead = ipHdr + encap;
    const mtu = this.ct.rec[i * CONN_WORDS + W_MTU]! & 0xffff;
    const df = pi.af === 6 || pi.dontFragment;
    if (len + overhead > mtu && (df || af === 6)) return this.tooBig(pi, port, mtu, overhead);
    const outer = inner - overhead;
    const innerProto = pi.af === 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
    const outerProto = d.tunType === TUN_GRE ? IPPROTO_GRE : d.tunType === TUN_GUE ? IPPROTO_UDP : innerProto;
    if (!d.tunSrcOk || d.tunSrcGen !== stack.neighs.gen) this.tunSource(d, e.port);
    const tos = pi.af === 4 ? buf[inner + 1]! : (readU16(buf, inner) >> 4) & 255;
    // DPVS (and the kernel) copy the inner TTL/hop limit; DPVS also copies the IPv6 flow label.
    const flow = pi.af === 6 ? readU32(buf, inner) & 0xfffff : 0;
    const total = len + overhead;
    if (af === 4) {
      writeIpv4Header(buf, outer, tos, total, this.ipId++ & 0xffff, df, pi.ttl, outerProto, d.tunSrc0, d.a0);
    } else {
      writeIpv6Header(buf, outer, tos, flow, total - 40, outerProto, pi.ttl,
        d.tunSrc0, d.tunSrc1, d.tunSrc2, d.tunSrc3, d.a0, d.a1, d.a2, d.a3);
    }
    const o = outer + ipHdr;
    if (d.tunType === TUN_GRE) {
      writeU16(buf, o, d.tunCsum ? 0x8000 : 0);
      writeU16(buf, o + 2, pi.af === 4 ? ETH_P_IP : ETH_P_IPV6);
      if (d.tunCsum) {
        writeU32(buf, o + 4, 0);
        writeU16(buf, o + 4, csumFold(csumPartial(buf, o, encap + len, 0)));
      }
    } else if (d.tunType === TUN_GUE) {
      // UDP source port from the inner flow so ECMP/RSS on the way spread tunnels (RFC 8086 style).
      const h = (Math.imul(pi.sW0 ^ pi.sW3 ^ ((pi.sport << 16) | pi.dport), 0x9e3779b1) >>> 16) | 0xc000;
      writeU16(buf, o, h & 0xffff);
      writeU16(buf, o + 2, d.tunPort);
      writeU16(buf, o + 4, 12 + len);
      writeU16(buf, o + 6, 0);
      // GUE header version 0: C=0, hlen=0, proto/ctype = the inner protocol, flags 0.
      buf[o + 8] = 0;
      buf[o + 9] = innerProto;
      writeU16(buf, o + 10, 0);
      if (d.tunCsum || af === 6) {
        const s = af === 4 ? pseudoSum4(readI32(buf, outer + 12), d.a0, IPPROTO_UDP, 12 + len)
          : pseudoSum6(buf, outer + 8, outer + 24, IPPROTO_UDP, 12 + len);
        let c = csumFold(csumPartial(buf, o, 12 + len, s));
        if (c === 0) c = 0xffff;
        writeU16(buf, o + 6, c);
      }
    }
    this.send(e, buf, outer, total, af, mtu);
    return Drop.NONE;
  }

  /**
   * Picks the tunnel's outer source address for dest d, reached through `port`: the route's
   * preferred source, as DPVS's rt->src, else one of the port's addresses (0 when none). Cached
   * in the dest until routes, addresses or neighbours change (the neighbour generation), so a
   * tunnelled packet does not scan the address list.
   */
  private tunSource(d: Dest, port: number): void {
    const stack = this.ipvs.stack;
    const r = stack.routeOutput(d.af, d.addrW0, d.addrW1, d.addrW2, d.addrW3);
    const src = r !== null && r.src !== null ? r.src : stack.addrs.selectSource(port, d.addr);
    d.tunSrc0 = src !== null ? src.w0 | 0 : 0;
    d.tunSrc1 = src !== null ? src.w1 | 0 : 0;
    d.tunSrc2 = src !== null ? src.w2 | 0 : 0;
    d.tunSrc3 = src !== null ? src.w3 | 0 : 0;
    d.tunSrcGen = stack.neighs.gen;
    d.tunSrcOk = true;
  }

  private natIn(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const e = this.nextHop(i, 0, d.af, d.a0, d.a1, d.a2, d.a3, false);
    if (e === null) return Drop.NO_ROUTE;
    const len = pi.ipEnd - pi.l3Off;
    const mtu = this.ct.rec[i * CONN_WORDS + W_MTU]! & 0xffff;
    if (len > mtu && (pi.af === 6 || pi.dontFragment)) return this.tooBig(pi, port, mtu, 0);
    const buf = pi.buf;
    const l3 = pi.l3Off;
    const dAddr = l3 + (pi.af === 4 ? 16 : 24);
    const da = rewriteAddr(buf, dAddr, pi.af, d.a0, d.a1, d.a2, d.a3);
    let dl = da;
    const np = this.ct.rec[i * CONN_WORDS + W_DLPORT]! >>> 16;
    dl += delta16(pi.dport, np);
    writeU16(buf, pi.l4Off + 2, np);
    this.fixL4Incremental(pi, dl);
    if (pi.af === 4) ipv4ApplyDelta(buf, l3, da);
    this.send(e, buf, l3, len, pi.af, mtu);
    return Drop.NONE;
  }

  private natOut(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const ct = this.ct;
    const af = pi.af;
    const e = this.nextHop(i, 1, af, ct.addrWord(i, 0, 0), ct.addrWord(i, 0, 1), ct.addrWord(i, 0, 2), ct.addrWord(i, 0, 3), false);
    if (e === null) return Drop.NO_ROUTE;
    const len = pi.ipEnd - pi.l3Off;
    const mtu = ct.rec[i * CONN_WORDS + W_MTU]! >>> 16;
    if (len > mtu && (af === 6 || pi.dontFragment)) return this.tooBig(pi, port, mtu, 0);
    const buf = pi.buf;
    const l3 = pi.l3Off;
    const da = rewriteAddr(buf, l3 + (af === 4 ? 12 : 8), af, ct.addrWord(i, 1, 0), ct.addrWord(i, 1, 1), ct.addrWord(i, 1, 2), ct.addrWord(i, 1, 3));
    let dl = da;
    const vp = ct.rec[i * CONN_WORDS + W_CVPORT]! & 0xffff;
    dl += delta16(pi.sport, vp);
    writeU16(buf, pi.l4Off, vp);
    this.fixL4Incremental(pi, dl);
    if (af === 4) ipv4ApplyDelta(buf, l3, da);
    void d;
    this.send(e, buf, l3, len, af, mtu);
    return Drop.NONE;
  }

  /** Applies an accumulated checksum delta to the TCP or UDP checksum (UDP/IPv4 zero stays zero). */
  private fixL4Incremental(pi: PacketInfo, dl: number): void {
    const buf = pi.buf;
    if (pi.l4Proto === IPPROTO_TCP) {
      writeU16(buf, pi.l4Off + 16, csumApplyDelta(readU16(buf, pi.l4Off + 16), dl));
    } else {
      const c = readU16(buf, pi.l4Off + 6);
      if (c === 0 && pi.af === 4) return;
      let n = csumApplyDelta(c, dl);
      if (n === 0) n = 0xffff;
      writeU16(buf, pi.l4Off + 6, n);
    }
  }

  // ================================================================= FullNAT

  /**
   * FullNAT client -> RS. The common case (IPv4 on both sides, no SYN, RST or TOA) is this short
   * function; the rest (handshake, TOA insertion and option compaction, IPv6, NAT64) is fnatInFull.
   */
  private fnatIn(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const c = this.ct.rec;
    const r = i * CONN_WORDS;
    const f = c[r + W_FLAGS]!;
    if ((f & CONN_F_V6) !== 0 || pi.af !== 4) return this.fnatInFull(pi, port, i, d);
    const buf = pi.buf;
    const l4 = pi.l4Off;
    const tcp = pi.l4Proto === IPPROTO_TCP;
    if (tcp && ((pi.tcpFlags & (TCP_SYN | TCP_RST)) !== 0 || ((f & CONN_F_FDATA) !== 0 && readI32(buf, l4 + 8) === c[r + W_FDATA]))) {
      return this.fnatInFull(pi, port, i, d);
    }
    const e = this.nextHop(i, 0, 4, d.a0, 0, 0, 0, false);
    if (e === null) return Drop.NO_ROUTE;
    const l3 = pi.l3Off;
    const outLen = pi.ipEnd - l3;
    const mtu = c[r + W_MTU]! & 0xffff;
    if (outLen > mtu && pi.dontFragment) return this.tooBig(pi, port, mtu, 0);
    let dl = 0;
    if (tcp) {
      const seq = readI32(buf, l4 + 4);
      const nseq = (seq + c[r + W_SEQDELTA]!) | 0;
      writeU32(buf, l4 + 4, nseq);
      dl = delta32(seq, nseq);
    }
    const ports = c[r + W_DLPORT]!;
    const lport = ports & 0xffff;
    const dport = ports >>> 16;
    dl += delta16(pi.sport, lport) + delta16(pi.dport, dport);
    writeU16(buf, l4, lport);
    writeU16(buf, l4 + 2, dport);
    const da = rewriteAddr4(buf, l3 + 12, c[r + W_LADDR]!) + rewriteAddr4(buf, l3 + 16, d.a0);
    ipv4ApplyDelta(buf, l3, da);
    this.fixL4Incremental(pi, dl + da);
    this.send(e, buf, l3, outLen, 4, mtu);
    return Drop.NONE;
  }

  private fnatInFull(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const ct = this.ct;
    const outAf = d.af;
    const e = this.nextHop(i, 0, outAf, d.a0, d.a1, d.a2, d.a3, false);
    if (e === null) return Drop.NO_ROUTE;
    const buf = pi.buf;
    const c = ct.rec;
    const r = i * CONN_WORDS;
    const tcp = pi.l4Proto === IPPROTO_TCP;
    const l4 = pi.l4Off;
    let l4len = pi.l4Len;
    const nat64 = pi.af !== outAf;
    const outHdr = outAf === 4 ? 20 : 40;
    // Only the IPv6 -> IPv4 case changes the L3 header; otherwise the original header is kept.
    const l3 = nat64 ? l4 - outHdr : pi.l3Off;
    // Bytes of L3 header on the way out: IPv4 options and IPv6 extension headers are kept.
    const hdrBytes = nat64 ? outHdr : l4 - pi.l3Off;
    let full = nat64;
    let dl = 0;
    const mtu = ct.rec[i * CONN_WORDS + W_MTU]! & 0xffff;
    // Too big for the path: decide before anything is rewritten, so that the ICMP error quotes
    // the packet as the client sent it (the client matches it by its own sequence number).
    if (hdrBytes + l4len > mtu && (outAf === 6 || pi.dontFragment || nat64)) return this.tooBig(pi, port, mtu, 0);
    if (tcp) {
      const flags = pi.tcpFlags;
      let hdrLen = pi.tcpHdrLen;
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        if ((c[r + W_FLAGS]! & CONN_F_SEQ_INIT) === 0) {
          c[r + W_SEQDELTA] = this.isn(i) - readI32(buf, l4 + 4);
          c[r + W_FLAGS] |= CONN_F_SEQ_INIT;
        }
        if (tcpStripTimestamp(buf, l4, hdrLen)) full = true;
      }
      const ack = readI32(buf, l4 + 8);
      if ((flags & (TCP_SYN | TCP_RST)) === 0 && (c[r + W_FLAGS]! & CONN_F_FDATA) !== 0 && ack === c[r + W_FDATA]) {
        // DPVS puts the client's address in every segment that still acks the RS's ISN+1:
        // the handshake ACK and the first data, so the RS's TOA module sees it whatever comes first.
        const inV6 = (c[r + W_FLAGS]! & CONN_F_IN_V6) !== 0;
        const toaLen = inV6 ? TCPOLEN_TOA6 : TCPOLEN_TOA4;
        if (hdrLen + toaLen > 60) {
          const nl = this.compact(pi, hdrLen);
          // Compaction rewrites option bytes even when the length stays (NOPs become EOL padding).
          full = true;
          if (nl !== hdrLen) { l4len = pi.l4Len; hdrLen = nl; }
        }
        const outLen = hdrBytes + l4len + toaLen;
        if (hdrLen + toaLen <= 60 && outLen <= mtu && pi.ipEnd + toaLen <= buf.length) {
          tcpInsertToa(buf, l4, l4 + l4len, c[r + W_CVPORT]! >>> 16, inV6 ? 6 : 4,
            ct.addrWord(i, 0, 0), ct.addrWord(i, 0, 1), ct.addrWord(i, 0, 2), ct.addrWord(i, 0, 3));
          l4len += toaLen;
          full = true;
        } else {
          this.ipvs.stack.counters.toaNoRoom++;
        }
      }
      const seq = readI32(buf, l4 + 4);
      const nseq = (seq + c[r + W_SEQDELTA]!) | 0;
      writeU32(buf, l4 + 4, nseq);
      dl += delta32(seq, nseq);
    }
    // A TOA went in only where it fitted, so the segment is still within the MTU when it must be.
    const outLen = hdrBytes + l4len;
    // Ports: client port -> local port, virtual port -> real server port.
    const lport = c[r + W_DLPORT]! & 0xffff;
    const dport = c[r + W_DLPORT]! >>> 16;
    dl += delta16(pi.sport, lport) + delta16(pi.dport, dport);
    writeU16(buf, l4, lport);
    writeU16(buf, l4 + 2, dport);
    const la0 = ct.addrWord(i, 2, 0), la1 = ct.addrWord(i, 2, 1), la2 = ct.addrWord(i, 2, 2), la3 = ct.addrWord(i, 2, 3);
    if (nat64) {
      const tc = (readU16(buf, pi.l3Off) >> 4) & 255;
      writeIpv4Header(buf, l3, tc, outLen, 0, true, pi.ttl, pi.l4Proto, la0, d.a0);
    } else if (outAf === 4) {
      const da = rewriteAddr(buf, l3 + 12, 4, la0, 0, 0, 0) + rewriteAddr(buf, l3 + 16, 4, d.a0, 0, 0, 0);
      dl += da;
      const oldLen = readU16(buf, l3 + 2);
      writeU16(buf, l3 + 2, outLen);
      ipv4ApplyDelta(buf, l3, da + delta16(oldLen, outLen));
    } else {
      dl += rewriteAddr(buf, l3 + 8, 6, la0, la1, la2, la3) + rewriteAddr(buf, l3 + 24, 6, d.a0, d.a1, d.a2, d.a3);
      writeU16(buf, l3 + 4, outLen - 40);
    }
    if (full) l4FullChecksum(buf, outAf, l3, l4, l4len, pi.l4Proto);
    else this.fixL4Incremental(pi, dl);
    this.send(e, buf, l3, outLen, outAf, mtu);
    return Drop.NONE;
  }

  /**
   * FullNAT RS -> client. The common case (IPv4 on both sides, no SYN or RST, no SACK blocks to
   * shift) is this short function; the rest (MSS clamp, SACK, IPv6, NAT64) is fnatOutFull.
   */
  private fnatOut(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const c = this.ct.rec;
    const r = i * CONN_WORDS;
    if ((c[r + W_FLAGS]! & CONN_F_V6) !== 0 || pi.af !== 4) return this.fnatOutFull(pi, port, i, d);
    const tcp = pi.l4Proto === IPPROTO_TCP;
    const delta = c[r + W_SEQDELTA]!;
    if (tcp && ((pi.tcpFlags & (TCP_SYN | TCP_RST)) !== 0 || (pi.tcpHdrLen > 20 && delta !== 0))) return this.fnatOutFull(pi, port, i, d);
    const c0 = c[r + W_CADDR]!;
    const e = this.nextHop(i, 1, 4, c0, 0, 0, 0, false);
    if (e === null) return Drop.NO_ROUTE;
    const buf = pi.buf;
    const l4 = pi.l4Off;
    const l3 = pi.l3Off;
    const mtu = c[r + W_MTU]! >>> 16;
    const outLen = pi.ipEnd - l3;
    if (outLen > mtu && pi.dontFragment) return this.tooBig(pi, port, mtu, 0);
    let dl = 0;
    if (tcp) {
      const ack = readI32(buf, l4 + 8);
      const nack = (ack - delta) | 0;
      writeU32(buf, l4 + 8, nack);
      dl = delta32(ack, nack);
    }
    const ports = c[r + W_CVPORT]!;
    const cport = ports >>> 16;
    const vport = ports & 0xffff;
    dl += delta16(pi.sport, vport) + delta16(pi.dport, cport);
    writeU16(buf, l4, vport);
    writeU16(buf, l4 + 2, cport);
    const da = rewriteAddr4(buf, l3 + 12, c[r + W_VADDR]!) + rewriteAddr4(buf, l3 + 16, c0);
    ipv4ApplyDelta(buf, l3, da);
    this.fixL4Incremental(pi, dl + da);
    this.send(e, buf, l3, outLen, 4, mtu);
    return Drop.NONE;
  }

  private fnatOutFull(pi: PacketInfo, port: number, i: number, d: Dest): DropReason {
    const ct = this.ct;
    const c = ct.rec;
    const r = i * CONN_WORDS;
    const inV6 = (c[r + W_FLAGS]! & CONN_F_IN_V6) !== 0;
    const cliAf = inV6 ? 6 : 4;
    const c0 = ct.addrWord(i, 0, 0), c1 = ct.addrWord(i, 0, 1), c2 = ct.addrWord(i, 0, 2), c3 = ct.addrWord(i, 0, 3);
    const e = this.nextHop(i, 1, cliAf, c0, c1, c2, c3, false);
    if (e === null) return Drop.NO_ROUTE;
    const buf = pi.buf;
    const l4 = pi.l4Off;
    const l4len = pi.l4Len;
    const nat64 = pi.af !== cliAf;
    const outHdr = cliAf === 4 ? 20 : 40;
    const l3 = nat64 ? l4 - outHdr : pi.l3Off;
    const mtu = ct.rec[i * CONN_WORDS + W_MTU]! >>> 16;
    const outLen = nat64 ? outHdr + l4len : pi.ipEnd - pi.l3Off;
    if (outLen > mtu && (cliAf === 6 || pi.dontFragment)) return this.tooBig(pi, port, mtu, 0);
    let full = nat64;
    let dl = 0;
    if (pi.l4Proto === IPPROTO_TCP) {
      const flags = pi.tcpFlags;
      const delta = c[r + W_SEQDELTA]!;
      if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // The RS must leave room for the TOA we add to the client's segments.
        if (tcpLowerMss(buf, l4, pi.tcpHdrLen, inV6 ? TCPOLEN_TOA6 : TCPOLEN_TOA4) >= 0) full = true;
        c[r + W_FDATA] = (readI32(buf, l4 + 4) + 1) | 0;
        c[r + W_FLAGS] |= CONN_F_FDATA;
      }
      if ((flags & TCP_RST) === 0 || (flags & TCP_ACK) !== 0) {
        const ack = readI32(buf, l4 + 8);
        const nack = (ack - delta) | 0;
        writeU32(buf, l4 + 8, nack);
        dl += delta32(ack, nack);
        if (pi.tcpHdrLen > 20 && delta !== 0) {
          tcpShiftSack(buf, l4, pi.tcpHdrLen, delta);
          full = true;
        }
      }
    }
    const cport = c[r + W_CVPORT]! >>> 16;
    const vport = c[r + W_CVPORT]! & 0xffff;
    dl += delta16(pi.sport, vport) + delta16(pi.dport, cport);
    writeU16(buf, l4, vport);
    writeU16(buf, l4 + 2, cport);
    const v0 = ct.addrWord(i, 1, 0), v1 = ct.addrWord(i, 1, 1), v2 = ct.addrWord(i, 1, 2), v3 = ct.addrWord(i, 1, 3);
    if (nat64) {
      const tos = buf[pi.l3Off + 1]!;
      writeIpv6Header(buf, l3, tos, 0, l4len, pi.l4Proto, pi.ttl, v0, v1, v2, v3, c0, c1, c2, c3);
    } else if (cliAf === 4) {
      const da = rewriteAddr(buf, l3 + 12, 4, v0, 0, 0, 0) + rewriteAddr(buf, l3 + 16, 4, c0, 0, 0, 0);
      dl += da;
      ipv4ApplyDelta(buf, l3, da);
    } else {
      dl += rewriteAddr(buf, l3 + 8, 6, v0, v1, v2, v3) + rewriteAddr(buf, l3 + 24, 6, c0, c1, c2, c3);
    }
    if (full) l4FullChecksum(buf, cliAf, l3, l4, l4len, pi.l4Proto);
    else this.fixL4Incremental(pi, dl);
    void d;
    this.send(e, buf, l3, outLen, cliAf, mtu);
    return Drop.NONE;
  }

  /** Squeezes NOPs and old TOAs out of the option space; fixes the data offset. */
  private compact(pi: PacketInfo, hdrLen: number): number {
    const buf = pi.buf;
    const l4 = pi.l4Off;
    const nl = tcpCompactOptions(buf, l4, hdrLen);
    if (nl === hdrLen) return hdrLen;
    // Close the gap between the shortened header and the payload.
    buf.copyWithin(l4 + nl, l4 + hdrLen, pi.ipEnd);
    const shrink = hdrLen - nl;
    pi.l4Len -= shrink;
    pi.ipEnd -= shrink;
    buf[l4 + 12] = ((nl >> 2) << 4) | (buf[l4 + 12]! & 0x0f);
    pi.tcpHdrLen = nl;
    return nl;
  }

  /**
   * FullNAT initial sequence number for the RS side, from the conn's out tuple and a secret
   * plus a clock term, as DPVS's tcp_secure_sequence_number (keyed hash, 64 ns ticks).
   */
  private isn(i: number): number {
    const ct = this.ct;
    const ports = ct.rec[i * CONN_WORDS + W_DLPORT]!;
    let h = this.ipvs.settings.seqSecret | 0;
    h = Math.imul(h ^ ct.addrWord(i, 2, 0), 0x9e3779b1);
    h = Math.imul(h ^ ct.addrWord(i, 3, 0), 0x85ebca6b);
    // (lport << 16 | dport): W_DLPORT holds them the other way round.
    h = Math.imul(h ^ ((ports << 16) | (ports >>> 16)), 0xc2b2ae35);
    h ^= h >>> 15;
    // ms -> 64 ns ticks mod 2^32 (one wrap = 274877.906944 ms): reduced first, as wall-clock
    // milliseconds times 15625 would lose the low bits in a double.
    const st = this.ipvs.settings;
    const t = Math.floor(((this.ipvs.stack.clock.now() + st.isnClockOffsetMs) % ISN_WRAP_MS) * 15625) | 0;
    return (h + t) | 0;
  }
}

/** Writes a new address over the one at `off` and returns the checksum delta of the change. */
export function rewriteAddr(buf: Uint8Array, off: number, af: number, w0: number, w1: number, w2: number, w3: number): number {
  let dl = delta32(readI32(buf, off), w0);
  writeU32(buf, off, w0);
  if (af === 6) {
    dl += delta32(readI32(buf, off + 4), w1) + delta32(readI32(buf, off + 8), w2) + delta32(readI32(buf, off + 12), w3);
    writeU32(buf, off + 4, w1);
    writeU32(buf, off + 8, w2);
    writeU32(buf, off + 12, w3);
  }
  return dl;
}

/** rewriteAddr for one IPv4 address word. */
function rewriteAddr4(buf: Uint8Array, off: number, w0: number): number {
  const dl = delta32(readI32(buf, off), w0);
  writeU32(buf, off, w0);
  return dl;
}

/** Recomputes a TCP or UDP checksum from scratch over the segment and its pseudo-header. */
export function l4FullChecksum(buf: Uint8Array, af: number, l3: number, l4: number, l4len: number, proto: number): void {
  const co = l4 + (proto === IPPROTO_TCP ? 16 : 6);
  buf[co] = 0;
  buf[co + 1] = 0;
  const ps = af === 4 ? pseudoSum4(readI32(buf, l3 + 12), readI32(buf, l3 + 16), proto, l4len) : pseudoSum6(buf, l3 + 8, l3 + 24, proto, l4len);
  let c = csumFold(csumPartial(buf, l4, l4len, ps));
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  writeU16(buf, co, c);
}


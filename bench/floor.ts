// The floor measured beside the engine: the least a FullNAT forwarder can do per packet in JS
// (reference A.3, "DataView + open addressing on Int32Array"): parse, look up, rewrite, fix sums.
//
// It parses Ethernet/IPv4/TCP, finds the flow in an open-addressing Int32Array table (8 ints a
// slot, murmur-style hash, linear probing), rewrites both addresses and ports, updates the IPv4
// and TCP checksums incrementally (RFC 1624, the address delta shared by both), writes the MACs
// and hands the frame to the sink. No checksum verification, no states, timers, stats or TOA.

import type { FrameSink } from '../src/netif/stack.js';
import type { Receiver } from './harness.js';

const INTS = 8;
const K_SRC = 0, K_DST = 1, K_PORTS = 2, V_SRC = 3, V_DST = 4, V_PORTS = 5, USED = 6;

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0xcc9e2d51) ^ 0x9747b28c;
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h ^= Math.imul(b, 0x1b873593);
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h ^= Math.imul(c, 0xcc9e2d51);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** sum of ~old and new 16-bit halves: the RFC 1624 term for one 32-bit field. */
function d32(o: number, n: number): number {
  return (~o >>> 16) + (~o & 0xffff) + (n >>> 16) + (n & 0xffff);
}

function apply(check: number, delta: number): number {
  let s = (~check & 0xffff) + delta;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export class FloorForwarder implements Receiver {
  private readonly t: Int32Array;
  private readonly mask: number;
  private dv: DataView | null = null;
  private dvBuf: ArrayBufferLike | null = null;
  /** Destination then source MAC as three big-endian words, written with three stores. */
  private readonly mac0: number;
  private readonly mac1: number;
  private readonly mac2: number;
  drops = 0;

  constructor(flows: number, private readonly sink: FrameSink, private readonly outPort: number, dmac: Uint8Array, smac: Uint8Array) {
    const m = new DataView(Uint8Array.from([...dmac, ...smac]).buffer);
    this.mac0 = m.getUint32(0);
    this.mac1 = m.getUint32(4);
    this.mac2 = m.getUint32(8);
    let n = 16;
    while (n < flows * 2) n *= 2;
    this.mask = n - 1;
    this.t = new Int32Array(n * INTS);
  }

  /** Adds flow (src, dst, sport:dport) -> (nsrc, ndst, nsport:ndport). Setup only. */
  insert(src: number, dst: number, ports: number, nsrc: number, ndst: number, nports: number): void {
    const t = this.t;
    let j = hash3(src, dst, ports) & this.mask;
    while (t[j * INTS + USED] !== 0) j = (j + 1) & this.mask;
    const s = j * INTS;
    t[s + K_SRC] = src; t[s + K_DST] = dst; t[s + K_PORTS] = ports;
    t[s + V_SRC] = nsrc; t[s + V_DST] = ndst; t[s + V_PORTS] = nports; t[s + USED] = 1;
  }

  input(port: number, buf: Uint8Array, off: number, len: number): void {
    void port;
    if (this.dvBuf !== buf.buffer) {
      this.dvBuf = buf.buffer;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const dv = this.dv!;
    if (len < 54 || dv.getUint16(off + 12) !== 0x0800) { this.drops++; return; }
    const l3 = off + 14;
    if (dv.getUint8(l3) !== 0x45 || dv.getUint8(l3 + 9) !== 6) { this.drops++; return; }
    const l4 = l3 + 20;
    const src = dv.getInt32(l3 + 12), dst = dv.getInt32(l3 + 16), ports = dv.getInt32(l4);
    const t = this.t;
    let j = hash3(src, dst, ports) & this.mask;
    for (;;) {
      const s = j * INTS;
      if (t[s + USED] === 0) { this.drops++; return; }
      if (t[s + K_SRC] === src && t[s + K_DST] === dst && t[s + K_PORTS] === ports) break;
      j = (j + 1) & this.mask;
    }
    const s = j * INTS;
    const nsrc = t[s + V_SRC]!, ndst = t[s + V_DST]!, nports = t[s + V_PORTS]!;
    const da = d32(src >>> 0, nsrc >>> 0) + d32(dst >>> 0, ndst >>> 0);
    dv.setUint16(l3 + 10, apply(dv.getUint16(l3 + 10), da));
    dv.setUint16(l4 + 16, apply(dv.getUint16(l4 + 16), da + d32(ports >>> 0, nports >>> 0)));
    dv.setInt32(l3 + 12, nsrc);
    dv.setInt32(l3 + 16, ndst);
    dv.setInt32(l4, nports);
    dv.setUint32(off, this.mac0);
    dv.setUint32(off + 4, this.mac1);
    dv.setUint32(off + 8, this.mac2);
    this.sink.transmit(this.outPort, buf, off, len);
  }

  tick(): void {
    // Nothing to expire: the floor has no timers.
  }
}

// conhash: DPVS's consistent hashing (ip_vs_conhash.c, libconhash). Owns a ring of 160 virtual
// nodes per unit of weight/gcd, looked up by source address (sip). schedule() never allocates.

import { formatIp4, formatIp6 } from '../../packet/inet.js';
import { conhashHashBytes, conhashHashString, keyLess } from './conhash-hash.js';
import { isUsable } from './load.js';
import { gcdOfPositive } from './weight.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/** REPLICA in ip_vs_conhash.c: virtual nodes per unit of weight/gcd. */
export const CONHASH_REPLICAS = 160;

function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * glibc inet_ntop(): RFC 5952 text, except that an address whose first six groups are zero
 * (and the seventh is not) prints as IPv4-compatible "::a.b.c.d".
 */
function inetNtop(d: SchedDest): string {
  if (d.af === 4) return formatIp4(d.addrW0);
  if (d.addrW0 === 0 && d.addrW1 === 0 && d.addrW2 === 0 && d.addrW3 >>> 16 !== 0) return `::${formatIp4(d.addrW3)}`;
  return formatIp6(d.addrW0, d.addrW1, d.addrW2, d.addrW3);
}

/**
 * DPVS names a dest's node snprintf("%s%d", inet_ntop(addr), dest->port), and dest->port is
 * network order printed as a host integer: on little-endian DPVS port 80 reads 20480, so
 * 10.0.0.1:80 is "10.0.0.120480". We print the same, so our ring matches DPVS's.
 */
export function conhashNodeName(d: SchedDest): string {
  return `${inetNtop(d)}${bswap16(d.port)}`;
}

export class ConhashScheduler implements Scheduler {
  readonly name = 'conhash';
  private dests: readonly SchedDest[] = [];
  /** The ring: virtual-node keys in ascending signed order, and the dest index of each. */
  private keyHi = new Int32Array(0);
  private keyLo = new Uint32Array(0);
  private node = new Int32Array(0);
  private readonly key = new Uint32Array(2);
  private readonly text = new Uint8Array(16);

  /**
   * DPVS adds, deletes and re-adds nodes one by one; the ring that results depends only on the
   * dests, their weights and the gcd, so we rebuild it. Virtual node r of a dest is named
   * "<node name>-%03d"; a key already on the ring keeps its first owner (list order here; 64-bit
   * collisions are not expected to happen).
   */
  update(svc: SchedServiceView): void {
    this.dests = svc.dests.slice();
    const g = gcdOfPositive(this.dests.map((d) => d.weight)) || 1;
    const vnodes: { hi: number; lo: number; dest: number }[] = [];
    const key = new Uint32Array(2);
    this.dests.forEach((d, i) => {
      if (d.weight <= 0) return; // 0 replicas: a quiescent dest leaves the ring
      const name = conhashNodeName(d);
      const replicas = Math.trunc(d.weight / g) * CONHASH_REPLICAS;
      for (let r = 0; r < replicas; r++) {
        conhashHashString(`${name}-${String(r).padStart(3, '0')}`, key);
        vnodes.push({ hi: key[0], lo: key[1], dest: i });
      }
    });
    vnodes.sort((a, b) => (keyLess(a.hi, a.lo, b.hi, b.lo) ? -1 : keyLess(b.hi, b.lo, a.hi, a.lo) ? 1 : 0));
    const ring = vnodes.filter((v, i) => i === 0 || v.hi !== vnodes[i - 1].hi || v.lo !== vnodes[i - 1].lo);
    this.keyHi = Int32Array.from(ring, (v) => v.hi | 0);
    this.keyLo = Uint32Array.from(ring, (v) => v.lo);
    this.node = Int32Array.from(ring, (v) => v.dest);
  }

  /** Number of virtual nodes on the ring (diagnostics and tests). */
  get ringSize(): number {
    return this.node.length;
  }

  schedule(_svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const n = this.node.length;
    if (n === 0) return null;
    // get_sip_hash_target(): the source address as DPVS holds it (network order read as a
    // little-endian u32; IPv6 xor-folded), printed with "%u", is the object hashed.
    const fold = input.af === 6 ? input.srcW0 ^ input.srcW1 ^ input.srcW2 ^ input.srcW3 : input.srcW0;
    const len = writeDecimal(bswap32(fold), this.text);
    conhashHashBytes(this.text, len, this.key);
    // util_rbtree_lookup(): the first virtual node with key >= hash, else the smallest. Keys
    // compare as signed 64-bit: the high halves signed, then the low halves unsigned.
    const hHi = this.key[0] | 0;
    const hLo = this.key[1];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const kHi = this.keyHi[mid];
      if (kHi < hHi || (kHi === hHi && this.keyLo[mid] < hLo)) lo = mid + 1;
      else hi = mid;
    }
    const dest = this.dests[this.node[lo === n ? 0 : lo]];
    // dp_vs_dest_is_valid(): no fallback, an unusable dest means no dest.
    return isUsable(dest) ? dest : null;
  }
}

/** Writes the decimal digits of u32 x as ASCII at the start of `out`; returns their count. */
function writeDecimal(x: number, out: Uint8Array): number {
  let len = 1;
  for (let t = x; t >= 10; t = Math.floor(t / 10)) len++;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return len;
}

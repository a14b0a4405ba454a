// Routing tables: longest-prefix match over IPv4 and IPv6 routes, lowest metric first (iproute2/dpip rules).
// Lookups never allocate, build strings or throw; add/del/flush are control-plane work and may do all three.

import { TsvsError } from '../errors.js';
import { formatIp, ipEquals, maskIp, wordMask, type IpAddr } from '../packet/inet.js';

/** iproute2/dpip route scopes; `kni_host` hands traffic for the prefix to the kernel (DPVS). */
export type RouteScope = 'host' | 'link' | 'global' | 'kni_host';

export interface RouteEntry {
  readonly af: 4 | 6;
  /** Stored masked: host bits past `plen` are zero. */
  readonly prefix: IpAddr;
  readonly plen: number;
  /** Gateway; null for a directly connected prefix. */
  readonly via: IpAddr | null;
  /** Port index (the device the route goes out of). */
  readonly port: number;
  /** Preferred source address; null to let the caller choose. */
  readonly src: IpAddr | null;
  readonly scope: RouteScope;
  readonly metric: number;
  /** 0 = the port's MTU. */
  readonly mtu: number;
}

/*
 * Why one open-addressing hash table per prefix length (and not a trie or DIR-24-8):
 *
 *   lookup(addr):  for plen of the lengths present, longest first    e.g. [32, 24, 16, 0]
 *                    key  = addr & mask[plen]                         four int32 words (IPv4: w0 only)
 *                    slot = hash(key) & (capacity - 1)                linear probing, load <= 1/2
 *                    hit  -> the routes with that prefix, lowest metric first -> route[0]
 *
 *   table[24]:  keys  Int32Array [k0 k1 k2 k3 | k0 k1 k2 k3 | ...]   4 words a slot
 *               groups         [ null | [r(metric 0), r(metric 100)] | ... ]
 *
 * A load balancer's table holds few distinct prefix lengths (/32 or /128 hosts, /24 or /64 links, a
 * default), so a lookup is a handful of probes over flat typed arrays, the same code for both
 * families. A binary trie costs up to 32 or 128 dependent node loads; DPDK's DIR-24-8 costs 64 MiB a
 * table. Nothing is allocated and no string is built. Should routes ever arrive by the hundred
 * thousand across every length (a full BGP feed), a multibit trie can replace PrefixIndex unseen.
 */

function hash4(k0: number, k1: number, k2: number, k3: number): number {
  let h = Math.imul(k0 ^ (k0 >>> 16), 0x85ebca6b) ^ k1;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ k2;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ k3;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The prefixes of one length: open addressing with linear probing and backward-shift deletion. */
class PrefixSlots {
  keys: Int32Array;
  /** Routes per prefix, lowest metric first; null marks an empty slot. */
  groups: (RouteEntry[] | null)[];
  count = 0;

  constructor(capacity: number) {
    this.keys = new Int32Array(capacity * 4);
    this.groups = new Array<RouteEntry[] | null>(capacity).fill(null);
  }

  /** The slot holding the key, or the empty slot where the probe ended. */
  private slotOf(k0: number, k1: number, k2: number, k3: number): number {
    const mask = this.groups.length - 1;
    const keys = this.keys;
    let i = hash4(k0, k1, k2, k3) & mask;
    while (this.groups[i] !== null) {
      const o = i * 4;
      if (keys[o] === k0 && keys[o + 1] === k1 && keys[o + 2] === k2 && keys[o + 3] === k3) return i;
      i = (i + 1) & mask;
    }
    return i;
  }

  find(k0: number, k1: number, k2: number, k3: number): RouteEntry[] | null {
    return this.groups[this.slotOf(k0, k1, k2, k3)];
  }

  insert(k0: number, k1: number, k2: number, k3: number, group: RouteEntry[]): void {
    if ((this.count + 1) * 2 > this.groups.length) this.grow();
    const i = this.slotOf(k0, k1, k2, k3);
    const o = i * 4;
    this.keys[o] = k0;
    this.keys[o + 1] = k1;
    this.keys[o + 2] = k2;
    this.keys[o + 3] = k3;
    this.groups[i] = group;
    this.count++;
  }

  remove(k0: number, k1: number, k2: number, k3: number): void {
    const mask = this.groups.length - 1;
    const keys = this.keys;
    let hole = this.slotOf(k0, k1, k2, k3);
    if (this.groups[hole] === null) return;
    // Backward shift: pull later entries of the probe run into the hole unless that would move one
    // before its home slot, so lookups never need tombstones.
    for (let j = (hole + 1) & mask; this.groups[j] !== null; j = (j + 1) & mask) {
      const o = j * 4;
      const home = hash4(keys[o]!, keys[o + 1]!, keys[o + 2]!, keys[o + 3]!) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys.copyWithin(hole * 4, o, o + 4);
        this.groups[hole] = this.groups[j]!;
        hole = j;
      }
    }
    this.groups[hole] = null;
    this.count--;
  }

  private grow(): void {
    const old = this.groups;
    const oldKeys = this.keys;
    this.keys = new Int32Array(old.length * 8);
    this.groups = new Array<RouteEntry[] | null>(old.length * 2).fill(null);
    this.count = 0;
    for (let i = 0; i < old.length; i++) {
      const g = old[i]!;
      if (g !== null) this.insert(oldKeys[i * 4]!, oldKeys[i * 4 + 1]!, oldKeys[i * 4 + 2]!, oldKeys[i * 4 + 3]!, g);
    }
  }
}

/** All prefixes of one address family, indexed by length. */
class PrefixIndex {
  private readonly byLen: (PrefixSlots | null)[];
  /** Lengths that hold routes, longest first: the only tables a lookup probes. */
  private readonly lens: Int32Array;
  private nlens = 0;
  /** mask[plen] as four int32 words. */
  private readonly masks: Int32Array;

  constructor(readonly maxLen: number) {
    this.byLen = new Array<PrefixSlots | null>(maxLen + 1).fill(null);
    this.lens = new Int32Array(maxLen + 1);
    this.masks = new Int32Array((maxLen + 1) * 4);
    for (let p = 0; p <= maxLen; p++) {
      for (let w = 0; w < 4; w++) this.masks[p * 4 + w] = wordMask(p - 32 * w) | 0;
    }
  }

  lookup(w0: number, w1: number, w2: number, w3: number): RouteEntry | null {
    const masks = this.masks;
    for (let i = 0; i < this.nlens; i++) {
      const p = this.lens[i]!;
      const m = p * 4;
      const g = this.byLen[p]!.find(w0 & masks[m]!, w1 & masks[m + 1]!, w2 & masks[m + 2]!, w3 & masks[m + 3]!);
      if (g !== null) return g[0]!;
    }
    return null;
  }

  group(prefix: IpAddr, plen: number): RouteEntry[] | null {
    const t = this.byLen[plen];
    return t ? t.find(prefix.w0 | 0, prefix.w1 | 0, prefix.w2 | 0, prefix.w3 | 0) : null;
  }

  addGroup(prefix: IpAddr, plen: number, group: RouteEntry[]): void {
    let t = this.byLen[plen];
    if (!t) {
      t = this.byLen[plen] = new PrefixSlots(8);
      this.relist();
    }
    t.insert(prefix.w0 | 0, prefix.w1 | 0, prefix.w2 | 0, prefix.w3 | 0, group);
  }

  removeGroup(prefix: IpAddr, plen: number): void {
    const t = this.byLen[plen];
    if (!t) return;
    t.remove(prefix.w0 | 0, prefix.w1 | 0, prefix.w2 | 0, prefix.w3 | 0);
    if (t.count === 0) {
      this.byLen[plen] = null;
      this.relist();
    }
  }

  forEachGroup(fn: (g: RouteEntry[]) => void): void {
    for (const t of this.byLen) {
      if (t) for (const g of t.groups) if (g !== null) fn(g);
    }
  }

  private relist(): void {
    this.nlens = 0;
    for (let p = this.maxLen; p >= 0; p--) if (this.byLen[p]) this.lens[this.nlens++] = p;
  }
}

const describe = (prefix: IpAddr, plen: number): string => `${formatIp(prefix)}/${plen}`;

function checkPrefix(af: 4 | 6, prefix: IpAddr, plen: number): void {
  const max = af === 4 ? 32 : 128;
  if (af !== 4 && af !== 6) throw new TsvsError('TSVS_ERR_INVALID_ARG', `address family must be 4 or 6, not ${String(af)}`);
  if (prefix.af !== af) {
    throw new TsvsError('TSVS_ERR_INVALID_ARG', `route prefix ${formatIp(prefix)} is not an IPv${af} address`);
  }
  if (!Number.isInteger(plen) || plen < 0 || plen > max) {
    throw new TsvsError('TSVS_ERR_INVALID_ARG', `prefix length ${plen} is out of range for IPv${af} (0-${max})`);
  }
  const masked = maskIp(prefix, plen);
  if (!ipEquals(masked, prefix)) {
    // iproute2 and dpip refuse host bits rather than silently masking them.
    throw new TsvsError('TSVS_ERR_INVALID_ARG',
      `Invalid prefix for given prefix length: ${describe(prefix, plen)} (did you mean ${describe(masked, plen)}?)`);
  }
}

function checkEntry(e: RouteEntry): void {
  checkPrefix(e.af, e.prefix, e.plen);
  const what = `route ${describe(e.prefix, e.plen)}`;
  for (const [name, a] of [['gateway', e.via], ['source', e.src]] as const) {
    if (a !== null && a.af !== e.af) {
      throw new TsvsError('TSVS_ERR_INVALID_ARG', `${what}: ${name} ${formatIp(a)} is not an IPv${e.af} address`);
    }
  }
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!u32(e.port)) throw new TsvsError('TSVS_ERR_INVALID_ARG', `${what}: port index ${e.port} is not a valid index`);
  if (!u32(e.metric)) throw new TsvsError('TSVS_ERR_INVALID_ARG', `${what}: metric ${e.metric} must be an integer 0-4294967295`);
  if (!u32(e.mtu)) throw new TsvsError('TSVS_ERR_INVALID_ARG', `${what}: mtu ${e.mtu} must be a non-negative integer (0 = the port's mtu)`);
}

function compareWords(a: IpAddr, b: IpAddr): number {
  return a.w0 - b.w0 || a.w1 - b.w1 || a.w2 - b.w2 || a.w3 - b.w3;
}

/** The IPv4 and IPv6 routes of one worker (or of the control plane's copy). */
export class RouteTable {
  private readonly v4 = new PrefixIndex(32);
  private readonly v6 = new PrefixIndex(128);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Adds a route. Several routes may share a prefix (on other ports or with other metrics); the
   * lowest metric wins, and among equal metrics the first added. Throws TSVS_ERR_ROUTE_EXISTS for a
   * second (prefix, plen, port, metric), TSVS_ERR_INVALID_ARG for host bits past plen and the like.
   */
  add(e: RouteEntry): void {
    checkEntry(e);
    const route: RouteEntry = Object.freeze({
      af: e.af, prefix: e.prefix, plen: e.plen, via: e.via, port: e.port, src: e.src, scope: e.scope, metric: e.metric, mtu: e.mtu,
    });
    const index = this.index(e.af);
    let group = index.group(e.prefix, e.plen);
    if (group?.some((r) => r.port === e.port && r.metric === e.metric)) {
      throw new TsvsError('TSVS_ERR_ROUTE_EXISTS',
        `route ${describe(e.prefix, e.plen)} on port ${e.port} metric ${e.metric} already exists ` +
        '(RTNETLINK answers: File exists); delete it first, or add it with another metric');
    }
    if (!group) {
      group = [];
      index.addGroup(e.prefix, e.plen, group);
    }
    let at = group.length;
    while (at > 0 && group[at - 1]!.metric > e.metric) at--;
    group.splice(at, 0, route);
    this.count++;
  }

  /**
   * Deletes one route: the lowest-metric one of that prefix matching `port` and `metric` when they
   * are given (as `ip route del` does). Returns it; throws TSVS_ERR_NO_ROUTE when none matches.
   */
  del(af: 4 | 6, prefix: IpAddr, plen: number, port?: number, metric?: number): RouteEntry {
    checkPrefix(af, prefix, plen);
    const group = this.index(af).group(prefix, plen);
    const route = group?.find((r) => (port === undefined || r.port === port) && (metric === undefined || r.metric === metric));
    if (!route) {
      const on = (port !== undefined ? ` on port ${port}` : '') + (metric !== undefined ? ` metric ${metric}` : '');
      throw new TsvsError('TSVS_ERR_NO_ROUTE', `no route ${describe(prefix, plen)}${on} (RTNETLINK answers: No such process)`);
    }
    this.remove(route);
    return route;
  }

  /** The route for an IPv4 destination (w0 of its IpAddr), or null when nothing matches. */
  lookup4(addrW0: number): RouteEntry | null {
    return this.v4.lookup(addrW0, 0, 0, 0);
  }

  /** The route for an IPv6 destination given as its four words, or null when nothing matches. */
  lookup6(w0: number, w1: number, w2: number, w3: number): RouteEntry | null {
    return this.v6.lookup(w0, w1, w2, w3);
  }

  /** Routes in `ip route show` order: IPv4 first, then by prefix, shorter first, then metric and port. */
  list(af?: 4 | 6): RouteEntry[] {
    const out: RouteEntry[] = [];
    if (af !== 6) this.v4.forEachGroup((g) => out.push(...g));
    if (af !== 4) this.v6.forEachGroup((g) => out.push(...g));
    return out.sort((a, b) => a.af - b.af || compareWords(a.prefix, b.prefix) || a.plen - b.plen || a.metric - b.metric || a.port - b.port);
  }

  /** Removes every route of the family and/or port given (all when neither is); returns how many. */
  flush(af?: 4 | 6, port?: number): number {
    const doomed = this.list(af).filter((r) => port === undefined || r.port === port);
    for (const r of doomed) this.remove(r);
    return doomed.length;
  }

  private index(af: 4 | 6): PrefixIndex {
    return af === 4 ? this.v4 : this.v6;
  }

  private remove(route: RouteEntry): void {
    const index = this.index(route.af);
    const group = index.group(route.prefix, route.plen)!;
    group.splice(group.indexOf(route), 1);
    if (group.length === 0) index.removeGroup(route.prefix, route.plen);
    this.count--;
  }
}

// The neighbour table (ARP for IPv4, ND for IPv6): states, retries, expiry and the queue of
// frames waiting for an address to resolve. Frame I/O is the stack's job; this is the state.

import { TsvsError } from '../errors.js';
import { type IpAddr, formatIp } from '../packet/inet.js';
import { AddrMap } from './addr-map.js';

export const NUD_INCOMPLETE = 1;
export const NUD_REACHABLE = 2;
export const NUD_STALE = 3;
export const NUD_PROBE = 4;
export const NUD_PERMANENT = 5;

export const NUD_NAMES = ['NONE', 'INCOMPLETE', 'REACHABLE', 'STALE', 'PROBE', 'PERMANENT'] as const;

export interface NeighSettings {
  /** DPVS neigh_defs/timeout: seconds an entry stays REACHABLE without confirmation. */
  reachableMs: number;
  /** Interval between solicitations while INCOMPLETE or PROBE. */
  retransMs: number;
  /** Solicitations sent before giving up. */
  maxProbes: number;
  /** DPVS neigh_defs/unres_queue_length. */
  queueLength: number;
}

export const DEFAULT_NEIGH_SETTINGS: NeighSettings = {
  reachableMs: 60_000,
  retransMs: 1_000,
  maxProbes: 3,
  queueLength: 128,
};

export class NeighEntry {
  readonly index: number;
  readonly addr: IpAddr;
  port: number;
  readonly mac = new Uint8Array(6);
  state = NUD_INCOMPLETE;
  /** When the state last changed (ms): REACHABLE ages out from here. */
  updatedMs = 0;
  /** Next solicitation time while INCOMPLETE or PROBE. */
  retryAtMs = 0;
  probes = 0;
  /** Pending pool slots, oldest first. */
  readonly queue: number[] = [];

  constructor(index: number, addr: IpAddr, port: number) {
    this.index = index;
    this.addr = addr;
    this.port = port;
  }

  /** True when frames can be sent with `mac`. */
  usable(): boolean {
    return this.state >= NUD_REACHABLE;
  }
}

export class NeighTable {
  readonly settings: NeighSettings;
  private readonly byAddr = new AddrMap<NeighEntry>();
  readonly entries: (NeighEntry | null)[] = [];
  private freeIdx: number[] = [];
  /**
   * Bumped whenever an entry goes away or routes change: connections cache neighbour indexes
   * and re-resolve when their cached generation differs.
   */
  gen = 1;

  constructor(settings: NeighSettings = DEFAULT_NEIGH_SETTINGS) {
    // A copy: `tsvs set neigh_defs.*` changes this table's settings, never the shared defaults.
    this.settings = { ...settings };
  }

  lookupW(af: number, w0: number, w1: number, w2: number, w3: number): NeighEntry | undefined {
    return this.byAddr.getW(af, w0, w1, w2, w3);
  }

  get(addr: IpAddr): NeighEntry | undefined {
    return this.byAddr.get(addr);
  }

  create(addr: IpAddr, port: number): NeighEntry {
    const idx = this.freeIdx.length > 0 ? this.freeIdx.pop()! : this.entries.length;
    const e = new NeighEntry(idx, addr, port);
    this.entries[idx] = e;
    this.byAddr.set(addr, e);
    return e;
  }

  /** Static entry (tsip neigh add): replaces any learned one. */
  addStatic(addr: IpAddr, mac: Uint8Array, port: number, nowMs: number): NeighEntry {
    const e = this.byAddr.get(addr) ?? this.create(addr, port);
    e.port = port;
    e.mac.set(mac);
    e.state = NUD_PERMANENT;
    e.updatedMs = nowMs;
    return e;
  }

  /** Removes an entry; returns its queued pool slots so the caller can free them. */
  remove(e: NeighEntry): number[] {
    this.byAddr.delete(e.addr);
    this.entries[e.index] = null;
    this.freeIdx.push(e.index);
    this.gen++;
    return e.queue.splice(0);
  }

  delStatic(addr: IpAddr, port: number): number[] {
    const e = this.byAddr.get(addr);
    if (!e || e.port !== port) throw new TsvsError('TSVS_ERR_NO_NEIGH', `no neighbour ${formatIp(addr)} on that port`);
    return this.remove(e);
  }

  all(): NeighEntry[] {
    return this.entries.filter((e): e is NeighEntry => e !== null);
  }
}

/**
 * Copies of frames waiting for a neighbour, in one preallocated slab: the receive buffer they
 * arrived in is reused for the next frame, so they must be copied out.
 */
export class PendingPool {
  static readonly SLOT = 2048;
  /** Room kept before the L3 packet in each slot for the Ethernet header written at flush. */
  static readonly HEADROOM = 64;
  readonly slab: Uint8Array;
  readonly l3Len: Int32Array;
  private readonly free: number[];

  constructor(slots: number) {
    this.slab = new Uint8Array(slots * PendingPool.SLOT);
    this.l3Len = new Int32Array(slots);
    this.free = [];
    for (let i = slots - 1; i >= 0; i--) this.free.push(i);
  }

  /** Copies an L3 packet in; returns the slot or -1 when the pool is exhausted or it is too big. */
  put(buf: Uint8Array, l3: number, len: number): number {
    if (len > PendingPool.SLOT - PendingPool.HEADROOM || this.free.length === 0) return -1;
    const s = this.free.pop()!;
    this.slab.set(buf.subarray(l3, l3 + len), s * PendingPool.SLOT + PendingPool.HEADROOM);
    this.l3Len[s] = len;
    return s;
  }

  l3Off(slot: number): number {
    return slot * PendingPool.SLOT + PendingPool.HEADROOM;
  }

  release(slot: number): void {
    this.free.push(slot);
  }
}

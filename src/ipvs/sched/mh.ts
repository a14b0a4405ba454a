// mh: Maglev hashing (ip_vs_mh.c). Owns the 4093-slot lookup table built from the dests'
// permutations and their last non-zero weights. schedule() never allocates.

import { foldAddr, hashPort, hasFallbackFlag, hasPortFlag } from './addr-hash.js';
import { maglevFill } from './maglev.js';
import { hsipKey, hsiphash32, type HsipKey } from './siphash.js';
import { gcdOfPositive, maxOf } from './weight.js';
import { TsvsError } from '../../errors.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/** The kernel's table sizes: primes, so every skip walks all slots. */
export const MH_PRIMES: readonly number[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/** CONFIG_IP_VS_MH_TAB_INDEX defaults to 12: primes[12 - 8] = 4093 slots. */
const MH_TAB_CONFIG_INDEX = 12;
export const MH_TAB_SIZE = MH_PRIMES[MH_TAB_CONFIG_INDEX - 8];
/** IP_VS_MH_TAB_BITS: weights/gcd are shifted down to at most this many bits of turns. */
const MH_TAB_BITS = MH_TAB_CONFIG_INDEX / 2;

/**
 * generate_hash_secret(): the kernel keys hsiphash with fixed constants, not random ones
 * (2654435761 is the golden-ratio multiplier), so every node and every kernel agrees on the
 * table. We use the same keys and the 64-bit kernel's hsiphash, so our table is the one an
 * x86-64 or arm64 Linux builds for the same dests.
 */
const HASH1 = hsipKey(2654435761n, 2654435761n);
const HASH2 = hsipKey(2654446892n, 2654446892n);

/** ip_vs_mh_hashkey(): hsiphash of (offset + port + folded address) as one u32. */
function mhHash(fold: number, port: number, key: HsipKey, offset: number): number {
  return hsiphash32((offset + port + fold) >>> 0, key);
}

/** ip_vs_mh's is_unavailable(), plus the availability the view may add. */
function mhUnavailable(d: SchedDest): boolean {
  return d.weight <= 0 || d.overloaded || !d.available;
}

export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  readonly tableSize: number;
  private dests: readonly SchedDest[] = [];
  /** Index into `dests` per slot, -1 for none. */
  private readonly table: Int32Array;
  /**
   * The kernel's dest->last_weight: "keep the last_weight with latest non-0 weight". Setting a
   * weight to 0 quiesces a dest without rebuilding the table, so its clients come back to it.
   */
  private lastWeightById = new Map<number, number>();

  /** `tableSize` is the kernel's build-time choice: one of MH_PRIMES (default 4093). */
  constructor(tableSize = MH_TAB_SIZE) {
    if (!MH_PRIMES.includes(tableSize)) {
      throw new TsvsError('TSVS_ERR_SCHED', `mh table size ${tableSize} is not one of ${MH_PRIMES.join(', ')}`);
    }
    this.tableSize = tableSize;
    this.table = new Int32Array(tableSize).fill(-1);
  }

  update(svc: SchedServiceView): void {
    const m = this.tableSize;
    const dests = svc.dests.slice();
    const lastWeight = new Map<number, number>();
    const lw = dests.map((d) => {
      // A dest the previous view did not hold is an add: its last weight is its weight, even 0.
      const prev = this.lastWeightById.get(d.id);
      const w = prev !== undefined && d.weight === 0 ? prev : d.weight;
      lastWeight.set(d.id, w);
      return w;
    });
    this.lastWeightById = lastWeight;
    if (dests.length > m) {
      // ip_vs_mh_reassign() refuses (-EINVAL) and keeps the old table. We may not keep
      // references past update(), so slots of dests that left are emptied.
      this.remapKeptTable(dests);
      return;
    }
    this.dests = dests;
    const g = gcdOfPositive(lw);
    if (g < 1) {
      this.table.fill(-1);
      return;
    }
    // ip_vs_mh_shift_weight(): keep weight/gcd within MH_TAB_BITS bits so that a huge weight
    // does not make one dest take hundreds of turns in a row.
    const shift = Math.max(0, 32 - Math.clz32(Math.trunc(maxOf(lw) / g)) - MH_TAB_BITS);
    const offsets = new Uint32Array(dests.length);
    const skips = new Uint32Array(dests.length);
    const turns = new Int32Array(dests.length);
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      const fold = foldAddr(d.af, d.addrW0, d.addrW1, d.addrW2, d.addrW3);
      offsets[i] = mhHash(fold, d.port, HASH1, 0) % m;
      skips[i] = (mhHash(fold, d.port, HASH2, 0) % (m - 1)) + 1;
      // A positive weight shifted to nothing still gets one turn; last weight 0 gets none.
      turns[i] = Math.trunc(lw[i] / g) >> shift || (lw[i] !== 0 ? 1 : 0);
    }
    maglevFill(this.table, offsets, skips, turns);
  }

  /** The dest a slot maps to (for diagnostics and tests). */
  slot(i: number): SchedDest | null {
    const k = this.table[i];
    return k < 0 ? null : this.dests[k];
  }

  schedule(svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const m = this.tableSize;
    const port = hasPortFlag(svc.flags, 'mh-port') ? hashPort(input) : 0;
    const fold = foldAddr(input.af, input.srcW0, input.srcW1, input.srcW2, input.srcW3);
    const ihash = mhHash(fold, port, HASH1, 0) % m;
    let k = this.table[ihash];
    if (k < 0) return null;
    let dest = this.dests[k];
    if (!mhUnavailable(dest)) return dest;
    if (!hasFallbackFlag(svc.flags, 'mh-fallback')) return null;
    // ip_vs_mh_get_fallback(): rehash with growing offsets from the original hash, so each
    // client has its own deterministic list of replacements.
    for (let offset = 0; offset < m; offset++) {
      const roffset = (offset + ihash) % m;
      k = this.table[mhHash(fold, port, HASH1, roffset) % m];
      if (k < 0) break;
      dest = this.dests[k];
      if (!mhUnavailable(dest)) return dest;
    }
    return null;
  }

  private remapKeptTable(next: readonly SchedDest[]): void {
    const newIndex = new Map<number, number>();
    next.forEach((d, i) => newIndex.set(d.id, i));
    for (let i = 0; i < this.table.length; i++) {
      const k = this.table[i];
      this.table[i] = k < 0 ? -1 : (newIndex.get(this.dests[k].id) ?? -1);
    }
    this.dests = next;
  }
}

// lblcr: locality-based least connection with replication (ip_vs_lblcr.c). Owns destination-IP
// -> dest sets that grow under load and shed their most loaded member. Never allocates per call.

import { connOverhead, isLocallyOverloaded, wlcLeast } from './load.js';
import { DEFAULT_LOCALITY_CAPACITY, LocalityTable } from './locality-table.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/**
 *   if set[daddr] is empty:  n = wlc pick, set[daddr] = {n}
 *   else n = least loaded usable member of set[daddr];
 *        if |set| > 1 and unchanged for T: remove the most loaded member
 *        if n is none, or (n.active > n.weight and some dest has active < weight/2):
 *                            n = wlc pick, add n to set[daddr]
 *
 * Each set is a singly linked list of elements from one pool, newest first (list_add_rcu),
 * so ties resolve the way the kernel's do: in set order, the last-added member first.
 */
export class LblcrScheduler implements Scheduler {
  readonly name = 'lblcr';
  readonly table: LocalityTable;
  private readonly setHead: Int32Array;
  private readonly setSize: Int32Array;
  private readonly setLastMod: Float64Array;
  private readonly elemDest: (SchedDest | null)[];
  private readonly elemNext: Int32Array;
  private freeElem: number;

  /** `capacity` entries, and twice as many set members shared among them. */
  constructor(capacity = DEFAULT_LOCALITY_CAPACITY) {
    this.table = new LocalityTable(capacity, (e) => this.eraseAll(e));
    this.setHead = new Int32Array(capacity).fill(-1);
    this.setSize = new Int32Array(capacity);
    this.setLastMod = new Float64Array(capacity);
    const elems = capacity * 2;
    this.elemDest = new Array<SchedDest | null>(elems).fill(null);
    this.elemNext = new Int32Array(elems);
    for (let i = 0; i < elems; i++) this.elemNext[i] = i + 1 < elems ? i + 1 : -1;
    this.freeElem = elems > 0 ? 0 : -1;
  }

  /**
   * The kernel keeps a deleted dest in sets (unavailable, so never the least) until it is shed
   * as the most loaded. We may not keep references past update(), so it leaves every set now,
   * without touching the sets' modification times; members still present are re-pointed at
   * the view's current objects.
   */
  update(svc: SchedServiceView): void {
    const byId = new Map<number, SchedDest>();
    for (const d of svc.dests) byId.set(d.id, d);
    for (let e = 0; e < this.setHead.length; e++) {
      let prev = -1;
      for (let x = this.setHead[e]; x >= 0; ) {
        const after = this.elemNext[x];
        const now = byId.get(this.elemDest[x]!.id);
        if (now !== undefined) {
          this.elemDest[x] = now;
          prev = x;
        } else {
          this.unlink(e, prev, x);
        }
        x = after;
      }
    }
  }

  schedule(svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const now = input.nowMs;
    const table = this.table;
    table.runTimers(now);
    const e = table.find(input.af, input.dstW0, input.dstW1, input.dstW2, input.dstW3);
    if (e < 0) {
      const dest = wlcLeast(svc.dests);
      if (dest === null) return null;
      const fresh = table.insert(input.af, input.dstW0, input.dstW1, input.dstW2, input.dstW3, now);
      if (fresh >= 0) this.insert(fresh, dest, now);
      return dest;
    }
    table.lastUse[e] = now;
    const least = this.setMin(e);
    // Shed the most loaded member of a set that has been stable for the expiration time. The
    // kernel does this after choosing `least`, which it still returns even if that is the one
    // shed.
    if (this.setSize[e] > 1 && now > this.setLastMod[e] + table.expirationMs) {
      const most = this.setMax(e);
      if (most !== null) this.erase(e, most, now);
    }
    if (least !== null && !isLocallyOverloaded(least, svc.dests)) return least;
    const dest = wlcLeast(svc.dests);
    if (dest === null) return null;
    this.insert(e, dest, now);
    return dest;
  }

  /** The members of an entry's set, newest first (for diagnostics and tests). */
  members(e: number): SchedDest[] {
    const out: SchedDest[] = [];
    for (let x = this.setHead[e]; x >= 0; x = this.elemNext[x]) out.push(this.elemDest[x]!);
    return out;
  }

  /** ip_vs_dest_set_min(): weighted least-loaded usable member, the earlier on a tie. */
  private setMin(e: number): SchedDest | null {
    let x = this.setHead[e];
    let least: SchedDest | null = null;
    for (; x >= 0; x = this.elemNext[x]) {
      const d = this.elemDest[x]!;
      if (!d.overloaded && d.weight > 0 && d.available) {
        least = d;
        break;
      }
    }
    if (least === null) return null;
    let loh = connOverhead(least);
    for (x = this.elemNext[x]; x >= 0; x = this.elemNext[x]) {
      const d = this.elemDest[x]!;
      if (d.overloaded) continue;
      const doh = connOverhead(d);
      if (loh * d.weight > doh * least.weight && d.available) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  /** ip_vs_dest_set_max(): weighted most-loaded member with weight > 0 (availability ignored). */
  private setMax(e: number): SchedDest | null {
    let x = this.setHead[e];
    let most: SchedDest | null = null;
    for (; x >= 0; x = this.elemNext[x]) {
      if (this.elemDest[x]!.weight > 0) {
        most = this.elemDest[x];
        break;
      }
    }
    if (most === null) return null;
    let moh = connOverhead(most);
    for (x = this.elemNext[x]; x >= 0; x = this.elemNext[x]) {
      const d = this.elemDest[x]!;
      const doh = connOverhead(d);
      if (moh * d.weight < doh * most.weight && d.weight > 0) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }

  /** ip_vs_dest_set_insert(..., check=true): add at the head unless present; a change is "now". */
  private insert(e: number, dest: SchedDest, now: number): void {
    for (let x = this.setHead[e]; x >= 0; x = this.elemNext[x]) if (this.elemDest[x] === dest) return;
    const x = this.freeElem;
    if (x < 0) return; // the kernel's kmalloc failure: the set just does not grow
    this.freeElem = this.elemNext[x];
    this.elemDest[x] = dest;
    this.elemNext[x] = this.setHead[e];
    this.setHead[e] = x;
    this.setSize[e]++;
    this.setLastMod[e] = now;
  }

  /** ip_vs_dest_set_erase(). */
  private erase(e: number, dest: SchedDest, now: number): void {
    let prev = -1;
    for (let x = this.setHead[e]; x >= 0; prev = x, x = this.elemNext[x]) {
      if (this.elemDest[x] === dest) {
        this.unlink(e, prev, x);
        this.setLastMod[e] = now;
        return;
      }
    }
  }

  /** Frees a whole set when the timer collects its entry. */
  private eraseAll(e: number): void {
    while (this.setHead[e] >= 0) this.unlink(e, -1, this.setHead[e]);
  }

  private unlink(e: number, prev: number, x: number): void {
    if (prev < 0) this.setHead[e] = this.elemNext[x];
    else this.elemNext[prev] = this.elemNext[x];
    this.elemDest[x] = null;
    this.elemNext[x] = this.freeElem;
    this.freeElem = x;
    this.setSize[e]--;
  }
}

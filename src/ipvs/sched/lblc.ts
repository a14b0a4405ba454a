// lblc: locality-based least connection (ip_vs_lblc.c). Owns a destination-IP -> dest cache,
// expired by the kernel's timers replayed from input.nowMs. schedule() never allocates.

import { isLocallyOverloaded, wlcLeast } from './load.js';
import { DEFAULT_LOCALITY_CAPACITY, LocalityTable } from './locality-table.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/**
 *   if table[daddr] is empty:             n = wlc pick, table[daddr] = n
 *   else n = table[daddr]; if n is deleted or quiescent, or (n.active > n.weight and some dest
 *        has active < weight/2):          n = wlc pick, table[daddr] = n
 */
export class LblcScheduler implements Scheduler {
  readonly name = 'lblc';
  readonly table: LocalityTable;
  /** The dest each entry maps to; null once that dest left the service (the kernel's trash). */
  private readonly entryDest: (SchedDest | null)[];

  constructor(capacity = DEFAULT_LOCALITY_CAPACITY) {
    this.entryDest = new Array<SchedDest | null>(capacity).fill(null);
    this.table = new LocalityTable(capacity, (e) => {
      this.entryDest[e] = null;
    });
  }

  /**
   * The kernel's lblc has no dest hooks: entries keep pointing at a deleted dest, which then
   * fails the IP_VS_DEST_F_AVAILABLE test. We may not keep references past update(), so such
   * entries point at null (same effect) and the others at the view's current objects.
   */
  update(svc: SchedServiceView): void {
    const byId = new Map<number, SchedDest>();
    for (const d of svc.dests) byId.set(d.id, d);
    for (let e = 0; e < this.entryDest.length; e++) {
      const d = this.entryDest[e];
      if (d !== null) this.entryDest[e] = byId.get(d.id) ?? null;
    }
  }

  schedule(svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const now = input.nowMs;
    const table = this.table;
    table.runTimers(now);
    const e = table.find(input.af, input.dstW0, input.dstW1, input.dstW2, input.dstW3);
    if (e >= 0) {
      table.lastUse[e] = now;
      const cached = this.entryDest[e];
      // Note what is not tested: the OVERLOAD flag. The kernel keeps sending a destination
      // address to its cached dest past the dest's -x threshold; only its own relative rule
      // (isLocallyOverloaded) moves it.
      if (cached !== null && cached.available && cached.weight > 0 && !isLocallyOverloaded(cached, svc.dests)) {
        return cached;
      }
    }
    const dest = wlcLeast(svc.dests);
    if (dest === null) return null;
    if (e >= 0) {
      if (this.entryDest[e] !== dest) {
        // ip_vs_lblc_new() deletes the old entry and hashes a new one: used now, and counted
        // once more in tbl->entries because the delete does not decrement it.
        this.entryDest[e] = dest;
        table.entries++;
      }
    } else {
      const fresh = table.insert(input.af, input.dstW0, input.dstW1, input.dstW2, input.dstW3, now);
      if (fresh >= 0) this.entryDest[fresh] = dest;
    }
    return dest;
  }
}

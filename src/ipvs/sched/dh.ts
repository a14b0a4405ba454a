// dh: destination hashing (ip_vs_dh.c). Owns a 256-bucket table filled round robin from the dest
// list; the packet's destination address picks the bucket, with no fallback. Never allocates.

import { foldAddr, hash32 } from './addr-hash.js';
import { isUsable } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/** IP_VS_DH_TAB_BITS (CONFIG_IP_VS_DH_TAB_BITS defaults to 8). */
export const DH_TAB_BITS = 8;
export const DH_TAB_SIZE = 1 << DH_TAB_BITS;

export class DhScheduler implements Scheduler {
  readonly name = 'dh';
  private readonly buckets: (SchedDest | null)[] = new Array<SchedDest | null>(DH_TAB_SIZE).fill(null);

  /** ip_vs_dh_reassign(): one bucket per dest in turn; weight plays no part in the fill. */
  update(svc: SchedServiceView): void {
    const dests = svc.dests;
    for (let i = 0; i < DH_TAB_SIZE; i++) {
      this.buckets[i] = dests.length === 0 ? null : dests[i % dests.length];
    }
  }

  /** The dest in bucket i (for diagnostics and tests). */
  bucket(i: number): SchedDest | null {
    return this.buckets[i];
  }

  schedule(_svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const key = foldAddr(input.af, input.dstW0, input.dstW1, input.dstW2, input.dstW3);
    const dest = this.buckets[hash32(key, DH_TAB_BITS)];
    // A dead, quiescent or overloaded dest means no dest: the kernel leaves the fallback to
    // the cache_bypass feature rather than picking another cache.
    return dest !== null && isUsable(dest) ? dest : null;
  }
}

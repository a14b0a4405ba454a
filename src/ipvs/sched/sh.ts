// sh: source hashing (ip_vs_sh.c). Owns a 256-bucket table filled from the dest list by weight;
// a client's source address (plus port with sh-port) picks the bucket. schedule() never allocates.

import { foldAddr, hash32, hashPort, hasFallbackFlag, hasPortFlag } from './addr-hash.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/** IP_VS_SH_TAB_BITS (CONFIG_IP_VS_SH_TAB_BITS defaults to 8). */
export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;
const SH_TAB_MASK = SH_TAB_SIZE - 1;

/** ip_vs_sh's is_unavailable(), plus the availability the view may add. */
function shUnavailable(d: SchedDest): boolean {
  return d.weight <= 0 || d.overloaded || !d.available;
}

export class ShScheduler implements Scheduler {
  readonly name = 'sh';
  private readonly buckets: (SchedDest | null)[] = new Array<SchedDest | null>(SH_TAB_SIZE).fill(null);

  /**
   * ip_vs_sh_reassign(): walk the list round and round, giving each dest `weight` consecutive
   * buckets before moving on. A weight-0 (quiescent) dest still gets one bucket (its counter
   * reaches 1 >= 0 at once), so quiescing it does not reshuffle everyone else's clients.
   */
  update(svc: SchedServiceView): void {
    const dests = svc.dests;
    let p = 0;
    let count = 0;
    for (let i = 0; i < SH_TAB_SIZE; i++) {
      if (dests.length === 0) {
        this.buckets[i] = null;
        continue;
      }
      const d = dests[p];
      this.buckets[i] = d;
      if (++count >= d.weight) {
        p = (p + 1) % dests.length;
        count = 0;
      }
    }
  }

  /** The dest in bucket i (for diagnostics and tests). */
  bucket(i: number): SchedDest | null {
    return this.buckets[i];
  }

  schedule(svc: SchedServiceView, input: SchedInput): SchedDest | null {
    const port = hasPortFlag(svc.flags, 'sh-port') ? hashPort(input) : 0;
    const key = (port + foldAddr(input.af, input.srcW0, input.srcW1, input.srcW2, input.srcW3)) >>> 0;
    const ihash = hash32(key, SH_TAB_BITS) & SH_TAB_MASK;
    const dest = this.buckets[ihash];
    if (dest === null) return null;
    if (!shUnavailable(dest)) return dest;
    if (!hasFallbackFlag(svc.flags, 'sh-fallback')) return null;
    // ip_vs_sh_get_fallback(): probe from a point derived from the original hash, so that a
    // client keeps the same replacement while its dest is out. The kernel adds the rotated
    // offset to the hash again, hence bucket = (ihash + ((ihash + offset) mod 256)) mod 256.
    for (let offset = 0; offset < SH_TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % SH_TAB_SIZE;
      const d = this.buckets[(roffset + ihash) & SH_TAB_MASK];
      if (d === null) break;
      if (!shUnavailable(d)) return d;
    }
    return null;
  }
}

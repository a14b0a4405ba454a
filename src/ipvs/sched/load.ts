// How busy a dest looks to the least-connection family (lc, wlc, sed, nq, lblc, lblcr, twos),
// and which dests may take a new connection at all. Pure reads of SchedDest; never allocates.

import type { SchedDest } from './types.js';

/**
 * ip_vs_dest_conn_overhead(): an active connection is taken to cost 256 inactive ones.
 * (ip_vs_lc.c's comment still says `<<5`; the helper it calls shifts by 8.)
 */
export function connOverhead(d: SchedDest): number {
  return d.activeConns * 256 + d.inactConns;
}

/**
 * The common "may take a new connection" test: present (IP_VS_DEST_F_AVAILABLE), not
 * quiescent (weight > 0) and not over its -x threshold (IP_VS_DEST_F_OVERLOAD). The kernel
 * never sees unavailable dests on svc->destinations; we check it because the view may hold them.
 */
export function isUsable(d: SchedDest): boolean {
  return d.available && d.weight > 0 && !d.overloaded;
}

/**
 * The weighted least-load pick shared by wlc and sed (and lblc/lblcr's __ip_vs_lblc_schedule):
 * the first usable dest starts, then a later dest replaces it only if strictly less loaded per
 * unit of weight, compared by cross-multiplication (h1*w2 > h2*w1) so ties keep the earlier one.
 * `expectedDelay` selects sed's cost (activeConns + 1) instead of connOverhead().
 */
export function weightedLeast(dests: readonly SchedDest[], expectedDelay: boolean): SchedDest | null {
  const n = dests.length;
  let i = 0;
  let least: SchedDest | null = null;
  for (; i < n; i++) {
    if (isUsable(dests[i])) {
      least = dests[i];
      break;
    }
  }
  if (least === null) return null;
  let loh = expectedDelay ? least.activeConns + 1 : connOverhead(least);
  for (i++; i < n; i++) {
    const d = dests[i];
    // The kernel's second pass skips only overloaded dests: weight 0 can never win the
    // comparison below, so it needs no test of its own.
    if (d.overloaded || !d.available) continue;
    const doh = expectedDelay ? d.activeConns + 1 : connOverhead(d);
    if (loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_wlc's pick, also lblc/lblcr's fallback when their cache cannot answer. */
export function wlcLeast(dests: readonly SchedDest[]): SchedDest | null {
  return weightedLeast(dests, false);
}

/**
 * lblc/lblcr's own is_overloaded(): the dest has more active connections than its weight
 * while some dest of the service is below half of its weight. Not the OVERLOAD flag.
 */
export function isLocallyOverloaded(dest: SchedDest, dests: readonly SchedDest[]): boolean {
  if (dest.activeConns <= dest.weight) return false;
  for (let i = 0; i < dests.length; i++) {
    if (dests[i].activeConns * 2 < dests[i].weight) return true;
  }
  return false;
}

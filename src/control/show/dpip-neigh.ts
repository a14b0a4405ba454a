// `tsip neigh show` in dpip's format (tools/dpip/neigh.c neigh_dump): one row per worker and
// entry (each worker learns its own table, as each DPVS lcore does), `core` = the worker.

import type { NeighRow } from '../../worker/query.js';
import { left } from './printf.js';

/** States with a link-layer address; the others print dpip's `mac:incomplate` row. */
const HAS_MAC = new Set(['REACHABLE', 'STALE', 'PROBE', 'PERMANENT']);

export function neighShow(rows: readonly { worker: number; neigh: NeighRow }[], o: { af?: 4 | 6; dev?: string }): string {
  let out = '';
  for (const { worker, neigh: n } of rows) {
    if (o.dev !== undefined && n.dev !== o.dev) continue;
    if (o.af !== undefined && n.addr.includes(':') !== (o.af === 6)) continue;
    const tail = `dev: ${n.dev}  core: ${worker}  ${n.isStatic ? 'static' : ''}\n`;
    out += HAS_MAC.has(n.state)
      ? `ip: ${left(n.addr, 48)} mac: ${n.mac.toLowerCase()}   state: ${left(n.state, 12)}  ${tail}`
      : `ip: ${left(n.addr, 48)} mac:incomplate                       state: ${left(n.state, 12)}   ${tail}`;
  }
  return out;
}

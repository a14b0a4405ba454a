// `tsip addr show [-s]` in dpip's format (tools/dpip/addr.c addr_dump): one address per two
// lines; with -s, a sapool address (a FullNAT LIP) adds its local-port use summed over workers.

import type { Engine } from '../../worker/engine.js';
import type { LaddrView } from '../views.js';
import { LADDR_BUCKETS, LPORT_MAX, LPORT_MIN, workerPortMask } from '../../ipvs/laddr.js';
import { formatIp, ipEquals } from '../../packet/inet.js';

/** Ports of a LIP over all workers: each worker's slice (laddr.ts) in each of the 16 buckets. */
export function sapoolSize(workers: number): number {
  const mask = workerPortMask(workers);
  let n = 0;
  for (let p = LPORT_MIN; p <= LPORT_MAX; p++) if ((p & mask) < workers) n++;
  return n * LADDR_BUCKETS;
}

export interface AddrShow {
  readonly af?: 4 | 6;
  readonly dev?: string;
  readonly stats: boolean;
}

/** Lifetimes are not kept by tsvs: every address is `forever`, as dpip prints a lifetime of 0. */
export function addrShow(state: Engine, o: AddrShow, laddrs: readonly LaddrView[], workers: number): string {
  let out = '';
  for (const a of state.stack.addrs.all()) {
    const dev = state.stack.ports[a.port]?.name ?? `port${a.port}`;
    if ((o.af !== undefined && a.addr.af !== o.af) || (o.dev !== undefined && dev !== o.dev)) continue;
    out += `${a.addr.af === 4 ? 'inet' : 'inet6'} ${formatIp(a.addr)}/${a.plen} scope ${a.scope} ${dev}\n`;
    out += '     valid_lft forever preferred_lft forever';
    if (o.stats && a.sapool) {
      // A LIP listed by several services is one pool: count it once.
      const l = laddrs.find((x) => ipEquals(x.addr, a.addr));
      const used = l?.conns ?? 0;
      out += ` sa_used ${used} sa_free ${sapoolSize(workers) - used} sa_miss ${l?.conflicts ?? 0}`;
    }
    out += '\n';
  }
  return out;
}

// Read-only questions the control plane asks one worker about state that exists only there:
// its connections, live per-dest and per-LIP connection counts, its neighbour table.

import { CONN_F_IN_V6, CONN_F_OUT_V6, CONN_F_TEMPLATE, CONN_F_USED, CONN_F_V6 } from '../ipvs/conn-table.js';
import { TCP_STATE_NAMES, UDP_STATE_NAMES } from '../ipvs/proto.js';
import { NUD_NAMES, NUD_PERMANENT } from '../netif/neigh.js';
import { formatIp, formatIpPort, formatMac, ip4, ip6 } from '../packet/inet.js';
import { IPPROTO_TCP } from '../packet/proto.js';
import type { Engine } from './engine.js';

export type WorkerQuery =
  /** Connections in slot order from `from` (a slot index), at most `limit` of them. */
  | { readonly what: 'conns'; readonly from: number; readonly limit: number }
  /** Live connection counts per dest and per local address. */
  | { readonly what: 'counts' }
  | { readonly what: 'neigh' };

export interface ConnRow {
  readonly proto: 'TCP' | 'UDP';
  readonly state: string;
  /** Seconds until expiry, rounded up (ipvsadm prints whole seconds). */
  readonly expires: number;
  readonly template: boolean;
  /** Client, virtual, local and destination addresses as text, with their ports. */
  readonly caddr: string; readonly cport: number;
  readonly vaddr: string; readonly vport: number;
  readonly laddr: string; readonly lport: number;
  readonly daddr: string; readonly dport: number;
}

export interface ConnPage {
  readonly rows: readonly ConnRow[];
  /** The slot to continue from, or -1 when the table was read to its end. */
  readonly next: number;
}

export interface CountsAnswer {
  /** By dest key (`tcp 10.0.0.100:80 -> 192.168.100.2:80`): active, inactive, persistent. */
  readonly dests: Readonly<Record<string, readonly [number, number, number]>>;
  /** By LIP text: connections holding a local port, allocation failures. */
  readonly laddrs: Readonly<Record<string, readonly [number, number]>>;
}

export interface NeighRow {
  readonly addr: string;
  readonly mac: string;
  readonly state: string;
  readonly dev: string;
  readonly isStatic: boolean;
}

export type QueryAnswer = ConnPage | CountsAnswer | readonly NeighRow[];

export function answerQuery(e: Engine, q: WorkerQuery, nowMs: number): QueryAnswer {
  switch (q.what) {
    case 'conns': return connPage(e, q.from, q.limit, nowMs);
    case 'counts': return counts(e);
    case 'neigh': return neighbours(e);
  }
}

function connPage(e: Engine, from: number, limit: number, nowMs: number): ConnPage {
  const t = e.conns;
  const rows: ConnRow[] = [];
  for (let i = Math.max(0, from); i < t.capacity; i++) {
    const f = t.flags(i);
    if ((f & CONN_F_USED) === 0) continue;
    if (rows.length === limit) return { rows, next: i };
    const addr = (k: number, v6: boolean): string => formatIp(v6
      ? ip6(t.addrWordU(i, k, 0), t.addrWordU(i, k, 1), t.addrWordU(i, k, 2), t.addrWordU(i, k, 3))
      : ip4(t.addrWordU(i, k, 0)));
    const inV6 = (f & CONN_F_V6) !== 0 && (f & CONN_F_IN_V6) !== 0;
    const outV6 = (f & CONN_F_V6) !== 0 && (f & CONN_F_OUT_V6) !== 0;
    const tcp = t.proto(i) === IPPROTO_TCP;
    const s = t.state(i);
    rows.push({
      proto: tcp ? 'TCP' : 'UDP',
      state: (tcp ? TCP_STATE_NAMES[s] : UDP_STATE_NAMES[s]) ?? `STATE_${s}`,
      expires: Math.max(0, Math.ceil((t.expiresMs(i) - nowMs) / 1000)),
      template: (f & CONN_F_TEMPLATE) !== 0,
      caddr: addr(0, inV6), cport: t.port(i, 0),
      vaddr: addr(1, inV6), vport: t.port(i, 1),
      laddr: addr(2, outV6), lport: t.port(i, 2),
      daddr: addr(3, outV6), dport: t.port(i, 3),
    });
  }
  return { rows, next: -1 };
}

function counts(e: Engine): CountsAnswer {
  const dests: Record<string, readonly [number, number, number]> = {};
  for (const d of e.ipvs.dests) {
    if (!d) continue;
    dests[`${d.svc.protoName} ${formatIpPort(d.svc.addr, d.svc.port)} -> ${formatIpPort(d.addr, d.port)}`] = [d.activeConns, d.inactConns, d.persistConns];
  }
  const laddrs: Record<string, readonly [number, number]> = {};
  for (const l of e.ipvs.laddrs.values()) laddrs[formatIp(l.addr)] = [l.conns, l.conflicts];
  return { dests, laddrs };
}

function neighbours(e: Engine): NeighRow[] {
  return e.stack.neighs.all().map((n) => ({
    addr: formatIp(n.addr), mac: formatMac(n.mac), state: NUD_NAMES[n.state] ?? String(n.state),
    dev: e.stack.ports[n.port]?.name ?? `port${n.port}`, isStatic: n.state === NUD_PERMANENT,
  }));
}

// Interim answers to the read-only commands (tsvsadm -L, tsip ... show) from the daemon's current
// state and the summed worker counters. Plain text, NOT the ipvsadm/dpip formats: issue 4 owns those.

import type { Command } from './commands.js';
import type { Engine } from '../worker/engine.js';
import type { Totals } from './workers.js';
import { FWD_NAMES } from '../ipvs/dest.js';
import { ST_CONNS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from '../ipvs/stats.js';
import { PC_DROPS, PC_KERNEL_PKTS, PC_RX_BYTES, PC_RX_PKTS, PC_TX_BYTES, PC_TX_PKTS, PORT_COUNTERS } from '../netif/counters.js';
import { DROP_REASON_COUNT, DROP_REASON_NAMES } from '../packet/drop-reason.js';
import { formatIp, formatIpPort } from '../packet/inet.js';
import { WS_SCALARS } from '../worker/shared.js';

const BANNER = '# interim listing from the daemon (the ipvsadm/dpip output formats are still to come)';

/** True for the commands answered here rather than applied. */
export function isReadOnly(cmd: Command): boolean {
  return ['list', 'save', 'laddr-list', 'link-show', 'addr-show', 'route-show', 'neigh-show'].includes(cmd.kind);
}

export function interimShow(cmd: Command, state: Engine, t: Totals): string {
  switch (cmd.kind) {
    case 'list':
    case 'save':
    case 'laddr-list':
      return [BANNER, ...services(state, t), `connections per worker: ${t.connsPerWorker.join(' ')}`].join('\n');
    case 'link-show':
      return [BANNER, ...ports(state, t)].join('\n');
    case 'addr-show':
      return [BANNER, ...state.stack.addrs.all().map((a) => `${formatIp(a.addr)}/${a.plen} dev ${state.stack.ports[a.port]!.name}${a.sapool ? ' sapool' : ''}`)].join('\n');
    case 'route-show':
      return [BANNER, ...state.stack.routes.list().map((r) => `${formatIp(r.prefix)}/${r.plen}${r.via ? ` via ${formatIp(r.via)}` : ''} dev ${state.stack.ports[r.port]!.name} scope ${r.scope}`)].join('\n');
    default:
      return `${BANNER}\n(${cmd.kind}: not available from the daemon yet)`;
  }
}

function services(state: Engine, t: Totals): string[] {
  const out: string[] = [];
  for (const s of state.ipvs.services) {
    if (!s) continue;
    const key = `${s.protoName} ${formatIpPort(s.addr, s.port)}`;
    out.push(`${key} ${s.schedName}${s.laddrs.length ? ` laddrs ${s.laddrs.map((l) => formatIp(l.addr)).join(',')}` : ''}${stats(t.svc.get(key))}`);
    for (const d of s.dests) {
      out.push(`  -> ${formatIpPort(d.addr, d.port)} ${FWD_NAMES[d.method]} weight ${d.weight}${stats(t.dest.get(`${key} -> ${formatIpPort(d.addr, d.port)}`))}`);
    }
  }
  return out;
}

function stats(a: Float64Array | undefined): string {
  if (!a) return '';
  return ` conns ${a[ST_CONNS]} inpkts ${a[ST_INPKTS]} outpkts ${a[ST_OUTPKTS]} inbytes ${a[ST_INBYTES]} outbytes ${a[ST_OUTBYTES]}`;
}

function ports(state: Engine, t: Totals): string[] {
  const c = t.counters;
  const drops = WS_SCALARS;
  const port = WS_SCALARS + DROP_REASON_COUNT;
  const out = state.stack.ports.map((p) => {
    const b = port + p.index * PORT_COUNTERS;
    return `${p.name} mtu ${p.mtu} ${p.up ? 'UP' : 'DOWN'} rx ${c[b + PC_RX_PKTS]} pkts ${c[b + PC_RX_BYTES]} bytes`
      + ` tx ${c[b + PC_TX_PKTS]} pkts ${c[b + PC_TX_BYTES]} bytes kernel ${c[b + PC_KERNEL_PKTS]} drops ${c[b + PC_DROPS]}`;
  });
  const reasons = DROP_REASON_NAMES.map((n, i) => [n, c[drops + i]!] as const).filter(([, v]) => v > 0);
  out.push(`drops by reason: ${reasons.length ? reasons.map(([n, v]) => `${n} ${v}`).join(', ') : 'none'}`);
  return out;
}

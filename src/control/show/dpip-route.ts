// `tsip route show` in dpip's format (tools/dpip/route.c route4_dump / route6_dump): IPv4 routes
// by default, IPv6 ones with -6, optionally one device's.

import type { Engine } from '../../worker/engine.js';
import type { RouteEntry } from '../../netif/route.js';
import { formatIp } from '../../packet/inet.js';

function route4(r: RouteEntry, dev: string, portMtu: number): string {
  // dpip marks a route without a gateway `onlink`, after `proto auto ` (its flags string).
  const flags = r.via === null ? 'onlink ' : '';
  return `inet ${formatIp(r.prefix)}/${r.plen} via ${r.via ? formatIp(r.via) : '0.0.0.0'} src ${r.src ? formatIp(r.src) : '0.0.0.0'}`
    + ` dev ${dev} mtu ${r.mtu || portMtu} tos 0 scope ${r.scope} metric ${r.metric} proto auto ${flags}\n`;
}

function route6(r: RouteEntry, dev: string): string {
  let s = r.plen === 0 ? 'inet6 default' : `inet6 ${formatIp(r.prefix)}/${r.plen}`;
  if (r.via) s += ` via ${formatIp(r.via)}`;
  if (r.src) s += ` src ${formatIp(r.src)}`;
  s += ` dev ${dev}`;
  if (r.mtu > 0) s += ` mtu ${r.mtu}`;
  return `${s} scope ${r.scope}\n`;
}

export function routeShow(state: Engine, o: { af?: 4 | 6; dev?: string }): string {
  const af = o.af ?? 4;
  let out = '';
  for (const r of state.stack.routes.list(af)) {
    const port = state.stack.ports[r.port];
    const dev = port?.name ?? `port${r.port}`;
    if (o.dev !== undefined && dev !== o.dev) continue;
    out += af === 4 ? route4(r, dev, port?.mtu ?? 0) : route6(r, dev);
  }
  return out;
}

// The daemon's state as the API's JSON: addresses as text, ports by name, counters by name.
// Reads views and the current engine; never changes either.

import type { ServiceView } from '../views.js';
import type { Totals } from '../workers.js';
import type { Engine } from '../../worker/engine.js';
import { PC_DROPS, PC_KERNEL_PKTS, PC_RX_BYTES, PC_RX_MISSED, PC_RX_PKTS, PC_TX_BYTES, PC_TX_PKTS, PORT_COUNTERS } from '../../netif/counters.js';
import { DROP_REASON_COUNT, DROP_REASON_NAMES } from '../../packet/drop-reason.js';
import { formatIp, formatMac } from '../../packet/inet.js';
import { WS_BURSTS, WS_CONNS, WS_SCALARS, WS_TOA_NO_ROOM, WS_TX_RING_DROPS } from '../../worker/shared.js';

/** A fwmark service has `fwmark` and `af` where an address service has `proto`, `addr` and `port`. */
export function serviceJson(s: ServiceView) {
  const { key, proto, addr, port, fwmark, ...rest } = s;
  const id = fwmark !== undefined ? { fwmark, af: addr.af } : { proto, addr: formatIp(addr), port };
  return {
    key, ...id, ...rest,
    dests: s.dests.map((d) => ({ ...d, addr: formatIp(d.addr) })),
    laddrs: s.laddrs.map((l) => ({ ...l, addr: formatIp(l.addr) })),
  };
}

export interface PortCounters {
  readonly rxPackets: number; readonly rxBytes: number;
  readonly txPackets: number; readonly txBytes: number;
  readonly kernelPackets: number; readonly drops: number;
  /** Lost before tsvs saw them (the receive ring was full). */
  readonly rxMissed: number;
}

/** Port `index`'s counters in a worker counter block (one worker's, or the sum). */
export function portCounters(c: Float64Array, index: number): PortCounters {
  const b = WS_SCALARS + DROP_REASON_COUNT + index * PORT_COUNTERS;
  return {
    rxPackets: c[b + PC_RX_PKTS]!, rxBytes: c[b + PC_RX_BYTES]!, txPackets: c[b + PC_TX_PKTS]!, txBytes: c[b + PC_TX_BYTES]!,
    kernelPackets: c[b + PC_KERNEL_PKTS]!, drops: c[b + PC_DROPS]!, rxMissed: c[b + PC_RX_MISSED]!,
  };
}

/** Drops by reason name; only the reasons that happened. */
export function dropsByReason(c: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let r = 1; r < DROP_REASON_COUNT; r++) if (c[WS_SCALARS + r]! > 0) out[DROP_REASON_NAMES[r]!] = c[WS_SCALARS + r]!;
  return out;
}

export function linksJson(state: Engine, totals: Totals) {
  return state.stack.ports.map((p) => ({
    name: p.name, index: p.index, mac: formatMac(p.mac), mtu: p.mtu, up: p.up, stats: portCounters(totals.counters, p.index),
  }));
}

export function addressesJson(state: Engine) {
  return state.stack.addrs.all().map((a) => ({
    addr: formatIp(a.addr), plen: a.plen, dev: state.stack.ports[a.port]?.name ?? `port${a.port}`, sapool: a.sapool, scope: a.scope,
    /** Added by a service's local address (laddr), not by `tsip addr add`. */
    implicit: a.implicit,
  }));
}

export function routesJson(state: Engine) {
  return state.stack.routes.list().map((r) => ({
    prefix: `${formatIp(r.prefix)}/${r.plen}`, ...(r.via ? { via: formatIp(r.via) } : {}),
    dev: state.stack.ports[r.port]?.name ?? `port${r.port}`, ...(r.src ? { src: formatIp(r.src) } : {}),
    scope: r.scope, metric: r.metric, ...(r.mtu ? { mtu: r.mtu } : {}),
  }));
}

/** One worker's scalars, drops by reason and per-port counters. */
export function workerJson(state: Engine, index: number, c: Float64Array, restarts: number) {
  return {
    worker: index, connections: c[WS_CONNS]!, bursts: c[WS_BURSTS]!, txRingDrops: c[WS_TX_RING_DROPS]!, toaNoRoom: c[WS_TOA_NO_ROOM]!,
    restarts, drops: dropsByReason(c),
    ports: Object.fromEntries(state.stack.ports.map((p) => [p.name, portCounters(c, p.index)])),
  };
}

// ipvsadm's listing order (libipvs ipvs_cmp_services / ipvs_cmp_dests): services by fwmark,
// family, protocol, address, port; real servers by address, port.

import type { IpAddr } from '../../packet/inet.js';
import type { DestView, ServiceView } from '../views.js';

const PROTO_NUM = { tcp: 6, udp: 17 } as const;

export function cmpAddr(a: IpAddr, b: IpAddr): number {
  if (a.af !== b.af) return a.af - b.af;
  // Words hold network-order 32-bit values; >>> 0 reads them unsigned.
  for (const k of ['w0', 'w1', 'w2', 'w3'] as const) {
    const d = (a[k] >>> 0) - (b[k] >>> 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * libipvs's first key, `int r = s1->fwmark - s2->fwmark` on unsigned marks: address services (mark
 * 0) come before fwmark services, which go by mark; the difference wraps to int32 as in C.
 */
function cmpFwmark(a: ServiceView, b: ServiceView): number {
  return ((a.fwmark ?? 0) - (b.fwmark ?? 0)) | 0;
}

export function cmpServices(a: ServiceView, b: ServiceView): number {
  return cmpFwmark(a, b) || a.addr.af - b.addr.af || PROTO_NUM[a.proto] - PROTO_NUM[b.proto] || cmpAddr(a.addr, b.addr) || a.port - b.port;
}

export function cmpDests(a: DestView, b: DestView): number {
  return cmpAddr(a.addr, b.addr) || a.port - b.port;
}

/** The services in listing order (as configured with --nosort), each with its dests in order. */
export function sortedServices(svcs: readonly ServiceView[], nosort: boolean): ServiceView[] {
  if (nosort) return [...svcs];
  return [...svcs].sort(cmpServices).map((s) => ({ ...s, dests: [...s.dests].sort(cmpDests) }));
}

// How a service key is written: the stats/API key (`tcp 10.0.0.1:80`, `fwm 1`, `fwm 1 ipv6`) and
// ipvsadm's name in messages (`TCP 10.0.0.1:80`, `FWM 1`). Pure text, no engine state.

import { type IpAddr, formatIpPort } from '../packet/inet.js';
import type { ServiceKey } from './commands.js';

/** The key counters, counts and API paths use for a service; one spelling everywhere. */
export function serviceKeyText(k: ServiceKey): string {
  if (k.fwmark !== undefined) return k.af === 6 ? `fwm ${k.fwmark} ipv6` : `fwm ${k.fwmark}`;
  return `${k.proto} ${formatIpPort(k.addr, k.port)}`;
}

/** `tcp 10.0.0.100:80 -> 192.168.100.2:80`: the key a dest's counters and counts are summed under. */
export const destKeyOf = (svcKey: string, addr: IpAddr, port: number): string => `${svcKey} -> ${formatIpPort(addr, port)}`;

/** ipvsadm's name of a service in its messages (`No such service: TCP 10.0.0.1:80`). */
export function serviceName(k: ServiceKey): string {
  if (k.fwmark !== undefined) return k.af === 6 ? `FWM ${k.fwmark} IPv6` : `FWM ${k.fwmark}`;
  return `${k.proto.toUpperCase()} ${formatIpPort(k.addr, k.port)}`;
}

// `tsvsadm -G` (DPVS's --get-laddr) in DPVS's format: per service its LIP count, then one row
// per LIP with its port-allocation conflicts and the connections holding a port on it.

import type { ServiceView } from '../views.js';
import { formatIp, formatIpPort } from '../../packet/inet.js';
import { left } from './printf.js';

const TITLE = `${left('VIP:VPORT', 20)} ${left('TOTAL', 8)} ${left('SNAT_IP', 20)} ${left('CONFLICTS', 10)} ${left('CONNS', 10)}\n`;

/** DPVS prints the title once, before the first service; addresses are always numeric. */
export function listLaddrs(svcs: readonly ServiceView[]): string {
  return svcs.map((s, i) => {
    let out = i === 0 ? TITLE : '';
    out += `${left(formatIpPort(s.addr, s.port), 20)} ${left(s.laddrs.length, 8)} \n`;
    for (const l of s.laddrs) out += `${left('', 20)} ${left('', 8)} ${left(formatIp(l.addr), 20)} ${left(l.conflicts, 10)} ${left(l.conns, 10)}\n`;
    return out;
  }).join('');
}

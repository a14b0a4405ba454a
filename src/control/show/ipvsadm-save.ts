// `tsvsadm -S` in ipvsadm-save's rule format (ipvsadm 1.31 FMT_RULE), extended with every option
// the engine holds (DPVS's --conn-timeout, --expire-quiescent, --hash-target, -x/-y) and DPVS's
// FullNAT local addresses as `-P` rules, so `tsvsadm -R` rebuilds the same table.

import type { DestView, ServiceView } from '../views.js';
import { formatIp, formatIpPort } from '../../packet/inet.js';
import { dottedMask } from './ipvsadm-list.js';
import { sortedServices } from './ipvsadm-sort.js';

const FWD_SWITCH = { dr: '-g', tunnel: '-i', nat: '-m', fnat: '-b' } as const;

function serviceRule(s: ServiceView, svc: string): string {
  let r = `-A ${svc} -s ${s.scheduler}`;
  if (s.persistent !== undefined) {
    r += ` -p ${s.persistent}`;
    if (s.addr.af === 4 && s.netmaskPlen !== 32) r += ` -M ${dottedMask(s.netmaskPlen)}`;
    if (s.addr.af === 6 && s.netmaskPlen !== 128) r += ` -M ${s.netmaskPlen}`;
  }
  if (s.ops) r += ' -o';
  if (s.schedFlags.length) r += ` -b ${s.schedFlags.join(',')}`;
  if (s.hashTarget) r += ` --hash-target ${s.hashTarget}`;
  if (s.connTimeout) r += ` --conn-timeout ${s.connTimeout}`;
  if (s.expireQuiescent) r += ' --expire-quiescent';
  return r;
}

function destRule(d: DestView, svc: string): string {
  let r = `-a ${svc} -r ${formatIpPort(d.addr, d.port)} ${FWD_SWITCH[d.method]} -w ${d.weight}`;
  if (d.method === 'tunnel' && d.tunType) {
    r += ` --tun-type ${d.tunType}`;
    if (d.tunType === 'gue') r += ` --tun-port ${d.tunPort}`;
    if (d.tunType !== 'ipip') r += d.tunCsum ? ' --tun-csum' : ' --tun-nocsum';
  }
  if (d.uThreshold) r += ` -x ${d.uThreshold}`;
  if (d.lThreshold) r += ` -y ${d.lThreshold}`;
  return r;
}

/**
 * The rules, one per line, without a program name (as ipvsadm-save writes them). Always numeric:
 * tsvs reads addresses, not host names, so a named save would not restore (see docs/cli-syntax.md).
 */
export function saveRules(svcs: readonly ServiceView[]): string {
  const out: string[] = [];
  for (const s of sortedServices(svcs, false)) {
    const svc = s.fwmark !== undefined ? `-f ${s.fwmark}${s.addr.af === 6 ? ' -6' : ''}`
      : `${s.proto === 'tcp' ? '-t' : '-u'} ${formatIpPort(s.addr, s.port)}`;
    out.push(serviceRule(s, svc));
    for (const d of s.dests) out.push(destRule(d, svc));
    for (const l of s.laddrs) out.push(`-P ${svc} -z ${formatIp(l.addr)} -F ${l.dev}`);
  }
  return out.map((l) => l + '\n').join('');
}

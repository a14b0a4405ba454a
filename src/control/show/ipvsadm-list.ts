// `tsvsadm -L` in ipvsadm's format (ipvsadm.c print_title / print_service_entry, with DPVS's
// FullNat and service flags): the services table, --stats, --rate, --thresholds,
// --persistent-conn, --tun-info, and --timeout. Text only; the data comes from views.ts.

import type { ListOptions } from '../commands.js';
import type { Counters5, DestView, ServiceView } from '../views.js';
import { formatIp } from '../../packet/inet.js';
import { sortedServices } from './ipvsadm-sort.js';
import type { Names } from './names.js';
import { largeNum, left, right } from './printf.js';

/**
 * The header's version is the kernel IPVS version whose behaviour and tool interface tsvs follows
 * (1.2.1, what every current kernel reports and what scripts checking it expect); size is the
 * connection capacity (workers x conn_pool_size), where the kernel shows its conn hash table size.
 */
export const IPVS_VERSION = '1.2.1';

const FWD_NAME = { dr: 'Route', tunnel: 'Tunnel', nat: 'Masq', fnat: 'FullNat' } as const;
const TITLE_ADDR = 'Prot LocalAddress:Port';

export function versionLine(size: number): string {
  return `IP Virtual Server version ${IPVS_VERSION} (size=${size})\n`;
}

/** print_title: the column header for the chosen format. */
export function listTitle(o: ListOptions): string {
  const sub = '  -> RemoteAddress:Port\n';
  if (o.stats) return `${left(TITLE_ADDR, 33)} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((t) => right(t, 8)).join(' ')}\n${sub}`;
  if (o.rate) return `${left(TITLE_ADDR, 33)} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((t) => right(t, 8)).join(' ')}\n${sub}`;
  if (o.thresholds) return `${left(TITLE_ADDR, 33)} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((t) => left(t, 10)).join(' ')}\n${sub}`;
  if (o.persistentConn) return `${left(TITLE_ADDR, 33)} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n${sub}`;
  if (o.tunInfo) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

/** IPv4 netmask of a prefix length, dotted, as inet_ntoa prints -M. */
export function dottedMask(plen: number): string {
  const m = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

function five(c: Counters5, exact: boolean): string {
  return [c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes].map((v) => largeNum(v, exact)).join('');
}

/** GUE `gue:PORT:-c`, GRE `gre:-c`, ipip `ipip` (ipvsadm's fwd_tun_info); n/a for other methods. */
function tunInfo(d: DestView): string {
  if (d.method !== 'tunnel' || !d.tunType) return 'n/a';
  const csum = d.tunCsum ? '+c' : '-c';
  if (d.tunType === 'gue') return `gue:${d.tunPort}:${csum}`;
  if (d.tunType === 'gre') return `gre:${csum}`;
  return 'ipip';
}

/** The service line's flags after the scheduler, in ipvsadm 1.31's then DPVS's order. */
function serviceFlags(s: ServiceView): string {
  let f = '';
  if (s.schedFlags.length) f += ` (${s.schedFlags.join(',')})`;
  if (s.hashTarget) f += ` ${s.hashTarget}`;
  if (s.persistent !== undefined) {
    f += ` persistent ${s.persistent}`;
    if (s.addr.af === 4 && s.netmaskPlen !== 32) f += ` mask ${dottedMask(s.netmaskPlen)}`;
    if (s.addr.af === 6 && s.netmaskPlen !== 128) f += ` mask ${s.netmaskPlen}`;
  }
  if (s.ops) f += ' ops';
  if (s.connTimeout) f += ` conn-timeout ${s.connTimeout}`;
  if (s.expireQuiescent) f += ' expire-quiescent';
  return f;
}

async function serviceEntry(s: ServiceView, o: ListOptions, names: Names): Promise<string> {
  const v4 = s.addr.af === 4;
  const [vname, ...dnames] = await Promise.all([
    names.addrPort(formatIp(s.addr), s.port, s.proto),
    ...s.dests.map((d) => names.addrPort(formatIp(d.addr), d.port, s.proto)),
  ]);
  // ipvsadm cuts IPv4 names to its buffer widths (33 and 28) so the columns hold; a fwmark
  // service is named by its mark (FWM  1, FWM  1 IPv6) and never cut.
  let svcName = `${s.proto.toUpperCase()}  ${vname}`;
  if (s.fwmark !== undefined) svcName = v4 ? `FWM  ${s.fwmark}` : `FWM  ${s.fwmark} IPv6`;
  else if (v4) svcName = svcName.slice(0, 33);
  let out: string;
  if (o.stats) out = left(svcName, 33) + five(s.stats, o.exact);
  else if (o.rate) out = left(svcName, 33) + five(s.rate, o.exact);
  else out = `${svcName} ${s.scheduler}${serviceFlags(s)}`;
  out += '\n';
  s.dests.forEach((d, i) => {
    const dname = v4 ? dnames[i]!.slice(0, 28) : dnames[i]!;
    if (o.stats) out += `  -> ${left(dname, 28)}${five(d.stats, o.exact)}\n`;
    else if (o.rate) {
      out += `  -> ${left(dname, 28)} ${right(d.rate.conns, 8)} ${right(d.rate.inPkts, 8)} ${right(d.rate.outPkts, 8)}`
        + `${largeNum(d.rate.inBytes, o.exact)}${largeNum(d.rate.outBytes, o.exact)}\n`;
    } else if (o.thresholds) {
      out += `  -> ${left(dname, 28)} ${left(d.uThreshold, 10)} ${left(d.lThreshold, 10)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    } else if (o.persistentConn) {
      out += `  -> ${left(dname, 28)} ${left(d.weight, 9)} ${left(d.persistConns, 11)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    } else if (o.tunInfo) {
      out += `  -> ${left(dname, 28)} ${left(FWD_NAME[d.method], 7)} ${left(tunInfo(d), 13)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    } else {
      out += `  -> ${left(dname, 28)} ${left(FWD_NAME[d.method], 7)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    }
  });
  return out;
}

/** `-L` (list_all): version line, title, every service. */
export async function listAll(svcs: readonly ServiceView[], o: ListOptions, size: number, names: Names): Promise<string> {
  const entries = await Promise.all(sortedServices(svcs, o.nosort).map((s) => serviceEntry(s, o, names)));
  return versionLine(size) + listTitle(o) + entries.join('');
}

/** `-L -t VIP:port` (list_service): title and that one service, no version line. */
export async function listOne(s: ServiceView, o: ListOptions, names: Names): Promise<string> {
  return listTitle(o) + await serviceEntry(sortedServices([s], o.nosort)[0]!, o, names);
}

/** `--timeout` (list_timeout): TCP ESTABLISHED, TCP FIN_WAIT and UDP timeouts in seconds. */
export function listTimeout(tcp: number, tcpfin: number, udp: number): string {
  return `Timeout (tcp tcpfin udp): ${tcp} ${tcpfin} ${udp}\n`;
}


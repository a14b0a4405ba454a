// The tsvs configuration a keepalived.conf asks for, given the checkers' verdicts and the VRRP
// states: services, real servers with their weights, LIPs, VIPs. Pure: no I/O, no clocks.
//
// As DPVS's keepalived does, the services (with their LIPs and real servers) exist on the master
// and the backup alike, so a takeover only has to move the VIP: `tsip addr add VIP dev PORT` on
// MASTER, and nothing on BACKUP/FAULT.

import type { DestOptions, FwdMethod, L4Proto, ServiceOptions } from '../control/commands.js';
import { type IpAddr, formatIp, ip4, ip6 } from '../packet/inet.js';
import type { KeepalivedConfig, LvsMethod, RealServer, VirtualServer, VirtualServerKey } from './model.js';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT';

/** What the checkers say about one real server. */
export interface RsHealth {
  readonly alive: boolean;
  /** misc_dynamic's weight (exit status - 2); undefined: the configured weight. */
  readonly weight?: number;
}

export interface HealthState {
  /** By rsId(vs, rs). A real server with no entry is alive unless alpha applies (see initialHealth). */
  readonly rs: ReadonlyMap<string, RsHealth>;
  /** By vsId(vs); missing: computed as at startup (keepalived's set_quorum_states). */
  readonly quorumUp: ReadonlyMap<string, boolean>;
}

/** A real server as the service should hold it: the dest options keepalived controls. */
export interface DesiredDest extends Pick<DestOptions, 'method' | 'weight' | 'uThreshold' | 'lThreshold'> {
  readonly addr: IpAddr;
  readonly port: number;
}

/** keepalived's virtual_server options are exactly tsvsadm's service options. */
export type DesiredServiceOptions = ServiceOptions;

export interface DesiredService {
  /** A fwmark service (`tsvsadm -f MARK`, with `-6` when addr is IPv6); addr/port are then ::/0. */
  readonly fwmark?: number;
  readonly proto: L4Proto;
  readonly addr: IpAddr;
  readonly port: number;
  readonly opts: DesiredServiceOptions;
  readonly dests: readonly DesiredDest[];
  readonly laddrs: readonly { readonly addr: IpAddr; readonly dev: string }[];
}

export interface DesiredVip {
  readonly addr: IpAddr;
  readonly plen: number;
  readonly dev: string;
}

export interface DesiredState {
  readonly services: readonly DesiredService[];
  readonly vips: readonly DesiredVip[];
}

export function vsId(vs: VirtualServer): string {
  const k: VirtualServerKey = vs.key;
  return k.kind === 'ip' ? `${formatIp(k.addr)} ${k.port}` : k.kind === 'group' ? `group ${k.name}` : `fwmark ${k.mark}`;
}

export function rsId(vs: VirtualServer, rs: RealServer): string {
  return `${vsId(vs)} -> ${formatIp(rs.addr)}${rs.port === undefined ? '' : ` ${rs.port}`}`;
}

const FWD: Readonly<Record<LvsMethod, FwdMethod>> = { NAT: 'nat', DR: 'dr', TUN: 'tunnel', FNAT: 'fnat' };

/** The port a real server without one takes: its virtual server's (a group's first entry's). */
export function vsPort(config: KeepalivedConfig, vs: VirtualServer): number {
  const k = vs.key;
  if (k.kind === 'ip') return k.port;
  if (k.kind === 'group') return config.virtualServerGroups.find((g) => g.name === k.name)?.addrs[0]?.port ?? 0;
  return 0;
}

/** alpha: a real server starts down until its first check succeeds (checker, else RS, else VS). */
export function startsDown(vs: VirtualServer, rs: RealServer): boolean {
  return rs.checkers.length > 0 && rs.checkers.some((c) => c.alpha ?? rs.alpha ?? vs.alpha ?? false);
}

/** The health keepalived assumes at startup: every real server alive, except with alpha. */
export function initialHealth(config: KeepalivedConfig): HealthState {
  const rs = new Map<string, RsHealth>();
  for (const vs of config.virtualServers) for (const r of vs.realServers) rs.set(rsId(vs, r), { alive: !startsDown(vs, r) });
  return { rs, quorumUp: new Map() };
}

function rsWeight(r: RealServer, h: RsHealth | undefined): number {
  return h?.weight ?? r.weight;
}

/** Sum of the weights of the live real servers (keepalived's weigh_live_realservers). */
export function liveWeight(vs: VirtualServer, health: HealthState): number {
  let sum = 0;
  for (const r of vs.realServers) {
    const h = health.rs.get(rsId(vs, r));
    if (h?.alive ?? !startsDown(vs, r)) sum += rsWeight(r, h);
  }
  return sum;
}

/**
 * keepalived's update_quorum_state: with quorum up, it is lost when the live weight drops below
 * quorum - hysteresis (or to 0); with quorum down, it is regained at quorum + hysteresis. At
 * startup (no previous state) it is up when the live weight reaches quorum + hysteresis.
 */
export function nextQuorumUp(vs: VirtualServer, prevUp: boolean | undefined, weight: number): boolean {
  if (prevUp === undefined) return weight >= vs.quorum + vs.hysteresis;
  if (prevUp) return !(weight === 0 || weight < vs.quorum - vs.hysteresis);
  return weight >= vs.quorum + vs.hysteresis;
}

/** A fwmark service's family: ip_family, else its real servers' (keepalived infers it so), else IPv4. */
function fwmarkFamily(vs: VirtualServer): 4 | 6 {
  return vs.ipFamily ?? vs.realServers[0]?.addr.af ?? 4;
}

/** The services a virtual_server stands for: one, or one per entry (address or mark) of its group. */
function serviceAddrs(config: KeepalivedConfig, vs: VirtualServer): { addr: IpAddr; port: number; fwmark?: number }[] {
  const any = fwmarkFamily(vs) === 6 ? ip6(0, 0, 0, 0) : ip4(0);
  if (vs.key.kind === 'ip') return [{ addr: vs.key.addr, port: vs.key.port }];
  if (vs.key.kind === 'group') {
    const name = vs.key.name;
    const g = config.virtualServerGroups.find((x) => x.name === name);
    return [...(g?.addrs ?? []), ...(g?.fwmarks ?? []).map((fwmark) => ({ addr: any, port: 0, fwmark }))];
  }
  return [{ addr: any, port: 0, fwmark: vs.key.mark }];
}

/**
 * ha_suspend: the addresses whose presence in the daemon enables the checkers of `vs` (any one of
 * them, as keepalived counts them), or none when ha_suspend does not apply: unset, or a virtual
 * server with fwmarks (keepalived clears ha_suspend there, check_data.c).
 */
export function haSuspendAddrs(config: KeepalivedConfig, vs: VirtualServer): IpAddr[] {
  if (!vs.haSuspend) return [];
  const entries = serviceAddrs(config, vs);
  return entries.some((e) => e.fwmark !== undefined) ? [] : entries.map((e) => e.addr);
}

function serviceOptions(vs: VirtualServer): DesiredServiceOptions {
  return {
    scheduler: vs.sched, ops: vs.ops, schedFlags: vs.schedFlags, expireQuiescent: vs.expireQuiescent,
    ...(vs.persistenceTimeout !== undefined ? { persistent: vs.persistenceTimeout } : {}),
    ...(vs.persistenceGranularity !== undefined ? { netmaskPlen: vs.persistenceGranularity } : {}),
    ...(vs.establishTimeout !== undefined ? { connTimeout: vs.establishTimeout } : {}),
    ...(vs.hashTarget !== undefined ? { hashTarget: vs.hashTarget } : {}),
  };
}

/** The real servers of one service given health and quorum (keepalived's ipwrapper rules). */
function dests(vs: VirtualServer, port: number, health: HealthState, quorumUp: boolean): DesiredDest[] {
  const out: DesiredDest[] = [];
  const sorry = vs.sorryServer;
  // Without a sorry server, losing quorum only runs quorum_down; the pool stays as the checkers left it.
  const sorryActive = !!sorry && !quorumUp;
  for (const r of vs.realServers) {
    const h = health.rs.get(rsId(vs, r));
    const alive = (h?.alive ?? !startsDown(vs, r)) && !sorryActive;
    const inhibit = r.inhibitOnFailure ?? vs.inhibitOnFailure;
    if (!alive && !inhibit) continue;
    out.push({
      addr: r.addr, port: r.port ?? port, method: FWD[r.method ?? vs.method],
      weight: alive ? rsWeight(r, h) : 0, uThreshold: r.uthreshold, lThreshold: r.lthreshold,
    });
  }
  if (sorry && (sorryActive || sorry.inhibit)) {
    // sorry_server_inhibit keeps it in the pool at weight 0 while quorum holds.
    out.push({ addr: sorry.addr, port: sorry.port ?? port, method: FWD[sorry.method ?? vs.method], weight: sorryActive ? 1 : 0, uThreshold: 0, lThreshold: 0 });
  }
  return out;
}

/**
 * The whole desired configuration. `quorum` gives each virtual server's quorum state (see
 * nextQuorumUp); `vrrp` each instance's state (missing: its configured initial state is not
 * assumed: no VIP until VRRP says MASTER).
 */
export function desiredState(config: KeepalivedConfig, health: HealthState, vrrp: ReadonlyMap<string, VrrpState>): DesiredState {
  // VIPs VRRP places on a tsvs port, and whether this node holds them now. A service on such a
  // VIP has its LIPs only while the VIP is here: a backup holding LIPs would answer ARP for them
  // on the shared LAN, and real servers would send the master's replies to the backup.
  const vrrpVips = new Map<string, boolean>();
  for (const vi of config.vrrpInstances) {
    if (vi.dpdkInterface === undefined) continue;
    for (const v of vi.virtualIpaddress) {
      const k = formatIp(v.addr);
      vrrpVips.set(k, (vrrpVips.get(k) ?? false) || vrrp.get(vi.name) === 'MASTER');
    }
  }
  const services: DesiredService[] = [];
  for (const vs of config.virtualServers) {
    const up = health.quorumUp.get(vsId(vs)) ?? nextQuorumUp(vs, undefined, liveWeight(vs, health));
    const group = vs.method === 'FNAT' && vs.laddrGroupName !== undefined ? config.localAddressGroups.find((g) => g.name === vs.laddrGroupName) : undefined;
    for (const { addr, port, fwmark } of serviceAddrs(config, vs)) {
      services.push({
        ...(fwmark === undefined ? {} : { fwmark }),
        proto: vs.protocol === 'UDP' ? 'udp' : 'tcp', addr, port, opts: serviceOptions(vs),
        dests: dests(vs, port, health, up),
        // A LIP of the other family cannot serve this VIP (FullNAT 6-to-4 needs LIPs of the RS family).
        laddrs: vrrpVips.get(formatIp(addr)) === false ? [] : (group?.entries ?? []).map((e) => ({ addr: e.addr, dev: e.dev })),
      });
    }
  }
  const vips: DesiredVip[] = [];
  for (const vi of config.vrrpInstances) {
    if (vrrp.get(vi.name) !== 'MASTER') continue;
    // Without dpdk_interface the VIPs belong to a kernel interface, not to tsvs (the parser warns).
    const dev = vi.dpdkInterface;
    if (dev !== undefined) for (const v of vi.virtualIpaddress) vips.push({ addr: v.addr, plen: v.plen, dev });
  }
  return { services, vips };
}

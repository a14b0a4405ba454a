// What the daemon holds, read back as a DesiredState (its services and its `tsip addr` addresses),
// and the part of it a keepalived configuration owns: what the process adopts and diffs from.
//
// keepalived adopts what IPVS already holds (an EEXIST on add is not an error); tsvs keepalived
// reads the table instead, so its batches never add what exists or delete what is gone. It must
// never claim what the configuration does not name: an operator's other services stay untouched.

import type { Command, ServiceKey } from '../control/commands.js';
import { parseScript } from '../control/script.js';
import { type IpAddr, formatIp, formatIpPort, ip4, ip6, parseIp } from '../packet/inet.js';
import { sameService, sameVip } from './batch.js';
import type { DesiredDest, DesiredService, DesiredServiceOptions, DesiredState, DesiredVip } from './desired.js';
import type { KeepalivedConfig } from './model.js';

type ServiceDraft = { -readonly [K in keyof DesiredService]: DesiredService[K] } & { dests: DesiredDest[]; laddrs: { addr: IpAddr; dev: string }[] };

function draftKey(k: ServiceKey): Pick<DesiredService, 'fwmark' | 'proto' | 'addr' | 'port'> {
  // A fwmark service has ipvsadm's placeholders where an address service has its key (as desiredState).
  if (k.fwmark !== undefined) return { fwmark: k.fwmark, proto: 'tcp', addr: k.af === 6 ? ip6(0, 0, 0, 0) : ip4(0), port: 0 };
  return { proto: k.proto, addr: k.addr, port: k.port };
}

/**
 * The daemon's state from `tsvs save`: its `tsvsadm -A/-a/-P` rules and its `tsip addr add` lines
 * (addresses a LIP brings are not listed there, and are not VIPs). Read through the daemon's own
 * script parser, so the text is never interpreted twice.
 */
export function stateFromSave(script: string): DesiredState {
  const services: ServiceDraft[] = [];
  const vips: DesiredVip[] = [];
  const find = (k: ServiceKey): ServiceDraft | undefined => {
    const probe = { ...draftKey(k), opts: {} as DesiredServiceOptions, dests: [], laddrs: [] };
    return services.find((s) => sameService(s, probe));
  };
  for (const { command: c } of parseScript(script)) {
    const cmd: Command = c;
    if (cmd.kind === 'service-add') services.push({ ...draftKey(cmd.svc), opts: cmd.opts, dests: [], laddrs: [] });
    else if (cmd.kind === 'dest-add') {
      const o = cmd.opts;
      find(cmd.svc)?.dests.push({ addr: cmd.addr, port: cmd.port, method: o.method, weight: o.weight, uThreshold: o.uThreshold, lThreshold: o.lThreshold });
    } else if (cmd.kind === 'laddr-add') find(cmd.svc)?.laddrs.push({ addr: cmd.addr, dev: cmd.dev });
    else if (cmd.kind === 'addr-add') vips.push({ addr: cmd.addr, plen: cmd.plen, dev: cmd.dev });
  }
  return { services, vips };
}

/** The parts of GET /api/v1/services and /api/v1/addresses read here. */
export interface ApiServiceJson {
  readonly proto?: 'tcp' | 'udp'; readonly addr?: string; readonly port?: number; readonly fwmark?: number; readonly af?: 4 | 6;
  readonly scheduler: string; readonly schedFlags: readonly string[]; readonly persistent?: number; readonly netmaskPlen: number;
  readonly ops: boolean; readonly connTimeout: number; readonly expireQuiescent: boolean; readonly hashTarget?: 'sip' | 'qid';
  readonly dests: readonly { readonly addr: string; readonly port: number; readonly method: DesiredDest['method']; readonly weight: number; readonly uThreshold: number; readonly lThreshold: number }[];
  readonly laddrs: readonly { readonly addr: string; readonly dev: string }[];
}
export interface ApiAddressJson {
  readonly addr: string; readonly plen: number; readonly dev: string; readonly implicit: boolean;
}

function ip(s: string): IpAddr {
  const a = parseIp(s);
  if (!a) throw new Error(`the tsvs API returned '${s}' where an address belongs`);
  return a;
}

/** The same state from the REST API's JSON. */
export function stateFromApi(svcs: readonly ApiServiceJson[], addrs: readonly ApiAddressJson[]): DesiredState {
  return {
    services: svcs.map((s) => ({
      ...(s.fwmark !== undefined
        ? draftKey({ fwmark: s.fwmark, af: s.af ?? 4 })
        : { proto: s.proto ?? 'tcp', addr: ip(s.addr ?? ''), port: s.port ?? 0 }),
      opts: {
        scheduler: s.scheduler, schedFlags: s.schedFlags, ops: s.ops, expireQuiescent: s.expireQuiescent, netmaskPlen: s.netmaskPlen,
        ...(s.persistent !== undefined ? { persistent: s.persistent } : {}), ...(s.connTimeout ? { connTimeout: s.connTimeout } : {}),
        ...(s.hashTarget !== undefined ? { hashTarget: s.hashTarget } : {}),
      },
      dests: s.dests.map((d) => ({ addr: ip(d.addr), port: d.port, method: d.method, weight: d.weight, uThreshold: d.uThreshold, lThreshold: d.lThreshold })),
      laddrs: s.laddrs.map((l) => ({ addr: ip(l.addr), dev: l.dev })),
    })),
    vips: addrs.filter((a) => !a.implicit).map((a) => ({ addr: ip(a.addr), plen: a.plen, dev: a.dev })),
  };
}

/**
 * The daemon reports options in full (a -A without -M has the host granularity, no --conn-timeout
 * is 0). Where that means what the configuration leaves unset, take the configuration's spelling,
 * so an adopted service that already matches gives no -E.
 */
function adoptOptions(seen: DesiredServiceOptions, addr: IpAddr, want: DesiredServiceOptions | undefined): DesiredServiceOptions {
  const full = addr.af === 6 ? 128 : 32;
  const { netmaskPlen, connTimeout, ...rest } = seen;
  const mask = (netmaskPlen ?? full) === (want?.netmaskPlen ?? full) ? want?.netmaskPlen : netmaskPlen;
  const timeout = (connTimeout ?? 0) === (want?.connTimeout ?? 0) ? want?.connTimeout : connTimeout;
  return { ...rest, ...(mask !== undefined ? { netmaskPlen: mask } : {}), ...(timeout !== undefined ? { connTimeout: timeout } : {}) };
}

/** Every VIP the configuration may place in the daemon (instances with dpdk_interface), whatever their state. */
export function configuredVips(config: KeepalivedConfig): DesiredVip[] {
  return config.vrrpInstances.flatMap((vi) => vi.dpdkInterface === undefined ? [] : vi.virtualIpaddress.map((v) => ({ addr: v.addr, plen: v.plen, dev: vi.dpdkInterface! })));
}

/**
 * The part of `seen` (the daemon's state) that is ours: services `desired` names (every service
 * of the configuration, whatever the health) or that `previous` held (a reload dropped them: they
 * are ours to remove), and the addresses the configuration's VRRP instances place or `previous`
 * held. Everything else in the daemon is someone else's and never enters a diff.
 */
export function adoptedState(seen: DesiredState, desired: DesiredState, previous: DesiredState, vips: readonly DesiredVip[]): DesiredState {
  const services: DesiredService[] = [];
  for (const s of seen.services) {
    const want = desired.services.find((d) => sameService(d, s));
    if (!want && !previous.services.some((p) => sameService(p, s))) continue;
    services.push({ ...s, opts: adoptOptions(s.opts, s.addr, want?.opts) });
  }
  const owned = [...vips, ...previous.vips];
  return { services, vips: seen.vips.filter((v) => owned.some((o) => sameVip(o, v))) };
}

/** The services and addresses of a state, for a log line. */
export function describeState(s: DesiredState): string {
  const svc = s.services.map((x) => x.fwmark !== undefined ? `fwmark ${x.fwmark}` : `${x.proto} ${formatIpPort(x.addr, x.port)}`);
  const addr = s.vips.map((v) => `${formatIp(v.addr)}/${v.plen} dev ${v.dev}`);
  return [...svc, ...addr].join(', ');
}

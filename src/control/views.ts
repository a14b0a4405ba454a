// The daemon's state as plain data: services with their dests, LIPs, counters, live connection
// counts and rates. The ipvsadm/dpip text formats, the REST API and /metrics all read these.

import type { FwdMethod } from './commands.js';
import { destKeyOf, serviceKeyText } from './service-key.js';
import type { Totals } from './workers.js';
import type { RateTable } from './rates.js';
import type { CountsAnswer } from '../worker/query.js';
import type { Engine } from '../worker/engine.js';
import { FWD_DR, FWD_FNAT, FWD_NAT, FWD_TUNNEL, TUN_GRE, TUN_GUE } from '../ipvs/dest.js';
import { ST_CONNS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from '../ipvs/stats.js';
import { type IpAddr, formatIp } from '../packet/inet.js';

/** ipvsadm's five counters: --stats totals, or --rate per second. */
export interface Counters5 {
  readonly conns: number;
  readonly inPkts: number;
  readonly outPkts: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

export interface DestView {
  /** `tcp 10.0.0.100:80 -> 192.168.100.2:80`: the key stats and counts are summed under. */
  readonly key: string;
  readonly addr: IpAddr;
  readonly port: number;
  readonly method: FwdMethod;
  readonly weight: number;
  readonly uThreshold: number;
  readonly lThreshold: number;
  readonly tunType?: 'ipip' | 'gre' | 'gue';
  readonly tunPort?: number;
  readonly tunCsum?: boolean;
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
  readonly stats: Counters5;
  readonly rate: Counters5;
}

export interface LaddrView {
  readonly addr: IpAddr;
  readonly dev: string;
  /** Connections holding a local port on this LIP (all services sharing it), over all workers. */
  readonly conns: number;
  readonly conflicts: number;
}

export interface ServiceView {
  /** `tcp 10.0.0.100:80`, or `fwm 1` / `fwm 1 ipv6` for a fwmark service */
  readonly key: string;
  /** A fwmark service holds ipvsadm's placeholders here: tcp, the unspecified address, port 0. */
  readonly proto: 'tcp' | 'udp';
  readonly addr: IpAddr;
  readonly port: number;
  /** Present only for a fwmark service (-f MARK); its family is addr's. */
  readonly fwmark?: number;
  readonly scheduler: string;
  readonly schedFlags: readonly string[];
  /** Persistence timeout in seconds; absent when not persistent. */
  readonly persistent?: number;
  readonly netmaskPlen: number;
  readonly ops: boolean;
  readonly connTimeout: number;
  readonly expireQuiescent: boolean;
  readonly hashTarget?: 'sip' | 'qid';
  readonly stats: Counters5;
  readonly rate: Counters5;
  readonly dests: readonly DestView[];
  readonly laddrs: readonly LaddrView[];
}

const ZERO: Counters5 = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const METHODS: Record<number, FwdMethod> = { [FWD_DR]: 'dr', [FWD_TUNNEL]: 'tunnel', [FWD_NAT]: 'nat', [FWD_FNAT]: 'fnat' };


function counters5(a: Float64Array | undefined): Counters5 {
  if (!a) return ZERO;
  return { conns: a[ST_CONNS]!, inPkts: a[ST_INPKTS]!, outPkts: a[ST_OUTPKTS]!, inBytes: a[ST_INBYTES]!, outBytes: a[ST_OUTBYTES]! };
}

/** Live counts summed over the workers' answers (null: a worker restarting, counted as 0). */
export function sumCounts(answers: readonly (CountsAnswer | null)[]): CountsAnswer {
  const dests: Record<string, [number, number, number]> = {};
  const laddrs: Record<string, [number, number]> = {};
  for (const a of answers) {
    if (!a) continue;
    for (const [k, v] of Object.entries(a.dests)) {
      const t = (dests[k] ??= [0, 0, 0]);
      for (let i = 0; i < 3; i++) t[i]! += v[i]!;
    }
    for (const [k, v] of Object.entries(a.laddrs)) {
      const t = (laddrs[k] ??= [0, 0]);
      t[0] += v[0];
      t[1] += v[1];
    }
  }
  return { dests, laddrs };
}

/** Every service in configuration order (the formats sort when they need to). */
export function serviceViews(state: Engine, totals: Totals, counts: CountsAnswer, rates: RateTable): ServiceView[] {
  const out: ServiceView[] = [];
  for (const s of state.ipvs.services) {
    if (!s) continue;
    const key = serviceKeyText(s.key);
    const dests = s.dests.map((d): DestView => {
      const dk = destKeyOf(key, d.addr, d.port);
      const c = counts.dests[dk] ?? [0, 0, 0];
      const tunnel = d.method === FWD_TUNNEL;
      return {
        key: dk, addr: d.addr, port: d.port, method: METHODS[d.method] ?? 'dr', weight: d.weight,
        uThreshold: d.uThreshold, lThreshold: d.lThreshold,
        ...(tunnel ? { tunType: d.tunType === TUN_GRE ? 'gre' : d.tunType === TUN_GUE ? 'gue' : 'ipip', tunCsum: d.tunCsum } as const : {}),
        ...(tunnel && d.tunType === TUN_GUE ? { tunPort: d.tunPort } : {}),
        activeConns: c[0], inactConns: c[1], persistConns: c[2],
        stats: counters5(totals.dest.get(dk)), rate: rates.get(dk) ?? ZERO,
      };
    });
    const laddrs = s.laddrs.map((l): LaddrView => {
      const c = counts.laddrs[formatIp(l.addr)] ?? [0, 0];
      return { addr: l.addr, dev: state.stack.ports[l.port]?.name ?? `port${l.port}`, conns: c[0], conflicts: c[1] };
    });
    out.push({
      key, proto: s.protoName, addr: s.addr, port: s.port, ...(s.fwmark ? { fwmark: s.fwmark } : {}), scheduler: s.schedName, schedFlags: [...s.flags],
      ...(s.persistentMs > 0 ? { persistent: Math.round(s.persistentMs / 1000) } : {}),
      netmaskPlen: s.netmaskPlen, ops: s.ops, connTimeout: s.connTimeout, expireQuiescent: s.expireQuiescent,
      ...(s.schedName === 'conhash' ? { hashTarget: s.hashTarget } : {}),
      stats: counters5(totals.svc.get(key)), rate: rates.get(key) ?? ZERO, dests, laddrs,
    });
  }
  return out;
}

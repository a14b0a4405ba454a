// The typed form of every configuration command tsvs accepts (tsip, tsvsadm and tsvs lines).
// Parsers produce these; the engine and, later, the daemon apply them. Nothing here touches frames.

import type { IpAddr, MacAddr } from '../packet/inet.js';
import type { RouteScope } from '../netif/route.js';

export type L4Proto = 'tcp' | 'udp';

/** Forwarding methods in ipvsadm's words: -g route (DR), -i tunnel, -m masq (NAT), -b FullNAT. */
export type FwdMethod = 'dr' | 'tunnel' | 'nat' | 'fnat';

export type TunType = 'ipip' | 'gre' | 'gue';

/** A virtual service by address: -t|-u VIP:port. */
export interface AddrServiceKey {
  readonly proto: L4Proto;
  readonly addr: IpAddr;
  /** 0 only for persistent services (wildcard port), as in ipvsadm. */
  readonly port: number;
  readonly fwmark?: undefined;
}

/**
 * A firewall-mark service: -f MARK [-6]. It has no address, port or protocol; the kernel keys it
 * by (family, mark). tsvs frames never carry a mark, so it matches no traffic (as in DPVS).
 */
export interface FwmarkServiceKey {
  /** 1..2^32-1. */
  readonly fwmark: number;
  readonly af: 4 | 6;
}

/** A virtual service as ipvsadm names it: -t|-u VIP:port, or -f fwmark. */
export type ServiceKey = AddrServiceKey | FwmarkServiceKey;

export interface ServiceOptions {
  /** Scheduler name; ipvsadm's default is wlc. */
  readonly scheduler: string;
  /** Persistence timeout in seconds (ipvsadm -p [timeout], default 360); undefined = not persistent. */
  readonly persistent?: number;
  /** Persistence granularity as a prefix length (-M 255.255.255.0 -> 24; IPv6 -M 64 -> 64); -A fills 32/128. */
  readonly netmaskPlen?: number;
  /** -o / --ops: one-packet scheduling (UDP). */
  readonly ops: boolean;
  /** Scheduler flags (-b on -A/-E, or --sched-flags): sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3. */
  readonly schedFlags: readonly string[];
  /** DPVS --conn-timeout N: overrides TCP ESTABLISHED and every UDP state for this service; 0 = none. */
  readonly connTimeout?: number;
  /** DPVS --expire-quiescent: conns to a quiescent (weight 0) or removed dest expire at once. */
  readonly expireQuiescent: boolean;
  /** DPVS --hash-target sip|qid for conhash. */
  readonly hashTarget?: 'sip' | 'qid';
}

export interface DestOptions {
  readonly method: FwdMethod;
  /** 0..65535, default 1; 0 means quiescent (drain). */
  readonly weight: number;
  /** -x upper connection threshold, 0 = unset. */
  readonly uThreshold: number;
  /** -y lower connection threshold, 0 = unset. */
  readonly lThreshold: number;
  readonly tunType: TunType;
  /** GUE destination port (--tun-port). */
  readonly tunPort?: number;
  readonly tunCsum?: 'nocsum' | 'csum' | 'remcsum';
}

/** What `tsvsadm -L` should show: ipvsadm's list options, one flag each. */
export interface ListOptions {
  readonly numeric: boolean;
  /** -c: the connection table instead of services. */
  readonly connection: boolean;
  readonly stats: boolean;
  readonly rate: boolean;
  readonly exact: boolean;
  readonly thresholds: boolean;
  readonly persistentConn: boolean;
  /** --timeout: print the tcp/tcpfin/udp timeouts. */
  readonly timeout: boolean;
  /** --daemon: print the sync daemon state (tsvs has none; prints nothing). */
  readonly daemon: boolean;
  readonly nosort: boolean;
  readonly tunInfo: boolean;
}

export type Command =
  // ---- tsip (dpip syntax) ----
  | { readonly kind: 'link-add'; readonly name: string; readonly mac: MacAddr; readonly mtu: number }
  | { readonly kind: 'link-set'; readonly name: string; readonly mtu?: number; readonly mac?: MacAddr; readonly up?: boolean }
  | {
      readonly kind: 'addr-add'; readonly addr: IpAddr; readonly plen: number; readonly dev: string;
      readonly sapool: boolean; readonly scope: RouteScope;
      /** valid_lft / preferred_lft in seconds; undefined = forever (dpip's default). */
      readonly validLft?: number; readonly preferredLft?: number;
      readonly broadcast?: IpAddr;
    }
  | { readonly kind: 'addr-del'; readonly addr: IpAddr; readonly plen: number; readonly dev: string }
  | { readonly kind: 'addr-flush'; readonly dev: string; readonly af?: 4 | 6 }
  | { readonly kind: 'route-add'; readonly route: RouteSpec }
  | { readonly kind: 'route-del'; readonly route: RouteSpec }
  | { readonly kind: 'route-flush'; readonly af?: 4 | 6; readonly dev?: string }
  | { readonly kind: 'neigh-add'; readonly addr: IpAddr; readonly mac: MacAddr; readonly dev: string }
  | { readonly kind: 'neigh-del'; readonly addr: IpAddr; readonly dev: string }
  // Read-only tsip forms: the live CLI answers them; replaying a script rejects them.
  | { readonly kind: 'link-show'; readonly name?: string; readonly stats: boolean; readonly verbose?: boolean }
  | { readonly kind: 'addr-show'; readonly af?: 4 | 6; readonly dev?: string; readonly stats: boolean }
  | { readonly kind: 'route-show'; readonly af?: 4 | 6; readonly dev?: string }
  | { readonly kind: 'neigh-show'; readonly af?: 4 | 6; readonly dev?: string }
  // ---- tsvsadm (ipvsadm 1.31 syntax + DPVS extensions) ----
  | { readonly kind: 'service-add'; readonly svc: ServiceKey; readonly opts: ServiceOptions }
  | { readonly kind: 'service-edit'; readonly svc: ServiceKey; readonly opts: Partial<ServiceOptions> }
  | { readonly kind: 'service-del'; readonly svc: ServiceKey }
  | { readonly kind: 'clear' }
  | { readonly kind: 'dest-add'; readonly svc: ServiceKey; readonly addr: IpAddr; readonly port: number; readonly opts: DestOptions }
  | { readonly kind: 'dest-edit'; readonly svc: ServiceKey; readonly addr: IpAddr; readonly port: number; readonly opts: Partial<DestOptions> }
  | { readonly kind: 'dest-del'; readonly svc: ServiceKey; readonly addr: IpAddr; readonly port: number }
  | { readonly kind: 'laddr-add'; readonly svc: ServiceKey; readonly addr: IpAddr; readonly dev: string }
  | { readonly kind: 'laddr-del'; readonly svc: ServiceKey; readonly addr: IpAddr; readonly dev: string }
  | { readonly kind: 'zero'; readonly svc?: ServiceKey }
  // Read-only / whole-table tsvsadm forms: the live CLI answers them; replaying a script rejects them.
  | { readonly kind: 'list'; readonly svc?: ServiceKey; readonly opts: ListOptions }
  | { readonly kind: 'save'; readonly numeric: boolean }
  | { readonly kind: 'restore' }
  | { readonly kind: 'laddr-list'; readonly svc?: ServiceKey }
  /** ipvsadm --set tcp tcpfin udp (0 = keep): TCP ESTABLISHED, TCP FIN_WAIT, UDP timeouts. */
  | { readonly kind: 'set-timeouts'; readonly tcp: number; readonly tcpfin: number; readonly udp: number }
  // ---- tsvs (settings that DPVS keeps in dpvs.conf, and the kernel in sysctls) ----
  | { readonly kind: 'tsvs-set'; readonly key: string; readonly value: number }
  /** `tsvs save`: the whole configuration as a replayable script (read-only). */
  | { readonly kind: 'config-save' };

// Defined beside the routing table (netif sits below control); re-exported for command parsers.
export type { RouteScope };

export interface RouteSpec {
  readonly prefix: IpAddr;
  readonly plen: number;
  readonly via?: IpAddr;
  readonly dev?: string;
  readonly src?: IpAddr;
  readonly scope?: RouteScope;
  readonly metric: number;
  readonly mtu?: number;
}

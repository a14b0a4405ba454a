// The typed form of a keepalived.conf (keepalived 2.x + DPVS's dialect) as tsvs understands it.
// Only data: the parser builds it, translate/check/VRRP read it. Times are seconds (fractions allowed).

import type { IpAddr } from '../packet/inet.js';

/** Where a statement was written, for messages (`FILE:LINE`). */
export interface Where {
  readonly file: string;
  readonly line: number;
}

export interface GlobalDefs {
  readonly routerId?: string;
  /** vrrp_garp_master_delay (5 s; 0 = no second burst). */
  readonly vrrpGarpMasterDelay: number;
  /** vrrp_garp_master_repeat (5). */
  readonly vrrpGarpMasterRepeat: number;
  /** vrrp_garp_master_refresh (0 = none). */
  readonly vrrpGarpMasterRefresh: number;
  /** vrrp_garp_master_refresh_repeat (1). */
  readonly vrrpGarpMasterRefreshRepeat: number;
  /** vrrp_garp_lower_prio_delay (defaults to master_delay), vrrp_garp_lower_prio_repeat (master_repeat). */
  readonly vrrpGarpLowerPrioDelay?: number;
  readonly vrrpGarpLowerPrioRepeat?: number;
  /** vrrp_garp_interval / vrrp_gna_interval: gap between messages of one burst (0). */
  readonly vrrpGarpInterval: number;
  readonly vrrpGnaInterval: number;
  readonly vrrpMcastGroup4?: IpAddr;
  readonly vrrpMcastGroup6?: IpAddr;
  readonly vrrpVersion?: 2 | 3;
  readonly vrrpStrict: boolean;
  /** enable_script_security / script_user: recorded for the process that runs scripts. */
  readonly enableScriptSecurity: boolean;
  readonly scriptUser?: string;
  /** lvs_flush: flush the whole service table when the process starts (not on reload). */
  readonly lvsFlush: boolean;
  /**
   * lvs_flush_on_stop (keepalived 2.2.7's global_parser.c): 'none' (unset: remove the real servers,
   * then the services, this configuration added), 'full' (no argument: flush the whole table) or
   * 'vs' (`VS`: remove each of this configuration's services whole).
   */
  readonly lvsFlushOnStop: 'none' | 'full' | 'vs';
}

/** `virtual_ipaddress` entry: `<IP>[/<PLEN>] [brd IP] [dev IF] [scope S] [label L]`. */
export interface VirtualIp {
  readonly addr: IpAddr;
  readonly plen: number;
  readonly dev?: string;
  readonly scope?: string;
  readonly label?: string;
  readonly brd?: IpAddr;
}

export interface UnicastPeer {
  readonly addr: IpAddr;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

export interface VrrpInstance {
  readonly name: string;
  readonly where: Where;
  /** Initial state: MASTER or BACKUP (keepalived's default BACKUP). */
  readonly state: 'MASTER' | 'BACKUP';
  /** The kernel interface adverts go out on (DPVS: the port's kni twin, e.g. dpdk0.kni). */
  readonly interface?: string;
  /** DPVS: the data-plane port the VIPs are added to. */
  readonly dpdkInterface?: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  readonly advertInt: number;
  readonly version?: 2 | 3;
  /** Preempt is keepalived's default; `nopreempt` turns it off. */
  readonly preempt: boolean;
  readonly preemptDelay: number;
  readonly authentication?: { readonly type: 'PASS'; readonly pass: string };
  readonly virtualIpaddress: readonly VirtualIp[];
  readonly virtualIpaddressExcluded: readonly VirtualIp[];
  readonly unicastSrcIp?: IpAddr;
  readonly unicastPeers: readonly UnicastPeer[];
  readonly mcastSrcIp?: IpAddr;
  readonly trackInterfaces: readonly string[];
  readonly garpMasterDelay?: number;
  readonly garpMasterRepeat?: number;
  readonly garpMasterRefresh?: number;
  readonly garpMasterRefreshRepeat?: number;
  readonly notify: NotifyScripts;
}

export interface NotifyScripts {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  readonly any?: string;
}

export interface VrrpSyncGroup {
  readonly name: string;
  readonly where: Where;
  readonly group: readonly string[];
  readonly notify: NotifyScripts;
}

/** DPVS `local_address_group NAME { IP[-END] IFNAME ... }`: the LIPs FullNAT services use. */
export interface LocalAddressGroup {
  readonly name: string;
  readonly where: Where;
  readonly entries: readonly { readonly addr: IpAddr; readonly dev: string }[];
}

/** `virtual_server_group NAME { IP[-END] PORT | fwmark N ... }`, ranges expanded. */
export interface VirtualServerGroup {
  readonly name: string;
  readonly where: Where;
  readonly addrs: readonly { readonly addr: IpAddr; readonly port: number }[];
  readonly fwmarks: readonly number[];
}

export type LvsMethod = 'NAT' | 'DR' | 'TUN' | 'FNAT';

/** Timing keywords that a virtual_server, real_server and checker may each set (inherited down). */
export interface CheckTiming {
  readonly delayLoop?: number;
  readonly connectTimeout?: number;
  readonly retry?: number;
  readonly delayBeforeRetry?: number;
  readonly warmup?: number;
  readonly alpha?: boolean;
}

export type VirtualServerKey =
  | { readonly kind: 'ip'; readonly addr: IpAddr; readonly port: number }
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'fwmark'; readonly mark: number };

export interface SorryServer {
  readonly addr: IpAddr;
  /** undefined: the virtual server's port. */
  readonly port?: number;
  readonly inhibit: boolean;
  readonly method?: LvsMethod;
}

export interface VirtualServer extends CheckTiming {
  readonly key: VirtualServerKey;
  readonly where: Where;
  /** lb_algo / lvs_sched; keepalived's default wlc. */
  readonly sched: string;
  readonly schedFlags: readonly string[];
  readonly ops: boolean;
  /** lb_kind / lvs_method; keepalived's default NAT. */
  readonly method: LvsMethod;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** ip_family inet|inet6: the family of a fwmark service (else taken from its real servers). */
  readonly ipFamily?: 4 | 6;
  readonly persistenceTimeout?: number;
  /** persistence_granularity as a prefix length. */
  readonly persistenceGranularity?: number;
  readonly laddrGroupName?: string;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: string;
  readonly quorumDown?: string;
  readonly sorryServer?: SorryServer;
  readonly inhibitOnFailure: boolean;
  readonly omega: boolean;
  readonly haSuspend: boolean;
  readonly virtualhost?: string;
  /** DPVS: establish_timeout (--conn-timeout), expire_quiescent_conn, hash_target. */
  readonly establishTimeout?: number;
  readonly expireQuiescent: boolean;
  readonly hashTarget?: 'sip' | 'qid';
  readonly realServers: readonly RealServer[];
}

export interface RealServer extends CheckTiming {
  readonly addr: IpAddr;
  /** undefined: the virtual server's port (keepalived allows `real_server IP` for fwmark / DR). */
  readonly port?: number;
  readonly where: Where;
  readonly weight: number;
  readonly method?: LvsMethod;
  /** undefined: inherit the virtual server's. */
  readonly inhibitOnFailure?: boolean;
  readonly notifyUp?: string;
  readonly notifyDown?: string;
  readonly uthreshold: number;
  readonly lthreshold: number;
  readonly virtualhost?: string;
  readonly checkers: readonly Checker[];
}

/** Options every checker takes (connection and timing). */
export interface CheckerCommon extends CheckTiming {
  readonly where: Where;
  readonly connectIp?: IpAddr;
  readonly connectPort?: number;
  readonly bindto?: IpAddr;
  readonly bindPort?: number;
}

export interface HttpUrl {
  readonly path: string;
  /** Lower-case hex MD5 of the body (genhash). */
  readonly digest?: string;
  /** Inclusive [lo, hi] ranges; keepalived's default 200-299. */
  readonly statusCodes: readonly (readonly [number, number])[];
  readonly virtualhost?: string;
}

export type Checker =
  | (CheckerCommon & { readonly kind: 'TCP_CHECK' })
  | (CheckerCommon & {
      readonly kind: 'HTTP_GET' | 'SSL_GET';
      readonly urls: readonly HttpUrl[];
      readonly httpProtocol: '1.0' | '1.0C' | '1.0K' | '1.1';
      readonly virtualhost?: string;
      readonly enableSni: boolean;
    })
  | (CheckerCommon & {
      readonly kind: 'UDP_CHECK';
      readonly payload?: Uint8Array;
      /** Expected reply bytes; mask bytes 0 are wildcards (X in the config); empty = any reply. */
      readonly requireReply?: { readonly data: Uint8Array; readonly mask: Uint8Array };
      readonly minReplyLength: number;
      readonly maxReplyLength: number;
    })
  | (CheckerCommon & {
      readonly kind: 'MISC_CHECK';
      /** The command as written (keepalived splits it into argv like a shell would, without one). */
      readonly miscPath: string;
      readonly miscTimeout?: number;
      readonly miscDynamic: boolean;
      readonly user?: string;
    })
  | (CheckerCommon & {
      readonly kind: 'DNS_CHECK';
      readonly type: DnsType;
      readonly name: string;
    });

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

export interface KeepalivedConfig {
  readonly globalDefs: GlobalDefs;
  readonly vrrpInstances: readonly VrrpInstance[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly localAddressGroups: readonly LocalAddressGroup[];
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
}

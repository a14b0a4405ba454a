// keepalived.conf -> KeepalivedConfig: the top level, global_defs, and the checks across blocks
// (names that must exist, duplicates). Reports every problem as a Diagnostic; never throws on input.

import { BraceSyntaxError, type SourceLine, parseBraces, sourceLines } from '../control/brace-syntax.js';
import { Diagnostics } from './diagnostics.js';
import { loadSource } from './include.js';
import type { GlobalDefs, KeepalivedConfig, LocalAddressGroup, VirtualServer, VirtualServerGroup, VrrpInstance, VrrpSyncGroup } from './model.js';
import { parseLocalAddressGroup, parseVirtualServer, parseVirtualServerGroup } from './parse-lvs.js';
import { type Mutable, blockOf, flag, ipWord, oneWord, seconds, uint, walk } from './parse-values.js';
import { parseVrrpInstance, parseVrrpSyncGroup } from './parse-vrrp.js';
import type { BraceNode } from '../control/brace-syntax.js';
import { formatIp } from '../packet/inet.js';

export interface ParseResult {
  /** undefined when the text could not be read or split into blocks at all. */
  readonly config?: KeepalivedConfig;
  readonly diagnostics: Diagnostics;
}

const DEFAULT_GLOBAL_DEFS: GlobalDefs = {
  vrrpGarpMasterDelay: 5, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefresh: 0, vrrpGarpMasterRefreshRepeat: 1,
  vrrpGarpInterval: 0, vrrpGnaInterval: 0, vrrpStrict: false, enableScriptSecurity: false, lvsFlush: false, lvsFlushOnStop: 'none',
};

/** global_defs keywords keepalived knows that have no effect in tsvs (mail alerts, SNMP, D-Bus...). */
const GLOBAL_IGNORED = [
  'notification_email', 'notification_email_from', 'smtp_server', 'smtp_connect_timeout', 'smtp_helo_name',
  'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker', 'no_email_faults', 'lvs_id', 'enable_traps',
  'enable_snmp_vrrp', 'enable_snmp_checker', 'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3',
  'enable_dbus', 'vrrp_skip_check_adv_addr', 'vrrp_iptables', 'vrrp_ipsets', 'vrrp_check_unicast_src',
  'max_auto_priority', 'checker_log_all_failures', 'dynamic_interfaces', 'process_names', 'vrrp_no_swap',
  'checker_no_swap', 'lvs_timeouts', 'lvs_sync_daemon', 'vrrp_priority', 'checker_priority',
  'vrrp_rt_priority', 'checker_rt_priority', 'vrrp_notify_fifo', 'notify_fifo', 'lvs_notify_fifo',
  'vrrp_lower_prio_no_advert', 'vrrp_higher_prio_send_advert', 'random_seed', 'nftables', 'vrrp_startup_delay',
];

function parseGlobalDefs(d: Diagnostics, n: BraceNode, base: GlobalDefs): GlobalDefs {
  const g: Mutable<GlobalDefs> = { ...base };
  const secs = (k: 'vrrpGarpMasterDelay' | 'vrrpGarpMasterRefresh' | 'vrrpGarpLowerPrioDelay' | 'vrrpGarpInterval' | 'vrrpGnaInterval') =>
    (s: BraceNode): void => { const v = seconds(d, s, 0, 31_536_000); if (v !== undefined) g[k] = v; };
  const flushOnStop = (s: BraceNode): void => {
    const v = s.words[1];
    if (v === undefined) g.lvsFlushOnStop = 'full';
    else if (v === 'VS') g.lvsFlushOnStop = 'vs';
    else d.error(s, `${s.words[0]} takes no value (flush the whole table on stop) or VS (remove each virtual server whole), got '${v}'`);
  };
  const reps = (k: 'vrrpGarpMasterRepeat' | 'vrrpGarpMasterRefreshRepeat' | 'vrrpGarpLowerPrioRepeat') =>
    (s: BraceNode): void => { const v = uint(d, s, 1, 255); if (v !== undefined) g[k] = v; };
  walk(d, blockOf(d, n), 'global_defs', {
    router_id: (s) => { const v = oneWord(d, s); if (v !== undefined) g.routerId = v; },
    vrrp_garp_master_delay: secs('vrrpGarpMasterDelay'),
    vrrp_garp_master_repeat: reps('vrrpGarpMasterRepeat'),
    vrrp_garp_master_refresh: secs('vrrpGarpMasterRefresh'),
    vrrp_garp_master_refresh_repeat: reps('vrrpGarpMasterRefreshRepeat'),
    vrrp_garp_lower_prio_delay: secs('vrrpGarpLowerPrioDelay'),
    vrrp_garp_lower_prio_repeat: reps('vrrpGarpLowerPrioRepeat'),
    vrrp_garp_interval: secs('vrrpGarpInterval'),
    vrrp_gna_interval: secs('vrrpGnaInterval'),
    vrrp_mcast_group4: (s) => { const a = ipWord(d, s, s.words[1], 'vrrp_mcast_group4'); if (a) g.vrrpMcastGroup4 = a; },
    vrrp_mcast_group6: (s) => { const a = ipWord(d, s, s.words[1], 'vrrp_mcast_group6'); if (a) g.vrrpMcastGroup6 = a; },
    vrrp_version: (s) => { const v = uint(d, s, 2, 3); if (v !== undefined) g.vrrpVersion = v === 2 ? 2 : 3; },
    vrrp_strict: (s) => { g.vrrpStrict = flag(d, s); },
    enable_script_security: (s) => { g.enableScriptSecurity = flag(d, s); },
    lvs_flush: () => { g.lvsFlush = true; },
    lvs_flush_on_stop: (s) => flushOnStop(s),
    // The spelling before keepalived 2.1.5, still accepted by 2.2.7.
    lvs_flush_onstop: (s) => flushOnStop(s),
    script_user: (s) => { const v = s.words.slice(1).join(' '); if (v) g.scriptUser = v; else d.error(s, 'script_user needs a user name'); },
  }, GLOBAL_IGNORED);
  return g;
}

/** Parses already-loaded lines (includes spliced). */
export function parseKeepalivedLines(lines: readonly SourceLine[], d = new Diagnostics()): ParseResult {
  let top: BraceNode[];
  try {
    top = parseBraces(lines);
  } catch (e) {
    if (!(e instanceof BraceSyntaxError)) throw e;
    d.error(e, e.detail);
    return { diagnostics: d };
  }
  let globalDefs = DEFAULT_GLOBAL_DEFS;
  const vrrpInstances: VrrpInstance[] = [];
  const vrrpSyncGroups: VrrpSyncGroup[] = [];
  const localAddressGroups: LocalAddressGroup[] = [];
  const virtualServerGroups: VirtualServerGroup[] = [];
  const virtualServers: VirtualServer[] = [];
  const push = <T>(list: T[], v: T | undefined): void => { if (v) list.push(v); };
  walk(d, top, 'the top level', {
    global_defs: (n) => { globalDefs = parseGlobalDefs(d, n, globalDefs); },
    vrrp_instance: (n) => push(vrrpInstances, parseVrrpInstance(d, n)),
    vrrp_sync_group: (n) => push(vrrpSyncGroups, parseVrrpSyncGroup(d, n)),
    local_address_group: (n) => push(localAddressGroups, parseLocalAddressGroup(d, n)),
    virtual_server_group: (n) => push(virtualServerGroups, parseVirtualServerGroup(d, n)),
    virtual_server: (n) => push(virtualServers, parseVirtualServer(d, n)),
    vrrp_script: (n) => d.warn(n, 'vrrp_script is not supported by tsvs yet: ignored'),
    deny_address_group: (n) => d.warn(n, 'deny_address_group (black lists) is not supported by tsvs: ignored'),
    allow_address_group: (n) => d.warn(n, 'allow_address_group (white lists) is not supported by tsvs: ignored'),
    tunnel_group: (n) => d.warn(n, 'tunnel_group is not supported by tsvs: ignored'),
    static_ipaddress: (n) => d.warn(n, 'static_ipaddress is not supported by tsvs: add addresses with tsip'),
  }, ['SSL', 'linkbeat_use_polling', 'net_namespace', 'instance', 'use_pid_dir']);
  const config: KeepalivedConfig = { globalDefs, vrrpInstances, vrrpSyncGroups, localAddressGroups, virtualServerGroups, virtualServers };
  crossCheck(d, config);
  return { config, diagnostics: d };
}

function duplicates<T extends { name: string; where: { file: string; line: number } }>(d: Diagnostics, what: string, list: readonly T[]): void {
  const seen = new Map<string, T>();
  for (const x of list) {
    const prev = seen.get(x.name);
    if (prev) d.error(x.where, `${what} ${x.name} is already defined at ${prev.where.file}:${prev.where.line}`);
    else seen.set(x.name, x);
  }
}

/** Checks that need the whole file: references by name, duplicates, combinations tsvs refuses. */
function crossCheck(d: Diagnostics, c: KeepalivedConfig): void {
  duplicates(d, 'vrrp_instance', c.vrrpInstances);
  duplicates(d, 'vrrp_sync_group', c.vrrpSyncGroups);
  for (const vs of c.virtualServers) {
    if (!vs.haSuspend) continue;
    const k = vs.key;
    const fwmarks = k.kind === 'fwmark' || (k.kind === 'group' && (c.virtualServerGroups.find((g) => g.name === k.name)?.fwmarks.length ?? 0) > 0);
    if (fwmarks) d.warn(vs.where, 'ha_suspend cannot be used with fwmarks: ignored (keepalived clears it too)');
  }
  duplicates(d, 'local_address_group', c.localAddressGroups);
  duplicates(d, 'virtual_server_group', c.virtualServerGroups);
  const instances = new Set(c.vrrpInstances.map((v) => v.name));
  for (const vi of c.vrrpInstances) {
    if (vi.dpdkInterface === undefined && vi.virtualIpaddress.length) {
      d.warn(vi.where, `vrrp_instance ${vi.name} has no dpdk_interface: its virtual_ipaddress stays on the kernel side and tsvs will not serve it`);
    }
  }
  for (const g of c.vrrpSyncGroups) {
    for (const m of g.group) if (!instances.has(m)) d.error(g.where, `vrrp_sync_group ${g.name}: no vrrp_instance named '${m}'`);
  }
  const laddrGroups = new Set(c.localAddressGroups.map((g) => g.name));
  const vsGroups = new Map(c.virtualServerGroups.map((g) => [g.name, g]));
  for (const vs of c.virtualServers) {
    if (vs.key.kind === 'group') {
      const g = vsGroups.get(vs.key.name);
      if (!g) d.error(vs.where, `virtual_server group ${vs.key.name}: no virtual_server_group with that name`);
    }
    const fwm = vs.key.kind === 'fwmark' || (vs.key.kind === 'group' && (vsGroups.get(vs.key.name)?.fwmarks.length ?? 0) > 0);
    if (fwm) d.warn(vs.where, 'fwmark services match no traffic in tsvs (its frames carry no firewall mark, as in DPVS): configured, listed and saved only');
    if (vs.protocol === 'SCTP') d.error(vs.where, 'protocol SCTP is not supported by tsvs (TCP and UDP only)');
    if (vs.laddrGroupName !== undefined && !laddrGroups.has(vs.laddrGroupName)) {
      d.error(vs.where, `laddr_group_name ${vs.laddrGroupName}: no local_address_group with that name`);
    }
    if (vs.laddrGroupName !== undefined && vs.method !== 'FNAT') d.warn(vs.where, `laddr_group_name is only used by lb_kind FNAT (this virtual server is ${vs.method})`);
    if (vs.method === 'FNAT' && vs.laddrGroupName === undefined) {
      d.warn(vs.where, 'lb_kind FNAT without laddr_group_name: the service needs LIPs added by other means (tsvsadm --add-laddr)');
    }
    const seen = new Map<string, { file: string; line: number }>();
    for (const rs of vs.realServers) {
      const k = `${rs.addr.af}:${rs.addr.w0}:${rs.addr.w1}:${rs.addr.w2}:${rs.addr.w3}:${rs.port ?? ''}`;
      const prev = seen.get(k);
      if (prev) d.error(rs.where, `real_server ${formatIp(rs.addr)}${rs.port === undefined ? '' : ` ${rs.port}`} is already defined at ${prev.file}:${prev.line}`);
      else seen.set(k, rs.where);
    }
  }
}

/** Reads FILE (and its includes) and parses it. */
export function parseKeepalivedFile(file: string): ParseResult {
  const d = new Diagnostics();
  const lines = loadSource(file, d);
  if (!lines) return { diagnostics: d };
  return parseKeepalivedLines(lines, d);
}

/** Parses text as one file (tests, and configs that come from elsewhere than a file). */
export function parseKeepalivedText(text: string, file = 'keepalived.conf'): ParseResult {
  return parseKeepalivedLines(sourceLines(text, file));
}

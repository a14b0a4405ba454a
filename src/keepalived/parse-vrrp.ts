// Parses keepalived's VRRP part: vrrp_instance (with DPVS's dpdk_interface) and vrrp_sync_group.
// The VRRP state machine itself lives elsewhere; this only fills the model.

import type { BraceNode } from '../control/brace-syntax.js';
import type { Diagnostics } from './diagnostics.js';
import type { NotifyScripts, UnicastPeer, VirtualIp, VrrpInstance, VrrpSyncGroup } from './model.js';
import { type Handler, type Mutable, blockOf, flag, ipWord, oneWord, restOfLine, seconds, uint, walk } from './parse-values.js';

/** `IP[/PLEN] [brd IP] [dev IF] [scope S] [label L]` (keepalived's virtual_ipaddress entry). */
function parseVip(d: Diagnostics, e: BraceNode): VirtualIp | undefined {
  const [first, ...rest] = e.words as [string, ...string[]];
  const slash = first.indexOf('/');
  const addr = ipWord(d, e, slash < 0 ? first : first.slice(0, slash), 'virtual_ipaddress');
  if (!addr) return undefined;
  const max = addr.af === 4 ? 32 : 128;
  const plenText = slash < 0 ? String(max) : first.slice(slash + 1);
  if (!/^\d{1,3}$/.test(plenText) || Number(plenText) > max) {
    d.error(e, `virtual_ipaddress: bad prefix length '/${plenText}' (0-${max})`);
    return undefined;
  }
  const vip: Mutable<VirtualIp> = { addr, plen: Number(plenText) };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i]!;
    const v = rest[i + 1];
    if (v === undefined) {
      d.error(e, `virtual_ipaddress: '${k}' needs a value`);
      return undefined;
    }
    if (k === 'dev') vip.dev = v;
    else if (k === 'scope') vip.scope = v;
    else if (k === 'label') vip.label = v;
    else if (k === 'brd' || k === 'broadcast') {
      const b = ipWord(d, e, v, 'virtual_ipaddress brd');
      if (!b) return undefined;
      vip.brd = b;
    } else d.warn(e, `virtual_ipaddress: option '${k}' is not supported by tsvs: ignored`);
  }
  return vip;
}

/** The entries of a virtual_ipaddress block, each with its line. */
function vipList(d: Diagnostics, n: BraceNode): { vip: VirtualIp; at: BraceNode }[] {
  const out: { vip: VirtualIp; at: BraceNode }[] = [];
  for (const e of blockOf(d, n)) {
    const vip = parseVip(d, e);
    if (vip) out.push({ vip, at: e });
  }
  return out;
}

/** fe80::/10. */
function isLinkLocal6(a: VirtualIp['addr']): boolean {
  return a.af === 6 && (a.w0 >>> 22) === (0xfe80 >>> 6);
}

function notifyHandlers(d: Diagnostics, notify: Mutable<NotifyScripts>): Record<string, Handler> {
  const set = (k: keyof NotifyScripts) => (s: BraceNode): void => {
    const v = restOfLine(d, s);
    if (v !== undefined) notify[k] = v;
  };
  return { notify_master: set('master'), notify_backup: set('backup'), notify_fault: set('fault'), notify_stop: set('stop'), notify: set('any') };
}

export function parseVrrpInstance(d: Diagnostics, n: BraceNode): VrrpInstance | undefined {
  const name = n.words[1];
  if (n.words.length !== 2 || name === undefined) {
    d.error(n, 'vrrp_instance takes one name: vrrp_instance NAME { ... }');
    return undefined;
  }
  const notify: Mutable<NotifyScripts> = {};
  const vi: Mutable<VrrpInstance> = {
    name, where: { file: n.file, line: n.line }, state: 'BACKUP', virtualRouterId: 0, priority: 100, advertInt: 1,
    preempt: true, preemptDelay: 0, virtualIpaddress: [], virtualIpaddressExcluded: [], unicastPeers: [],
    trackInterfaces: [], notify,
  };
  let hasVrid = false;
  let firstVipAt: BraceNode | undefined;
  walk(d, blockOf(d, n), `vrrp_instance ${name}`, {
    ...notifyHandlers(d, notify),
    state: (s) => {
      const v = oneWord(d, s)?.toUpperCase();
      if (v === 'MASTER' || v === 'BACKUP') vi.state = v;
      else if (v !== undefined) d.error(s, `state: '${s.words[1]}' is not MASTER or BACKUP`);
    },
    interface: (s) => { const v = oneWord(d, s); if (v !== undefined) vi.interface = v; },
    dpdk_interface: (s) => { const v = oneWord(d, s); if (v !== undefined) vi.dpdkInterface = v; },
    virtual_router_id: (s) => { const v = uint(d, s, 1, 255); if (v !== undefined) { vi.virtualRouterId = v; hasVrid = true; } },
    priority: (s) => { const v = uint(d, s, 1, 255); if (v !== undefined) vi.priority = v; },
    advert_int: (s) => { const v = seconds(d, s, 0.01, 255); if (v !== undefined) vi.advertInt = v; },
    version: (s) => { const v = uint(d, s, 2, 3); if (v !== undefined) vi.version = v === 2 ? 2 : 3; },
    nopreempt: () => { vi.preempt = false; },
    preempt: (s) => { vi.preempt = flag(d, s); },
    preempt_delay: (s) => { const v = seconds(d, s, 0, 1000); if (v !== undefined) vi.preemptDelay = v; },
    authentication: (s) => {
      let type: 'PASS' | undefined;
      let pass: string | undefined;
      let reported = false;
      walk(d, blockOf(d, s), 'authentication', {
        auth_type: (a) => {
          const v = oneWord(d, a)?.toUpperCase();
          reported = v !== 'PASS';
          // Running without it would mean adverts with no authentication, rejected by every AH peer.
          if (v === 'AH') d.error(a, 'auth_type AH (IPsec AH) is not supported by tsvs: use PASS, or no authentication');
          else if (v === 'PASS') type = v;
          else if (v !== undefined) d.error(a, `auth_type: '${a.words[1]}' is not PASS or AH`);
        },
        auth_pass: (a) => { pass = restOfLine(d, a); },
      });
      if (reported) return;
      if (type === undefined || pass === undefined) d.error(s, 'authentication needs auth_type and auth_pass');
      else {
        // keepalived truncates the password to the 8 bytes of the VRRPv2 auth data, with a warning.
        if (Buffer.byteLength(pass) > 8) d.warn(s, 'auth_pass is longer than 8 characters: only the first 8 are used (as keepalived does)');
        vi.authentication = { type, pass: Buffer.from(pass).subarray(0, 8).toString() };
      }
    },
    virtual_ipaddress: (s) => {
      const list = vipList(d, s);
      firstVipAt ??= list[0]?.at;
      vi.virtualIpaddress = [...vi.virtualIpaddress, ...list.map((e) => e.vip)];
    },
    virtual_ipaddress_excluded: (s) => { vi.virtualIpaddressExcluded = [...vi.virtualIpaddressExcluded, ...vipList(d, s).map((e) => e.vip)]; },
    unicast_src_ip: (s) => { const a = ipWord(d, s, s.words[1], 'unicast_src_ip'); if (a) vi.unicastSrcIp = a; },
    mcast_src_ip: (s) => { const a = ipWord(d, s, s.words[1], 'mcast_src_ip'); if (a) vi.mcastSrcIp = a; },
    unicast_peer: (s) => {
      const peers: UnicastPeer[] = [];
      for (const e of blockOf(d, s)) {
        const a = ipWord(d, e, e.words[0], 'unicast_peer');
        if (!a) continue;
        const p: Mutable<UnicastPeer> = { addr: a };
        for (let i = 1; i + 1 < e.words.length; i += 2) {
          const v = Number(e.words[i + 1]);
          if (e.words[i] === 'min_ttl' && v >= 0 && v <= 255) p.minTtl = v;
          else if (e.words[i] === 'max_ttl' && v >= 0 && v <= 255) p.maxTtl = v;
          else d.error(e, `unicast_peer: bad option '${e.words[i]} ${e.words[i + 1]}' (min_ttl N, max_ttl N)`);
        }
        peers.push(p);
      }
      vi.unicastPeers = [...vi.unicastPeers, ...peers];
    },
    track_interface: (s) => { vi.trackInterfaces = blockOf(d, s).map((e) => e.words[0]!); },
    garp_master_delay: (s) => { const v = seconds(d, s, 0, 255); if (v !== undefined) vi.garpMasterDelay = v; },
    garp_master_repeat: (s) => { const v = uint(d, s, 1, 255); if (v !== undefined) vi.garpMasterRepeat = v; },
    garp_master_refresh: (s) => { const v = seconds(d, s, 0, 31_536_000); if (v !== undefined) vi.garpMasterRefresh = v; },
    garp_master_refresh_repeat: (s) => { const v = uint(d, s, 1, 255); if (v !== undefined) vi.garpMasterRefreshRepeat = v; },
    use_vmac: (s) => d.warn(s, 'use_vmac is not supported by tsvs: ignored (the VIP goes on dpdk_interface)'),
    virtual_routes: (s) => d.warn(s, 'virtual_routes are not supported by tsvs: ignored'),
    virtual_rules: (s) => d.warn(s, 'virtual_rules are not supported by tsvs: ignored'),
    track_script: (s) => d.warn(s, 'track_script is not supported by tsvs yet: ignored'),
  }, ['smtp_alert', 'dont_track_primary', 'lvs_sync_daemon_interface', 'native_ipv6', 'accept', 'no_accept', 'debug', 'unicast_ttl', 'check_unicast_src', 'strict_mode']);
  if (!hasVrid) d.error(n, `vrrp_instance ${name} needs virtual_router_id (1-255)`);
  // RFC 5798 5.2.9: an IPv6 advert's first address is the link-local one. keepalived 2.2.7 says so
  // for multicast instances (vrrp_complete_instance) and runs the instance anyway.
  const first = vi.virtualIpaddress[0];
  if (first && firstVipAt && first.addr.af === 6 && vi.unicastPeers.length === 0 && !isLinkLocal6(first.addr)) {
    d.warn(firstVipAt, `(${name}) the first IPv6 VIP address should be link local`);
  }
  if (vi.interface === undefined) d.error(n, `vrrp_instance ${name} needs interface (the kernel interface adverts go on, e.g. dpdk0.kni)`);
  if (!vi.preempt && vi.state === 'MASTER') d.warn(n, `vrrp_instance ${name}: nopreempt needs state BACKUP; keepalived starts it as BACKUP`);
  if (!vi.preempt && vi.state === 'MASTER') vi.state = 'BACKUP';
  return vi;
}

export function parseVrrpSyncGroup(d: Diagnostics, n: BraceNode): VrrpSyncGroup | undefined {
  const name = n.words[1];
  if (n.words.length !== 2 || name === undefined) {
    d.error(n, 'vrrp_sync_group takes one name: vrrp_sync_group NAME { group { VI_1 VI_2 } }');
    return undefined;
  }
  const notify: Mutable<NotifyScripts> = {};
  let group: string[] = [];
  walk(d, blockOf(d, n), `vrrp_sync_group ${name}`, {
    ...notifyHandlers(d, notify),
    group: (s) => { group = blockOf(d, s).flatMap((e) => [...e.words]); },
  }, ['smtp_alert', 'global_tracking', 'sync_group_tracking_weight']);
  if (group.length === 0) d.error(n, `vrrp_sync_group ${name} needs group { INSTANCE... }`);
  return { name, where: { file: n.file, line: n.line }, group, notify };
}

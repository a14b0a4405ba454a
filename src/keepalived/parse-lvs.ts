// Parses keepalived's LVS part: virtual_server (ip port | group NAME | fwmark N), real_server,
// virtual_server_group, and DPVS's local_address_group. Checkers are in parse-checkers.ts.

import type { BraceNode } from '../control/brace-syntax.js';
import type { Diagnostics } from './diagnostics.js';
import type { Checker, LocalAddressGroup, LvsMethod, RealServer, SorryServer, VirtualServer, VirtualServerGroup, VirtualServerKey } from './model.js';
import { CHECKER_KINDS, UNSUPPORTED_CHECKERS, parseChecker, timingHandlers } from './parse-checkers.js';
import { type Mutable, blockOf, flag, ipRange, ipWord, oneWord, portWord, prefixOf, restOfLine, uint, walk } from './parse-values.js';

const METHODS: readonly LvsMethod[] = ['NAT', 'DR', 'TUN', 'FNAT'];

function method(d: Diagnostics, n: BraceNode): LvsMethod | undefined {
  const v = n.words[1]?.toUpperCase();
  if (v === 'SNAT') {
    d.error(n, `${n.words[0]} SNAT (DPVS's source NAT) is not supported by tsvs`);
    return undefined;
  }
  if (v === undefined || !(METHODS as readonly string[]).includes(v)) {
    d.error(n, `${n.words[0]} takes one of NAT, DR, TUN, FNAT`);
    return undefined;
  }
  if (n.words.length > 2) d.warn(n, `${n.words[0]}: tunnel options '${n.words.slice(2).join(' ')}' are not supported by tsvs keepalived yet: ignored`);
  return v as LvsMethod;
}

export function parseLocalAddressGroup(d: Diagnostics, n: BraceNode): LocalAddressGroup | undefined {
  const name = n.words[1];
  if (n.words.length !== 2 || name === undefined) {
    d.error(n, 'local_address_group takes one name: local_address_group NAME { IP IFNAME ... }');
    return undefined;
  }
  const entries: { addr: LocalAddressGroup['entries'][number]['addr']; dev: string }[] = [];
  for (const e of blockOf(d, n)) {
    if (e.words.length !== 2 || e.block) {
      d.error(e, `local_address_group ${name}: each entry is 'IP[-END] IFNAME' (the tsvs port holding the LIP)`);
      continue;
    }
    for (const addr of ipRange(d, e, e.words[0]!, `local_address_group ${name}`) ?? []) entries.push({ addr, dev: e.words[1]! });
  }
  return { name, where: { file: n.file, line: n.line }, entries };
}

export function parseVirtualServerGroup(d: Diagnostics, n: BraceNode): VirtualServerGroup | undefined {
  const name = n.words[1];
  if (n.words.length !== 2 || name === undefined) {
    d.error(n, 'virtual_server_group takes one name: virtual_server_group NAME { IP PORT ... }');
    return undefined;
  }
  const addrs: VirtualServerGroup['addrs'][number][] = [];
  const fwmarks: number[] = [];
  for (const e of blockOf(d, n)) {
    if (e.words[0] === 'fwmark') {
      const m = uint(d, e, 1, 0xffffffff);
      if (m !== undefined) fwmarks.push(m);
      continue;
    }
    if (e.words.length > 2 || e.block) {
      d.error(e, `virtual_server_group ${name}: each entry is 'IP[-END] PORT' or 'fwmark N'`);
      continue;
    }
    const port = e.words.length === 2 ? portWord(d, e, e.words[1], `virtual_server_group ${name}`) : 0;
    if (port === undefined) continue;
    for (const addr of ipRange(d, e, e.words[0]!, `virtual_server_group ${name}`) ?? []) addrs.push({ addr, port });
  }
  return { name, where: { file: n.file, line: n.line }, addrs, fwmarks };
}

function parseKey(d: Diagnostics, n: BraceNode): VirtualServerKey | undefined {
  const [, a, b] = n.words;
  if (n.words.length === 3 && a === 'group') return { kind: 'group', name: b! };
  if (n.words.length === 3 && a === 'fwmark') {
    const m = b !== undefined && /^\d+$/.test(b) ? Number(b) : NaN;
    if (!(m >= 1 && m <= 0xffffffff)) {
      d.error(n, `virtual_server fwmark: '${b}' is not a mark (1-4294967295)`);
      return undefined;
    }
    return { kind: 'fwmark', mark: m };
  }
  if (n.words.length === 3) {
    const addr = ipWord(d, n, a, 'virtual_server');
    const port = portWord(d, n, b, 'virtual_server');
    return addr && port !== undefined ? { kind: 'ip', addr, port } : undefined;
  }
  d.error(n, "virtual_server takes 'IP PORT', 'group NAME' or 'fwmark N'");
  return undefined;
}

function parseRealServer(d: Diagnostics, n: BraceNode): RealServer | undefined {
  if (n.words.length < 2 || n.words.length > 3) {
    d.error(n, 'real_server takes IP [PORT]: real_server 10.0.0.2 80 { ... }');
    return undefined;
  }
  const addr = ipWord(d, n, n.words[1], 'real_server');
  const port = n.words.length === 3 ? portWord(d, n, n.words[2], 'real_server') : undefined;
  if (!addr || (n.words.length === 3 && port === undefined)) return undefined;
  const rs: Mutable<RealServer> = {
    addr, where: { file: n.file, line: n.line }, weight: 1, uthreshold: 0, lthreshold: 0, checkers: [],
    ...(port !== undefined ? { port } : {}),
  };
  const checkers: Checker[] = [];
  const checkerHandlers = Object.fromEntries(CHECKER_KINDS.map((k) => [k, (s: BraceNode) => {
    const c = parseChecker(d, s);
    if (c) checkers.push(c);
  }]));
  const unsupported = Object.fromEntries(UNSUPPORTED_CHECKERS.map((k) => [k, (s: BraceNode) => {
    d.warn(s, `${k} is not supported by tsvs: this checker is ignored`);
  }]));
  walk(d, n.block ?? [], `real_server ${n.words.slice(1).join(' ')}`, {
    ...timingHandlers(d, rs),
    ...checkerHandlers,
    ...unsupported,
    weight: (s) => { const v = uint(d, s, 0, 65535); if (v !== undefined) rs.weight = v; },
    lvs_method: (s) => { const v = method(d, s); if (v) rs.method = v; },
    inhibit_on_failure: (s) => { rs.inhibitOnFailure = flag(d, s); },
    notify_up: (s) => { const v = restOfLine(d, s); if (v !== undefined) rs.notifyUp = v; },
    notify_down: (s) => { const v = restOfLine(d, s); if (v !== undefined) rs.notifyDown = v; },
    uthreshold: (s) => { rs.uthreshold = uint(d, s, 0, 65535) ?? 0; },
    lthreshold: (s) => { rs.lthreshold = uint(d, s, 0, 65535) ?? 0; },
    virtualhost: (s) => { const v = oneWord(d, s); if (v !== undefined) rs.virtualhost = v; },
  }, ['smtp_alert']);
  rs.checkers = checkers;
  return rs;
}

const SCHED_FLAGS = ['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'];

export function parseVirtualServer(d: Diagnostics, n: BraceNode): VirtualServer | undefined {
  const key = parseKey(d, n);
  const vs: Mutable<VirtualServer> = {
    key: key ?? { kind: 'fwmark', mark: 0 }, where: { file: n.file, line: n.line },
    sched: 'wlc', schedFlags: [], ops: false, method: 'NAT', protocol: 'TCP', quorum: 1, hysteresis: 0,
    inhibitOnFailure: false, omega: false, haSuspend: false, expireQuiescent: false, realServers: [],
  };
  const realServers: RealServer[] = [];
  const schedFlags: string[] = [];
  let sorry: Mutable<SorryServer> | undefined;
  let sorryInhibit = false;
  let sorryMethod: LvsMethod | undefined;
  const flagHandlers = Object.fromEntries(SCHED_FLAGS.map((f) => [f, () => { schedFlags.push(f); }]));
  walk(d, blockOf(d, n), `virtual_server ${n.words.slice(1).join(' ')}`, {
    ...timingHandlers(d, vs),
    ...flagHandlers,
    lb_algo: (s) => { const v = oneWord(d, s); if (v !== undefined) vs.sched = v; },
    lvs_sched: (s) => { const v = oneWord(d, s); if (v !== undefined) vs.sched = v; },
    lb_kind: (s) => { const v = method(d, s); if (v) vs.method = v; },
    lvs_method: (s) => { const v = method(d, s); if (v) vs.method = v; },
    ops: () => { vs.ops = true; },
    protocol: (s) => {
      const v = oneWord(d, s)?.toUpperCase();
      if (v === 'TCP' || v === 'UDP' || v === 'SCTP') vs.protocol = v;
      else if (v !== undefined) d.error(s, `protocol: '${s.words[1]}' is not one of TCP, UDP, SCTP`);
    },
    persistence_timeout: (s) => {
      // keepalived: a bare keyword means the default 360 s.
      if (s.words.length === 1) vs.persistenceTimeout = 360;
      else { const v = uint(d, s, 1, 31_536_000); if (v !== undefined) vs.persistenceTimeout = v; }
    },
    persistence_granularity: (s) => { const v = prefixOf(d, s, s.words[1]); if (v !== undefined) vs.persistenceGranularity = v; },
    laddr_group_name: (s) => { const v = oneWord(d, s); if (v !== undefined) vs.laddrGroupName = v; },
    quorum: (s) => { const v = uint(d, s, 1, 0x7fffffff); if (v !== undefined) vs.quorum = v; },
    hysteresis: (s) => { const v = uint(d, s, 0, 0x7fffffff); if (v !== undefined) vs.hysteresis = v; },
    quorum_up: (s) => { const v = restOfLine(d, s); if (v !== undefined) vs.quorumUp = v; },
    quorum_down: (s) => { const v = restOfLine(d, s); if (v !== undefined) vs.quorumDown = v; },
    sorry_server: (s) => {
      const addr = s.words.length === 2 || s.words.length === 3 ? ipWord(d, s, s.words[1], 'sorry_server') : undefined;
      if (s.words.length !== 2 && s.words.length !== 3) d.error(s, 'sorry_server takes IP [PORT]');
      const port = s.words.length === 3 ? portWord(d, s, s.words[2], 'sorry_server') : undefined;
      if (addr && (s.words.length === 2 || port !== undefined)) sorry = { addr, inhibit: false, ...(port !== undefined ? { port } : {}) };
    },
    sorry_server_inhibit: (s) => { sorryInhibit = flag(d, s); },
    sorry_server_lvs_method: (s) => { sorryMethod = method(d, s); },
    inhibit_on_failure: (s) => { vs.inhibitOnFailure = flag(d, s); },
    omega: (s) => { vs.omega = flag(d, s); },
    ha_suspend: (s) => { vs.haSuspend = flag(d, s); },
    virtualhost: (s) => { const v = oneWord(d, s); if (v !== undefined) vs.virtualhost = v; },
    establish_timeout: (s) => { const v = uint(d, s, 0, 31_535_999); if (v !== undefined) vs.establishTimeout = v; },
    expire_quiescent_conn: (s) => { vs.expireQuiescent = flag(d, s); },
    hash_target: (s) => {
      const v = oneWord(d, s);
      if (v === 'sip' || v === 'qid') vs.hashTarget = v;
      else if (v !== undefined) d.error(s, `hash_target: '${v}' is not sip or qid`);
    },
    real_server: (s) => { const rs = parseRealServer(d, s); if (rs) realServers.push(rs); },
    ip_family: (s) => {
      const v = s.words[1];
      if (v === 'inet') vs.ipFamily = 4;
      else if (v === 'inet6') vs.ipFamily = 6;
      else d.error(s, `ip_family: '${v ?? ''}' is not inet or inet6`);
    },
    syn_proxy: (s) => d.warn(s, 'syn_proxy is not supported by tsvs: ignored'),
    proxy_protocol: (s) => d.warn(s, 'proxy_protocol is not supported by tsvs: ignored'),
    daddr_group_name: (s) => d.warn(s, 'daddr_group_name (deny lists) is not supported by tsvs: ignored'),
    waddr_group_name: (s) => d.warn(s, 'waddr_group_name (allow lists) is not supported by tsvs: ignored'),
  }, ['smtp_alert', 'hashed', 'persistence_engine', 'bps', 'limit_proportion', 'weight', 'vip_bind_dev', 'quic']);
  if (!key) return undefined;
  vs.schedFlags = schedFlags;
  vs.realServers = realServers;
  if (sorry) vs.sorryServer = { ...sorry, inhibit: sorryInhibit, ...(sorryMethod ? { method: sorryMethod } : {}) };
  return vs;
}

// keepalived.conf parsing: scenario S2's master and backup files verbatim (exact model), every
// error path with its FILE:LINE and message, includes with globs across files, and `tsvs keepalived -t`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { formatDiagnostic } from '../../src/keepalived/diagnostics.js';
import { parseKeepalivedFile, parseKeepalivedText } from '../../src/keepalived/parser.js';
import type { KeepalivedConfig } from '../../src/keepalived/model.js';
import { ip } from '../cli/helpers.js';

const S2_MASTER = 'test/keepalived/fixtures/s2-master.conf';
const S2_BACKUP = 'test/keepalived/fixtures/s2-backup.conf';

function s2Expected(state: 'MASTER' | 'BACKUP', priority: number, file: string): KeepalivedConfig {
  const tcpCheck = (line: number) => ({ kind: 'TCP_CHECK' as const, where: { file, line }, connectTimeout: 3, connectPort: 80 });
  return {
    globalDefs: {
      routerId: 'DPVS_DEVEL', vrrpGarpMasterDelay: 5, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefresh: 0,
      vrrpGarpMasterRefreshRepeat: 1, vrrpGarpInterval: 0, vrrpGnaInterval: 0, vrrpStrict: false, enableScriptSecurity: false,
      lvsFlush: false, lvsFlushOnStop: 'none',
    },
    vrrpInstances: [{
      name: 'VI_1', where: { file, line: 12 }, state, interface: 'dpdk0.kni', dpdkInterface: 'dpdk0',
      virtualRouterId: 123, priority, advertInt: 1, preempt: true, preemptDelay: 0,
      authentication: { type: 'PASS', pass: '****' },
      virtualIpaddress: [{ addr: ip('192.168.100.254'), plen: 32 }], virtualIpaddressExcluded: [],
      unicastPeers: [], trackInterfaces: [], notify: {},
    }],
    vrrpSyncGroups: [],
    localAddressGroups: [{
      name: 'laddr_g1', where: { file, line: 8 },
      entries: [{ addr: ip('192.168.100.200'), dev: 'dpdk0' }, { addr: ip('192.168.100.201'), dev: 'dpdk0' }],
    }],
    virtualServerGroups: [{ name: '192.168.100.254-80', where: { file, line: 27 }, addrs: [{ addr: ip('192.168.100.254'), port: 80 }], fwmarks: [] }],
    virtualServers: [{
      key: { kind: 'group', name: '192.168.100.254-80' }, where: { file, line: 30 },
      delayLoop: 3, sched: 'rr', schedFlags: [], ops: false, method: 'FNAT', protocol: 'TCP', laddrGroupName: 'laddr_g1',
      quorum: 1, hysteresis: 0, inhibitOnFailure: false, omega: false, haSuspend: false, expireQuiescent: false,
      realServers: [
        { addr: ip('192.168.100.2'), port: 80, where: { file, line: 36 }, weight: 100, inhibitOnFailure: true, uthreshold: 0, lthreshold: 0, checkers: [tcpCheck(39)] },
        { addr: ip('192.168.100.3'), port: 80, where: { file, line: 45 }, weight: 100, inhibitOnFailure: true, uthreshold: 0, lthreshold: 0, checkers: [tcpCheck(48)] },
      ],
    }],
  };
}

test('S2 master keepalived.conf parses verbatim to the exact model', () => {
  const r = parseKeepalivedFile(S2_MASTER);
  assert.deepEqual(r.config, s2Expected('MASTER', 100, S2_MASTER));
  // nb_sock_retry is in DPVS's tutorial but in neither keepalived's nor DPVS's keyword tables.
  assert.deepEqual(r.diagnostics.list.map(formatDiagnostic), [
    `${S2_MASTER}:40: warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored`,
    `${S2_MASTER}:49: warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored`,
  ]);
});

test('S2 backup keepalived.conf differs only in state and priority', () => {
  const r = parseKeepalivedFile(S2_BACKUP);
  assert.deepEqual(r.config, s2Expected('BACKUP', 80, S2_BACKUP));
  assert.equal(r.diagnostics.hasErrors, false);
});

/** [config text, exact diagnostics as FILE:LINE: severity: message]. */
const CASES: [string, string, string[]][] = [
  ['unbalanced }', 'global_defs {\n}\n}\n', ["k.conf:3: error: '}' without a matching '{'"]],
  ['unclosed block', 'vrrp_instance VI_1 {\n  state MASTER\n', ["k.conf:1: error: block not closed: missing '}'"]],
  ['unterminated quote', 'global_defs {\n  router_id "abc\n}\n', ['k.conf:2: error: unterminated quote (")']],
  ['unknown top-level keyword', 'frobnicate 1\n', ["k.conf:1: warning: unknown keyword 'frobnicate' in the top level: ignored"]],
  ['bad state and vrid', 'vrrp_instance V {\n interface eth0\n state LEADER\n virtual_router_id 256\n}\n', [
    "k.conf:3: error: state: 'LEADER' is not MASTER or BACKUP",
    'k.conf:4: error: virtual_router_id takes one whole number from 1 to 255',
    'k.conf:1: error: vrrp_instance V needs virtual_router_id (1-255)',
  ]],
  ['instance without interface', 'vrrp_instance V {\n virtual_router_id 5\n}\n', [
    'k.conf:1: error: vrrp_instance V needs interface (the kernel interface adverts go on, e.g. dpdk0.kni)',
  ]],
  ['bad VIP', 'vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.300\n  10.0.0.1/33\n  10.0.0.2/24 dev\n }\n}\n', [
    "k.conf:5: error: virtual_ipaddress: '10.0.0.300' is not an IPv4 or IPv6 address",
    "k.conf:6: error: virtual_ipaddress: bad prefix length '/33' (0-32)",
    "k.conf:7: error: virtual_ipaddress: 'dev' needs a value",
  ]],
  ['auth without pass', 'vrrp_instance V {\n interface e\n virtual_router_id 1\n authentication {\n  auth_type PASS\n }\n}\n', [
    'k.conf:4: error: authentication needs auth_type and auth_pass',
  ]],
  ['auth AH and an unknown type', 'vrrp_instance V {\n interface e\n virtual_router_id 1\n authentication {\n  auth_type AH\n  auth_pass x\n }\n}\nvrrp_instance W {\n interface e\n virtual_router_id 2\n authentication {\n  auth_type MD5\n  auth_pass x\n }\n}\n', [
    'k.conf:5: error: auth_type AH (IPsec AH) is not supported by tsvs: use PASS, or no authentication',
    "k.conf:13: error: auth_type: 'MD5' is not PASS or AH",
  ]],
  ['sync group names a missing instance', 'vrrp_sync_group G {\n group {\n  VI_9\n }\n}\n', ["k.conf:1: error: vrrp_sync_group G: no vrrp_instance named 'VI_9'"]],
  ['virtual_server forms', 'virtual_server 10.0.0.1 {\n}\nvirtual_server fwmark 7 {\n}\nvirtual_server group nope {\n}\n', [
    "k.conf:1: error: virtual_server takes 'IP PORT', 'group NAME' or 'fwmark N'",
    'k.conf:3: warning: fwmark services match no traffic in tsvs (its frames carry no firewall mark, as in DPVS): configured, listed and saved only',
    'k.conf:5: error: virtual_server group nope: no virtual_server_group with that name',
  ]],
  ['virtual_server options', [
    'virtual_server 10.0.0.1 80 {', ' lb_kind SNAT', ' protocol ICMP', ' delay_loop 1.1234567', ' laddr_group_name nope',
    ' quorum 0', ' sorry_server 10.0.0.9 99999', ' real_server 10.0.0.2 80 {', '  weight 70000', '  HTTP_GET {',
    '   url {', '    status_code 200-199', '    digest abc', '   }', '   http_protocol 2', '  }', '  MISC_CHECK {', '  }',
    '  SMTP_CHECK {', '  }', ' }', ' real_server 10.0.0.2 80 {', ' }', '}', '',
  ].join('\n'), [
    "k.conf:2: error: lb_kind SNAT (DPVS's source NAT) is not supported by tsvs",
    "k.conf:3: error: protocol: 'ICMP' is not one of TCP, UDP, SCTP",
    'k.conf:4: error: delay_loop takes a time in seconds from 0.000001 to 31536000 (fractions to 6 digits: 0.5)',
    'k.conf:6: error: quorum takes one whole number from 1 to 2147483647',
    "k.conf:7: error: sorry_server: '99999' is not a port number (0-65535)",
    'k.conf:9: error: weight takes one whole number from 0 to 65535',
    "k.conf:12: error: status_code: '200-199' is not an HTTP status (100-599) or range (200-299)",
    "k.conf:13: error: digest: 'abc' is not an MD5 in hex (32 hex digits, as genhash prints)",
    'k.conf:11: error: url needs a path',
    "k.conf:15: error: http_protocol: '2' is not one of 1.0, 1.0C, 1.0K, 1.1",
    'k.conf:10: error: HTTP_GET needs at least one url { path ... }',
    'k.conf:17: error: MISC_CHECK needs misc_path',
    'k.conf:19: warning: SMTP_CHECK is not supported by tsvs: this checker is ignored',
    'k.conf:1: error: laddr_group_name nope: no local_address_group with that name',
    'k.conf:1: warning: laddr_group_name is only used by lb_kind FNAT (this virtual server is NAT)',
    'k.conf:22: error: real_server 10.0.0.2 80 is already defined at k.conf:8',
  ]],
  ['groups', 'local_address_group L {\n 10.0.0.1\n 10.0.0.5-3 dpdk0\n}\nlocal_address_group L {\n}\nvirtual_server_group G {\n 10.0.0.1-2 80 90\n fwmark 0\n}\n', [
    "k.conf:2: error: local_address_group L: each entry is 'IP[-END] IFNAME' (the tsvs port holding the LIP)",
    "k.conf:3: error: local_address_group L: bad range '10.0.0.5-3' (IP-END, END replaces the last octet and is >= it, at most 256 addresses)",
    "k.conf:8: error: virtual_server_group G: each entry is 'IP[-END] PORT' or 'fwmark N'",
    'k.conf:9: error: fwmark takes one whole number from 1 to 4294967295',
    'k.conf:5: error: local_address_group L is already defined at k.conf:1',
  ]],
  ['UDP and DNS checker values', 'virtual_server 10.0.0.1 53 {\n protocol UDP\n real_server 10.0.0.2 53 {\n  UDP_CHECK {\n   payload 0g\n   require_reply 0\n  }\n  DNS_CHECK {\n   type PTR\n   retry -1\n  }\n }\n}\n', [
    'k.conf:5: error: payload takes hex bytes (pairs of hex digits)',
    'k.conf:6: error: require_reply takes hex bytes (pairs of hex digits, X for any digit)',
    "k.conf:9: error: type: 'PTR' is not one of A, NS, CNAME, SOA, MX, TXT, AAAA",
    'k.conf:10: error: retry takes one whole number from 0 to 1000000',
  ]],
  ['lvs_flush_on_stop takes nothing or VS (keepalived 2.2.7 knows no other value)', 'global_defs {\n lvs_flush_on_stop ALL\n}\n', [
    "k.conf:2: error: lvs_flush_on_stop takes no value (flush the whole table on stop) or VS (remove each virtual server whole), got 'ALL'",
  ]],
  // RFC 5798: an IPv6 instance's first VIP is link-local. keepalived 2.2.7 logs this for multicast
  // instances and runs them; unicast ones and a link-local first address are fine.
  ['the first IPv6 VIP of a multicast instance should be link-local', [
    'vrrp_instance VI_1 {', ' interface eth0', ' dpdk_interface dpdk0', ' virtual_router_id 1', ' virtual_ipaddress {', '  2001:db8::1/64', '  fe80::1/64', ' }', '}',
    'vrrp_instance VI_2 {', ' interface eth0', ' dpdk_interface dpdk0', ' virtual_router_id 2', ' virtual_ipaddress {', '  fe80::2/64', '  2001:db8::2/64', ' }', '}',
    'vrrp_instance VI_3 {', ' interface eth0', ' dpdk_interface dpdk0', ' virtual_router_id 3', ' unicast_peer {', '  2001:db8::9', ' }', ' virtual_ipaddress {', '  2001:db8::3/64', ' }', '}', '',
  ].join('\n'), [
    'k.conf:6: warning: (VI_1) the first IPv6 VIP address should be link local',
  ]],
  ['@ conditionals and $ definitions', 'global_defs {\n@main router_id X\n}\n$IF=eth0\n', [
    "k.conf:2: error: '@' conditional lines (config_id / instance selection) are not supported by tsvs: write one file per node",
    'k.conf:4: error: parameter definitions and substitutions ($NAME, ~SEQ) are not supported by tsvs: expand them before use',
  ]],
];

for (const [name, text, expected] of CASES) {
  test(`diagnostics: ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    try {
      writeFileSync(join(dir, 'k.conf'), text);
      const r = parseKeepalivedFile(join(dir, 'k.conf'));
      assert.deepEqual(r.diagnostics.list.map(formatDiagnostic).map((s) => s.replaceAll(`${dir}/`, '')), expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('values: fractional timers, ranges, IPv6, quoted words, hex with wildcards, checker options', () => {
  const r = parseKeepalivedText([
    'virtual_server_group G {', ' 192.168.1.1-3 80', ' 2001:db8::a-b 443', '}',
    'virtual_server group G {', ' delay_loop 0.2', ' lvs_sched wrr', ' lvs_method DR', ' persistence_timeout', ' persistence_granularity 255.255.255.0',
    ' quorum 150', ' hysteresis 50', ' sorry_server 10.9.9.9 8080', ' sorry_server_inhibit', ' alpha', ' mh-port',
    ' real_server 10.0.0.2 80 {', '  weight 3', '  notify_up "/bin/echo up now"', '  retry 2', '  delay_before_retry 0.05',
    '  HTTP_GET {', '   url {', '    path /health?x=1', '    digest 9E107D9D372BB6826BD81D3542A419D6', '    status_code 200 301-302', '    virtualhost example.com', '   }',
    '   http_protocol 1.1', '   connect_timeout 0.5', '  }',
    '  UDP_CHECK {', '   payload 01 02 ff', '   require_reply 01XX', '  }',
    '  MISC_CHECK {', '   misc_path "/usr/bin/check arg1"', '   misc_dynamic', '   misc_timeout 2', '  }',
    '  DNS_CHECK {', '   type a', '   name example.com', '  }',
    ' }', '}',
  ].join('\n'));
  assert.equal(r.diagnostics.list.length, 0, r.diagnostics.list.map(formatDiagnostic).join('\n'));
  const c = r.config!;
  assert.deepEqual(c.virtualServerGroups[0]!.addrs, [
    { addr: ip('192.168.1.1'), port: 80 }, { addr: ip('192.168.1.2'), port: 80 }, { addr: ip('192.168.1.3'), port: 80 },
    { addr: ip('2001:db8::a'), port: 443 }, { addr: ip('2001:db8::b'), port: 443 },
  ]);
  const vs = c.virtualServers[0]!;
  assert.deepEqual([vs.delayLoop, vs.sched, vs.method, vs.persistenceTimeout, vs.persistenceGranularity, vs.quorum, vs.hysteresis, vs.alpha, vs.schedFlags],
    [0.2, 'wrr', 'DR', 360, 24, 150, 50, true, ['mh-port']]);
  assert.deepEqual(vs.sorryServer, { addr: ip('10.9.9.9'), port: 8080, inhibit: true });
  const rs = vs.realServers[0]!;
  assert.deepEqual([rs.weight, rs.notifyUp, rs.retry, rs.delayBeforeRetry], [3, '/bin/echo up now', 2, 0.05]);
  const [http, udp, misc, dns] = rs.checkers;
  assert.deepEqual(http, {
    kind: 'HTTP_GET', where: { file: 'keepalived.conf', line: 22 }, connectTimeout: 0.5, httpProtocol: '1.1', enableSni: false,
    urls: [{ path: '/health?x=1', digest: '9e107d9d372bb6826bd81d3542a419d6', statusCodes: [[200, 200], [301, 302]], virtualhost: 'example.com' }],
  });
  assert.deepEqual(udp, {
    kind: 'UDP_CHECK', where: { file: 'keepalived.conf', line: 32 }, minReplyLength: 0, maxReplyLength: 255,
    payload: Uint8Array.of(1, 2, 0xff), requireReply: { data: Uint8Array.of(1, 0), mask: Uint8Array.of(0xff, 0) },
  });
  assert.deepEqual(misc, { kind: 'MISC_CHECK', where: { file: 'keepalived.conf', line: 36 }, miscPath: '/usr/bin/check arg1', miscDynamic: true, miscTimeout: 2 });
  assert.deepEqual(dns, { kind: 'DNS_CHECK', where: { file: 'keepalived.conf', line: 41 }, type: 'A', name: 'example.com' });
});

test('lvs_flush and lvs_flush_on_stop: no argument flushes everything, VS removes each virtual server; the old spelling too', () => {
  const g = (text: string) => parseKeepalivedText(text, 'k.conf').config?.globalDefs;
  assert.deepEqual([g('global_defs {\n}\n')?.lvsFlush, g('global_defs {\n}\n')?.lvsFlushOnStop], [false, 'none']);
  assert.deepEqual([g('global_defs {\n lvs_flush\n lvs_flush_on_stop\n}\n')?.lvsFlush, g('global_defs {\n lvs_flush_on_stop\n}\n')?.lvsFlushOnStop], [true, 'full']);
  assert.equal(g('global_defs {\n lvs_flush_on_stop VS\n}\n')?.lvsFlushOnStop, 'vs');
  assert.equal(g('global_defs {\n lvs_flush_onstop VS\n}\n')?.lvsFlushOnStop, 'vs');
});

test('include: globs relative to the including file, sorted, nested, with each line keeping its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-inc-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    mkdirSync(join(dir, 'conf.d', 'sub'));
    writeFileSync(join(dir, 'keepalived.conf'), 'global_defs {\n  router_id R1\n}\ninclude conf.d/*.conf   # services\ninclude none/*.conf\n');
    writeFileSync(join(dir, 'conf.d', 'b.conf'), 'virtual_server 10.0.0.2 80 {\n  bogus_kw 1\n}\n');
    writeFileSync(join(dir, 'conf.d', 'a.conf'), 'include sub/{x,y}.inc\nvirtual_server 10.0.0.1 80 {\n}\n');
    writeFileSync(join(dir, 'conf.d', 'sub', 'y.inc'), 'local_address_group Y {\n  10.1.0.1 dpdk0\n}\n');
    writeFileSync(join(dir, 'conf.d', 'sub', 'x.inc'), 'local_address_group X {\n  10.1.0.2 dpdk0\n}\n');
    writeFileSync(join(dir, 'conf.d', 'exec.conf'), 'virtual_server 10.0.0.3 80 {\n}\n');
    chmodSync(join(dir, 'conf.d', 'exec.conf'), 0o755);
    const main = join(dir, 'keepalived.conf');
    const r = parseKeepalivedFile(main);
    const c = r.config!;
    assert.deepEqual(c.localAddressGroups.map((g) => [g.name, g.where]), [
      ['X', { file: join(dir, 'conf.d/sub/x.inc'), line: 1 }], ['Y', { file: join(dir, 'conf.d/sub/y.inc'), line: 1 }],
    ]);
    assert.deepEqual(c.virtualServers.map((v) => v.where), [
      { file: join(dir, 'conf.d/a.conf'), line: 2 }, { file: join(dir, 'conf.d/b.conf'), line: 1 },
    ]);
    assert.equal(c.globalDefs.routerId, 'R1');
    assert.deepEqual(r.diagnostics.list.map(formatDiagnostic), [
      `${main}:4: warning: '${dir}/conf.d/exec.conf' is not a regular non-executable file: skipped (as keepalived does)`,
      `${main}:5: warning: no config files matched 'none/*.conf'`,
      `${dir}/conf.d/b.conf:2: warning: unknown keyword 'bogus_kw' in virtual_server 10.0.0.2 80: ignored`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('include loops stop with an error instead of recursing forever', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-loop-'));
  try {
    writeFileSync(join(dir, 'k.conf'), 'include k.conf\n');
    const r = parseKeepalivedFile(join(dir, 'k.conf'));
    assert.deepEqual(r.diagnostics.list.map(formatDiagnostic), [`${dir}/k.conf:1: error: includes nested deeper than 32: does a file include itself?`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsvs keepalived -t: exit 0 with warnings on S2, exit 4 with FILE:LINE errors, 4 for a missing file', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/tsvs.js', 'keepalived', ...args], { encoding: 'utf8' });
  const ok = run('-t', '-f', S2_MASTER);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, `${S2_MASTER}: configuration OK (1 vrrp_instance, 1 virtual_server)\n`);
  assert.equal(ok.stderr, [
    `${S2_MASTER}:40: warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored`,
    `${S2_MASTER}:49: warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored`, '',
  ].join('\n'));
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-cli-'));
  try {
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'vrrp_instance V {\n  interface eth0\n  priority 300\n}\n');
    const r = run('-t', '-f', bad);
    assert.equal(r.status, 4);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, [
      `${bad}:3: error: priority takes one whole number from 1 to 255`,
      `${bad}:1: error: vrrp_instance V needs virtual_router_id (1-255)`,
      `${bad}: 2 errors: tsvs keepalived will not run this configuration`, '',
    ].join('\n'));
    const v6 = join(dir, 'v6.conf');
    writeFileSync(v6, 'vrrp_instance VI_1 {\n  interface eth0\n  dpdk_interface dpdk0\n  virtual_router_id 7\n  virtual_ipaddress {\n    2001:db8:77::100/128\n  }\n}\n');
    const w = run('-t', '-f', v6);
    assert.equal(w.status, 0);
    assert.equal(w.stderr, `${v6}:6: warning: (VI_1) the first IPv6 VIP address should be link local\n`);
    const missing = run('-t', '-f', join(dir, 'nope.conf'));
    assert.equal(missing.status, 4);
    assert.match(missing.stderr, new RegExp(`^${dir}/nope.conf:0: error: cannot read the configuration: ENOENT`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// keepalived.conf -> tsvs lines: S2 on the master and the backup, checker verdicts (inhibit, removal,
// misc_dynamic weights), quorum with hysteresis and the sorry server, VRRP transitions, and reload
// diffs that edit instead of delete+add. Every line must be accepted by tsvs's own script parser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/control/script.js';
import { diffBatch, fullBatch } from '../../src/keepalived/batch.js';
import { type HealthState, type RsHealth, type VrrpState, desiredState, initialHealth, liveWeight, nextQuorumUp, rsId, vsId } from '../../src/keepalived/desired.js';
import type { KeepalivedConfig } from '../../src/keepalived/model.js';
import { parseKeepalivedFile, parseKeepalivedText } from '../../src/keepalived/parser.js';

function load(file: string): KeepalivedConfig {
  const r = parseKeepalivedFile(file);
  assert.equal(r.diagnostics.hasErrors, false);
  return r.config!;
}

function parse(text: string): KeepalivedConfig {
  const r = parseKeepalivedText(text);
  assert.deepEqual(r.diagnostics.list.filter((d) => d.severity === 'error'), []);
  return r.config!;
}

/** Every emitted line goes through the same parser the daemon uses for scripts. */
function checked(lines: string[]): string[] {
  parseScript(lines.join('\n'));
  return lines;
}

const vrrp = (state: VrrpState) => new Map([['VI_1', state]]);

function health(c: KeepalivedConfig, set: Record<string, RsHealth>, quorumUp: Record<string, boolean> = {}): HealthState {
  const rs = new Map(initialHealth(c).rs);
  for (const [k, v] of Object.entries(set)) rs.set(k, v);
  return { rs, quorumUp: new Map(Object.entries(quorumUp)) };
}

const S2_SERVICES = [
  'tsvsadm -A -t 192.168.100.254:80 -s rr',
  'tsvsadm --add-laddr -t 192.168.100.254:80 -z 192.168.100.200 -F dpdk0',
  'tsvsadm --add-laddr -t 192.168.100.254:80 -z 192.168.100.201 -F dpdk0',
  'tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.2:80 -b -w 100',
  'tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.3:80 -b -w 100',
];

test('S2 master: the service, both LIPs, both real servers, then the VIP on dpdk0', () => {
  const c = load('test/keepalived/fixtures/s2-master.conf');
  assert.deepEqual(checked(fullBatch(desiredState(c, initialHealth(c), vrrp('MASTER')))), [
    ...S2_SERVICES, 'tsip addr add 192.168.100.254/32 dev dpdk0',
  ]);
});

test('S2 backup: the same service and real servers, no LIP and no VIP; takeover adds the LIPs, then the VIP', () => {
  const c = load('test/keepalived/fixtures/s2-backup.conf');
  const backup = desiredState(c, initialHealth(c), vrrp('BACKUP'));
  assert.deepEqual(checked(fullBatch(backup)), S2_SERVICES.filter((l) => !l.includes('--add-laddr')));
  const master = desiredState(c, initialHealth(c), vrrp('MASTER'));
  assert.deepEqual(checked(diffBatch(backup, master)), [
    ...S2_SERVICES.filter((l) => l.includes('--add-laddr')), 'tsip addr add 192.168.100.254/32 dev dpdk0',
  ]);
  assert.deepEqual(checked(diffBatch(master, desiredState(c, initialHealth(c), vrrp('FAULT')))), [
    'tsip addr del 192.168.100.254/32 dev dpdk0',
    'tsvsadm --del-laddr -t 192.168.100.254:80 -z 192.168.100.200 -F dpdk0',
    'tsvsadm --del-laddr -t 192.168.100.254:80 -z 192.168.100.201 -F dpdk0',
  ]);
});

test('S2 inhibit_on_failure: a dead real server goes to weight 0 (-e), and back to 100', () => {
  const c = load('test/keepalived/fixtures/s2-master.conf');
  const vs = c.virtualServers[0]!;
  const id2 = rsId(vs, vs.realServers[0]!);
  assert.equal(id2, 'group 192.168.100.254-80 -> 192.168.100.2 80');
  const up = desiredState(c, initialHealth(c), vrrp('MASTER'));
  const down = desiredState(c, health(c, { [id2]: { alive: false } }), vrrp('MASTER'));
  assert.deepEqual(checked(diffBatch(up, down)), ['tsvsadm -e -t 192.168.100.254:80 -r 192.168.100.2:80 -w 0']);
  assert.deepEqual(checked(diffBatch(down, up)), ['tsvsadm -e -t 192.168.100.254:80 -r 192.168.100.2:80 -w 100']);
});

const QUORUM = `
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind NAT
  quorum 3
  hysteresis 1
  sorry_server 10.0.0.99 8080
  real_server 10.0.0.2 80 {
    weight 2
    TCP_CHECK {
    }
  }
  real_server 10.0.0.3 80 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
    }
  }
  real_server 10.0.0.4 80 {
    weight 1
    MISC_CHECK {
      misc_path /bin/true
      misc_dynamic
    }
  }
}
`;

test('removal without inhibit, misc_dynamic weights, quorum with hysteresis, sorry server replacing the pool', () => {
  const c = parse(QUORUM);
  const vs = c.virtualServers[0]!;
  const [r2, r3, r4] = vs.realServers.map((r) => rsId(vs, r)) as [string, string, string];
  assert.equal(vsId(vs), '10.0.0.1 80');
  const all = desiredState(c, initialHealth(c), new Map());
  assert.deepEqual(checked(fullBatch(all)), [
    'tsvsadm -A -t 10.0.0.1:80 -s wrr',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.4:80 -m -w 1',
  ]);
  // .2 dies (no inhibit: removed); live weight 2 >= quorum 3 - hysteresis 1: quorum holds.
  const h1 = health(c, { [r2]: { alive: false } });
  assert.equal(liveWeight(vs, h1), 2);
  assert.equal(nextQuorumUp(vs, true, 2), true);
  const s1 = desiredState(c, { ...h1, quorumUp: new Map([[vsId(vs), true]]) }, new Map());
  assert.deepEqual(checked(diffBatch(all, s1)), ['tsvsadm -d -t 10.0.0.1:80 -r 10.0.0.2:80']);
  // misc_dynamic exit 7 -> weight 5 on .4.
  const s1b = desiredState(c, { ...health(c, { [r2]: { alive: false }, [r4]: { alive: true, weight: 5 } }), quorumUp: new Map([[vsId(vs), true]]) }, new Map());
  assert.deepEqual(checked(diffBatch(s1, s1b)), ['tsvsadm -e -t 10.0.0.1:80 -r 10.0.0.4:80 -w 5']);
  // .3 dies too: live weight 1 < 2: quorum lost; the sorry server replaces the pool (.3 inhibited to 0).
  assert.equal(nextQuorumUp(vs, true, 1), false);
  const h2 = health(c, { [r2]: { alive: false }, [r3]: { alive: false } }, { [vsId(vs)]: false });
  const s2 = desiredState(c, h2, new Map());
  assert.deepEqual(checked(diffBatch(s1, s2)), [
    'tsvsadm -e -t 10.0.0.1:80 -r 10.0.0.3:80 -w 0',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.99:8080 -m -w 1',
    'tsvsadm -d -t 10.0.0.1:80 -r 10.0.0.4:80',
  ]);
  // .3 returns: weight 2 < quorum 3 + hysteresis 1: still down. .2 returns too: 4 >= 4: regained.
  assert.equal(nextQuorumUp(vs, false, 2), false);
  assert.equal(nextQuorumUp(vs, false, 4), true);
  const s3 = desiredState(c, health(c, {}, { [vsId(vs)]: true }), new Map());
  assert.deepEqual(checked(diffBatch(s2, s3)), [
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2',
    'tsvsadm -e -t 10.0.0.1:80 -r 10.0.0.3:80 -w 1',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.4:80 -m -w 1',
    'tsvsadm -d -t 10.0.0.1:80 -r 10.0.0.99:8080',
  ]);
  // At startup quorum needs quorum + hysteresis.
  assert.equal(nextQuorumUp(vs, undefined, 3), false);
  assert.equal(nextQuorumUp(vs, undefined, 4), true);
});

test('alpha: real servers start down until their first success', () => {
  const c = parse('virtual_server 10.0.0.1 80 {\n alpha\n inhibit_on_failure\n real_server 10.0.0.2 80 {\n  TCP_CHECK {\n  }\n }\n real_server 10.0.0.3 80 {\n }\n}\n');
  assert.deepEqual(checked(fullBatch(desiredState(c, initialHealth(c), new Map()))), [
    'tsvsadm -A -t 10.0.0.1:80 -s wlc',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 0',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1',
  ]);
});

test('reload: changed scheduler, persistence, weights and real servers become edits, not delete+add', () => {
  const before = parse('virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n  weight 1\n }\n real_server 10.0.0.3 80 {\n }\n}\nvirtual_server 10.0.0.9 53 {\n protocol UDP\n}\n');
  const after = parse('virtual_server 10.0.0.1 80 {\n lb_algo wlc\n lb_kind DR\n persistence_timeout 600\n persistence_granularity 255.255.255.0\n real_server 10.0.0.2 80 {\n  weight 5\n  uthreshold 100\n }\n real_server 10.0.0.4 80 {\n }\n}\n');
  const a = desiredState(before, initialHealth(before), new Map());
  const b = desiredState(after, initialHealth(after), new Map());
  assert.deepEqual(checked(diffBatch(a, b)), [
    'tsvsadm -E -t 10.0.0.1:80 -s wlc -p 600 -M 255.255.255.0',
    'tsvsadm -e -t 10.0.0.1:80 -r 10.0.0.2:80 -w 5 -x 100',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.4:80 -g -w 1',
    'tsvsadm -d -t 10.0.0.1:80 -r 10.0.0.3:80',
    'tsvsadm -D -u 10.0.0.9:53',
  ]);
  // Turning persistence off cannot be said with -E: the service is re-created, delete first.
  assert.deepEqual(checked(diffBatch(b, a)).slice(0, 3), [
    'tsvsadm -D -t 10.0.0.1:80',
    'tsvsadm -A -t 10.0.0.1:80 -s rr',
    'tsvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1',
  ]);
  assert.deepEqual(diffBatch(b, b), []);
});

test('IPv6 virtual servers, group ranges and DPVS options render as tsvsadm accepts them', () => {
  const c = parse([
    'virtual_server_group G {', ' 2001:db8::1-2 443', '}',
    'local_address_group L6 {', ' 2001:db8:1::10 dpdk1', '}',
    'virtual_server group G {', ' lb_algo conhash', ' hash_target sip', ' lb_kind FNAT', ' laddr_group_name L6',
    ' persistence_timeout 60', ' persistence_granularity 64', ' establish_timeout 30', ' expire_quiescent_conn',
    ' real_server 2001:db8:2::5 8443 {', ' }', '}',
  ].join('\n'));
  assert.deepEqual(checked(fullBatch(desiredState(c, initialHealth(c), new Map()))), [
    'tsvsadm -A -t [2001:db8::1]:443 -s conhash -p 60 -M 64 --conn-timeout 30 --expire-quiescent --hash-target sip',
    'tsvsadm --add-laddr -t [2001:db8::1]:443 -z 2001:db8:1::10 -F dpdk1',
    'tsvsadm -a -t [2001:db8::1]:443 -r [2001:db8:2::5]:8443 -b -w 1',
    'tsvsadm -A -t [2001:db8::2]:443 -s conhash -p 60 -M 64 --conn-timeout 30 --expire-quiescent --hash-target sip',
    'tsvsadm --add-laddr -t [2001:db8::2]:443 -z 2001:db8:1::10 -F dpdk1',
    'tsvsadm -a -t [2001:db8::2]:443 -r [2001:db8:2::5]:8443 -b -w 1',
  ]);
});

test('fwmark virtual servers (direct and in a group) become tsvsadm -f services, -6 for IPv6; edits keep them', () => {
  const text = (weight: number): string => [
    'virtual_server_group FW {', ' fwmark 7', '}',
    'virtual_server fwmark 1 {', ' lb_algo rr', ' lb_kind DR', ' persistence_timeout 300',
    ` real_server 192.168.100.2 80 {`, `  weight ${weight}`, ' }', ' real_server 192.168.100.3 {', ' }', '}',
    'virtual_server fwmark 2 {', ' ip_family inet6', ' lb_algo wrr', ' lb_kind NAT', ' real_server 2001:db8::5 80 {', ' }', '}',
    'virtual_server group FW {', ' lb_algo sh', ' real_server 10.1.0.9 8080 {', ' }', '}',
  ].join('\n');
  const c = parse(text(3));
  const before = desiredState(c, initialHealth(c), new Map());
  assert.deepEqual(checked(fullBatch(before)), [
    'tsvsadm -A -f 1 -s rr -p 300',
    'tsvsadm -a -f 1 -r 192.168.100.2:80 -g -w 3',
    // No port on the real server: 0, the client's destination port is kept (ipvsadm's fwmark rule).
    'tsvsadm -a -f 1 -r 192.168.100.3:0 -g -w 1',
    'tsvsadm -A -f 2 -6 -s wrr',
    'tsvsadm -a -f 2 -6 -r [2001:db8::5]:80 -m -w 1',
    'tsvsadm -A -f 7 -s sh',
    'tsvsadm -a -f 7 -r 10.1.0.9:8080 -m -w 1',
  ]);
  const c2 = parse(text(5));
  assert.deepEqual(checked(diffBatch(before, desiredState(c2, initialHealth(c2), new Map()))), ['tsvsadm -e -f 1 -r 192.168.100.2:80 -w 5']);
});

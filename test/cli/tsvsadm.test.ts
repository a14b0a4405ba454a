// tsvsadm (ipvsadm 1.31 + DPVS): every command and option, short/long/combined/--opt=value
// spellings, ipvsadm's defaults and port rules, and ipvsadm-style messages for bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsvsadm } from '../../src/cli/parse/tsvsadm.js';
import type { ServiceKey } from '../../src/control/commands.js';
import { ip, rejects, words } from './helpers.js';

const p = (line: string) => parseTsvsadm(words(line));
const bad = (line: string, re: RegExp) => rejects(parseTsvsadm, line, re);
const same = (a: string, b: string) => assert.deepEqual(p(a), p(b), `${a}  ==  ${b}`);

const VIP: ServiceKey = { proto: 'tcp', addr: ip('10.0.0.100'), port: 80 };
const SVC_DEFAULTS = { scheduler: 'wlc', ops: false, schedFlags: [], expireQuiescent: false, netmaskPlen: 32 };
const SVC6_DEFAULTS = { ...SVC_DEFAULTS, netmaskPlen: 128 };
const DEST_DEFAULTS = { method: 'dr', weight: 1, uThreshold: 0, lThreshold: 0, tunType: 'ipip' };
const LIST_NONE = {
  numeric: false, connection: false, stats: false, rate: false, exact: false, thresholds: false,
  persistentConn: false, timeout: false, daemon: false, nosort: false, tunInfo: false,
};

test('-A: defaults (wlc), -s, -p with and without a value, -M, -o, -b sched flags', () => {
  assert.deepEqual(p('-A -t 10.0.0.100:80'), { kind: 'service-add', svc: VIP, opts: SVC_DEFAULTS });
  assert.deepEqual(p('-A -t 10.0.0.100:80 -s rr'), { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, scheduler: 'rr' } });
  assert.deepEqual(p('-A -t 10.0.0.100:80 -s rr -p'), { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, scheduler: 'rr', persistent: 360 } });
  assert.deepEqual(p('-A -t 10.0.0.100:80 -p 600 -M 255.255.255.0'),
    { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, persistent: 600, netmaskPlen: 24 } });
  // -p takes the next word only when it is not an option
  assert.deepEqual(p('-A -t 10.0.0.100:80 -p -M 255.255.0.0'),
    { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, persistent: 360, netmaskPlen: 16 } });
  same('-A -t 10.0.0.100:80 -p600', '-A -t 10.0.0.100:80 -p 600');
  same('-A -t 10.0.0.100:80 --persistent=600', '-A -t 10.0.0.100:80 --persistent 600');
  same('-A -t 10.0.0.100:80 --persistent', '-A -t 10.0.0.100:80 -p');
  assert.deepEqual(p('-A -u 10.0.0.100:53 -s sh -o -b sh-fallback,sh-port'),
    { kind: 'service-add', svc: { ...VIP, proto: 'udp', port: 53 },
      opts: { ...SVC_DEFAULTS, scheduler: 'sh', ops: true, schedFlags: ['sh-fallback', 'sh-port'] } });
  same('-A -u 10.0.0.100:53 -s mh -b mh-port', '-A -u 10.0.0.100:53 --scheduler mh --sched-flags=mh-port');
  same('-A -t 10.0.0.100:80 -b flag-1,flag-3', '-A -t 10.0.0.100:80 --sched-flags flag-1,flag-3');
});

test('-A: persistent port-0 services and IPv6 services', () => {
  assert.deepEqual(p('-A -t 10.0.0.100:0 -p'), { kind: 'service-add', svc: { ...VIP, port: 0 }, opts: { ...SVC_DEFAULTS, persistent: 360 } });
  assert.deepEqual(p('-A -t 10.0.0.100 -p 60'), { kind: 'service-add', svc: { ...VIP, port: 0 }, opts: { ...SVC_DEFAULTS, persistent: 60 } });
  const v6 = { proto: 'tcp', addr: ip('2001::1'), port: 80 };
  assert.deepEqual(p('-A -t [2001::1]:80 -s rr'), { kind: 'service-add', svc: v6, opts: { ...SVC6_DEFAULTS, scheduler: 'rr' } });
  assert.deepEqual(p('-A -t [2001::1]:80 -p -M 64'), { kind: 'service-add', svc: v6, opts: { ...SVC6_DEFAULTS, persistent: 360, netmaskPlen: 64 } });
  // -M before -t still reads the service's family
  same('-A -M 64 -p -t [2001::1]:80', '-A -t [2001::1]:80 -p -M 64');
  assert.deepEqual(p('-A -t 2001::1 -p'), { kind: 'service-add', svc: { ...v6, port: 0 }, opts: { ...SVC6_DEFAULTS, persistent: 360 } });
  // well-known port names, as getservbyname gives ipvsadm
  same('-A -t 10.0.0.100:http', '-A -t 10.0.0.100:80');
});

test('-A: DPVS extensions --conn-timeout, --expire-quiescent, --hash-target', () => {
  assert.deepEqual(p('-A -t 10.0.0.100:80 -s rr --conn-timeout 30 --expire-quiescent'),
    { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, scheduler: 'rr', connTimeout: 30, expireQuiescent: true } });
  assert.deepEqual(p('-A -t 10.0.0.100:80 -s conhash'),
    { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, scheduler: 'conhash', hashTarget: 'sip' } });
  assert.deepEqual(p('-A -u 10.0.0.100:443 -s conhash --hash-target qid'),
    { kind: 'service-add', svc: { ...VIP, proto: 'udp', port: 443 }, opts: { ...SVC_DEFAULTS, scheduler: 'conhash', hashTarget: 'qid' } });
});

test('-E changes only what the line names', () => {
  assert.deepEqual(p('-E -t 10.0.0.100:80 -s wrr'), { kind: 'service-edit', svc: VIP, opts: { scheduler: 'wrr' } });
  assert.deepEqual(p('-E -t 10.0.0.100:80 -p 100 --expire-quiescent'),
    { kind: 'service-edit', svc: VIP, opts: { persistent: 100, expireQuiescent: true } });
  assert.deepEqual(p('-E -t 10.0.0.100:80 -b flag-2'), { kind: 'service-edit', svc: VIP, opts: { schedFlags: ['flag-2'] } });
  // without -s the scheduler is unknown here, so sh-port is left to the engine to check
  assert.deepEqual(p('-E -t 10.0.0.100:80 -b sh-port'), { kind: 'service-edit', svc: VIP, opts: { schedFlags: ['sh-port'] } });
  same('--edit-service --tcp-service 10.0.0.100:80 --scheduler wrr', '-E -t 10.0.0.100:80 -s wrr');
});

test('-D, -C, -Z, -S, -R, --set', () => {
  assert.deepEqual(p('-D -t 10.0.0.100:80'), { kind: 'service-del', svc: VIP });
  same('--delete-service --tcp-service=10.0.0.100:80', '-D -t 10.0.0.100:80');
  assert.deepEqual(p('-C'), { kind: 'clear' });
  same('--clear', '-C');
  assert.deepEqual(p('-Z'), { kind: 'zero' });
  assert.deepEqual(p('-Z -u 10.0.0.100:80'), { kind: 'zero', svc: { ...VIP, proto: 'udp' } });
  same('--zero -t 10.0.0.100:80', '-Zt 10.0.0.100:80');
  assert.deepEqual(p('-S'), { kind: 'save', numeric: false });
  assert.deepEqual(p('-S -n'), { kind: 'save', numeric: true });
  same('--save --numeric', '-Sn');
  assert.deepEqual(p('-R'), { kind: 'restore' });
  same('--restore', '-R');
  assert.deepEqual(p('--set 900 120 300'), { kind: 'set-timeouts', tcp: 900, tcpfin: 120, udp: 300 });
  assert.deepEqual(p('--set 0 0 60'), { kind: 'set-timeouts', tcp: 0, tcpfin: 0, udp: 60 });
});

test('-L/-l and its options; no arguments at all lists', () => {
  assert.deepEqual(p('-L'), { kind: 'list', opts: LIST_NONE });
  assert.deepEqual(parseTsvsadm([]), { kind: 'list', opts: LIST_NONE });
  assert.deepEqual(p('-Ln'), { kind: 'list', opts: { ...LIST_NONE, numeric: true } });
  same('-Ln', '-L -n');
  same('-Ln', '-l -n');
  same('-Ln', '--list --numeric');
  assert.deepEqual(p('-lnc'), { kind: 'list', opts: { ...LIST_NONE, numeric: true, connection: true } });
  same('-lnc', '-L -n -c');
  same('-lnc', '--list --numeric --connection');
  assert.deepEqual(p('-L -n --stats --exact'), { kind: 'list', opts: { ...LIST_NONE, numeric: true, stats: true, exact: true } });
  same('-L -n --exact', '-L -n -X');
  assert.deepEqual(p('-L --rate --thresholds --persistent-conn --nosort --tun-info --sort'),
    { kind: 'list', opts: { ...LIST_NONE, rate: true, thresholds: true, persistentConn: true, nosort: true, tunInfo: true } });
  assert.deepEqual(p('-L --timeout'), { kind: 'list', opts: { ...LIST_NONE, timeout: true } });
  assert.deepEqual(p('-L --daemon'), { kind: 'list', opts: { ...LIST_NONE, daemon: true } });
  assert.deepEqual(p('-Ln -t 10.0.0.100:80'), { kind: 'list', svc: VIP, opts: { ...LIST_NONE, numeric: true } });
  assert.deepEqual(p('-L -c --persistent-conn'), { kind: 'list', opts: { ...LIST_NONE, connection: true, persistentConn: true } });
});

test('-a: DR by default, service port for servers without one, -w -x -y', () => {
  const dest = (addr: string, port: number, opts: object) => ({ kind: 'dest-add', svc: VIP, addr: ip(addr), port, opts });
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2'), dest('192.168.100.2', 80, DEST_DEFAULTS));
  same('-a -t 10.0.0.100:80 -r 192.168.100.2 -g', '-a -t 10.0.0.100:80 -r 192.168.100.2');
  same('--add-server --tcp-service 10.0.0.100:80 --real-server 192.168.100.2 --gatewaying', '-a -t 10.0.0.100:80 -r 192.168.100.2');
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2:8080 -m -w 3 -x 1000 -y 500'),
    dest('192.168.100.2', 8080, { ...DEST_DEFAULTS, method: 'nat', weight: 3, uThreshold: 1000, lThreshold: 500 }));
  same('-a -t 10.0.0.100:80 -r 192.168.100.2:8080 --masquerading --weight=3 --u-threshold 1000 --l-threshold=500',
    '-a -t 10.0.0.100:80 -r 192.168.100.2:8080 -m -w 3 -x 1000 -y 500');
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2 -m'), dest('192.168.100.2', 80, { ...DEST_DEFAULTS, method: 'nat' }));
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2 -w 0'), dest('192.168.100.2', 80, { ...DEST_DEFAULTS, weight: 0 }));
  // DR and tunnel cannot change the port: ipvsadm puts the service's port back
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2:8080 -g'), dest('192.168.100.2', 80, DEST_DEFAULTS));
  // -r before -t is read the same way
  same('-a -r 192.168.100.2 -t 10.0.0.100:80 -m', '-a -t 10.0.0.100:80 -r 192.168.100.2:80 -m');
});

test('-a on persistent port-0 services keeps port 0 unless NAT names one', () => {
  const svc0 = { ...VIP, port: 0 };
  assert.deepEqual(p('-a -t 10.0.0.100:0 -r 192.168.100.2'),
    { kind: 'dest-add', svc: svc0, addr: ip('192.168.100.2'), port: 0, opts: DEST_DEFAULTS });
  assert.deepEqual(p('-a -t 10.0.0.100:0 -r 192.168.100.2:8080 -m'),
    { kind: 'dest-add', svc: svc0, addr: ip('192.168.100.2'), port: 8080, opts: { ...DEST_DEFAULTS, method: 'nat' } });
});

test('-b means --fullnat on servers (DPVS) and --sched-flags on services (ipvsadm 1.31)', () => {
  assert.deepEqual(p('-a -t 10.0.0.100:80 -r 192.168.100.2 -b'),
    { kind: 'dest-add', svc: VIP, addr: ip('192.168.100.2'), port: 80, opts: { ...DEST_DEFAULTS, method: 'fnat' } });
  same('-a -t 10.0.0.100:80 -r 192.168.100.2 --fullnat', '-a -t 10.0.0.100:80 -r 192.168.100.2 -b');
  same('-ab -t 10.0.0.100:80 -r 192.168.100.2', '-a -t 10.0.0.100:80 -r 192.168.100.2 -b');
  // FullNAT keeps a written port and may cross families (NAT64)
  assert.deepEqual(p('-a -t [2001::1]:80 -r 192.168.100.2:8080 -b'),
    { kind: 'dest-add', svc: { proto: 'tcp', addr: ip('2001::1'), port: 80 }, addr: ip('192.168.100.2'), port: 8080,
      opts: { ...DEST_DEFAULTS, method: 'fnat' } });
  assert.deepEqual(p('-A -t 10.0.0.100:80 -b flag-1'), { kind: 'service-add', svc: VIP, opts: { ...SVC_DEFAULTS, schedFlags: ['flag-1'] } });
});

test('-i with --tun-type ipip, gue and gre and their checksum options', () => {
  const tun = (line: string) => (p(line) as { opts: object }).opts;
  assert.deepEqual(tun('-a -t 10.0.0.100:80 -r 10.40.84.170 -i'), { ...DEST_DEFAULTS, method: 'tunnel' });
  assert.deepEqual(tun('-a -t 10.0.0.100:80 -r 10.40.84.170 -i --tun-type ipip'), { ...DEST_DEFAULTS, method: 'tunnel' });
  assert.deepEqual(tun('-a -t 10.0.0.100:80 -r 10.40.84.170 -i --tun-type gue --tun-port 6080'),
    { ...DEST_DEFAULTS, method: 'tunnel', tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' });
  assert.deepEqual(tun('-a -t 10.0.0.100:80 -r 10.40.84.170 -i --tun-type=gue --tun-port=6080 --tun-remcsum'),
    { ...DEST_DEFAULTS, method: 'tunnel', tunType: 'gue', tunPort: 6080, tunCsum: 'remcsum' });
  assert.deepEqual(tun('-a -t 10.0.0.100:80 -r 10.40.84.170 -i --tun-type gre --tun-csum'),
    { ...DEST_DEFAULTS, method: 'tunnel', tunType: 'gre', tunCsum: 'csum' });
  same('-a -t 10.0.0.100:80 -r 10.40.84.170 --ipip', '-a -t 10.0.0.100:80 -r 10.40.84.170 -i');
  // tunnels may cross families, and keep the service port
  assert.deepEqual(p('-a -t [2001::1]:80 -r 10.40.84.170:99 -i'),
    { kind: 'dest-add', svc: { proto: 'tcp', addr: ip('2001::1'), port: 80 }, addr: ip('10.40.84.170'), port: 80,
      opts: { ...DEST_DEFAULTS, method: 'tunnel' } });
});

test('-e changes only what the line names; -d', () => {
  assert.deepEqual(p('-e -t 10.0.0.100:80 -r 192.168.100.2 -w 0'),
    { kind: 'dest-edit', svc: VIP, addr: ip('192.168.100.2'), port: 80, opts: { weight: 0 } });
  assert.deepEqual(p('-e -t 10.0.0.100:80 -r 192.168.100.2:8080 -m -x 10'),
    { kind: 'dest-edit', svc: VIP, addr: ip('192.168.100.2'), port: 8080, opts: { method: 'nat', uThreshold: 10 } });
  assert.deepEqual(p('-e -t 10.0.0.100:80 -r 192.168.100.2 -b -w 5'),
    { kind: 'dest-edit', svc: VIP, addr: ip('192.168.100.2'), port: 80, opts: { method: 'fnat', weight: 5 } });
  assert.deepEqual(p('-e -t 10.0.0.100:80 -r 192.168.100.2 -i --tun-type gre'),
    { kind: 'dest-edit', svc: VIP, addr: ip('192.168.100.2'), port: 80, opts: { method: 'tunnel', tunType: 'gre', tunCsum: 'nocsum' } });
  same('--edit-server -t 10.0.0.100:80 -r 192.168.100.2 --weight 0', '-e -t 10.0.0.100:80 -r 192.168.100.2 -w 0');
  assert.deepEqual(p('-d -t 10.0.0.100:80 -r 192.168.100.2'), { kind: 'dest-del', svc: VIP, addr: ip('192.168.100.2'), port: 80 });
  assert.deepEqual(p('-d -t 10.0.0.100:80 -r 192.168.100.2:8080'), { kind: 'dest-del', svc: VIP, addr: ip('192.168.100.2'), port: 8080 });
  same('--delete-server --tcp-service 10.0.0.100:80 --real-server 192.168.100.2', '-d -t 10.0.0.100:80 -r 192.168.100.2');
});

test('DPVS local addresses: --add-laddr/-P, --del-laddr/-Q, --get-laddr/-G', () => {
  const l = { svc: VIP, addr: ip('192.168.100.200'), dev: 'dpdk0' };
  assert.deepEqual(p('--add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0'), { kind: 'laddr-add', ...l });
  same('-Pt 10.0.0.100:80 -z 192.168.100.200 -F dpdk0', '--add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0');
  same('-P -t 10.0.0.100:80 --laddr=192.168.100.200 --ifname=dpdk0', '-P -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0');
  assert.deepEqual(p('--del-laddr -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0'), { kind: 'laddr-del', ...l });
  same('-Qt 10.0.0.100:80 -z 192.168.100.200 -F dpdk0', '--del-laddr -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0');
  assert.deepEqual(p('-P -t [2001::1]:80 -z 192.168.100.200 -F dpdk0'),
    { kind: 'laddr-add', svc: { proto: 'tcp', addr: ip('2001::1'), port: 80 }, addr: ip('192.168.100.200'), dev: 'dpdk0' });
  assert.deepEqual(p('-P -t 10.0.0.100:80 -z [2001::9] -F dpdk0'),
    { kind: 'laddr-add', svc: VIP, addr: ip('2001::9'), dev: 'dpdk0' });
  assert.deepEqual(p('-G'), { kind: 'laddr-list' });
  assert.deepEqual(p('-G -t 10.0.0.100:80'), { kind: 'laddr-list', svc: VIP });
  same('--get-laddr -t 10.0.0.100:80', '-Gt 10.0.0.100:80');
});

test('bad input: commands and option placement', () => {
  bad('-t 10.0.0.100:80 -A', /command .* must come first, before -t/);
  bad('-A -a -t 10.0.0.100:80', /multiple commands specified/);
  bad('-A -t 10.0.0.100:80 -t 10.0.0.100:81', /multiple 'service-address' options specified/);
  bad('-A -t 10.0.0.100:80 -u 10.0.0.100:80', /multiple 'service-address' options specified/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -g -m', /multiple 'forwarding-method' options specified/);
  bad('-A -s rr', /You need to supply the 'service-address' option for the 'add-service' command/);
  bad('-a -t 10.0.0.100:80', /You need to supply the 'real-server' option for the 'add-server' command/);
  bad('-P -t 10.0.0.100:80 -z 192.168.100.200', /You need to supply the 'ifname' option for the 'add-laddr' command/);
  bad('-A -t 10.0.0.100:80 -w 3', /Illegal 'weight' option with the 'add-service' command/);
  bad('-D -t 10.0.0.100:80 -s rr', /Illegal 'scheduler' option with the 'delete-service' command/);
  bad('-C -n', /Illegal 'numeric' option with the 'flush' command/);
  bad('-d -t 10.0.0.100:80 -r 192.168.100.2 -m', /Illegal 'forwarding-method' option with the 'delete-server' command/);
  bad('-L -c -t 10.0.0.100:80', /The option 'service-address' conflicts with the 'connection' option in the 'list' command/);
  bad('-L -c --stats', /options conflicts in the list command/);
  bad('-L --timeout --persistent-conn', /options conflicts in the list command/);
  bad('-A -t 10.0.0.100:80 --frobnicate', /invalid option '--frobnicate'/);
  bad('-A -t 10.0.0.100:80 -K', /invalid option '-K'/);
  bad('-A -t 10.0.0.100:80 --ops=yes', /option --ops does not take a value/);
  bad('-A -t', /option -t requires a value/);
  bad('-A -t 10.0.0.100:80 extra', /unexpected argument extra/);
  bad('--set 1 2', /--set option requires 3 timeout values/);
  bad('--set 1 2 3 4', /unexpected argument 4/);
  bad('10.0.0.100', /no command given/);
});

test('bad input: addresses and values', () => {
  bad('-A -t www.example.com:80', /does not resolve host names/);
  bad('-A -t 10.0.0.300:80', /illegal virtual server address\[:port\] specified/);
  bad('-A -t 10.0.0.100:70000', /port '70000' is not 0..65535/);
  bad('-A -t 10.0.0.100:', /port '' is not/);
  bad('-A -t [2001::1:80', /missing '\]'/);
  bad('-A -t [2001::1]80', /illegal virtual server/);
  bad('-a -t 10.0.0.100:80 -r nope', /illegal real server address/);
  bad('-A -t 10.0.0.100:80 -s fastest', /illegal scheduler 'fastest' specified/);
  bad('-A -t 10.0.0.100:80 -p 0', /invalid timeout value '0' specified/);
  bad('-A -t 10.0.0.100:80 -p 9999999', /invalid timeout value/);
  bad('-A -t 10.0.0.100:0', /Zero port specified for non-persistent service/);
  bad('-A -t 10.0.0.100:80 -M 24', /illegal virtual server persistent mask specified: '24'/);
  bad('-A -t 10.0.0.100:80 -M 255.0.255.0', /illegal virtual server persistent mask/);
  bad('-A -t [2001::1]:80 -M 129', /illegal ipv6 netmask specified/);
  bad('-A -t [2001::1]:80 -M 255.255.255.0', /illegal ipv6 netmask specified/);
  bad('-A -t 10.0.0.100:80 -o', /One-Packet Scheduling is only for UDP virtual services/);
  bad('-A -t 10.0.0.100:80 -b sh-port', /incompatible scheduler flag 'sh-port'.*not wlc/);
  bad('-A -t 10.0.0.100:80 -s sh -b mh-port', /incompatible scheduler flag 'mh-port'/);
  bad('-A -t 10.0.0.100:80 -b sh-sideways', /invalid scheduler flag 'sh-sideways'/);
  bad('-A -t 10.0.0.100:80 -b', /option -b requires a value/);
  bad('-A -t 10.0.0.100:80 --hash-target sip', /hash target can only be set when schedule is conhash/);
  bad('-A -t 10.0.0.100:80 -s conhash --hash-target qid', /qid hash can only be set in udp service/);
  bad('-A -u 10.0.0.100:80 -s conhash --hash-target dip', /hash target 'dip' not supported/);
  bad('-A -t 10.0.0.100:80 --conn-timeout 31536000', /conn-timeout 31536000 is out of range/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -w 65536', /illegal weight specified: '65536'/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -w -1', /illegal weight specified: '-1'/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -x lots', /illegal u_threshold specified/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -y 70000', /illegal l_threshold specified/);
  bad('-a -t 10.0.0.100:80 -r 2001::2 -m', /Different address family is allowed only for tunneling and FullNAT servers/);
  bad('-a -t 10.0.0.100:80 -r 2001::2', /Different address family/);
  bad('-P -t 10.0.0.100:80 -z 192.168.100.200:99 -F dpdk0', /-z takes an address without a port/);
  bad('-P -t 10.0.0.100:80 -z 192.168.100.200 -F bad/name', /invalid interface name/);
  bad('--set 900 120 forever', /invalid timeout value 'forever'/);
});

test('bad input: tunnel options follow ipvsadm\'s tunnel table', () => {
  const r = '-a -t 10.0.0.100:80 -r 10.40.84.170';
  bad(`${r} --tun-type gue`, /need -i|conflict with forward method/);
  bad(`${r} -m --tun-csum`, /Tunnel options conflict with forward method/);
  bad(`${r} -i --tun-type vxlan`, /illegal tunnel type specified: 'vxlan'/);
  bad(`${r} -i --tun-type gue`, /You need to supply the 'tun-port' option for the 'gue' tunnel type/);
  bad(`${r} -i --tun-port 6080`, /Illegal 'tun-port' option with the 'ipip' tunnel type/);
  bad(`${r} -i --tun-csum`, /Illegal 'tun-csum' option with the 'ipip' tunnel type/);
  bad(`${r} -i --tun-type gre --tun-port 6080`, /Illegal 'tun-port' option with the 'gre' tunnel type/);
  bad(`${r} -i --tun-type gre --tun-remcsum`, /Illegal 'tun-remcsum' option with the 'gre' tunnel type/);
  bad(`${r} -i --tun-type gue --tun-port 6080 --tun-nocsum --tun-csum`,
    /The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type/);
  bad(`${r} -i --tun-type gue --tun-port 0`, /illegal tunnel port specified/);
});

test('bad input: what ipvsadm/DPVS has and tsvs refuses says so', () => {
  bad('-A --sctp-service 10.0.0.100:80', /SCTP services are not supported/);
  bad('-A -q 10.0.0.100:0', /ICMP services are not supported/);
  bad('-A -t 10.0.0.100:80 --pe sip', /persistence engines/);
  bad('-A -t 10.0.0.100:80 -j enable', /SYN proxy/);
  bad('-a -t 10.0.0.100:80 -r 192.168.100.2 -J', /SNAT forwarding/);
  bad('-A -H proto=tcp', /SNAT match services/);
  bad('-U -t 10.0.0.100:80 -k 1.1.1.1', /blacklists are not supported/);
  bad('-O -t 10.0.0.100:80 -2 1.1.1.1', /whitelists are not supported/);
  bad('--start-daemon master', /sync daemons are not supported/);
  bad('-A -t 10.0.0.100:80 --proxy-protocol v2', /PROXY protocol/);
  bad('-L --cpu 1', /--cpu is not supported/);
  bad('-h', /not a configuration command/);
  bad('-A -t 10.0.0.100:80 -6', /-6 is for fwmark services \(-f MARK -6\)/);
});

test('-f: fwmark services (ipvsadm -f MARK [-6]) in every service command', () => {
  const F1: ServiceKey = { fwmark: 1, af: 4 };
  const F2v6: ServiceKey = { fwmark: 2, af: 6 };
  // No port, no "Zero port for non-persistent service"; -6 makes it IPv6 (mask 128), wherever it stands.
  assert.deepEqual(p('-A -f 1 -s wrr'), { kind: 'service-add', svc: F1, opts: { ...SVC_DEFAULTS, scheduler: 'wrr' } });
  assert.deepEqual(p('-A -f 2 -6 -s rr'), { kind: 'service-add', svc: F2v6, opts: { ...SVC6_DEFAULTS, scheduler: 'rr' } });
  same('-A -6 -f 2 -s rr', '-A --fwmark-service=2 --ipv6 -s rr');
  assert.deepEqual(p('-A -f 4294967295 -p 60 -M 255.255.255.0 -o'),
    { kind: 'service-add', svc: { fwmark: 4294967295, af: 4 }, opts: { ...SVC_DEFAULTS, persistent: 60, netmaskPlen: 24, ops: true } });
  assert.deepEqual(p('-A -f 2 -6 -p -M 64'), { kind: 'service-add', svc: F2v6, opts: { ...SVC6_DEFAULTS, persistent: 360, netmaskPlen: 64 } });
  assert.deepEqual(p('-E -f 1 -s rr'), { kind: 'service-edit', svc: F1, opts: { scheduler: 'rr' } });
  assert.deepEqual(p('-D -f 2 -6'), { kind: 'service-del', svc: F2v6 });
  // Real servers: the port written, else 0 (the kernel then keeps the client's destination port),
  // also for DR and tunnel, which ipvsadm leaves alone on fwmark services.
  assert.deepEqual(p('-a -f 1 -r 192.168.100.2 -g'),
    { kind: 'dest-add', svc: F1, addr: ip('192.168.100.2'), port: 0, opts: DEST_DEFAULTS });
  assert.deepEqual(p('-a -f 1 -r 192.168.100.2:8080 -m -w 3'),
    { kind: 'dest-add', svc: F1, addr: ip('192.168.100.2'), port: 8080, opts: { ...DEST_DEFAULTS, method: 'nat', weight: 3 } });
  assert.deepEqual(p('-a -f 1 -r 192.168.100.2:80 -g'),
    { kind: 'dest-add', svc: F1, addr: ip('192.168.100.2'), port: 80, opts: DEST_DEFAULTS });
  assert.deepEqual(p('-e -f 2 -6 -r [2001:db8::2]:80 -w 0'),
    { kind: 'dest-edit', svc: F2v6, addr: ip('2001:db8::2'), port: 80, opts: { weight: 0 } });
  assert.deepEqual(p('-d -f 2 -6 -r [2001:db8::2]'), { kind: 'dest-del', svc: F2v6, addr: ip('2001:db8::2'), port: 0 });
  assert.deepEqual(p('-L -n -f 1'), { kind: 'list', svc: F1, opts: { ...LIST_NONE, numeric: true } });
  assert.deepEqual(p('-Z -f 2 -6'), { kind: 'zero', svc: F2v6 });
  assert.deepEqual(p('-P -f 1 -z 192.168.100.200 -F dpdk1'), { kind: 'laddr-add', svc: F1, addr: ip('192.168.100.200'), dev: 'dpdk1' });
  assert.deepEqual(p('-G -f 1'), { kind: 'laddr-list', svc: F1 });
});

test('-f: bad marks, ports, mixing with -t/-u, -6 without -f, options a mark cannot take', () => {
  bad('-A -f 0 -s rr', /invalid fwmark value '0' specified \(expected 1..4294967295\)/);
  bad('-A -f 4294967296', /invalid fwmark value '4294967296' specified/);
  bad('-A -f -1', /invalid fwmark value '-1' specified/);
  bad('-A -f 1:80', /invalid fwmark value '1:80' specified/);
  bad('-A -f 0x10', /invalid fwmark value '0x10' specified/);
  bad('-A -f 1 -t 10.0.0.100:80', /multiple 'service-address' options specified/);
  bad('-a -u 10.0.0.100:53 -f 1 -r 192.168.100.2', /multiple 'service-address' options specified/);
  bad('-L -6', /-6 is for fwmark services/);
  bad('-A -u [2001:db8::1]:53 -6', /-6 is for fwmark services/);
  bad('-A -f 1 -6 -M 255.255.255.0', /illegal ipv6 netmask specified/);
  bad('-A -f 1 -M 64', /illegal virtual server persistent mask specified/);
  bad('-A -f 1 -s conhash --hash-target qid', /qid hash can only be set in udp service/);
  bad('-a -f 1 -r [2001:db8::2]:80 -m', /Different address family is allowed only for tunneling and FullNAT servers/);
});

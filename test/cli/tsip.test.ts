// tsip (dpip syntax): every link/addr/route/neigh form, families from -4/-6 or the address,
// dpip's option placement, and a clear message for each kind of bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsip } from '../../src/cli/parse/tsip.js';
import { ip, mac, rejects, words } from './helpers.js';

const p = (line: string) => parseTsip(words(line));
const bad = (line: string, re: RegExp) => rejects(parseTsip, line, re);

test('link add declares a port with its MAC, MTU defaulting to 1500', () => {
  assert.deepEqual(p('link add dpdk0 lladdr 02:00:00:00:00:01'),
    { kind: 'link-add', name: 'dpdk0', mac: mac('02:00:00:00:00:01'), mtu: 1500 });
  assert.deepEqual(p('link add dpdk1 lladdr 02:00:00:00:00:02 mtu 9000'),
    { kind: 'link-add', name: 'dpdk1', mac: mac('02:00:00:00:00:02'), mtu: 9000 });
});

test('link set: mtu, lladdr, up, down; dpip and iproute2 spellings', () => {
  assert.deepEqual(p('link set dpdk0 mtu 1400'), { kind: 'link-set', name: 'dpdk0', mtu: 1400 });
  assert.deepEqual(p('link set dpdk0 lladdr 02:00:00:00:00:09'), { kind: 'link-set', name: 'dpdk0', mac: mac('02:00:00:00:00:09') });
  assert.deepEqual(p('link set dpdk0 up'), { kind: 'link-set', name: 'dpdk0', up: true });
  assert.deepEqual(p('link set dpdk0 down'), { kind: 'link-set', name: 'dpdk0', up: false });
  assert.deepEqual(p('link set dpdk0 link down'), p('link set dpdk0 down'));
  assert.deepEqual(p('link set dpdk0 addr 02:00:00:00:00:09'), p('link set dpdk0 lladdr 02:00:00:00:00:09'));
  assert.deepEqual(p('link set dev dpdk0 mtu 1400 up'), { kind: 'link-set', name: 'dpdk0', mtu: 1400, up: true });
  assert.deepEqual(p('link change dpdk0 up'), p('link set dpdk0 up'));
});

test('link show [-s] [DEV], with -s anywhere on the line', () => {
  assert.deepEqual(p('link show'), { kind: 'link-show', stats: false });
  assert.deepEqual(p('link list dpdk0'), { kind: 'link-show', name: 'dpdk0', stats: false });
  assert.deepEqual(p('-s link show dpdk0'), { kind: 'link-show', name: 'dpdk0', stats: true });
  assert.deepEqual(p('link show dpdk0 -s'), p('-s link show dpdk0'));
  assert.deepEqual(p('link show dpdk0 -i 1 -C -s'), p('-s link show dpdk0'));
  assert.deepEqual(p('--stats link show'), { kind: 'link-show', stats: true });
  assert.deepEqual(p('-s -v link show dpdk0'), { kind: 'link-show', name: 'dpdk0', stats: true, verbose: true });
  assert.deepEqual(p('link show --verbose'), { kind: 'link-show', stats: false, verbose: true });
});

test('addr add: IFADDR with and without PLEN, scope, sapool, lifetimes, broadcast', () => {
  assert.deepEqual(p('addr add 10.0.0.100/32 dev dpdk1'),
    { kind: 'addr-add', addr: ip('10.0.0.100'), plen: 32, dev: 'dpdk1', sapool: false, scope: 'global' });
  assert.deepEqual(p('addr add 10.140.16.48 dev dpdk0'),
    { kind: 'addr-add', addr: ip('10.140.16.48'), plen: 32, dev: 'dpdk0', sapool: false, scope: 'global' });
  assert.deepEqual(p('addr add 2001:db8::1 dev dpdk0'),
    { kind: 'addr-add', addr: ip('2001:db8::1'), plen: 128, dev: 'dpdk0', sapool: false, scope: 'global' });
  assert.deepEqual(
    p('addr add 192.168.100.200/24 dev dpdk0 scope link sapool valid_lft 600 preferred_lft forever broadcast 192.168.100.255'),
    { kind: 'addr-add', addr: ip('192.168.100.200'), plen: 24, dev: 'dpdk0', sapool: true, scope: 'link',
      validLft: 600, broadcast: ip('192.168.100.255') });
  // DPVS's own spelling, and the kernel's scope numbers
  assert.equal((p('addr add 1.1.1.1 dev d0 prefered_lft 30') as { preferredLft: number }).preferredLft, 30);
  assert.equal((p('addr add 1.1.1.1 dev d0 scope 254') as { scope: string }).scope, 'host');
  assert.equal((p('addr add 1.1.1.1 dev d0 scope host') as { scope: string }).scope, 'host');
});

test('addr del, flush and show', () => {
  assert.deepEqual(p('addr del 10.0.0.100/32 dev dpdk1'), { kind: 'addr-del', addr: ip('10.0.0.100'), plen: 32, dev: 'dpdk1' });
  assert.deepEqual(p('addr flush dev dpdk0'), { kind: 'addr-flush', dev: 'dpdk0' });
  assert.deepEqual(p('-6 addr flush dev dpdk0'), { kind: 'addr-flush', dev: 'dpdk0', af: 6 });
  assert.deepEqual(p('addr show'), { kind: 'addr-show', stats: false });
  assert.deepEqual(p('-6 addr show dev dpdk0 -s'), { kind: 'addr-show', af: 6, dev: 'dpdk0', stats: true });
});

test('route add/del: PREFIX forms, via, dev, scope, mtu, src, metric; proto and onlink accepted', () => {
  assert.deepEqual(p('route add 10.0.0.0/16 dev dpdk1'),
    { kind: 'route-add', route: { prefix: ip('10.0.0.0'), plen: 16, dev: 'dpdk1', metric: 0 } });
  assert.deepEqual(p('route add default via 10.140.31.254 src 10.140.16.48 dev dpdk0'),
    { kind: 'route-add', route: { prefix: ip('0.0.0.0'), plen: 0, via: ip('10.140.31.254'), src: ip('10.140.16.48'), dev: 'dpdk0', metric: 0 } });
  assert.deepEqual(p('route add 192.168.100.28 scope kni_host dev dpdk0'),
    { kind: 'route-add', route: { prefix: ip('192.168.100.28'), plen: 32, dev: 'dpdk0', scope: 'kni_host', metric: 0 } });
  assert.deepEqual(p('route add 172.0.0.0/16 via 172.0.0.3 dev dpdk0 mtu 1400 metric 5 scope global proto static onlink'),
    { kind: 'route-add', route: { prefix: ip('172.0.0.0'), plen: 16, via: ip('172.0.0.3'), dev: 'dpdk0', scope: 'global', metric: 5, mtu: 1400 } });
  assert.deepEqual(p('route del 172.0.0.0/16'), { kind: 'route-del', route: { prefix: ip('172.0.0.0'), plen: 16, metric: 0 } });
  // host bits are cleared: the route matches the network, as DPVS's lookups do
  assert.deepEqual(p('route add 10.0.0.5/16 dev dpdk1'), p('route add 10.0.0.0/16 dev dpdk1'));
});

test('route family: -6, IPv6 prefixes, and default taking its family from the gateway', () => {
  const v6 = { kind: 'route-add', route: { prefix: ip('::'), plen: 0, via: ip('2001:db8:1::1'), dev: 'dpdk0', metric: 0 } };
  assert.deepEqual(p('-6 route add default via 2001:db8:1::1 dev dpdk0'), v6);
  assert.deepEqual(p('route add default via 2001:db8:1::1 dev dpdk0'), v6);
  assert.deepEqual(p('route -6 add default via 2001:db8:1::1 dev dpdk0'), v6);
  assert.deepEqual(p('--family=inet6 route add default via 2001:db8:1::1 dev dpdk0'), v6);
  assert.deepEqual(p('-f inet6 route add default via 2001:db8:1::1 dev dpdk0'), v6);
  assert.deepEqual(p('-6 route add 2001:db8:1::/64 via 2001:db8:1::1 dev dpdk0'),
    { kind: 'route-add', route: { prefix: ip('2001:db8:1::'), plen: 64, via: ip('2001:db8:1::1'), dev: 'dpdk0', metric: 0 } });
  assert.deepEqual(p('-6 route add ffe1::/128 dev dpdk0'), p('route add ffe1:: dev dpdk0'));
  assert.deepEqual(p('-4 route add default via 10.0.0.1'), p('route add default via 10.0.0.1'));
});

test('route flush and show', () => {
  assert.deepEqual(p('route flush'), { kind: 'route-flush' });
  assert.deepEqual(p('route flush dev dpdk0'), { kind: 'route-flush', dev: 'dpdk0' });
  assert.deepEqual(p('-6 route flush dev dpdk0'), { kind: 'route-flush', af: 6, dev: 'dpdk0' });
  assert.deepEqual(p('route show'), { kind: 'route-show' });
  assert.deepEqual(p('route -6 show'), { kind: 'route-show', af: 6 });
  assert.deepEqual(p('route list'), p('route show'));
});

test('neigh add/del/show', () => {
  assert.deepEqual(p('neigh add 192.168.100.2 lladdr 02:00:00:00:01:02 dev dpdk0'),
    { kind: 'neigh-add', addr: ip('192.168.100.2'), mac: mac('02:00:00:00:01:02'), dev: 'dpdk0' });
  assert.deepEqual(p('neigh add 2001:db8::2 lladdr 02:00:00:00:01:02 dev dpdk0'),
    { kind: 'neigh-add', addr: ip('2001:db8::2'), mac: mac('02:00:00:00:01:02'), dev: 'dpdk0' });
  assert.deepEqual(p('neigh del 192.168.100.2 lladdr 02:00:00:00:01:02 dev dpdk0'),
    { kind: 'neigh-del', addr: ip('192.168.100.2'), dev: 'dpdk0' });
  assert.deepEqual(p('neigh del 192.168.100.2 dev dpdk0'), { kind: 'neigh-del', addr: ip('192.168.100.2'), dev: 'dpdk0' });
  assert.deepEqual(p('neigh show'), { kind: 'neigh-show' });
  assert.deepEqual(p('-6 neigh show dev dpdk0'), { kind: 'neigh-show', af: 6, dev: 'dpdk0' });
});

test('bad input: structure', () => {
  bad('', /missing object/);
  bad('addr', /missing command/);
  bad('vlan add foo', /invalid object 'vlan'/);
  bad('addr replace 1.1.1.1 dev d0', /no command 'replace'/);
  bad('route set 1.0.0.0/8 via 2.2.2.2', /no command 'set'/);
  bad('link del dpdk0', /no command 'del'/);
  bad('-x addr show', /invalid option '-x'/);
  bad('--family=ipx addr show', /invalid family 'ipx'/);
  bad('-h addr show', /not a configuration command/);
});

test('bad input: addresses, prefixes and families', () => {
  bad('addr add 10.0.0.300/24 dev d0', /invalid address '10.0.0.300'/);
  bad('addr add 10.0.0.1/33 dev d0', /prefix length .* out of range 0..32/);
  bad('addr add 10.0.0.1/2x dev d0', /invalid prefix length/);
  bad('-6 addr add 10.0.0.1 dev d0', /'10.0.0.1' is IPv4 but this command is IPv6/);
  bad('route add 10.0.0.0/8 via 2001::1', /gateway '2001::1' is IPv6 but this command is IPv4/);
  bad('route add default via 10.0.0.1 src 2001::1', /source address '2001::1' is IPv6/);
  bad('addr add 1.1.1.1 2.2.2.2 dev d0', /unexpected argument '2.2.2.2'/);
  bad('route add 1.0.0.0/8 2.0.0.0/8', /unexpected argument/);
  bad('neigh add 1.1.1.1 lladdr 02:00:00:00:00:0g dev d0', /invalid link layer address/);
  bad('neigh add fe80::zz lladdr 02:00:00:00:00:01 dev d0', /invalid neighbour address/);
});

test('bad input: missing pieces and bad values', () => {
  bad('addr add dev d0', /invalid address 'dev'|missing IFADDR/);
  bad('addr add 1.1.1.1', /no device specified/);
  bad('addr add 1.1.1.1 dev', /missing value after 'dev'/);
  bad('addr flush', /no device specified/);
  bad('addr add 1.1.1.1 dev d0 scope planet', /invalid scope 'planet'/);
  bad('addr add 1.1.1.1 dev d0 scope kni_host', /invalid scope 'kni_host'/);
  bad('addr add 1.1.1.1 dev d0 valid_lft soon', /invalid valid_lft 'soon'/);
  bad('addr add 1.1.1.1 dev d0 dev d1', /'dev' given twice/);
  bad('addr add 1.1.1.1 dev dpdk0/1', /invalid interface name/);
  bad('route add', /missing prefix/);
  bad('route add 1.0.0.0/8 mtu 20', /mtu 20 is out of range 68..65535/);
  bad('route add 1.0.0.0/8 metric x1', /invalid metric 'x1'/);
  bad('route add 1.0.0.0/8 metric -1', /invalid option '-1'/); // dpip's getopt reads it as an option too
  bad('route flush via 1.1.1.1', /unexpected argument 'via'/);
  bad('neigh add 1.1.1.1 dev d0', /missing 'lladdr MAC'/);
  bad('neigh add 1.1.1.1 lladdr 02:00:00:00:00:01', /no device specified/);
  bad('neigh del lladdr 02:00:00:00:00:01 dev d0', /missing ip address/);
  bad('neigh show 1.1.1.1', /takes only \[dev DEV\]/);
  bad('link add dpdk0', /needs 'lladdr MAC'/);
  bad('link add dpdk0 lladdr 02:00:00:00:00:01 up', /belong to tsip link set/);
  bad('link set dpdk0', /nothing to set/);
  bad('link set dpdk0 mtu big', /invalid mtu 'big'/);
  bad('link set dpdk0 link sideways', /invalid link state 'sideways'/);
  bad('link set', /missing device name/);
  bad('link show dpdk0 dpdk1', /unexpected argument 'dpdk1'/);
});

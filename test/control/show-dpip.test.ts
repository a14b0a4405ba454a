// Golden output of tsip's show commands in dpip's format over a daemon with 2 workers: addresses
// (with sapool use), routes (v4 and v6), per-worker neighbours, ports and per-worker counters.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DROP_REASON_NAMES } from '../../src/packet/drop-reason.js';
import { type Harness, configure, output, startDaemon } from './harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

describe('tsip show (golden, daemon with 2 workers)', () => {
  let h: Harness;
  const out = (line: string): Promise<string> => output(h, line);
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'tcp' }) + `tsip route add 172.16.0.0/16 via 192.168.100.3 dev dpdk0 metric 5
tsip -6 route add 2001:db8::/64 dev dpdk1 mtu 1400
`);
    // One SYN on worker 1: 54 bytes in on dpdk1; FullNAT sends it on dpdk0 (54 bytes, as -s shows).
    h.rings.inject(1, 1, fromClient(V4).tcp({ sport: 40100, dport: 80, flags: 'S', seq: 1000 }).build());
    assert.equal((await h.tx(1, 1)).length, 1);
  });
  after(async () => h.close());

  test('addr show, and -s with the LIP\'s local ports over both workers', async () => {
    assert.equal(await out('tsip addr show'), [
      'inet 10.0.0.100/32 scope global dpdk1',
      '     valid_lft forever preferred_lft forever',
      'inet 192.168.100.200/32 scope host dpdk0',
      '     valid_lft forever preferred_lft forever',
      '',
    ].join('\n'));
    // 64511 ports x 16 buckets, split between the workers; one held by the connection.
    assert.equal((await out('tsip -s addr show dev dpdk0')).split('\n')[1],
      '     valid_lft forever preferred_lft forever sa_used 1 sa_free 1032175 sa_miss 0');
  });

  test('route show (IPv4 by default; -6)', async () => {
    assert.equal(await out('tsip route show'), [
      'inet 10.0.0.0/16 via 0.0.0.0 src 0.0.0.0 dev dpdk1 mtu 1500 tos 0 scope link metric 0 proto auto onlink ',
      'inet 172.16.0.0/16 via 192.168.100.3 src 0.0.0.0 dev dpdk0 mtu 1500 tos 0 scope global metric 5 proto auto ',
      'inet 192.168.100.0/24 via 0.0.0.0 src 0.0.0.0 dev dpdk0 mtu 1500 tos 0 scope link metric 0 proto auto onlink ',
      '',
    ].join('\n'));
    assert.equal(await out('tsip -6 route show'), 'inet6 2001:db8::/64 dev dpdk1 mtu 1400 scope link\n');
  });

  test('neigh show: one row per worker (core) and entry', async () => {
    const rows = (await out('tsip neigh show dev dpdk1')).split('\n');
    assert.deepEqual(rows, [
      'ip: 10.0.0.48                                        mac: 02:00:00:00:30:48   state: PERMANENT     dev: dpdk1  core: 0  static',
      'ip: 10.0.0.49                                        mac: 02:00:00:00:30:49   state: PERMANENT     dev: dpdk1  core: 0  static',
      'ip: 10.0.0.48                                        mac: 02:00:00:00:30:48   state: PERMANENT     dev: dpdk1  core: 1  static',
      'ip: 10.0.0.49                                        mac: 02:00:00:00:30:49   state: PERMANENT     dev: dpdk1  core: 1  static',
      '',
    ]);
  });

  test('link show -s (per port, summed) and link show -s cpu1 (one worker)', async () => {
    assert.equal(await out('tsip -s link show dpdk1'), [
      '2: dpdk1: socket 0 mtu 1500 rx-queue 2 tx-queue 2',
      '    UP 0 Mbps ',
      '    addr 02:00:00:00:00:A1 ',
      '    ipackets            opackets            ibytes              obytes              ',
      '    1                   0                   54                  0                   ',
      '    imissed             dropped             to-kernel           ',
      '    0                   0                   0                   ',
      '',
    ].join('\n'));
    const cpu = (await out('tsip -s link show cpu1')).split('\n');
    assert.deepEqual(cpu.slice(0, 3), ['2: cpu1: socket 0', '    queues dpdk0 dpdk1', '    bursts              dropped             conns               ']);
    // Bursts count the worker's loop turns: time-dependent, so only their column is matched.
    assert.match(cpu[3]!, /^ {4}\d+ +0 {19}1 {19}$/);
    assert.deepEqual(cpu.slice(4), [
      '    ipackets            ibytes              opackets            obytes              ',
      '    1                   54                  1                   54                  ',
      '',
    ]);
    assert.equal((await out('tsip link show cpu')).split('\n')[0], '<< Data Plane >>');
    assert.equal((await h.cmd('tsip link show cpu7')).error, 'no such worker: cpu7 (workers cpu0..cpu1)');
  });

  test('link show -v: the drop reasons where dpip lists the NIC\'s xstats, every one by number and name', async () => {
    const v = (await out('tsip -v link show dpdk1')).split('\n');
    assert.deepEqual(v.slice(0, 4), ['2: dpdk1: socket 0 mtu 1500 rx-queue 2 tx-queue 2', '    UP 0 Mbps ', '    addr 02:00:00:00:00:A1 ', '    xstats list:']);
    assert.deepEqual(v.slice(4), [...DROP_REASON_NAMES.map((n, i) => `        ${String(i).padEnd(6)}drop_${n}: 0`), '']);
  });
});

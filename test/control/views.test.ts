// The daemon's structured views, read from live workers: per-dest active/inactive counts and the
// connection list come from each worker's own tables (queries between bursts), stats are summed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, configure, startDaemon } from './harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

describe('daemon views over 2 workers (memory driver)', () => {
  let h: Harness;
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'tcp' }));
    // Worker 0 gets 3 SYNs, worker 1 gets 2: five connections in SYN_RECV (inactive), rr over 2 RS.
    for (const [w, n] of [[0, 3], [1, 2]] as const) {
      for (let i = 0; i < n; i++) h.rings.inject(w, 1, fromClient(V4).tcp({ sport: 40000 + w * 100 + i, dport: 80, flags: 'S', seq: 1000 }).build());
      assert.equal((await h.tx(w, n)).length, n);
    }
  });
  after(async () => h.close());

  test('services(): each worker\'s rr alternates its own dests; counts and stats sum over workers', async () => {
    const [svc, ...rest] = await h.daemon.services();
    assert.equal(rest.length, 0);
    assert.equal(svc!.key, 'tcp 10.0.0.100:80');
    // rr per worker: worker 0 sends RS .2, .3, .2; worker 1 sends .2, .3.
    assert.deepEqual(svc!.dests.map((d) => [d.key, d.activeConns, d.inactConns, d.stats.conns, d.stats.inPkts]), [
      ['tcp 10.0.0.100:80 -> 192.168.100.2:80', 0, 3, 3, 3],
      ['tcp 10.0.0.100:80 -> 192.168.100.3:80', 0, 2, 2, 2],
    ]);
    assert.deepEqual([svc!.stats.conns, svc!.stats.inPkts], [5, 5]);
    assert.deepEqual(svc!.laddrs.map((l) => [l.dev, l.conns, l.conflicts]), [['dpdk0', 5, 0]]);
  });

  test('connections(): every connection with its worker, pageable', async () => {
    const all = await h.daemon.connections();
    assert.equal(all.next, null);
    assert.deepEqual(all.rows.map((r) => [r.worker, r.conn.proto, r.conn.state, r.conn.caddr, r.conn.cport, r.conn.vaddr, r.conn.vport, r.conn.laddr]).sort(), [
      [0, 'TCP', 'SYN_RECV', '10.0.0.48', 40000, '10.0.0.100', 80, '192.168.100.200'],
      [0, 'TCP', 'SYN_RECV', '10.0.0.48', 40001, '10.0.0.100', 80, '192.168.100.200'],
      [0, 'TCP', 'SYN_RECV', '10.0.0.48', 40002, '10.0.0.100', 80, '192.168.100.200'],
      [1, 'TCP', 'SYN_RECV', '10.0.0.48', 40100, '10.0.0.100', 80, '192.168.100.200'],
      [1, 'TCP', 'SYN_RECV', '10.0.0.48', 40101, '10.0.0.100', 80, '192.168.100.200'],
    ]);
    // SYN_RECV lasts 30 s (DPVS): the remaining time is at most that.
    for (const r of all.rows) assert.ok(r.conn.expires > 25 && r.conn.expires <= 30, `expires ${r.conn.expires}`);
    const page1 = await h.daemon.connections(2);
    assert.equal(page1.rows.length, 2);
    assert.deepEqual(page1.next?.worker, 0);
    const page2 = await h.daemon.connections(10, page1.next!);
    assert.equal(page2.rows.length, 3);
    assert.equal(page2.next, null);
    const ports = [...page1.rows, ...page2.rows].map((r) => r.conn.cport).sort();
    assert.deepEqual(ports, [40000, 40001, 40002, 40100, 40101]);
  });

  test('neighbours(): each worker reports its own table', async () => {
    const n = await h.daemon.neighbours();
    // config() adds 4 static neighbours; each of the 2 workers holds them.
    assert.equal(n.length, 8);
    assert.deepEqual(n.filter((r) => r.worker === 1).map((r) => [r.neigh.addr, r.neigh.state, r.neigh.isStatic]).sort(), [
      ['10.0.0.48', 'PERMANENT', true], ['10.0.0.49', 'PERMANENT', true],
      ['192.168.100.2', 'PERMANENT', true], ['192.168.100.3', 'PERMANENT', true],
    ]);
  });
});

// Counters published by the worker threads in SharedArrayBuffer slots: the daemon's totals are
// the sums over workers, per port, per drop reason, per service and dest, and connections.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, configure, startDaemon } from '../control/harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';
import { Drop } from '../../src/packet/drop-reason.js';
import { DROP_REASON_COUNT } from '../../src/packet/drop-reason.js';
import { PC_RX_PKTS, PC_TX_PKTS, PORT_COUNTERS } from '../../src/netif/counters.js';
import { ST_CONNS, ST_INPKTS } from '../../src/ipvs/stats.js';
import { WS_CONNS, WS_SCALARS } from '../../src/worker/shared.js';
import { eth } from '../support/builder.js';

const DPDK0 = 0;
const DPDK1 = 1;
const portSlot = (port: number, field: number): number => WS_SCALARS + DROP_REASON_COUNT + port * PORT_COUNTERS + field;

describe('counters summed across 2 workers', () => {
  let h: Harness;
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'udp' }));
  });
  after(async () => h.close());

  test('per port, per drop reason, per service/dest and connections', async () => {
    // One frame for another MAC on each worker, then 3 flows on worker 0 and 2 on worker 1 (in
    // that order: once the flows' frames are out, the earlier frame has been counted too).
    for (const [w, n] of [[0, 3], [1, 2]] as const) {
      h.rings.inject(w, DPDK1, eth({ src: '02:00:00:00:99:99', dst: '02:00:00:00:99:98' }).ipv4({ src: '10.0.0.9', dst: '10.0.0.8' }).udp({ sport: 1, dport: 2 }).build());
      for (let i = 0; i < n; i++) h.rings.inject(w, DPDK1, fromClient(V4).udp({ sport: 30000 + w * 100 + i, dport: 53 }).payload('q').build());
      assert.equal((await h.tx(w, n)).length, n);
    }
    // The workers publish after each burst; the frames are out, so that burst's counts are in.
    const t = h.daemon.pool.totals();
    assert.equal(t.counters[portSlot(DPDK1, PC_RX_PKTS)], 7);
    assert.equal(t.counters[portSlot(DPDK0, PC_TX_PKTS)], 5);
    assert.equal(t.counters[WS_SCALARS + Drop.NOT_FOR_US], 2);
    assert.deepEqual(t.connsPerWorker, [3, 2]);
    assert.equal(t.counters[WS_CONNS], 5);
    const svc = t.svc.get(`udp ${V4.vip}:53`)!;
    assert.equal(svc[ST_CONNS], 5);
    assert.equal(svc[ST_INPKTS], 5);
    const perDest = V4.rips.map((r) => t.dest.get(`udp ${V4.vip}:53 -> ${r}:53`)![ST_CONNS]);
    assert.equal(perDest[0]! + perDest[1]!, 5);
    // dpip's stats block: 7 frames in (2 x 42 bytes not for us, 5 x 43-byte queries), none out on dpdk1.
    assert.deepEqual((await h.cmd('tsip -s link show dpdk1')).output!.split('\n').slice(3, 5), [
      '    ipackets            opackets            ibytes              obytes              ',
      '    7                   0                   299                 0                   ',
    ]);
    // Per worker, in and out over all ports: worker 0 42 + 3 x 43 bytes in, 3 queries out; worker 1 42 + 2 x 43, 2 out.
    const cpu = (await h.cmd('tsip -s link show cpu')).output!.split('\n');
    assert.deepEqual([cpu[6], cpu[12]], [
      '    4                   171                 3                   129                 ',
      '    3                   128                 2                   86                  ',
    ]);
  });
});

// The daemon end to end in one process: configured over its socket, two worker threads on the
// memory ring driver, FullNAT both ways on the worker that owns the local port, counters summed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, configure, startDaemon } from './harness.js';
import { MAC, V4, config, fromClient, fromRs } from '../ipvs/fnat/frames.js';
import { dissect } from '../support/dissect.js';

const DPDK0 = 0;
const DPDK1 = 1;

describe('daemon with 2 workers, FullNAT UDP (scenario S1 over the socket)', () => {
  let h: Harness;
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'udp' }));
  });
  after(async () => h.close());

  for (const w of [0, 1]) {
    test(`worker ${w}: request out to the RS from a local port it owns, the reply back to the client`, async () => {
      const cport = 40000 + w;
      h.rings.inject(w, DPDK1, fromClient(V4).udp({ sport: cport, dport: 53 }).payload('query').build());
      const [out] = await h.tx(w, 1);
      assert.ok(out, 'the request came out');
      const req = dissect(out.data);
      assert.equal(out.port, DPDK0);
      assert.equal(req.eth?.src, MAC.dpdk0);
      assert.equal(req.ipv4?.src, V4.lips[0]);
      assert.ok(V4.rips.includes(req.ipv4!.dst));
      assert.equal(req.udp?.dport, 53);
      assert.equal(req.udp?.payload, 'query');
      const lport = req.udp!.sport;
      assert.equal(lport & 1, w, 'FullNAT local ports are partitioned by worker (low bit, 2 workers)');
      // The driver's fanout program steers a LIP's traffic by destination port; here the test does.
      const rs = V4.rips.indexOf(req.ipv4!.dst) as 0 | 1;
      h.rings.inject(w, DPDK0, fromRs(V4, rs).udp({ sport: 53, dport: lport }).payload('answer').build());
      const [back] = await h.tx(w, 1);
      assert.ok(back, 'the reply came out');
      const rep = dissect(back.data);
      assert.equal(back.port, DPDK1);
      assert.deepEqual([rep.ipv4?.src, rep.ipv4?.dst, rep.udp?.sport, rep.udp?.dport, rep.udp?.payload], [V4.vip, V4.clients[0], 53, cport, 'answer']);
    });
  }

  test('a reply steered to the wrong worker finds no connection there and goes nowhere', async () => {
    h.rings.inject(0, DPDK1, fromClient(V4).udp({ sport: 41000, dport: 53 }).payload('q').build());
    const [out] = await h.tx(0, 1);
    const req = dissect(out!.data);
    const rs = V4.rips.indexOf(req.ipv4!.dst) as 0 | 1;
    h.rings.inject(1, DPDK0, fromRs(V4, rs).udp({ sport: 53, dport: req.udp!.sport }).payload('a').build());
    assert.deepEqual(await h.tx(1, 1, 200), []);
  });
});

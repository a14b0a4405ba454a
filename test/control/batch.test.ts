// Atomic batches on a live daemon: a batch that fails anywhere changes nothing in any worker
// (traffic proves it), the error names the line, and a later valid batch applies whole.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, startDaemon } from './harness.js';
import { MAC, V4, config, fromClient } from '../ipvs/fnat/frames.js';
import { dissect } from '../support/dissect.js';

const DPDK1 = 1;
/** The UDP service on :53 from the shared FullNAT config, with no real servers yet. */
const BASE = config(V4, { proto: 'udp' }).split('\n').filter((l) => !l.startsWith('tsvsadm -a')).join('\n');

describe('atomic batches', () => {
  let h: Harness;
  before(async () => {
    h = await startDaemon(2);
    const r = await h.batch(BASE);
    assert.ok(r.ok, r.error);
  });
  after(async () => h.close());

  const query = (w: number, sport: number) => h.rings.inject(w, DPDK1, fromClient(V4).udp({ sport, dport: 53 }).payload('q').build());

  test('a batch whose last line fails adds nothing: the service still has no real server', async () => {
    const r = await h.batch(`tsvsadm -a -u ${V4.vip}:53 -r ${V4.rips[0]}:53 -b
tsvsadm -A -t ${V4.vip}:80 -s rr
tsvsadm -a -u ${V4.vip}:53 -r ${V4.rips[0]}:53 -b
`);
    assert.equal(r.ok, false);
    assert.match(r.error!, /^line 3: Destination already exists: 192\.168\.100\.2:53\n {2}tsvsadm -a -u/);
    for (const w of [0, 1]) {
      query(w, 42000 + w);
      assert.deepEqual(await h.tx(w, 1, 150), [], `worker ${w} has no real server to send to`);
    }
    // The listing is unchanged: the UDP service alone, no TCP service, no real server.
    assert.equal((await h.cmd('tsvsadm -Ln')).output, [
      'IP Virtual Server version 1.2.1 (size=8192)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      `UDP  ${V4.vip}:53 rr`,
      '',
    ].join('\n'));
  });

  test('a syntax error is caught before anything is tried, with its line', async () => {
    const r = await h.batch(`tsvsadm -a -u ${V4.vip}:53 -r ${V4.rips[0]}:53 -b\ntsvsadm -a -u ${V4.vip}:53 -r bogus -b\n`);
    assert.equal(r.ok, false);
    assert.match(r.error!, /^line 2: /);
  });

  test('a later valid batch applies whole, in every worker', async () => {
    const r = await h.batch(`tsvsadm -a -u ${V4.vip}:53 -r ${V4.rips[0]}:53 -b\ntsvsadm -a -u ${V4.vip}:53 -r ${V4.rips[1]}:53 -b\n`);
    assert.ok(r.ok, r.error);
    for (const w of [0, 1]) {
      query(w, 43000 + w);
      const [out] = await h.tx(w, 1);
      assert.ok(out, `worker ${w} forwards`);
      const d = dissect(out.data);
      assert.equal(d.eth?.src, MAC.dpdk0);
      assert.ok(V4.rips.includes(d.ipv4!.dst));
    }
  });
});

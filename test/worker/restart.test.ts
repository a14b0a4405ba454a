// A worker that throws, or whose thread is terminated, is reported and restarted with the current
// configuration while the other keeps forwarding; the restarted one forwards again (its old
// connections are gone, which is the documented cost).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, configure, startDaemon } from '../control/harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

const DPDK1 = 1;

async function until(p: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('worker restart', () => {
  let h: Harness;
  let sport = 20000;
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'udp' }));
  });
  after(async () => h.close());

  const forwards = async (w: number, waitMs = 2000): Promise<boolean> => {
    h.rings.inject(w, DPDK1, fromClient(V4).udp({ sport: sport++, dport: 53 }).payload('q').build());
    return (await h.tx(w, 1, waitMs)).length === 1;
  };

  test('a worker that throws is reported, restarted, and forwards again; the other never stops', async () => {
    assert.ok(await forwards(0));
    h.daemon.pool.crash(0);
    assert.ok(await forwards(1), 'worker 1 forwards while worker 0 is down');
    await until(() => h.logs.some((l) => l.event === 'worker_restart' && l.worker === 0));
    const err = h.logs.find((l) => l.event === 'worker_error' && l.worker === 0);
    assert.match(String(err?.error), /crash requested by a test/);
    assert.match(String(h.logs.find((l) => l.event === 'worker_restart')!.note), /connections are lost/);
    // Frames injected while it restarts wait in its ring; the new thread resumes from the ring indices.
    assert.ok(await forwards(0), 'the restarted worker 0 has the configuration and forwards');
    assert.ok(await forwards(1));
    assert.equal(h.daemon.pool.restarts(0), 1);
    assert.equal(h.daemon.pool.restarts(1), 0);
  });

  test('a terminated worker thread is restarted too, and configuration reaches it afterwards', async () => {
    await h.daemon.pool.thread(1)!.terminate();
    assert.ok(await forwards(0));
    await until(() => h.daemon.pool.restarts(1) === 1);
    assert.ok(await forwards(1));
    const r = await h.cmd(`tsvsadm -d -u ${V4.vip}:53 -r ${V4.rips[0]}:53`);
    assert.ok(r.ok, r.error);
    const r2 = await h.cmd(`tsvsadm -d -u ${V4.vip}:53 -r ${V4.rips[1]}:53`);
    assert.ok(r2.ok, r2.error);
    for (const w of [0, 1]) assert.equal(await forwards(w, 150), false, `worker ${w} applied the deletes`);
  });
});

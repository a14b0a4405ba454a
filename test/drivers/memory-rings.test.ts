// The shared-memory ring driver: frames injected by the host reach the worker's side with the
// headroom contract, what the worker sends comes back in order, and a full ring drops and counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryPortDriver, MemoryRingHost } from '../../src/drivers/memory-rings.js';
import { XMIT_HEADROOM, XMIT_TAILROOM } from '../../src/ipvs/xmit.js';

const frame = (n: number, len = 60): Uint8Array => new Uint8Array(len).fill(n);

test('injected frames arrive in order with headroom and tailroom, and TX comes back after flush', () => {
  const host = new MemoryRingHost(1, { slots: 8, frameSize: 256 });
  const drv = new MemoryPortDriver(host.workerInit(0));
  for (let i = 0; i < 3; i++) assert.ok(host.inject(0, i, frame(i + 1)));
  const seen: number[] = [];
  const n = drv.rxBurst((port, buf, off, len) => {
    assert.ok(off >= XMIT_HEADROOM && off + len + XMIT_TAILROOM <= buf.length);
    seen.push(port, buf[off]!, len);
    drv.transmit(port, buf, off, len);
  }, 64);
  assert.equal(n, 3);
  assert.deepEqual(seen, [0, 1, 60, 1, 2, 60, 2, 3, 60]);
  assert.deepEqual(host.takeTx(0), [], 'nothing visible before flush');
  drv.toKernel(5, frame(9), 0, 10);
  drv.flush();
  const tx = host.takeTx(0);
  assert.deepEqual(tx.map((f) => [f.port, f.kernel, f.data[0], f.data.length]), [[0, false, 1, 60], [1, false, 2, 60], [2, false, 3, 60], [5, true, 9, 10]]);
});

test('a burst takes at most max frames; indices wrap around the ring many times', () => {
  const host = new MemoryRingHost(1, { slots: 4, frameSize: 128 });
  const drv = new MemoryPortDriver(host.workerInit(0));
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3; i++) host.inject(0, 0, frame(round * 3 + i & 0xff));
    assert.equal(drv.rxBurst(() => {}, 2), 2);
    assert.equal(drv.rxBurst((_p, buf, off) => { drv.transmit(0, buf, off, 1); }, 8), 1);
    drv.flush();
    const out = host.takeTx(0);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.data[0], (round * 3 + 2) & 0xff);
    next++;
  }
  assert.equal(next, 50);
});

test('a full ring or an oversized frame drops and counts instead of overwriting', () => {
  const host = new MemoryRingHost(1, { slots: 2, frameSize: 100 });
  const drv = new MemoryPortDriver(host.workerInit(0));
  assert.ok(host.inject(0, 0, frame(1)));
  assert.ok(host.inject(0, 0, frame(2)));
  assert.equal(host.inject(0, 0, frame(3)), false);
  assert.equal(host.inject(0, 0, frame(4, 101)), false);
  const got: number[] = [];
  drv.rxBurst((_p, buf, off) => { got.push(buf[off]!); }, 8);
  assert.deepEqual(got, [1, 2]);
  for (let i = 0; i < 3; i++) drv.transmit(0, frame(i), 0, 60);
  assert.equal(drv.txDrops(), 1);
});

// The ring walkers on synthetic TPACKET_V2/V3 rings in ordinary memory, laid out as the kernel
// writes them: order, release of slots and blocks, budgets, VLAN tags put back, vnet headers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RX_SCRATCH_BYTES, type RingGeometry, RxRing, TP_STATUS_AVAILABLE, TP_STATUS_CSUMNOTREADY, TP_STATUS_SEND_REQUEST,
  TP_STATUS_USER, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID, TxRing,
} from '../../src/drivers/afpacket-ring.js';
import { XMIT_HEADROOM } from '../../src/ipvs/xmit.js';
import { eth } from '../support/builder.js';
import { inetChecksum, pseudoHeader, verifyFrameChecksums } from '../support/csum-ref.js';
import { putV2, putV3Block } from '../support/tpacket.js';

const RX_BYTES = 4 * 8192, TX_BYTES = 2 * 4096;
function geometry(version: 2 | 3): RingGeometry {
  return {
    version,
    rx: version === 2
      ? { offset: 0, bytes: RX_BYTES, blockSize: 8192, blockNr: 4, frameSize: 2048, frameNr: 16 }
      : { offset: 0, bytes: RX_BYTES, blockSize: 8192, blockNr: 4, frameSize: 2048, frameNr: 16 },
    tx: { offset: RX_BYTES, bytes: TX_BYTES, blockSize: 4096, blockNr: 2, frameSize: 2048, frameNr: 4, dataOffset: version === 3 ? 48 : 32 },
  };
}
const SCRATCH = RX_BYTES + TX_BYTES;
const newArena = (): Uint8Array => new Uint8Array(SCRATCH + RX_SCRATCH_BYTES);

const frameN = (n: number, len = 60 + n): Uint8Array => {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 31 + n) & 0xff;
  return f;
};

/** Receives up to `budget` frames, returning copies of them. */
function take(rx: RxRing, budget = 1000): Uint8Array[] {
  const got: Uint8Array[] = [];
  rx.burst((buf, off, len) => {
    assert.equal(off, rx.frameOff);
    assert.ok(off >= XMIT_HEADROOM);
    got.push(buf.slice(off, off + len));
  }, budget);
  return got;
}

describe('TPACKET_V2 receive', () => {
  test('delivers frames in order as copies in scratch, hands slots back, wraps around', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(2), SCRATCH, false);
    const dv = new DataView(u8.buffer);
    for (let round = 0; round < 3; round++) {
      const frames = Array.from({ length: 10 }, (_, i) => frameN(round * 10 + i));
      // Slot i of 16: 4 per 8 KiB block; the walker continues where the last round stopped.
      frames.forEach((f, i) => putV2(u8, ((round * 10 + i) % 16) * 2048, f));
      assert.deepEqual(take(rx), frames);
      for (let s = 0; s < 16; s++) assert.equal(dv.getUint32(s * 2048, true), 0, `slot ${s} released`);
    }
    assert.equal(rx.counters.frames, 30);
  });

  test('a budget stops the burst; the rest comes next time', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(2), SCRATCH, false);
    const frames = Array.from({ length: 5 }, (_, i) => frameN(i));
    frames.forEach((f, i) => putV2(u8, i * 2048, f));
    assert.deepEqual(take(rx, 2), frames.slice(0, 2));
    assert.ok(rx.ready());
    assert.deepEqual(take(rx), frames.slice(2));
    assert.ok(!rx.ready());
  });

  test('puts back the VLAN tag the kernel moved into the header (802.1Q and 802.1ad)', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(2), SCRATCH, false);
    const tagged = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', vlan: 100, pcp: 3 }).payload('hello, vlan').build();
    const untagged = Uint8Array.from([...tagged.subarray(0, 12), ...tagged.subarray(16)]);
    putV2(u8, 0, untagged, { status: TP_STATUS_VLAN_VALID, tci: (3 << 13) | 100 });
    putV2(u8, 2048, untagged, { status: TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, tci: 7, tpid: 0x88a8 });
    const [a, b] = take(rx);
    assert.deepEqual(a, tagged);
    assert.deepEqual([...b!.subarray(12, 16)], [0x88, 0xa8, 0, 7]);
  });

  test('drops truncated frames and counts them', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(2), SCRATCH, false);
    putV2(u8, 0, frameN(1), { wireLen: 3000 });
    putV2(u8, 2048, frameN(2));
    assert.deepEqual(take(rx), [frameN(2)]);
    assert.equal(rx.counters.truncated, 1);
  });
});

describe('TPACKET_V3 receive', () => {
  test('walks a block by tp_next_offset and releases it after its last frame', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(3), SCRATCH, false);
    const dv = new DataView(u8.buffer);
    const b0 = Array.from({ length: 7 }, (_, i) => frameN(i, 60 + i * 100));
    const b1 = [frameN(50, 1514)];
    putV3Block(u8, 0, b0);
    putV3Block(u8, 8192, b1);
    assert.deepEqual(take(rx), [...b0, ...b1]);
    assert.equal(dv.getUint32(8, true), 0);
    assert.equal(dv.getUint32(8192 + 8, true), 0);
  });

  test('a budget can stop inside a block, which stays ours until finished', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(3), SCRATCH, false);
    const dv = new DataView(u8.buffer);
    const frames = Array.from({ length: 6 }, (_, i) => frameN(i));
    putV3Block(u8, 0, frames);
    assert.deepEqual(take(rx, 4), frames.slice(0, 4));
    assert.equal(dv.getUint32(8, true), TP_STATUS_USER, 'not released mid-block');
    assert.ok(rx.ready());
    assert.deepEqual(take(rx, 4), frames.slice(4));
    assert.equal(dv.getUint32(8, true), 0);
    // Wraps to block 0 after the last block.
    for (let b = 1; b < 4; b++) putV3Block(u8, b * 8192, [frameN(b)]);
    putV3Block(u8, 0, [frameN(9)]);
    assert.deepEqual(take(rx), [frameN(1), frameN(2), frameN(3), frameN(9)]);
  });

  test('vnet header: GSO super-frames are dropped, CHECKSUM_PARTIAL sums completed', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(3), SCRATCH, true);
    const good = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }).ipv4({ src: '10.1.1.1', dst: '10.1.1.2' })
      .tcp({ sport: 40000, dport: 80, flags: 'PA' }).payload('x'.repeat(333)).build();
    // What a veth peer with checksum offload hands over: the field holds the folded pseudo-header sum.
    const partial = good.slice();
    const tcpLen = good.length - 34;
    partial[50] = 0;
    partial[51] = 0;
    const pseudo = 0xffff - inetChecksum(pseudoHeader(good.subarray(26, 30), good.subarray(30, 34), 6, tcpLen));
    partial[50] = pseudo >> 8;
    partial[51] = pseudo & 0xff;
    assert.ok(!verifyFrameChecksums(partial).ok);
    const vnetPartial = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]; // NEEDS_CSUM, csum_start 34, csum_offset 16
    const vnetGso = [1, 1, 54, 0, 0xb4, 0x05, 34, 0, 16, 0]; // GSO_TCPV4, gso_size 1460
    const tagged = partial.slice(0, 12);
    putV3Block(u8, 0, [partial, good, partial, Uint8Array.from([...tagged, ...partial.subarray(12)])], [
      { vnet: vnetPartial }, { vnet: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, { vnet: vnetGso }, { vnet: vnetPartial, status: TP_STATUS_VLAN_VALID, tci: 5 },
    ]);
    const got = take(rx);
    assert.equal(got.length, 3);
    assert.deepEqual(got[0], good);
    assert.deepEqual(got[1], good);
    assert.ok(verifyFrameChecksums(got[2]!).ok, 'checksum completed past a VLAN tag put back');
    assert.equal(rx.counters.gso, 1);
    assert.equal(rx.counters.csumCompleted, 2);
  });

  test('without a vnet header CHECKSUM_PARTIAL frames are only counted', () => {
    const u8 = newArena(), rx = new RxRing(u8, geometry(3), SCRATCH, false);
    putV3Block(u8, 0, [frameN(1)], [{ status: TP_STATUS_CSUMNOTREADY }]);
    assert.equal(take(rx).length, 1);
    assert.equal(rx.counters.csumNotReady, 1);
  });
});

describe('send ring', () => {
  for (const version of [2, 3] as const) {
    test(`V${version}: reserve, commit (len, SEND_REQUEST), full, then free again`, () => {
      const u8 = newArena(), g = geometry(version), tx = new TxRing(u8, g, false);
      const dv = new DataView(u8.buffer);
      const statusAt = version === 3 ? 20 : 0, lenAt = version === 3 ? 16 : 4;
      const slots = [0, 2048, 4096, 6144].map((o) => RX_BYTES + o);
      for (let i = 0; i < 4; i++) {
        const d = tx.reserve();
        assert.equal(d, slots[i]! + g.tx.dataOffset);
        tx.commit(100 + i);
        assert.equal(dv.getUint32(slots[i]! + lenAt, true), 100 + i);
        assert.equal(dv.getUint32(slots[i]! + statusAt, true), TP_STATUS_SEND_REQUEST);
      }
      assert.equal(tx.pending, 4);
      assert.equal(tx.busy(), 4);
      assert.equal(tx.reserve(), -1, 'the kernel still owns the next slot');
      dv.setUint32(slots[0]! + statusAt, TP_STATUS_AVAILABLE, true); // the kernel sent it
      assert.equal(tx.reserve(), slots[0]! + g.tx.dataOffset);
      assert.equal(tx.maxLen, 2048 - g.tx.dataOffset);
    });
  }

  test('with a vnet header the frame follows a zeroed virtio_net_hdr and tp_len counts it', () => {
    const u8 = newArena(), g = geometry(3), tx = new TxRing(u8, g, true);
    u8.fill(0xee, RX_BYTES + 40, RX_BYTES + 2048); // stale bytes where the header goes
    assert.equal(tx.reserve(), RX_BYTES + 48 + 10);
    tx.commit(60);
    assert.deepEqual([...u8.subarray(RX_BYTES + 48, RX_BYTES + 58)], new Array(10).fill(0));
    assert.equal(new DataView(u8.buffer).getUint32(RX_BYTES + 16, true), 70);
  });
});

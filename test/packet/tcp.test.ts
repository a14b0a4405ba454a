// TCP option rewrites FullNAT relies on: TOA insertion (DPVS layout), MSS clamp, timestamp
// removal, SACK shifting and option compaction, checked on frames from the builder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth } from '../support/builder.js';
import { dissect } from '../support/dissect.js';
import { tcpCompactOptions, tcpInsertToa, tcpLowerMss, tcpShiftSack, tcpStripTimestamp } from '../../src/packet/tcp.js';

const L4 = 14 + 20;

function frame(options: Parameters<ReturnType<typeof eth>['tcp']>[0]['options'], payload = '') {
  return eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
    .ipv4({ src: '10.0.0.48', dst: '10.0.0.100' })
    .tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1, ack: 2, options })
    .payload(payload).build();
}

test('TOA for IPv4: kind 254, length 8, port, address, right after the fixed header', () => {
  const f = frame([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 7, ecr: 9 }], 'data!');
  const buf = new Uint8Array(f.length + 8);
  buf.set(f);
  const n = tcpInsertToa(buf, L4, f.length, 40000, 4, 0x0a000030, 0, 0, 0);
  assert.equal(n, 8);
  assert.deepEqual([...buf.subarray(L4 + 20, L4 + 28)], [254, 8, 0x9c, 0x40, 10, 0, 0, 48]);
  assert.equal(buf[L4 + 12]! >> 4, (20 + 12 + 8) / 4);
  buf[16] = 0; buf[17] = f.length + 8 - 14; // IPv4 total length, as the caller must fix
  const d = dissect(buf);
  assert.deepEqual(d.tcp!.options, [{ kind: 'toa', port: 40000, addr: '10.0.0.48' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 7, ecr: 9 }]);
  assert.equal(d.tcp!.payload, 'data!');
});

test('TOA for IPv6: length 20 with the 16-byte address', () => {
  const f = frame([]);
  const buf = new Uint8Array(f.length + 20);
  buf.set(f);
  tcpInsertToa(buf, L4, f.length, 443, 6, 0x20010db8, 0, 0, 0x30);
  assert.deepEqual([...buf.subarray(L4 + 20, L4 + 40)],
    [254, 20, 1, 187, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30]);
  assert.equal(buf[L4 + 12]! >> 4, 10);
});

test('MSS is lowered by the TOA length; a segment without MSS is left alone', () => {
  const f = frame([{ kind: 'mss', value: 1460 }, { kind: 'sackok' }]);
  assert.equal(tcpLowerMss(f, L4, 28, 8), 1460);
  assert.equal(dissect(f).tcp!.options![0]!.kind, 'mss');
  assert.deepEqual(dissect(f).tcp!.options![0], { kind: 'mss', value: 1452 });
  const g = frame([{ kind: 'sackok' }, { kind: 'nop' }, { kind: 'nop' }]);
  assert.equal(tcpLowerMss(g, L4, 24, 8), -1);
});

test('timestamps become NOPs; SACK edges shift by the delta', () => {
  const f = frame([{ kind: 'ts', val: 1, ecr: 2 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[100, 200], [300, 400]] }]);
  const hl = 20 + 12 + 18 + 2; // padded by the builder to a multiple of 4
  const doff = (f[L4 + 12]! >> 4) * 4;
  assert.equal(doff, hl);
  assert.ok(tcpStripTimestamp(f, L4, doff));
  tcpShiftSack(f, L4, doff, 50);
  const opts = dissect(f).tcp!.options!;
  assert.equal(opts.filter((o) => o.kind === 'ts').length, 0);
  assert.deepEqual(opts.find((o) => o.kind === 'sack'), { kind: 'sack', blocks: [[50, 150], [250, 350]] });
});

test('compaction drops NOPs and an old TOA, keeping the others in order', () => {
  const f = frame([{ kind: 'nop' }, { kind: 'toa', port: 1, addr: '1.2.3.4' }, { kind: 'nop' }, { kind: 'mss', value: 1400 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }]);
  const doff = (f[L4 + 12]! >> 4) * 4;
  const nl = tcpCompactOptions(f, L4, doff);
  assert.equal(nl, 28);
  assert.deepEqual([...f.subarray(L4 + 20, L4 + 28)], [2, 4, 0x05, 0x78, 3, 3, 7, 0]);
});

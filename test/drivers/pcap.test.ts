// Capture files: our writer's output reads back, hand-built pcapng and nanosecond pcap files read
// correctly, damage is reported with its offset, and tshark (when installed) agrees with us.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsvsError } from '../../src/errors.js';
import { PcapWriter, readCapture, readCaptureFile, SNAPLEN, writeCaptureFile } from '../../src/drivers/pcap.js';

/** A little byte builder for hand-made files: u8/u16/u32 in a chosen byte order. */
class Bytes {
  private out: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(...v: number[]): this { this.out.push(...v); return this; }
  u16(v: number): this { return this.le ? this.u8(v & 255, v >>> 8) : this.u8(v >>> 8, v & 255); }
  u32(v: number): this {
    const b = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    return this.u8(...(this.le ? b.reverse() : b));
  }
  get length(): number { return this.out.length; }
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
}

/** An Ethernet + IPv4 + UDP frame from 10.0.0.1:1000 to 10.0.0.2:53 with `payload` bytes. */
function udpFrame(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ipLen = 20 + 8 + payload;
  f.set([0x45, 0, ipLen >> 8, ipLen & 255, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[24] = (~sum >> 8) & 255;
  f[25] = ~sum & 255;
  f.set([0x03, 0xe8, 0, 53, (8 + payload) >> 8, (8 + payload) & 255, 0, 0], 34);
  for (let i = 0; i < payload; i++) f[42 + i] = i & 255;
  return f;
}

function pcapError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TsvsError && e.code === 'TSVS_ERR_PCAP' && pattern.test(e.message));
}

test('write then read gives back every frame and its microsecond timestamp', () => {
  const w = new PcapWriter();
  const frames = [udpFrame(0), udpFrame(100), udpFrame(1400)];
  const times = [1700000000000, 1700000000000.5, 1700000001234.567];
  frames.forEach((f, i) => w.write(times[i]!, f));
  // a slice of a bigger buffer: off/len select the frame
  const big = new Uint8Array(200);
  big.set(udpFrame(10), 50);
  w.write(1700000002000, big, 50, 52);
  assert.equal(w.frameCount, 4);
  const back = readCapture(w.toBytes());
  assert.equal(back.length, 4);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(back[i]!.data, frames[i]);
    assert.ok(Math.abs(back[i]!.tsMs - times[i]!) < 0.0005, `frame ${i}: ${back[i]!.tsMs} vs ${times[i]}`);
  }
  assert.deepEqual(back[3]!.data, udpFrame(10));
  assert.equal(back[3]!.tsMs, 1700000002000);
});

test('the writer emits the classic header: µs magic, v2.4, snaplen 262144, Ethernet', () => {
  const h = new DataView(new PcapWriter().toBytes().buffer);
  assert.equal(h.byteLength, 24);
  assert.equal(h.getUint32(0, true), 0xa1b2c3d4);
  assert.equal(h.getUint16(4, true), 2);
  assert.equal(h.getUint16(6, true), 4);
  assert.equal(h.getUint32(16, true), 262144);
  assert.equal(h.getUint32(20, true), 1);
});

test('timestamps that round up to the next second carry over', () => {
  const w = new PcapWriter();
  w.write(1999.9999, udpFrame(0));
  const dv = new DataView(w.toBytes().buffer);
  assert.equal(dv.getUint32(24, true), 2);
  assert.equal(dv.getUint32(28, true), 0);
});

test('frames longer than the snaplen are cut, and the original length is kept', () => {
  const w = new PcapWriter();
  w.write(0, new Uint8Array(SNAPLEN + 10));
  const bytes = w.toBytes();
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getUint32(24 + 8, true), SNAPLEN);
  assert.equal(dv.getUint32(24 + 12, true), SNAPLEN + 10);
  assert.equal(readCapture(bytes)[0]!.data.length, SNAPLEN);
});

test('the writer refuses bad timestamps and slices', () => {
  const w = new PcapWriter();
  assert.throws(() => w.write(-1, udpFrame(0)), TsvsError);
  assert.throws(() => w.write(Number.NaN, udpFrame(0)), TsvsError);
  assert.throws(() => w.write(0, udpFrame(0), 10, 100), /outside/);
});

test('100000 frames round trip through one growing buffer', () => {
  const w = new PcapWriter();
  const f = udpFrame(18);
  for (let i = 0; i < 100000; i++) w.write(1e12 + i * 0.01, f);
  const back = readCapture(w.toBytes());
  assert.equal(back.length, 100000);
  assert.equal(back[99999]!.data.length, f.length);
  assert.ok(Math.abs(back[99999]!.tsMs - (1e12 + 999.99)) < 0.001);
});

test('a big-endian nanosecond pcap built byte by byte', () => {
  const f = udpFrame(4);
  const b = new Bytes(false)
    .u32(0xa1b23c4d).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1)
    .u32(1700000000).u32(123456789).u32(f.length).u32(f.length).u8(...f)
    .u32(1700000001).u32(999999999).u32(10).u32(60).u8(...f.subarray(0, 10));
  const back = readCapture(b.bytes());
  assert.equal(back.length, 2);
  assert.deepEqual(back[0]!.data, f);
  assert.ok(Math.abs(back[0]!.tsMs - 1700000000123.456789) < 0.0005);
  assert.deepEqual(back[1]!.data, f.subarray(0, 10));
  assert.ok(Math.abs(back[1]!.tsMs - 1700000001999.999999) < 0.0005);
});

test('a little-endian microsecond pcap written by another tool', () => {
  const f = udpFrame(0);
  const b = new Bytes(true)
    .u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(262144).u32(1)
    .u32(5).u32(250000).u32(f.length).u32(f.length).u8(...f);
  const [fr] = readCapture(b.bytes());
  assert.equal(fr!.tsMs, 5250);
});

/** A pcapng block: type, length, body padded to 4, length. */
function block(bo: Bytes, type: number, body: number[]): void {
  const padded = [...body, ...new Array<number>((4 - (body.length % 4)) % 4).fill(0)];
  bo.u32(type).u32(12 + padded.length).u8(...padded).u32(12 + padded.length);
}

/** Bytes of the given u16/u32 fields in one byte order (to build block bodies). */
function fields(le: boolean, spec: ReadonlyArray<readonly [16 | 32, number]>): number[] {
  const b = new Bytes(le);
  for (const [w, v] of spec) (w === 16 ? b.u16(v) : b.u32(v));
  return Array.from(b.bytes());
}

function pcapng(le: boolean, f: Uint8Array): Uint8Array {
  const b = new Bytes(le);
  // SHB: byte-order magic, version 1.0, section length -1, no options
  block(b, 0x0a0d0d0a, fields(le, [[32, 0x1a2b3c4d], [16, 1], [16, 0], [32, 0xffffffff], [32, 0xffffffff]]));
  // IDB 0: Ethernet, snaplen 0, if_tsresol = 9 (nanoseconds), end of options
  block(b, 1, [...fields(le, [[16, 1], [16, 0], [32, 0], [16, 9], [16, 1]]), 9, 0, 0, 0, ...fields(le, [[16, 0], [16, 0]])]);
  // IDB 1: Ethernet, snaplen 64, default resolution (µs)
  block(b, 1, fields(le, [[16, 1], [16, 0], [32, 64]]));
  // a Name Resolution Block and an unknown custom block: skipped
  block(b, 4, fields(le, [[16, 0], [16, 0]]));
  block(b, 0x40000bad, [1, 2, 3]);
  // EPB on interface 0: 1700000000.123456789 s in ns = 0x1797_8C53_D175_5B15 units
  const ns = 1700000000123456789n;
  block(b, 6, [...fields(le, [[32, 0], [32, Number(ns >> 32n)], [32, Number(ns & 0xffffffffn)], [32, f.length], [32, f.length]]), ...f]);
  // EPB on interface 1: 2.5 s in µs
  block(b, 6, [...fields(le, [[32, 1], [32, 0], [32, 2500000], [32, 20], [32, f.length]]), ...f.subarray(0, 20)]);
  // SPB: interface 0, no timestamp (inherits the previous one)
  block(b, 3, [...fields(le, [[32, f.length]]), ...f]);
  return b.bytes();
}

for (const le of [true, false]) {
  test(`pcapng (${le ? 'little' : 'big'}-endian): SHB, IDB with if_tsresol, EPB, SPB, skipped blocks`, () => {
    const f = udpFrame(3);
    const back = readCapture(pcapng(le, f));
    assert.equal(back.length, 3);
    assert.deepEqual(back[0]!.data, f);
    assert.ok(Math.abs(back[0]!.tsMs - 1700000000123.456789) < 0.0005, String(back[0]!.tsMs));
    assert.deepEqual(back[1]!.data, f.subarray(0, 20));
    assert.equal(back[1]!.tsMs, 2500);
    assert.deepEqual(back[2]!.data, f);
    assert.equal(back[2]!.tsMs, 2500);
  });
}

test('damaged files are reported with the byte offset', () => {
  const w = new PcapWriter();
  w.write(0, udpFrame(10));
  const good = w.toBytes();
  pcapError(() => readCapture(good.subarray(0, good.length - 5)), /truncated frame.*byte offset 24\b/);
  pcapError(() => readCapture(good.subarray(0, 30)), /truncated record header.*byte offset 24\b/);
  pcapError(() => readCapture(good.subarray(0, 10)), /truncated file header.*byte offset 0\b/);
  pcapError(() => readCapture(new Uint8Array([1, 2])), /too short/);
  pcapError(() => readCapture(new TextEncoder().encode('hello world, not a capture')), /not a pcap or pcapng file/);
  const badFrac = good.slice();
  new DataView(badFrac.buffer).setUint32(28, 2000000, true);
  pcapError(() => readCapture(badFrac), /sub-second.*byte offset 28\b/);
  const ng = pcapng(true, udpFrame(0));
  pcapError(() => readCapture(ng.subarray(0, ng.length - 2)), /truncated block/);
  const badLen = ng.slice();
  new DataView(badLen.buffer).setUint32(28 - 4, 99, true); // SHB's trailing length
  pcapError(() => readCapture(badLen), /does not match.*byte offset 24\b/);
});

test('non-Ethernet captures are refused with a clear message', () => {
  const sll = new Bytes(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(113).bytes();
  pcapError(() => readCapture(sll), /link type 113 \(LINUX_SLL.*not Ethernet/);
  const b = new Bytes(true);
  block(b, 0x0a0d0d0a, fields(true, [[32, 0x1a2b3c4d], [16, 1], [16, 0], [32, 0], [32, 0]]));
  block(b, 1, fields(true, [[16, 101], [16, 0], [32, 0]]));
  pcapError(() => readCapture(b.bytes()), /link type 101 \(RAW IP\)/);
});

test('a packet block naming an undescribed interface is corrupt', () => {
  const b = new Bytes(true);
  block(b, 0x0a0d0d0a, fields(true, [[32, 0x1a2b3c4d], [16, 1], [16, 0], [32, 0], [32, 0]]));
  block(b, 6, fields(true, [[32, 0], [32, 0], [32, 0], [32, 0], [32, 0]]));
  pcapError(() => readCapture(b.bytes()), /interface 0, but 0 are described/);
});

const hasTshark = spawnSync('tshark', ['--version']).status === 0;
const NO_TSHARK = 'tshark is not installed (apt-get install -y tshark): cannot cross-check with it';

/** tshark's fields for each Ethernet frame (tshark also lists pcapng custom blocks as records). */
function tshark(path: string, ...fieldNames: string[]): string[][] {
  const args = ['-r', path, '-Y', 'eth', '-T', 'fields', '-E', 'separator=,', ...fieldNames.flatMap((f) => ['-e', f])];
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').map((l) => l.split(','));
}

test('tshark reads what PcapWriter writes', { skip: hasTshark ? false : NO_TSHARK }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-pcap-'));
  try {
    const path = join(dir, 'out.pcap');
    await writeCaptureFile(path, [
      { tsMs: 1700000000123.456, data: udpFrame(5) },
      { tsMs: 1700000000124, data: udpFrame(300) },
    ]);
    const rows = tshark(path, 'frame.time_epoch', 'frame.len', 'ip.src', 'udp.dstport');
    assert.deepEqual(rows, [
      ['1700000000.123456000', '47', '10.0.0.1', '53'],
      ['1700000000.124000000', '342', '10.0.0.1', '53'],
    ]);
    assert.equal((await readCaptureFile(path)).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tshark agrees with our reading of the hand-built pcapng files', { skip: hasTshark ? false : NO_TSHARK }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-pcapng-'));
  try {
    for (const le of [true, false]) {
      const path = join(dir, `in-${le}.pcapng`);
      writeFileSync(path, pcapng(le, udpFrame(3)));
      const rows = tshark(path, 'frame.time_epoch', 'frame.cap_len');
      assert.deepEqual(rows.map((r) => r[1]), ['45', '20', '45']);
      assert.equal(rows[0]![0], '1700000000.123456789');
      assert.equal(rows[1]![0], '2.500000000');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

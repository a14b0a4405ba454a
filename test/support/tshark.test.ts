// tshark, an independent dissector, checks the checksums of every sample frame the builder makes.
// The pcap file is written here by hand: a 24-byte global header and a 16-byte header per record.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eth } from './builder.js';
import { haveTool } from './external.js';
import { SAMPLES } from './samples.js';
import { tsharkChecksumStatuses, tsharkPresent, tsharkProblems } from './tshark.js';

/** A classic little-endian pcap (magic a1b2c3d4, v2.4, LINKTYPE_ETHERNET), one record a second. */
function pcap(frames: Uint8Array[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); // snaplen
  head.writeUInt32LE(1, 20);
  const parts = [head];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

/** Writes the frames to a pcap in a temporary directory and runs tshark over it. */
function tsharkStatuses(frames: Uint8Array[]): Map<string, string[]>[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-tshark-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcap(frames));
    const statuses = tsharkChecksumStatuses(file);
    assert.equal(statuses.length, frames.length, 'one line per frame');
    return statuses;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tshark finds no bad checksum in any sample frame', (t) => {
  if (!haveTool(t, tsharkPresent, 'tshark', 'apt-get install -y tshark')) return;
  const frames = SAMPLES.map((s) => s.frame.build());
  const statuses = tsharkStatuses(frames);
  SAMPLES.forEach((s, i) => assert.deepEqual(tsharkProblems(frames[i]!, statuses[i]!), [], s.name));
});

test('tshark agrees that deliberately bad checksums are bad (the check can fail)', (t) => {
  if (!haveTool(t, tsharkPresent, 'tshark', 'apt-get install -y tshark')) return;
  const base = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' });
  const cases: [Uint8Array, string][] = [
    [eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2', badChecksum: true }).udp({ sport: 1, dport: 2 }).build(), 'ip.checksum.status'],
    [base.tcp({ sport: 1, dport: 2, badChecksum: true }).build(), 'tcp.checksum.status'],
    [base.udp({ sport: 1, dport: 2, badChecksum: true }).build(), 'udp.checksum.status'],
    [base.icmp({ type: 'echo-request', badChecksum: true }).build(), 'icmp.checksum.status'],
    [eth().ipv6({ src: 'fd00::1', dst: 'fd00::2' }).icmpv6({ type: 'echo-request', badChecksum: true }).build(), 'icmpv6.checksum.status'],
  ];
  const statuses = tsharkStatuses(cases.map((c) => c[0]));
  cases.forEach(([, field], i) => assert.deepEqual(statuses[i]!.get(field), ['0'], field));
});

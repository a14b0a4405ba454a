// tshark, an independent dissector, checks the checksums of every sample frame the builder makes.
// The pcap file is written here by hand: a 24-byte global header and a 16-byte header per record.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eth } from './builder.js';
import { dissect } from './dissect.js';
import { haveTool } from './external.js';
import { SAMPLES } from './samples.js';

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

const FIELDS = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'gre.checksum.status'];
const L4 = new Set(['tcp.checksum.status', 'udp.checksum.status']);
// Wireshark's checksum status values: 0 bad, 1 good, 2 unverified, 3 not present, 4 illegal.
const BAD = new Set(['0', '4']);

/** Runs tshark over the frames; per frame, each field's values (one per occurrence). */
function tsharkStatuses(frames: Uint8Array[]): Map<string, string[]>[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-tshark-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcap(frames));
    const r = spawnSync('tshark', [
      '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f]),
    ], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, frames.length, 'one line per frame');
    return lines.map((l) => new Map(l.split('\t').map((v, i) => [FIELDS[i]!, v === '' ? [] : v.split(',')])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tsharkPresent = !spawnSync('tshark', ['-v'], { encoding: 'utf8' }).error;

test('tshark finds no bad checksum in any sample frame', (t) => {
  if (!haveTool(t, tsharkPresent, 'tshark', 'apt-get install -y tshark')) return;
  const frames = SAMPLES.map((s) => s.frame.build());
  const statuses = tsharkStatuses(frames);
  SAMPLES.forEach((s, i) => {
    const d = dissect(frames[i]!);
    // Wireshark judges a transport checksum inside an ICMP quote even when the quote is cut short,
    // where no checksum can be right; only those are set aside.
    const cutQuote = (d.icmp ?? d.icmpv6)?.inner?.truncated !== undefined;
    const seen: string[] = [];
    for (const [field, values] of statuses[i]!) {
      if (cutQuote && L4.has(field)) continue;
      for (const v of values) {
        assert.ok(!BAD.has(v), `${s.name}: tshark says ${field} = ${v}`);
        seen.push(v);
      }
    }
    if (!d.arp) assert.ok(seen.includes('1'), `${s.name}: tshark verified no checksum at all (${seen.join(',')})`);
  });
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

// tshark as an independent judge of checksums: runs it over a capture file and reports, per frame,
// every IP/TCP/UDP/ICMP/ICMPv6/GRE checksum status it computed (inner packets of tunnels too).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dissect } from './dissect.js';

export const CHECKSUM_FIELDS = [
  'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'gre.checksum.status',
];
const L4 = new Set(['tcp.checksum.status', 'udp.checksum.status']);
// Wireshark's checksum status values: 0 bad, 1 good, 2 unverified, 3 not present, 4 illegal.
const BAD = new Set(['0', '4']);

export const tsharkPresent = !spawnSync('tshark', ['-v'], { encoding: 'utf8' }).error;

/** Runs tshark over a pcap/pcapng file; per frame, each checksum field's values (one per occurrence). */
export function tsharkChecksumStatuses(file: string): Map<string, string[]>[] {
  const r = spawnSync('tshark', [
    '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', ...CHECKSUM_FIELDS.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tshark failed on ${file}: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => new Map(l.split('\t').map((v, i) => [CHECKSUM_FIELDS[i]!, v === '' ? [] : v.split(',')])));
}

/**
 * What tshark objects to in one frame, given that frame's statuses: every bad checksum, and a frame
 * other than ARP where tshark verified nothing at all. TCP/UDP statuses inside an ICMP quote that
 * is cut short are set aside: Wireshark judges them though no checksum can be right there.
 */
export function tsharkProblems(frame: Uint8Array, statuses: Map<string, string[]>): string[] {
  const d = dissect(frame);
  const cutQuote = (d.icmp ?? d.icmpv6)?.inner?.truncated !== undefined;
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [field, values] of statuses) {
    if (cutQuote && L4.has(field)) continue;
    for (const v of values) {
      if (BAD.has(v)) problems.push(`tshark says ${field} = ${v}`);
      seen.push(v);
    }
  }
  if (!d.arp && !seen.includes('1')) problems.push(`tshark verified no checksum at all (${seen.join(',')})`);
  return problems;
}

// `tsvs replay` refusing to run: a bad config line (with its number), a missing or corrupt capture,
// ports the config does not declare, bad arguments. Each exits 1, prints one clear line, writes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth } from '../support/builder.js';
import { S1_CONFIG, S1_MAC } from './configs.js';
import { capture, tsvsIn } from './run.js';

const SYN = eth({ src: S1_MAC.client, dst: S1_MAC.wan }).ipv4({ src: '10.0.0.48', dst: '10.0.0.100' }).tcp({ sport: 40000, dport: 80, flags: 'S' });
const GOOD_PCAP = capture([{ at: 1_700_000_000_000, desc: 'SYN', frame: SYN }]);
/** A valid capture whose last record promises 54 bytes and holds 20. */
const CUT_PCAP = GOOD_PCAP.subarray(0, 24 + 16 + 20);

interface ErrorCase {
  desc: string;
  files: Record<string, string | Uint8Array>;
  args: string[];
  /** The whole of stderr. */
  stderr: string;
}

const OUT = ['--out', 'dpdk0=to-servers.pcap', '--out', 'dpdk1=to-clients.pcap'];
const replayWith = (...inArgs: string[]): string[] => ['replay', '--config', 'lb.conf', ...inArgs, ...OUT];

const CASES: ErrorCase[] = [
  {
    desc: 'a line that does not parse: its number and text',
    files: { 'lb.conf': `${S1_CONFIG}tsvsadm -a -r 192.168.100.2 -b\n`, 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'dpdk1=c.pcap'),
    stderr: "tsvs: line 10: You need to supply the 'service-address' option for the 'add-server' command\n  tsvsadm -a -r 192.168.100.2 -b\n",
  },
  {
    desc: 'a line that parses but cannot be applied (the service exists)',
    files: { 'lb.conf': `${S1_CONFIG}\n# again\ntsvsadm -A -t 10.0.0.100:80 -s wlc\n`, 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'dpdk1=c.pcap'),
    stderr: 'tsvs: line 12: Service already exists: TCP 10.0.0.100:80\n  tsvsadm -A -t 10.0.0.100:80 -s wlc\n',
  },
  {
    desc: 'a device used before it is declared',
    files: { 'lb.conf': `tsip addr add 10.0.0.100/32 dev dpdk1\n${S1_CONFIG}`, 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'dpdk1=c.pcap'),
    stderr: 'tsvs: line 1: no such device: dpdk1 (declare it with: tsip link add dpdk1 lladdr MAC)\n  tsip addr add 10.0.0.100/32 dev dpdk1\n',
  },
  {
    desc: 'the config file is missing',
    files: { 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'dpdk1=c.pcap'),
    stderr: 'tsvs: cannot read lb.conf (config): no such file\n',
  },
  {
    desc: 'an input capture is missing',
    files: { 'lb.conf': S1_CONFIG },
    args: replayWith('--in', 'dpdk1=client.pcap'),
    stderr: 'tsvs: cannot read client.pcap (input capture for port dpdk1): no such file\n',
  },
  {
    desc: 'an input capture is not a capture at all',
    files: { 'lb.conf': S1_CONFIG, 'c.pcap': GOOD_PCAP, 'notes.pcap': 'these are my notes\n' },
    args: replayWith('--in', 'dpdk1=c.pcap', '--in', 'dpdk0=notes.pcap'),
    stderr: 'tsvs: notes.pcap: capture file: not a pcap or pcapng file (magic 0x74686573) (at byte offset 0)\n',
  },
  {
    desc: 'an input capture is cut short inside a frame',
    files: { 'lb.conf': S1_CONFIG, 'c.pcap': CUT_PCAP },
    args: replayWith('--in', 'dpdk1=c.pcap'),
    stderr: 'tsvs: c.pcap: capture file: truncated frame: 54 bytes captured, 20 present (at byte offset 24)\n',
  },
  {
    desc: '--in names a port the config does not declare',
    files: { 'lb.conf': S1_CONFIG, 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'eth0=c.pcap'),
    stderr: 'tsvs: --in names port eth0, which the config does not declare (tsip link add eth0 lladdr MAC)\n',
  },
  {
    desc: '--out names a port the config does not declare',
    files: { 'lb.conf': S1_CONFIG, 'c.pcap': GOOD_PCAP },
    args: ['replay', '--config', 'lb.conf', '--in', 'dpdk1=c.pcap', '--out', 'dpdk2=to-servers.pcap'],
    stderr: 'tsvs: --out names port dpdk2, which the config does not declare (tsip link add dpdk2 lladdr MAC)\n',
  },
  {
    desc: '--in without PORT=',
    files: { 'lb.conf': S1_CONFIG, 'c.pcap': GOOD_PCAP },
    args: replayWith('--in', 'c.pcap'),
    stderr: 'tsvs: --in takes PORT=FILE, got "c.pcap"\n',
  },
  {
    desc: 'no --config',
    files: { 'c.pcap': GOOD_PCAP },
    args: ['replay', '--in', 'dpdk1=c.pcap', ...OUT],
    stderr: 'tsvs: replay needs --config FILE\n',
  },
];

for (const c of CASES) {
  test(`replay refuses: ${c.desc}`, () => {
    tsvsIn(c.files, c.args, (run) => {
      assert.equal(run.stderr, c.stderr);
      assert.equal(run.status, 1);
      assert.equal(run.stdout, '');
      assert.equal(run.exists('to-servers.pcap'), false, 'no output capture is written');
      assert.equal(run.exists('to-clients.pcap'), false, 'no output capture is written');
    });
  });
}

test('the same files replay cleanly once the bad line is gone (the errors above are about that line)', () => {
  tsvsIn({ 'lb.conf': S1_CONFIG, 'c.pcap': GOOD_PCAP }, replayWith('--in', 'dpdk1=c.pcap'), (run) => {
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    assert.equal(run.read('to-servers.pcap').length, 1, 'the ARP request for RS .2');
    assert.equal(run.read('to-clients.pcap').length, 0);
  });
});

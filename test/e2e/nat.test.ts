// End to end, NAT (issue 3, "End to end" item 5; scenario S4's shape): only the destination is
// rewritten, the real servers route back through tsvs's LAN address; plus the kernel IPVS
// selftest's check (tools/testing/selftests/net/netfilter/ipvs.sh): 32 random bytes, socat, cmp.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetnsLab } from '../../src/lab/netns-lab.js';
import { E2E_WORKERS, lbSuite } from './lb-suite.js';

/** tsvs owns 192.168.100.1/24 on dpdk0 (its route comes with it): the servers' default gateway. */
const LINES = [
  'tsip addr add 10.0.0.100/32 dev dpdk1',
  'tsip addr add 192.168.100.1/24 dev dpdk0',
  'tsip route add 10.0.0.0/16 dev dpdk1',
  'tsvsadm -A -t 10.0.0.100:80 -s rr',
  'tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2:80 -m',
  'tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.3:80 -m',
];

/** The selftest's test_nat(): a service on 8080, one real server, socat sink there, socat client. */
function selftestCheck(getLab: () => NetnsLab): void {
  test('the kernel IPVS selftest\'s NAT check: 32 random bytes through VIP:8080 with socat arrive unchanged (cmp)', async () => {
    const lab = getLab();
    lab.ctl('tsvsadm -A -t 10.0.0.100:8080 -s rr');
    lab.ctl('tsvsadm -a -t 10.0.0.100:8080 -r 192.168.100.2:8080 -m');
    const infile = join(lab.dir, 'socat.in');
    const outfile = join(lab.dir, 'socat.out');
    writeFileSync(infile, randomBytes(32));
    const rs = lab.ns.rs[0]!;
    const server = lab.run(rs, 'timeout', '5', 'socat', '-u', '-4', 'TCP-LISTEN:8080,reuseaddr', `CREATE:${outfile}`);
    // The selftest sleeps 0.2 s; waiting for the listening socket is the same, without the guess.
    for (let i = 0; i < 100 && !lab.sh(rs, 'ss', '-Hltn', 'sport = :8080').includes(':8080'); i++) await sleep(20);
    lab.sh(lab.ns.client, 'timeout', '2', 'socat', '-u', '-4', `OPEN:${infile}`, 'TCP:10.0.0.100:8080');
    assert.equal(await server, 0, 'socat sink exit code');
    execFileSync('cmp', [infile, outfile]);
  });
}

for (const workers of E2E_WORKERS) {
  lbSuite({ title: 'NAT two-arm, servers routed through tsvs', lab: { nat: true }, lines: LINES, seen: 'client', more: selftestCheck }, workers);
}

// End to end, scenario S1 (FullNAT two-arm): curl through `tsvs daemon` on the afpacket driver to
// two nginx real servers in network namespaces; rr order, the LIP as source, big transfers, ping;
// with one worker and with two (AF_PACKET fanout steering).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, fnatRrLines } from '../../src/lab/netns-lab.js';
import { assertRrPerWorker, parseConns, splitByWorker, workerOf } from './per-worker.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;

/** S1's configuration, line for line (references/scenarios.md); the devices come from tsvs.conf. */
const S1 = [
  'tsip addr add 10.0.0.100/32 dev dpdk1',
  'tsip route add 10.0.0.0/16 dev dpdk1',
  'tsip route add 192.168.100.0/24 dev dpdk0',
  'tsvsadm -A -t 10.0.0.100:80 -s rr',
  'tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b',
  'tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.3 -b',
  'tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0',
];

test('the lab\'s FullNAT rr lines for two servers are S1\'s', () => {
  assert.deepEqual(fnatRrLines(2), S1);
});
/** The size: 100 MB each way (about a second per direction on veth). */
const BIG = 100 << 20;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// One worker, and two: with two, every connection's two directions must meet in the fanout.
for (const workers of [1, 2]) {
  describe(`S1: FullNAT two-arm through tsvs daemon (afpacket, ${workers} worker${workers > 1 ? 's' : ''})`, { skip, timeout: 180_000 }, () => {
    let lab: NetnsLab;
    const servers: { root: string; accessLog: string }[] = [];
    const curl = (...args: string[]): string => lab.sh(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '20', ...args);

    before(async () => {
      lab = new NetnsLab({ servers: 2 });
      lab.build();
      servers.push(lab.startNginx(0), lab.startNginx(1));
      await lab.startDaemon(undefined, { workers });
      for (const line of S1) lab.ctl(line);
    });

    after(async () => {
      await lab?.destroy();
    });

    test(`curl to the VIP succeeds repeatedly and rr alternates the two servers${workers > 1 ? ' within each worker' : ''}`, async () => {
      // The first request also resolves ARP both ways (client <-> tsvs, tsvs <-> servers).
      const get = (...extra: string[]): { server: number; port: number } => {
        const out = curl(...extra, '-w', '%{local_port}', 'http://10.0.0.100/');
        return { server: Number(/^rs(\d)/.exec(out)![1]) - 1, port: Number(out.slice(out.lastIndexOf('\n') + 1)) };
      };
      const ps = [get('--retry', '3', '--retry-all-errors'), ...Array.from({ length: 7 }, () => get())];
      assert.deepEqual(new Set(ps.map((p) => p.server)), new Set([0, 1]), JSON.stringify(ps));
      // Each worker has its own rr position (as DPVS's per-lcore schedulers): alternation holds
      // within each worker, found from -Lnc while the connections linger in the table.
      const conns = parseConns(lab.ctl('tsvsadm -Lnc'));
      assertRrPerWorker(splitByWorker(ps.map((p) => ({ server: p.server, worker: workerOf(conns, '10.0.0.48', p.port) })), workers));
    });

    test('the servers see the LIP 192.168.100.200 as the client (FullNAT)', () => {
      for (const s of servers) {
        const lines = readFileSync(s.accessLog, 'utf8').trim().split('\n');
        assert.ok(lines.length >= 1, `${s.accessLog} is empty`);
        for (const l of lines) assert.equal(l.split(' ')[0], '192.168.100.200', `access log line: ${l}`);
      }
    });

    test(`a ${BIG >> 20} MB download arrives with the same sha256`, () => {
      const data = randomBytes(BIG);
      // The same file on both servers: whichever rr picks serves identical bytes.
      for (const s of servers) writeFileSync(join(s.root, 'big.bin'), data);
      const out = join(lab.dir, 'down.bin');
      curl('-o', out, 'http://10.0.0.100/big.bin');
      assert.equal(sha256(readFileSync(out)), sha256(data));
    });

    test(`a ${BIG >> 20} MB upload arrives with the same sha256`, () => {
      const data = randomBytes(BIG);
      const src = join(lab.dir, 'up.bin');
      writeFileSync(src, data);
      curl('-T', src, 'http://10.0.0.100/up/up.bin');
      const landed = servers.filter((s) => readdirSync(join(s.root, 'up')).includes('up.bin'));
      assert.equal(landed.length, 1, 'exactly one server got the upload');
      assert.equal(sha256(readFileSync(join(landed[0]!.root, 'up', 'up.bin'))), sha256(data));
    });

    test('ping to the VIP is answered by tsvs (the kernel does not have the VIP)', () => {
      const out = lab.sh(lab.ns.client, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.0.0.100');
      assert.match(out, /3 received/);
      assert.equal(lab.sh(lab.ns.lb, 'ip', '-br', 'addr', 'show', 'dev', lab.wan).includes('10.0.0.100'), false);
    });

    test('the interfaces are taken over while tsvs runs and given back on SIGTERM', async () => {
      // test/e2e/takeover.test.ts checks the takeover in detail; here: in place, then gone.
      const arpIgnore = (): string => lab.sh(lab.ns.lb, 'sysctl', '-n', `net.ipv4.conf.${lab.wan}.arp_ignore`).trim();
      const tables = (): string => lab.sh(lab.ns.lb, 'nft', 'list', 'tables');
      assert.equal(arpIgnore(), '1');
      assert.match(tables(), /^table netdev tsvs_[0-9a-f]{8}$/m);
      assert.equal(await lab.stopDaemon(), 0);
      assert.equal(arpIgnore(), '0');
      assert.equal(tables(), '');
    });
  });
}

// Save and restore over real daemon sockets: `tsvsadm -S`, then -C and -R of that text, gives
// byte-identical rules; `tsvs save` loaded as another daemon's startup_script gives the same script.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, configure, output, startDaemon } from './harness.js';
import { V4, config } from '../ipvs/fnat/frames.js';
import { parseMac } from '../../src/packet/inet.js';

/** v4, v6 and NAT64 services; every forwarding method; persistence, thresholds, tunnels, laddrs, settings. */
const RICH = `tsip addr add 2001:db8::100/128 dev dpdk1
tsip addr add 10.1.0.1/24 dev dpdk0 sapool
tsip route add 2001:db8::/64 dev dpdk1
tsip route add fd00::/64 via fe80::1 dev dpdk0 metric 3 mtu 1400
tsip route add 10.9.0.0/16 dev dpdk1 scope kni_host
tsip neigh add fd00::2 lladdr 02:00:00:00:64:22 dev dpdk0
tsip link set dpdk1 mtu 9000
tsvsadm -A -u 10.0.0.100:53 -s sh -b sh-fallback,sh-port -o --conn-timeout 60
tsvsadm -a -u 10.0.0.100:53 -r 192.168.100.2 -m -w 3 -x 100 -y 10
tsvsadm -A -t [2001:db8::100]:443 -s wlc -p 600 -M 64 --expire-quiescent
tsvsadm -a -t [2001:db8::100]:443 -r [fd00::3]:443 -g -w 0
tsvsadm -a -t [2001:db8::100]:443 -r [fd00::2]:443 -i --tun-type gue --tun-port 6080 --tun-csum
tsvsadm -A -t 10.0.0.101:0 -s rr -p -M 255.255.255.0
tsvsadm -a -t 10.0.0.101:0 -r 192.168.100.3 -i --tun-type gre
tsvsadm -a -t 10.0.0.101:0 -r 192.168.100.4 -i
tsvsadm -A -u [2001:db8::100]:53 -s conhash --hash-target qid
tsvsadm -a -u [2001:db8::100]:53 -r 192.168.100.2:5353 -b -w 7
tsvsadm -P -u [2001:db8::100]:53 -z 192.168.100.201 -F dpdk0
tsvsadm -P -u [2001:db8::100]:53 -z 192.168.100.202 -F dpdk0
tsvs set ipvs_defs.tcp.timeout.established 600
tsvs set net.ipv4.vs.conn_reuse_mode 3
tsvs set ipv4_defs.forwarding 1
`;

const RULES = `-A -t 10.0.0.100:80 -s rr
-a -t 10.0.0.100:80 -r 192.168.100.2:80 -b -w 1
-a -t 10.0.0.100:80 -r 192.168.100.3:80 -b -w 1
-P -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0
-A -t 10.0.0.101:0 -s rr -p 360 -M 255.255.255.0
-a -t 10.0.0.101:0 -r 192.168.100.3:0 -i -w 1 --tun-type gre --tun-nocsum
-a -t 10.0.0.101:0 -r 192.168.100.4:0 -i -w 1 --tun-type ipip
-A -u 10.0.0.100:53 -s sh -o -b sh-fallback,sh-port --conn-timeout 60
-a -u 10.0.0.100:53 -r 192.168.100.2:53 -m -w 3 -x 100 -y 10
-A -t [2001:db8::100]:443 -s wlc -p 600 -M 64 --expire-quiescent
-a -t [2001:db8::100]:443 -r [fd00::2]:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -t [2001:db8::100]:443 -r [fd00::3]:443 -g -w 0
-A -u [2001:db8::100]:53 -s conhash --hash-target qid
-a -u [2001:db8::100]:53 -r 192.168.100.2:5353 -b -w 7
-P -u [2001:db8::100]:53 -z 192.168.100.201 -F dpdk0
-P -u [2001:db8::100]:53 -z 192.168.100.202 -F dpdk0
`;

describe('save and restore over the control socket', () => {
  let h: Harness;
  const out = (line: string): Promise<string> => output(h, line);
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'tcp' }) + RICH);
  });
  after(async () => h.close());

  test('tsvsadm -S: every option in ipvsadm-save form, sorted as ipvsadm sorts', async () => {
    assert.equal(await out('tsvsadm -S'), RULES);
    assert.equal(await out('tsvsadm -S -n'), RULES);
  });

  test('-S, -C, -R of the saved text: byte-identical; a restore with one bad line changes nothing', async () => {
    const saved = await out('tsvsadm -S');
    const listed = await out('tsvsadm -Ln');
    assert.equal((await h.cmd('tsvsadm -C')).ok, true);
    assert.equal(await out('tsvsadm -S'), '');
    // tsvsadm -R sends stdin as one batch, each rule with the program name in front (client.ts).
    const batch = (text: string): string => text.split('\n').filter(Boolean).map((l) => `tsvsadm ${l}`).join('\n');
    const bad = await h.batch(batch(saved + '-a -t 10.0.0.100:80 -r 192.168.100.2:80 -b -w 1\n'));
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /^line 17: Destination already exists: 192\.168\.100\.2:80/);
    assert.equal(await out('tsvsadm -S'), '');
    assert.equal((await h.batch(batch(saved))).ok, true);
    assert.equal(await out('tsvsadm -S'), saved);
    assert.equal(await out('tsvsadm -Ln'), listed);
  });

  test('tsvs save: a script another daemon loads at start (startup_script) and saves back identically', async () => {
    const script = await out('tsvs save');
    assert.equal(script, [
      '# tsvs save: replay with `tsvs daemon` (startup_script) or `tsvsadm -R`-style as one batch',
      'tsip link set dpdk0 lladdr 02:00:00:00:00:a0 mtu 1500 up',
      'tsip link set dpdk1 lladdr 02:00:00:00:00:a1 mtu 9000 up',
      'tsip addr add 10.0.0.100/32 dev dpdk1 scope global',
      'tsip addr add 2001:db8::100/128 dev dpdk1 scope global',
      'tsip addr add 10.1.0.1/24 dev dpdk0 scope global sapool',
      'tsip route add 10.0.0.0/16 dev dpdk1 scope link',
      'tsip route add 10.9.0.0/16 dev dpdk1 scope kni_host',
      'tsip route add 192.168.100.0/24 dev dpdk0 scope link',
      'tsip route add 2001:db8::/64 dev dpdk1 scope link',
      'tsip route add fd00::/64 via fe80::1 dev dpdk0 scope global metric 3 mtu 1400',
      'tsip neigh add 10.0.0.48 lladdr 02:00:00:00:30:48 dev dpdk1',
      'tsip neigh add 10.0.0.49 lladdr 02:00:00:00:30:49 dev dpdk1',
      'tsip neigh add 192.168.100.2 lladdr 02:00:00:00:64:02 dev dpdk0',
      'tsip neigh add 192.168.100.3 lladdr 02:00:00:00:64:03 dev dpdk0',
      'tsip neigh add fd00::2 lladdr 02:00:00:00:64:22 dev dpdk0',
      'tsvs set ipvs_defs.tcp.timeout.established 600',
      'tsvs set net.ipv4.vs.conn_reuse_mode 3',
      'tsvs set ipv4_defs.forwarding 1',
      ...RULES.split('\n').filter(Boolean).map((l) => `tsvsadm ${l}`),
      '',
    ].join('\n'));
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-save-'));
    try {
      writeFileSync(join(dir, 'saved.conf'), script);
      // Ports come from tsvs.conf, as on a real host; the script only sets their state.
      const h2 = await startDaemon(1, {
        startupScript: join(dir, 'saved.conf'),
        ports: [{ name: 'dpdk0', iface: 'eth1', mac: parseMac('02:00:00:00:00:a0')! }, { name: 'dpdk1', iface: 'eth2', mac: parseMac('02:00:00:00:00:a1')! }],
      });
      try {
        const r = await h2.cmd('tsvs save');
        assert.equal(r.output, script);
      } finally {
        await h2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

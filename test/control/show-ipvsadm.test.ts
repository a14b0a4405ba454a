// Golden output of tsvsadm's listings over a daemon with the memory driver (2 workers): each
// format against text written out here from ipvsadm's/DPVS's printf formats, column for column.
// Counts come from real frames injected per worker.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Harness, configure, output, startDaemon } from './harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';
import { largeNum } from '../../src/control/show/printf.js';
import { listAll } from '../../src/control/show/ipvsadm-list.js';
import { NUMERIC } from '../../src/control/show/names.js';
import type { ServiceView } from '../../src/control/views.js';
import { parseIp } from '../../src/packet/inet.js';
import type { ListOptions } from '../../src/control/commands.js';

/** Services of every kind: FullNAT (S1), NAT with thresholds, IPv6 persistent with tunnels, DR, GRE. */
const RICH = `tsvsadm -A -u 10.0.0.100:53 -s sh -b sh-port -o --conn-timeout 60
tsvsadm -a -u 10.0.0.100:53 -r 192.168.100.2 -m -w 3 -x 100 -y 10
tsvsadm -A -t [2001:db8::100]:443 -s wlc -p 600 -M 64
tsvsadm -a -t [2001:db8::100]:443 -r [fd00::3]:443 -g -w 0
tsvsadm -a -t [2001:db8::100]:443 -r [fd00::2]:443 -i --tun-type gue --tun-port 6080 --tun-csum
tsvsadm -A -t 10.0.0.101:0 -s rr -p -M 255.255.255.0
tsvsadm -a -t 10.0.0.101:0 -r 192.168.100.3 -i --tun-type gre
tsvsadm -A -t 127.0.0.1:80 -s conhash --expire-quiescent
tsvsadm -a -t 127.0.0.1:80 -r 127.0.0.1:80 -m
tsvsadm -A -t [2001:db8::200]:80 -s rr
tsvsadm -a -t [2001:db8::200]:80 -r 192.168.100.2:8080 -b
tsvsadm -P -t [2001:db8::200]:80 -z 192.168.100.201 -F dpdk0
tsvs set neigh_defs.timeout 30
tsvsadm --set 900 120 0
tsip route add 172.16.0.0/16 via 192.168.100.3 dev dpdk0 metric 5
`;

const HEADER = 'IP Virtual Server version 1.2.1 (size=8192)\n';

describe('tsvsadm listings (golden, daemon with 2 workers)', () => {
  let h: Harness;
  const out = (line: string): Promise<string> => output(h, line);
  before(async () => {
    h = await startDaemon(2);
    await configure(h, config(V4, { proto: 'tcp' }) + RICH);
    // Worker 0: two SYNs (rr: RS .2 then .3); worker 1: one SYN (RS .2). 54-byte frames, 40 bytes of IP.
    for (const [w, sport] of [[0, 40000], [0, 40001], [1, 40100]] as const) {
      h.rings.inject(w, 1, fromClient(V4).tcp({ sport, dport: 80, flags: 'S', seq: 1000 }).build());
      assert.equal((await h.tx(w, 1)).length, 1);
    }
  });
  after(async () => h.close());

  test('-Ln: version line, titles, sorted services and dests, flags, forwarding names', async () => {
    assert.equal(await out('tsvsadm -Ln'), HEADER + [
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             FullNat 1      0          2         ',
      '  -> 192.168.100.3:80             FullNat 1      0          1         ',
      'TCP  10.0.0.101:0 rr persistent 360 mask 255.255.255.0',
      '  -> 192.168.100.3:0              Tunnel  1      0          0         ',
      'TCP  127.0.0.1:80 conhash sip expire-quiescent',
      '  -> 127.0.0.1:80                 Masq    1      0          0         ',
      'UDP  10.0.0.100:53 sh (sh-port) ops conn-timeout 60',
      '  -> 192.168.100.2:53             Masq    3      0          0         ',
      'TCP  [2001:db8::100]:443 wlc persistent 600 mask 64',
      '  -> [fd00::2]:443                Tunnel  1      0          0         ',
      '  -> [fd00::3]:443                Route   0      0          0         ',
      'TCP  [2001:db8::200]:80 rr',
      '  -> 192.168.100.2:8080           FullNat 1      0          0         ',
      '',
    ].join('\n'));
  });

  test('-L without -n: names from /etc/hosts and /etc/services (127.0.0.1 localhost, 80 http, 53 domain)', async () => {
    const l = (await out('tsvsadm -L')).split('\n');
    assert.equal(l[3], 'TCP  10.0.0.100:http rr');
    assert.equal(l[4], '  -> 192.168.100.2:http           FullNat 1      0          2         ');
    assert.equal(l[8], 'TCP  localhost:http conhash sip expire-quiescent');
    assert.equal(l[9], '  -> localhost:http               Masq    1      0          0         ');
    assert.equal(l[10], 'UDP  10.0.0.100:domain sh (sh-port) ops conn-timeout 60');
    assert.equal(l[12], 'TCP  [2001:db8::100]:https wlc persistent 600 mask 64');
  });

  test('-L -t VIP:port: title and that service only; a missing one is ipvsadm\'s "No such service"', async () => {
    assert.equal(await out('tsvsadm -Ln -t 10.0.0.100:80 --stats'), [
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.100:80                       3        3        0      120        0',
      '  -> 192.168.100.2:80                    2        2        0       80        0',
      '  -> 192.168.100.3:80                    1        1        0       40        0',
      '',
    ].join('\n'));
    const r = await h.cmd('tsvsadm -Ln -t 10.0.0.9:80');
    assert.equal(r.ok, false);
    assert.equal(r.error, 'No such service: TCP 10.0.0.9:80');
  });

  test('--stats --exact, --thresholds, --persistent-conn, --tun-info', async () => {
    const lines = async (l: string, from: number, to: number): Promise<string[]> => (await out(l)).split('\n').slice(from, to);
    assert.deepEqual(await lines('tsvsadm -Ln --stats --exact', 1, 5), [
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.100:80                       3        3        0      120        0',
      '  -> 192.168.100.2:80                    2        2        0       80        0',
    ]);
    assert.deepEqual(await lines('tsvsadm -Ln --thresholds', 1, 5), [
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             0          0          0          2         ',
    ]);
    assert.deepEqual(await lines('tsvsadm -Ln --thresholds', 10, 12), [
      'UDP  10.0.0.100:53 sh (sh-port) ops conn-timeout 60',
      '  -> 192.168.100.2:53             100        10         0          0         ',
    ]);
    assert.deepEqual(await lines('tsvsadm -Ln --persistent-conn', 1, 5), [
      'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             1         0           0          2         ',
    ]);
    assert.deepEqual(await lines('tsvsadm -Ln --tun-info', 1, 8), [
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             FullNat n/a           1      0          2         ',
      '  -> 192.168.100.3:80             FullNat n/a           1      0          1         ',
      'TCP  10.0.0.101:0 rr persistent 360 mask 255.255.255.0',
      '  -> 192.168.100.3:0              Tunnel  gre:-c        1      0          0         ',
    ]);
    assert.deepEqual(await lines('tsvsadm -Ln --tun-info', 13, 14), ['  -> [fd00::2]:443                Tunnel  gue:6080:+c   1      0          0         ']);
  });

  test('-Lnc: DPVS\'s connection lines with the worker in brackets; --persistent-conn lists templates', async () => {
    const lines = (await out('tsvsadm -Lnc')).split('\n');
    assert.equal(lines.pop(), '');
    // SYN_RECV lasts 30 s; the listing is read within a few seconds of the SYNs.
    const norm = lines.map((l) => l.replace(/^(\[\d\]tcp )(\d+)s +/, (_m, p: string, s: string) => {
      assert.ok(Number(s) >= 27 && Number(s) <= 30, l);
      return `${p}30s    `;
    }));
    // Worker 0 owns the even local ports, worker 1 the odd ones; each RS bucket starts its own ring.
    assert.deepEqual(norm.sort(), [
      '[0]tcp 30s    SYN_RECV    10.0.0.48:40000    10.0.0.100:80      192.168.100.200:1026 192.168.100.2:80',
      '[0]tcp 30s    SYN_RECV    10.0.0.48:40001    10.0.0.100:80      192.168.100.200:1026 192.168.100.3:80',
      '[1]tcp 30s    SYN_RECV    10.0.0.48:40100    10.0.0.100:80      192.168.100.200:1025 192.168.100.2:80',
    ]);
    assert.equal(await out('tsvsadm -Lnc --persistent-conn'), '');
  });

  test('-G: DPVS\'s laddr listing in configuration order, conns per LIP (title once, columns padded as printf pads them)', async () => {
    assert.equal(await out('tsvsadm -G'), [
      'VIP:VPORT            TOTAL    SNAT_IP              CONFLICTS  CONNS     ',
      '10.0.0.100:80        1        ',
      '                              192.168.100.200      0          3         ',
      '10.0.0.100:53        0        ',
      '[2001:db8::100]:443  0        ',
      '10.0.0.101:0         0        ',
      '127.0.0.1:80         0        ',
      '[2001:db8::200]:80   1        ',
      '                              192.168.100.201      0          0         ',
      '',
    ].join('\n'));
    assert.equal((await out('tsvsadm -G -t [2001:db8::200]:80')).split('\n')[1], '[2001:db8::200]:80   1        ');
  });

  test('--timeout: tcp (ESTABLISHED), tcpfin (FIN_WAIT), udp after --set 900 120 0', async () => {
    assert.equal(await out('tsvsadm -L --timeout'), 'Timeout (tcp tcpfin udp): 900 120 300\n');
  });
});

describe('ipvsadm number formats (print_largenum) and --rate lines', () => {
  test('K/M/G/T steps and --exact widths', () => {
    assert.equal(largeNum(99_999_999, false), ' 99999999');
    assert.equal(largeNum(100_000_000, false), '  100000K');
    assert.equal(largeNum(999_999_999, false), '  999999K');
    assert.equal(largeNum(1_000_000_000, false), '    1000M');
    assert.equal(largeNum(2_938_000_000, false), '    2938M');
    assert.equal(largeNum(99_999_999_999, false), '   99999M');
    assert.equal(largeNum(100_000_000_000, false), '     100G');
    assert.equal(largeNum(100_000_000_000_000, false), '     100T');
    assert.equal(largeNum(12, true), '       12');
    assert.equal(largeNum(123_456_789, true), ' 123456789');
    assert.equal(largeNum(2_938_123_456, true), ' 2938123456');
  });

  test('--stats and --rate rows with large numbers', async () => {
    const c = (conns: number, inPkts: number, outPkts: number, inBytes: number, outBytes: number) => ({ conns, inPkts, outPkts, inBytes, outBytes });
    const dest = {
      key: 'd', addr: parseIp('192.168.88.215')!, port: 80, method: 'fnat' as const, weight: 1, uThreshold: 0, lThreshold: 0,
      activeConns: 0, inactConns: 0, persistConns: 0, stats: c(1, 1969674, 103645, 2938123456, 4218283), rate: c(5, 1200, 130, 1_500_000_000, 90),
    };
    const svc: ServiceView = {
      key: 's', proto: 'tcp', addr: parseIp('192.168.88.1')!, port: 80, scheduler: 'rr', schedFlags: [], netmaskPlen: 32, ops: false,
      connTimeout: 0, expireQuiescent: false, stats: dest.stats, rate: dest.rate, dests: [dest], laddrs: [],
    };
    const opts = (o: Partial<ListOptions>): ListOptions => ({
      numeric: true, connection: false, stats: false, rate: false, exact: false, thresholds: false, persistentConn: false,
      timeout: false, daemon: false, nosort: false, tunInfo: false, ...o,
    });
    // The real capture in DPVS doc/tc.md, line for line.
    assert.deepEqual((await listAll([svc], opts({ stats: true }), 0, NUMERIC)).split('\n').slice(1, 5), [
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
      '  -> RemoteAddress:Port',
      'TCP  192.168.88.1:80                     1  1969674   103645    2938M  4218283',
      '  -> 192.168.88.215:80                   1  1969674   103645    2938M  4218283',
    ]);
    assert.deepEqual((await listAll([svc], opts({ rate: true }), 0, NUMERIC)).split('\n').slice(1, 5), [
      'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS',
      '  -> RemoteAddress:Port',
      'TCP  192.168.88.1:80                     5     1200      130    1500M       90',
      '  -> 192.168.88.215:80                   5     1200      130    1500M       90',
    ]);
  });
});

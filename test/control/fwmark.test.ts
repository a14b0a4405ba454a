// Fwmark services (tsvsadm -f MARK [-6]) through a daemon with 2 workers: ipvsadm's listing and
// save lines, an exact save/restore round trip, the warning each creation logs, the REST API's
// view and /metrics. Frames sent meanwhile show they never reach a fwmark service.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { type Harness, configure, output, startDaemon } from './harness.js';
import { buildApi } from '../../src/control/api/server.js';
import { FWMARK_WARNING } from '../../src/control/daemon.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

const FWM = `tsvsadm -A -f 2 -6 -s rr -p 600 -M 64
tsvsadm -a -f 2 -6 -r [fd00::3]:443 -g -w 0
tsvsadm -a -f 2 -6 -r [fd00::2] -i --tun-type gue --tun-port 6080 --tun-csum
tsvsadm -A -f 1 -s wrr
tsvsadm -a -f 1 -r 192.168.100.3 -m -w 3 -x 100 -y 10
tsvsadm -a -f 1 -r 192.168.100.2:8080 -b
tsvsadm -P -f 1 -z 192.168.100.201 -F dpdk0
tsvsadm -A -f 1 -6 -s sh -b sh-port -o --conn-timeout 60
tsvsadm -A -f 4294967295 -s conhash --expire-quiescent
`;

/*
 * libipvs sorts by `int r = s1->fwmark - s2->fwmark` on unsigned marks: address services (mark 0)
 * before fwmark services, by mark, then family, except where the difference wraps, as for
 * 0 - 4294967295 = 1: mark 4294967295 sorts first, as ipvsadm prints it.
 */
const RULES = `-A -f 4294967295 -s conhash --hash-target sip --expire-quiescent
-A -t 10.0.0.100:80 -s rr
-a -t 10.0.0.100:80 -r 192.168.100.2:80 -b -w 1
-a -t 10.0.0.100:80 -r 192.168.100.3:80 -b -w 1
-P -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0
-A -f 1 -s wrr
-a -f 1 -r 192.168.100.2:8080 -b -w 1
-a -f 1 -r 192.168.100.3:0 -m -w 3 -x 100 -y 10
-P -f 1 -z 192.168.100.201 -F dpdk0
-A -f 1 -6 -s sh -o -b sh-port --conn-timeout 60
-A -f 2 -6 -s rr -p 600 -M 64
-a -f 2 -6 -r [fd00::2]:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -f 2 -6 -r [fd00::3]:443 -g -w 0
`;

describe('fwmark services (daemon, 2 workers)', () => {
  let h: Harness;
  let app: FastifyInstance;
  const out = (line: string): Promise<string> => output(h, line);
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const r = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: r.statusCode, body: r.body === '' ? undefined : JSON.parse(r.body) };
  };
  before(async () => {
    h = await startDaemon(2);
    app = await buildApi(h.daemon, { log: () => {} });
    await configure(h, config(V4, { proto: 'tcp' }) + FWM);
    // Worker 0: SYNs to VIP:80 (the address service, rr) and VIP:81 (no service: dropped).
    for (const sport of [40000, 40001]) {
      h.rings.inject(0, 1, fromClient(V4).tcp({ sport, dport: 80, flags: 'S', seq: 1000 }).build());
      assert.equal((await h.tx(0, 1)).length, 1);
    }
    h.rings.inject(1, 1, fromClient(V4).tcp({ sport: 40002, dport: 81, flags: 'S', seq: 1000 }).build());
    assert.equal((await h.tx(1, 1, 100)).length, 0);
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  test('each creation logs the warning once, naming the service', () => {
    assert.deepEqual(h.logs.filter((l) => l.event === 'fwmark_service'), ['fwm 2 ipv6', 'fwm 1', 'fwm 1 ipv6', 'fwm 4294967295'].map((service) => ({
      level: 'warn', event: 'fwmark_service', service, message: 'fwmark services match no traffic: tsvs frames carry no firewall mark (as in DPVS)',
    })));
    assert.equal(FWMARK_WARNING, 'fwmark services match no traffic: tsvs frames carry no firewall mark (as in DPVS)');
  });

  test('-Ln, --stats, --thresholds, --persistent-conn: FWM  MARK [IPv6], ipvsadm order, ports 0 kept', async () => {
    assert.equal(await out('tsvsadm -Ln'), [
      'IP Virtual Server version 1.2.1 (size=8192)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'FWM  4294967295 conhash sip expire-quiescent',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             FullNat 1      0          1         ',
      '  -> 192.168.100.3:80             FullNat 1      0          1         ',
      'FWM  1 wrr',
      '  -> 192.168.100.2:8080           FullNat 1      0          0         ',
      '  -> 192.168.100.3:0              Masq    3      0          0         ',
      'FWM  1 IPv6 sh (sh-port) ops conn-timeout 60',
      'FWM  2 IPv6 rr persistent 600 mask 64',
      '  -> [fd00::2]:0                  Tunnel  1      0          0         ',
      '  -> [fd00::3]:443                Route   0      0          0         ',
      '',
    ].join('\n'));
    const stats = (await out('tsvsadm -Ln --stats')).split('\n');
    assert.deepEqual(stats.slice(3, 8), [
      'FWM  4294967295                          0        0        0        0        0',
      'TCP  10.0.0.100:80                       2        2        0       80        0',
      '  -> 192.168.100.2:80                    1        1        0       40        0',
      '  -> 192.168.100.3:80                    1        1        0       40        0',
      'FWM  1                                   0        0        0        0        0',
    ]);
    assert.equal(stats[10], 'FWM  1 IPv6                              0        0        0        0        0');
    const thr = (await out('tsvsadm -Ln --thresholds')).split('\n');
    assert.deepEqual(thr.slice(7, 10), [
      'FWM  1 wrr',
      '  -> 192.168.100.2:8080           0          0          0          0         ',
      '  -> 192.168.100.3:0              100        10         0          0         ',
    ]);
    const pc = (await out('tsvsadm -Ln --persistent-conn')).split('\n');
    assert.deepEqual(pc.slice(11, 14), [
      'FWM  2 IPv6 rr persistent 600 mask 64',
      '  -> [fd00::2]:0                  1         0           0          0         ',
      '  -> [fd00::3]:443                0         0           0          0         ',
    ]);
    assert.equal(await out('tsvsadm -L -n -f 2 -6'), [
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'FWM  2 IPv6 rr persistent 600 mask 64',
      '  -> [fd00::2]:0                  Tunnel  1      0          0         ',
      '  -> [fd00::3]:443                Route   0      0          0         ',
      '',
    ].join('\n'));
    assert.equal((await h.cmd('tsvsadm -L -f 2')).error, 'No such service: FWM 2');
    assert.equal((await h.cmd('tsvsadm -A -f 1 -s rr')).error, 'Service already exists: FWM 1');
  });

  test('-S, -C, -R: byte-identical, fwmark services included; tsvs save ends with the same rules', async () => {
    assert.equal(await out('tsvsadm -S'), RULES);
    assert.equal((await h.cmd('tsvsadm -C')).ok, true);
    assert.equal(await out('tsvsadm -S'), '');
    const batch = RULES.split('\n').filter(Boolean).map((l) => `tsvsadm ${l}`).join('\n');
    assert.equal((await h.batch(batch)).ok, true);
    assert.equal(await out('tsvsadm -S'), RULES);
    const save = await out('tsvs save');
    assert.ok(save.endsWith(batch + '\n'), save);
  });

  test('REST API: fwmark and af where an address service has proto, addr and port; create, edit, dests, zero, delete', async () => {
    const all = (await call('GET', '/api/v1/services')).body as Record<string, unknown>[];
    const f1 = all.find((s) => s.key === 'fwm 1')!;
    assert.deepEqual(Object.keys(f1).slice(0, 3), ['key', 'fwmark', 'af']);
    assert.equal('proto' in f1 || 'addr' in f1 || 'port' in f1, false);
    assert.deepEqual([f1.fwmark, f1.af, f1.scheduler], [1, 4, 'wrr']);
    assert.deepEqual((f1.dests as { key: string; port: number }[]).map((d) => [d.key, d.port]),
      [['fwm 1 -> 192.168.100.2:8080', 8080], ['fwm 1 -> 192.168.100.3:0', 0]]);
    assert.deepEqual((f1.laddrs as { addr: string }[]).map((l) => l.addr), ['192.168.100.201']);
    const tcp = all.find((s) => s.key === 'tcp 10.0.0.100:80')!;
    assert.deepEqual([tcp.proto, tcp.addr, tcp.port, 'fwmark' in tcp], ['tcp', '10.0.0.100', 80, false]);

    const one = (await call('GET', '/api/v1/services/fwm/2/ipv6')).body as Record<string, unknown>;
    assert.deepEqual([one.key, one.fwmark, one.af, one.persistent, one.netmaskPlen], ['fwm 2 ipv6', 2, 6, 600, 64]);
    assert.deepEqual(await call('GET', '/api/v1/services/fwm/2/ipv4'), { status: 404, body: { error: 'no service fwm 2', code: 'TSVS_ERR_NO_SERVICE' } });
    assert.equal((await call('GET', '/api/v1/services/fwm/0/ipv4')).status, 400);

    const created = await call('POST', '/api/v1/services', { fwmark: 7, af: 6, scheduler: 'rr', netmaskPlen: 48, persistent: 30, dests: [{ addr: 'fd00::4' }] });
    assert.equal(created.status, 201);
    const c = created.body as Record<string, unknown>;
    assert.deepEqual([c.key, c.fwmark, c.af, c.netmaskPlen, (c.dests as { key: string }[]).map((d) => d.key)],
      ['fwm 7 ipv6', 7, 6, 48, ['fwm 7 ipv6 -> [fd00::4]:0']]);
    assert.deepEqual(h.logs.filter((l) => l.event === 'fwmark_service').at(-1), { level: 'warn', event: 'fwmark_service', service: 'fwm 7 ipv6', message: FWMARK_WARNING });
    assert.equal(((await call('PATCH', '/api/v1/services/fwm/7/ipv6', { scheduler: 'wlc' })).body as { scheduler: string }).scheduler, 'wlc');
    assert.equal((await call('POST', '/api/v1/services/fwm/7/ipv6/dests', { addr: 'fd00::5', port: 8080, method: 'nat' })).status, 201);
    assert.deepEqual(((await call('PATCH', '/api/v1/services/fwm/7/ipv6/dests/fd00::5/8080', { weight: 4 })).body as { weight: number }).weight, 4);
    assert.equal((await call('DELETE', '/api/v1/services/fwm/7/ipv6/dests/fd00::4/0')).status, 204);
    assert.deepEqual(((await call('GET', '/api/v1/services/fwm/7/ipv6/dests')).body as { key: string }[]).map((d) => d.key), ['fwm 7 ipv6 -> [fd00::5]:8080']);
    assert.deepEqual(await call('POST', '/api/v1/stats/zero', { service: { fwmark: 7, af: 6 } }), { status: 204, body: undefined });
    assert.deepEqual(await call('POST', '/api/v1/services', { fwmark: 8, proto: 'tcp' }),
      { status: 400, body: { error: 'fwmark: a fwmark service has no proto, addr or port', code: 'TSVS_ERR_INVALID_ARG' } });
    assert.deepEqual(await call('POST', '/api/v1/services', { proto: 'tcp', addr: '10.0.0.100', port: 90, af: 4 }),
      { status: 400, body: { error: 'af: only for a fwmark service (the address gives the family)', code: 'TSVS_ERR_INVALID_ARG' } });
    assert.deepEqual(await call('DELETE', '/api/v1/services/fwm/7/ipv6'), { status: 204, body: undefined });
    assert.equal((await call('GET', '/api/v1/services/fwm/7/ipv6')).status, 404);
  });

  test('/metrics: fwmark services and their dests under their keys, counters 0', async () => {
    const lines = new Set((await app.inject({ url: '/metrics' })).body.split('\n'));
    for (const l of [
      'tsvs_service_connections_total{service="fwm 1"} 0',
      'tsvs_service_connections_total{service="fwm 2 ipv6"} 0',
      'tsvs_dest_connections_total{service="fwm 1",dest="192.168.100.3:0"} 0',
      'tsvs_dest_weight{service="fwm 1",dest="192.168.100.3:0"} 3',
      'tsvs_dest_weight{service="fwm 2 ipv6",dest="[fd00::3]:443"} 0',
      'tsvs_worker_drops_total{worker="1",reason="no_service"} 1',
    ]) assert.ok(lines.has(l), `missing: ${l}`);
  });
});

// The REST API by injection (no socket): every endpoint against a live daemon with 2 workers on
// the memory driver, the exact 4xx bodies, atomicity of multi-operation requests, and the token.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { type Harness, startDaemon } from './harness.js';
import { buildApi } from '../../src/control/api/server.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

describe('REST API by injection (2 workers, memory driver)', () => {
  let h: Harness;
  let app: FastifyInstance;
  const call = async (method: Method, url: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const r = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: r.statusCode, body: r.body === '' ? undefined : JSON.parse(r.body) };
  };
  /** Everything a change could touch, to compare before and after a refused request. */
  const snapshot = async (): Promise<unknown[]> =>
    Promise.all(['/api/v1/services', '/api/v1/addresses', '/api/v1/routes', '/api/v1/links'].map(async (u) => (await call('GET', u)).body));

  before(async () => {
    h = await startDaemon(2);
    app = await buildApi(h.daemon, { log: (r) => h.logs.push(r) });
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  test('POST /api/v1/batch applies CLI lines as one change', async () => {
    const lines = config(V4).trim().split('\n');
    assert.deepEqual(await call('POST', '/api/v1/batch', { lines }), { status: 200, body: { applied: 13 } });
    const { body } = await call('GET', '/api/v1/services');
    const [svc] = body as { key: string; scheduler: string; dests: { key: string; method: string; weight: number }[]; laddrs: unknown[] }[];
    assert.equal(svc!.key, 'tcp 10.0.0.100:80');
    assert.equal(svc!.scheduler, 'rr');
    assert.deepEqual(svc!.dests.map((d) => [d.key, d.method, d.weight]), [
      ['tcp 10.0.0.100:80 -> 192.168.100.2:80', 'fnat', 1], ['tcp 10.0.0.100:80 -> 192.168.100.3:80', 'fnat', 1],
    ]);
    assert.deepEqual(svc!.laddrs, [{ addr: '192.168.100.200', dev: 'dpdk0', conns: 0, conflicts: 0 }]);
  });

  test('a batch with one bad line changes nothing and names the line', async () => {
    const before_ = await snapshot();
    const r = await call('POST', '/api/v1/batch', {
      script: 'tsvsadm -A -t 10.0.0.1:80 -s rr\ntsip route add 172.16.0.0/16 dev dpdk0\n# comment\ntsvsadm -a -t 10.0.0.2:80 -r 1.2.3.4\n',
    });
    assert.deepEqual(r, { status: 404, body: { error: 'line 4: No such service: TCP 10.0.0.2:80\n  tsvsadm -a -t 10.0.0.2:80 -r 1.2.3.4', code: 'TSVS_ERR_NO_SERVICE' } });
    assert.deepEqual(await call('POST', '/api/v1/batch', { lines: ['tsvsadm -A -t 10.0.0.1:80', 'tsvsadm -Q -t 10.0.0.1:80 --bogus'] }), {
      status: 400, body: { error: "line 2: invalid option '--bogus'\n  tsvsadm -Q -t 10.0.0.1:80 --bogus", code: 'TSVS_ERR_SYNTAX' },
    });
    assert.deepEqual(await call('POST', '/api/v1/batch', { lines: ['tsvsadm -L -n'] }), {
      status: 400, body: { error: 'line 1: list is not a configuration command\n  tsvsadm -L -n', code: 'TSVS_ERR_UNSUPPORTED' },
    });
    assert.deepEqual(await call('POST', '/api/v1/batch', { lines: ['a\nb'] }), {
      status: 400, body: { error: 'lines[0]: one command per line (no newline inside); send a text as script' },
    });
    assert.deepEqual(await call('POST', '/api/v1/batch', { lines: ['x'], script: 'y' }), {
      status: 400, body: { error: 'body: must NOT have more than 1 properties', code: 'TSVS_ERR_INVALID_ARG' },
    });
    assert.deepEqual(await snapshot(), before_);
  });

  test('services: create with dests and laddrs, read, edit, delete', async () => {
    const created = await call('POST', '/api/v1/services', {
      proto: 'udp', addr: '2001:db8:0::1', port: 53, scheduler: 'sh', schedFlags: ['sh-port'], persistent: 60, netmaskPlen: 64,
      dests: [{ addr: 'fd00::5', port: 5353, method: 'fnat', weight: 3 }, { addr: 'fd00::6', port: 5353, method: 'fnat' }],
      laddrs: [{ addr: 'fd00::200', dev: 'dpdk0' }],
    });
    assert.equal(created.status, 201);
    const s = created.body as Record<string, unknown> & { dests: Record<string, unknown>[] };
    assert.deepEqual([s.key, s.addr, s.scheduler, s.schedFlags, s.persistent, s.netmaskPlen, s.ops], ['udp [2001:db8::1]:53', '2001:db8::1', 'sh', ['sh-port'], 60, 64, false]);
    assert.deepEqual(s.dests.map((d) => [d.addr, d.port, d.method, d.weight]), [['fd00::5', 5353, 'fnat', 3], ['fd00::6', 5353, 'fnat', 1]]);
    assert.deepEqual(s.laddrs, [{ addr: 'fd00::200', dev: 'dpdk0', conns: 0, conflicts: 0 }]);
    const one = '/api/v1/services/udp/2001:db8::1/53';
    assert.deepEqual((await call('GET', one)).body, s);

    const edited = await call('PATCH', one, { scheduler: 'rr', connTimeout: 30 });
    assert.equal(edited.status, 200);
    assert.deepEqual([(edited.body as { scheduler: string }).scheduler, (edited.body as { connTimeout: number }).connTimeout], ['rr', 30]);

    // dests under the service
    assert.deepEqual((await call('POST', `${one}/dests`, { addr: 'fd00::7', port: 5353, method: 'fnat', weight: 2 })).status, 201);
    const w0 = await call('PATCH', `${one}/dests/fd00::7/5353`, { weight: 0 });
    assert.deepEqual([w0.status, (w0.body as { weight: number }).weight], [200, 0]);
    assert.deepEqual(((await call('GET', `${one}/dests`)).body as { addr: string }[]).map((d) => d.addr), ['fd00::5', 'fd00::6', 'fd00::7']);
    assert.deepEqual(await call('DELETE', `${one}/dests/fd00::7/5353`), { status: 204, body: undefined });
    assert.deepEqual(await call('DELETE', `${one}/dests/fd00::7/5353`), { status: 404, body: { error: 'No such destination: [fd00::7]:5353', code: 'TSVS_ERR_NO_DEST' } });

    // laddrs under the service
    assert.equal((await call('POST', `${one}/laddrs`, { addr: 'fd00::201', dev: 'dpdk0' })).status, 201);
    assert.deepEqual(((await call('GET', `${one}/laddrs`)).body as { addr: string }[]).map((l) => l.addr), ['fd00::200', 'fd00::201']);
    assert.deepEqual(await call('DELETE', `${one}/laddrs/fd00::201`), { status: 204, body: undefined });
    assert.deepEqual(await call('DELETE', `${one}/laddrs/fd00::201`), {
      status: 404, body: { error: 'service udp [2001:db8::1]:53 has no local address fd00::201', code: 'TSVS_ERR_NO_LADDR' },
    });

    assert.deepEqual(await call('DELETE', one), { status: 204, body: undefined });
    assert.deepEqual(await call('GET', one), { status: 404, body: { error: 'no service udp [2001:db8::1]:53', code: 'TSVS_ERR_NO_SERVICE' } });
  });

  test('bad requests get 4xx with a precise message and change nothing', async () => {
    const before_ = await snapshot();
    const bad = async (method: Method, url: string, body: unknown, status: number, error: string, code?: string): Promise<void> => {
      const r = await app.inject({ method, url, ...(typeof body === 'string' ? { payload: body, headers: { 'content-type': 'application/json' } } : { payload: body as object }) });
      assert.deepEqual([r.statusCode, JSON.parse(r.body)], [status, code === undefined ? { error } : { error, code }], `${method} ${url}`);
    };
    const svc = { proto: 'tcp', addr: '10.0.0.101', port: 80 };
    await bad('POST', '/api/v1/services', '{"proto": "tcp",', 400, "Body is not valid JSON but content-type is set to 'application/json'", 'FST_ERR_CTP_INVALID_JSON_BODY');
    await bad('POST', '/api/v1/services', { ...svc, bogus: 1 }, 400, 'bogus: unknown field', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { ...svc, port: '80' }, 400, 'port: must be integer', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { addr: '10.0.0.101', port: 80 }, 400, 'proto: required', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { ...svc, dests: [{ addr: '1.1.1.1' }, { addr: '1.1.1.2' }, { addr: '1.1.1.3', weight: 70000 }] },
      400, 'dests[2].weight: must be an integer 0..65535', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { ...svc, dests: [{ addr: '1.1.1.1', wieght: 2 }] }, 400, 'dests[0].wieght: unknown field', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { ...svc, scheduler: 'fifo' }, 400,
      'scheduler: must be one of "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos", "conhash"', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/services', { ...svc, addr: '10.0.0.300' }, 400, "addr: '10.0.0.300' is not an IPv4 or IPv6 address", 'TSVS_ERR_INVALID_ARG');
    // A rule of the tsvsadm parser, reported against the request.
    await bad('POST', '/api/v1/services', { ...svc, ops: true }, 400, 'One-Packet Scheduling is only for UDP virtual services', 'TSVS_ERR_SYNTAX');
    // Atomic: the service and its first dest were valid, the second dest is a duplicate.
    await bad('POST', '/api/v1/services', { ...svc, dests: [{ addr: '1.1.1.1' }, { addr: '1.1.1.1' }] }, 409, 'dests[1]: Destination already exists: 1.1.1.1:80', 'TSVS_ERR_DEST_EXISTS');
    await bad('POST', '/api/v1/services', { ...svc, laddrs: [{ addr: '192.168.100.210', dev: 'dpdk9' }] }, 404, 'laddrs[0]: no such device: dpdk9 (declare it with: tsip link add dpdk9 lladdr MAC)', 'TSVS_ERR_NO_PORT');
    await bad('POST', '/api/v1/services', { proto: 'tcp', addr: '10.0.0.100', port: 80 }, 409, 'Service already exists: TCP 10.0.0.100:80', 'TSVS_ERR_SERVICE_EXISTS');
    await bad('GET', '/api/v1/services/sctp/10.0.0.100/80', undefined, 400, 'params proto: must be one of "tcp", "udp"', 'TSVS_ERR_INVALID_ARG');
    await bad('GET', '/api/v1/services/tcp/10.0.0.100/http', undefined, 400, 'params port: must be an integer 0..65535', 'TSVS_ERR_INVALID_ARG');
    await bad('GET', '/api/v1/services/tcp/10.0.0.100/70000', undefined, 400, 'params port: must be an integer 0..65535', 'TSVS_ERR_INVALID_ARG');
    await bad('PATCH', '/api/v1/services/tcp/10.9.9.9/80', { scheduler: 'rr' }, 404, 'No such service: TCP 10.9.9.9:80', 'TSVS_ERR_NO_SERVICE');
    await bad('PATCH', '/api/v1/services/tcp/10.0.0.100/80', { ops: true }, 400, 'ops: unknown field', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/addresses', { addr: '10.0.0.5', dev: 'dpdk0', scope: 'site' }, 400, 'scope: must be one of "host", "link", "global"', 'TSVS_ERR_INVALID_ARG');
    await bad('POST', '/api/v1/neighbours', { addr: '10.0.0.5', dev: 'dpdk0', mac: '02:00' }, 400, 'mac: must be a MAC address such as 02:00:00:00:00:01', 'TSVS_ERR_INVALID_ARG');
    await bad('DELETE', '/api/v1/addresses/10.0.0.5', undefined, 404, 'no address 10.0.0.5', 'TSVS_ERR_NO_ADDR');
    await bad('GET', '/api/v1/connections?limit=0', undefined, 400, 'query limit: must be an integer 1..10000', undefined);
    await bad('GET', '/api/v1/connections?limit=ten', undefined, 400, 'query limit: must be an integer 1..10000 (rows per page; default 1000)', 'TSVS_ERR_INVALID_ARG');
    await bad('GET', '/api/v1/connections?cursor=7.0', undefined, 400, 'query cursor: worker 7 does not exist (the daemon has 2)', undefined);
    await bad('GET', '/api/v1/nothing', undefined, 404, 'no such endpoint: GET /api/v1/nothing (the API is described at /openapi.json)');
    await bad('POST', '/api/v1/settings', { key: 'ipv4_defs.default_ttl', value: 300 }, 400, 'ipv4_defs.default_ttl 300 is out of range 1..255', 'TSVS_ERR_SYNTAX');
    assert.deepEqual(await snapshot(), before_);
  });

  test('addresses, routes, neighbours, links, timeouts, settings', async () => {
    assert.equal((await call('POST', '/api/v1/addresses', { addr: '10.0.0.200', plen: 24, dev: 'dpdk1', sapool: true })).status, 201);
    const addrs = (await call('GET', '/api/v1/addresses')).body as { addr: string }[];
    assert.deepEqual(addrs.find((a) => a.addr === '10.0.0.200'), { addr: '10.0.0.200', plen: 24, dev: 'dpdk1', sapool: true, scope: 'global', implicit: false });
    // Its connected route came with it (dpip's rule).
    assert.ok(((await call('GET', '/api/v1/routes')).body as { prefix: string }[]).some((r) => r.prefix === '10.0.0.0/24'));
    assert.deepEqual(await call('DELETE', '/api/v1/addresses/10.0.0.200'), { status: 204, body: undefined });
    assert.equal(((await call('GET', '/api/v1/routes')).body as { prefix: string }[]).some((r) => r.prefix === '10.0.0.0/24'), false);

    assert.equal((await call('POST', '/api/v1/routes', { prefix: '172.16.0.0/16', via: '192.168.100.2', metric: 5 })).status, 201);
    assert.deepEqual(((await call('GET', '/api/v1/routes')).body as { prefix: string }[]).find((r) => r.prefix === '172.16.0.0/16'),
      { prefix: '172.16.0.0/16', via: '192.168.100.2', dev: 'dpdk0', scope: 'global', metric: 5 });
    assert.deepEqual(await call('DELETE', '/api/v1/routes/172.16.0.0/16?metric=5'), { status: 204, body: undefined });
    assert.deepEqual(await call('DELETE', '/api/v1/routes/172.16.0.0/16'), {
      status: 404, body: { error: 'no route 172.16.0.0/16 (RTNETLINK answers: No such process)', code: 'TSVS_ERR_NO_ROUTE' },
    });

    assert.equal((await call('POST', '/api/v1/neighbours', { addr: '192.168.100.9', mac: '02:00:00:00:64:09', dev: 'dpdk0' })).status, 201);
    const neigh = (await call('GET', '/api/v1/neighbours')).body as { worker: number; addr: string }[];
    assert.deepEqual(neigh.filter((n) => n.addr === '192.168.100.9'), [0, 1].map((worker) => ({
      worker, addr: '192.168.100.9', mac: '02:00:00:00:64:09', state: 'PERMANENT', dev: 'dpdk0', isStatic: true,
    })));
    assert.deepEqual(await call('DELETE', '/api/v1/neighbours/192.168.100.9?dev=dpdk0'), { status: 204, body: undefined });
    assert.equal(((await call('GET', '/api/v1/neighbours')).body as { addr: string }[]).some((n) => n.addr === '192.168.100.9'), false);

    const link = await call('PATCH', '/api/v1/links/dpdk1', { mtu: 9000 });
    assert.deepEqual([link.status, (link.body as { mtu: number }).mtu], [200, 9000]);
    assert.equal((await call('PATCH', '/api/v1/links/dpdk1', { mtu: 1500 })).status, 200);

    assert.deepEqual(await call('PUT', '/api/v1/timeouts', { tcp: 900, tcpfin: 120, udp: 300 }), { status: 204, body: undefined });
    assert.deepEqual(await call('GET', '/api/v1/timeouts'), { status: 200, body: { tcp: 900, tcpfin: 120, udp: 300 } });
    // 0 keeps a value, as in ipvsadm --set.
    assert.deepEqual(await call('PUT', '/api/v1/timeouts', { tcp: 0, tcpfin: 60, udp: 0 }), { status: 204, body: undefined });
    assert.deepEqual(await call('GET', '/api/v1/timeouts'), { status: 200, body: { tcp: 900, tcpfin: 60, udp: 300 } });
    assert.deepEqual(await call('POST', '/api/v1/settings', { key: 'ipv4_defs.default_ttl', value: 64 }), { status: 204, body: undefined });
  });

  test('connections (paged), stats and /metrics read the workers', async () => {
    // 3 SYNs to worker 0, 2 to worker 1; rr per worker: worker 0 -> RS .2, .3, .2; worker 1 -> .2, .3.
    for (const [w, n] of [[0, 3], [1, 2]] as const) {
      for (let i = 0; i < n; i++) h.rings.inject(w, 1, fromClient(V4).tcp({ sport: 41000 + w * 100 + i, dport: 80, flags: 'S', seq: 1000 }).build());
      assert.equal((await h.tx(w, n)).length, n);
    }
    const p1 = await call('GET', '/api/v1/connections?limit=2');
    const b1 = p1.body as { connections: { worker: number; cport: number; state: string }[]; next: string };
    assert.deepEqual([p1.status, b1.connections.length, b1.next.startsWith('0.')], [200, 2, true]);
    const b2 = (await call('GET', `/api/v1/connections?limit=10&cursor=${b1.next}`)).body as typeof b1;
    assert.equal(b2.next, null);
    assert.deepEqual([...b1.connections, ...b2.connections].map((c) => [c.worker, c.cport, c.state]).sort(), [
      [0, 41000, 'SYN_RECV'], [0, 41001, 'SYN_RECV'], [0, 41002, 'SYN_RECV'], [1, 41100, 'SYN_RECV'], [1, 41101, 'SYN_RECV'],
    ]);

    const stats = (await call('GET', '/api/v1/stats')).body as {
      services: { key: string; stats: { conns: number; inPkts: number }; dests: { key: string; stats: { conns: number }; inactConns: number }[] }[];
      links: { name: string; stats: { rxPackets: number; txPackets: number } }[];
      workers: { worker: number; connections: number; drops: Record<string, number>; ports: Record<string, { rxPackets: number; txPackets: number }> }[];
    };
    const svc = stats.services.find((s) => s.key === 'tcp 10.0.0.100:80')!;
    assert.deepEqual([svc.stats.conns, svc.stats.inPkts], [5, 5]);
    assert.deepEqual(svc.dests.map((d) => [d.key, d.stats.conns, d.inactConns]), [
      ['tcp 10.0.0.100:80 -> 192.168.100.2:80', 3, 3], ['tcp 10.0.0.100:80 -> 192.168.100.3:80', 2, 2],
    ]);
    assert.deepEqual(stats.links.map((l) => [l.name, l.stats.rxPackets, l.stats.txPackets]), [['dpdk0', 0, 5], ['dpdk1', 5, 0]]);
    assert.deepEqual(stats.workers.map((w) => [w.worker, w.connections, w.drops, w.ports.dpdk1!.rxPackets, w.ports.dpdk0!.txPackets]), [
      [0, 3, {}, 3, 3], [1, 2, {}, 2, 2],
    ]);

    const m = await app.inject({ url: '/metrics' });
    assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const lines = new Set(m.body.split('\n'));
    for (const l of [
      'tsvs_service_connections_total{service="tcp 10.0.0.100:80"} 5',
      'tsvs_service_packets_total{service="tcp 10.0.0.100:80",direction="in"} 5',
      'tsvs_dest_connections_total{service="tcp 10.0.0.100:80",dest="192.168.100.2:80"} 3',
      'tsvs_dest_connections_total{service="tcp 10.0.0.100:80",dest="192.168.100.3:80"} 2',
      'tsvs_dest_inactive_connections{service="tcp 10.0.0.100:80",dest="192.168.100.2:80"} 3',
      'tsvs_dest_active_connections{service="tcp 10.0.0.100:80",dest="192.168.100.2:80"} 0',
      'tsvs_service_inactive_connections{service="tcp 10.0.0.100:80"} 5',
      'tsvs_worker_connections{worker="0"} 3',
      'tsvs_worker_connections{worker="1"} 2',
      'tsvs_worker_connection_capacity{worker="1"} 4096',
      'tsvs_port_rx_packets_total{worker="0",port="dpdk1"} 3',
      'tsvs_port_tx_packets_total{worker="1",port="dpdk0"} 2',
      'tsvs_worker_drops_total{worker="0",reason="no_route"} 0',
      '# TYPE tsvs_worker_drops_total counter',
      '# TYPE tsvs_dest_active_connections gauge',
    ]) assert.ok(lines.has(l), `missing: ${l}`);
    assert.match(m.body, /^tsvs_build_info\{version="\d+\.\d+\.\d+",node="v\d+\.\d+\.\d+"\} 1$/m);

    // A frame to the VIP on a port no service has is dropped and counted by reason.
    h.rings.inject(1, 1, fromClient(V4).tcp({ sport: 42000, dport: 81, flags: 'S' }).build());
    await new Promise((r) => setTimeout(r, 50));
    assert.ok((await app.inject({ url: '/metrics' })).body.split('\n').includes('tsvs_worker_drops_total{worker="1",reason="no_service"} 1'));
    assert.deepEqual(((await call('GET', '/api/v1/stats')).body as typeof stats).workers[1]!.drops, { no_service: 1 });

    assert.deepEqual(await call('POST', '/api/v1/stats/zero', { service: { proto: 'tcp', addr: '10.0.0.100', port: 80 } }), { status: 204, body: undefined });
    const zeroed = ((await call('GET', '/api/v1/stats')).body as typeof stats).services.find((s) => s.key === 'tcp 10.0.0.100:80')!;
    assert.deepEqual([zeroed.stats.conns, zeroed.stats.inPkts], [0, 0]);
  });

  test('a worker restart is counted; its connections leave the table gauge', async () => {
    const metric = async (): Promise<Set<string>> => new Set((await app.inject({ url: '/metrics' })).body.split('\n'));
    assert.ok((await metric()).has('tsvs_worker_restarts_total{worker="1"} 0'));
    h.daemon.pool.crash(1);
    for (let i = 0; i < 200 && h.daemon.pool.restarts(1) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const m = await metric();
    for (const l of ['tsvs_worker_restarts_total{worker="1"} 1', 'tsvs_worker_restarts_total{worker="0"} 0', 'tsvs_worker_connections{worker="1"} 0', 'tsvs_worker_connections{worker="0"} 3']) {
      assert.ok(m.has(l), `missing: ${l}`);
    }
  });

  test('/openapi.json describes every route with its schemas', async () => {
    const r = await call('GET', '/openapi.json');
    const doc = r.body as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(Object.keys(doc.paths['/api/v1/services/{proto}/{addr}/{port}']!).sort(), ['delete', 'get', 'patch']);
    const create = doc.paths['/api/v1/services']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(create.properties).sort(), [
      'addr', 'af', 'connTimeout', 'dests', 'expireQuiescent', 'fwmark', 'hashTarget', 'laddrs', 'netmaskPlen', 'ops', 'persistent', 'port', 'proto',
      'schedFlags', 'scheduler',
    ]);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/services/fwm/{fwmark}/{family}']!).sort(), ['delete', 'get', 'patch']);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/services/fwm/{fwmark}/{family}/dests/{raddr}/{rport}']!).sort(), ['delete', 'patch']);
    for (const p of ['/api/v1/batch', '/api/v1/connections', '/api/v1/stats', '/api/v1/routes', '/api/v1/neighbours', '/api/v1/addresses', '/metrics']) {
      assert.ok(doc.paths[p], p);
    }
  });

  test('a change is logged at info, a refused request at warn, reads at debug', () => {
    const api = h.logs.filter((l) => l.event === 'api_request');
    assert.ok(api.some((l) => l.level === 'info' && l.method === 'POST' && l.url === '/api/v1/batch' && l.status === 200));
    assert.ok(api.some((l) => l.level === 'warn' && l.status === 409));
    assert.ok(api.every((l) => (l.status as number) >= 400 ? l.level === 'warn' : l.method === 'GET' ? l.level === 'debug' : l.level === 'info'));
  });
});

describe('REST API bearer token', () => {
  let h: Harness;
  let app: FastifyInstance;
  before(async () => {
    h = await startDaemon(1);
    app = await buildApi(h.daemon, { log: () => {}, token: 's3cret-token' });
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  test('401 without or with a wrong token, 200 with it', async () => {
    const get = (authorization?: string) => app.inject({ url: '/api/v1/services', ...(authorization ? { headers: { authorization } } : {}) });
    const none = await get();
    assert.deepEqual([none.statusCode, none.headers['www-authenticate'], JSON.parse(none.body)], [
      401, 'Bearer', { error: 'authentication required: send Authorization: Bearer <token> (tsvs.conf api_token_file)' },
    ]);
    const wrong = await get('Bearer s3cret-tokem');
    assert.deepEqual([wrong.statusCode, JSON.parse(wrong.body)], [401, { error: 'wrong bearer token' }]);
    assert.equal((await get('Basic czNjcmV0LXRva2Vu')).statusCode, 401);
    const ok = await get('Bearer s3cret-token');
    assert.deepEqual([ok.statusCode, JSON.parse(ok.body)], [200, []]);
    // /metrics too: Prometheus sends the same header (authorization.credentials_file).
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer s3cret-token' } })).statusCode, 200);
  });
});

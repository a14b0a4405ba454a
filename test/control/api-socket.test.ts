// The REST API over a real TCP socket: the daemon serves it on 127.0.0.1:<ephemeral> from its
// config (api_listen, api_token_file) and Node's fetch talks to it; changes reach the workers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startDaemon } from './harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';
import { Daemon } from '../../src/control/daemon.js';
import { MemoryRingHost } from '../../src/drivers/memory-rings.js';

const TOKEN = 'tok-7f3a9c';

describe('REST API over a socket (daemon config api_listen 127.0.0.1:0, token file)', () => {
  let h: Harness;
  let dir: string;
  let base: string;
  const req = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const r = await fetch(base + path, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type'), text, json: () => JSON.parse(text) as unknown };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-api-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    h = await startDaemon(2, { api: { host: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } });
    const a = h.daemon.apiAddress!;
    assert.equal(a.host, '127.0.0.1');
    assert.ok(a.port > 0);
    base = `http://127.0.0.1:${a.port}`;
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the daemon logs where the API listens', () => {
    const ready = h.logs.find((l) => l.event === 'daemon_ready');
    assert.equal(ready?.api, `127.0.0.1:${h.daemon.apiAddress!.port}`);
  });

  test('a configuration made over HTTP forwards frames; the token is required', async () => {
    assert.equal((await req('GET', '/api/v1/services', undefined, null)).status, 401);
    assert.equal((await req('GET', '/api/v1/services', undefined, 'nope')).status, 401);
    const b = await req('POST', '/api/v1/batch', { script: config(V4, { rs: 1 }) });
    assert.deepEqual([b.status, b.json()], [200, { applied: 12 }]);
    // The answer came after every worker applied the batch: a SYN now goes to the one RS.
    h.rings.inject(1, 1, fromClient(V4).tcp({ sport: 43000, dport: 80, flags: 'S', seq: 1 }).build());
    const out = await h.tx(1, 1);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.port, 0);
    const svc = await req('GET', '/api/v1/services/tcp/10.0.0.100/80');
    const view = svc.json() as { dests: { addr: string; stats: { conns: number }; inactConns: number }[] };
    assert.deepEqual([svc.status, svc.type], [200, 'application/json; charset=utf-8']);
    assert.deepEqual(view.dests.map((d) => [d.addr, d.stats.conns, d.inactConns]), [['192.168.100.2', 1, 1]]);
  });

  test('an atomic change over HTTP: the failing request leaves the state as it was', async () => {
    const before_ = (await req('GET', '/api/v1/services')).text;
    const r = await req('POST', '/api/v1/services', { proto: 'udp', addr: '10.0.0.100', port: 53, dests: [{ addr: '192.168.100.2' }, { addr: '192.168.100.3', tunPort: 6080 }] });
    assert.deepEqual([r.status, r.json()], [400, { error: "dests[1]: Tunnel options conflict with forward method (tunnel options need -i)", code: 'TSVS_ERR_SYNTAX' }]);
    assert.equal((await req('GET', '/api/v1/services')).text, before_);
    const bad = await fetch(`${base}/api/v1/services`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    assert.equal(bad.status, 400);
  });

  test('/metrics and /openapi.json over the socket', async () => {
    const m = await req('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.ok(m.text.split('\n').includes('tsvs_dest_connections_total{service="tcp 10.0.0.100:80",dest="192.168.100.2:80"} 1'));
    assert.ok(m.text.split('\n').includes('tsvs_port_rx_packets_total{worker="1",port="dpdk1"} 1'));
    const doc = await req('GET', '/openapi.json');
    assert.equal((doc.json() as { info: { title: string } }).info.title, 'tsvs daemon API');
  });
});

test('a daemon whose API cannot bind does not start, and says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-api-'));
  const first = await startDaemon(1, { api: { host: '127.0.0.1', port: 0 } });
  try {
    const port = first.daemon.apiAddress!.port;
    const config = {
      workers: 1, driver: 'memory', socket: join(dir, 's.sock'), connCapacity: 1024, ports: [],
      ring: { ringVersion: 2 as const, frames: 256, frameSize: 2048, blockSize: 1 << 16, retireMs: 1 }, api: { host: '127.0.0.1', port },
    };
    await assert.rejects(Daemon.start({ config, driver: new MemoryRingHost(1, { slots: 256, frameSize: 2048 }), log: () => {} }),
      (e: Error) => e.message.startsWith(`cannot serve the API on 127.0.0.1:${port}: listen EADDRINUSE`));
    const missing = { ...config, api: { host: '127.0.0.1', port: 0, tokenFile: join(dir, 'absent') } };
    await assert.rejects(Daemon.start({ config: missing, driver: new MemoryRingHost(1, { slots: 256, frameSize: 2048 }), log: () => {} }),
      (e: Error) => e.message.startsWith(`cannot read api_token_file ${join(dir, 'absent')}: ENOENT`));
  } finally {
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

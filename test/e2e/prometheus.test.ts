// End to end, metrics: a real Prometheus server (Debian's package, run by PID with a temp config)
// scrapes a live daemon's /metrics with a bearer token; its query API returns the exact counts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startDaemon } from '../control/harness.js';
import { V4, config, fromClient } from '../ipvs/fnat/frames.js';

const PROMETHEUS = '/usr/bin/prometheus';
const installed = spawnSync(PROMETHEUS, ['--version']).status === 0;
// CI installs it (scripts/ensure-test-deps.sh) and must never skip.
const skip = !installed && !process.env.CI ? `needs ${PROMETHEUS} (apt-get install prometheus; scripts/ensure-test-deps.sh does it as root)` : false;
const TOKEN = 'prom-scrape-token';

/** A free TCP port on 127.0.0.1 (bound then released; Prometheus takes it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Sample { readonly metric: Record<string, string>; readonly value: [number, string] }

describe('Prometheus scrapes the daemon\'s /metrics', { skip, timeout: 120_000 }, () => {
  let h: Harness;
  let dir: string;
  let prom: ChildProcess | null = null;
  let promLog = '';
  let promUrl: string;

  const query = async (q: string): Promise<Sample[]> => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; data: { resultType: string; result: Sample[] } };
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data.result;
  };
  /** Polls until the query returns what `ready` accepts (scrapes come every second). */
  const until = async (q: string, ready: (r: Sample[]) => boolean, ms = 30_000): Promise<Sample[]> => {
    const end = Date.now() + ms;
    for (;;) {
      let r: Sample[] = [];
      try { r = await query(q); } catch { /* not up yet */ }
      if (ready(r)) return r;
      if (Date.now() > end) assert.fail(`${q}: still ${JSON.stringify(r)} after ${ms} ms; prometheus log:\n${promLog.slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-prom-'));
    writeFileSync(join(dir, 'token'), TOKEN);
    h = await startDaemon(2, { api: { host: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } });
    const b = await h.batch(config(V4));
    assert.ok(b.ok, b.error);
    // 3 SYNs to worker 0 and 2 to worker 1: rr per worker sends .2 .3 .2 and .2 .3.
    for (const [w, n] of [[0, 3], [1, 2]] as const) {
      for (let i = 0; i < n; i++) h.rings.inject(w, 1, fromClient(V4).tcp({ sport: 44000 + w * 100 + i, dport: 80, flags: 'S', seq: 7 }).build());
      assert.equal((await h.tx(w, n)).length, n);
    }
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: tsvs',
      '    authorization:',
      `      credentials_file: ${join(dir, 'token')}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${h.daemon.apiAddress!.port}']`,
      '',
    ].join('\n'));
    prom = spawn(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    prom.stderr!.on('data', (d: Buffer) => { promLog += d.toString(); });
    // If this process dies before after() runs, its Prometheus goes with it.
    process.once('exit', killProm);
  });
  const killProm = (): void => {
    if (prom && prom.exitCode === null) prom.kill('SIGTERM');
  };

  after(async () => {
    process.off('exit', killProm);
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the target is up (the bearer token is accepted)', async () => {
    const up = await until('up{job="tsvs"}', (r) => r.length === 1 && r[0]!.value[1] === '1');
    assert.equal(up[0]!.metric.instance, `127.0.0.1:${h.daemon.apiAddress!.port}`);
  });

  test('per dest connections and per worker port counters have the injected counts', async () => {
    const conns = await until('tsvs_dest_connections_total', (r) => r.length === 2);
    assert.deepEqual(conns.map((s) => [s.metric.service, s.metric.dest, s.value[1]]).sort(), [
      ['tcp 10.0.0.100:80', '192.168.100.2:80', '3'],
      ['tcp 10.0.0.100:80', '192.168.100.3:80', '2'],
    ]);
    const inact = await query('sum by (service) (tsvs_dest_inactive_connections)');
    assert.deepEqual(inact.map((s) => [s.metric.service, s.value[1]]), [['tcp 10.0.0.100:80', '5']]);
    const rx = await query('tsvs_port_rx_packets_total{port="dpdk1"}');
    assert.deepEqual(rx.map((s) => [s.metric.worker, s.value[1]]).sort(), [['0', '3'], ['1', '2']]);
    const tx = await query('sum(tsvs_port_tx_packets_total{port="dpdk0"})');
    assert.equal(tx[0]!.value[1], '5');
    const table = await query('tsvs_worker_connections');
    assert.deepEqual(table.map((s) => [s.metric.worker, s.value[1]]).sort(), [['0', '3'], ['1', '2']]);
    const build = await query('tsvs_build_info');
    assert.deepEqual([build.length, build[0]!.value[1], build[0]!.metric.node], [1, '1', process.version]);
  });

  test('a drop reason shows up after the next scrape', async () => {
    // To the VIP on a port no service has: dropped as no_service on worker 0.
    h.rings.inject(0, 1, fromClient(V4).tcp({ sport: 44999, dport: 8080, flags: 'S' }).build());
    const r = await until('tsvs_worker_drops_total{reason="no_service"} > 0', (s) => s.length === 1);
    assert.deepEqual([r[0]!.metric.worker, r[0]!.value[1]], ['0', '1']);
  });
});

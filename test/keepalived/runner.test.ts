// Checker scheduling with keepalived's rules against real TCP servers on loopback: retries only
// while up, one failure is enough initially, alpha, warmup; then the HealthMonitor turning checker
// transitions into real-server and quorum events, notify scripts, and the resulting tsvsadm edits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffBatch } from '../../src/keepalived/batch.js';
import { type HealthEvent, HealthMonitor } from '../../src/keepalived/check/monitor.js';
import type { Probe, ProbeResult } from '../../src/keepalived/check/probe.js';
import { type CheckerEvent, CheckerRunner, checkerSchedule } from '../../src/keepalived/check/runner.js';
import { tcpProbe } from '../../src/keepalived/check/tcp.js';
import { desiredState } from '../../src/keepalived/desired.js';
import { parseKeepalivedText } from '../../src/keepalived/parser.js';
import { ip } from '../cli/helpers.js';

function listen(host: string, port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((c) => c.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Array.prototype.findLastIndex is ES2023; the project targets ES2022. */
function lastIndex<T>(a: readonly T[], f: (x: T) => boolean): number {
  for (let i = a.length - 1; i >= 0; i--) if (f(a[i]!)) return i;
  return -1;
}

/** Wraps a probe to record every result with its time. */
function recording(p: Probe): { probe: Probe; results: { r: ProbeResult; t: number }[] } {
  const results: { r: ProbeResult; t: number }[] = [];
  return { results, probe: async (t, s) => { const r = await p(t, s); results.push({ r, t: Date.now() }); return r; } };
}

const SCHED = { delayLoopMs: 60, retry: 2, delayBeforeRetryMs: 30, warmupMs: 0, alpha: false, timeoutMs: 1000 };

test('schedule: keepalived defaults and inheritance (delay_loop 60, connect_timeout 5, retry per checker)', () => {
  const c = parseKeepalivedText([
    'virtual_server 10.0.0.1 80 {', ' delay_loop 10', ' retry 4', ' real_server 10.0.0.2 80 {', '  connect_timeout 2',
    '  TCP_CHECK {', '  }', '  HTTP_GET {', '   url {', '    path /', '   }', '   retry 1', '  }', '  DNS_CHECK {', '  }',
    '  MISC_CHECK {', '   misc_path /bin/true', '  }', ' }', '}',
    'virtual_server 10.0.0.1 81 {', ' real_server 10.0.0.2 81 {', '  HTTP_GET {', '   url {', '    path /', '   }', '   warmup 0', '  }', '  DNS_CHECK {', '  }', '  MISC_CHECK {', '   misc_path /bin/true', '  }', ' }', '}',
  ].join('\n')).config!;
  const [a, b] = c.virtualServers as [typeof c.virtualServers[0], typeof c.virtualServers[0]];
  const sched = (vs: typeof a, i: number) => checkerSchedule(vs, vs.realServers[0]!, vs.realServers[0]!.checkers[i]!);
  assert.deepEqual(sched(a, 0), { delayLoopMs: 10000, retry: 4, delayBeforeRetryMs: 1000, warmupMs: 10000, alpha: false, timeoutMs: 2000 });
  assert.deepEqual(sched(a, 1), { delayLoopMs: 10000, retry: 1, delayBeforeRetryMs: 3000, warmupMs: 10000, alpha: false, timeoutMs: 2000 });
  assert.deepEqual(sched(a, 2), { delayLoopMs: 10000, retry: 4, delayBeforeRetryMs: 10000, warmupMs: 10000, alpha: false, timeoutMs: 2000 });
  assert.deepEqual(sched(a, 3), { delayLoopMs: 10000, retry: 4, delayBeforeRetryMs: 1000, warmupMs: 10000, alpha: false, timeoutMs: 10000 });
  assert.deepEqual(sched(b, 0), { delayLoopMs: 60000, retry: 1, delayBeforeRetryMs: 3000, warmupMs: 0, alpha: false, timeoutMs: 5000 });
  assert.deepEqual(sched(b, 1), { delayLoopMs: 60000, retry: 3, delayBeforeRetryMs: 60000, warmupMs: 60000, alpha: false, timeoutMs: 5000 });
  assert.deepEqual(sched(b, 2), { delayLoopMs: 60000, retry: 0, delayBeforeRetryMs: 1000, warmupMs: 60000, alpha: false, timeoutMs: 60000 });
});

test('runner: down after 1 + retry failures spaced by delay_before_retry, up after one success', async () => {
  let { server, port } = await listen('127.0.0.10');
  const rec = recording(tcpProbe);
  const events: CheckerEvent[] = [];
  const runner = new CheckerRunner(rec.probe, { addr: ip('127.0.0.10'), port }, SCHED, (e) => events.push(e));
  runner.start();
  try {
    await until(() => rec.results.length >= 2, 'two successes');
    assert.deepEqual(events, []);
    await close(server);
    await until(() => events.length === 1, 'down');
    const lastOk = lastIndex(rec.results, (x) => x.r.ok);
    const fails = rec.results.slice(lastOk + 1);
    assert.deepEqual(fails.map((x) => x.r), [{ ok: false, reason: 'ECONNREFUSED' }, { ok: false, reason: 'ECONNREFUSED' }, { ok: false, reason: 'ECONNREFUSED' }]);
    assert.ok(fails[1]!.t - fails[0]!.t >= 28 && fails[2]!.t - fails[1]!.t >= 28, 'retries wait delay_before_retry');
    assert.equal(runner.isUp, false);
    // While down, no retries: the next probes are delay_loop apart and raise nothing.
    const n = rec.results.length;
    await until(() => rec.results.length >= n + 2, 'two more probes while down');
    assert.ok(rec.results[n + 1]!.t - rec.results[n]!.t >= 58, 'delay_loop while down');
    ({ server } = await listen('127.0.0.10', port));
    await until(() => events.length === 2, 'up');
    assert.equal(rec.results.slice(lastIndex(rec.results, (x) => !x.r.ok) + 1).length, 1);
    assert.deepEqual(events, [{ type: 'down', reason: 'ECONNREFUSED' }, { type: 'up', reason: 'connected' }]);
  } finally {
    await runner.stop();
    await close(server);
  }
});

test('runner: one failure is enough initially; alpha starts down and reports the first success', async () => {
  const { server, port } = await listen('127.0.0.11');
  await close(server);
  const rec = recording(tcpProbe);
  const events: CheckerEvent[] = [];
  const r1 = new CheckerRunner(rec.probe, { addr: ip('127.0.0.11'), port }, { ...SCHED, retry: 3 }, (e) => events.push(e));
  r1.start();
  await until(() => events.length === 1, 'initial down');
  await r1.stop();
  assert.equal(rec.results.length, 1);
  assert.deepEqual(events, [{ type: 'down', reason: 'ECONNREFUSED' }]);

  const up = await listen('127.0.0.11');
  const alphaEvents: CheckerEvent[] = [];
  const r2 = new CheckerRunner(tcpProbe, { addr: ip('127.0.0.11'), port: up.port }, { ...SCHED, alpha: true }, (e) => alphaEvents.push(e));
  assert.equal(r2.isUp, false);
  r2.start();
  await until(() => alphaEvents.length === 1, 'alpha up');
  assert.equal(r2.isUp, true);
  await r2.stop();
  await close(up.server);
  assert.deepEqual(alphaEvents, [{ type: 'up', reason: 'connected' }]);
});

test('runner: warmup delays the first probe by random() x warmup', async () => {
  const rec = recording(async () => ({ ok: true, reason: 'fine' }));
  const started = Date.now();
  const r = new CheckerRunner(rec.probe, { addr: ip('127.0.0.1'), port: 1 }, { ...SCHED, warmupMs: 400 }, () => {}, () => 0.5);
  r.start();
  await until(() => rec.results.length === 1, 'first probe');
  await r.stop();
  assert.ok(rec.results[0]!.t - started >= 195, `first probe after ${rec.results[0]!.t - started} ms`);
});

test('monitor: S2-style inhibit_on_failure on loopback: events, notify scripts, quorum, and the -e line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-mon-'));
  const a = await listen('127.0.0.12');
  const b = await listen('127.0.0.13', a.port).catch(() => listen('127.0.0.13'));
  const note = join(dir, 'note.sh');
  writeFileSync(note, '#!/bin/sh\necho "$1" >> "$(dirname "$0")/notes"\n', { mode: 0o755 });
  const c = parseKeepalivedText([
    'virtual_server 10.0.0.100 80 {', ' delay_loop 0.05', ' lb_algo rr', ' lb_kind FNAT', ' protocol TCP', ' quorum 2',
    ` quorum_down "${note} quorum-down"`, ` quorum_up "${note} quorum-up"`,
    ' real_server 127.0.0.12 80 {', '  weight 1', '  inhibit_on_failure',
    `  notify_down "${note} rs12-down"`, `  notify_up "${note} rs12-up"`,
    `  TCP_CHECK {`, `   connect_port ${a.port}`, '   connect_timeout 1', '   retry 1', '   delay_before_retry 0.02', '   warmup 0', '  }', ' }',
    ' real_server 127.0.0.13 80 {', '  weight 1', '  inhibit_on_failure',
    `  TCP_CHECK {`, `   connect_port ${b.port}`, '   warmup 0', '  }', ' }', '}',
  ].join('\n'));
  assert.deepEqual(c.diagnostics.list.map((d) => d.message), ['lb_kind FNAT without laddr_group_name: the service needs LIPs added by other means (tsvsadm --add-laddr)']);
  const events: HealthEvent[] = [];
  const mon = new HealthMonitor(c.config!, { onEvent: (e) => events.push(e) });
  const before = desiredState(c.config!, mon.health(), new Map());
  mon.start();
  let server = a.server;
  try {
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(events, []);
    await close(server);
    await until(() => events.length === 2, 'rs-down and quorum-down');
    const down = desiredState(c.config!, mon.health(), new Map());
    assert.deepEqual(diffBatch(before, down), ['tsvsadm -e -t 10.0.0.100:80 -r 127.0.0.12:80 -w 0']);
    ({ server } = await listen('127.0.0.12', a.port));
    await until(() => events.length === 4, 'rs-up and quorum-up');
    assert.deepEqual(diffBatch(down, desiredState(c.config!, mon.health(), new Map())), ['tsvsadm -e -t 10.0.0.100:80 -r 127.0.0.12:80 -w 1']);
    const rs = '10.0.0.100 80 -> 127.0.0.12 80';
    assert.deepEqual(events, [
      { type: 'rs-down', vs: '10.0.0.100 80', rs, checker: 'TCP_CHECK#1', reason: 'ECONNREFUSED' },
      { type: 'quorum-down', vs: '10.0.0.100 80', weight: 1 },
      { type: 'rs-up', vs: '10.0.0.100 80', rs, checker: 'TCP_CHECK#1', reason: 'connected' },
      { type: 'quorum-up', vs: '10.0.0.100 80', weight: 2 },
    ]);
    const notes = join(dir, 'notes');
    await until(() => existsSync(notes) && readFileSync(notes, 'utf8').split('\n').length === 5, 'four notify scripts');
    // Scripts run detached, so only the set is certain, not the order between rs and quorum scripts.
    assert.deepEqual(readFileSync(notes, 'utf8').trim().split('\n').sort(), ['quorum-down', 'quorum-up', 'rs12-down', 'rs12-up']);
  } finally {
    await mon.stop();
    await close(server);
    await close(b.server);
    rmSync(dir, { recursive: true, force: true });
  }
});

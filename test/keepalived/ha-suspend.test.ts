// ha_suspend through the process: real VRRP (AdvertVrrp on a memory link, a fake clock) moves the
// VIP in a live daemon (memory driver), and a TCP_CHECK on a loopback real server probes only
// while the daemon holds its virtual server's address; suspended, its verdict stays frozen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '../../src/control/log.js';
import { KeepalivedProcess } from '../../src/keepalived/process.js';
import { socketTarget } from '../../src/keepalived/target.js';
import { AdvertVrrp } from '../../src/keepalived/vrrp-adverts.js';
import { buildAdvertFrame, multicastMac } from '../../src/keepalived/vrrp/frame.js';
import { parseIp, parseMac } from '../../src/packet/inet.js';
import { startDaemon } from '../control/harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLink } from '../support/memory-vrrp-link.js';

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('ha_suspend: checkers run only while this node is MASTER for the virtual server\'s VIP; suspended, a dead server stays', async () => {
  // The real server counts the probes it gets.
  let probes = 0;
  const sockets = new Set<Socket>();
  let server: Server = createServer((c) => { probes++; sockets.add(c); c.on('close', () => sockets.delete(c)); c.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.7', () => r()));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-ha-'));
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, `
vrrp_instance VI_1 {
    state BACKUP
    interface dpdk1.kni
    dpdk_interface dpdk1
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.0.0.105
    }
}
virtual_server 10.0.0.105 80 {
    delay_loop 0.1
    warmup 0
    lb_kind NAT
    ha_suspend
    real_server 127.0.0.7 ${port} {
        TCP_CHECK {
            connect_timeout 0.5
            retry 0
        }
    }
}
`);
  const h = await startDaemon(1, { ports: [{ name: 'dpdk0', iface: 'lan0' }, { name: 'dpdk1', iface: 'wan0' }] });
  const logs: LogRecord[] = [];
  const log = (l: LogRecord): void => void logs.push(l);
  const clock = new FakeClock();
  const links = new Map<string, MemoryLink>();
  const vrrp = new AdvertVrrp({
    log, ports: { dpdk1: 'wan0' }, clock, runScript: () => undefined,
    openLink: (n) => { const l = new MemoryLink(n); links.set(n, l); return l; },
  });
  const proc = KeepalivedProcess.start({ file, target: socketTarget(h.daemon.socketPath), log, vrrp, stateCheckMs: 0 });
  const rs = `[127.0.0.7]:tcp:${port}`;
  const msgs = (): string[] => logs.filter((l) => l.event === 'checker_activated' || l.event === 'checker_suspended').map((l) => String(l.message));
  const listing = async (): Promise<string> => (await h.cmd('tsvsadm -Ln')).output ?? '';
  const vipHeld = async (): Promise<boolean> => /10\.0\.0\.105/.test((await h.cmd('tsip addr show dev dpdk1')).output ?? '');
  try {
    await proc.settled();
    // BACKUP: no VIP, the checker is suspended from the start and probes nothing.
    assert.deepEqual(msgs(), [`Deactivating healthchecker for service ${rs} for VS [10.0.0.105]:tcp:80`]);
    await sleep(600);
    assert.equal(probes, 0);
    assert.equal(await vipHeld(), false);

    // Master_Down_Interval (3 x 1 s + skew) passes: MASTER, the VIP goes in, then the checker runs.
    clock.advance(3700);
    await until('the first probe', () => probes > 0);
    await proc.settled();
    assert.equal(await vipHeld(), true);
    assert.deepEqual(msgs().slice(1), [`Activating healthchecker for service ${rs} for VS [10.0.0.105]:tcp:80`]);
    // The transition is one log line, from VRRP, with keepalived's text (not repeated by the process).
    assert.deepEqual(logs.filter((l) => String(l.message).includes('Entering MASTER STATE')).map((l) => [l.event, l.state, l.message]),
      [['vrrp_state', 'MASTER', '(VI_1) Entering MASTER STATE']]);
    await until('a few probes', () => probes >= 3);

    // A higher priority master appears: BACKUP, the VIP leaves, the checker is suspended.
    const frame = new Uint8Array(256);
    const dst = parseIp('224.0.0.18')!;
    const n = buildAdvertFrame(frame, parseMac('02:00:00:00:00:09')!, multicastMac(dst), parseIp('192.168.77.9')!, dst,
      { version: 2, vrid: 51, priority: 200, advertInt: 1, addrs: [parseIp('10.0.0.105')!] }, 1);
    links.get('wan0')!.deliver(frame.slice(0, n));
    await until('the suspension', () => msgs().length === 3);
    assert.equal(msgs()[2], `Suspending healthchecker for service ${rs} for VS [10.0.0.105]:tcp:80`);
    assert.equal(await vipHeld(), false);
    // Suspended, the verdict is frozen: the real server dies and stays in the pool, unprobed.
    await sleep(150);
    const frozen = probes;
    await new Promise<void>((r) => { for (const c of sockets) c.destroy(); server.close(() => r()); });
    await sleep(600);
    assert.equal(probes, frozen);
    assert.match(await listing(), new RegExp(`127\\.0\\.0\\.7:${port} +Masq +1 `));
    assert.equal(logs.filter((l) => l.event === 'rs-down').length, 0);

    // MASTER again (the other master goes quiet): the checker resumes, finds the server dead, removes it.
    clock.advance(3700);
    await until('the server removed', async () => !(await listing()).includes(`127.0.0.7:${port}`));
    assert.deepEqual(msgs().slice(3), [`Activating healthchecker for service ${rs} for VS [10.0.0.105]:tcp:80`]);
    server = createServer();
  } finally {
    await proc.stop();
    await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

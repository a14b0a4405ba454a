// The keepalived process against a live daemon (memory driver) and real checkers on loopback HTTP
// servers: the first batch, checker-driven changes, SIGHUP-style reloads applied as edits, a
// reload with errors keeping the running config, a daemon that comes up late, stop and omega.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '../../src/control/log.js';
import { KeepalivedProcess } from '../../src/keepalived/process.js';
import { RefusedBatchError, apiTarget, socketTarget } from '../../src/keepalived/target.js';
import { describeState } from '../../src/keepalived/daemon-state.js';
import { parseIp } from '../../src/packet/inet.js';
import { type Harness, configure, startDaemon } from '../control/harness.js';
import { AdvertVrrp } from '../../src/keepalived/vrrp-adverts.js';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLink } from '../support/memory-vrrp-link.js';

const PORTS = [{ name: 'dpdk0', iface: 'lan0' }, { name: 'dpdk1', iface: 'wan0' }];

/** An HTTP real server on 127.0.0.x that can be stopped, restarted and given another page. */
class RealServer {
  body: string;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  constructor(readonly addr: string, body: string) {
    this.body = body;
  }

  async start(): Promise<void> {
    const s = createServer((_req, res) => res.end(this.body));
    s.on('connection', (c) => { this.#sockets.add(c); c.on('close', () => this.#sockets.delete(c)); });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(this.port, this.addr, () => resolve());
    });
    this.port = (s.address() as { port: number }).port;
    this.#server = s;
  }

  async stop(): Promise<void> {
    for (const c of this.#sockets) c.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    this.#server = undefined;
  }
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Polls `cond` every 20 ms; resolves with the time it took. */
async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const HEADER = [
  'IP Virtual Server version 1.2.1 (size=4096)',
  'Prot LocalAddress:Port Scheduler Flags',
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
];

describe('tsvs keepalived process with a live daemon', () => {
  let h: Harness;
  let dir: string;
  let file: string;
  const rs = [new RealServer('127.0.0.2', 'rs1\n'), new RealServer('127.0.0.3', 'rs2\n'), new RealServer('127.0.0.4', 'rs3\n')];
  const logs: LogRecord[] = [];
  let proc: KeepalivedProcess;

  /** rs1: TCP_CHECK, removed on failure; rs2: HTTP_GET with rs2's digest and inhibit_on_failure. */
  const conf = (o: { w1?: number; rs3?: boolean; sched?: string } = {}): string => `
global_defs { router_id tsvs_test }
local_address_group laddr_g1 {
    192.168.100.200 dpdk0
}
vrrp_instance VI_1 {
    state MASTER
    interface lo
    dpdk_interface dpdk1
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.100
    }
}
virtual_server_group vip80 {
    10.0.0.100 80
}
virtual_server group vip80 {
    delay_loop 0.2
    lb_algo ${o.sched ?? 'rr'}
    lb_kind FNAT
    protocol TCP
    laddr_group_name laddr_g1
    warmup 0
    real_server ${rs[0]!.addr} ${rs[0]!.port} {
        weight ${o.w1 ?? 2}
        TCP_CHECK {
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.1
        }
    }
    real_server ${rs[1]!.addr} ${rs[1]!.port} {
        weight 3
        inhibit_on_failure
        HTTP_GET {
            url {
                path /
                digest ${md5('rs2\n')}
            }
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.1
        }
    }
${o.rs3 ? `    real_server ${rs[2]!.addr} ${rs[2]!.port} {
        weight 4
        TCP_CHECK {
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.1
        }
    }
` : ''}}
`;
  const list = async (): Promise<string> => (await h.cmd('tsvsadm -Ln')).output ?? '';
  const listing = (...dests: string[]): string => [...HEADER, 'TCP  10.0.0.100:80 rr', ...dests, ''].join('\n');
  const dest = (r: RealServer, weight: number): string => `  -> ${`${r.addr}:${r.port}`.padEnd(29)}FullNat ${String(weight).padEnd(6)} 0          0         `;
  const applied = (): LogRecord[] => logs.filter((l) => l.event === 'batch_applied');
  /** Waits for the daemon's listing, then for the process to have seen its batch accepted. */
  const listed = async (what: string, want: string): Promise<number> => {
    const ms = await until(what, async () => (await list()) === want);
    await proc.settled();
    return ms;
  };

  before(async () => {
    for (const r of rs) await r.start();
    dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    file = join(dir, 'keepalived.conf');
    writeFileSync(file, conf());
    h = await startDaemon(1, { ports: PORTS });
    proc = KeepalivedProcess.start({ file, target: socketTarget(h.daemon.socketPath), log: (r) => logs.push(r), retry: { firstMs: 50, maxMs: 200 } });
  });

  after(async () => {
    await proc?.stop();
    for (const r of rs) await r.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first batch builds the service, its LIP, real servers and the VIP (MASTER) in one go', async () => {
    await proc.settled();
    assert.deepEqual(applied()[0]?.lines, [
      'tsvsadm -A -t 10.0.0.100:80 -s rr',
      'tsvsadm --add-laddr -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0',
      `tsvsadm -a -t 10.0.0.100:80 -r 127.0.0.2:${rs[0]!.port} -b -w 2`,
      `tsvsadm -a -t 10.0.0.100:80 -r 127.0.0.3:${rs[1]!.port} -b -w 3`,
      'tsip addr add 10.0.0.100/32 dev dpdk1',
    ]);
    assert.equal(await list(), listing(dest(rs[0]!, 2), dest(rs[1]!, 3)));
    assert.match((await h.cmd('tsip addr show dev dpdk1')).output ?? '', /inet 10\.0\.0\.100\/32/);
    assert.match((await h.cmd('tsvsadm -G')).output ?? '', /192\.168\.100\.200/);
  });

  test('a stopped TCP_CHECK server is removed with keepalived\'s messages, and comes back', async () => {
    await rs[0]!.stop();
    const down = await listed('rs1 removed', listing(dest(rs[1]!, 3)));
    // delay_loop 0.2 + one retry after 0.1 (+ refused connects: no timeout) + the apply.
    assert.ok(down < 1500, `removed after ${down} ms`);
    const msgs = logs.map((l) => l.message);
    const r1 = `[127.0.0.2]:tcp:${rs[0]!.port}`;
    assert.ok(msgs.includes(`TCP connection to ${r1} failed.`), JSON.stringify(msgs));
    assert.ok(msgs.includes(`TCP_CHECK on service ${r1} failed after 1 retries.`));
    assert.ok(msgs.includes(`Removing service ${r1} from VS [vip80]:0`));
    assert.deepEqual(applied().at(-1)?.lines, [`tsvsadm -d -t 10.0.0.100:80 -r 127.0.0.2:${rs[0]!.port}`]);

    await rs[0]!.start();
    await listed('rs1 back', listing(dest(rs[0]!, 2), dest(rs[1]!, 3)));
    assert.ok(logs.some((l) => l.message === `TCP connection to ${r1} success.`));
    assert.ok(logs.some((l) => l.message === `Adding service ${r1} to VS [vip80]:0`));
    assert.deepEqual(applied().at(-1)?.lines, [`tsvsadm -a -t 10.0.0.100:80 -r 127.0.0.2:${rs[0]!.port} -b -w 2`]);
  });

  test('a page whose MD5 no longer matches HTTP_GET\'s digest: weight 0 (inhibit_on_failure), then back', async () => {
    rs[1]!.body = 'rs2 changed\n';
    await listed('rs2 weight 0', listing(dest(rs[0]!, 2), dest(rs[1]!, 0)));
    const r2 = `[127.0.0.3]:tcp:${rs[1]!.port}`;
    assert.ok(logs.some((l) => l.message === `MD5 digest error to server ${r2}.`));
    assert.ok(logs.some((l) => l.message === `Disabling service ${r2} of VS [vip80]:0`));
    assert.deepEqual(applied().at(-1)?.lines, [`tsvsadm -e -t 10.0.0.100:80 -r 127.0.0.3:${rs[1]!.port} -w 0`]);
    rs[1]!.body = 'rs2\n';
    await listed('rs2 weight 3', listing(dest(rs[0]!, 2), dest(rs[1]!, 3)));
    assert.ok(logs.some((l) => l.message === `Enabling service ${r2} of VS [vip80]:0`));
  });

  test('reload: a weight change and an added server are applied as edits, nothing re-created', async () => {
    const before = applied().length;
    writeFileSync(file, conf({ w1: 5, rs3: true }));
    assert.equal(await proc.reload(), true);
    await proc.settled();
    assert.deepEqual(applied().slice(before).map((l) => l.lines), [[
      `tsvsadm -e -t 10.0.0.100:80 -r 127.0.0.2:${rs[0]!.port} -w 5`,
      `tsvsadm -a -t 10.0.0.100:80 -r 127.0.0.4:${rs[2]!.port} -b -w 4`,
    ]]);
    assert.equal(await list(), listing(dest(rs[0]!, 5), dest(rs[1]!, 3), dest(rs[2]!, 4)));
    // The new server's checker runs: stopping it removes it.
    await rs[2]!.stop();
    await listed('rs3 removed', listing(dest(rs[0]!, 5), dest(rs[1]!, 3)));
    await rs[2]!.start();
    await listed('rs3 back', listing(dest(rs[0]!, 5), dest(rs[1]!, 3), dest(rs[2]!, 4)));
  });

  test('reload keeps a dead server out (its health carries over) and a scheduler change is one -E', async () => {
    await rs[0]!.stop();
    await listed('rs1 removed', listing(dest(rs[1]!, 3), dest(rs[2]!, 4)));
    const before = applied().length;
    writeFileSync(file, conf({ w1: 5, rs3: true, sched: 'wrr' }));
    assert.equal(await proc.reload(), true);
    await proc.settled();
    assert.deepEqual(applied().slice(before).map((l) => l.lines), [['tsvsadm -E -t 10.0.0.100:80 -s wrr']]);
    assert.equal(await list(), listing(dest(rs[1]!, 3), dest(rs[2]!, 4)).replace(' rr\n', ' wrr\n'));
    await rs[0]!.start();
    await until('rs1 back', async () => (await list()).includes(`127.0.0.2:${rs[0]!.port}`));
    await proc.settled();
  });

  test('a reload with errors keeps the running configuration, logged with FILE:LINE', async () => {
    const before = applied().length;
    const listed = await list();
    writeFileSync(file, conf({ w1: 7, rs3: true, sched: 'wrr' }).replace('weight 3', 'weight three'));
    assert.equal(await proc.reload(), false);
    const failed = logs.filter((l) => l.event === 'config_error' || l.event === 'reload_failed').map((l) => l.message);
    assert.equal(failed.length, 2, JSON.stringify(failed));
    assert.match(String(failed[0]), new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+: error: weight takes one whole number`));
    assert.equal(failed[1], `${file} has errors: keeping the running configuration`);
    await proc.settled();
    assert.equal(applied().length, before);
    assert.equal(await list(), listed);
    // The old checkers still run: the old config's rs3 leaves when stopped.
    await rs[2]!.stop();
    await until('rs3 removed under the old config', async () => !(await list()).includes(`127.0.0.4:${rs[2]!.port}`));
    await rs[2]!.start();
    await until('rs3 back', async () => (await list()).includes(`127.0.0.4:${rs[2]!.port}`));
    await proc.settled();
  });

  test('stop removes the services and the VIP it added (keepalived\'s default clear_services)', async () => {
    await proc.stop();
    assert.equal(await list(), [...HEADER, ''].join('\n'));
    assert.doesNotMatch((await h.cmd('tsip addr show dev dpdk1')).output ?? '', /10\.0\.0\.100/);
    assert.ok(logs.some((l) => l.message === `Shutting down service [127.0.0.3]:tcp:${rs[1]!.port} from VS [vip80]:0`));
  });
});

describe('tsvs keepalived process: startup and shutdown', () => {
  test('waits for a daemon that is not up yet, then applies; omega runs notify_down/quorum_down on stop; -I keeps the services', async () => {
    const r = new RealServer('127.0.0.5', 'x');
    await r.start();
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    const file = join(dir, 'keepalived.conf');
    const socket = join(dir, 'tsvs.sock');
    writeFileSync(file, `
virtual_server 10.0.0.101 80 {
    delay_loop 0.2
    lb_kind NAT
    omega
    quorum_down "/bin/echo quorum down"
    real_server 127.0.0.5 ${r.port} {
        notify_down "/bin/echo rs down"
        TCP_CHECK {
            connect_timeout 0.5
        }
    }
}
`);
    const logs: LogRecord[] = [];
    const scripts: string[] = [];
    const proc = KeepalivedProcess.start({
      file, target: socketTarget(socket), log: (l) => logs.push(l), retry: { firstMs: 50, maxMs: 100 },
      runScript: (c) => scripts.push(c), releaseServices: false,
    });
    let h: Harness | undefined;
    try {
      await until('a failed try', () => logs.some((l) => l.event === 'daemon_unreachable'));
      assert.match(String(logs.find((l) => l.event === 'daemon_unreachable')!.message), new RegExp(`cannot reach the tsvs daemon at ${socket}.*retrying in 50 ms`));
      h = await startDaemon(1, { socket });
      await until('the service', async () => ((await h!.cmd('tsvsadm -Ln')).output ?? '').includes(`127.0.0.5:${r.port}`));
      await proc.stop();
      assert.deepEqual(scripts, ['/bin/echo rs down', '/bin/echo quorum down']);
      // -I (releaseServices false): the service stays after stop.
      assert.equal((await h.cmd('tsvsadm -Ln')).output, [...HEADER, 'TCP  10.0.0.101:80 wlc', `  -> ${`127.0.0.5:${r.port}`.padEnd(29)}Masq    1      0          0         `, ''].join('\n'));
    } finally {
      await proc.stop();
      await h?.close();
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tsvs keepalived -f as a process', () => {
  test('applies the file, reloads on SIGHUP as an edit, removes its service on SIGTERM (exit 0)', async () => {
    const r = new RealServer('127.0.0.6', 'x');
    await r.start();
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    const file = join(dir, 'keepalived.conf');
    const write = (weight: number): void => writeFileSync(file, `
virtual_server 10.0.0.102 8080 {
    delay_loop 0.2
    lb_algo wrr
    lb_kind NAT
    real_server 127.0.0.6 ${r.port} {
        weight ${weight}
        TCP_CHECK {
            connect_timeout 0.5
        }
    }
}
`);
    write(2);
    const h = await startDaemon(1);
    const child = spawn(process.execPath, ['dist/src/cli/tsvs.js', 'keepalived', '-n', '-l', '-f', file, '--socket', h.daemon.socketPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const list = async (): Promise<string> => (await h.cmd('tsvsadm -Ln')).output ?? '';
    const withWeight = (w: number): string => [...HEADER, 'TCP  10.0.0.102:8080 wrr', `  -> ${`127.0.0.6:${r.port}`.padEnd(29)}Masq    ${String(w).padEnd(6)} 0          0         `, ''].join('\n');
    try {
      await until('the service', async () => (await list()) === withWeight(2));
      write(9);
      child.kill('SIGHUP');
      await until('weight 9', async () => (await list()) === withWeight(9));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(await list(), [...HEADER, ''].join('\n'));
      const records = stderr.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
      assert.deepEqual(records.filter((l) => l.event === 'batch_applied').map((l) => l.lines), [
        ['tsvsadm -A -t 10.0.0.102:8080 -s wrr', `tsvsadm -a -t 10.0.0.102:8080 -r 127.0.0.6:${r.port} -m -w 2`],
        [`tsvsadm -e -t 10.0.0.102:8080 -r 127.0.0.6:${r.port} -w 9`],
        ['tsvsadm -D -t 10.0.0.102:8080'],
      ]);
      assert.ok(records.some((l) => l.message === `Shutting down service [127.0.0.6]:tcp:${r.port} from VS [10.0.0.102]:tcp:8080`));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await h.close();
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file with errors is reported like -t (FILE:LINE, exit 4) and nothing is applied', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, 'virtual_server 10.0.0.1 80 {\n    lb_algo rr\n    real_server 10.0.0.2 80 {\n        weight x\n    }\n}\n');
    try {
      const r = spawnSync(process.execPath, ['dist/src/cli/tsvs.js', 'keepalived', '-f', file, '--socket', join(dir, 'none.sock')], { encoding: 'utf8' });
      assert.equal(r.status, 4);
      assert.equal(r.stderr, `${file}:4: error: weight takes one whole number from 0 to 65535\n${file}: 1 error: tsvs keepalived will not run this configuration\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A vrrp_instance with state MASTER on port dpdk1 (dpdk1.kni), for the reload tests. */
const masterInstance = (name: string, vrid: number, prio: number, vips: string[]): string => `
vrrp_instance ${name} {
    state MASTER
    interface dpdk1.kni
    dpdk_interface dpdk1
    virtual_router_id ${vrid}
    priority ${prio}
    advert_int 1
    virtual_ipaddress {
${vips.map((v) => `        ${v}`).join('\n')}
    }
}`;

const isRoot = process.getuid?.() === 0;
const netnsSkip = !isRoot && !process.env.CI ? 'needs root for a network namespace and AF_PACKET (CI runs it as root)' : false;

describe('tsvs keepalived -f as a process, VRRP on a veth in a namespace', { skip: netnsSkip, timeout: 60_000 }, () => {
  test('SIGHUP that changes the VRRP part: the master that stays never sends priority 0 and goes on with its new priority; the removed one resigns; the batch is the VIP difference', async () => {
    const ns = `kar${randomBytes(3).toString('hex')}`;
    const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-ns-'));
    const file = join(dir, 'keepalived.conf');
    const globals = 'global_defs {\n    vrrp_garp_master_repeat 1\n    vrrp_garp_master_delay 0\n}\n';
    writeFileSync(file, globals + masterInstance('VI_1', 51, 255, ['10.0.0.100', '10.0.0.101']) + masterInstance('VI_3', 53, 255, ['10.0.0.130']) + '\n');
    ip('netns', 'add', ns);
    // An interrupted run must not leave the namespace behind.
    const removeNs = (): void => { try { ip('netns', 'del', ns); } catch { /* already gone */ } };
    process.once('exit', removeNs);
    let h: Harness | undefined;
    let capture: ReturnType<typeof spawn> | undefined;
    let child: ReturnType<typeof spawn> | undefined;
    try {
      ip('-n', ns, 'link', 'add', 'ka0', 'type', 'veth', 'peer', 'name', 'ka1');
      ip('-n', ns, 'addr', 'add', '192.168.77.3/24', 'dev', 'ka0');
      ip('-n', ns, 'link', 'set', 'ka0', 'up');
      ip('-n', ns, 'link', 'set', 'ka1', 'up');
      // The other end of the veth prints every advert it sees: "VRID/PRIORITY MS".
      const dist = (m: string): string => JSON.stringify(join(process.cwd(), 'dist/src/keepalived/vrrp', m));
      const script = `import { AfPacketVrrpLink } from ${dist('link.js')}; import { parseVrrpFrame } from ${dist('frame.js')}; import { decodeAdvert } from ${dist('advert.js')};
const l = new AfPacketVrrpLink('ka1');
l.onFrame((b, o, n) => { const f = parseVrrpFrame(b, o, n); const a = f && decodeAdvert(b, f.off, f.len, f.af); if (a) process.stdout.write(a.vrid + '/' + a.priority + ' ' + Date.now() + '\\n'); });
process.stdout.write('ready\\n');`;
      capture = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let seen = '';
      capture.stdout!.setEncoding('utf8').on('data', (d: string) => { seen += d; });
      await until('the capture', () => seen.startsWith('ready\n'));
      const adverts = (): { adv: string; at: number }[] => seen.split('\n').slice(1).filter(Boolean).map((l) => ({ adv: l.split(' ')[0]!, at: Number(l.split(' ')[1]) }));

      h = await startDaemon(1, { ports: PORTS });
      const addrs = async (): Promise<string[]> => [...((await h!.cmd('tsip addr show dev dpdk1')).output ?? '').matchAll(/inet (\S+)/g)].map((m) => m[1]!);
      child = spawn('ip', ['netns', 'exec', ns, process.execPath, 'dist/src/cli/tsvs.js', 'keepalived', '-n', '-l', '-f', file, '--socket', h.daemon.socketPath, '--kni-map', 'dpdk1=ka0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      await until('both masters\' VIPs', async () => (await addrs()).length === 3, 10_000);
      await until('two adverts of each', () => adverts().filter((a) => a.adv === '51/255').length >= 2 && adverts().filter((a) => a.adv === '53/255').length >= 2);

      writeFileSync(file, globals + masterInstance('VI_1', 51, 200, ['10.0.0.100', '10.0.0.102']) + '\n');
      const mark = adverts().length;
      child.kill('SIGHUP');
      await until('the VIP difference', async () => (await addrs()).join(' ') === '10.0.0.100/32 10.0.0.102/32');
      await until('three adverts with priority 200', () => adverts().filter((a) => a.adv === '51/200').length >= 3);
      // Before the reload took effect VI_1 and VI_3 may have sent one more regular advert each.
      const since = adverts().slice(mark).map((a) => a.adv);
      const resigned = since.indexOf('53/0');
      assert.ok(since.slice(0, resigned).every((a) => a.endsWith('/255')) && !since.slice(resigned).some((a) => a.endsWith('/255')), since.join(' '));
      const after = adverts().slice(mark + resigned);
      assert.deepEqual(after.map((a) => a.adv).slice(0, 4), ['53/0', '51/200', '51/200', '51/200']);
      // On schedule: one at once, then one per advert_int (1 s).
      for (let i = 2; i < 4; i++) {
        const gap = after[i]!.at - after[i - 1]!.at;
        assert.ok(gap > 900 && gap < 1300, `advert gap ${gap} ms`);
      }
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const records = stderr.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
      assert.deepEqual(records.filter((l) => l.event === 'batch_applied').map((l) => l.lines), [
        ['tsip addr add 10.0.0.100/32 dev dpdk1', 'tsip addr add 10.0.0.101/32 dev dpdk1', 'tsip addr add 10.0.0.130/32 dev dpdk1'],
        ['tsip addr del 10.0.0.101/32 dev dpdk1', 'tsip addr del 10.0.0.130/32 dev dpdk1', 'tsip addr add 10.0.0.102/32 dev dpdk1'],
        ['tsip addr del 10.0.0.100/32 dev dpdk1', 'tsip addr del 10.0.0.102/32 dev dpdk1'],
      ]);
      // The transitions: both masters at the start, VI_1's stop at the end; none at the reload.
      assert.deepEqual(records.filter((l) => l.event === 'vrrp_state').map((l) => [l.instance, l.state]), [['VI_1', 'MASTER'], ['VI_3', 'MASTER'], ['VI_1', 'STOP']]);
      await until('the stop advert', () => adverts().at(-1)?.adv === '51/0');
      assert.deepEqual(adverts().filter((a) => a.adv.endsWith('/0')).map((a) => a.adv), ['53/0', '51/0']);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      capture?.kill();
      await h?.close();
      process.off('exit', removeNs);
      removeNs();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scenario S2\'s keepalived.conf, verbatim, through the process', () => {
  // delay_loop 3 and warmup = delay_loop: with random() = 1 the first probe would come 3 s after
  // start. The process is stopped (releasing nothing) long before: no probe leaves for S2's
  // addresses, which exist only in S2's network.
  for (const role of ['master', 'backup'] as const) {
    test(`on the ${role}: the FullNAT service with both real servers${role === 'master' ? ', both LIPs and the VIP on dpdk0' : '; no LIP, no VIP'}`, async () => {
      const h = await startDaemon(1, { ports: PORTS });
      const logs: LogRecord[] = [];
      const proc = KeepalivedProcess.start({
        file: `test/keepalived/fixtures/s2-${role}.conf`, target: socketTarget(h.daemon.socketPath), log: (l) => logs.push(l),
        random: () => 1, releaseServices: false, releaseVips: false,
      });
      try {
        await proc.settled();
        await proc.stop();
        assert.deepEqual(logs.filter((l) => l.event.startsWith('rs-')), [], 'no probe ran');
        assert.equal((await h.cmd('tsvsadm -Ln')).output, [...HEADER,
          'TCP  192.168.100.254:80 rr',
          '  -> 192.168.100.2:80             FullNat 100    0          0         ',
          '  -> 192.168.100.3:80             FullNat 100    0          0         ',
          ''].join('\n'));
        // The LIPs follow the VIP: the backup holds none (it would answer ARP for them).
        assert.equal((await h.cmd('tsvsadm -Sn')).output?.split('\n').filter((l) => l.startsWith('-P')).join('\n'), role === 'backup' ? '' : [
          '-P -t 192.168.100.254:80 -z 192.168.100.200 -F dpdk0',
          '-P -t 192.168.100.254:80 -z 192.168.100.201 -F dpdk0',
        ].join('\n'));
        const addrs = (await h.cmd('tsip addr show dev dpdk0')).output ?? '';
        if (role === 'master') assert.match(addrs, /inet 192\.168\.100\.254\/32/);
        else assert.doesNotMatch(addrs, /192\.168\.100\.254/);
        // The only warning is S2's nb_sock_retry, which keepalived does not know either.
        assert.deepEqual(logs.filter((l) => l.event === 'config_warning').map((l) => String(l.message).replace(/^.*:\d+: /, '')), [
          "warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored",
          "warning: unknown keyword 'nb_sock_retry' in TCP_CHECK: ignored",
        ]);
      } finally {
        await h.close();
      }
    });
  }
});

describe('the API target (--api URL --token-file F)', () => {
  test('applies a batch with the token; a wrong token or a refused line is an error naming the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    writeFileSync(join(dir, 'wrong'), 'wrong-token\n');
    const h = await startDaemon(1, { ports: PORTS, api: { host: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } });
    try {
      const url = `http://127.0.0.1:${h.daemon.apiAddress!.port}`;
      await apiTarget(url, join(dir, 'token')).apply(['tsvsadm -A -t 10.0.0.103:80 -s rr', 'tsvsadm -a -t 10.0.0.103:80 -r 192.168.100.9:80 -m -w 3']);
      assert.equal((await h.cmd('tsvsadm -Ln')).output, [...HEADER, 'TCP  10.0.0.103:80 rr', `  -> ${'192.168.100.9:80'.padEnd(29)}Masq    3      0          0         `, ''].join('\n'));
      await assert.rejects(apiTarget(url, join(dir, 'wrong')).apply(['tsvsadm -D -t 10.0.0.103:80']), (e: Error) => e instanceof RefusedBatchError && /HTTP 401/.test(e.message));
      await assert.rejects(apiTarget(url + '/', join(dir, 'token')).apply(['tsvsadm -D -t 10.0.0.103:80', 'tsvsadm -D -t 10.0.0.103:80']),
        (e: Error) => e instanceof RefusedBatchError && /HTTP 404\): line 2: /.test(e.message));
      // All or nothing: the first -D of the refused batch did not happen.
      assert.match((await h.cmd('tsvsadm -Ln')).output ?? '', /TCP {2}10\.0\.0\.103:80 rr/);
      // The daemon's state reads the same through the API (JSON) as through the socket (tsvs save).
      await h.cmd('tsip addr add 10.0.0.103/32 dev dpdk0');
      const viaApi = await apiTarget(url, join(dir, 'token')).read();
      assert.deepEqual(viaApi, await socketTarget(h.daemon.socketPath).read());
      assert.equal(describeState(viaApi), 'tcp 10.0.0.103:80, 10.0.0.103/32 dev dpdk0');
      assert.deepEqual(viaApi.services[0]?.dests, [{ addr: parseIp('192.168.100.9'), port: 80, method: 'nat', weight: 3, uThreshold: 0, lThreshold: 0 }]);
      await assert.rejects(apiTarget(url, join(dir, 'wrong')).read(), /HTTP 401/);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('adopting the daemon\'s state (a previous run, a restarted daemon, a service deleted by hand)', () => {
  /** No checkers: every real server is alive, so the desired state is known exactly. */
  const conf = (w: number, globals = ''): string => `
global_defs {
${globals}
}
virtual_server 10.0.0.104 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 192.168.100.2 80 {
        weight ${w}
    }
    real_server 192.168.100.3 80 {
        weight 1
    }
}
`;
  const row = (addr: string, w: number): string => `  -> ${addr.padEnd(29)}Masq    ${String(w).padEnd(6)} 0          0         `;
  const ours = (w: number): string[] => ['TCP  10.0.0.104:80 wrr', row('192.168.100.2:80', w), row('192.168.100.3:80', 1)];
  const theirs = ['TCP  10.0.0.199:80 rr', row('192.168.100.9:80', 1)];
  const setup = async (o: { socket?: string; stateCheckMs?: number; globals?: string } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-'));
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, conf(5, o.globals));
    const h = await startDaemon(1, o.socket ? { socket: o.socket } : {});
    const logs: LogRecord[] = [];
    const start = (): KeepalivedProcess => KeepalivedProcess.start({
      file, target: socketTarget(h.daemon.socketPath), log: (l) => logs.push(l), retry: { firstMs: 50, maxMs: 100 }, stateCheckMs: o.stateCheckMs ?? 0,
    });
    const list = async (): Promise<string> => (await h.cmd('tsvsadm -Ln')).output ?? '';
    const batches = (): (readonly string[])[] => logs.filter((l) => l.event === 'batch_applied').map((l) => l.lines as string[]);
    return { dir, file, h, logs, start, list, batches, cleanup: async () => { await h.close(); rmSync(dir, { recursive: true, force: true }); } };
  };

  test('a service left with other weights, a missing and an extra real server: edited into shape, never re-created; others untouched', async () => {
    const t = await setup();
    // A killed keepalived's service (scheduler rr, 192.168.100.2 at weight 2, a stale .4, no .3),
    // and an operator's unrelated service.
    await configure(t.h, [
      'tsvsadm -A -t 10.0.0.104:80 -s rr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 2', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.4:80 -m -w 1',
      'tsvsadm -A -t 10.0.0.199:80 -s rr', 'tsvsadm -a -t 10.0.0.199:80 -r 192.168.100.9:80 -m -w 1',
    ].join('\n'));
    const proc = t.start();
    try {
      await proc.settled();
      assert.deepEqual(t.batches(), [[
        'tsvsadm -E -t 10.0.0.104:80 -s wrr',
        'tsvsadm -e -t 10.0.0.104:80 -r 192.168.100.2:80 -w 5',
        'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.3:80 -m -w 1',
        'tsvsadm -d -t 10.0.0.104:80 -r 192.168.100.4:80',
      ]]);
      assert.equal(t.logs.find((l) => l.event === 'daemon_state_adopted')?.message, 'The daemon already holds tcp 10.0.0.104:80: adopting it');
      assert.equal(await t.list(), [...HEADER, ...ours(5), ...theirs, ''].join('\n'));
      await proc.stop();
      // Stop removes ours only.
      assert.equal(await t.list(), [...HEADER, ...theirs, ''].join('\n'));
    } finally {
      await proc.stop();
      await t.cleanup();
    }
  });

  test('a service left exactly as configured: adopted with no batch at all', async () => {
    const t = await setup();
    await configure(t.h, ['tsvsadm -A -t 10.0.0.104:80 -s wrr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 5', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.3:80 -m -w 1'].join('\n'));
    const proc = t.start();
    try {
      await proc.settled();
      assert.equal(proc.appliedBatches, 0);
      assert.equal(await t.list(), [...HEADER, ...ours(5), ''].join('\n'));
    } finally {
      await proc.stop();
      await t.cleanup();
    }
  });

  test('a daemon restarted under a running keepalived gets the whole state back at the next state check', async () => {
    const sockDir = mkdtempSync(join(tmpdir(), 'tsvs-ka-sock-'));
    const socket = join(sockDir, 'tsvs.sock');
    const t = await setup({ socket, stateCheckMs: 100 });
    const proc = t.start();
    let h2: Harness | undefined;
    try {
      await proc.settled();
      assert.equal(await t.list(), [...HEADER, ...ours(5), ''].join('\n'));
      await t.h.close();
      h2 = await startDaemon(1, { socket });
      await until('the service back', async () => ((await h2!.cmd('tsvsadm -Ln')).output ?? '') === [...HEADER, ...ours(5), ''].join('\n'));
      await proc.settled();
      assert.deepEqual(t.batches().at(-1), ['tsvsadm -A -t 10.0.0.104:80 -s wrr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 5', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.3:80 -m -w 1']);
      assert.equal(t.logs.find((l) => l.event === 'daemon_state_changed')?.message,
        'The daemon no longer holds what tsvs keepalived applied (restarted, or changed by hand); it holds none of it');
    } finally {
      await proc.stop();
      await h2?.close();
      rmSync(t.dir, { recursive: true, force: true });
      rmSync(sockDir, { recursive: true, force: true });
    }
  });

  test('a service deleted by hand comes back with the next batch (here a reload), diffed from what the daemon holds', async () => {
    const t = await setup();
    const proc = t.start();
    try {
      await proc.settled();
      await configure(t.h, 'tsvsadm -D -t 10.0.0.104:80');
      writeFileSync(t.file, conf(7));
      assert.equal(await proc.reload(), true);
      await proc.settled();
      // Not `-e ... -w 7` (refused: no such service) but the whole service again.
      assert.deepEqual(t.batches().at(-1), ['tsvsadm -A -t 10.0.0.104:80 -s wrr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 7', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.3:80 -m -w 1']);
      assert.equal(t.logs.filter((l) => l.event === 'batch_refused').length, 0);
      assert.equal(await t.list(), [...HEADER, ...ours(7), ''].join('\n'));
    } finally {
      await proc.stop();
      await t.cleanup();
    }
  });

  const leftovers = [
    'tsvsadm -A -t 10.0.0.104:80 -s wrr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 2',
    'tsvsadm -A -t 10.0.0.199:80 -s rr', 'tsvsadm -a -t 10.0.0.199:80 -r 192.168.100.9:80 -m -w 1',
  ].join('\n');
  const fullBatchLines = ['tsvsadm -A -t 10.0.0.104:80 -s wrr', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.2:80 -m -w 5', 'tsvsadm -a -t 10.0.0.104:80 -r 192.168.100.3:80 -m -w 1'];

  test('lvs_flush: the first batch flushes the whole table (others\' services too), then builds ours, atomically', async () => {
    const t = await setup({ globals: 'lvs_flush' });
    await configure(t.h, leftovers);
    const proc = t.start();
    try {
      await proc.settled();
      assert.deepEqual(t.batches(), [['tsvsadm -C', ...fullBatchLines]]);
      assert.equal(await t.list(), [...HEADER, ...ours(5), ''].join('\n'));
      // Only at start: a reload does not flush again.
      await configure(t.h, 'tsvsadm -A -t 10.0.0.199:80 -s rr');
      writeFileSync(t.file, conf(6, 'lvs_flush'));
      assert.equal(await proc.reload(), true);
      await proc.settled();
      assert.deepEqual(t.batches().at(-1), ['tsvsadm -e -t 10.0.0.104:80 -r 192.168.100.2:80 -w 6']);
      assert.equal(await t.list(), [...HEADER, ...ours(6), 'TCP  10.0.0.199:80 rr', ''].join('\n'));
    } finally {
      await proc.stop();
      await t.cleanup();
    }
  });

  for (const [mode, expected] of [
    ['lvs_flush_on_stop', { lines: ['tsvsadm -C'], left: [] as string[] }],
    ['lvs_flush_on_stop VS', { lines: ['tsvsadm -D -t 10.0.0.104:80'], left: theirs }],
    ['', { lines: ['tsvsadm -D -t 10.0.0.104:80'], left: theirs }],
  ] as const) {
    test(`stop with ${mode || 'no lvs_flush_on_stop'}: ${mode === 'lvs_flush_on_stop' ? 'the whole table is flushed' : 'only our service goes'}${mode ? ', without a line per real server' : ', each real server logged'}`, async () => {
      const t = await setup({ globals: mode });
      await configure(t.h, leftovers.split('\n').slice(2).join('\n'));
      const proc = t.start();
      try {
        await proc.settled();
        assert.equal(await t.list(), [...HEADER, ...ours(5), ...theirs, ''].join('\n'));
        await proc.stop();
        assert.deepEqual(t.batches().at(-1), expected.lines);
        assert.equal(await t.list(), [...HEADER, ...expected.left, ''].join('\n'));
        assert.deepEqual(t.logs.filter((l) => l.event === 'rs_shutdown').map((l) => l.message), mode ? [] : [
          'Shutting down service [192.168.100.2]:tcp:80 from VS [10.0.0.104]:tcp:80',
          'Shutting down service [192.168.100.3]:tcp:80 from VS [10.0.0.104]:tcp:80',
        ]);
      } finally {
        await proc.stop();
        await t.cleanup();
      }
    });
  }
});

describe('SIGHUP with a changed VRRP part, through the process (VRRP on a memory link, a live daemon)', () => {
  test('a MASTER that stays keeps its VIPs: the batch is exactly the tsip lines of the difference; a removed master resigns and its VIP leaves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-vrrp-'));
    const file = join(dir, 'keepalived.conf');
    // global_defs outside VRRP (lvs_flush_on_stop) changes too: that alone would not reload VRRP.
    writeFileSync(file, `global_defs {\n    router_id a\n}\n${masterInstance('VI_1', 51, 255, ['10.0.0.100', '10.0.0.101'])}${masterInstance('VI_3', 53, 255, ['10.0.0.130'])}\n`);
    const h = await startDaemon(1, { ports: PORTS });
    const logs: LogRecord[] = [];
    const clock = new FakeClock();
    const links = new Map<string, MemoryLink>();
    const vrrp = new AdvertVrrp({
      log: (l) => void logs.push(l), ports: { dpdk1: 'wan0' }, clock, runScript: () => undefined,
      openLink: (n) => { const l = new MemoryLink(n); links.set(n, l); return l; },
    });
    const proc = KeepalivedProcess.start({ file, target: socketTarget(h.daemon.socketPath), log: (l) => void logs.push(l), vrrp, stateCheckMs: 0 });
    const addrs = async (): Promise<string[]> => [...((await h.cmd('tsip addr show dev dpdk1')).output ?? '').matchAll(/inet (\S+)/g)].map((m) => m[1]!);
    const adverts = (): string[] => links.get('wan0')!.sent.splice(0).flatMap((f) => {
      const l3 = parseVrrpFrame(f, 0, f.length);
      if (!l3) return [];
      const a = decodeAdvert(f, l3.off, l3.len, l3.af)!;
      return [`${a.vrid}/${a.priority}`];
    });
    const batches = (): unknown[] => logs.filter((l) => l.event === 'batch_applied').map((l) => l.lines);
    try {
      // Priority 255 with state MASTER: MASTER at once (1 µs).
      clock.advance(1);
      await until('both masters\' VIPs', async () => (await addrs()).length === 3);
      await proc.settled();
      assert.deepEqual(await addrs(), ['10.0.0.100/32', '10.0.0.101/32', '10.0.0.130/32']);
      adverts();
      const before = batches().length;

      // A reload that changes only router_id and lvs_flush_on_stop leaves VRRP alone: no advert at all.
      writeFileSync(file, `global_defs {\n    router_id b\n    lvs_flush_on_stop VS\n}\n${masterInstance('VI_1', 51, 255, ['10.0.0.100', '10.0.0.101'])}${masterInstance('VI_3', 53, 255, ['10.0.0.130'])}\n`);
      assert.equal(await proc.reload(), true);
      await proc.settled();
      assert.deepEqual([adverts(), batches().length], [[], before]);

      // VI_1 stays (new priority, one VIP replaced), VI_3 goes.
      writeFileSync(file, `global_defs {\n    router_id b\n}\n${masterInstance('VI_1', 51, 200, ['10.0.0.100', '10.0.0.102'])}\n`);
      assert.equal(await proc.reload(), true);
      await until('the new VIP', async () => (await addrs()).includes('10.0.0.102/32'));
      await proc.settled();
      // VI_3 resigns with priority 0; VI_1 advertises at once with its new priority, never 0.
      assert.deepEqual(adverts(), ['53/0', '51/200']);
      assert.deepEqual(batches().slice(before), [[
        'tsip addr del 10.0.0.101/32 dev dpdk1',
        'tsip addr del 10.0.0.130/32 dev dpdk1',
        'tsip addr add 10.0.0.102/32 dev dpdk1',
      ]]);
      assert.deepEqual(await addrs(), ['10.0.0.100/32', '10.0.0.102/32']);
      assert.deepEqual(logs.filter((l) => l.event === 'vrrp_state').map((l) => l.message), ['(VI_1) Entering MASTER STATE', '(VI_3) Entering MASTER STATE']);
      assert.deepEqual(vrrp.states(), new Map([['VI_1', 'MASTER']]));

      // A file VRRP cannot run (an IPv6 instance on a link with no IPv6 address) is refused whole:
      // VI_1's edit in the same file is not applied either, and VRRP runs on as it was.
      const fromBatches = batches().length;
      writeFileSync(file, `${masterInstance('VI_1', 51, 200, ['10.0.0.100', '10.0.0.103'])}${masterInstance('VI_6', 56, 255, ['fd00::100'])}\n`);
      assert.equal(await proc.reload(), false);
      await proc.settled();
      assert.match(String(logs.filter((l) => l.event === 'reload_failed').at(-1)?.message),
        /^vrrp_instance VI_6: interface wan0 has no IPv6 address to send adverts from .*: keeping the running configuration$/);
      assert.equal(batches().length, fromBatches);
      assert.deepEqual(await addrs(), ['10.0.0.100/32', '10.0.0.102/32']);
      assert.deepEqual(vrrp.states(), new Map([['VI_1', 'MASTER']]));
      adverts();
      clock.advance(1000);
      assert.deepEqual(adverts(), ['51/200']);
    } finally {
      await proc.stop();
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

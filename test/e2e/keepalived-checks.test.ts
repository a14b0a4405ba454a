// End to end, health checks (issue 5, scenarios S2 and S7): `tsvs keepalived -f` in the tsvs
// namespace with a keepalived.conf in DPVS's dialect drives `tsvs daemon` (afpacket) over its
// control socket; probes go through the kernel's management interface (192.168.100.250) to three
// nginx real servers. A stopped nginx leaves (or gets weight 0 with inhibit_on_failure) and comes
// back, a page failing HTTP_GET's digest is taken out, and a SIGHUP with edits keeps a download.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIP, MGMT_ADDR, NetnsLab, rsAddr } from '../../src/lab/netns-lab.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;

const TSVS = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));
const md5 = (b: string | Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** What startNginx puts in server i's index.html. */
const page = (i: number): string => `rs${i + 1} ${rsAddr(i)}\n`;

/** Checker timing of the file below, in seconds. */
const DELAY_LOOP = 2;
const RETRY = 3;
const DELAY_BEFORE_RETRY = 0.5;
const CONNECT_TIMEOUT = 1;
/**
 * The bound: a failure is acted on within delay_loop x retry. keepalived's schedule gives
 * less: the next probe comes at most delay_loop after the last success, then `retry` retries,
 * each delay_before_retry later (a stopped nginx refuses at once; a wrong digest is known at
 * once), then the batch (one socket round trip). That worst case, 3.5 s here, leaves 2.5 s of
 * the 6 s for a loaded CI machine.
 */
const DOWN_BOUND_MS = DELAY_LOOP * RETRY * 1000;
const WORST_CASE_MS = (DELAY_LOOP + RETRY * DELAY_BEFORE_RETRY) * 1000;
if (WORST_CASE_MS > DOWN_BOUND_MS - 2000) throw new Error('the checker timing leaves too little slack under delay_loop x retry');
/** A server that is down is probed every delay_loop: it is back within one, plus the same slack. */
const UP_BOUND_MS = (DELAY_LOOP + CONNECT_TIMEOUT + 1) * 1000;

/**
 * Scenario S2's dialect (local_address_group + laddr_group_name, virtual_server_group, lb_kind
 * FNAT, dpdk_interface) on S1/S7's lab: the VIP on the WAN port dpdk1, the LIP on the LAN port.
 * :80 has TCP_CHECKs (rs2 with inhibit_on_failure); :8080 has HTTP_GET with each page's digest.
 */
function keepalivedConf(mgmtIf: string, o: { weight80?: number; rs1On8080?: boolean } = {}): string {
  const timing = `            connect_timeout ${CONNECT_TIMEOUT}
            retry ${RETRY}
            delay_before_retry ${DELAY_BEFORE_RETRY}`;
  const tcp = (i: number, inhibit: boolean): string => `    real_server ${rsAddr(i)} 80 {
        weight ${o.weight80 ?? 1}${inhibit ? '\n        inhibit_on_failure' : ''}
        TCP_CHECK {
${timing}
        }
    }`;
  const http = (i: number): string => `    real_server ${rsAddr(i)} 80 {
        weight 1
        HTTP_GET {
            url {
                path /index.html
                digest ${md5(page(i))}
            }
${timing}
        }
    }`;
  return `! tsvs e2e: health checks through the management interface
global_defs {
    router_id tsvs_e2e
}
local_address_group laddr_g1 {
    ${LIP} dpdk0
}
vrrp_instance VI_1 {
    state MASTER
    interface ${mgmtIf}
    dpdk_interface dpdk1
    virtual_router_id 123
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.0.0.100
    }
}
virtual_server_group vip80 {
    10.0.0.100 80
}
virtual_server_group vip8080 {
    10.0.0.100 8080
}
virtual_server group vip80 {
    delay_loop ${DELAY_LOOP}
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name laddr_g1
${tcp(0, false)}
${tcp(1, true)}
${tcp(2, false)}
}
virtual_server group vip8080 {
    delay_loop ${DELAY_LOOP}
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name laddr_g1
${o.rs1On8080 ? http(0) + '\n' : ''}${http(1)}
${http(2)}
}
`;
}

/** The lab, plus `tsvs keepalived -f` in the tsvs namespace (stopped with the lab). */
class KeepalivedLab extends NetnsLab {
  keepalivedLog = '';
  startKeepalived(file: string): ChildProcess {
    const c = this.spawn(this.ns.lb, process.execPath, [TSVS, 'keepalived', '-f', file, '--socket', this.socket, '--tsvs-conf', join(this.dir, 'tsvs.conf')]);
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { this.keepalivedLog += d; });
    return c;
  }

  records(): { event: string; message?: string; lines?: string[] }[] {
    // Complete lines only: the last chunk read may end in the middle of one.
    const lines = this.keepalivedLog.split('\n').slice(0, -1);
    return lines.filter(Boolean).map((l) => JSON.parse(l) as { event: string; message?: string; lines?: string[] });
  }
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (cond()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('keepalived health checks through the management interface (S2 dialect, S7 layout)', { skip, timeout: 240_000 }, () => {
  let lab: KeepalivedLab;
  let ka: ChildProcess;
  let conf: string;
  const servers: { root: string; accessLog: string }[] = [];
  const curl = (...args: string[]): string => lab.sh(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '10', ...args);
  /** The rs names of n fetches of url. */
  const fetchNames = (url: string, n: number): string[] => Array.from({ length: n }, () => curl(url).split(' ')[0]!);
  const list = (): string => lab.ctl('tsvsadm -Ln');
  /**
   * Waits until keepalived has logged `message`: the daemon lists a change as soon as it applies
   * it, a moment before keepalived reads the answer and logs, and this file's synchronous helpers
   * (curl, tsvsadm) hold the event loop that reads keepalived's stderr.
   */
  const logged = async (message: string): Promise<void> => {
    try {
      await until(`keepalived logs "${message}"`, () => lab.records().some((r) => r.message === message), 2000);
    } catch (e) {
      throw new Error(`${(e as Error).message}; its log:\n${lab.keepalivedLog}`);
    }
  };
  /** `-> RIP:80 FullNat W` rows of one service in `tsvsadm -Ln`, as "RIP W". */
  const dests = (port: number): string[] => {
    const out: string[] = [];
    let inService = false;
    for (const l of list().split('\n')) {
      if (l.startsWith('TCP ')) inService = l.startsWith(`TCP  10.0.0.100:${port} `);
      else if (inService && l.startsWith('  -> ') && !l.includes('RemoteAddress')) {
        const [, rip, fwd, w] = l.trim().split(/\s+/);
        assert.equal(fwd, 'FullNat');
        out.push(`${rip!.replace(/:80$/, '')} ${w}`);
      }
    }
    return out;
  };

  before(async () => {
    lab = new KeepalivedLab({ servers: 3, mgmt: true });
    lab.build();
    for (let i = 0; i < 3; i++) servers.push(lab.startNginx(i));
    await lab.startDaemon();
    // The routes are tsvs.conf/startup-script business, not keepalived's.
    lab.ctl('tsip route add 10.0.0.0/16 dev dpdk1');
    lab.ctl('tsip route add 192.168.100.0/24 dev dpdk0');
    conf = join(lab.dir, 'keepalived.conf');
    writeFileSync(conf, keepalivedConf(lab.mgmt!));
    ka = lab.startKeepalived(conf);
  });

  after(async () => {
    if (ka && ka.exitCode === null) {
      const exited = new Promise((r) => ka.once('exit', r));
      ka.kill('SIGTERM');
      await exited;
    }
    await lab?.destroy();
  });

  test('(a) the services, LIP and VIP are applied; curl reaches every server; probes come from 192.168.100.250', async () => {
    // The VIP comes with VRRP's MASTER state (no peer on the management LAN: this node wins).
    await until('both services with their servers, and the VIP', () => dests(80).length === 3 && dests(8080).length === 2
      && lab.ctl('tsip addr show dev dpdk1').includes('10.0.0.100/32'), 15_000);
    assert.deepEqual(dests(80), ['192.168.100.2 1', '192.168.100.3 1', '192.168.100.4 1']);
    assert.deepEqual(dests(8080), ['192.168.100.3 1', '192.168.100.4 1']);
    assert.match(lab.ctl('tsip addr show dev dpdk1'), /inet 10\.0\.0\.100\/32/);
    const first = curl('--retry', '3', '--retry-all-errors', 'http://10.0.0.100/').split(' ')[0]!;
    const names = [first, ...fetchNames('http://10.0.0.100/', 5)];
    assert.deepEqual(new Set(names), new Set(['rs1', 'rs2', 'rs3']), names.join(' '));
    assert.deepEqual(new Set(fetchNames('http://10.0.0.100:8080/', 4)), new Set(['rs2', 'rs3']));
    // Let each HTTP_GET run at least twice, then read who asked for /index.html.
    await new Promise((r) => setTimeout(r, 2 * DELAY_LOOP * 1000));
    for (const i of [1, 2]) {
      const lines = readFileSync(servers[i]!.accessLog, 'utf8').trim().split('\n');
      const probes = lines.filter((l) => l.includes(' GET /index.html '));
      assert.ok(probes.length >= 2, `${probes.length} probes in rs${i + 1}'s log`);
      for (const l of probes) assert.equal(l.split(' ')[0], MGMT_ADDR, `probe line: ${l}`);
      // Clients arrive from the LIP (FullNAT); nothing else talks to the servers.
      for (const l of lines) assert.ok([MGMT_ADDR, LIP].includes(l.split(' ')[0]!), `access log line: ${l}`);
    }
  });

  test(`(b) a stopped nginx is removed within ${DOWN_BOUND_MS} ms, curl never reaches it, and it returns`, async () => {
    await lab.stopNginx(0);
    const down = await until('rs1 out of :80', () => !dests(80).some((d) => d.startsWith('192.168.100.2 ')), DOWN_BOUND_MS);
    assert.deepEqual(dests(80), ['192.168.100.3 1', '192.168.100.4 1']);
    const names = fetchNames('http://10.0.0.100/', 6);
    assert.ok(!names.includes('rs1'), names.join(' '));
    assert.deepEqual(new Set(names), new Set(['rs2', 'rs3']));
    await logged('TCP connection to [192.168.100.2]:tcp:80 failed.');
    await logged(`TCP_CHECK on service [192.168.100.2]:tcp:80 failed after ${RETRY} retries.`);
    await logged('Removing service [192.168.100.2]:tcp:80 from VS [vip80]:0');

    lab.startNginx(0);
    const up = await until('rs1 back in :80', () => dests(80).includes('192.168.100.2 1'), UP_BOUND_MS);
    assert.deepEqual(new Set(fetchNames('http://10.0.0.100/', 6)), new Set(['rs1', 'rs2', 'rs3']));
    await logged('Adding service [192.168.100.2]:tcp:80 to VS [vip80]:0');
    process.stdout.write(`# rs1 removed ${down} ms after its nginx stopped, back ${up} ms after it started\n`);
  });

  test(`(b) with inhibit_on_failure a stopped nginx gets weight 0 (within ${DOWN_BOUND_MS} ms), then weight 1 again`, async () => {
    await lab.stopNginx(1);
    const down = await until('rs2 weight 0 in :80', () => dests(80).includes('192.168.100.3 0'), DOWN_BOUND_MS);
    // HTTP_GET of :8080 removes it there too (no inhibit on that virtual server).
    await until('rs2 out of :8080', () => dests(8080).length === 1, DOWN_BOUND_MS);
    assert.deepEqual(dests(80), ['192.168.100.2 1', '192.168.100.3 0', '192.168.100.4 1']);
    assert.deepEqual(dests(8080), ['192.168.100.4 1']);
    const names = fetchNames('http://10.0.0.100/', 6);
    assert.deepEqual(new Set(names), new Set(['rs1', 'rs3']), names.join(' '));
    await logged('Disabling service [192.168.100.3]:tcp:80 of VS [vip80]:0');

    lab.startNginx(1);
    const up = await until('rs2 weight 1', () => dests(80).includes('192.168.100.3 1') && dests(8080).length === 2, UP_BOUND_MS);
    await logged('Enabling service [192.168.100.3]:tcp:80 of VS [vip80]:0');
    process.stdout.write(`# rs2 at weight 0 ${down} ms after its nginx stopped, weight 1 ${up} ms after it started\n`);
  });

  test(`(c) a page whose MD5 no longer matches HTTP_GET's digest is taken out within ${DOWN_BOUND_MS} ms`, async () => {
    writeFileSync(join(servers[2]!.root, 'index.html'), 'rs3 under maintenance\n');
    await until('rs3 out of :8080', () => !dests(8080).some((d) => d.startsWith('192.168.100.4 ')), DOWN_BOUND_MS);
    assert.deepEqual(dests(8080), ['192.168.100.3 1']);
    // TCP_CHECK on :80 does not read pages: rs3 stays there.
    assert.deepEqual(dests(80), ['192.168.100.2 1', '192.168.100.3 1', '192.168.100.4 1']);
    assert.deepEqual(new Set(fetchNames('http://10.0.0.100:8080/', 4)), new Set(['rs2']));
    await logged('MD5 digest error to server [192.168.100.4]:tcp:80.');
    await logged('Removing service [192.168.100.4]:tcp:80 from VS [vip8080]:0');
    writeFileSync(join(servers[2]!.root, 'index.html'), page(2));
    await until('rs3 back in :8080', () => dests(8080).length === 2, UP_BOUND_MS);
  });

  test('(d) SIGHUP with edited weights and an added server: applied as edits; a download in flight completes intact', async () => {
    const data = randomBytes(3 << 20);
    for (const s of servers) writeFileSync(join(s.root, 'big.bin'), data);
    const out = join(lab.dir, 'slow.bin');
    // 3 MB at 1 MB/s: the reload lands in the middle of it.
    const t0 = Date.now();
    const download = lab.run(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '30', '--limit-rate', '1M', '-o', out, 'http://10.0.0.100/big.bin');
    await new Promise((r) => setTimeout(r, 1000));
    const batchesBefore = lab.records().filter((r) => r.event === 'batch_applied').length;
    writeFileSync(conf, keepalivedConf(lab.mgmt!, { weight80: 2, rs1On8080: true }));
    ka.kill('SIGHUP');
    await until('the new weights and rs1 in :8080', () => dests(80).every((d) => d.endsWith(' 2')) && dests(8080).length === 3, 5000);
    const reloadedAt = Date.now() - t0;
    assert.equal(await download, 0, 'curl exit status');
    const doneAt = Date.now() - t0;
    assert.ok(reloadedAt < doneAt, `reloaded at ${reloadedAt} ms, download done at ${doneAt} ms`);
    assert.equal(sha256(readFileSync(out)), sha256(data));
    const applied = (): { lines?: string[] }[] => lab.records().filter((r) => r.event === 'batch_applied').slice(batchesBefore);
    await until('the reload\'s batch logged', () => applied().length > 0, 2000);
    const batches = applied().map((r) => r.lines);
    assert.deepEqual(batches, [[
      'tsvsadm -e -t 10.0.0.100:80 -r 192.168.100.2:80 -w 2',
      'tsvsadm -e -t 10.0.0.100:80 -r 192.168.100.3:80 -w 2',
      'tsvsadm -e -t 10.0.0.100:80 -r 192.168.100.4:80 -w 2',
      'tsvsadm -a -t 10.0.0.100:8080 -r 192.168.100.2:80 -b -w 1',
    ]]);
    assert.deepEqual(dests(8080), ['192.168.100.2 1', '192.168.100.3 1', '192.168.100.4 1']);
    process.stdout.write(`# reload applied ${reloadedAt} ms into the download, which ended at ${doneAt} ms\n`);
  });

  test('SIGTERM: keepalived removes the services and the VIP it added, exit 0', async () => {
    const exited = new Promise<number | null>((r) => ka.once('exit', (code) => r(code)));
    ka.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(list().split('\n').filter((l) => l.startsWith('TCP ')).length, 0);
    assert.doesNotMatch(lab.ctl('tsip addr show dev dpdk1'), /10\.0\.0\.100/);
  });
});

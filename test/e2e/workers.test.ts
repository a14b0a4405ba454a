// End to end, two workers on the afpacket driver (S1 FullNAT): every connection is carried by the
// worker its client port hashes to, in both directions, also after a worker restarted (the kernel
// renumbers the fanout slots); ports not in tsvs.conf are refused.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ADDR, NetnsLab, VIP, fnatRrLines } from '../../src/lab/netns-lab.js';
import { expectedWorker } from '../support/steering.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;
const PEER = new URL('./daemon-peer.js', import.meta.url).pathname;
const WORKERS = 2;
/** Long enough at --limit-rate 100k (about 4 s) that every connection is open at once. */
const SLOW_BYTES = 400_000;
const CONNS = 24;

describe('two workers on the afpacket driver: fanout steering (S1 FullNAT)', { skip, timeout: 180_000 }, () => {
  let lab: NetnsLab;
  let daemon: ChildProcess | null = null;
  let log = '';
  let out = '';

  before(async () => {
    lab = new NetnsLab({ servers: 2 });
    lab.build();
    for (const i of [0, 1]) writeFileSync(join(lab.startNginx(i).root, 'slow.bin'), Buffer.alloc(SLOW_BYTES, 7));
    const conf = join(lab.dir, 'tsvs-workers.conf');
    writeFileSync(conf, `global_defs {\n workers ${WORKERS}\n driver afpacket\n control_socket ${lab.socket}\n conn_pool_size 65536\n}\n`
      + `netif_defs {\n device dpdk0 { interface ${lab.lan} }\n device dpdk1 { interface ${lab.wan} }\n}\n`);
    const d = spawn('ip', ['netns', 'exec', lab.ns.lb, process.execPath, PEER, conf], { stdio: ['pipe', 'pipe', 'pipe'] });
    daemon = d;
    d.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
    await new Promise<void>((resolve, reject) => {
      d.stderr!.setEncoding('utf8').on('data', (s: string) => {
        log += s;
        if (log.includes('"daemon_ready"')) resolve();
      });
      d.once('exit', (code) => reject(new Error(`daemon peer exited (${code}):\n${log}`)));
    });
    for (const line of fnatRrLines(2)) lab.ctl(line);
    // The client resolves the VIP first (worker 0 alone answers ARP; every worker learns).
    lab.sh(lab.ns.client, 'ping', '-c', '1', '-W', '2', VIP);
  });

  after(async () => {
    const d = daemon;
    if (d && d.exitCode === null && d.signalCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => d.kill('SIGKILL'), 5000);
        d.once('exit', () => { clearTimeout(kill); resolve(); });
        d.kill('SIGTERM');
      });
    }
    await lab?.destroy();
  });

  /** Each worker's connection count: the `conns` column of `tsip -s link show cpu` (dpip's lcore view). */
  const perWorker = (): number[] => {
    const out = lab.ctl('tsip -s link show cpu');
    const counts = [...out.matchAll(/^\d+: cpu(\d+): socket 0\n.*\n +bursts +dropped +conns *\n +\d+ +\d+ +(\d+)/gm)].map((m) => Number(m[2]));
    assert.equal(counts.length, WORKERS, `per-worker listing:\n${out}`);
    return counts;
  };

  /** Waits until the connection tables are empty (the last round's TIME_WAIT entries expired). */
  async function drained(): Promise<void> {
    for (let t = 0; t < 200 && perWorker().some((n) => n !== 0); t++) await sleep(100);
    assert.deepEqual(perWorker(), [0, 0]);
  }

  /**
   * CONNS slow downloads at once from client ports first.., each held open for seconds: while all
   * are open, each worker's connection count must be exactly the ports that hash to it.
   */
  async function round(first: number): Promise<void> {
    await drained();
    const ports = Array.from({ length: CONNS }, (_, i) => first + i);
    const want = [0, 0];
    for (const p of ports) want[expectedWorker(CLIENT_ADDR, p, WORKERS)]!++;
    assert.ok(want[0]! > 0 && want[1]! > 0, `the ports split between the workers: ${want}`);
    const curls = ports.map((p) => new Promise<string>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '30', '--local-port', String(p),
        '--limit-rate', '100k', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${VIP}/slow.bin`],
      (err, stdout, stderr) => (err ? reject(new Error(`curl from port ${p}: ${stderr}`)) : resolve(stdout)));
    }));
    let seen = perWorker();
    for (let t = 0; t < 100 && seen.reduce((a, b) => a + b, 0) < CONNS; t++) {
      await sleep(50);
      seen = perWorker();
    }
    assert.deepEqual(seen, want, 'each connection lives in the worker its client side hashes to');
    const results = await Promise.all(curls);
    assert.deepEqual(results, ports.map(() => `200 ${SLOW_BYTES}`), 'every download completed whole');
  }

  test(`${CONNS} concurrent connections: all complete, each in the worker its client port hashes to`, async () => {
    await round(41000);
  });

  test('after worker 0 restarts (the kernel moves worker 1 into slot 0), connections still meet their owner', async () => {
    daemon!.stdin!.write('crash 0\n');
    for (let t = 0; t < 200 && !out.includes('"restarted"'); t++) await sleep(50);
    assert.match(out, /"event":"restarted","worker":0/);
    assert.match(log, /"event":"worker_restart","worker":0/);
    await round(42000);
  });

  test('an ARP request reaches both workers (each learns) and gets exactly one reply', async () => {
    const ifc = `c${lab.tag}`;
    lab.sh(lab.ns.client, 'ip', 'neigh', 'flush', 'dev', ifc);
    const cap = spawn('ip', ['netns', 'exec', lab.ns.client, 'tshark', '-n', '-l', '-i', ifc, '-f', 'arp', '-a', 'duration:4', '-T', 'fields', '-e', 'arp.opcode', '-e', 'arp.src.proto_ipv4'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let fields = '', started = '';
    cap.stdout!.setEncoding('utf8').on('data', (s: string) => { fields += s; });
    cap.stderr!.setEncoding('utf8').on('data', (s: string) => { started += s; });
    for (let t = 0; t < 100 && !started.includes('Capture started'); t++) await sleep(50);
    lab.sh(lab.ns.client, 'ping', '-c', '1', '-W', '2', VIP);
    await new Promise<void>((resolve) => cap.once('exit', () => resolve()));
    const lines = fields.trim().split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith('2\t')), [`2\t${VIP}`], `one reply for the VIP (capture: ${JSON.stringify(lines)}; tshark: ${started})`);
    assert.equal(lines.filter((l) => l.startsWith('1\t')).length, 1, 'one request');
  });

  test('a batch that would own more VIPs than the steering program holds is refused whole', async () => {
    const batch = Array.from({ length: 64 }, (_, i) => `tsvsadm -A -t 10.0.${1 + (i >> 6)}.${i & 63}:80 -s rr\n`).join('');
    const send = (text: string): Promise<{ ok: boolean; error?: string }> => new Promise((resolve, reject) => {
      const c = connect(lab.socket);
      let got = '';
      c.setEncoding('utf8').on('data', (d: string) => {
        got += d;
        if (got.includes('\n')) { c.end(); resolve(JSON.parse(got)); }
      });
      c.on('error', reject);
      c.write(JSON.stringify({ id: 1, batch: text }) + '\n');
    });
    // 10.0.0.100 is the 65th.
    const r = await send(batch);
    assert.equal(r.ok, false);
    assert.match(r.error!, /line 64: .*65 IPv4 VIPs: the afpacket fanout program with several workers steers at most 64/);
    assert.doesNotMatch(lab.ctl('tsvsadm -L -n'), /10\.0\.1\.0/, 'nothing of the batch applied');
  });

  test('tsip link add of a device not in tsvs.conf is refused: the workers could not open it', () => {
    assert.throws(() => lab.ctl('tsip link add dpdk9 lladdr 02:00:00:00:00:09'),
      (e: Error & { stderr?: string }) => /device dpdk9: driver afpacket opens only the devices of tsvs\.conf's netif_defs \(dpdk0, dpdk1\)/.test(e.stderr ?? ''));
    assert.doesNotMatch(lab.ctl('tsip link show'), /dpdk9/);
  });
});

// `tsvs daemon -f tsvs.conf` as a child process, driven by the tsvsadm and tsip clients over its
// socket; SIGTERM stops it with exit 0 and removes the socket. Only the child we started is signalled.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/src/cli');

function run(program: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [join(CLI, `${program}.js`), ...args], { env }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

describe('tsvs daemon (child process) with the tsvsadm and tsip clients', () => {
  let dir: string;
  let sock: string;
  let child: ChildProcess;
  let stderr = '';
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-cli-'));
    sock = join(dir, 'run', 'tsvs.sock');
    env = { ...process.env, TSVS_SOCKET: sock };
    writeFileSync(join(dir, 'startup.conf'), 'tsip addr add 10.0.0.100/32 dev dpdk1\ntsip route add 192.168.100.0/24 dev dpdk0\n');
    writeFileSync(join(dir, 'api.token'), 'cli-test-token\n');
    writeFileSync(join(dir, 'tsvs.conf'), `! test daemon
global_defs {
    workers 2
    driver memory
    control_socket run/tsvs.sock     ! relative to this file
    conn_pool_size 4096
    startup_script startup.conf
    api_listen 127.0.0.1:0           ! any free port: the daemon_ready line says which
    api_token_file api.token         ! relative to this file
}
netif_defs {
    ring { frames 256 }
    device dpdk0 { interface eth1 }
    device dpdk1 {
        interface eth2
        lladdr 02:00:00:00:00:a1
    }
}
`);
    child = spawn(process.execPath, [join(CLI, 'tsvs.js'), 'daemon', '-f', join(dir, 'tsvs.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"daemon_ready"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`daemon exited early (${code}): ${stderr}`)));
    });
  });

  after(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the HTTP API from tsvs.conf: on 127.0.0.1, token from the file, the startup script\'s state', async () => {
    const ready = JSON.parse(stderr.split('\n').find((l) => l.includes('"daemon_ready"'))!) as { api: string };
    assert.match(ready.api, /^127\.0\.0\.1:\d+$/);
    const url = `http://${ready.api}/api/v1/addresses`;
    assert.equal((await fetch(url)).status, 401);
    const r = await fetch(url, { headers: { authorization: 'Bearer cli-test-token' } });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), [{ addr: '10.0.0.100', plen: 32, dev: 'dpdk1', sapool: false, scope: 'global', implicit: false }]);
  });

  test('the socket is mode 0600', () => {
    assert.equal(statSync(sock).mode & 0o777, 0o600);
  });

  test('configuration commands succeed silently; errors go to stderr with a non-zero exit', async () => {
    assert.deepEqual(await run('tsvsadm', ['-A', '-t', '10.0.0.100:80', '-s', 'rr'], env), { code: 0, out: '', err: '' });
    assert.equal((await run('tsvsadm', ['-a', '-t', '10.0.0.100:80', '-r', '192.168.100.2', '-b'], env)).code, 0);
    const dup = await run('tsvsadm', ['-A', '-t', '10.0.0.100:80', '-s', 'rr'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.err, /^tsvsadm: Service already exists: TCP 10\.0\.0\.100:80\n$/);
    const bad = await run('tsip', ['addr', 'add', '10.0.0.1/24', 'dev', 'nope'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no such device: nope/);
  });

  test('listings in ipvsadm\'s and dpip\'s formats on stdout', async () => {
    const l = await run('tsvsadm', ['-Ln'], env);
    assert.deepEqual(l, { code: 0, err: '', out: [
      'IP Virtual Server version 1.2.1 (size=8192)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.100:80 rr',
      '  -> 192.168.100.2:80             FullNat 1      0          0         ',
      '',
    ].join('\n') });
    const links = await run('tsip', ['link', 'show'], env);
    assert.equal(links.out, [
      '1: dpdk0: socket 0 mtu 1500 rx-queue 2 tx-queue 2', '    UP 0 Mbps ', '    addr 02:75:73:76:73:00 ',
      '2: dpdk1: socket 0 mtu 1500 rx-queue 2 tx-queue 2', '    UP 0 Mbps ', '    addr 02:00:00:00:00:A1 ', '',
    ].join('\n'));
  });

  test('tsvsadm -R applies stdin as one batch: a bad line applies nothing and is named', async () => {
    const bad = await run('tsvsadm', ['-R'], env, '-A -u 10.0.0.100:53 -s rr\n-a -u 10.0.0.100:53 -r 192.168.100.3 -b\n-a -u 10.0.0.199:53 -r 192.168.100.3 -b\n');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /line 3: No such service: UDP 10\.0\.0\.199:53/);
    assert.doesNotMatch((await run('tsvsadm', ['-Ln'], env)).out, /UDP/);
    assert.equal((await run('tsvsadm', ['-R'], env, '-A -u 10.0.0.100:53 -s rr\n-a -u 10.0.0.100:53 -r 192.168.100.3 -b\n')).code, 0);
    assert.match((await run('tsvsadm', ['-Ln'], env)).out, /^UDP  10\.0\.0\.100:53 rr$/m);
  });

  test('a client without a daemon says where it looked and exits 2', async () => {
    const r = await run('tsip', ['link', 'show'], { ...env, TSVS_SOCKET: join(dir, 'none.sock') });
    assert.equal(r.code, 2);
    assert.match(r.err, /cannot reach the tsvs daemon at .*none\.sock/);
  });

  test('SIGTERM: workers stop, the socket is removed, exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(child.pid!, 'SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal(existsSync(sock), false);
    assert.match(stderr, /"daemon_stopped"/);
  });
});

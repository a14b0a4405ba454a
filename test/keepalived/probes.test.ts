// Each checker's probe against real servers on loopback (127.0.0.x and ::1) that this test starts:
// TCP, HTTP_GET (exact request bytes, status ranges, MD5 digest, chunked), SSL_GET, UDP (echo, ICMP
// port unreachable), MISC (exit codes, misc_dynamic, timeout), DNS (a responder written here).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { dnsProbe, dnsQuery } from '../../src/keepalived/check/dns.js';
import { httpProbe } from '../../src/keepalived/check/http.js';
import { miscProbe } from '../../src/keepalived/check/misc.js';
import type { ProbeTarget } from '../../src/keepalived/check/probe.js';
import { tcpProbe } from '../../src/keepalived/check/tcp.js';
import { udpProbe } from '../../src/keepalived/check/udp.js';
import { ip } from '../cli/helpers.js';

const never = new AbortController().signal;

function listen(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** A port nothing listens on: bound, read, released. */
async function freePort(host: string): Promise<number> {
  const s = createServer();
  const p = await listen(s, host);
  await close(s);
  return p;
}

const target = (addr: string, port: number, timeoutMs = 1000): ProbeTarget => ({ addr: ip(addr), port, timeoutMs });

test('TCP_CHECK: connects on 127.0.0.2 and ::1, refused on a closed port, timeout on a blackhole', async () => {
  const s4 = createServer((c) => c.destroy());
  const s6 = createServer((c) => c.destroy());
  const p4 = await listen(s4, '127.0.0.2');
  const p6 = await listen(s6, '::1');
  try {
    assert.deepEqual(await tcpProbe(target('127.0.0.2', p4), never), { ok: true, reason: 'connected' });
    assert.deepEqual(await tcpProbe(target('::1', p6), never), { ok: true, reason: 'connected' });
    assert.deepEqual(await tcpProbe({ ...target('127.0.0.2', p4), bindto: ip('127.0.0.9') }, never), { ok: true, reason: 'connected' });
    assert.deepEqual(await tcpProbe(target('127.0.0.2', await freePort('127.0.0.2')), never), { ok: false, reason: 'ECONNREFUSED' });
  } finally {
    await close(s4);
    await close(s6);
  }
  // A listener that never accepts, its queue full: the handshake never completes, connect_timeout decides.
  const py = spawn('python3', ['-c', [
    'import socket,sys,time', "s=socket.socket(); s.bind(('127.0.0.3',0)); s.listen(0)",
    'print(s.getsockname()[1], flush=True)', 'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise<string>((r) => py.stdout!.once('data', (d: Buffer) => r(d.toString()))));
    const fillers = [connect(port, '127.0.0.3'), connect(port, '127.0.0.3')];
    fillers.forEach((f) => f.on('error', () => {}));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await tcpProbe(target('127.0.0.3', port, 300), never), { ok: false, reason: 'timeout' });
    fillers.forEach((f) => f.destroy());
  } finally {
    py.kill();
  }
});

/** A raw HTTP server: records each request's bytes and answers with `reply()` then closes. */
async function rawHttp(host: string, reply: () => string): Promise<{ port: number; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((c) => {
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        requests.push(buf);
        c.end(reply());
      }
    });
  });
  return { port: await listen(server, host), requests, server };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

test('HTTP_GET: keepalived request bytes, status ranges, digest = MD5 of the body', async () => {
  let reply = 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n';
  const h = await rawHttp('127.0.0.4', () => reply);
  try {
    const url = { path: '/health', statusCodes: [[200, 299]] as [number, number][], digest: md5('hello\n') };
    const probe10 = httpProbe({ tls: false, urls: [url], httpProtocol: '1.0', enableSni: false });
    assert.deepEqual(await probe10(target('127.0.0.4', h.port), never), { ok: true, reason: 'url /health: status 200, digest ok' });
    assert.equal(h.requests[0], `GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.4:${h.port}\r\n\r\n`);
    const probeVhost = httpProbe({ tls: false, urls: [{ ...url, virtualhost: 'www.example.com' }], httpProtocol: '1.1', enableSni: false });
    assert.equal((await probeVhost(target('127.0.0.4', h.port), never)).ok, true);
    assert.equal(h.requests[1], 'GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n');
    reply = 'HTTP/1.0 200 OK\r\n\r\nhello, changed\n';
    assert.deepEqual(await probe10(target('127.0.0.4', h.port), never), { ok: false, reason: `url /health: digest ${md5('hello, changed\n')} != ${md5('hello\n')}` });
    reply = 'HTTP/1.0 503 Service Unavailable\r\n\r\nbusy';
    assert.deepEqual(await probe10(target('127.0.0.4', h.port), never), { ok: false, reason: 'url /health: status 503' });
    const ranges = httpProbe({ tls: false, urls: [{ path: '/', statusCodes: [[200, 200], [500, 503]] }], httpProtocol: '1.0C', enableSni: false });
    assert.deepEqual(await ranges(target('127.0.0.4', h.port), never), { ok: true, reason: 'url /: status 503' });
    assert.equal(h.requests.at(-1), `GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.4:${h.port}\r\n\r\n`);
    // Every url must pass: the second one fails.
    reply = 'HTTP/1.0 200 OK\r\n\r\nhello\n';
    const two = httpProbe({ tls: false, urls: [url, { path: '/b', statusCodes: [[200, 299]], digest: md5('other') }], httpProtocol: '1.0', enableSni: false });
    assert.deepEqual(await two(target('127.0.0.4', h.port), never), { ok: false, reason: `url /b: digest ${md5('hello\n')} != ${md5('other')}` });
  } finally {
    await close(h.server);
  }
  const refused = httpProbe({ tls: false, urls: [{ path: '/', statusCodes: [[200, 299]] }], httpProtocol: '1.0', enableSni: false });
  assert.deepEqual(await refused(target('127.0.0.4', await freePort('127.0.0.4')), never), { ok: false, reason: 'url /: ECONNREFUSED' });
});

test('HTTP_GET 1.1 against Node http: a chunked body is digested after de-chunking; IPv6 Host is [::1]:port', async () => {
  const seen: (string | undefined)[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(req.headers.host);
    res.write('hel');
    res.end('lo\n');
  });
  const port = await listen(server, '::1');
  try {
    const probe = httpProbe({ tls: false, urls: [{ path: '/', statusCodes: [[200, 299]], digest: md5('hello\n') }], httpProtocol: '1.1', enableSni: false });
    assert.deepEqual(await probe(target('::1', port), never), { ok: true, reason: 'url /: status 200, digest ok' });
    assert.deepEqual(seen, [`[::1]:${port}`]);
  } finally {
    await close(server);
  }
});

test('SSL_GET: TLS to a self-signed server (not verified, as keepalived), SNI from virtualhost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rs.test', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const sni: (string | false | null)[] = [];
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      sni.push((req.socket as import('node:tls').TLSSocket).servername);
      res.setHeader('Content-Length', '3');
      res.end('ok\n');
    });
    const port = await listen(server, '127.0.0.5');
    try {
      const probe = httpProbe({ tls: true, urls: [{ path: '/', statusCodes: [[200, 299]], digest: md5('ok\n') }], httpProtocol: '1.0', enableSni: true, virtualhost: 'rs.test' });
      assert.deepEqual(await probe(target('127.0.0.5', port), never), { ok: true, reason: 'url /: status 200, digest ok' });
      assert.deepEqual(sni, ['rs.test']);
    } finally {
      await close(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('UDP_CHECK: echo reply matched with wildcards, mismatch, ICMP port unreachable, silence', async () => {
  const echo = createSocket('udp4');
  let answer = true;
  echo.on('message', (m, r) => { if (answer) echo.send(m, r.port, r.address); });
  await new Promise<void>((r) => echo.bind(0, '127.0.0.6', r));
  const port = echo.address().port;
  try {
    const payload = Uint8Array.of(0xca, 0xfe, 0x01);
    const match = udpProbe({ payload, requireReply: { data: Uint8Array.of(0xca, 0, 1), mask: Uint8Array.of(0xff, 0, 0xff) }, minReplyLength: 0, maxReplyLength: 255 });
    assert.deepEqual(await match(target('127.0.0.6', port), never), { ok: true, reason: 'reply matches' });
    const wrong = udpProbe({ payload, requireReply: { data: Uint8Array.of(0xbe), mask: Uint8Array.of(0xff) }, minReplyLength: 0, maxReplyLength: 255 });
    assert.deepEqual(await wrong(target('127.0.0.6', port), never), { ok: false, reason: 'reply mismatch' });
    const tooShort = udpProbe({ payload, requireReply: { data: new Uint8Array(0), mask: new Uint8Array(0) }, minReplyLength: 4, maxReplyLength: 255 });
    assert.deepEqual(await tooShort(target('127.0.0.6', port), never), { ok: false, reason: 'reply mismatch' });
    answer = false;
    const quiet = udpProbe({ payload, minReplyLength: 0, maxReplyLength: 255 });
    assert.deepEqual(await quiet(target('127.0.0.6', port, 200), never), { ok: true, reason: 'no ICMP error' });
    assert.deepEqual(await match(target('127.0.0.6', port, 200), never), { ok: false, reason: 'no reply' });
  } finally {
    echo.close();
  }
  const closed = udpProbe({ payload: Uint8Array.of(1), minReplyLength: 0, maxReplyLength: 255 });
  assert.deepEqual(await closed(target('127.0.0.6', port, 1000), never), { ok: false, reason: 'ECONNREFUSED' });
});

test('MISC_CHECK: exit 0 up, 1 down, misc_dynamic 2..255 -> weight status-2, timeout kills', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ka-misc-'));
  try {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\nexit "$1"\n', { mode: 0o755 });
    const run = (cmd: string, dynamic: boolean, timeoutMs = 2000) => miscProbe({ command: cmd, dynamic })({ addr: ip('127.0.0.1'), port: 0, timeoutMs }, never);
    assert.deepEqual(await run(`${script} 0 "two words"`, false), { ok: true, reason: 'exit 0' });
    assert.equal(readFileSync(join(dir, 'args'), 'utf8'), '0 two words\n');
    assert.deepEqual(await run(`${script} 1`, false), { ok: false, reason: 'exit 1' });
    assert.deepEqual(await run(`${script} 7`, false), { ok: false, reason: 'exit 7' });
    assert.deepEqual(await run(`${script} 7`, true), { ok: true, reason: 'exit 7', weight: 5 });
    assert.deepEqual(await run(`${script} 1`, true), { ok: false, reason: 'exit 1' });
    assert.deepEqual(await run('/bin/sleep 5', false, 200), { ok: false, reason: 'timeout' });
    assert.deepEqual(await run(join(dir, 'missing'), false), { ok: false, reason: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DNS_CHECK: the exact query, NOERROR up, NXDOMAIN down, another ID ignored, silence times out', async () => {
  assert.equal(dnsQuery(0x1234, 'A', 'example.com').toString('hex'), '123401000001000000000000076578616d706c6503636f6d0000010001');
  assert.equal(dnsQuery(1, 'SOA', '.').toString('hex'), '000101000001000000000000' + '00' + '00060001');
  let rcode = 0;
  let mode: 'answer' | 'wrong-id' | 'silent' = 'answer';
  const queries: Buffer[] = [];
  const server = createSocket('udp6');
  server.on('message', (q, r) => {
    queries.push(q);
    if (mode === 'silent') return;
    const reply = Buffer.from(q);
    if (mode === 'wrong-id') reply.writeUInt16BE((q.readUInt16BE(0) + 1) & 0xffff, 0);
    reply.writeUInt16BE(0x8180 | rcode, 2);
    server.send(reply, r.port, r.address);
  });
  await new Promise<void>((r) => server.bind(0, '::1', r));
  const port = server.address().port;
  try {
    const probe = dnsProbe('AAAA', 'rs.example');
    assert.deepEqual(await probe(target('::1', port), never), { ok: true, reason: 'rcode 0' });
    assert.equal(queries[0]!.subarray(2).toString('hex'), '0100' + '0001' + '000000000000' + '02' + '7273' + '07' + '6578616d706c65' + '00' + '001c' + '0001');
    rcode = 3;
    assert.deepEqual(await probe(target('::1', port), never), { ok: false, reason: 'rcode 3' });
    mode = 'wrong-id';
    assert.deepEqual(await probe(target('::1', port, 200), never), { ok: false, reason: 'timeout' });
    mode = 'silent';
    assert.deepEqual(await probe(target('::1', port, 200), never), { ok: false, reason: 'timeout' });
  } finally {
    server.close();
  }
});

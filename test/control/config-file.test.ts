// tsvs.conf: the documented example parses to what it says, and mistakes are reported with
// their line and what would have been accepted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDaemonConfig } from '../../src/control/config-file.js';

test('docs/examples/tsvs.conf parses to what its comments say', () => {
  const c = parseDaemonConfig(readFileSync('docs/examples/tsvs.conf', 'utf8'), '/etc/tsvs/tsvs.conf');
  assert.equal(c.workers, 2);
  assert.equal(c.driver, 'memory');
  assert.equal(c.socket, '/run/tsvs/tsvs.sock');
  assert.equal(c.connCapacity, 262144);
  assert.equal(c.startupScript, '/etc/tsvs/tsvs.startup');
  assert.deepEqual(c.api, { host: '127.0.0.1', port: 9780, tokenFile: '/etc/tsvs/api.token' });
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.ring, { ringVersion: 2, frames: 1024, frameSize: 2048, blockSize: 65536, retireMs: 1 });
  assert.deepEqual(c.ports.map((p) => [p.name, p.iface, p.mac && [...p.mac], p.mtu]), [
    ['dpdk0', 'eth1', [2, 0, 0, 0, 0, 1], 1500],
    ['dpdk1', 'eth2', undefined, undefined],
  ]);
});

test('an empty file means the defaults: workers = cores, memory driver, /run/tsvs/tsvs.sock, the API on 127.0.0.1:9780', () => {
  const c = parseDaemonConfig('');
  assert.ok(c.workers >= 1);
  assert.equal(c.socket, '/run/tsvs/tsvs.sock');
  assert.deepEqual(c.ports, []);
  assert.equal(c.startupScript, undefined);
  assert.deepEqual(c.api, { host: '127.0.0.1', port: 9780 });
  assert.equal(c.logLevel, undefined);
});

test('api_listen: a bare port binds 127.0.0.1; IPv4 and bracketed IPv6 addresses', () => {
  const api = (v: string) => parseDaemonConfig(`global_defs {\n  api_listen ${v}\n}`).api;
  assert.deepEqual(api('9780'), { host: '127.0.0.1', port: 9780 });
  assert.deepEqual(api('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(api('[::1]:9780'), { host: '::1', port: 9780 });
  assert.equal(api('off'), undefined);
});

const ERRORS: [string, RegExp][] = [
  ['global_defs {\n  threads 4\n}', /^line 2: unknown global_defs setting 'threads' \(known: workers, driver,/],
  ['global_defs {\n  workers 0\n}', /^line 2: workers takes one number from 1 to 256/],
  ['netif_defs {\n  device dpdk0 {\n    interface eth1\n', /^line 2: block not closed/],
  ['netif_defs {\n  device dpdk0 {\n    lladdr 02:00\n  }\n}', /^line 3: bad MAC address '02:00'/],
  ['netif_defs {\n  device dpdk0 {\n  }\n}', /^line 2: device dpdk0 needs 'interface IFNAME'/],
  ['netif_defs {\n  ring { frames 1000 }\n}', /^line 2: frames must be a power of two/],
  ['netif_defs {\n device a { interface x }\n device a { interface y }\n}', /^line 3: device a declared twice/],
  ['}', /^line 1: '}' without a matching '{'/],
  ['workers 2', /^line 1: unknown top-level setting 'workers'/],
  ['global_defs {\n  api_listen localhost:80\n}', /^line 2: api_listen takes \[ADDR:\]PORT with an IP address \(e\.g\. 127\.0\.0\.1:9780, \[::1\]:9780 or 9780\), or off, got 'localhost:80'$/],
  ['global_defs {\n  api_listen 70000\n}', /^line 2: api_listen takes \[ADDR:\]PORT/],
  ['global_defs {\n  api_listen off\n  api_token_file t\n}', /^line 3: api_token_file is set but api_listen is off: give api_listen \[ADDR:\]PORT in global_defs to serve the API$/],
  ['global_defs {\n  log_level verbose\n}', /^line 2: log_level must be one of debug, info, warn, error$/],
  ['global_defs {\n  service_addr_arp no\n}', /^line 2: service_addr_arp must be on or off$/],
  ['global_defs {\n  fnat_seq_secret 5a5a12345\n}', /^line 2: fnat_seq_secret must be 1 to 8 hex digits, not '5a5a12345'$/],
  ['global_defs {\n  fnat_seq_secret secret\n}', /^line 2: fnat_seq_secret must be 1 to 8 hex digits, not 'secret'$/],
];

test('fnat_seq_secret: unset by default (random per start), 1 to 8 hex digits with or without 0x', () => {
  assert.equal(parseDaemonConfig('').fnatSeqSecret, undefined);
  assert.equal(parseDaemonConfig('global_defs {\n  fnat_seq_secret 5a5a1234\n}').fnatSeqSecret, 0x5a5a1234);
  assert.equal(parseDaemonConfig('global_defs {\n  fnat_seq_secret 0xfedcba98\n}').fnatSeqSecret, 0xfedcba98 | 0);
});

test('service_addr_arp: unset by default (on), on and off', () => {
  assert.equal(parseDaemonConfig('').serviceAddrArp, undefined);
  assert.equal(parseDaemonConfig('global_defs {\n  service_addr_arp off\n}').serviceAddrArp, false);
  assert.equal(parseDaemonConfig('global_defs {\n  service_addr_arp on\n}').serviceAddrArp, true);
});

for (const [text, re] of ERRORS) {
  test(`rejects ${JSON.stringify(text.split('\n').slice(0, 2).join(' / '))}`, () => {
    assert.throws(() => parseDaemonConfig(text), (e: Error) => re.test(e.message));
  });
}

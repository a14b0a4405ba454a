// tsvs set KEY VALUE: every documented key parses, values are checked against each key's range,
// and unknown keys or sub-commands get a message listing what is accepted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsvs, TSVS_SET_KEYS } from '../../src/cli/parse/tsvs.js';
import { rejects, words } from './helpers.js';
import { applyCommand } from '../../src/control/apply.js';
import { Engine } from '../../src/worker/engine.js';

const p = (line: string) => parseTsvs(words(line));
const bad = (line: string, re: RegExp) => rejects(parseTsvs, line, re);

const TCP = ['none', 'established', 'syn_sent', 'syn_recv', 'fin_wait', 'time_wait', 'close', 'close_wait',
  'last_ack', 'listen', 'synack', 'last'];

test('every TCP and UDP state timeout key, in seconds 1..31535999', () => {
  for (const s of TCP) {
    assert.deepEqual(p(`set ipvs_defs.tcp.timeout.${s} 90`), { kind: 'tsvs-set', key: `ipvs_defs.tcp.timeout.${s}`, value: 90 });
  }
  for (const s of ['oneway', 'normal', 'last']) {
    assert.deepEqual(p(`set ipvs_defs.udp.timeout.${s} 31535999`), { kind: 'tsvs-set', key: `ipvs_defs.udp.timeout.${s}`, value: 31535999 });
  }
  bad('set ipvs_defs.tcp.timeout.established 0', /out of range 1..31535999/);
  bad('set ipvs_defs.udp.timeout.normal 31536000', /out of range 1..31535999/);
});

test('connection and sysctl-style keys with their ranges', () => {
  assert.deepEqual(p('set ipvs_defs.conn.conn_init_timeout 3'), { kind: 'tsvs-set', key: 'ipvs_defs.conn.conn_init_timeout', value: 3 });
  assert.deepEqual(p('set ipvs_defs.conn.expire_quiescent_template 1'), { kind: 'tsvs-set', key: 'ipvs_defs.conn.expire_quiescent_template', value: 1 });
  assert.deepEqual(p('set net.ipv4.vs.expire_nodest_conn 0'), { kind: 'tsvs-set', key: 'net.ipv4.vs.expire_nodest_conn', value: 0 });
  assert.deepEqual(p('set net.ipv4.vs.conn_reuse_mode 3'), { kind: 'tsvs-set', key: 'net.ipv4.vs.conn_reuse_mode', value: 3 });
  bad('set ipvs_defs.conn.expire_quiescent_template 2', /out of range 0..1/);
  bad('set net.ipv4.vs.expire_nodest_conn 2', /out of range 0..1/);
  bad('set net.ipv4.vs.conn_reuse_mode 4', /out of range 0..3/);
});

test('stack keys (DPVS ipv4_defs, neigh_defs) with their ranges', () => {
  assert.deepEqual(p('set ipv4_defs.forwarding 1'), { kind: 'tsvs-set', key: 'ipv4_defs.forwarding', value: 1 });
  assert.deepEqual(p('set ipv4_defs.default_ttl 255'), { kind: 'tsvs-set', key: 'ipv4_defs.default_ttl', value: 255 });
  assert.deepEqual(p('set neigh_defs.timeout 60'), { kind: 'tsvs-set', key: 'neigh_defs.timeout', value: 60 });
  assert.deepEqual(p('set neigh_defs.unres_queue_length 128'), { kind: 'tsvs-set', key: 'neigh_defs.unres_queue_length', value: 128 });
  bad('set ipv4_defs.forwarding 2', /out of range 0..1/);
  bad('set ipv4_defs.default_ttl 0', /out of range 1..255/);
  bad('set neigh_defs.unres_queue_length 0', /out of range 1..1024/);
});

test('every key the parser accepts is one the engine applies', () => {
  const engine = new Engine({ transmit() {}, toKernel() {} }, { now: () => 0 }, { connCapacity: 16 });
  for (const k of TSVS_SET_KEYS) applyCommand(engine, p(`set ${k.key} ${k.min}`));
});

test('the key list is exactly the documented one', () => {
  assert.equal(TSVS_SET_KEYS.length, 12 + 3 + 4 + 4);
  for (const k of TSVS_SET_KEYS) assert.ok(k.doc.length > 10, k.key);
});

test('bad input', () => {
  bad('', /not a configuration command/);
  bad('lab', /'tsvs lab' is not a configuration command/);
  bad('set', /usage: tsvs set KEY VALUE/);
  bad('set ipvs_defs.tcp.timeout.established', /usage/);
  bad('set ipvs_defs.tcp.timeout.established 90 s', /unexpected argument 's'/);
  bad('set ipvs_defs.tcp.timeout.closing 9', /unknown key 'ipvs_defs.tcp.timeout.closing'/);
  bad('set ipvs_defs.tcp.timeout.established 1.5', /invalid ipvs_defs.tcp.timeout.established '1.5'/);
  bad('set ipvs_defs.tcp.timeout.established -5', /invalid/);
});

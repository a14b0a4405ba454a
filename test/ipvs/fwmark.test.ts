// Fwmark services in the engine: configured beside an address service, they never match a frame
// (tsvs frames carry no firewall mark), so traffic goes exactly where it went without them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ST_FIELDS } from '../../src/ipvs/stats.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/packet/proto.js';
import { parseIp } from '../../src/packet/inet.js';
import type { Engine } from '../../src/worker/engine.js';
import { type Step, runConversation } from '../support/fixture.js';
import { V4, config, fromClient } from './fnat/frames.js';

/** Fwmark services with real servers and a LIP, as an operator would configure them next to S1. */
const FWM = `tsvsadm -A -f 1 -s rr
tsvsadm -a -f 1 -r 192.168.100.2 -b
tsvsadm -a -f 1 -r 192.168.100.3:80 -b
tsvsadm -P -f 1 -z 192.168.100.201 -F dpdk0
tsvsadm -A -f 2 -6 -s wrr -p
tsvsadm -a -f 2 -6 -r [fd00::2] -g
tsvsadm -A -f 3 -s rr
`;

/** Connections and packets counted on every fwmark service and its dests: all must stay 0. */
function fwmarkCounts(e: Engine): number[] {
  const out: number[] = [];
  for (const s of e.ipvs.services) {
    if (!s || s.fwmark === 0) continue;
    out.push(...e.ipvs.stats.svc.subarray(s.id * ST_FIELDS, (s.id + 1) * ST_FIELDS));
    for (const d of s.dests) out.push(d.activeConns, d.inactConns);
  }
  return out;
}

const noFwmarkTraffic = (e: Engine): void => assert.ok(fwmarkCounts(e).every((v) => v === 0), `fwmark counters: ${fwmarkCounts(e).join(',')}`);

test('a frame to an address and port never matches a fwmark service; no-service drops as before', () => {
  const synTo = (dport: number, sport: number): Step['in'] => ({ port: 'dpdk1', frame: fromClient(V4).tcp({ sport, dport, flags: 'S', seq: 1000 }) });
  const c = runConversation(config(V4, { proto: 'tcp' }) + FWM, [
    { desc: 'SYN to VIP:81 (only fwmark services could take it): dropped, no service', in: synTo(81, 40000), out: [], drop: 'no_service', check: noFwmarkTraffic },
    { desc: 'UDP to VIP:53: dropped, no service', in: { port: 'dpdk1', frame: fromClient(V4).udp({ sport: 40001, dport: 53 }).payload('q') }, out: [], drop: 'no_service', check: noFwmarkTraffic },
    {
      desc: 'SYN to VIP:80: the address service (FullNAT, rr) takes it, to 192.168.100.2 from its own LIP',
      in: synTo(80, 40003),
      out: [{ port: 'dpdk0', expect: { ipv4: { src: V4.lips[0], dst: V4.rips[0] }, tcp: { dport: 80, flags: 'S' } } }],
      check: noFwmarkTraffic,
    },
    {
      desc: 'deleting the fwmark services changes nothing for the VIP: still its service, 81 still no service',
      config: 'tsvsadm -D -f 1\ntsvsadm -D -f 2 -6\ntsvsadm -D -f 3\n',
      in: synTo(81, 40004), out: [], drop: 'no_service',
      check: (e) => assert.equal(e.ipvs.services.filter((s) => s !== null).length, 1),
    },
    {
      desc: 'the next SYN to VIP:80 goes on with rr, to 192.168.100.3',
      in: synTo(80, 40005),
      out: [{ port: 'dpdk0', expect: { ipv4: { src: V4.lips[0], dst: V4.rips[1] }, tcp: { dport: 80, flags: 'S' } } }],
    },
  ]);
  assert.equal(c.engine.ipvs.conns.count, 2);
});

test('a fwmark service holds no VIP and is not in the packet lookup (not even its 0.0.0.0:0 / [::]:0 placeholder)', () => {
  const c = runConversation(config(V4, { proto: 'tcp' }) + FWM + 'tsvsadm -A -f 4 -p\n', []);
  const { ipvs, stack } = c.engine;
  for (const proto of [IPPROTO_TCP, IPPROTO_UDP]) {
    assert.equal(ipvs.lookupService(4, proto, 0, 0, 0, 0, 0), null);
    assert.equal(ipvs.lookupService(6, proto, 0, 0, 0, 0, 0), null);
    assert.equal(ipvs.lookupService(4, proto, 0, 0, 0, 0, 80), null);
  }
  assert.equal(stack.isVip(4, 0, 0, 0, 0), false);
  assert.equal(stack.isVip(6, 0, 0, 0, 0), false);
  const vip = parseIp(V4.vip)!;
  assert.equal(stack.isVip(4, vip.w0, 0, 0, 0), true);
  // Same mark, other family: another service, as in the kernel's (af, mark) key.
  assert.deepEqual(ipvs.services.filter((s) => s !== null && s.fwmark > 0).map((s) => [s!.fwmark, s!.addr.af, s!.dests.length]),
    [[1, 4, 2], [2, 6, 1], [3, 4, 0], [4, 4, 0]]);
  assert.throws(() => ipvs.addService({ fwmark: 2, af: 6 }, { scheduler: 'rr', ops: false, schedFlags: [], expireQuiescent: false }), /Service already exists: FWM 2 IPv6/);
  assert.throws(() => ipvs.service({ fwmark: 2, af: 4 }), /No such service: FWM 2/);
  // Real servers without a port keep port 0: the kernel then uses the client's destination port.
  const f1 = ipvs.service({ fwmark: 1, af: 4 });
  assert.deepEqual(f1.dests.map((d) => d.port), [0, 80]);
});

// FullNAT UDP for IPv4, IPv6 and NAT64: request and reply translated both ways, ONEWAY then
// NORM, expiry, and what happens to zero checksums (kept over IPv4, computed for IPv6).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, FULL_POOL, type Family, type Check, type FnatStep, NAT64, V4, config, connOf, fromClient, fromRs, laddrOf, runFnat, toClient, toRs, where } from './frames.js';

const CPORT = 5353;
const LPORT = 1025;
const QUERY = 'query';
const ANSWER = 'answer!';

const udpState = (f: Family, state: string | null): Check =>
  (e) => assert.deepEqual(connOf(e, f, 'udp', CPORT), state === null ? null : { state, timeout: 300 });

/** A UDP datagram expectation; `checksum` only when it is asserted. */
function dgram(sport: number, dport: number, payload: string, checksum?: unknown) {
  const udp = { sport, dport, length: 8 + payload.length, payload, ...(checksum === undefined ? {} : { checksum }) };
  return { l4: { udp }, len: 8 + payload.length };
}

function request(f: Family, checksum?: number, expectSum?: unknown): FnatStep {
  return {
    desc: `request -> RS .2 from LIP:${LPORT} to RIP:53`,
    in: { port: 'dpdk1', frame: fromClient(f).udp({ sport: CPORT, dport: 53, checksum }).payload(QUERY) },
    out: [toRs(f, 0, dgram(LPORT, 53, QUERY, expectSum))],
  };
}

function reply(f: Family, checksum?: number, expectSum?: unknown): FnatStep {
  return {
    desc: 'reply -> client from VIP:53',
    in: { port: 'dpdk0', frame: fromRs(f).udp({ sport: 53, dport: LPORT, checksum }).payload(ANSWER) },
    out: [toClient(f, 0, dgram(53, CPORT, ANSWER, expectSum))],
  };
}

const nonZero = where((c: number) => c !== 0);

for (const f of FAMILIES) {
  describe(`FullNAT UDP, ${f.name}`, () => {
    test('request and reply: LIP:lport towards the RS, VIP back to the client; ONEWAY, then NORM; expiry after 300 s', () => {
      runFnat(config(f, { proto: 'udp' }), [
        { ...request(f, undefined, nonZero), check: udpState(f, 'UDP_ONEWAY') },
        { ...reply(f, undefined, nonZero), check: udpState(f, 'UDP_NORM') },
        { ...request(f, undefined, nonZero), desc: 'a second request follows the connection (same RS, same lport)', check: udpState(f, 'UDP_NORM') },
        { desc: 'still there at 299.9 s', wait: 299_900, out: [], check: udpState(f, 'UDP_NORM') },
        {
          desc: 'gone at 300 s, the port back in the pool', wait: 100, out: [],
          check: (e, ctx) => {
            udpState(f, null)(e, ctx);
            assert.equal(laddrOf(e, f.lips[0]).free(), FULL_POOL);
          },
        },
      ]);
    });
  });
}

test('IPv4: a zero UDP checksum ("none") stays zero both ways', () => {
  runFnat(config(V4, { proto: 'udp' }), [request(V4, 0, 0), reply(V4, 0, 0)]);
});

test('NAT64: a zero UDP checksum from the IPv4 RS gets a real one for the IPv6 client (RFC 8200 8.1)', () => {
  runFnat(config(NAT64, { proto: 'udp' }), [request(NAT64, undefined, nonZero), reply(NAT64, 0, nonZero)]);
});

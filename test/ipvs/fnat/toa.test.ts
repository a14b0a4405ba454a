// FullNAT TOA (kind 254) on client segments that ack the RS's ISN+1, for IPv4, IPv6 and NAT64:
// in front of the client's options, no room in the header or the MTU, a client TOA already there.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpOption } from '../../support/builder.js';
import { CPORT, LPORT, REQ_A, RISN, R_DATA, SEQ_A, handshake, nops, seg, shifted, toa } from './conversation.js';
import { FAMILIES, type Family, type Check, type FnatStep, config, fromClient, runFnat, toRs } from './frames.js';

/** The client's segment acking RISN+1 with these options and payload. */
function clientSegment(f: Family, options: TcpOption[], payload = REQ_A, flags = 'PA'): FnatStep['in'] {
  return { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags, seq: SEQ_A, ack: RISN + 1, win: 502, options }).payload(payload) };
}

/** Its translation: `optBytes` bytes of options (padding included) that read as `options`. */
function forwarded(f: Family, optBytes: number, options: unknown[], payload = REQ_A, flags = 'PA') {
  return toRs(f, 0, seg(20 + optBytes + payload.length, {
    sport: LPORT, dport: 80, flags, seq: shifted(SEQ_A), ack: RISN + 1, win: 502, doff: (20 + optBytes) / 4, options, payload,
  }));
}

const toaNoRoom = (n: number): Check => (e) => assert.equal(e.stack.counters.toaNoRoom, n, 'toaNoRoom');

/** The client SACKs RS data it got past a loss: edges in the RS's own sequence space. */
const sack = (blocks: number): TcpOption => ({
  kind: 'sack', blocks: Array.from({ length: blocks }, (_, k): [number, number] => [R_DATA + 100 * (2 * k + 1), R_DATA + 100 * (2 * k + 2)]),
});

for (const f of FAMILIES) {
  const n = f.toaLen;
  // The address a FullNAT in front of the client wrote: same family as our client, other host.
  const upstream = { kind: 'toa' as const, port: 5555, addr: f.cv === 4 ? '198.51.100.7' : '2001:db8:ffff::7' };

  describe(`FullNAT TOA, ${f.name}`, () => {
    test('the TOA goes right after the base header, in front of the client\'s options (SACK left as is)', () => {
      runFnat(config(f), [...handshake(f), {
        desc: `client data with NOP NOP SACK -> RS: TOA, NOP, NOP, SACK; IP length + ${n}`,
        in: clientSegment(f, [...nops(2), sack(1)]),
        out: [forwarded(f, n + 12, [toa(f), ...nops(2), sack(1)])],
        check: toaNoRoom(0),
      }]);
    });

    test('a first segment that also carries FIN gets the TOA too (DPVS #666)', () => {
      runFnat(config(f), [...handshake(f), {
        desc: 'client data+FIN acking RISN+1 -> RS with TOA, FIN kept',
        in: clientSegment(f, [], REQ_A, 'FPA'),
        out: [forwarded(f, n, [toa(f)], REQ_A, 'FPA')],
      }]);
    });

    test('no room: four SACK blocks fill the header; NOPs are squeezed out, no TOA, toaNoRoom counts it', () => {
      runFnat(config(f), [...handshake(f), {
        desc: 'client data with NOP NOP SACK(4) (36 option bytes) -> RS with SACK(4) and EOL padding only',
        in: clientSegment(f, [...nops(2), sack(4)]),
        out: [forwarded(f, 36, [sack(4)])],
        check: toaNoRoom(1),
      }]);
    });

    test('a client behind another FullNAT: with room, our TOA goes first and the upstream one stays', () => {
      runFnat(config(f), [...handshake(f), {
        desc: 'client data carrying an upstream TOA -> RS: our TOA, then theirs',
        in: clientSegment(f, [upstream]),
        out: [forwarded(f, 2 * n, [toa(f), upstream])],
        check: toaNoRoom(0),
      }]);
    });

    test('a client behind another FullNAT, no room: the upstream TOA and NOPs are squeezed out, ours goes in', () => {
      // Blocks chosen so the options overflow with our TOA but fit once the upstream one is gone.
      const blocks = n === 8 ? 3 : 1;
      const sackBytes = 2 + 8 * blocks;
      runFnat(config(f), [...handshake(f), {
        desc: `client data with upstream TOA, NOP, NOP, SACK(${blocks}) -> RS: our TOA, SACK(${blocks}), EOL padding; payload intact`,
        in: clientSegment(f, [upstream, ...nops(2), sack(blocks)]),
        out: [forwarded(f, n + Math.ceil(sackBytes / 4) * 4, [toa(f), sack(blocks)])],
        check: toaNoRoom(0),
      }]);
    });

    // An MSS-sized first segment fills the 1500-byte MTU; with the TOA it would not fit (the RS's
    // lowered MSS keeps clients from sending it). NAT64 saves 20 bytes of IP header: it fits.
    const fits = f.name === 'NAT64';
    test(`a segment filling the MTU: ${fits ? 'the TOA still fits after NAT64 shrinks the IP header' : 'forwarded without TOA, toaNoRoom counts it'}`, () => {
      const full = 'x'.repeat(f.cv === 4 ? 1460 : 1440);
      runFnat(config(f), [...handshake(f), {
        desc: `client data of ${full.length} bytes -> RS ${fits ? 'with' : 'without'} TOA`,
        in: clientSegment(f, [], full),
        out: [forwarded(f, fits ? n : 0, fits ? [toa(f)] : [], full)],
        check: toaNoRoom(fits ? 0 : 1),
      }]);
    });
  });
}

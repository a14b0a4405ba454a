// FullNAT counters for IPv4, IPv6 and NAT64 over the shared conversation: the dest's active and
// inactive connections step by step, then conns/packets/bytes per dest and per service.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REQ_A, REQ_B, REQ_C, RESP, close, exchange, handshake } from './conversation.js';
import { FAMILIES, type FnatStep, config, destCounters, runFnat, serviceCounters } from './frames.js';

/** Client segments of the conversation, in L4 bytes: SYN with 20 option bytes, ACK, A, C, B, ACK, FIN, ACK. */
const CLIENT_L4 = [40, 20, 20 + REQ_A.length, 20 + REQ_C.length, 20 + REQ_B.length, 20, 20, 20];
/** RS segments: SYN-ACK with 12 option bytes, dup-ACK with NOP NOP SACK(1), the response, FIN-ACK. */
const RS_L4 = [32, 32, 20 + RESP.length, 20];
const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

/** RS .2's [activeConns, inactConns] after each step of handshake + exchange + close. */
const ACT_INACT: [number, number][] = [
  [0, 1], [0, 1], // SYN, SYN-ACK: SYN_RECV is inactive
  [1, 0], // handshake ACK: ESTABLISHED
  [1, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0], // data both ways
  [0, 1], [0, 1], [0, 1], // FIN (CLOSE_WAIT), FIN-ACK (TIME_WAIT), last ACK
];

for (const f of FAMILIES) {
  describe(`FullNAT counters, ${f.name}`, () => {
    test('active/inactive through the conversation, then conns, packets and bytes per dest and per service', () => {
      const steps = [...handshake(f), ...exchange(f), ...close(f)];
      assert.equal(steps.length, ACT_INACT.length);
      const counted: FnatStep[] = steps.map((s, k) => ({
        ...s,
        check: (e, ctx) => {
          s.check?.(e, ctx);
          const d = destCounters(e, f, 0);
          assert.deepEqual([d.activeConns, d.inactConns], ACT_INACT[k], `${s.desc}: RS .2 active/inactive`);
        },
      }));
      const { engine } = runFnat(config(f), [...counted, { desc: 'TIME_WAIT expires', wait: 7_000, out: [] }]);
      // Bytes are the IP datagrams as received: before TOA, before NAT64 swaps the IP header.
      const cHdr = f.cv === 4 ? 20 : 40;
      const rHdr = f.rv === 4 ? 20 : 40;
      const traffic = {
        conns: 1,
        inpkts: CLIENT_L4.length, inbytes: sum(CLIENT_L4) + cHdr * CLIENT_L4.length,
        outpkts: RS_L4.length, outbytes: sum(RS_L4) + rHdr * RS_L4.length,
      };
      assert.deepEqual(destCounters(engine, f, 0), { activeConns: 0, inactConns: 0, ...traffic });
      assert.deepEqual(destCounters(engine, f, 1), { activeConns: 0, inactConns: 0, conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });
      assert.deepEqual(serviceCounters(engine), traffic);
    });
  });
}

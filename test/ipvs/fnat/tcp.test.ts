// FullNAT TCP for IPv4 (scenario S1), IPv6 and NAT64, packet by packet: a whole conversation,
// aborts by RST from either side, expiry giving the local port back, and TIME_WAIT reuse.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { u32 } from '../../support/fixture.js';
import {
  CISN, CPORT, LPORT, RISN, R_DATA, R_END, close, exchange, handshake, seg, shifted, tcpState,
} from './conversation.js';
import { FAMILIES, FULL_POOL, type Family, type FnatStep, config, fromClient, fromRs, laddrOf, runFnat, toClient, toRs, where } from './frames.js';

/** Waits `ms` and checks the connection is gone and every port is back in the pool. */
function expired(f: Family, ms: number): FnatStep {
  return {
    desc: `after ${ms} ms the connection is gone and LIP:${LPORT} is back in the pool`,
    wait: ms,
    out: [],
    check: (e) => {
      tcpState(f, null)(e, {});
      assert.equal(e.conns.count, 0);
      assert.equal(laddrOf(e, f.lips[0]).free(), FULL_POOL);
    },
  };
}

const lateRsSegment = (f: Family): FnatStep => ({
  desc: `a late RS segment to LIP:${LPORT} matches nothing and is dropped (not given to the kernel)`,
  in: { port: 'dpdk0', frame: fromRs(f).tcp({ sport: 80, dport: LPORT, flags: 'A', seq: R_DATA, ack: 1 }) },
  out: [],
  drop: 'no_service',
});

for (const f of FAMILIES) {
  describe(`FullNAT TCP, ${f.name}`, () => {
    test('a whole conversation: handshake, request with a SACKed loss, response, FIN close, expiry', () => {
      runFnat(config(f), [
        ...handshake(f),
        ...exchange(f),
        ...close(f),
        { desc: 'TIME_WAIT still holds the connection at 6.9 s', wait: 6_900, out: [], check: tcpState(f, 'TIME_WAIT', 7) },
        expired(f, 100),
        lateRsSegment(f),
      ]);
    });

    test('the client aborts with RST+ACK: forwarded without TOA although it acks RISN+1; TCP_CLOSE for 3 s', () => {
      runFnat(config(f), [
        ...handshake(f),
        {
          desc: 'client RST+ACK -> RS, seq shifted, no TOA on a RST',
          in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'RA', seq: CISN + 1, ack: RISN + 1, win: 0 }) },
          out: [toRs(f, 0, seg(20, { sport: LPORT, dport: 80, flags: 'RA', seq: shifted(CISN + 1), ack: RISN + 1, win: 0 }))],
          check: tcpState(f, 'TCP_CLOSE', 3),
        },
        expired(f, 3_000),
        lateRsSegment(f),
      ]);
    });

    test('the RS refuses the SYN with RST+ACK: the client gets it from VIP:80 with the ack shifted back', () => {
      runFnat(config(f), [
        handshake(f)[0]!,
        {
          desc: 'RS RST+ACK to the SYN -> client, ack = CISN+1',
          in: { port: 'dpdk0', frame: (ctx) => fromRs(f).tcp({ sport: 80, dport: LPORT, flags: 'RA', seq: 0, ack: shifted(CISN + 1)(ctx), win: 0 }) },
          out: [toClient(f, 0, seg(20, { sport: 80, dport: CPORT, flags: 'RA', seq: 0, ack: CISN + 1, win: 0 }))],
          check: tcpState(f, 'TCP_CLOSE', 3),
        },
        expired(f, 3_000),
      ]);
    });

    test('the RS aborts an established connection with a bare RST: its zero ack field is left alone', () => {
      runFnat(config(f), [
        ...handshake(f),
        {
          desc: 'RS RST -> client from VIP:80',
          in: { port: 'dpdk0', frame: fromRs(f).tcp({ sport: 80, dport: LPORT, flags: 'R', seq: R_DATA, ack: 0, win: 0 }) },
          out: [toClient(f, 0, seg(20, { sport: 80, dport: CPORT, flags: 'R', seq: R_DATA, ack: 0, win: 0 }))],
          check: tcpState(f, 'TCP_CLOSE', 3),
        },
        expired(f, 3_000),
      ]);
    });

    test('TIME_WAIT reuse: a new SYN from the same client port is rescheduled (rr: RS .3), not sent on the old connection', () => {
      const ISN2 = 777;
      // RS .3 takes 1025 from its own ring, or 1026 when it shares RS .2's ring (1025 rests at the back).
      const lport2 = f.rsShareBucket ? LPORT + 1 : LPORT;
      runFnat(config(f), [
        ...handshake(f),
        ...exchange(f),
        ...close(f),
        {
          desc: `new SYN from client port 40000 -> RS .3 from LIP:${lport2}`,
          in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'S', seq: ISN2, win: 64240 }) },
          out: [toRs(f, 1, seg(20, { sport: lport2, dport: 80, flags: 'S', ack: 0, win: 64240, seq: where((s: number) => s !== ISN2) }))],
          save: (o, ctx) => { ctx.delta = u32(o[0]!.tcp!.seq! - ISN2); },
          check: (e, ctx) => {
            tcpState(f, 'SYN_RECV', 30)(e, ctx);
            assert.equal(e.conns.count, 1, 'the TIME_WAIT connection was replaced');
            assert.equal(laddrOf(e, f.lips[0]).free(), FULL_POOL - 1, 'RS .2\'s port went back, RS .3\'s is taken');
          },
        },
        {
          desc: 'RS .2 retransmits its FIN-ACK to LIP:1025: no connection any more, dropped',
          in: { port: 'dpdk0', frame: fromRs(f, 0).tcp({ sport: 80, dport: LPORT, flags: 'FA', seq: R_END, ack: 1, win: 509 }) },
          out: [],
          drop: 'no_service',
        },
        {
          desc: 'RS .3 SYN-ACK -> client, ack translated with the new connection\'s delta',
          in: { port: 'dpdk0', frame: (ctx) => fromRs(f, 1).tcp({ sport: 80, dport: lport2, flags: 'SA', seq: RISN, ack: shifted(ISN2 + 1)(ctx), win: 65160 }) },
          out: [toClient(f, 0, seg(20, { sport: 80, dport: CPORT, flags: 'SA', seq: RISN, ack: ISN2 + 1, win: 65160 }))],
        },
      ]);
    });
  });
}

// FullNAT reply path for IPv4, IPv6 and NAT64: two clients on the same port, interleaved, each
// gets its own replies with full tuples restored; traffic to a LIP that matches nothing is dropped.

import { describe, test } from 'node:test';
import { u32 } from '../../support/fixture.js';
import { CPORT, RISN, seg, shifted, toa } from './conversation.js';
import { FAMILIES, type FnatStep, config, fromClient, fromRs, runFnat, toClient, toRs } from './frames.js';

/** Client c's ISN; the two clients differ so a mixed-up reply cannot pass. */
const ISN = [111_000, 222_000] as const;
const DELTA = ['dA', 'dB'] as const;

for (const f of FAMILIES) {
  // Client B's connection goes to RS .3: port 1025 of its own ring, or 1026 of the shared one.
  const LP = [1025, f.rsShareBucket ? 1026 : 1025] as const;

  const synStep = (c: 0 | 1): FnatStep => ({
    desc: `client ${'AB'[c]} ${f.clients[c]}:${CPORT} SYN -> RS .${2 + c} from ${f.lips[0]}:${LP[c]}`,
    in: { port: 'dpdk1', frame: fromClient(f, c).tcp({ sport: CPORT, dport: 80, flags: 'S', seq: ISN[c] }) },
    out: [toRs(f, c, seg(20, { sport: LP[c], dport: 80, flags: 'S', ack: 0 }))],
    save: (o, ctx) => { ctx[DELTA[c]] = u32(o[0]!.tcp!.seq! - ISN[c]); },
  });
  const synAckStep = (c: 0 | 1): FnatStep => ({
    desc: `RS .${2 + c} SYN-ACK to ${f.lips[0]}:${LP[c]} -> client ${'AB'[c]} only: VIP:80 -> ${f.clients[c]}:${CPORT}, its own ack`,
    in: { port: 'dpdk0', frame: (ctx) => fromRs(f, c).tcp({ sport: 80, dport: LP[c], flags: 'SA', seq: RISN + c, ack: shifted(ISN[c] + 1, DELTA[c])(ctx) }) },
    out: [toClient(f, c, seg(20, { sport: 80, dport: CPORT, flags: 'SA', seq: RISN + c, ack: ISN[c] + 1 }))],
  });
  const ackStep = (c: 0 | 1): FnatStep => ({
    desc: `client ${'AB'[c]} ACK -> RS .${2 + c}, TOA with client ${'AB'[c]}'s address`,
    in: { port: 'dpdk1', frame: fromClient(f, c).tcp({ sport: CPORT, dport: 80, flags: 'A', seq: ISN[c] + 1, ack: RISN + c + 1 }) },
    out: [toRs(f, c, seg(20 + f.toaLen, {
      sport: LP[c], dport: 80, flags: 'A', seq: shifted(ISN[c] + 1, DELTA[c]), ack: RISN + c + 1, doff: (20 + f.toaLen) / 4, options: [toa(f, c)],
    }))],
  });
  const strayToLip = (desc: string, r: 0 | 1, sport: number, dport: number): FnatStep => ({
    desc: `${desc}: dropped as no_service, nothing to the kernel`,
    in: { port: 'dpdk0', frame: fromRs(f, r).tcp({ sport, dport, flags: 'A', seq: 5, ack: 6 }) },
    out: [],
    drop: 'no_service',
  });

  describe(`FullNAT reply path, ${f.name}`, () => {
    test('two clients on the same port, interleaved: each reply restores its own client and the VIP exactly', () => {
      runFnat(config(f), [synStep(0), synStep(1), synAckStep(1), synAckStep(0), ackStep(1), ackStep(0)]);
    });

    test('RS traffic to a LIP that matches no connection is dropped (no_service)', () => {
      runFnat(config(f), [
        strayToLip(`RS .2:80 -> ${f.lips[0]}:1025 before any connection`, 0, 80, 1025),
        synStep(0),
        strayToLip(`RS .2:80 -> ${f.lips[0]}:1027 (a port no connection holds)`, 0, 80, 1027),
        strayToLip(`RS .2:8080 -> ${f.lips[0]}:1025 (the right LIP port, another RS port)`, 0, 8080, 1025),
        strayToLip(`RS .3:80 -> ${f.lips[0]}:1025 (the right ports, another RS)`, 1, 80, 1025),
        synAckStep(0),
      ]);
    });

    test('a client segment other than a bare SYN, for no connection, is dropped (not_syn)', () => {
      runFnat(config(f), [{
        desc: 'client ACK to VIP:80 with no connection -> dropped',
        in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'A', seq: 1, ack: 1 }) },
        out: [],
        drop: 'not_syn',
      }]);
    });
  });
}

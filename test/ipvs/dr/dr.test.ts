// Direct routing (-g), one-arm as in scenario S5: only the destination MAC changes, to the scheduled
// real server's; the L3 packet goes out byte-identical; states follow LVS's INPUT-ONLY table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, type PacketBuilder, type TcpOpts } from '../../support/builder.js';
import { type ExactStep, MAC, converse, destStats, l3, reframe, stateOf } from '../../support/exact.js';
import { type DrLab, S5, S5_V6 } from '../labs.js';

function fromClient(lab: DrLab, id: number): PacketBuilder {
  const b = eth({ src: MAC.client, dst: MAC.dpdk0 });
  return lab.v6 ? b.ipv6({ src: lab.cip, dst: lab.vip, hlim: 61, tc: 0x28, flowLabel: 0xbeef })
    : b.ipv4({ src: lab.cip, dst: lab.vip, ttl: 61, tos: 0x28, id, flags: 'DF' });
}

/** What DR sends: the client's L3 packet untouched behind a new Ethernet header. */
const toRs = (rsMac: string, input: PacketBuilder): PacketBuilder => reframe(MAC.dpdk0, rsMac, l3(input));

interface Seg {
  desc: string;
  tcp: Omit<TcpOpts, 'sport' | 'dport'>;
  data?: string;
  state: string;
}

function tcpSteps(lab: DrLab, cport: number, rsMac: string, segs: Seg[]): ExactStep[] {
  return segs.map((s, k): ExactStep => {
    const input = fromClient(lab, 500 + k).tcp({ sport: cport, dport: 80, ...s.tcp }).payload(s.data ?? '');
    return {
      desc: `${lab.name} ${s.desc}`,
      in: { port: 'dpdk0', frame: input },
      out: [{ port: 'dpdk0', frame: toRs(rsMac, input) }],
      check: (e) => assert.equal(stateOf(e, 'tcp', lab.cip, cport, lab.vip, 80), s.state, `${s.desc}: state`),
    };
  });
}

const REQ = 'GET /index.html HTTP/1.1\r\nHost: vip\r\n\r\n';

/**
 * Only the client's half is seen. INPUT-ONLY differs from NAT's INPUT table where the client
 * closes: its FIN moves ESTABLISHED to FIN_WAIT (not CLOSE_WAIT), as the RS's FIN is never seen.
 */
const CONVERSATION: Seg[] = [
  { desc: 'SYN', tcp: { flags: 'S', seq: 11000, options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 77, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }] }, state: 'SYN_RECV' },
  { desc: 'handshake ACK', tcp: { flags: 'A', seq: 11001, ack: 52001, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 78, ecr: 900 }] }, state: 'TCP_EST' },
  { desc: 'request', tcp: { flags: 'PA', seq: 11001, ack: 52001 }, data: REQ, state: 'TCP_EST' },
  { desc: 'ACK of the response', tcp: { flags: 'A', seq: 11001 + REQ.length, ack: 60001 }, state: 'TCP_EST' },
  { desc: 'FIN', tcp: { flags: 'FA', seq: 11001 + REQ.length, ack: 60001 }, state: 'FIN_WAIT' },
  { desc: 'last ACK', tcp: { flags: 'A', seq: 11002 + REQ.length, ack: 60002 }, state: 'FIN_WAIT' },
];

const RESET: Seg[] = [
  { desc: 'SYN (second client port)', tcp: { flags: 'S', seq: 21000 }, state: 'SYN_RECV' },
  { desc: 'ACK (second client port)', tcp: { flags: 'A', seq: 21001, ack: 33001 }, state: 'TCP_EST' },
  { desc: 'RST', tcp: { flags: 'R', seq: 21001, win: 0 }, state: 'TCP_CLOSE' },
];

for (const lab of [S5, S5_V6]) {
  test(`DR ${lab.name}: a TCP conversation goes to the scheduled RS with only the MAC changed`, () => {
    const steps = [...tcpSteps(lab, 41000, MAC.rs1, CONVERSATION), ...tcpSteps(lab, 41001, MAC.rs2, RESET)];
    const c = converse(lab.config, steps);
    const bytes = (from: number, to: number) => steps.slice(from, to).reduce((n, s) => n + l3(s.in!.frame as PacketBuilder).length, 0);
    assert.deepEqual(destStats(c.engine, 0), { conns: 1, inPkts: 6, outPkts: 0, inBytes: bytes(0, 6), outBytes: 0 });
    assert.deepEqual(destStats(c.engine, 1), { conns: 1, inPkts: 3, outPkts: 0, inBytes: bytes(6, 9), outBytes: 0 });
  });

  test(`DR ${lab.name}: UDP goes out unchanged but for the MAC; an RS reply is not IPVS's`, () => {
    const query = fromClient(lab, 600).udp({ sport: 5300, dport: 53 }).payload('who is vip?');
    const rsHdr = eth({ src: MAC.rs1, dst: MAC.dpdk0 });
    // A reply the RS wrongly sends through tsvs matches no connection (DR keeps no reply tuple).
    const reply = (lab.v6 ? rsHdr.ipv6({ src: lab.vip, dst: lab.cip }) : rsHdr.ipv4({ src: lab.vip, dst: lab.cip })).udp({ sport: 53, dport: 5300 }).payload('me');
    const c = converse(lab.config, [
      {
        desc: 'query',
        in: { port: 'dpdk0', frame: query },
        out: [{ port: 'dpdk0', frame: toRs(MAC.rs1, query) }],
        check: (e) => assert.equal(stateOf(e, 'udp', lab.cip, 5300, lab.vip, 53), 'UDP_ONEWAY'),
      },
      {
        desc: 'reply from the RS to the client (not through tsvs in DR): up to the kernel as it came',
        in: { port: 'dpdk0', frame: reply },
        out: [{ port: 'dpdk0', kernel: true, frame: reply }],
        check: (e) => assert.equal(stateOf(e, 'udp', lab.cip, 5300, lab.vip, 53), 'UDP_ONEWAY'),
      },
    ]);
    assert.equal(destStats(c.engine, 2).outPkts, 0);
  });
}

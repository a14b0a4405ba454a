// One FullNAT TCP conversation as data, for any family: handshake, a request with a lost segment
// (SACK), a response, and a FIN close. tcp.test.ts runs it; stats.test.ts counts it.

import assert from 'node:assert/strict';
import type { TcpOption } from '../../support/builder.js';
import { type Ctx, type Expect, u32 } from '../../support/fixture.js';
import { type Check, type Family, type FnatStep, type L4Expect, connOf, fromClient, fromRs, toClient, toRs, where } from './frames.js';

export const CPORT = 40000;
/** The client's ISN, 296 below 2^32: adding the connection's delta wraps (unless the delta is tiny). */
export const CISN = 4_294_967_000;
export const RISN = 3_000_000_000;
/** The first local port of a fresh pool. */
export const LPORT = 1025;

/** The request in three segments (B is lost once), and the response. */
export const REQ_A = 'GET / HTTP/1.1\r\n';
export const REQ_B = 'Host: tsvs\r\n';
export const REQ_C = '\r\n';
export const RESP = 'HTTP/1.1 204 No Content\r\n\r\n';
export const SEQ_A = CISN + 1;
export const SEQ_B = SEQ_A + REQ_A.length;
export const SEQ_C = SEQ_B + REQ_B.length;
export const SEQ_END = SEQ_C + REQ_C.length;
export const R_DATA = RISN + 1;
export const R_END = R_DATA + RESP.length;

/** A client sequence number as the RS sees it: shifted by the connection's delta (ctx[key]). */
export const shifted = (n: number, key = 'delta') => (ctx: Ctx): number => u32(n + Number(ctx[key]));

export const nops = (n: number): { kind: 'nop' }[] => Array.from({ length: n }, () => ({ kind: 'nop' as const }));

/** A TCP segment of `len` bytes (header, options and payload) with these fields. */
export function seg(len: number, tcp: Expect): L4Expect {
  return { l4: { tcp: { doff: 5, urg: 0, options: [], payload: '', ...tcp } }, len };
}

export const clientMss = (f: Family): number => (f.cv === 4 ? 1460 : 1440);
export const rsMss = (f: Family): number => (f.rv === 4 ? 1460 : 1440);

export const toa = (f: Family, c: 0 | 1 = 0) => ({ kind: 'toa', port: CPORT, addr: f.clients[c] });

/** Checks the state and timeout of client c's TCP connection from CPORT. */
export function tcpState(f: Family, state: string | null, timeout?: number, c: 0 | 1 = 0): Check {
  return (e) => assert.deepEqual(connOf(e, f, 'tcp', CPORT, c), state === null ? null : { state, timeout }, 'connection state and timeout');
}

const SYN_OPTIONS = (f: Family): TcpOption[] => [
  { kind: 'mss', value: clientMss(f) }, { kind: 'sackok' }, { kind: 'ts', val: 12345, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 7 },
];

/** SYN, SYN-ACK, ACK: the connection is ESTABLISHED and the delta saved in ctx.delta. */
export function handshake(f: Family): FnatStep[] {
  const toaLen = f.toaLen;
  return [
    {
      desc: 'client SYN -> RS .2 from LIP:1025, timestamps replaced by NOPs, seq shifted, no TOA',
      in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'S', seq: CISN, win: 64240, options: SYN_OPTIONS(f) }) },
      out: [toRs(f, 0, seg(40, {
        sport: LPORT, dport: 80, flags: 'S', ack: 0, win: 64240, doff: 10, seq: where((s: number) => s !== CISN),
        options: [{ kind: 'mss', value: clientMss(f) }, { kind: 'sackok' }, ...nops(11), { kind: 'wscale', value: 7 }],
      }))],
      save: (o, ctx) => { ctx.delta = u32(o[0]!.tcp!.seq! - CISN); },
      check: tcpState(f, 'SYN_RECV', 30),
    },
    {
      desc: `RS SYN-ACK -> client from VIP:80, ack shifted back to CISN+1, MSS lowered by ${toaLen}`,
      in: { port: 'dpdk0', frame: (ctx) => fromRs(f).tcp({
        sport: 80, dport: LPORT, flags: 'SA', seq: RISN, ack: shifted(CISN + 1)(ctx), win: 65160,
        options: [{ kind: 'mss', value: rsMss(f) }, { kind: 'sackok' }, { kind: 'nop' }, { kind: 'wscale', value: 7 }],
      }) },
      out: [toClient(f, 0, seg(32, {
        sport: 80, dport: CPORT, flags: 'SA', seq: RISN, ack: CISN + 1, win: 65160, doff: 8,
        options: [{ kind: 'mss', value: rsMss(f) - toaLen }, { kind: 'sackok' }, { kind: 'nop' }, { kind: 'wscale', value: 7 }],
      }))],
      check: tcpState(f, 'SYN_RECV', 30),
    },
    {
      desc: `handshake ACK -> RS with a ${toaLen}-byte TOA (client port and address) after the base header`,
      in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'A', seq: CISN + 1, ack: RISN + 1, win: 502 }) },
      out: [toRs(f, 0, seg(20 + toaLen, {
        sport: LPORT, dport: 80, flags: 'A', seq: shifted(CISN + 1), ack: RISN + 1, win: 502, doff: (20 + toaLen) / 4, options: [toa(f)],
      }))],
      check: tcpState(f, 'TCP_EST', 90),
    },
  ];
}

/**
 * After the handshake: request segments A and C (B lost) and B's retransmission carry the TOA
 * while they ack the RS's ISN+1; the RS SACKs C; the response; then no more TOA.
 */
export function exchange(f: Family): FnatStep[] {
  const toaLen = f.toaLen;
  const data = (seq: number, text: string) => ({
    desc: `client data at CISN+${seq - CISN}, still acking RISN+1 -> RS with TOA`,
    in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'PA', seq, ack: RISN + 1, win: 502 }).payload(text) },
    out: [toRs(f, 0, seg(20 + toaLen + text.length, {
      sport: LPORT, dport: 80, flags: 'PA', seq: shifted(seq), ack: RISN + 1, win: 502, doff: (20 + toaLen) / 4, options: [toa(f)], payload: text,
    }))],
  });
  return [
    data(SEQ_A, REQ_A),
    data(SEQ_C, REQ_C),
    {
      desc: 'RS dup-ACK with a SACK block for C -> client, ack and SACK edges shifted back',
      in: { port: 'dpdk0', frame: (ctx) => fromRs(f).tcp({
        sport: 80, dport: LPORT, flags: 'A', seq: R_DATA, ack: shifted(SEQ_B)(ctx), win: 509,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[shifted(SEQ_C)(ctx), shifted(SEQ_END)(ctx)]] }],
      }) },
      out: [toClient(f, 0, seg(32, {
        sport: 80, dport: CPORT, flags: 'A', seq: R_DATA, ack: SEQ_B, win: 509, doff: 8,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[SEQ_C, SEQ_END]] }],
      }))],
    },
    data(SEQ_B, REQ_B),
    {
      desc: 'RS response acking the whole request -> client, ack translated',
      in: { port: 'dpdk0', frame: (ctx) => fromRs(f).tcp({ sport: 80, dport: LPORT, flags: 'PA', seq: R_DATA, ack: shifted(SEQ_END)(ctx), win: 509 }).payload(RESP) },
      out: [toClient(f, 0, seg(20 + RESP.length, { sport: 80, dport: CPORT, flags: 'PA', seq: R_DATA, ack: SEQ_END, win: 509, payload: RESP }))],
    },
    {
      desc: 'client ACK of the response no longer acks RISN+1 -> RS without TOA',
      in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'A', seq: SEQ_END, ack: R_END, win: 502 }) },
      out: [toRs(f, 0, seg(20, { sport: LPORT, dport: 80, flags: 'A', seq: shifted(SEQ_END), ack: R_END, win: 502 }))],
      check: tcpState(f, 'TCP_EST', 90),
    },
  ];
}

/** Client FIN, RS FIN-ACK, client ACK: the connection is in TIME_WAIT (7 s). */
export function close(f: Family): FnatStep[] {
  return [
    {
      desc: 'client FIN -> RS, seq shifted, no TOA; CLOSE_WAIT (the LVS table, seen from the client)',
      in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'FA', seq: SEQ_END, ack: R_END, win: 502 }) },
      out: [toRs(f, 0, seg(20, { sport: LPORT, dport: 80, flags: 'FA', seq: shifted(SEQ_END), ack: R_END, win: 502 }))],
      check: tcpState(f, 'CLOSE_WAIT', 7),
    },
    {
      desc: 'RS FIN-ACK -> client, ack translated; TIME_WAIT',
      in: { port: 'dpdk0', frame: (ctx) => fromRs(f).tcp({ sport: 80, dport: LPORT, flags: 'FA', seq: R_END, ack: shifted(SEQ_END + 1)(ctx), win: 509 }) },
      out: [toClient(f, 0, seg(20, { sport: 80, dport: CPORT, flags: 'FA', seq: R_END, ack: SEQ_END + 1, win: 509 }))],
      check: tcpState(f, 'TIME_WAIT', 7),
    },
    {
      desc: 'client last ACK -> RS',
      in: { port: 'dpdk1', frame: fromClient(f).tcp({ sport: CPORT, dport: 80, flags: 'A', seq: SEQ_END + 1, ack: R_END + 1, win: 502 }) },
      out: [toRs(f, 0, seg(20, { sport: LPORT, dport: 80, flags: 'A', seq: shifted(SEQ_END + 1), ack: R_END + 1, win: 502 }))],
      check: tcpState(f, 'TIME_WAIT', 7),
    },
  ];
}

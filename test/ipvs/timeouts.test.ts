// Connection lifetimes on the engine's clock: DPVS's per-state timeouts and the knobs that change
// them, persistence templates, draining (weight 0, -d, quiescent expiry), thresholds, one-packet UDP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replay } from '../../src/cli/replay.js';
import { type CaptureFrame } from '../../src/drivers/pcap.js';
import type { Dest } from '../../src/ipvs/dest.js';
import { TCP_STATE_NAMES, UDP_STATE_NAMES } from '../../src/ipvs/proto.js';
import { parseIp4 } from '../../src/packet/inet.js';
import type { Engine } from '../../src/worker/engine.js';
import { eth, type PacketBuilder } from '../support/builder.js';
import { dissect } from '../support/dissect.js';
import { type Ctx, type OutFrame, type Step, runConversation, u32 } from '../support/fixture.js';

const VIP = '10.0.0.100';
const LIP = '192.168.100.200';
const MAC = { lan: '02:00:00:00:00:01', wan: '02:00:00:00:00:02', router: '02:00:00:00:00:fe' };
const rsMac = (rip: string): string => `02:00:00:00:01:0${rip.split('.')[3]}`;

/** Two ports, the clients behind a router MAC, three real servers; services come per test. */
const BASE = `tsip link add dpdk0 lladdr ${MAC.lan}
tsip link add dpdk1 lladdr ${MAC.wan}
tsip addr add ${VIP}/32 dev dpdk1
tsip route add 10.0.0.0/16 dev dpdk1
tsip route add 192.168.100.0/24 dev dpdk0
tsip neigh add 10.0.0.48 lladdr ${MAC.router} dev dpdk1
tsip neigh add 10.0.0.49 lladdr ${MAC.router} dev dpdk1
tsip neigh add 10.0.1.50 lladdr ${MAC.router} dev dpdk1
tsip neigh add 10.0.1.51 lladdr ${MAC.router} dev dpdk1
tsip neigh add 192.168.100.2 lladdr ${rsMac('192.168.100.2')} dev dpdk0
tsip neigh add 192.168.100.3 lladdr ${rsMac('192.168.100.3')} dev dpdk0
tsip neigh add 192.168.100.4 lladdr ${rsMac('192.168.100.4')} dev dpdk0
`;

/** A FullNAT service on VIP:port with real servers .2 and .3 (and .4 when asked), and the LIP. */
function fnatService(proto: 't' | 'u', port: number, opts = '', rs = ['192.168.100.2', '192.168.100.3']): string {
  return [`tsvsadm -A -${proto} ${VIP}:${port} -s rr${opts}`,
    ...rs.map((r) => `tsvsadm -a -${proto} ${VIP}:${port} -r ${r} -b`),
    `tsvsadm --add-laddr -z ${LIP} -${proto} ${VIP}:${port} -F dpdk0`, ''].join('\n');
}

const TCP80 = fnatService('t', 80);
const UDP53 = fnatService('u', 53);

// ------------------------------------------------------------------------------- flows and steps

/** One client connection as tsvs will map it: the RS it must reach and the local port it gets. */
interface Flow { proto: 'tcp' | 'udp'; cip: string; cport: number; rip: string; lport: number }

const tcp = (cip: string, cport: number, rip: string, lport: number): Flow => ({ proto: 'tcp', cip, cport, rip, lport });
const udp = (cip: string, cport: number, rip: string, lport: number): Flow => ({ proto: 'udp', cip, cport, rip, lport });
const vport = (f: Flow): number => (f.proto === 'tcp' ? 80 : 53);
/** Context key of the ISN tsvs chose towards the RS for this flow. */
const isnKey = (f: Flow): string => `isn ${f.cip}:${f.cport}`;
/** The client's sequence number `seq` as the RS sees it (the client's ISN is always 1000). */
const rsSeq = (f: Flow, seq: number) => (ctx: Ctx): number => u32((ctx[isnKey(f)] as number) + seq - 1000);

function fromClient(f: Flow, l4: { flags?: string; seq?: number; ack?: number; payload?: string }): PacketBuilder {
  const ip = eth({ src: MAC.router, dst: MAC.wan }).ipv4({ src: f.cip, dst: VIP });
  if (f.proto === 'udp') return ip.udp({ sport: f.cport, dport: 53 }).payload(l4.payload ?? 'query');
  const b = ip.tcp({ sport: f.cport, dport: 80, flags: l4.flags, seq: l4.seq, ack: l4.ack });
  return l4.payload === undefined ? b : b.payload(l4.payload);
}

function fromRs(f: Flow, l4: { flags?: string; seq?: number; ack?: number; payload?: string }): PacketBuilder {
  const ip = eth({ src: rsMac(f.rip), dst: MAC.lan }).ipv4({ src: f.rip, dst: LIP });
  if (f.proto === 'udp') return ip.udp({ sport: 53, dport: f.lport }).payload(l4.payload ?? 'answer');
  return ip.tcp({ sport: 80, dport: f.lport, flags: l4.flags, seq: l4.seq, ack: l4.ack });
}

function toRs(f: Flow, l4: Record<string, unknown>): OutFrame {
  return {
    port: 'dpdk0',
    expect: { eth: { src: MAC.lan, dst: rsMac(f.rip) }, ipv4: { src: LIP, dst: f.rip }, [f.proto]: { sport: f.lport, dport: vport(f), ...l4 } },
  };
}

function toClient(f: Flow, l4: Record<string, unknown>): OutFrame {
  return {
    port: 'dpdk1',
    expect: { eth: { src: MAC.wan, dst: MAC.router }, ipv4: { src: VIP, dst: f.cip }, [f.proto]: { sport: vport(f), dport: f.cport, ...l4 } },
  };
}

/** The client's SYN (ISN 1000), scheduled to f.rip through f.lport; saves the ISN tsvs chose. */
function syn(f: Flow, desc = `SYN ${f.cip}:${f.cport} -> ${f.rip} via ${LIP}:${f.lport}`): Step {
  return {
    desc,
    in: { port: 'dpdk1', frame: fromClient(f, { flags: 'S', seq: 1000 }) },
    out: [toRs(f, { flags: 'S', ack: 0 })],
    save: (o, ctx) => { ctx[isnKey(f)] = o[0]!.tcp!.seq!; },
  };
}

/** A client segment forwarded to the RS, sequence number shifted. */
function c2s(f: Flow, flags: string, seq: number, ack: number, desc = `client ${flags} -> ${f.rip}`): Step {
  return { desc, in: { port: 'dpdk1', frame: fromClient(f, { flags, seq, ack }) }, out: [toRs(f, { flags, seq: rsSeq(f, seq), ack })] };
}

/** A RS segment (acking in the RS's numbering) forwarded to the client, who sees its own numbers. */
function s2c(f: Flow, flags: string, seq: number, ack: number, desc = `${f.rip} ${flags} -> client`): Step {
  return {
    desc,
    in: { port: 'dpdk0', frame: (ctx) => fromRs(f, { flags, seq, ack: rsSeq(f, ack)(ctx) }) },
    out: [toClient(f, { flags, seq, ack })],
  };
}

/** The three-way handshake: SYN_RECV, then ESTABLISHED. */
const handshake = (f: Flow): Step[] => [syn(f), s2c(f, 'SA', 5000, 1001), c2s(f, 'A', 1001, 5001)];

/** A client ACK of a connection tsvs no longer has: new, not a SYN, dropped. */
function lateAck(f: Flow, desc: string, wait?: number): Step {
  return { desc, wait, in: { port: 'dpdk1', frame: fromClient(f, { flags: 'A', seq: 1001, ack: 5001 }) }, out: [], drop: 'not_syn' };
}

/** A real server's segment to a local port no connection holds: dropped, the kernel must not answer. */
function orphanFromRs(f: Flow, desc = `${f.rip}'s segment finds no connection`): Step {
  return { desc, in: { port: 'dpdk0', frame: fromRs(f, { flags: f.proto === 'tcp' ? 'A' : undefined, seq: 5001, ack: 1 }) }, out: [], drop: 'no_service' };
}

/** A client datagram forwarded to the RS. */
function u2s(f: Flow, desc: string): Step {
  return { desc, in: { port: 'dpdk1', frame: fromClient(f, {}) }, out: [toRs(f, { payload: 'query' })] };
}

/** A RS datagram forwarded to the client. */
function s2u(f: Flow, desc = `${f.rip} answers`): Step {
  return { desc, in: { port: 'dpdk0', frame: fromRs(f, {}) }, out: [toClient(f, { payload: 'answer' })] };
}

/** Waits without a frame, then checks the engine. */
function after(desc: string, wait: number, check: (e: Engine) => void): Step {
  return { desc, wait, out: [], check };
}

// ------------------------------------------------------------------------------- engine views

const w0 = (s: string): number => parseIp4(s)!.w0;

/** The connection's state name (DPVS's listing names), or undefined when tsvs has none. */
function stateOf(e: Engine, f: Flow): string | undefined {
  const p = f.proto === 'tcp' ? 6 : 17;
  const ent = e.conns.lookup(p, w0(f.cip), 0, 0, 0, f.cport, w0(VIP), 0, 0, 0, vport(f), false);
  if (ent < 0) return undefined;
  return (f.proto === 'tcp' ? TCP_STATE_NAMES : UDP_STATE_NAMES)[e.conns.state(ent >> 1)];
}

function dest(e: Engine, rip: string, port = 80): Dest {
  const d = e.ipvs.service({ proto: port === 80 ? 'tcp' : 'udp', addr: parseIp4(VIP)!, port }).dests.find((x) => x.addrW0 === w0(rip));
  assert.ok(d, `no dest ${rip}`);
  return d;
}

/** Connections and templates tsvs holds, and each dest's counts as `ipvsadm -L --persistent-conn` shows them. */
function counts(e: Engine, rips: string[], port = 80): Record<string, number | string> {
  const out: Record<string, number | string> = { entries: e.conns.count };
  for (const r of rips) {
    const d = dest(e, r, port);
    out[r] = `active ${d.activeConns} inactive ${d.inactConns} persistent ${d.persistConns}${d.overloaded ? ' overloaded' : ''}`;
  }
  return out;
}

// ------------------------------------------------------------------------------- per-state timeouts

/**
 * Two connections, A and B, brought into `state` at the same instant: A is poked 1 ms before the
 * timeout and lives on; B is poked 1 ms after it (`late`) and is gone.
 */
function expiryOf(state: string, seconds: number, A: Flow, B: Flow, into: (f: Flow) => Step[], poke: Step, late: Step[]): Step[] {
  return [
    ...into(A),
    ...into(B),
    after(`both are ${state}`, 0, (e) => assert.deepEqual([stateOf(e, A), stateOf(e, B)], [state, state])),
    { ...poke, wait: seconds * 1000 - 1, desc: `${seconds} s less 1 ms later A is still there: ${poke.desc}` },
    { ...late[0]!, wait: 2, desc: `1 ms after ${seconds} s B is gone: ${late[0]!.desc}` },
    ...late.slice(1),
  ];
}

/** TCP: A's next ACK (`next` = its seq and ack) is forwarded; B's would open a connection, and is no SYN. */
function expiry(state: string, seconds: number, into: (f: Flow) => Step[], next: [number, number]): Step[] {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  const B = tcp('10.0.0.48', 40002, '192.168.100.3', 1025);
  return expiryOf(state, seconds, A, B, into, c2s(A, 'A', next[0], next[1], 'its ACK is forwarded'),
    [lateAck(B, 'its ACK is new, and no SYN'), orphanFromRs(B)]);
}

/** UDP: A's datagram takes the same RS and local port; B's is scheduled anew. */
function udpExpiry(state: string, seconds: number, into: (f: Flow) => Step[]): Step[] {
  const A = udp('10.0.0.48', 5001, '192.168.100.2', 1025);
  const B = udp('10.0.0.48', 5002, '192.168.100.3', 1025);
  // rr's next pick is .2, whose next free local port is 1026.
  return expiryOf(state, seconds, A, B, into, u2s(A, 'same RS, same local port'),
    [u2s(udp('10.0.0.48', 5002, '192.168.100.2', 1026), 'its datagram is a new connection, to .2'),
      orphanFromRs(B, 'the answer .3 sends for the old flow finds no connection')]);
}

const SYN_RECV = (f: Flow): Step[] => [syn(f)];
const ESTABLISHED = handshake;
const FIN_WAIT = (f: Flow): Step[] => [...handshake(f), s2c(f, 'FA', 5001, 1001, 'the RS closes first')];
const CLOSE_WAIT = (f: Flow): Step[] => [...handshake(f), c2s(f, 'FA', 1001, 5001, 'the client closes first')];
const TIME_WAIT = (f: Flow): Step[] => [...CLOSE_WAIT(f), s2c(f, 'FA', 5001, 1002, 'then the RS')];
const CLOSE = (f: Flow): Step[] => [...handshake(f), c2s(f, 'R', 1001, 0, 'the client resets')];
const ONEWAY = (f: Flow): Step[] => [u2s(f, 'a query')];
const NORMAL = (f: Flow): Step[] => [u2s(f, 'a query'), s2u(f)];

const TIMEOUT_CASES: { desc: string; config: string; steps: Step[] }[] = [
  { desc: 'SYN_RECV lasts 30 s', config: TCP80, steps: expiry('SYN_RECV', 30, SYN_RECV, [1001, 5001]) },
  { desc: 'ESTABLISHED lasts 90 s (DPVS, not the kernel\'s 900)', config: TCP80, steps: expiry('TCP_EST', 90, ESTABLISHED, [1001, 5001]) },
  { desc: 'FIN_WAIT lasts 7 s', config: TCP80, steps: expiry('FIN_WAIT', 7, FIN_WAIT, [1001, 5002]) },
  { desc: 'CLOSE_WAIT lasts 7 s', config: TCP80, steps: expiry('CLOSE_WAIT', 7, CLOSE_WAIT, [1002, 5001]) },
  { desc: 'TIME_WAIT lasts 7 s', config: TCP80, steps: expiry('TIME_WAIT', 7, TIME_WAIT, [1002, 5002]) },
  { desc: 'CLOSE lasts 3 s', config: TCP80, steps: expiry('TCP_CLOSE', 3, CLOSE, [1001, 5001]) },
  { desc: 'UDP ONEWAY lasts 300 s', config: UDP53, steps: udpExpiry('UDP_ONEWAY', 300, ONEWAY) },
  { desc: 'UDP NORMAL lasts 300 s', config: UDP53, steps: udpExpiry('UDP_NORM', 300, NORMAL) },
  {
    desc: 'tsvs set ipvs_defs.tcp.timeout.established 5', config: `${TCP80}tsvs set ipvs_defs.tcp.timeout.established 5\n`,
    steps: expiry('TCP_EST', 5, ESTABLISHED, [1001, 5001]),
  },
  { desc: 'tsvsadm --set 900 120 300: ESTABLISHED 900 s', config: `${TCP80}tsvsadm --set 900 120 300\n`, steps: expiry('TCP_EST', 900, ESTABLISHED, [1001, 5001]) },
  { desc: 'tsvsadm --set 900 120 300: FIN_WAIT 120 s', config: `${TCP80}tsvsadm --set 900 120 300\n`, steps: expiry('FIN_WAIT', 120, FIN_WAIT, [1001, 5002]) },
  { desc: 'tsvsadm --set 900 120 300: UDP 300 s', config: `${UDP53}tsvsadm --set 900 120 300\n`, steps: udpExpiry('UDP_NORM', 300, NORMAL) },
  { desc: 'tsvsadm --set 0 0 45: UDP 45 s', config: `${UDP53}tsvsadm --set 0 0 45\n`, steps: udpExpiry('UDP_ONEWAY', 45, ONEWAY) },
  { desc: 'tsvsadm --set 0 0 45 keeps TCP: ESTABLISHED still 90 s', config: `${TCP80}tsvsadm --set 0 0 45\n`, steps: expiry('TCP_EST', 90, ESTABLISHED, [1001, 5001]) },
  {
    desc: '--conn-timeout 20 on the service: ESTABLISHED 20 s', config: `${TCP80}tsvsadm -E -t ${VIP}:80 --conn-timeout 20\n`,
    steps: expiry('TCP_EST', 20, ESTABLISHED, [1001, 5001]),
  },
  {
    desc: '--conn-timeout 20 leaves the other TCP states alone: SYN_RECV still 30 s', config: `${TCP80}tsvsadm -E -t ${VIP}:80 --conn-timeout 20\n`,
    steps: expiry('SYN_RECV', 30, SYN_RECV, [1001, 5001]),
  },
  {
    desc: '--conn-timeout 20 on a UDP service covers every UDP state', config: `${UDP53}tsvsadm -E -u ${VIP}:53 --conn-timeout 20\n`,
    steps: udpExpiry('UDP_ONEWAY', 20, ONEWAY),
  },
];

// Once with the connections' last packets on a 100 ms timer-wheel boundary, once 37 ms past one:
// timeouts must hold to the millisecond either way.
for (const c of TIMEOUT_CASES) {
  for (const startMs of [1_000_000, 1_000_037]) {
    test(`timeout: ${c.desc} (clock starting at ${startMs} ms)`, () => {
      runConversation(BASE + c.config, c.steps, { startMs });
    });
  }
}

test('a state change to a shorter timeout takes effect in the table at once (ESTABLISHED 90 s -> FIN_WAIT 7 s)', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  const rips = ['192.168.100.2', '192.168.100.3'];
  runConversation(BASE + TCP80, [
    ...handshake(A),
    { ...c2s(A, 'PA', 1001, 5001), wait: 5000, desc: '5 s on, a request: by now the timer wheel holds A for 90 s' },
    s2c(A, 'FA', 5001, 1001, 'the RS closes: FIN_WAIT, 7 s'),
    after('7 s less 1 ms later A is still held', 6999, (e) => assert.deepEqual(counts(e, rips), {
      entries: 1, '192.168.100.2': 'active 0 inactive 1 persistent 0', '192.168.100.3': 'active 0 inactive 0 persistent 0',
    })),
    after('1 ms after 7 s it is gone from the table, with no packet needed to notice', 2, (e) => assert.deepEqual(counts(e, rips), {
      entries: 0, '192.168.100.2': 'active 0 inactive 0 persistent 0', '192.168.100.3': 'active 0 inactive 0 persistent 0',
    })),
  ]);
});

// ------------------------------------------------------------------------------- persistence

test('persistence -p 60 -M 255.255.255.0: one RS per client /24 while the template lives, which outlives its connections', () => {
  const three = ['192.168.100.2', '192.168.100.3', '192.168.100.4'];
  const c = runConversation(BASE + fnatService('t', 80, ' -p 60 -M 255.255.255.0', three), [
    syn(tcp('10.0.0.48', 40001, '192.168.100.2', 1025), 'first SYN: rr gives .2, and template 10.0.0.0/24 -> .2 is made'),
    syn(tcp('10.0.0.48', 40002, '192.168.100.2', 1026), 'the same client again: .2 (rr alone would give .3)'),
    syn(tcp('10.0.0.49', 40003, '192.168.100.2', 1027), 'a neighbour in the same /24: .2'),
    syn(tcp('10.0.1.50', 40004, '192.168.100.3', 1025), 'another /24 is scheduled: .3, with its own template'),
    after('the templates and their connections', 0, (e) => assert.deepEqual(counts(e, three), {
      entries: 6,
      '192.168.100.2': 'active 0 inactive 3 persistent 1',
      '192.168.100.3': 'active 0 inactive 1 persistent 1',
      '192.168.100.4': 'active 0 inactive 0 persistent 0',
    })),
    after('30 s on the connections (SYN_RECV) are gone, the templates are not', 30_001, (e) => assert.deepEqual(counts(e, three), {
      entries: 2,
      '192.168.100.2': 'active 0 inactive 0 persistent 1',
      '192.168.100.3': 'active 0 inactive 0 persistent 1',
      '192.168.100.4': 'active 0 inactive 0 persistent 0',
    })),
    { ...syn(tcp('10.0.1.51', 40005, '192.168.100.3', 1026)), wait: 29_998, desc: '60 s less 1 ms after it was last used, template 10.0.1.0/24 still sends to .3 (rr would give .4)' },
    { ...syn(tcp('10.0.0.48', 40006, '192.168.100.4', 1025)), wait: 2, desc: '1 ms after 60 s template 10.0.0.0/24 is gone: rr schedules anew, .4 (not .2)' },
    after('a new template for 10.0.0.0/24 points at .4', 0, (e) => assert.deepEqual(counts(e, three), {
      entries: 4,
      '192.168.100.2': 'active 0 inactive 0 persistent 0',
      '192.168.100.3': 'active 0 inactive 1 persistent 1',
      '192.168.100.4': 'active 0 inactive 1 persistent 1',
    })),
  ]);
  assert.equal(c.engine.conns.count, 4);
});

test('a template lives on while a connection it controls does, then for its own timeout', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  runConversation(BASE + fnatService('t', 80, ' -p 60 -M 255.255.255.0'), [
    ...handshake(A),
    after('at 60 s the template is due but controls an ESTABLISHED connection: re-armed for 60 s', 60_001, (e) => {
      assert.equal(stateOf(e, A), 'TCP_EST');
      assert.deepEqual(counts(e, ['192.168.100.2']), { entries: 2, '192.168.100.2': 'active 1 inactive 0 persistent 1' });
    }),
    after('at 90 s the connection expires; the template stays', 29_999, (e) => {
      assert.equal(stateOf(e, A), undefined);
      assert.deepEqual(counts(e, ['192.168.100.2']), { entries: 1, '192.168.100.2': 'active 0 inactive 0 persistent 1' });
    }),
    { ...syn(tcp('10.0.0.48', 40002, '192.168.100.2', 1026)), wait: 29_999, desc: 'at 120 s less 1 ms the client still lands on .2 (rr would give .3)' },
  ]);
});

// ------------------------------------------------------------------------------- draining

test('weight 0 drains: the established connection goes on, new ones avoid the RS; all at 0 -> no_dest', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  runConversation(BASE + TCP80, [
    ...handshake(A),
    { ...c2s(A, 'PA', 1001, 5001), config: `tsvsadm -e -t ${VIP}:80 -r 192.168.100.2 -w 0`, desc: 'weight 0 on .2: the request still reaches .2' },
    s2c(A, 'PA', 5001, 1001, 'and the response comes back'),
    syn(tcp('10.0.0.48', 40002, '192.168.100.3', 1025), 'a new connection goes to .3'),
    syn(tcp('10.0.0.48', 40003, '192.168.100.3', 1026), 'and the next one too: rr skips .2'),
    {
      desc: 'weight 0 on .3 as well: no RS takes new connections', config: `tsvsadm -e -t ${VIP}:80 -r 192.168.100.3 -w 0`,
      in: { port: 'dpdk1', frame: fromClient(tcp('10.0.0.48', 40004, '', 0), { flags: 'S', seq: 1000 }) }, out: [], drop: 'no_dest',
    },
    c2s(A, 'FA', 1001, 5001, 'the drained connection still closes normally'),
  ]);
});

test('-d with expire_nodest_conn 0 (default): the connection\'s packets are dropped until it times out', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  const B = tcp('10.0.0.48', 40002, '192.168.100.3', 1025);
  runConversation(BASE + TCP80, [
    ...handshake(A),
    {
      desc: 'RS .2 deleted: the client\'s request is dropped', config: `tsvsadm -d -t ${VIP}:80 -r 192.168.100.2`,
      in: { port: 'dpdk1', frame: fromClient(A, { flags: 'PA', seq: 1001, ack: 5001, payload: 'GET /' }) }, out: [], drop: 'dest_gone',
    },
    { desc: 'and so is what .2 still sends', in: { port: 'dpdk0', frame: fromRs(A, { flags: 'A', seq: 5001, ack: 1 }) }, out: [], drop: 'dest_gone' },
    after('the connection stays (and keeps the deleted RS alive)', 0, (e) => {
      assert.equal(stateOf(e, A), 'TCP_EST');
      assert.equal(e.ipvs.dests.filter((d) => d !== null).length, 2);
    }),
    syn(B, 'new connections go to .3'),
    lateAck(A, 'dropped packets do not refresh it: 90 s after its last forwarded packet it is gone', 90_001),
    after('and the deleted RS is freed with it', 0, (e) => assert.deepEqual(e.ipvs.dests.filter((d) => d !== null).map((d) => d!.addr), [parseIp4('192.168.100.3')])),
  ]);
});

test('-d with net.ipv4.vs.expire_nodest_conn 1: the connection is expired on its next packet', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  runConversation(`${BASE}${TCP80}tsvs set net.ipv4.vs.expire_nodest_conn 1\n`, [
    ...handshake(A),
    {
      desc: 'RS .2 deleted: the request is dropped and the connection expired', config: `tsvsadm -d -t ${VIP}:80 -r 192.168.100.2`,
      in: { port: 'dpdk1', frame: fromClient(A, { flags: 'PA', seq: 1001, ack: 5001, payload: 'GET /' }) }, out: [], drop: 'dest_gone',
      check: (e) => {
        assert.equal(stateOf(e, A), undefined);
        assert.equal(e.conns.count, 0);
      },
    },
    lateAck(A, 'the next ACK finds nothing'),
    orphanFromRs(A),
    syn(tcp('10.0.0.48', 40001, '192.168.100.3', 1025), 'the client\'s new SYN from the same port is scheduled to .3'),
  ]);
});

test('--expire-quiescent: a connection to a weight-0 RS is expired on its next packet', () => {
  const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  const B = tcp('10.0.0.48', 40002, '192.168.100.3', 1025);
  runConversation(BASE + fnatService('t', 80, ' --expire-quiescent'), [
    ...handshake(A),
    ...handshake(B),
    {
      desc: 'weight 0 on .2: A\'s request is dropped and A expired', config: `tsvsadm -e -t ${VIP}:80 -r 192.168.100.2 -w 0`,
      in: { port: 'dpdk1', frame: fromClient(A, { flags: 'PA', seq: 1001, ack: 5001, payload: 'GET /' }) }, out: [], drop: 'quiescent_expired',
      check: (e) => assert.deepEqual(counts(e, ['192.168.100.2', '192.168.100.3']), {
        entries: 1, '192.168.100.2': 'active 0 inactive 0 persistent 0', '192.168.100.3': 'active 1 inactive 0 persistent 0',
      }),
    },
    lateAck(A, 'A\'s next ACK finds nothing'),
    c2s(B, 'PA', 1001, 5001, 'B, on a weighted RS, goes on'),
  ]);
});

for (const [setting, rip, lport, desc] of [
  [0, '192.168.100.2', 1026, 'expire_quiescent_template 0 (default): the template still sends the client to the weight-0 RS'],
  [1, '192.168.100.3', 1025, 'expire_quiescent_template 1: the template to the weight-0 RS is dropped and the client rescheduled'],
] as const) {
  test(desc, () => {
    const A = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
    runConversation(`${BASE}${fnatService('t', 80, ' -p 60')}tsvs set ipvs_defs.conn.expire_quiescent_template ${setting}\n`, [
      syn(A, 'the client lands on .2; template 10.0.0.48 -> .2'),
      { ...syn(tcp('10.0.0.48', 40002, rip, lport)), config: `tsvsadm -e -t ${VIP}:80 -r 192.168.100.2 -w 0`, desc: `weight 0 on .2, then a new connection: ${rip}` },
      after('where the templates point', 0, (e) => assert.deepEqual(counts(e, ['192.168.100.2', '192.168.100.3']), {
        entries: 3,
        '192.168.100.2': `active 0 inactive ${setting === 0 ? 2 : 1} persistent ${setting === 0 ? 1 : 0}`,
        '192.168.100.3': `active 0 inactive ${setting === 0 ? 0 : 1} persistent ${setting === 0 ? 0 : 1}`,
      })),
      c2s(A, 'A', 1001, 5001, 'the first connection itself goes on to .2'),
    ]);
  });
}

// ------------------------------------------------------------------------------- thresholds

test('-x 2 -y 1: overloaded at 2 connections (rr skips it), clear again below 1', () => {
  const rips = ['192.168.100.2', '192.168.100.3'];
  const a = tcp('10.0.0.48', 40001, '192.168.100.2', 1025);
  const c = tcp('10.0.0.48', 40003, '192.168.100.2', 1026);
  runConversation(`${BASE}${TCP80}tsvsadm -e -t ${VIP}:80 -r 192.168.100.2 -x 2 -y 1\n`, [
    syn(a),
    syn(tcp('10.0.0.48', 40002, '192.168.100.3', 1025)),
    { ...syn(c), check: (e) => assert.deepEqual(counts(e, rips), { entries: 3, '192.168.100.2': 'active 0 inactive 2 persistent 0 overloaded', '192.168.100.3': 'active 0 inactive 1 persistent 0' }) },
    syn(tcp('10.0.0.48', 40004, '192.168.100.3', 1026), 'rr\'s turn of .3'),
    syn(tcp('10.0.0.48', 40005, '192.168.100.3', 1027), 'rr\'s turn of .2, but it is overloaded: .3'),
    s2c(a, 'RA', 0, 1001, '.2 refuses a with a reset (CLOSE, 3 s)'),
    after('a expired: 1 connection left, not below -y 1: still overloaded', 3001, (e) => assert.deepEqual(counts(e, rips), {
      entries: 4, '192.168.100.2': 'active 0 inactive 1 persistent 0 overloaded', '192.168.100.3': 'active 0 inactive 3 persistent 0',
    })),
    syn(tcp('10.0.0.48', 40006, '192.168.100.3', 1028), 'so .3 again'),
    s2c(c, 'RA', 0, 1001, '.2 refuses c too'),
    after('c expired: 0 connections, below -y 1: the flag clears', 3001, (e) => assert.deepEqual(counts(e, rips), {
      entries: 4, '192.168.100.2': 'active 0 inactive 0 persistent 0', '192.168.100.3': 'active 0 inactive 4 persistent 0',
    })),
    syn(tcp('10.0.0.48', 40007, '192.168.100.2', 1027), '.2 is scheduled again'),
  ]);
});

// ------------------------------------------------------------------------------- one-packet scheduling

test('-o on a UDP service: each datagram is scheduled anew and leaves no connection behind', () => {
  const rips = ['192.168.100.2', '192.168.100.3'];
  const none = (e: Engine) => assert.deepEqual(counts(e, rips, 53), {
    entries: 0, '192.168.100.2': 'active 0 inactive 0 persistent 0', '192.168.100.3': 'active 0 inactive 0 persistent 0',
  });
  runConversation(BASE + fnatService('u', 53, ' -o'), [
    { ...u2s(udp('10.0.0.48', 5353, '192.168.100.2', 1025), 'first datagram: .2'), check: none },
    { ...u2s(udp('10.0.0.48', 5353, '192.168.100.3', 1025), 'the same flow\'s next datagram: rr gives .3'), check: none },
    { ...u2s(udp('10.0.0.48', 5353, '192.168.100.2', 1026), 'and .2 again, with the next local port of its ring'), check: none },
    orphanFromRs(udp('10.0.0.48', 5353, '192.168.100.2', 1025), 'an answer finds no connection'),
  ]);
});

// ------------------------------------------------------------------------------- the capture clock

test('replay: capture timestamps are the clock, across a jump longer than the timer wheel', () => {
  const T0 = 1_700_000_000_000;
  const config = `tsip link add dpdk0 lladdr ${MAC.lan}
tsip addr add 192.168.100.1/24 dev dpdk0
tsip neigh add 192.168.100.2 lladdr ${rsMac('192.168.100.2')} dev dpdk0
tsip neigh add 192.168.100.3 lladdr ${rsMac('192.168.100.3')} dev dpdk0
tsvsadm -A -t 192.168.100.254:80 -s rr
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.2 -g
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.3 -g
tsvsadm --set 900 0 0
`;
  const seg = (sport: number, flags: string, seq: number): Uint8Array => eth({ src: MAC.router, dst: MAC.lan })
    .ipv4({ src: '192.168.100.26', dst: '192.168.100.254' }).tcp({ sport, dport: 80, flags, seq, ack: flags === 'S' ? 0 : 7001 }).build();
  const frames: CaptureFrame[] = [
    { tsMs: T0, data: seg(41000, 'S', 1000) },
    { tsMs: T0, data: seg(41001, 'S', 2000) },
    { tsMs: T0 + 1, data: seg(41000, 'A', 1001) },
    { tsMs: T0 + 1, data: seg(41001, 'A', 2001) },
    // 900 s less 1 ms of silence: the first connection is still ESTABLISHED.
    { tsMs: T0 + 900_000, data: seg(41000, 'PA', 1001) },
    // 1 ms after its 900 s: the second is gone.
    { tsMs: T0 + 900_002, data: seg(41001, 'PA', 2001) },
  ];
  const r = replay({ config, inputs: [{ port: 'dpdk0', frames }], outputs: ['dpdk0'] });
  const out = r.captured.get('dpdk0')!.map((f) => [f.tsMs - T0, dissect(f.data).eth!.dst, dissect(f.data).tcp!.sport, dissect(f.data).tcp!.flags]);
  assert.deepEqual(out, [
    [0, rsMac('192.168.100.2'), 41000, 'S'],
    [0, rsMac('192.168.100.3'), 41001, 'S'],
    [1, rsMac('192.168.100.2'), 41000, 'A'],
    [1, rsMac('192.168.100.3'), 41001, 'A'],
    [900_000, rsMac('192.168.100.2'), 41000, 'PA'],
  ]);
  assert.deepEqual([...r.drops], [['not_syn', 1]]);
  assert.equal(r.engine.conns.count, 1);
});

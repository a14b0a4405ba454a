// The load balancer the benchmark drives: ports, addresses, static neighbours, one service per
// forwarding method, and flows taken through the TCP handshake to ESTABLISHED.

import { applyCommand } from '../src/control/apply.js';
import { parseScript } from '../src/control/script.js';
import { ManualClock } from '../src/drivers/memory.js';
import { TCP_S_ESTABLISHED } from '../src/ipvs/proto.js';
import { XMIT_HEADROOM } from '../src/ipvs/xmit.js';
import { DROP_REASON_NAMES } from '../src/packet/drop-reason.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../src/packet/proto.js';
import { Engine } from '../src/worker/engine.js';
import { MAC_CLIENT_SIDE, MAC_PEER, MAC_RS_SIDE, type L4Fields, ip4str, macStr, tcpFields, writeFrame } from './frames.js';
import { CountingSink } from './harness.js';

/** Port indexes: dpdk0 faces the real servers, dpdk1 the clients (added in that order). */
export const P_RS = 0;
export const P_CLIENT = 1;
export const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
export const VIP = ip(10, 0, 0, 100);
export const VPORT = 80;
/** FullNAT and NAT real servers listen elsewhere, so the port rewrite is real work. */
export const RS_PORT = 8080;
export const GATEWAY = ip(10, 0, 0, 1);
export const TUNNEL_SRC = ip(192, 168, 100, 254);
export const RS = Array.from({ length: 8 }, (_, k) => ip(192, 168, 100, 1 + k));
/** Nine LIPs against eight real servers: coprime counts keep rr and the LIP cursor out of step. */
export const LIPS = Array.from({ length: 9 }, (_, k) => ip(192, 168, 100, 200 + k));
export const rsMac = (k: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 1, 1 + k);

/** Flow f's client: 16 ports on each address of 100.64.0.0/10 (room for 67 M flows). */
export const clientAddr = (f: number): number => (ip(100, 64, 0, 0) + (f >>> 4)) >>> 0;
export const clientPort = (f: number): number => 20000 + (f & 15);
export const clientIsn = (f: number): number => Math.imul(f + 1, 0x9e3779b1) >>> 0;
export const serverIsn = (f: number): number => Math.imul(f + 1, 0x85ebca6b) >>> 0;

export type Method = 'fnat' | 'nat' | 'dr' | 'tun';
const METHOD_FLAG: Record<Method, string> = { fnat: '-b', nat: '-m', dr: '-g', tun: '-i' };

export interface Env {
  readonly engine: Engine;
  readonly sink: CountingSink;
  readonly clock: ManualClock;
  /** Scratch receive buffer for setup frames, with the engine's headroom. */
  readonly scratch: Uint8Array;
}

export function makeEnv(method: Method, proto: 'tcp' | 'udp', capacity: number): Env {
  const sink = new CountingSink();
  const clock = new ManualClock(1_000_000);
  const engine = new Engine(sink, clock, { connCapacity: capacity });
  const svc = `${proto === 'tcp' ? '-t' : '-u'} ${ip4str(VIP)}:${VPORT}`;
  const rsPort = method === 'dr' || method === 'tun' ? VPORT : RS_PORT;
  const lines = [
    `tsip link add dpdk0 lladdr ${macStr(MAC_RS_SIDE)}`,
    `tsip link add dpdk1 lladdr ${macStr(MAC_CLIENT_SIDE)}`,
    `tsip addr add ${ip4str(TUNNEL_SRC)}/24 dev dpdk0`,
    'tsip addr add 10.0.0.254/24 dev dpdk1',
    `tsip addr add ${ip4str(VIP)}/32 dev dpdk1`,
    // Clients sit behind a gateway; every neighbour is static so nothing ever waits on ARP.
    `tsip route add default via ${ip4str(GATEWAY)} dev dpdk1`,
    `tsip neigh add ${ip4str(GATEWAY)} lladdr ${macStr(MAC_PEER)} dev dpdk1`,
    ...RS.map((a, k) => `tsip neigh add ${ip4str(a)} lladdr ${macStr(rsMac(k))} dev dpdk0`),
    `tsvsadm -A ${svc} -s rr`,
    ...RS.map((a) => `tsvsadm -a ${svc} -r ${ip4str(a)}:${rsPort} ${METHOD_FLAG[method]}`),
    ...(method === 'fnat' ? LIPS.map((a) => `tsvsadm --add-laddr -z ${ip4str(a)} ${svc} -F dpdk0`) : []),
  ];
  for (const c of parseScript(lines.join('\n'))) applyCommand(engine, c.command);
  return { engine, sink, clock, scratch: new Uint8Array(2048) };
}

/** Drop counters and other places frames went, for failure messages. */
export function whereFramesWent(e: Engine, sink: CountingSink): string {
  const d = e.stack.counters.drops;
  const parts: string[] = [];
  for (let r = 0; r < d.length; r++) if (d[r]! > 0) parts.push(`${DROP_REASON_NAMES[r]}=${d[r]}`);
  const queued = e.stack.neighs.all().reduce((n, x) => n + x.queue.length, 0);
  parts.push(`to_kernel=${sink.kernel}`, `waiting_for_neighbour=${queued}`, `toa_no_room=${e.stack.counters.toaNoRoom}`, `conns=${e.conns.count}`);
  return `drops: ${parts.join(' ')}`;
}

/** Feeds one setup frame and insists that exactly one frame came out. */
export function send(env: Env, port: number, f: L4Fields): void {
  const ourMac = port === P_RS ? MAC_RS_SIDE : MAC_CLIENT_SIDE;
  const len = writeFrame(env.scratch, XMIT_HEADROOM, ourMac, MAC_PEER, f);
  const before = env.sink.tx;
  env.engine.input(port, env.scratch, XMIT_HEADROOM, len);
  if (env.sink.tx !== before + 1) {
    throw new Error(`setup frame ${ip4str(f.src)}:${f.sport} -> ${ip4str(f.dst)}:${f.dport} was not forwarded; ${whereFramesWent(env.engine, env.sink)}`);
  }
}

/** What a connection was given: local address/port (NAT: the client's own) and real server. */
export interface ConnInfo { laddr: number; lport: number; rs: number; rsPort: number; seqDelta: number }

/**
 * Takes flow f through the handshake: SYN, the real server's SYN-ACK (FullNAT and NAT, whose
 * replies come back through us), then the ACK, which for FullNAT carries the TOA.
 */
export function establish(env: Env, method: Method, f: number): ConnInfo {
  const c = clientAddr(f), cp = clientPort(f), cIsn = clientIsn(f), sIsn = serverIsn(f);
  send(env, P_CLIENT, tcpFields(c, VIP, cp, VPORT, cIsn, 0, TCP_SYN, 0));
  const ct = env.engine.conns;
  const ent = ct.lookup(6, c, 0, 0, 0, cp, VIP, 0, 0, 0, VPORT, false);
  if (ent < 0) throw new Error(`flow ${f}: no connection after its SYN`);
  const i = ent >> 1;
  const info = { laddr: ct.addrWordU(i, 2, 0), lport: ct.port(i, 2), rs: ct.addrWordU(i, 3, 0), rsPort: ct.port(i, 3), seqDelta: ct.seqDelta(i) };
  if (method === 'fnat' || method === 'nat') {
    send(env, P_RS, tcpFields(info.rs, info.laddr, info.rsPort, info.lport, sIsn, (cIsn + 1 + info.seqDelta) >>> 0, TCP_SYN | TCP_ACK, 0));
  }
  send(env, P_CLIENT, tcpFields(c, VIP, cp, VPORT, (cIsn + 1) >>> 0, (sIsn + 1) >>> 0, TCP_ACK, 0));
  if (ct.state(i) !== TCP_S_ESTABLISHED) throw new Error(`flow ${f}: state ${ct.state(i)} after the handshake, not ESTABLISHED`);
  return info;
}

/**
 * A client data segment after the handshake: it acks server data past the RS's ISN+1, so
 * FullNAT adds no TOA (only segments acking ISN+1 carry one). 10 bytes of data: a 64-byte frame.
 */
export function clientData(f: number): L4Fields {
  return tcpFields(clientAddr(f), VIP, clientPort(f), VPORT, (clientIsn(f) + 1) >>> 0, (serverIsn(f) + 1 + 1448) >>> 0, TCP_ACK | TCP_PSH, 10);
}

/** The real server's reply segment to clientData, as it reaches us (to the LIP, or to the client under NAT). */
export function serverData(f: number, c: ConnInfo): L4Fields {
  return tcpFields(c.rs, c.laddr, c.rsPort, c.lport, (serverIsn(f) + 1 + 1448) >>> 0, (clientIsn(f) + 1 + c.seqDelta + 10) >>> 0, TCP_ACK | TCP_PSH, 10);
}

// Benchmark of the packet engine, one thread, in memory: ns/packet by forwarding method over 1 M
// established connections, new connections per second and bytes per connection, beside peers.
//
// `npm run bench` runs this file without arguments: it prints the machine, then forks itself once
// per phase (a fresh heap each, with --expose-gc) and prints every figure next to the goals, the
// floor measured here and the peers' published figures. TSVS_BENCH_SKIP_10M=1 skips the 10 M step.

import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConnTable } from '../src/ipvs/conn-table.js';
import { TCP_SYN } from '../src/packet/proto.js';
import { FloorForwarder } from './floor.js';
import {
  DATA_FRAME_LEN, ETH_LEN, IP_LEN, LINUX_SYN_OPTIONS, MAC_CLIENT_SIDE, MAC_PEER, MAC_RS_SIDE,
  get16, get32, ipv4PacketOk, macStr, tcpFields, udpFields, writeFrame,
} from './frames.js';
import {
  CountingSink, FrameStore, type Receiver, collect, feed, feedOne, gcCount, median, permutation,
} from './harness.js';
import {
  type Env, LIPS, type Method, P_CLIENT, P_RS, RS, RS_PORT, TUNNEL_SRC, VIP, VPORT, clientAddr, clientData, clientIsn,
  clientPort, establish, makeEnv, rsMac, send, serverData, whereFramesWent,
} from './setup.js';

// ------------------------------------------------------------------ what is measured

/** TSVS_BENCH_FLOWS shrinks the flow count for quick looks; the figures quoted are at 1 M. */
const FLOWS = Number(process.env.TSVS_BENCH_FLOWS ?? 1_000_000);
const CAPACITY = 1 << 21;
const RUNS = 3;
const RUN_PACKETS = 2_000_000;
const WARM_PACKETS = FLOWS;
/** Frames checked byte by byte before any timing: a benchmark of wrong output is worthless. */
const CHECKED = 256;
const NEW_CONNS = 600_000;
/** Flows for the cache-resident diagnostic: their connections and frames fit in L2. */
const SMALL_FLOWS = 1024;
const MEM_STEPS = [1_000_000, 10_000_000];

const GOAL_NS = 110;
const GOAL_CPS = 1_000_000;
const GOAL_BYTES = 128;

// ------------------------------------------------------------------ checking outputs

type Check = (out: Uint8Array, off: number, len: number, port: number, orig: Uint8Array, origOff: number) => string | null;

const isRs = (a: number): boolean => RS.includes(a);
const isRsMac = (b: Uint8Array, o: number): boolean => RS.some((_, k) => macStr(b.subarray(o, o + 6)) === macStr(rsMac(k)));
const sameBytes = (a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean => {
  for (let k = 0; k < n; k++) if (a[ao + k] !== b[bo + k]) return false;
  return true;
};

/** Checks common to every output: port, MACs, IPv4 and L4 checksums. */
function checkCommon(out: Uint8Array, off: number, port: number, wantPort: number): string | null {
  if (port !== wantPort) return `sent on port ${port}, not ${wantPort}`;
  const src = out.subarray(off + 6, off + 12);
  if (macStr(src) !== macStr(wantPort === P_RS ? MAC_RS_SIDE : MAC_CLIENT_SIDE)) return `source MAC ${macStr(src)}`;
  if (wantPort === P_RS ? !isRsMac(out, off) : macStr(out.subarray(off, off + 6)) !== macStr(MAC_PEER)) return 'wrong destination MAC';
  if (!ipv4PacketOk(out, off + ETH_LEN)) return 'bad IPv4 or L4 checksum';
  return null;
}

const CHECKS: Record<string, Check> = {
  fnatIn: (o, off, len, port) => checkCommon(o, off, port, P_RS)
    ?? (len !== DATA_FRAME_LEN ? `length ${len} (a TOA where none belongs?)` : null)
    ?? (!LIPS.includes(get32(o, off + 26)) || !isRs(get32(o, off + 30)) || get16(o, off + 36) !== RS_PORT ? 'addresses not LIP -> RS:8080' : null),
  fnatOut: (o, off, len, port) => checkCommon(o, off, port, P_CLIENT)
    ?? (len !== DATA_FRAME_LEN || get32(o, off + 26) !== VIP || get16(o, off + 34) !== VPORT ? 'source not VIP:80' : null),
  natIn: (o, off, len, port, p, po) => checkCommon(o, off, port, P_RS)
    ?? (len !== DATA_FRAME_LEN || !isRs(get32(o, off + 30)) || get16(o, off + 36) !== RS_PORT ? 'destination not RS:8080' : null)
    ?? (!sameBytes(o, off + 26, p, po + 26, 4) || !sameBytes(o, off + 34, p, po + 34, 2) ? 'client address or port changed' : null),
  drIn: (o, off, len, port, p, po) => checkCommon(o, off, port, P_RS)
    ?? (len !== DATA_FRAME_LEN || !sameBytes(o, off + ETH_LEN, p, po + ETH_LEN, DATA_FRAME_LEN - ETH_LEN) ? 'IP packet changed' : null),
  tunIn: (o, off, len, port, p, po) => checkCommon(o, off, port, P_RS)
    ?? (len !== DATA_FRAME_LEN + IP_LEN || o[off + 23] !== 4 || get32(o, off + 26) !== TUNNEL_SRC || !isRs(get32(o, off + 30)) ? 'not IPIP from 192.168.100.254 to an RS' : null)
    ?? (!sameBytes(o, off + ETH_LEN + IP_LEN, p, po + ETH_LEN, DATA_FRAME_LEN - ETH_LEN) ? 'inner packet changed' : null),
};

/** Feeds the first CHECKED frames one at a time and checks each output against its pristine frame. */
function checkOutputs(name: string, rx: Receiver, sink: CountingSink, port: number, fs: FrameStore, check: Check, why: () => string): void {
  for (let n = 0; n < CHECKED; n++) {
    const k = fs.next;
    const before = sink.tx;
    feedOne(rx, port, fs);
    const err = sink.tx !== before + 1 ? `not forwarded; ${why()}`
      : check(sink.lastBuf, sink.lastOff, sink.lastLen, sink.lastPort, fs.mem, fs.frameOff(k));
    if (err !== null) throw new Error(`${name}: frame ${k}: ${err}`);
  }
}

// ------------------------------------------------------------------ phases (each in its own process)

interface PacketRow {
  name: string;
  /** Per run: ns/packet for copy + input, and for the copy alone. */
  gross: number[];
  copy: number[];
  gcs: number;
  /** Explains a figure (memory layout, code cost) rather than being one the goal applies to. */
  diagnostic?: boolean;
}

/**
 * Checks outputs, warms up, then alternates RUNS timed runs of copy + input with RUNS of the copy
 * alone. Fails when any frame fed in a timed run did not come out.
 */
async function measure(name: string, rx: Receiver, sink: CountingSink, port: number, fs: FrameStore, check: Check, why: () => string): Promise<PacketRow> {
  checkOutputs(name, rx, sink, port, fs, check, why);
  feed(rx, port, fs, WARM_PACKETS, 0);
  feed(null, port, fs, WARM_PACKETS, 0);
  const row: PacketRow = { name, gross: [], copy: [], gcs: 0 };
  const gc0 = await gcCount();
  for (let r = 0; r < RUNS; r++) {
    const tx0 = sink.tx;
    row.gross.push(feed(rx, port, fs, RUN_PACKETS, 0));
    if (sink.tx - tx0 !== RUN_PACKETS) throw new Error(`${name}: fed ${RUN_PACKETS} frames, ${sink.tx - tx0} came out; ${why()}`);
  }
  row.gcs = (await gcCount()) - gc0;
  for (let r = 0; r < RUNS; r++) row.copy.push(feed(null, port, fs, RUN_PACKETS, 0));
  const net = median(row.gross) - median(row.copy);
  console.log(`  ${name.padEnd(34)} ${net.toFixed(1).padStart(6)} ns/pkt (runs ${row.gross.map((x) => x.toFixed(1)).join(' / ')} with copy; copy ${median(row.copy).toFixed(1)}; GCs ${row.gcs})`);
  return row;
}

/** The flows' order on the ring: a fixed shuffle, so successive packets hit unrelated connections. */
function ringPositions(): Int32Array {
  const perm = permutation(FLOWS, 0x7357);
  const pos = new Int32Array(FLOWS);
  for (let k = 0; k < FLOWS; k++) pos[perm[k]!] = k;
  return pos;
}

function timed<T>(what: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const r = fn();
  console.log(`  ${what}: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
  return r;
}

/** A store of data segments and where each flow's frame goes in it; `out`: the RS's direction. */
interface Fill { fs: FrameStore; at: (f: number) => number; out: boolean }

/** Takes flows 0..n-1 through the handshake and writes each one's data segment into every store. */
function buildFlows(env: Env, method: Method, n: number, fills: Fill[]): void {
  timed(`${method}: ${n.toLocaleString('en')} connections through the handshake`, () => {
    for (let f = 0; f < n; f++) {
      const c = establish(env, method, f);
      for (const { fs, at, out } of fills) {
        writeFrame(fs.mem, fs.frameOff(at(f)), out ? MAC_RS_SIDE : MAC_CLIENT_SIDE, MAC_PEER, out ? serverData(f, c) : clientData(f));
      }
    }
  });
}

const dataStore = (n: number): FrameStore => new FrameStore(n, DATA_FRAME_LEN, DATA_FRAME_LEN);
const whyOf = (env: Env) => (): string => whereFramesWent(env.engine, env.sink);

async function phaseForward(): Promise<PacketRow[]> {
  const rows: PacketRow[] = [];
  const pos = ringPositions();
  const shuffled = (f: number): number => pos[f]!;
  {
    const env = makeEnv('fnat', 'tcp', CAPACITY);
    const inbound = dataStore(FLOWS), outbound = dataStore(FLOWS), ordered = dataStore(FLOWS);
    buildFlows(env, 'fnat', FLOWS, [{ fs: inbound, at: shuffled, out: false }, { fs: outbound, at: shuffled, out: true }, { fs: ordered, at: (f) => f, out: false }]);
    const { engine, sink } = env;
    rows.push(await measure('FullNAT in (client->RS, no TOA)', engine, sink, P_CLIENT, inbound, CHECKS.fnatIn!, whyOf(env)));
    engine.ipvs.settings.verifyL4Checksum = false;
    rows.push(await measure('FullNAT in, L4 checksum check off', engine, sink, P_CLIENT, inbound, CHECKS.fnatIn!, whyOf(env)));
    engine.ipvs.settings.verifyL4Checksum = true;
    rows.push(await measure('FullNAT out (RS->client)', engine, sink, P_RS, outbound, CHECKS.fnatOut!, whyOf(env)));
    rows.push({ ...await measure('FullNAT in, flows in slot order', engine, sink, P_CLIENT, ordered, CHECKS.fnatIn!, whyOf(env)), diagnostic: true });
  }
  collect();
  {
    // The same path with everything cache-resident: what the code costs without memory stalls.
    const env = makeEnv('fnat', 'tcp', 4 * SMALL_FLOWS);
    const inbound = dataStore(SMALL_FLOWS);
    buildFlows(env, 'fnat', SMALL_FLOWS, [{ fs: inbound, at: (f) => f, out: false }]);
    rows.push({ ...await measure(`FullNAT in, ${SMALL_FLOWS.toLocaleString('en')} conns (in cache)`, env.engine, env.sink, P_CLIENT, inbound, CHECKS.fnatIn!, whyOf(env)), diagnostic: true });
  }
  for (const method of ['nat', 'dr', 'tun'] as const) {
    collect();
    const env = makeEnv(method, 'tcp', CAPACITY);
    const inbound = dataStore(FLOWS);
    buildFlows(env, method, FLOWS, [{ fs: inbound, at: shuffled, out: false }]);
    const label = { nat: 'NAT in (client->RS)', dr: 'DR in (client->RS)', tun: 'Tunnel (IPIP) in (client->RS)' }[method];
    rows.push(await measure(label, env.engine, env.sink, P_CLIENT, inbound, CHECKS[`${method}In`]!, whyOf(env)));
  }
  return rows;
}

async function phaseFloor(): Promise<PacketRow[]> {
  const pos = ringPositions();
  const sink = new CountingSink();
  const fl = new FloorForwarder(FLOWS, sink, P_RS, rsMac(0), MAC_RS_SIDE);
  const fs = new FrameStore(FLOWS, DATA_FRAME_LEN, DATA_FRAME_LEN);
  timed(`floor: ${FLOWS.toLocaleString('en')} flows into its table`, () => {
    for (let f = 0; f < FLOWS; f++) {
      const lport = 1025 + ((f * 7) % 64511);
      fl.insert(clientAddr(f), VIP, ((clientPort(f) << 16) | VPORT) | 0, LIPS[f % LIPS.length]!, RS[f % RS.length]!, ((lport << 16) | RS_PORT) | 0);
      writeFrame(fs.mem, fs.frameOff(pos[f]!), MAC_CLIENT_SIDE, MAC_PEER, clientData(f));
    }
  });
  return [await measure('floor: parse+lookup+FullNAT rewrite', fl, sink, P_CLIENT, fs, CHECKS.fnatIn!, () => `floor drops ${fl.drops}`)];
}

interface NewConnResult { gross: number[]; copy: number[]; expiry: number[]; gcs: number; synLen: number }

/** Expires every connection by moving the clock past the SYN_RECV timeout; returns ns per connection. */
function expireAll(env: Env, n: number): number {
  env.clock.t += 60_000;
  const t0 = process.hrtime.bigint();
  env.engine.tick(env.clock.t);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (env.engine.conns.count !== 0) throw new Error(`${env.engine.conns.count} connections left after expiry`);
  return ns;
}

async function phaseNewConn(): Promise<NewConnResult> {
  const env = makeEnv('fnat', 'tcp', CAPACITY);
  const synLen = ETH_LEN + IP_LEN + 20 + LINUX_SYN_OPTIONS.length;
  const fs = new FrameStore(NEW_CONNS, synLen, 80);
  const perm = permutation(NEW_CONNS, 0x51);
  for (let k = 0; k < NEW_CONNS; k++) {
    const f = perm[k]!;
    const syn = tcpFields(clientAddr(f), VIP, clientPort(f), VPORT, clientIsn(f), 0, TCP_SYN, 0);
    syn.options = LINUX_SYN_OPTIONS;
    writeFrame(fs.mem, fs.frameOff(k), MAC_CLIENT_SIDE, MAC_PEER, syn);
  }
  const why = (): string => whereFramesWent(env.engine, env.sink);
  const synCheck: Check = (o, off, len, port) => checkCommon(o, off, port, P_RS)
    ?? (!LIPS.includes(get32(o, off + 26)) || !isRs(get32(o, off + 30)) || (o[off + 47]! & TCP_SYN) === 0 ? 'not a SYN from a LIP to an RS' : null)
    ?? (len !== synLen ? `length ${len}` : null);
  checkOutputs('new connections', env.engine, env.sink, P_CLIENT, fs, synCheck, why);
  fs.next = 0;
  fs.slot = 0;
  expireAll(env, CHECKED);
  // Warm-up on the same tuples: the table's pages are touched, as they are in a running daemon.
  feed(env.engine, P_CLIENT, fs, NEW_CONNS, env.clock.t);
  expireAll(env, NEW_CONNS);
  feed(null, P_CLIENT, fs, NEW_CONNS, 0);
  const res: NewConnResult = { gross: [], copy: [], expiry: [], gcs: 0, synLen };
  const gc0 = await gcCount();
  for (let r = 0; r < RUNS; r++) {
    const tx0 = env.sink.tx;
    res.gross.push(feed(env.engine, P_CLIENT, fs, NEW_CONNS, env.clock.t));
    if (env.sink.tx - tx0 !== NEW_CONNS || env.engine.conns.count !== NEW_CONNS) {
      throw new Error(`new connections: fed ${NEW_CONNS} SYNs, ${env.sink.tx - tx0} came out, ${env.engine.conns.count} connections; ${why()}`);
    }
    res.expiry.push(expireAll(env, NEW_CONNS));
    res.copy.push(feed(null, P_CLIENT, fs, NEW_CONNS, 0));
  }
  res.gcs = (await gcCount()) - gc0;
  const net = median(res.gross) - median(res.copy);
  console.log(`  ${NEW_CONNS.toLocaleString('en')} SYNs: ${net.toFixed(1)} ns/conn (runs ${res.gross.map((x) => x.toFixed(1)).join(' / ')} with copy), expiry ${median(res.expiry).toFixed(1)} ns/conn, GCs ${res.gcs}`);
  return res;
}

interface MemResult {
  n: number;
  rssCreate: number;
  abCreate: number;
  rssFilled: number;
  abFilled: number;
  tableBytes: number;
  fillNs: number;
}

/** Bytes of every typed array the connection table holds. */
function tableBytes(ct: ConnTable): number {
  let n = 0;
  for (const v of Object.values(ct)) if (ArrayBuffer.isView(v)) n += v.byteLength;
  return n;
}

/** Process memory before and after an engine of capacity n is built and filled with n UDP NAT flows. */
async function phaseMem(n: number): Promise<MemResult> {
  collect();
  const m0 = process.memoryUsage();
  const env = makeEnv('nat', 'udp', n);
  collect();
  const m1 = process.memoryUsage();
  const fillNs = timed(`${n.toLocaleString('en')} UDP NAT connections`, () => {
    const t0 = process.hrtime.bigint();
    for (let f = 0; f < n; f++) send(env, P_CLIENT, udpFields(clientAddr(f), VIP, clientPort(f), VPORT, 18));
    return Number(process.hrtime.bigint() - t0) / n;
  });
  if (env.engine.conns.count !== n) throw new Error(`${env.engine.conns.count} connections, expected ${n}`);
  collect();
  const m2 = process.memoryUsage();
  return {
    n, fillNs, tableBytes: tableBytes(env.engine.conns),
    rssCreate: m1.rss - m0.rss, abCreate: m1.arrayBuffers - m0.arrayBuffers,
    rssFilled: m2.rss - m0.rss, abFilled: m2.arrayBuffers - m0.arrayBuffers,
  };
}

// ------------------------------------------------------------------ the report

const fmt = (x: number, d = 1): string => x.toFixed(d);
const loadAvg = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

function printPackets(rows: PacketRow[], floor: PacketRow | undefined): void {
  console.log(`\nPer packet, ${FLOWS.toLocaleString('en')} established connections, 64-byte frames, one thread`);
  console.log(`  median of ${RUNS} runs of ${RUN_PACKETS.toLocaleString('en')} packets, flows round-robin in a fixed shuffled order,`);
  console.log('  each frame copied (copyWithin) from a pristine store into a 1024-slot ring before input;');
  console.log('  "engine" = (copy + input) - (copy alone), both medians; Mpps from the engine column;');
  console.log('  GCs = collections during the timed runs (0 unless the path allocates per packet).');
  const netOf = (r: PacketRow): number => median(r.gross) - median(r.copy);
  const floorNs = floor ? netOf(floor) : NaN;
  console.log(`  ${'path'.padEnd(36)} ${'engine'.padStart(9)} ${'Mpps'.padStart(6)} ${'x floor'.padStart(7)} ${'w/ copy'.padStart(9)} ${'copy'.padStart(6)} ${'GCs'.padStart(4)}   goal <= ${GOAL_NS} ns`);
  const line = (r: PacketRow, note: string | null): void => {
    const net = netOf(r);
    console.log(`  ${r.name.padEnd(36)} ${fmt(net).padStart(6)} ns ${fmt(1000 / net, 2).padStart(6)} ${fmt(net / floorNs).padStart(7)} ${fmt(median(r.gross)).padStart(6)} ns`
      + ` ${fmt(median(r.copy)).padStart(6)} ${String(r.gcs).padStart(4)}   ${note ?? verdict(net <= GOAL_NS)}`);
  };
  for (const r of rows) if (!r.diagnostic) line(r, null);
  if (floor) {
    line(floor, '(peer floor, measured here)');
    console.log('  floor = reference A.3\'s "DataView + open addressing on Int32Array" loop over the same flows and frames:');
    console.log('  parse, lookup, FullNAT rewrite, incremental checksums, MACs; no checksum verification, states, timers, stats.');
  }
  console.log('  diagnostics (same engine code, other memory conditions):');
  for (const r of rows) if (r.diagnostic) line(r, '(diagnostic)');
  console.log('  "slot order" feeds flows in the order their connection slots were allocated, so the connection arrays stream;');
  console.log('  "in cache" is the code\'s cost with no memory stalls. Their gaps to the first row are the memory stalls.');
}

function printNewConns(r: NewConnResult): void {
  const net = median(r.gross) - median(r.copy);
  const cps = 1e9 / net;
  console.log('\nNew connections, FullNAT: SYN -> schedule (rr, 8 RS) -> LIP/port (9 LIPs) -> connection -> SYN out');
  console.log(`  ${NEW_CONNS.toLocaleString('en')} fresh client tuples per run, ${r.synLen}-byte SYNs with Linux's options (MSS, SACK-perm, timestamps stripped, WS)`);
  console.log(`  ${fmt(net)} ns/conn = ${fmt(cps / 1e6, 2)} M conns/s (with copy ${fmt(median(r.gross))} ns; runs ${r.gross.map((x) => fmt(x)).join(' / ')}; GCs ${r.gcs})   goal >= ${GOAL_CPS / 1e6} M/s: ${verdict(cps >= GOAL_CPS)}`);
  console.log(`  expiry afterwards (timer wheel, unhash, LIP port back): ${fmt(median(r.expiry))} ns/conn`);
}

function printMem(results: (MemResult | string)[]): void {
  console.log(`\nMemory per connection (UDP NAT flows; engine capacity = connection count; process.memoryUsage deltas)`);
  console.log(`  ConnTable.bytesPerSlot(n) says ${MEM_STEPS.map((n) => `${fmt(ConnTable.bytesPerSlot(n))} bytes at ${n.toLocaleString('en')}`).join(', ')}`);
  for (const r of results) {
    if (typeof r === 'string') { console.log(`  ${r}`); continue; }
    const rss = r.rssFilled / r.n;
    console.log(`  ${r.n.toLocaleString('en').padStart(10)} conns: rss ${fmt(rss)} B/conn, arrayBuffers ${fmt(r.abFilled / r.n)} B/conn`
      + ` (empty engine: rss ${fmt(r.rssCreate / r.n)}, arrayBuffers ${fmt(r.abCreate / r.n)}); table typed arrays ${fmt(r.tableBytes / r.n)} B/conn;`
      + ` fill ${fmt(r.fillNs)} ns/conn   goal <= ${GOAL_BYTES} B: ${verdict(rss <= GOAL_BYTES)}`);
  }
}

function printPeers(): void {
  console.log('\nPeers: published figures, NOT measured here (other hardware; real NICs or BPF test-run):');
  console.log('  Katran (XDP), katran_tester -perf_testing (bpf_prog_test_run, no NIC), 1 core: ~101-119 ns/pkt, 8.4-9.9 Mpps [katran#235]');
  console.log('  XDP paper (CoNEXT\'18) load-balancer table, 1 core: Katran 5.2 Mpps (~192 ns/pkt), Linux IPVS 1.2 Mpps (~833 ns/pkt)');
  console.log('  DPVS v1.9.2, 1 worker, FullNAT, 10G NIC + dperf: 200k TCP conns/s (whole connections: handshake, request,');
  console.log('    response, teardown), 2.9 Mpps UDP with 1-byte payload (~345 ns/pkt incl. NIC I/O) [test/release/v1.9.2]');
  console.log('  Not comparable one to one: ours is in memory with no NIC I/O; our conns/s is the SYN path alone.');
}

// ------------------------------------------------------------------ orchestration

type PhaseResult = PacketRow[] | NewConnResult | MemResult;
/** A phase's result, the error it threw, or how its process died without saying (killed, out of memory). */
type Outcome = { ok: PhaseResult } | { failed: string } | { died: string };

/** Runs one phase in a fresh child process (its own heap and JIT state). */
function runPhase(name: string, arg = ''): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), [name, arg], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let msg: { result?: PhaseResult; error?: string } = {};
    child.on('message', (m) => { msg = m as typeof msg; });
    child.on('exit', (code, signal) => {
      if (msg.result !== undefined && code === 0) resolve({ ok: msg.result });
      else if (msg.error !== undefined) resolve({ failed: msg.error });
      else resolve({ died: signal !== null ? `killed by ${signal}` : `exited with code ${code}` });
    });
  });
}

async function child(name: string, arg: string): Promise<void> {
  let r: PhaseResult;
  try {
    if (name === 'forward') r = await phaseForward();
    else if (name === 'floor') r = await phaseFloor();
    else if (name === 'newconn') r = await phaseNewConn();
    else r = await phaseMem(Number(arg));
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.error(`  FAILED: ${error}`);
    process.send!({ error }, () => process.exit(1));
    return;
  }
  process.send!({ result: r });
}

/** A machine limit (memory) rather than an engine fault. */
const outOfMemory = (why: string): boolean => /allocation failed|out of memory|heap limit|SIGKILL|code 134/i.test(why);

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('tsvs packet engine benchmark (in memory, one thread)');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
  console.log(`load average before: ${loadAvg()} (other work on these cores shows up as noise in the runs)`);
  const failures: string[] = [];
  const started = Date.now();
  const run = async (title: string, name: string, arg = ''): Promise<PhaseResult | undefined> => {
    console.log(`[${title}]`);
    const o = await runPhase(name, arg);
    if ('ok' in o) return o.ok;
    failures.push(`${title}: ${'failed' in o ? o.failed : o.died}`);
    return undefined;
  };
  const fwd = await run('forwarding', 'forward') as PacketRow[] | undefined;
  const floor = await run('floor', 'floor') as PacketRow[] | undefined;
  const nc = await run('new connections', 'newconn') as NewConnResult | undefined;
  const mem: (MemResult | string)[] = [];
  for (const n of MEM_STEPS) {
    const count = n.toLocaleString('en');
    if (n > 1_000_000 && process.env.TSVS_BENCH_SKIP_10M === '1') {
      mem.push(`${count} conns: skipped (TSVS_BENCH_SKIP_10M=1)`);
      continue;
    }
    console.log(`[memory, ${count} connections]`);
    const o = await runPhase('mem', String(n));
    const why = 'ok' in o ? '' : 'failed' in o ? o.failed : o.died;
    if ('ok' in o) mem.push(o.ok as MemResult);
    // Running out of memory at 10 M is a finding about this machine, not a benchmark failure.
    else if (n > 1_000_000 && outOfMemory(why)) mem.push(`${count} conns: not reached on this machine (${why})`);
    else {
      mem.push(`${count} conns: FAILED (${why})`);
      failures.push(`memory, ${count} connections: ${why}`);
    }
  }
  if (fwd) printPackets(fwd, floor?.[0]);
  if (nc) printNewConns(nc);
  printMem(mem);
  printPeers();
  console.log(`\n(total ${fmt((Date.now() - started) / 1000)} s; load average after: ${loadAvg()})`);
  if (failures.length > 0) {
    console.error(`\nBENCHMARK FAILED:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

const [phase, phaseArg] = process.argv.slice(2);
if (process.argv[1] !== fileURLToPath(import.meta.url)) {
  // Imported (a profiling script, say): run nothing.
} else if (phase !== undefined) {
  void child(phase, phaseArg ?? '');
} else {
  void main();
}

// End-to-end benchmark: tsvs against the kernel on the same namespaces in the same run. A native
// generator (trafgen) floods 60-byte UDP and TCP SYN frames through the forwarder namespace to a
// counting sink; the forwarder is, in turn, nothing, the kernel's routing, nftables DNAT, tsvs
// (NAT, FullNAT; 1 and 2 workers); then wrk measures new HTTP connections per second through
// HAProxy and through tsvs. Prints pps, conns/s, the forwarder's CPU per packet, and tsvs's ratios.
//
// `npm run bench:e2e` (root). Environment: TSVS_BENCH_SECONDS (per run, default 5),
// TSVS_BENCH_ONLY (comma list of forwarder ids: none route nft tsvs-nat-1w tsvs-fnat-1w
// tsvs-nat-2w tsvs-fnat-2w haproxy), TSVS_BENCH_KINDS (udp,syn), TSVS_BENCH_JSON (write the rows
// to this file), TSVS_BENCH_TSVS_RING (tsvs.conf ring statements, e.g. "ring_version 3"). Figures are printed, never asserted; the one check is the sink's control row.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { findProgram } from '../src/lab/deps.js';
import { processCpuNs, sampleCpus } from './e2e/cpu.js';
import { type Forwarder, Refused, haproxy, kernelRoute, nftDnat, nothing, tsvs } from './e2e/forwarders.js';
import { FLOWS, type Kind, generate, generateCount } from './e2e/generator.js';
import { runWrk, startNginx } from './e2e/http.js';
import { BenchTopology, GEN_CPU, forwarderCpus } from './e2e/topology.js';

const SECONDS = Number(process.env.TSVS_BENCH_SECONDS ?? 5);
const ONLY = process.env.TSVS_BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const KINDS = (process.env.TSVS_BENCH_KINDS ?? 'udp,syn').split(',').map((s) => s.trim()) as Kind[];
const JSON_OUT = process.env.TSVS_BENCH_JSON;
/** tsvs.conf `ring { ... }` statements for the daemon, e.g. "ring_version 3" (default: its defaults). */
const TSVS_RING = process.env.TSVS_BENCH_TSVS_RING ?? '';
/** Frames still in flight (rings, backlogs) when the generator stops land within this. */
const SETTLE_MS = 300;
const WRK_CONNECTIONS = 32;

const GOAL_VS_NFT = 1.0;
const GOAL_VS_HAPROXY = 3.0;
const GOAL_SCALING = 1.8;

/** Programs the bench drives -> their Debian packages. */
const TOOLS: [string, string][] = [
  ['ip', 'iproute2'], ['ethtool', 'ethtool'], ['nft', 'nftables'], ['trafgen', 'netsniff-ng'],
  ['haproxy', 'haproxy'], ['wrk', 'wrk'], ['nginx', 'nginx'], ['taskset', 'util-linux'], ['ss', 'iproute2'],
];

export interface PpsRow {
  id: string;
  label: string;
  kind: Kind;
  cpus: number[];
  sharesGen: boolean;
  /** Why there are no figures ("daemon refused: ..."). */
  na?: string;
  seconds: number;
  offered: number;
  delivered: number;
  fwdBusyNs: number;
  fwdSoftirqNs: number;
  /** The forwarder process's own CPU time (NaN for the kernel). */
  processNs: number;
}

export interface ConnRow {
  id: string;
  label: string;
  cpus: number[];
  sharesGen: boolean;
  na?: string;
  seconds: number;
  requests: number;
  perSec: number;
  fwdBusyNs: number;
  processNs: number;
  errors: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const elapsedS = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

async function measurePps(topo: BenchTopology, f: Forwarder, kind: Kind, cpus: number[], sharesGen: boolean): Promise<PpsRow> {
  const pid = f.pid();
  const c0 = sampleCpus(cpus), p0 = processCpuNs(pid), o0 = topo.offered(), s0 = topo.sinkCount();
  const t0 = process.hrtime.bigint();
  await generate(topo, kind, SECONDS * 1000);
  const seconds = elapsedS(t0);
  const c1 = sampleCpus(cpus), p1 = processCpuNs(pid), o1 = topo.offered();
  await sleep(SETTLE_MS);
  const delivered = topo.sinkCount() - s0;
  return {
    id: f.id, label: f.label, kind, cpus, sharesGen, seconds, offered: o1 - o0, delivered,
    fwdBusyNs: c1.busyNs - c0.busyNs, fwdSoftirqNs: c1.softirqNs - c0.softirqNs, processNs: p1 - p0,
  };
}

async function measureConns(topo: BenchTopology, f: Forwarder, cpus: number[], sharesGen: boolean): Promise<ConnRow> {
  const pid = f.pid();
  const c0 = sampleCpus(cpus), p0 = processCpuNs(pid);
  const w = await runWrk(topo, Math.max(1, Math.round(SECONDS)), WRK_CONNECTIONS);
  const c1 = sampleCpus(cpus), p1 = processCpuNs(pid);
  return {
    id: f.id, label: f.label, cpus, sharesGen, seconds: w.seconds, requests: w.requests, perSec: w.perSec,
    fwdBusyNs: c1.busyNs - c0.busyNs, processNs: p1 - p0, errors: w.errors,
  };
}

/** Every forwarder, in the order they run; TSVS_BENCH_ONLY picks some. */
function forwarders(): Forwarder[] {
  const t = (method: 'nat' | 'fnat', workers: number): Forwarder => tsvs(method, workers, TSVS_RING);
  const all = [nothing, kernelRoute, nftDnat, t('nat', 1), t('fnat', 1), t('nat', 2), t('fnat', 2), haproxy()];
  if (!ONLY) return all;
  const unknown = ONLY.filter((id) => !all.some((f) => f.id === id));
  if (unknown.length) throw new Error(`TSVS_BENCH_ONLY: unknown forwarder ${unknown.join(', ')} (known: ${all.map((f) => f.id).join(' ')})`);
  return all.filter((f) => ONLY.includes(f.id));
}

async function run(topo: BenchTopology, list: Forwarder[], failures: string[]): Promise<{ pps: PpsRow[]; conns: ConnRow[] }> {
  const pps: PpsRow[] = [];
  const conns: ConnRow[] = [];
  if (list.some((f) => f.http)) await startNginx(topo);
  for (const f of list) {
    const { cpus, sharesGen } = forwarderCpus(f.cpuCount);
    const doPps = f.id !== 'haproxy';
    const na = (why: string): void => {
      if (doPps) for (const kind of KINDS) pps.push({ id: f.id, label: f.label, kind, cpus, sharesGen, na: why, seconds: 0, offered: 0, delivered: 0, fwdBusyNs: 0, fwdSoftirqNs: 0, processNs: NaN });
      if (f.http) conns.push({ id: f.id, label: f.label, cpus, sharesGen, na: why, seconds: 0, requests: 0, perSec: 0, fwdBusyNs: 0, processNs: NaN, errors: null });
    };
    console.log(`[${f.label}] on CPU ${cpus.join(',')}`);
    topo.steerTo(cpus);
    try {
      await f.start(topo, cpus);
    } catch (e) {
      const why = (e as Error).message;
      if (e instanceof Refused) na(`daemon refused: ${why}`);
      else {
        na(`failed to start: ${why}`);
        failures.push(`${f.label}: ${why}`);
      }
      console.log(`  n/a: ${why}`);
      await f.stop(topo).catch(() => {});
      continue;
    }
    try {
      if (doPps) {
        topo.sinkOn();
        // A few frames first, so ARP is resolved on every path before anything is timed.
        await generateCount(topo, 'udp', 64, 2000);
        await sleep(SETTLE_MS);
        for (const kind of KINDS) {
          const r = await measurePps(topo, f, kind, cpus, sharesGen);
          console.log(`  ${kind}: offered ${kpps(r.offered, r.seconds)} kpps, delivered ${kpps(r.delivered, r.seconds)} kpps`);
          pps.push(r);
        }
        topo.sinkOff();
      }
      if (f.http) {
        const r = await measureConns(topo, f, cpus, sharesGen);
        console.log(`  http: ${r.perSec.toFixed(0)} conns/s${r.errors ? ` (${r.errors})` : ''}`);
        conns.push(r);
      }
    } catch (e) {
      failures.push(`${f.label}: ${(e as Error).message}`);
      console.log(`  FAILED: ${(e as Error).message}`);
    } finally {
      if (doPps) topo.sinkOff(); // again when a run failed: idempotent
      await f.stop(topo);
    }
  }
  return { pps, conns };
}

// ------------------------------------------------------------------ the report

const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const kpps = (n: number, s: number): string => fmt(n / s / 1000, 1);
const perPkt = (ns: number, n: number): number => (n > 0 ? ns / n : NaN);
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const verdict = (x: number, goal: number): string => (!Number.isFinite(x) ? 'n/a' : x >= goal ? 'met' : 'NOT met');
const loadAvg = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function printPps(rows: PpsRow[]): void {
  console.log(`\nPackets: ${SECONDS} s per run; delivered = counted by the sink; lost = offered - delivered`);
  console.log('  fwd CPU = busy time of the forwarder\'s CPUs per delivered packet (all of it: the kernel\'s veth receive');
  console.log('  and transmit, forwarding, the sink\'s drop, the process; and anything else that ran there);');
  console.log('  softirq = the part in softirq; process = the forwarder process\'s own threads (tsvs); ns per packet.');
  console.log('  x route / x nft: tsvs\'s delivered pps over theirs (same kind); cpu/nft: its fwd CPU per packet over nft\'s.');
  console.log(`  ${'forwarder'.padEnd(28)} ${'kind'.padEnd(4)} ${'CPUs'.padEnd(4)} ${'offered'.padStart(8)} ${'delivered'.padStart(9)} ${'lost'.padStart(6)} ${'fwd CPU'.padStart(8)} ${'softirq'.padStart(8)} ${'process'.padStart(8)} ${'x route'.padStart(8)} ${'x nft'.padStart(6)} ${'cpu/nft'.padStart(8)}`);
  console.log(`  ${''.padEnd(28)} ${''.padEnd(4)} ${''.padEnd(4)} ${'kpps'.padStart(8)} ${'kpps'.padStart(9)} ${'%'.padStart(6)} ${'ns/pkt'.padStart(8)} ${'ns/pkt'.padStart(8)} ${'ns/pkt'.padStart(8)}`);
  const find = (id: string, kind: Kind): PpsRow | undefined => rows.find((r) => r.id === id && r.kind === kind && !r.na);
  for (const r of rows) {
    const head = `  ${r.label.padEnd(28)} ${r.kind.padEnd(4)} ${(r.cpus.join(',') + (r.sharesGen ? '*' : '')).padEnd(4)}`;
    if (r.na) {
      console.log(`${head} n/a (${r.na})`);
      continue;
    }
    const lost = r.offered > 0 ? (100 * (r.offered - r.delivered)) / r.offered : NaN;
    let tail = '';
    if (r.id === 'none') tail = `   sink check: ${r.delivered === 0 ? 'ok (0 counted with nothing forwarding)' : `FAILED (${r.delivered} counted)`}`;
    else if (r.id.startsWith('tsvs')) {
      const route = find('route', r.kind), nft = find('nft', r.kind);
      const cpu = perPkt(r.fwdBusyNs, r.delivered);
      tail = ` ${(route ? ratio(r.delivered / r.seconds, route.delivered / route.seconds) : '-').padStart(8)}`
        + ` ${(nft ? ratio(r.delivered / r.seconds, nft.delivered / nft.seconds) : '-').padStart(6)}`
        + ` ${(nft ? ratio(cpu, perPkt(nft.fwdBusyNs, nft.delivered)) : '-').padStart(8)}`;
    }
    console.log(`${head} ${kpps(r.offered, r.seconds).padStart(8)} ${kpps(r.delivered, r.seconds).padStart(9)} ${fmt(lost, 1).padStart(6)}`
      + ` ${fmt(perPkt(r.fwdBusyNs, r.delivered)).padStart(8)} ${fmt(perPkt(r.fwdSoftirqNs, r.delivered)).padStart(8)} ${fmt(perPkt(r.processNs, r.delivered)).padStart(8)}${tail}`);
  }
  if (rows.some((r) => r.sharesGen && !r.na)) console.log('  * shares CPU0 with the generator (this machine has too few cores for that many forwarder threads)');
}

function printConns(rows: ConnRow[]): void {
  if (rows.length === 0) return;
  console.log(`\nNew connections per second: HTTP/1.1 GET, Connection: close, wrk -t1 -c${WRK_CONNECTIONS} on CPU${GEN_CPU}, one nginx on CPU${GEN_CPU}`);
  console.log('  (the client and server side share a core: when they saturate it, conns/s measures them, and fwd CPU per');
  console.log('  connection is the forwarder\'s figure)');
  console.log(`  ${'forwarder'.padEnd(28)} ${'CPUs'.padEnd(4)} ${'conns/s'.padStart(8)} ${'fwd CPU'.padStart(8)} ${'process'.padStart(8)} ${'x HAProxy'.padStart(9)} ${'cpu/HAProxy'.padStart(11)}  errors`);
  console.log(`  ${''.padEnd(28)} ${''.padEnd(4)} ${''.padStart(8)} ${'us/conn'.padStart(8)} ${'us/conn'.padStart(8)}`);
  const ha = rows.find((r) => r.id === 'haproxy' && !r.na);
  for (const r of rows) {
    const head = `  ${r.label.padEnd(28)} ${(r.cpus.join(',') + (r.sharesGen ? '*' : '')).padEnd(4)}`;
    if (r.na) {
      console.log(`${head} n/a (${r.na})`);
      continue;
    }
    const cpu = perPkt(r.fwdBusyNs, r.requests) / 1000;
    const cmp = ha && r.id !== 'haproxy';
    console.log(`${head} ${fmt(r.perSec).padStart(8)} ${fmt(cpu, 1).padStart(8)} ${fmt(perPkt(r.processNs, r.requests) / 1000, 1).padStart(8)}`
      + ` ${(cmp ? ratio(r.perSec, ha.perSec) : '').padStart(9)} ${(cmp ? ratio(cpu, perPkt(ha.fwdBusyNs, ha.requests) / 1000) : '').padStart(11)}  ${r.errors ?? '-'}`);
  }
}

function printGoals(pps: PpsRow[], conns: ConnRow[]): void {
  console.log('\nGoals (issue 3)');
  const rate = (r: PpsRow | undefined): number => (r && !r.na ? r.delivered / r.seconds : NaN);
  const vsNft: string[] = [];
  for (const method of ['nat', 'fnat']) {
    for (const kind of KINDS) {
      const t = pps.find((r) => r.id === `tsvs-${method}-1w` && r.kind === kind);
      const nft = pps.find((r) => r.id === 'nft' && r.kind === kind);
      if (!t || !nft) continue;
      const x = rate(t) / rate(nft);
      vsNft.push(`${method === 'nat' ? 'NAT' : 'FullNAT'} ${kind} ${Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a'} ${verdict(x, GOAL_VS_NFT)}`);
    }
  }
  console.log(`  tsvs 1 worker >= ${GOAL_VS_NFT.toFixed(1)}x nftables pps:   ${vsNft.join('; ') || 'not run'}`);
  const ha = conns.find((r) => r.id === 'haproxy' && !r.na);
  const vsHa = conns.filter((r) => r.id.startsWith('tsvs')).map((r) => {
    const x = r.na || !ha ? NaN : r.perSec / ha.perSec;
    return `${r.label} ${Number.isFinite(x) ? `${x.toFixed(2)}x ${verdict(x, GOAL_VS_HAPROXY)}` : r.na ? 'n/a' : 'n/a (no HAProxy figure)'}`;
  });
  console.log(`  tsvs >= ${GOAL_VS_HAPROXY.toFixed(1)}x HAProxy conns/s:      ${vsHa.join('; ') || 'not run'}`);
  for (const why of new Set(conns.filter((r) => r.id.startsWith('tsvs') && r.na).map((r) => r.na))) console.log(`    n/a: ${why}`);
  // Each 2-worker row against its 1-worker row; one line per distinct reason when refused.
  const scale: string[] = [];
  for (const two of pps.filter((r) => /^tsvs-\w+-2w$/.test(r.id))) {
    const one = pps.find((r) => r.id === two.id.replace('-2w', '-1w') && r.kind === two.kind);
    const name = `${two.id.includes('fnat') ? 'FullNAT' : 'NAT'} ${two.kind}`;
    if (two.na) scale.push(`${name} n/a`);
    else if (!one || one.na) scale.push(`${name} n/a (no 1-worker figure)`);
    else {
      const x = rate(two) / rate(one);
      scale.push(`${name} ${x.toFixed(2)}x ${verdict(x, GOAL_SCALING)}${two.sharesGen ? ' (a worker shares the generator\'s CPU)' : ''}`);
    }
  }
  const refused = [...new Set(pps.filter((r) => /^tsvs-\w+-2w$/.test(r.id) && r.na).map((r) => r.na))];
  console.log(`  2 workers >= ${GOAL_SCALING.toFixed(1)}x one (pps):        ${scale.join('; ') || 'not run'}`);
  for (const why of refused) console.log(`    n/a: ${why}`);
  console.log('  When a forwarder delivers everything offered, the generator is the limit and pps ratios say 1.0x;');
  console.log('  the CPU per packet columns are then the comparison.');
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench:e2e needs root: it creates network namespaces, nftables tables and AF_PACKET sockets (run it with sudo).');
    return 1;
  }
  if (!(SECONDS > 0 && SECONDS <= 3600)) {
    console.error(`TSVS_BENCH_SECONDS must be a number of seconds in (0, 3600], not "${process.env.TSVS_BENCH_SECONDS}"`);
    return 1;
  }
  const badKind = KINDS.find((k) => k !== 'udp' && k !== 'syn');
  if (badKind !== undefined) {
    console.error(`TSVS_BENCH_KINDS: unknown kind "${badKind}" (known: udp, syn)`);
    return 1;
  }
  const missing = TOOLS.filter(([p]) => findProgram(p) === null);
  if (missing.length) {
    console.error(`bench:e2e needs ${missing.map(([p, pkg]) => `${p} (Debian package ${pkg})`).join(', ')}: apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`);
    return 1;
  }
  let list: Forwarder[];
  try {
    list = forwarders();
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
  const cpus = os.cpus();
  console.log('tsvs end-to-end benchmark: the same namespaces, one forwarder at a time');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.type()} ${os.release()}, node ${process.version}`);
  console.log(`load average before: ${loadAvg()} (other work on these cores shows up in every figure)`);
  console.log(`generator: trafgen, 1 sender on CPU${GEN_CPU} (blocking sendto, qdisc bypass), 60-byte frames: UDP over`
    + ` ${FLOWS.udp.addrs * FLOWS.udp.ports} flows, TCP SYN over ${FLOWS.syn.addrs * FLOWS.syn.ports} flows, random per frame`);
  console.log('forwarder: the other CPUs (taskset; the in-interface\'s receive steered there by RPS); sink: nft netdev ingress');
  console.log('  counter + drop on the server interface');
  if (TSVS_RING) console.log(`tsvs ring: ${TSVS_RING}`);
  const topo = new BenchTopology();
  const failures: string[] = [];
  let result: { pps: PpsRow[]; conns: ConnRow[] } = { pps: [], conns: [] };
  try {
    topo.build();
    result = await run(topo, list, failures);
  } catch (e) {
    failures.push((e as Error).message);
  } finally {
    await topo.destroy();
  }
  printPps(result.pps);
  printConns(result.conns);
  printGoals(result.pps, result.conns);
  console.log(`\nload average after: ${loadAvg()}`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
  const leak = result.pps.find((r) => r.id === 'none' && !r.na && r.delivered !== 0);
  if (leak) failures.push(`the sink counted ${leak.delivered} packets with nothing forwarding`);
  if (failures.length) {
    console.error(`\nBENCHMARK FAILED:\n  ${failures.join('\n  ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();

// A worker thread: one Engine on one driver. The loop is rx burst -> engine -> flush, timers
// between bursts, and new configuration only between bursts. Never posts or allocates per packet.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { applyCommand } from '../control/apply.js';
import type { RxHandler, PortDriver } from '../drivers/driver.js';
import { openWorkerDriver } from '../drivers/open.js';
import { MAX_PORTS, NetCounters, PC_RX_MISSED, PORT_COUNTERS } from '../netif/counters.js';
import { IpvsStats } from '../ipvs/stats.js';
import { destKeyOf, serviceKeyText } from '../control/service-key.js';
import { Engine } from './engine.js';
import { answerQuery } from './query.js';
import { ownedAddrs } from './owned.js';
import { type OwnedAddrs, sameOwnedAddrs } from '../drivers/driver.js';
import {
  CTL_APPLIED, CTL_POSTED, CTL_QUERY, CTL_STOP, type ConfigBatch, type FromWorker, type StatsView, type ToWorker, type WorkerInit,
  WS_BURSTS, WS_CONNS, WS_SCALARS, WS_TOA_NO_ROOM, WS_TX_RING_DROPS,
} from './shared.js';

/** Frames per burst: enough to amortise the per-burst work, small enough to keep timers on time. */
const BURST = 64;
/**
 * Longest idle sleep. The driver's wait returns early on traffic (and the memory driver on a
 * configuration wake-up); this bound is the worst-case delay for configuration and timers.
 */
const IDLE_WAIT_MS = 10;

const init = workerData as WorkerInit;
const ctl = new Int32Array(init.ctl);
const scalars = new Float64Array(init.counters);
const sharedAlloc = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(n * 8));
const driver: PortDriver = openWorkerDriver(init.driver);
parentPort!.postMessage({ type: 'ready' } satisfies FromWorker);
const clock = { now: (): number => performance.now() };
const engine = new Engine(driver, clock, {
  connCapacity: init.connCapacity,
  worker: init.index,
  workers: init.workers,
  counters: new NetCounters(scalars, WS_SCALARS),
  stats: new IpvsStats(sharedAlloc),
  answerNeighbours: init.driver.answerNeighbours ?? true,
  answerServiceAddrs: init.answerServiceAddrs,
  // performance.now() counts from this thread's timeOrigin: adding it gives wall time.
  fnat: { ...init.fnat, isnClockOffsetMs: performance.timeOrigin },
});
// Bound once: the driver calls this per frame, and a closure per packet is what we must avoid.
const input: RxHandler = (port, buf, off, len) => engine.input(port, buf, off, len);
let applied = 0;
let answered = 0;
let owned: OwnedAddrs = { vips: [], lips: [], local: [] };

function post(m: FromWorker): void {
  parentPort!.postMessage(m);
}

/** Applies one whole batch; a command that fails (it passed the shadow check) is reported, not fatal. */
function applyBatch(batch: ConfigBatch): void {
  const errors: string[] = [];
  for (const cmd of batch.commands) {
    try {
      applyCommand(engine, cmd);
    } catch (e) {
      errors.push(`${cmd.kind}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Before the ack: once every worker acked, a new LIP's replies are steered to its owner.
  const now = ownedAddrs(engine);
  if (!sameOwnedAddrs(now, owned)) {
    owned = now;
    driver.addressesChanged?.(now);
  }
  applied = batch.version;
  Atomics.store(ctl, CTL_APPLIED, applied);
  post({ type: 'applied', version: applied, stats: statsView(), errors });
}

function statsView(): StatsView {
  const ipvs = engine.ipvs;
  const svcKeys = ipvs.services.map((s) => (s ? serviceKeyText(s.key) : null));
  const destKeys = ipvs.dests.map((d) => (d ? destKeyOf(serviceKeyText(d.svc.key), d.addr, d.port) : null));
  return { svc: ipvs.stats.svc, dest: ipvs.stats.dest, svcKeys, destKeys };
}

/** Drains the config port up to the posted version. A batch is only ever applied whole. */
function takeConfig(): void {
  for (;;) {
    const m = receiveMessageOnPort(init.config);
    if (m === undefined) return;
    const msg = m.message as ToWorker;
    if (msg.type === 'crash') {
      if (init.testHooks) throw new Error(`worker ${init.index}: crash requested by a test`);
      continue;
    }
    if (msg.type === 'query') {
      answered = msg.seq;
      post({ type: 'answer', seq: msg.seq, answer: answerQuery(engine, msg.query, clock.now()) });
      continue;
    }
    if (msg.batch.version > applied) applyBatch(msg.batch);
  }
}

/** How often the driver's receive-loss counters are read (a system call per socket). */
const RX_MISSED_EVERY_MS = 200;
const missed = new Float64Array(MAX_PORTS);
let missedAt = 0;

/** Folds the driver's receive-ring losses into each port's imissed counter, now and then. */
function collectMissed(now: number): void {
  if (now < missedAt || !driver.rxMissed) return;
  missedAt = now + RX_MISSED_EVERY_MS;
  driver.rxMissed(missed);
  const port = engine.stack.counters.port;
  for (let p = 0; p < MAX_PORTS; p++) {
    if (missed[p] !== 0) port[p * PORT_COUNTERS + PC_RX_MISSED]! += missed[p]!;
  }
  missed.fill(0);
}

function publish(): void {
  scalars[WS_CONNS] = engine.conns.count;
  scalars[WS_TOA_NO_ROOM] = engine.stack.counters.toaNoRoom;
  scalars[WS_TX_RING_DROPS] = driver.txDrops();
  scalars[WS_BURSTS]!++;
}

function burst(): number {
  const n = driver.rxBurst(input, BURST);
  const now = clock.now();
  engine.tick(now);
  collectMissed(now);
  // Counters before the flush: whoever sees this burst's frames also sees its counts.
  publish();
  driver.flush();
  return n;
}

function run(): void {
  applyBatch(init.initial);
  while (Atomics.load(ctl, CTL_STOP) === 0) {
    if (Atomics.load(ctl, CTL_POSTED) !== applied || Atomics.load(ctl, CTL_QUERY) !== answered) takeConfig();
    if (burst() === 0) driver.wait(IDLE_WAIT_MS);
  }
  driver.close();
  init.config.close();
  post({ type: 'stopped' });
}

run();

// The main thread's view of the worker threads: starts them, posts configuration batches and
// waits until every worker applied them, restarts a worker that dies, and sums their counters.

import { MessageChannel, Worker } from 'node:worker_threads';
import type { DriverHost } from '../drivers/driver.js';
import { ST_FIELDS } from '../ipvs/stats.js';
import {
  COUNTER_SLOTS, CTL_POSTED, CTL_QUERY, CTL_STOP, CTL_WORDS, type ConfigBatch, type FromWorker, type StatsView, type ToWorker,
  type WorkerInit, WS_CONNS,
} from '../worker/shared.js';
import type { QueryAnswer, WorkerQuery } from '../worker/query.js';
import type { Logger } from './log.js';

const THREAD_URL = new URL('../worker/thread.js', import.meta.url);
/** How long a stopping worker gets to finish its burst before it is terminated. */
const STOP_GRACE_MS = 2000;

export interface PoolOptions {
  readonly workers: number;
  readonly driver: DriverHost;
  readonly connCapacity: number;
  /** tsvs.conf's service_addr_arp (default true). */
  readonly answerServiceAddrs?: boolean;
  /** FullNAT ISN secret and LIP port-ring seed for every worker (see WorkerInit.fnat). */
  readonly fnat: { readonly seqSecret: number; readonly lportSeed: number };
  readonly log: Logger;
  readonly testHooks: boolean;
  /** The configuration a (re)started worker begins with: every batch applied so far. */
  readonly current: () => ConfigBatch;
}

/** One worker index; its thread may be replaced, its counter slots stay (counts continue). */
interface Slot {
  readonly index: number;
  readonly counters: SharedArrayBuffer;
  worker: Worker | null;
  ctl: Int32Array;
  config: MessagePort | null;
  applied: number;
  stats: StatsView | null;
  restarts: number;
  /** Queries posted to the current thread, by sequence number. */
  readonly queries: Map<number, (a: QueryAnswer | null) => void>;
  /** Its thread reported 'ready' (driver open) and has not exited since. */
  joined: boolean;
}

type MessagePort = import('node:worker_threads').MessagePort;

/** Summed counters: what listings and (later) the metrics endpoint read. */
export interface Totals {
  /** Sum over workers of the worker counter block (layout in worker/shared.ts). */
  readonly counters: Float64Array;
  readonly connsPerWorker: readonly number[];
  /** ST_FIELDS numbers per service / dest key, summed over workers (including restarted ones). */
  readonly svc: ReadonlyMap<string, Float64Array>;
  readonly dest: ReadonlyMap<string, Float64Array>;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private waiters: { version: number; resolve: () => void }[] = [];
  private stopping = false;
  private querySeq = 0;
  /** IPVS stats of worker threads that died, by key, so sums never go backwards. */
  private readonly retiredSvc = new Map<string, Float64Array>();
  private readonly retiredDest = new Map<string, Float64Array>();
  /**
   * Threads start one at a time: the next one only once the previous opened its driver. The
   * afpacket fanout numbers its members by join order, so worker i must join before worker i+1.
   */
  private joining: Slot | null = null;
  private readonly toSpawn: Slot[] = [];

  constructor(private readonly o: PoolOptions) {
    for (let i = 0; i < o.workers; i++) {
      this.slots.push({
        index: i, counters: new SharedArrayBuffer(COUNTER_SLOTS * 8), worker: null, ctl: new Int32Array(0),
        config: null, applied: 0, stats: null, restarts: 0, queries: new Map(), joined: false,
      });
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Starts every worker on the current configuration; resolves when all have applied it. */
  async start(): Promise<void> {
    for (const s of this.slots) this.requestSpawn(s);
    await this.appliedEverywhere(this.o.current().version);
  }

  /** Posts a batch to every worker; resolves when each has applied it (a restarted one included). */
  broadcast(batch: ConfigBatch): Promise<void> {
    for (const s of this.slots) this.post(s, { type: 'config', batch }, batch.version);
    return this.appliedEverywhere(batch.version);
  }

  /**
   * Asks every worker the same read-only question; answers come in worker order, null for a
   * worker that is restarting (its state is gone anyway). Workers answer between two bursts.
   */
  query(q: WorkerQuery): Promise<(QueryAnswer | null)[]> {
    return Promise.all(this.slots.map((s) => this.queryOne(s.index, q)));
  }

  /** One worker's answer (null while it restarts). */
  queryOne(index: number, q: WorkerQuery): Promise<QueryAnswer | null> {
    const s = this.slots[index]!;
    const seq = ++this.querySeq;
    return new Promise<QueryAnswer | null>((resolve) => {
      if (!s.config || !s.worker) return resolve(null);
      s.queries.set(seq, resolve);
      s.config.postMessage({ type: 'query', seq, query: q } satisfies ToWorker);
      Atomics.store(s.ctl, CTL_QUERY, seq);
      this.o.driver.wake(s.index);
    });
  }

  /** Test hook: makes worker `index` throw between two bursts (testHooks only). */
  crash(index: number): void {
    if (!this.o.testHooks) throw new Error('crash() is a test hook: start the pool with testHooks');
    const s = this.slots[index]!;
    this.post(s, { type: 'crash' }, Atomics.load(s.ctl, CTL_POSTED) + 1);
  }

  /** Test hook: the thread of worker `index`, to terminate() it as if it had died. */
  thread(index: number): Worker | null {
    return this.slots[index]!.worker;
  }

  restarts(index: number): number {
    return this.slots[index]!.restarts;
  }

  /**
   * Worker `index`'s counter block (layout in worker/shared.ts), live: the worker writes it in
   * place, so a reader sees the counts as of the last burst. Read-only for the caller (/metrics).
   */
  counters(index: number): Float64Array {
    return new Float64Array(this.slots[index]!.counters);
  }

  private post(s: Slot, m: ToWorker, posted: number): void {
    if (!s.config) return;
    // Message first, flag second: a worker that sees the flag finds the message on its port.
    s.config.postMessage(m);
    Atomics.store(s.ctl, CTL_POSTED, posted);
    this.o.driver.wake(s.index);
  }

  private appliedEverywhere(version: number): Promise<void> {
    if (this.slots.every((s) => s.applied >= version)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ version, resolve }));
  }

  private checkWaiters(): void {
    const min = Math.min(...this.slots.map((s) => s.applied));
    const ready = this.waiters.filter((w) => w.version <= min);
    this.waiters = this.waiters.filter((w) => w.version > min);
    for (const w of ready) w.resolve();
  }

  private requestSpawn(s: Slot): void {
    this.toSpawn.push(s);
    this.spawnNext();
  }

  private spawnNext(): void {
    if (this.joining !== null || this.stopping) return;
    const s = this.toSpawn.shift();
    if (s === undefined) return;
    this.joining = s;
    this.spawn(s);
  }

  /** The joining thread opened its driver, or died trying: the next may start. */
  private joinDone(s: Slot): void {
    if (this.joining !== s) return;
    this.joining = null;
    this.spawnNext();
  }

  private spawn(s: Slot): void {
    const ctl = new SharedArrayBuffer(CTL_WORDS * 4);
    const ch = new MessageChannel();
    const initial = this.o.current();
    const init: WorkerInit = {
      index: s.index, workers: this.slots.length, ctl, counters: s.counters, driver: this.o.driver.workerInit(s.index),
      config: ch.port2, initial, connCapacity: this.o.connCapacity,
      answerServiceAddrs: this.o.answerServiceAddrs ?? true, fnat: this.o.fnat, testHooks: this.o.testHooks,
    };
    const w = new Worker(THREAD_URL, { workerData: init, transferList: [ch.port2] });
    s.worker = w;
    s.ctl = new Int32Array(ctl);
    Atomics.store(s.ctl, CTL_POSTED, initial.version);
    s.config = ch.port1;
    s.applied = 0;
    w.on('message', (m: FromWorker) => {
      if (s.worker !== w) return;
      if (m.type === 'answer') {
        s.queries.get(m.seq)?.(m.answer);
        s.queries.delete(m.seq);
        return;
      }
      if (m.type === 'ready') {
        s.joined = true;
        this.o.driver.workerJoined?.(s.index);
        this.joinDone(s);
        return;
      }
      if (m.type !== 'applied') return;
      s.applied = m.version;
      s.stats = m.stats;
      for (const e of m.errors) this.o.log({ level: 'error', event: 'worker_apply_failed', worker: s.index, version: m.version, error: e });
      this.checkWaiters();
    });
    w.on('error', (e) => {
      this.o.log({ level: 'error', event: 'worker_error', worker: s.index, error: e.message, stack: e.stack });
    });
    w.on('exit', (code) => {
      if (s.worker !== w) return;
      s.worker = null;
      for (const resolve of s.queries.values()) resolve(null);
      s.queries.clear();
      s.config?.close();
      s.config = null;
      // Its sockets closed with its thread (the kernel moved the last fanout member into its slot).
      if (s.joined) this.o.driver.workerLeft?.(s.index);
      s.joined = false;
      this.joinDone(s);
      // Its connections died with it: the count it published no longer exists.
      new Float64Array(s.counters)[WS_CONNS] = 0;
      if (this.stopping) return;
      this.retire(s);
      s.restarts++;
      this.o.log({
        level: 'error', event: 'worker_restart', worker: s.index, exitCode: code, restarts: s.restarts,
        note: 'the worker\'s connections are lost; it restarts with the current configuration',
      });
      // Back off when a worker keeps dying, so a crash loop does not eat the control plane.
      setTimeout(() => { if (!this.stopping) this.requestSpawn(s); }, Math.min(100 * (s.restarts - 1), 5000));
    });
  }

  /** Folds a dead worker's IPVS stats into the retired sums. */
  private retire(s: Slot): void {
    if (s.stats) addStats(this.retiredSvc, this.retiredDest, s.stats);
    s.stats = null;
  }

  /** Forgets retired stats of what `tsvsadm -Z` zeroes (one service's key, or all). */
  zeroRetired(svcKey?: string): void {
    for (const k of [...this.retiredSvc.keys()]) if (svcKey === undefined || k === svcKey) this.retiredSvc.delete(k);
    for (const k of [...this.retiredDest.keys()]) if (svcKey === undefined || k.startsWith(`${svcKey} -> `)) this.retiredDest.delete(k);
  }

  totals(): Totals {
    const counters = new Float64Array(COUNTER_SLOTS);
    const connsPerWorker: number[] = [];
    const svc = new Map<string, Float64Array>();
    const dest = new Map<string, Float64Array>();
    for (const [k, v] of this.retiredSvc) svc.set(k, v.slice());
    for (const [k, v] of this.retiredDest) dest.set(k, v.slice());
    for (const s of this.slots) {
      const c = new Float64Array(s.counters);
      for (let i = 0; i < COUNTER_SLOTS; i++) counters[i]! += c[i]!;
      connsPerWorker.push(c[WS_CONNS]!);
      if (s.stats) addStats(svc, dest, s.stats);
    }
    return { counters, connsPerWorker, svc, dest };
  }

  /** Each worker's own counter block (a copy; layout in worker/shared.ts), for per-worker listings. */
  workerCounters(): Float64Array[] {
    return this.slots.map((s) => new Float64Array(s.counters).slice());
  }

  /** Stops every worker between bursts; terminates one that does not stop in time. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map(async (s) => {
      const w = s.worker;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      Atomics.store(s.ctl, CTL_STOP, 1);
      this.o.driver.wake(s.index);
      const timer = setTimeout(() => { void w.terminate(); }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

function addStats(svc: Map<string, Float64Array>, dest: Map<string, Float64Array>, v: StatsView): void {
  const add = (into: Map<string, Float64Array>, keys: readonly (string | null)[], arr: Float64Array): void => {
    keys.forEach((k, id) => {
      if (k === null) return;
      let t = into.get(k);
      if (!t) into.set(k, (t = new Float64Array(ST_FIELDS)));
      for (let f = 0; f < ST_FIELDS; f++) t[f]! += arr[id * ST_FIELDS + f]!;
    });
  };
  add(svc, v.svcKeys, v.svc);
  add(dest, v.destKeys, v.dest);
}

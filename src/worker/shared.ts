// What the main thread and a worker thread share: the control words, the counter slots, and the
// messages between them. Both sides import this file; it holds no state of its own.

import type { Command } from '../control/commands.js';
import type { MessagePort } from 'node:worker_threads';
import type { DriverInit } from '../drivers/driver.js';
import type { QueryAnswer, WorkerQuery } from './query.js';
import { NET_COUNTER_SLOTS } from '../netif/counters.js';

/*
 * Control words, one Int32Array per worker (CTL_WORDS):
 *   CTL_POSTED   main: newest configuration version posted on the config port
 *   CTL_APPLIED  worker: newest version it has applied in full (between two bursts)
 *   CTL_STOP     main: 1 = finish the current burst, close the driver and return
 *   CTL_QUERY    main: sequence number of the newest read-only query posted on the config port
 *
 * Counters, one Float64Array per worker (COUNTER_SLOTS), written only by the worker:
 *   [0, WS_SCALARS)                 the scalars below, refreshed after every burst
 *   [WS_SCALARS, COUNTER_SLOTS)     NetCounters (drops by reason, then per-port counters),
 *                                   incremented in place by the engine
 * IPVS per-service and per-dest stats live in SharedArrayBuffers the worker allocates as it
 * grows them; it sends the current views with every 'applied' message, with the id -> key maps
 * the main thread needs to sum by service and dest (ids differ between workers).
 */
export const CTL_POSTED = 0;
export const CTL_APPLIED = 1;
export const CTL_STOP = 2;
export const CTL_QUERY = 3;
export const CTL_WORDS = 8;

export const WS_CONNS = 0;
export const WS_TOA_NO_ROOM = 1;
export const WS_TX_RING_DROPS = 2;
export const WS_BURSTS = 3;
export const WS_SCALARS = 8;
export const COUNTER_SLOTS = WS_SCALARS + NET_COUNTER_SLOTS;

/** A batch of configuration commands, applied whole between two bursts. */
export interface ConfigBatch {
  readonly version: number;
  readonly commands: readonly Command[];
}

/** workerData of a worker thread. */
export interface WorkerInit {
  readonly index: number;
  readonly workers: number;
  readonly ctl: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly driver: DriverInit;
  /** The port the main thread posts ConfigBatch (and test hooks) on; read with receiveMessageOnPort. */
  readonly config: MessagePort;
  /** Everything configured so far, applied before the first burst (a restart starts from here). */
  readonly initial: ConfigBatch;
  readonly connCapacity: number;
  /** tsvs.conf's service_addr_arp: see Stack.answerServiceAddrs. */
  readonly answerServiceAddrs: boolean;
  /** The daemon's FullNAT ISN secret and LIP port-ring seed (the same for every worker and restart). */
  readonly fnat: { readonly seqSecret: number; readonly lportSeed: number };
  /** Accept the test-only 'crash' message. */
  readonly testHooks: boolean;
}

export type ToWorker =
  | { readonly type: 'config'; readonly batch: ConfigBatch }
  | { readonly type: 'query'; readonly seq: number; readonly query: WorkerQuery }
  | { readonly type: 'crash' };

export interface StatsView {
  readonly svc: Float64Array;
  readonly dest: Float64Array;
  /** Service and dest keys by id (null: free id), so the main thread sums like with like. */
  readonly svcKeys: readonly (string | null)[];
  readonly destKeys: readonly (string | null)[];
}

export type FromWorker =
  /** The driver is open (afpacket: its sockets joined their fanout groups): the next worker may start. */
  | { readonly type: 'ready' }
  | { readonly type: 'applied'; readonly version: number; readonly stats: StatsView; readonly errors: readonly string[] }
  | { readonly type: 'answer'; readonly seq: number; readonly answer: QueryAnswer }
  | { readonly type: 'stopped' };

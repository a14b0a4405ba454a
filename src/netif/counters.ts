// Per-worker counters: per-port rx/tx/kernel, and drops by reason. Plain Float64Arrays, or views
// into a SharedArrayBuffer when the engine runs in a worker thread (the control plane sums them).

import { DROP_REASON_COUNT } from '../packet/drop-reason.js';

/** Per-port counter layout: index = port * PORT_COUNTERS + one of these. */
export const PC_RX_PKTS = 0;
export const PC_RX_BYTES = 1;
export const PC_TX_PKTS = 2;
export const PC_TX_BYTES = 3;
export const PC_KERNEL_PKTS = 4;
export const PC_DROPS = 5;
/**
 * Frames the NIC side lost before tsvs saw them (AF_PACKET: the receive ring was full). Filled
 * by the driver, not the engine; dpip calls it imissed.
 */
export const PC_RX_MISSED = 6;
export const PORT_COUNTERS = 7;
export const MAX_PORTS = 64;

/** Float64 slots NetCounters' two arrays need, for callers that lay them out in shared memory. */
export const NET_COUNTER_SLOTS = DROP_REASON_COUNT + MAX_PORTS * PORT_COUNTERS;

export class NetCounters {
  readonly drops: Float64Array;
  readonly port: Float64Array;
  /** FullNAT segments forwarded without a TOA because the header had no room. */
  toaNoRoom = 0;

  /** `shared`, when given, holds both arrays (NET_COUNTER_SLOTS floats from slot `at`). */
  constructor(shared?: Float64Array, at = 0) {
    this.drops = shared ? shared.subarray(at, at + DROP_REASON_COUNT) : new Float64Array(DROP_REASON_COUNT);
    this.port = shared ? shared.subarray(at + DROP_REASON_COUNT, at + NET_COUNTER_SLOTS) : new Float64Array(MAX_PORTS * PORT_COUNTERS);
  }
}

// Per-worker counters: per-port rx/tx/kernel, and drops by reason. Plain Float64Arrays now;
// they become SharedArrayBuffer views when workers run in threads (the control plane sums them).

import { DROP_REASON_COUNT } from '../packet/drop-reason.js';

/** Per-port counter layout: index = port * PORT_COUNTERS + one of these. */
export const PC_RX_PKTS = 0;
export const PC_RX_BYTES = 1;
export const PC_TX_PKTS = 2;
export const PC_TX_BYTES = 3;
export const PC_KERNEL_PKTS = 4;
export const PC_DROPS = 5;
export const PORT_COUNTERS = 6;
export const MAX_PORTS = 64;

export class NetCounters {
  readonly drops = new Float64Array(DROP_REASON_COUNT);
  readonly port = new Float64Array(MAX_PORTS * PORT_COUNTERS);
  /** FullNAT segments forwarded without a TOA because the header had no room. */
  toaNoRoom = 0;
}

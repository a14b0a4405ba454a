// End to end, scenario S6 (IP tunnel, one-arm): tsvs wraps each client packet in IPIP to the real
// server, whose user-space decapsulator (test/support/ipip-decap.ts) stands in for tunl0; the
// replies go from the servers to the client's router directly.

import { oneArmSuite } from './one-arm-suite.js';

/** Worker counts to run the suite with; [1, 2] once the afpacket driver steers several workers. */
const WORKERS = [1, 2];

for (const workers of WORKERS) oneArmSuite('tun', workers);

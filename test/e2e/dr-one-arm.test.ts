// End to end, scenario S5 (direct routing, one-arm): real servers hold the VIP on lo; tsvs only
// rewrites the destination MAC and the replies go from the servers to the client's router directly.

import { oneArmSuite } from './one-arm-suite.js';

/** Worker counts to run the suite with; [1, 2] once the afpacket driver steers several workers. */
const WORKERS = [1, 2];

for (const workers of WORKERS) oneArmSuite('dr', workers);

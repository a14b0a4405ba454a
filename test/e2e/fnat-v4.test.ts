// End to end, FullNAT over IPv4 with scenario S1's lines (issue 3, "End to end" item 1) through
// the shared method suite: rr, wrr 3:1 and mh proportions, wrk, 100 MB each way, a silent kernel.

import { fnatRrLines } from '../../src/lab/netns-lab.js';
import { E2E_WORKERS, lbSuite } from './lb-suite.js';

for (const workers of E2E_WORKERS) {
  lbSuite({ title: 'FullNAT IPv4 two-arm (S1)', lab: { clientAf: 4, serverAf: 4 }, lines: fnatRrLines(2), seen: 'lip' }, workers);
}

// How support tests treat an outside tool (tshark, scapy): run it when present; when it is missing,
// skip with the install hint on a developer machine, but fail under CI, where it must be installed.

import type { TestContext } from 'node:test';

/** Returns true when the test may go on; otherwise skips it (or, under CI, fails it). */
export function haveTool(t: TestContext, present: boolean, what: string, install: string): boolean {
  if (present) return true;
  if (process.env.CI) throw new Error(`${what} is required under CI: ${install}`);
  t.skip(`${what} is not installed (${install}); CI runs this test`);
  return false;
}

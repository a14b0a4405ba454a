// tsvs daemon in-process with the test hooks on, for end-to-end tests that crash a worker: run as
// `ip netns exec NS node daemon-peer.js tsvs.conf`. Not a test file itself.
//
// Logs as the daemon does (JSON lines on stderr). Each stdin line `crash I` makes worker I throw;
// once it is back and has applied the configuration, stdout gets {"event":"restarted","worker":I}.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemon } from '../../src/control/daemon.js';
import { parseDaemonConfig } from '../../src/control/config-file.js';

const file = process.argv[2]!;
const daemon = await Daemon.start({ config: parseDaemonConfig(readFileSync(file, 'utf8'), file), testHooks: true });

async function crash(i: number): Promise<void> {
  const before = daemon.pool.restarts(i);
  daemon.pool.crash(i);
  while (daemon.pool.restarts(i) === before) await sleep(10);
  // An empty batch is answered once every worker applied it: the restarted one is back.
  await daemon.applyBatch([]);
  // Its join moved the fanout slots; each worker re-installs the program at its next burst.
  await sleep(50);
  process.stdout.write(JSON.stringify({ event: 'restarted', worker: i }) + '\n');
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^crash (\d+)$/.exec(line.trim());
  if (m) void crash(Number(m[1]));
});
process.once('SIGTERM', () => void daemon.stop().then(() => process.exit(0)));

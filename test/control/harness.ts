// Runs a daemon in this process with the memory ring driver: a temp dir for its socket, a client
// that speaks the socket protocol, and waits for frames the worker threads send.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/control/daemon.js';
import type { DaemonConfig } from '../../src/control/config-file.js';
import type { LogRecord } from '../../src/control/log.js';
import { type ControlResponse, controlRequest } from '../../src/control/socket.js';
import { MemoryRingHost, type TxFrame } from '../../src/drivers/memory-rings.js';
import { splitScript } from '../../src/control/shell-words.js';

export interface Harness {
  readonly daemon: Daemon;
  readonly rings: MemoryRingHost;
  readonly logs: LogRecord[];
  /** Sends one command line (program name first) as argv. */
  cmd(line: string): Promise<ControlResponse>;
  /** Sends a script as one atomic batch. */
  batch(text: string): Promise<ControlResponse>;
  /** Waits until worker `w` has sent at least n frames (since the last call) and returns them. */
  tx(w: number, n: number, timeoutMs?: number): Promise<TxFrame[]>;
  close(): Promise<void>;
}

let nextId = 1;

export async function startDaemon(workers = 2, extra: Partial<DaemonConfig> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-daemon-'));
  const config: DaemonConfig = {
    workers, driver: 'memory', socket: join(dir, 'tsvs.sock'), connCapacity: 1 << 12,
    ring: { ringVersion: 2, frames: 256, frameSize: 2048, blockSize: 1 << 16, retireMs: 1 }, ports: [], ...extra,
  };
  // `extra.socket` puts the socket elsewhere (a client that was started first waits there).
  const socket = config.socket;
  const rings = new MemoryRingHost(workers, { slots: 256, frameSize: 2048 });
  const logs: LogRecord[] = [];
  // Port rings from 1025, so listings name exact LIP ports.
  const daemon = await Daemon.start({ config, driver: rings, log: (r) => logs.push(r), testHooks: true, lportSeed: 0 });
  const pending: TxFrame[][] = Array.from({ length: workers }, () => []);
  return {
    daemon, rings, logs,
    cmd: (line) => controlRequest(socket, { id: nextId++, argv: splitScript(line)[0]!.words }),
    batch: (text) => controlRequest(socket, { id: nextId++, batch: text }),
    async tx(w, n, timeoutMs = 2000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        pending[w]!.push(...rings.takeTx(w));
        if (pending[w]!.length >= n || Date.now() > until) return pending[w]!.splice(0);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    async close() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends every line of a script as its own argv request; fails on the first error. */
export async function configure(h: Harness, script: string): Promise<void> {
  for (const l of splitScript(script)) {
    const r = await h.cmd(l.source);
    if (!r.ok) throw new Error(`${l.source}: ${r.error}`);
  }
}

/** Sends one read-only command line and returns its output; fails the test on an error. */
export async function output(h: Harness, line: string): Promise<string> {
  const r = await h.cmd(line);
  if (!r.ok) throw new Error(`${line}: ${r.error}`);
  return r.output ?? '';
}

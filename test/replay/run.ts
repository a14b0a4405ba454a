// Runs `tsvs replay` the way an operator does: the built CLI in a child process, in a temporary
// directory holding the config and the input captures; the directory is removed afterwards.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureFrame, PcapWriter, readCapture } from '../../src/drivers/pcap.js';
import type { PacketBuilder } from '../support/builder.js';

/** dist/src/cli/tsvs.js, seen from dist/test/replay/. */
export const TSVS_CLI = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));

/** One frame of an input capture, at a time the test chooses. */
export interface TimedFrame {
  /** Capture timestamp, ms. */
  at: number;
  desc: string;
  frame: PacketBuilder | Uint8Array;
}

/** A classic pcap of the frames, in the order given (a capture is in time order). */
export function capture(frames: readonly TimedFrame[]): Uint8Array {
  const w = new PcapWriter();
  for (const f of frames) w.write(f.at, f.frame instanceof Uint8Array ? f.frame : f.frame.build());
  return w.toBytes();
}

/** What a run left behind: exit status, output, and the files of its directory, readable until it returns. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  dir: string;
  exists(name: string): boolean;
  read(name: string): CaptureFrame[];
}

/**
 * Writes `files` (name -> text or bytes) into a fresh directory, runs `tsvs ...args` there and
 * hands the result to `inspect` before the directory is removed.
 */
export function tsvsIn(files: Record<string, string | Uint8Array>, args: readonly string[], inspect: (run: CliRun) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-replay-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const r = spawnSync(process.execPath, [TSVS_CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, `could not run ${TSVS_CLI}: ${String(r.error)}`);
    inspect({
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      dir,
      exists: (name) => existsSync(join(dir, name)),
      read: (name) => readCapture(new Uint8Array(readFileSync(join(dir, name)))),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

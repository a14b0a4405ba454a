// keepalived's notify scripts for an instance or a sync group: notify_master/backup/fault/stop run
// as written; the generic `notify` gets `INSTANCE|GROUP NAME STATE PRIORITY` appended. Not awaited:
// like keepalived, a slow script never holds the state machine up.

import { spawn } from 'node:child_process';
import type { Logger } from '../../control/log.js';
import { scriptArgv } from '../check/misc.js';
import type { NotifyScripts } from '../model.js';
import type { VrrpRunState } from './instance.js';

export type NotifyKind = 'INSTANCE' | 'GROUP';

/** Runs argv; a script that cannot start is logged, never thrown. */
export type ScriptRunner = (argv: readonly string[]) => void;

export function spawnRunner(log: Logger): ScriptRunner {
  return (argv) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return;
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.once('error', (e) => log({ level: 'warn', event: 'vrrp_notify_failed', script: argv.join(' '), error: e.message }));
    child.once('exit', (code, sig) => {
      if (code !== 0) log({ level: 'warn', event: 'vrrp_notify_failed', script: argv.join(' '), exitCode: code, signal: sig });
    });
  };
}

/** The argv lists keepalived runs when `name` enters `state`. */
export function notifyCommands(scripts: NotifyScripts, kind: NotifyKind, name: string, state: VrrpRunState, priority: number): string[][] {
  const out: string[][] = [];
  const specific = state === 'MASTER' ? scripts.master : state === 'BACKUP' ? scripts.backup : state === 'FAULT' ? scripts.fault : state === 'STOP' ? scripts.stop : undefined;
  if (specific !== undefined) out.push(scriptArgv(specific));
  if (scripts.any !== undefined && state !== 'INIT') out.push([...scriptArgv(scripts.any), kind, name, state, String(priority)]);
  return out;
}

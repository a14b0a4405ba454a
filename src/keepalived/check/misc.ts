// MISC_CHECK: runs misc_path as a process (no shell, argv split as keepalived does). Exit 0 is up;
// with misc_dynamic, exit 2..255 is up with weight status-2; anything else, or the timeout, is down.

import { spawn } from 'node:child_process';
import { splitScript } from '../../control/shell-words.js';
import { type Probe, type ProbeResult, down, errorReason, up } from './probe.js';

export interface MiscSettings {
  readonly command: string;
  readonly dynamic: boolean;
}

/** The argv of a script line (notify_up, misc_path): words split and quoted as a shell would, no expansion. */
export function scriptArgv(command: string): string[] {
  return [...(splitScript(command)[0]?.words ?? [])];
}

/** Maps an exit status as keepalived's misc_check_child_thread does. */
export function miscVerdict(status: number | null, signal: string | null, dynamic: boolean): ProbeResult {
  if (status === null) return down(`killed by ${signal ?? 'a signal'}`);
  if (status === 0) return up('exit 0');
  if (dynamic && status >= 2 && status <= 255) return up(`exit ${status}`, status - 2);
  return down(`exit ${status}`);
}

export function miscProbe(s: MiscSettings): Probe {
  const argv = scriptArgv(s.command);
  return (t, signal) => new Promise<ProbeResult>((resolve) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      resolve(down('empty misc_path'));
      return;
    }
    const child = spawn(cmd, args, { stdio: 'ignore' });
    let timedOut = false;
    // keepalived SIGKILLs a script that outlives its timeout (misc_timeout, else delay_loop).
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, t.timeoutMs);
    const onAbort = (): void => { child.kill('SIGKILL'); };
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(down(errorReason(e)));
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(timedOut ? down('timeout') : miscVerdict(code, sig, s.dynamic));
    });
  });
}

// What every checker is: one probe of one real server, resolving to up or down with a reason
// (never rejecting). The runner (runner.ts) owns timing; probes own only their own connection.

import type { IpAddr } from '../../packet/inet.js';
import { formatIp } from '../../packet/inet.js';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why, in words for the log: "connected", "ECONNREFUSED", "status 503", "digest mismatch". */
  readonly reason: string;
  /** misc_dynamic: the weight the script asked for (exit status - 2). */
  readonly weight?: number;
}

/** Where a probe goes: connect_ip/connect_port, else the real server's address and port. */
export interface ProbeTarget {
  readonly addr: IpAddr;
  readonly port: number;
  readonly bindto?: IpAddr;
  readonly bindPort?: number;
  /** connect_timeout in ms: the whole probe must finish within it. */
  readonly timeoutMs: number;
}

export type Probe = (target: ProbeTarget, signal: AbortSignal) => Promise<ProbeResult>;

export const up = (reason: string, weight?: number): ProbeResult => (weight === undefined ? { ok: true, reason } : { ok: true, reason, weight });
export const down = (reason: string): ProbeResult => ({ ok: false, reason });

export function host(a: IpAddr): string {
  return formatIp(a);
}

/** The error's code (ECONNREFUSED...) when it has one: stable words for logs and tests. */
export function errorReason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

/**
 * Runs `body` with a deadline: resolves `timeout` after `ms` and aborts the body's signal, so
 * sockets are closed by the body's own abort handling.
 */
export async function withDeadline(ms: number, outer: AbortSignal, body: (signal: AbortSignal) => Promise<ProbeResult>): Promise<ProbeResult> {
  const ac = new AbortController();
  const onOuter = (): void => ac.abort();
  outer.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(down('timeout'));
    }, ms);
  });
  try {
    return await Promise.race([body(ac.signal).catch((e: unknown) => down(errorReason(e))), deadline]);
  } finally {
    clearTimeout(timer);
    ac.abort();
    outer.removeEventListener('abort', onOuter);
  }
}

// Turns API request bodies into the command lines tsvsadm and tsip would send, and applies them
// through the daemon's one atomic path. The API never builds engine state by another route.

/*
 * Why command lines: the CLI parsers already hold every rule (ipvsadm's option table, tunnel
 * option rules, OPS only on UDP, conhash hash targets, address families...), and the daemon
 * validates a batch of parsed Commands on a shadow engine. Rendering a JSON body as the words an
 * operator would type and parsing them with the same parser means the API and the CLIs cannot
 * drift apart: what one accepts, the other accepts, with the same result. The JSON schemas catch
 * types and ranges first, with field paths; a parser or engine error is reported against the
 * field path of the operation that caused it (`dests[2]: ...`).
 */

import type { Daemon } from '../daemon.js';
import type { ScriptCommand } from '../script.js';
import { parseProgramArgs, programOf } from '../../cli/parse/program.js';
import { ScriptError, TsvsError } from '../../errors.js';
import { ApiError, statusOf } from './errors.js';

/** One command line of a request, and where in the request it came from ('' = the request itself). */
export interface ApiOp {
  readonly path: string;
  readonly words: readonly string[];
}

/** A service as the API names it: proto, addr and port, or a firewall mark and its family. */
export type ServiceId =
  | { readonly proto: 'tcp' | 'udp'; readonly addr: string; readonly port: number; readonly fwmark?: undefined }
  | { readonly fwmark: number; readonly af: 4 | 6 };

/** The identity fields of a request body: one of the two forms of ServiceId, checked. */
export interface ServiceIdJson {
  readonly proto?: 'tcp' | 'udp';
  readonly addr?: string;
  readonly port?: number;
  readonly fwmark?: number;
  readonly af?: 4 | 6;
}

/** ipvsadm's host:port, with IPv6 in brackets. */
export const hostPort = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

export const serviceArgs = (s: ServiceId): string[] => (s.fwmark !== undefined
  ? ['-f', String(s.fwmark), ...(s.af === 6 ? ['-6'] : [])]
  : [s.proto === 'tcp' ? '-t' : '-u', hostPort(s.addr, s.port)]);

export const serviceAf = (s: ServiceId): 4 | 6 => (s.fwmark !== undefined ? s.af : s.addr.includes(':') ? 6 : 4);

/** A prefix length as ipvsadm -M wants it: dotted for IPv4, the number for IPv6. */
function netmaskArg(af: 4 | 6, plen: number): string {
  if (af === 6) return String(plen);
  if (plen > 32) throw new ApiError(400, `netmaskPlen: must be 1..32 for an IPv4 service`);
  const m = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

export interface ServiceOptionsJson {
  readonly scheduler?: string;
  readonly persistent?: number;
  readonly netmaskPlen?: number;
  readonly schedFlags?: readonly string[];
  readonly connTimeout?: number;
  readonly hashTarget?: string;
  readonly ops?: boolean;
  readonly expireQuiescent?: boolean;
}

export function serviceOptionArgs(af: 4 | 6, o: ServiceOptionsJson): string[] {
  const w: string[] = [];
  if (o.scheduler !== undefined) w.push('-s', o.scheduler);
  if (o.persistent !== undefined) w.push(`--persistent=${o.persistent}`);
  if (o.netmaskPlen !== undefined) w.push('-M', netmaskArg(af, o.netmaskPlen));
  if (o.schedFlags !== undefined && o.schedFlags.length > 0) w.push('--sched-flags', o.schedFlags.join(','));
  if (o.connTimeout !== undefined) w.push('--conn-timeout', String(o.connTimeout));
  if (o.hashTarget !== undefined) w.push('--hash-target', o.hashTarget);
  if (o.ops === true) w.push('-o');
  if (o.expireQuiescent === true) w.push('--expire-quiescent');
  return w;
}

export interface DestOptionsJson {
  readonly method?: 'dr' | 'tunnel' | 'nat' | 'fnat';
  readonly weight?: number;
  readonly uThreshold?: number;
  readonly lThreshold?: number;
  readonly tunType?: string;
  readonly tunPort?: number;
  readonly tunCsum?: string;
}

const METHOD_FLAG: Readonly<Record<string, string>> = { dr: '-g', tunnel: '-i', nat: '-m', fnat: '--fullnat' };

export function destOptionArgs(o: DestOptionsJson): string[] {
  const w: string[] = [];
  if (o.method !== undefined) w.push(METHOD_FLAG[o.method]!);
  if (o.weight !== undefined) w.push('-w', String(o.weight));
  if (o.uThreshold !== undefined) w.push('-x', String(o.uThreshold));
  if (o.lThreshold !== undefined) w.push('-y', String(o.lThreshold));
  if (o.tunType !== undefined) w.push('--tun-type', o.tunType);
  if (o.tunPort !== undefined) w.push('--tun-port', String(o.tunPort));
  if (o.tunCsum !== undefined) w.push(`--tun-${o.tunCsum}`);
  return w;
}

const at = (path: string, msg: string): string => (path === '' ? msg : `${path}: ${msg}`);

/** Parses every op (a bad one: 400 naming its path), then applies them all or nothing. */
export async function applyOps(daemon: Daemon, ops: readonly ApiOp[]): Promise<void> {
  const batch: ScriptCommand[] = ops.map((op, i) => {
    const [first, ...args] = op.words;
    const program = programOf(first ?? '')!;
    try {
      return { line: i + 1, source: op.words.join(' '), command: parseProgramArgs(program, args) };
    } catch (e) {
      if (e instanceof TsvsError) throw new ApiError(400, at(op.path, e.message), e.code);
      throw e;
    }
  });
  try {
    await daemon.applyBatch(batch);
  } catch (e) {
    if (e instanceof ScriptError && e.cause instanceof TsvsError) {
      throw new ApiError(statusOf(e.code), at(ops[e.line - 1]?.path ?? '', e.cause.message), e.code);
    }
    throw e;
  }
}

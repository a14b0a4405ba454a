// DesiredState -> tsvsadm/tsip lines: the full set (to apply from nothing) and the minimal batch
// from one state to another, using -E/-e edits so established connections survive a reload.

import { type IpAddr, formatIp, formatIpPort, ip4, ipEquals } from '../packet/inet.js';
import type { DesiredDest, DesiredService, DesiredServiceOptions, DesiredState, DesiredVip } from './desired.js';

/** Where the keepalived process sends its batches (the control socket or the REST API). */
export interface KeepalivedTarget {
  /** Applies the lines in order; rejects (changing nothing more) at the first line refused. */
  apply(batch: readonly string[]): Promise<void>;
  /** What the daemon holds now: every service, and every `tsip addr` address (see daemon-state.ts). */
  read(): Promise<DesiredState>;
}

const METHOD_FLAG = { dr: '-g', tunnel: '-i', nat: '-m', fnat: '-b' } as const;

function svcArg(s: { fwmark?: number; proto: string; addr: IpAddr; port: number }): string {
  if (s.fwmark !== undefined) return `-f ${s.fwmark}${s.addr.af === 6 ? ' -6' : ''}`;
  return `${s.proto === 'udp' ? '-u' : '-t'} ${formatIpPort(s.addr, s.port)}`;
}

function maskArg(addr: IpAddr, plen: number): string {
  // ipvsadm -M takes a dotted netmask for IPv4 and a prefix length for IPv6.
  if (addr.af === 6) return String(plen);
  return formatIp(ip4(plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0));
}

function serviceOptArgs(s: DesiredService, o: Partial<DesiredServiceOptions>): string {
  const a: string[] = [];
  if (o.scheduler !== undefined) a.push(`-s ${o.scheduler}`);
  if (o.persistent !== undefined) a.push(`-p ${o.persistent}`);
  if (o.netmaskPlen !== undefined) a.push(`-M ${maskArg(s.addr, o.netmaskPlen)}`);
  if (o.ops) a.push('-o');
  if (o.schedFlags?.length) a.push(`-b ${o.schedFlags.join(',')}`);
  if (o.connTimeout !== undefined) a.push(`--conn-timeout ${o.connTimeout}`);
  if (o.expireQuiescent) a.push('--expire-quiescent');
  if (o.hashTarget !== undefined) a.push(`--hash-target ${o.hashTarget}`);
  return a.join(' ');
}

function destArgs(s: DesiredService, d: DesiredDest, o: Partial<DesiredDest>): string {
  const a = [`${svcArg(s)} -r ${formatIpPort(d.addr, d.port)}`];
  if (o.method !== undefined) a.push(METHOD_FLAG[o.method]);
  if (o.weight !== undefined) a.push(`-w ${o.weight}`);
  if (o.uThreshold !== undefined) a.push(`-x ${o.uThreshold}`);
  if (o.lThreshold !== undefined) a.push(`-y ${o.lThreshold}`);
  return a.join(' ');
}

const addService = (s: DesiredService): string => `tsvsadm -A ${svcArg(s)} ${serviceOptArgs(s, s.opts)}`;
const addDest = (s: DesiredService, d: DesiredDest): string => {
  // ipvsadm's defaults (weight 1, no thresholds) need not be spelled out.
  const o: Partial<DesiredDest> = { method: d.method, weight: d.weight, ...(d.uThreshold ? { uThreshold: d.uThreshold } : {}), ...(d.lThreshold ? { lThreshold: d.lThreshold } : {}) };
  return `tsvsadm -a ${destArgs(s, d, o)}`;
};
const laddrLine = (op: 'add' | 'del', s: DesiredService, l: { addr: IpAddr; dev: string }): string =>
  `tsvsadm --${op}-laddr ${svcArg(s)} -z ${formatIp(l.addr)} -F ${l.dev}`;
const vipLine = (op: 'add' | 'del', v: DesiredVip): string => `tsip addr ${op} ${formatIp(v.addr)}/${v.plen} dev ${v.dev}`;

export function sameService(a: DesiredService, b: DesiredService): boolean {
  if (a.fwmark !== undefined || b.fwmark !== undefined) return a.fwmark === b.fwmark && a.addr.af === b.addr.af;
  return a.proto === b.proto && a.port === b.port && ipEquals(a.addr, b.addr);
}
const sameDest = (a: DesiredDest, b: DesiredDest): boolean => a.port === b.port && ipEquals(a.addr, b.addr);
const sameLaddr = (a: { addr: IpAddr; dev: string }, b: { addr: IpAddr; dev: string }): boolean => a.dev === b.dev && ipEquals(a.addr, b.addr);
export const sameVip = (a: DesiredVip, b: DesiredVip): boolean => a.dev === b.dev && a.plen === b.plen && ipEquals(a.addr, b.addr);

/** Every line to build `state` from an empty tsvs. */
export function fullBatch(state: DesiredState): string[] {
  return diffBatch({ services: [], vips: [] }, state);
}

/**
 * The options to pass to -E to turn `from` into `to`, or null when -E cannot express it (tsvs's
 * -E only sets what the line names, so switching persistence, -o, flags, --expire-quiescent or
 * --hash-target off needs the service re-created).
 */
function serviceEdit(from: DesiredServiceOptions, to: DesiredServiceOptions): Partial<DesiredServiceOptions> | null {
  if ((from.persistent !== undefined && to.persistent === undefined) || (from.netmaskPlen !== undefined && to.netmaskPlen === undefined)) return null;
  if ((from.ops && !to.ops) || (from.expireQuiescent && !to.expireQuiescent)) return null;
  if (from.hashTarget !== undefined && to.hashTarget === undefined) return null;
  const flagsChanged = from.schedFlags.join(',') !== to.schedFlags.join(',');
  if (flagsChanged && to.schedFlags.length === 0) return null;
  const e: Partial<Mutable<DesiredServiceOptions>> = {};
  if (from.scheduler !== to.scheduler) e.scheduler = to.scheduler;
  if (from.persistent !== to.persistent) e.persistent = to.persistent;
  if (from.netmaskPlen !== to.netmaskPlen) e.netmaskPlen = to.netmaskPlen;
  if (!from.ops && to.ops) e.ops = true;
  if (flagsChanged) e.schedFlags = to.schedFlags;
  // --conn-timeout 0 clears a per-service timeout, so that one can be edited away.
  if (from.connTimeout !== to.connTimeout) e.connTimeout = to.connTimeout ?? 0;
  if (!from.expireQuiescent && to.expireQuiescent) e.expireQuiescent = true;
  if (from.hashTarget !== to.hashTarget) e.hashTarget = to.hashTarget;
  return e;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function destEdit(from: DesiredDest, to: DesiredDest): Partial<DesiredDest> {
  const e: Partial<Mutable<DesiredDest>> = {};
  if (from.method !== to.method) e.method = to.method;
  if (from.weight !== to.weight) e.weight = to.weight;
  if (from.uThreshold !== to.uThreshold) e.uThreshold = to.uThreshold;
  if (from.lThreshold !== to.lThreshold) e.lThreshold = to.lThreshold;
  return e;
}

/**
 * The minimal batch from `from` to `to`. Order keeps traffic flowing: VIPs leaving go first (a
 * demoted node stops attracting traffic at once), then services, LIPs and real servers are added
 * or edited before anything is removed, and VIPs arriving come last, when their services are ready.
 * A real server whose weight changes is edited (-e), never deleted and re-added, so its
 * connections survive; a service is re-created only when -E cannot express the change.
 */
export function diffBatch(from: DesiredState, to: DesiredState): string[] {
  const vipDels = from.vips.filter((v) => !to.vips.some((w) => sameVip(v, w))).map((v) => vipLine('del', v));
  const vipAdds = to.vips.filter((v) => !from.vips.some((w) => sameVip(v, w))).map((v) => vipLine('add', v));
  const recreated: string[] = [];
  const adds: string[] = [];
  const dels: string[] = [];
  for (const s of to.services) {
    const old = from.services.find((o) => sameService(o, s));
    const edit = old ? serviceEdit(old.opts, s.opts) : null;
    if (!old || !edit) {
      if (old) recreated.push(`tsvsadm -D ${svcArg(old)}`);
      adds.push(addService(s), ...s.laddrs.map((l) => laddrLine('add', s, l)), ...s.dests.map((d) => addDest(s, d)));
      continue;
    }
    if (Object.keys(edit).length) adds.push(`tsvsadm -E ${svcArg(s)} ${serviceOptArgs(s, edit)}`);
    for (const l of s.laddrs) if (!old.laddrs.some((m) => sameLaddr(l, m))) adds.push(laddrLine('add', s, l));
    for (const d of s.dests) {
      const prev = old.dests.find((p) => sameDest(p, d));
      if (!prev) adds.push(addDest(s, d));
      else {
        const e = destEdit(prev, d);
        if (Object.keys(e).length) adds.push(`tsvsadm -e ${destArgs(s, d, e)}`);
      }
    }
    for (const d of old.dests) if (!s.dests.some((n) => sameDest(n, d))) dels.push(`tsvsadm -d ${svcArg(s)} -r ${formatIpPort(d.addr, d.port)}`);
    for (const l of old.laddrs) if (!s.laddrs.some((m) => sameLaddr(l, m))) dels.push(laddrLine('del', s, l));
  }
  for (const o of from.services) if (!to.services.some((s) => sameService(o, s))) dels.push(`tsvsadm -D ${svcArg(o)}`);
  // A re-created service's -D precedes its -A.
  return [...vipDels, ...recreated, ...adds, ...dels, ...vipAdds];
}

// tsip addr and tsip route: dpip's IFADDR/PREFIX grammar (tools/dpip/addr.c, route.c) turned
// into Commands. The address family comes from -4/-6 or from the first address on the line.

import type { Command, RouteScope, RouteSpec } from '../../control/commands.js';
import { maskIp, type IpAddr } from '../../packet/inet.js';
import { fail, parseAddr, parseIfName, parseUint, prune, valueAfter } from './common.js';

export interface TsipGlobals {
  readonly af?: 4 | 6;
  readonly stats: boolean;
  /** -v: dpip's verbose view (tsvs: the drops by reason, as dpip's xstats list). */
  readonly verbose: boolean;
}

/** Tracks the family of one command line: every address on it must agree. */
export class Family {
  af: 4 | 6 | undefined;
  constructor(af: 4 | 6 | undefined) {
    this.af = af;
  }
  addr(s: string, what: string): IpAddr {
    const a = parseAddr(s, what, this.af);
    this.af = a.af;
    return a;
  }
  /** ADDR[/PLEN]; a missing PLEN means a host prefix, as dpip does. */
  prefix(s: string, what: string): { addr: IpAddr; plen: number } {
    const slash = s.indexOf('/');
    const addr = this.addr(slash < 0 ? s : s.slice(0, slash), what);
    const max = addr.af === 4 ? 32 : 128;
    const plen = slash < 0 ? max : parseUint(s.slice(slash + 1), 0, max, `prefix length in '${s}'`);
    return { addr, plen };
  }
}

/**
 * Scope words; dpip also takes the kernel's numbers (RT_SCOPE_*), of which only these three
 * mean something to tsvs.
 */
const SCOPE_NUMBERS: Readonly<Record<string, RouteScope>> = { '0': 'global', '253': 'link', '254': 'host' };

function parseScope(s: string, allowKni: boolean): RouteScope {
  if (s === 'host' || s === 'link' || s === 'global' || (allowKni && s === 'kni_host')) return s;
  const n = SCOPE_NUMBERS[s];
  if (n) return n;
  fail(`invalid scope '${s}': expected host, link, global${allowKni ? ', kni_host' : ''} or 0/253/254`);
}

/** dpip's lifetimes: 'forever' or seconds. undefined = forever. */
function parseLft(s: string, what: string): number | undefined {
  return s === 'forever' ? undefined : parseUint(s, 0, 0xffffffff, what);
}

function onlyOnce<T>(prev: T | undefined, word: string): void {
  if (prev !== undefined) fail(`'${word}' given twice`);
}

/** The arguments of show/flush forms: nothing but an optional `dev DEV`. */
function devOnly(args: readonly string[], usage: string): string | undefined {
  if (args.length === 0) return undefined;
  if (args[0] !== 'dev' || args.length > 2) fail(`unexpected argument '${args[args[0] === 'dev' ? 2 : 0]}': ${usage}`);
  return parseIfName(valueAfter(args, 0, 'dev'));
}

export function parseAddrCmd(cmd: string, args: readonly string[], g: TsipGlobals): Command {
  const fam = new Family(g.af);
  if (cmd === 'show' || cmd === 'list' || cmd === 'flush') {
    const dev = devOnly(args, `tsip addr ${cmd} [dev DEV]`);
    if (cmd !== 'flush') return { kind: 'addr-show', af: g.af, dev, stats: g.stats };
    if (dev === undefined) fail('no device specified: tsip addr flush dev DEV');
    return { kind: 'addr-flush', dev, af: g.af };
  }
  if (cmd !== 'add' && cmd !== 'del') fail(`tsip addr has no command '${cmd}': use add, del, flush or show`);
  let ifaddr: string | undefined;
  let dev: string | undefined;
  let scope: RouteScope | undefined;
  let bcast: string | undefined;
  let validLft: number | undefined;
  let preferredLft: number | undefined;
  let sapool = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    switch (w) {
      case 'dev': onlyOnce(dev, w); dev = parseIfName(valueAfter(args, i++, w)); break;
      case 'scope': onlyOnce(scope, w); scope = parseScope(valueAfter(args, i++, w), false); break;
      case 'broadcast': onlyOnce(bcast, w); bcast = valueAfter(args, i++, w); break;
      case 'valid_lft': validLft = parseLft(valueAfter(args, i++, w), w); break;
      // DPVS spells it prefered_lft; iproute2 spells it preferred_lft. Take both.
      case 'preferred_lft': case 'prefered_lft': preferredLft = parseLft(valueAfter(args, i++, w), w); break;
      case 'sapool': sapool = true; break;
      default:
        if (ifaddr !== undefined) fail(`unexpected argument '${w}' (the address is already '${ifaddr}')`);
        ifaddr = w;
    }
  }
  if (ifaddr === undefined) fail(`missing IFADDR: tsip addr ${cmd} ADDR[/PLEN] dev DEV`);
  const { addr, plen } = fam.prefix(ifaddr, 'address');
  if (dev === undefined) fail(`no device specified: tsip addr ${cmd} ${ifaddr} dev DEV`);
  if (cmd === 'del') return { kind: 'addr-del', addr, plen, dev };
  const broadcast = bcast === undefined ? undefined : fam.addr(bcast, 'broadcast address');
  return { kind: 'addr-add', addr, plen, dev, sapool, scope: scope ?? 'global', validLft, preferredLft, broadcast };
}

export function parseRouteCmd(cmd: string, args: readonly string[], g: TsipGlobals): Command {
  if (cmd === 'show' || cmd === 'list' || cmd === 'flush') {
    const dev = devOnly(args, `tsip route ${cmd} [dev DEV]`);
    return cmd === 'flush' ? { kind: 'route-flush', af: g.af, dev } : { kind: 'route-show', af: g.af, dev };
  }
  if (cmd !== 'add' && cmd !== 'del') fail(`tsip route has no command '${cmd}': use add, del, flush or show`);
  let prefixTok: string | undefined;
  let viaTok: string | undefined;
  let srcTok: string | undefined;
  let dev: string | undefined;
  let scope: RouteScope | undefined;
  let mtu: number | undefined;
  let metric: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    switch (w) {
      case 'via': onlyOnce(viaTok, w); viaTok = valueAfter(args, i++, w); break;
      case 'src': onlyOnce(srcTok, w); srcTok = valueAfter(args, i++, w); break;
      case 'dev': onlyOnce(dev, w); dev = parseIfName(valueAfter(args, i++, w)); break;
      case 'scope': onlyOnce(scope, w); scope = parseScope(valueAfter(args, i++, w), true); break;
      case 'mtu': onlyOnce(mtu, w); mtu = parseUint(valueAfter(args, i++, w), 68, 65535, 'mtu'); break;
      case 'metric': onlyOnce(metric, w); metric = parseUint(valueAfter(args, i++, w), 0, 0xffffffff, 'metric'); break;
      // dpip reads these and ignores them (proto is a label; onlink is output only); so do we.
      case 'proto': valueAfter(args, i++, w); break;
      case 'onlink': break;
      default:
        if (prefixTok !== undefined) fail(`unexpected argument '${w}' (the prefix is already '${prefixTok}')`);
        prefixTok = w;
    }
  }
  if (prefixTok === undefined) fail(`missing prefix: tsip route ${cmd} {ADDR/PLEN | ADDR | default} ...`);
  const fam = new Family(g.af);
  // 'default' has no family of its own: take it from -4/-6 or from the gateway / source.
  const dst = prefixTok === 'default' ? undefined : fam.prefix(prefixTok, 'destination');
  const via = viaTok === undefined ? undefined : fam.addr(viaTok, 'gateway');
  const src = srcTok === undefined ? undefined : fam.addr(srcTok, 'source address');
  const af = fam.af ?? 4;
  const prefix = dst ? maskIp(dst.addr, dst.plen) : parseAddr(af === 4 ? '0.0.0.0' : '::', 'prefix');
  const route: RouteSpec = prune({ prefix, plen: dst?.plen ?? 0, via, dev, src, scope, metric: metric ?? 0, mtu });
  return cmd === 'add' ? { kind: 'route-add', route } : { kind: 'route-del', route };
}

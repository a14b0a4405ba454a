// tsip: dpip's command line (dpip [OPTIONS] OBJECT COMMAND ARGS) for link, addr, route, neigh.
// Global options may appear anywhere, as GNU getopt lets them in dpip (`dpip route -6 show`).

import type { Command } from '../../control/commands.js';
import { fail, parseIfName, parseMacArg, parseUint, prune, valueAfter } from './common.js';
import { Family, parseAddrCmd, parseRouteCmd, type TsipGlobals } from './tsip-ip.js';

const DEFAULT_MTU = 1500;

/** dpip's display-only flags: accepted so operators' lines parse, with no effect on a Command. */
const IGNORED_SHORT = new Set(['C', 'D', 'F']);
const IGNORED_LONG = new Set(['--color', '--force']);

/** Pulls dpip's getopt options out of argv (anywhere in it) and returns the remaining words. */
function takeGlobals(argv: readonly string[]): { g: TsipGlobals; rest: string[] } {
  let af: 4 | 6 | undefined;
  let stats = false;
  let verbose = false;
  const rest: string[] = [];
  const setFamily = (v: string): void => {
    if (v === 'inet' || v === '4') af = 4;
    else if (v === 'inet6' || v === '6') af = 6;
    else fail(`invalid family '${v}': expected inet or inet6`);
  };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      const val = (): string => (eq < 0 ? valueAfter(argv, i++, name) : w.slice(eq + 1));
      if (name === '--family') setFamily(val());
      else if (name === '--stats' || name === '--statistics') stats = true;
      else if (name === '--verbose') verbose = true;
      else if (name === '--interval' || name === '--count') val();
      else if (!IGNORED_LONG.has(name)) fail(`invalid option '${w}'`);
      continue;
    }
    if (!w.startsWith('-') || w.length < 2) {
      rest.push(w);
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const c = w[j]!;
      if (c === '4' || c === '6') af = c === '4' ? 4 : 6;
      else if (c === 's') stats = true;
      else if (c === 'v') verbose = true;
      else if (c === 'f' || c === 'i' || c === 'c') {
        // Value options end the cluster: the value is the rest of the word or the next word.
        const v = j + 1 < w.length ? w.slice(j + 1) : valueAfter(argv, i++, `-${c}`);
        if (c === 'f') setFamily(v);
        else parseUint(v, 0, 0x7fffffff, c === 'i' ? 'interval' : 'count');
        break;
      } else if (c === 'h' || c === 'V') fail(`-${c} prints help or the version; it is not a configuration command`);
      else if (!IGNORED_SHORT.has(c)) fail(`invalid option '-${c}'`);
    }
  }
  return { g: { af, stats, verbose }, rest };
}

function parseLinkCmd(cmd: string, args: readonly string[], g: TsipGlobals): Command {
  if (cmd === 'show' || cmd === 'list') {
    if (args.length > 1) fail(`unexpected argument '${args[1]}': tsip link show [-s] [-v] [DEV]`);
    return { kind: 'link-show', name: args[0] === undefined ? undefined : parseIfName(args[0]), stats: g.stats, ...(g.verbose ? { verbose: true } : {}) };
  }
  if (cmd !== 'add' && cmd !== 'set' && cmd !== 'change') {
    fail(`tsip link has no command '${cmd}': use add, set or show`);
  }
  let name: string | undefined;
  let mtu: number | undefined;
  let mac: Uint8Array | undefined;
  let up: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    switch (w) {
      case 'dev': name = parseIfName(valueAfter(args, i++, w)); break;
      case 'mtu': mtu = parseUint(valueAfter(args, i++, w), 68, 65535, 'mtu'); break;
      // dpip says `addr MAC`, iproute2 `address MAC`, and neigh/tsvs `lladdr MAC`.
      case 'lladdr': case 'addr': case 'address': mac = parseMacArg(valueAfter(args, i++, w)); break;
      case 'up': up = true; break;
      case 'down': up = false; break;
      // dpip's own form: `dpip link set dpdk0 link up|down`.
      case 'link': {
        const v = valueAfter(args, i++, w);
        if (v !== 'up' && v !== 'down') fail(`invalid link state '${v}': expected up or down`);
        up = v === 'up';
        break;
      }
      default:
        if (name !== undefined) fail(`unexpected argument '${w}' for tsip link ${cmd} ${name}`);
        name = parseIfName(w);
    }
  }
  if (name === undefined) fail(`missing device name: tsip link ${cmd} NAME ...`);
  if (cmd === 'add') {
    if (mac === undefined) fail(`tsip link add ${name} needs 'lladdr MAC'`);
    if (up !== undefined) fail(`'up'/'down' belong to tsip link set, not link add`);
    return { kind: 'link-add', name, mac, mtu: mtu ?? DEFAULT_MTU };
  }
  if (mtu === undefined && mac === undefined && up === undefined) {
    fail(`nothing to set: tsip link set ${name} {mtu N | lladdr MAC | up | down}`);
  }
  return { kind: 'link-set', name, mtu, mac, up };
}

function parseNeighCmd(cmd: string, args: readonly string[], g: TsipGlobals): Command {
  let addrTok: string | undefined;
  let mac: Uint8Array | undefined;
  let dev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'dev') dev = parseIfName(valueAfter(args, i++, w));
    else if (w === 'lladdr') mac = parseMacArg(valueAfter(args, i++, w));
    else if (addrTok === undefined) addrTok = w;
    else fail(`unexpected argument '${w}' (the address is already '${addrTok}')`);
  }
  if (cmd === 'show' || cmd === 'list') {
    if (addrTok !== undefined || mac !== undefined) fail('tsip neigh show takes only [dev DEV]');
    return { kind: 'neigh-show', af: g.af, dev };
  }
  if (cmd !== 'add' && cmd !== 'del') fail(`tsip neigh has no command '${cmd}': use add, del or show`);
  if (addrTok === undefined) fail(`missing ip address: tsip neigh ${cmd} ADDR lladdr MAC dev DEV`);
  const addr = new Family(g.af).addr(addrTok, 'neighbour address');
  if (dev === undefined) fail(`no device specified: tsip neigh ${cmd} ${addrTok} ... dev DEV`);
  if (cmd === 'del') return { kind: 'neigh-del', addr, dev };
  if (mac === undefined) fail(`missing 'lladdr MAC': tsip neigh add ${addrTok} lladdr MAC dev ${dev}`);
  return { kind: 'neigh-add', addr, mac, dev };
}

/** Parses the words after the program name, e.g. ['-6', 'route', 'add', 'default', 'via', '2001::1']. */
export function parseTsip(argv: readonly string[]): Command {
  const { g, rest } = takeGlobals(argv);
  const [obj, cmd, ...args] = rest;
  return prune(parseObject(obj, cmd, args, g));
}

function parseObject(obj: string | undefined, cmd: string | undefined, args: string[], g: TsipGlobals): Command {
  if (obj === undefined) fail('missing object: tsip [-4|-6] {link | addr | route | neigh} COMMAND ...');
  if (cmd === undefined) fail(`missing command: tsip ${obj} {add | del | show | ...}`);
  switch (obj) {
    case 'link': return parseLinkCmd(cmd, args, g);
    case 'addr': return parseAddrCmd(cmd, args, g);
    case 'route': return parseRouteCmd(cmd, args, g);
    case 'neigh': return parseNeighCmd(cmd, args, g);
    default: fail(`invalid object '${obj}': tsip knows link, addr, route and neigh`);
  }
}

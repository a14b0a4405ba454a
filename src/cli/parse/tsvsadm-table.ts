// The tables behind tsvsadm: ipvsadm's commands and options (1.31 plus DPVS's), which options each
// command takes (ipvsadm's commands_v_options), and the ipvsadm/DPVS options tsvs refuses, with why.

import { fail } from './common.js';
import type { Arity, OptLookup, OptSpec } from './popt.js';

/** ipvsadm's command names, as its error messages print them. */
export type CmdName =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list' | 'add-server' | 'edit-server'
  | 'delete-server' | 'set' | 'restore' | 'save' | 'zero' | 'add-laddr' | 'del-laddr' | 'get-laddr';

export interface TsvsadmSpec extends OptSpec {
  /** Set for commands (-A, --list ...). */
  readonly cmd?: CmdName;
  /** ipvsadm's option name (optnames[]): what "multiple ... specified" and the rules table talk about. */
  readonly group: string;
}

const spec = (name: string, arity: Arity, group = name, cmd?: CmdName): TsvsadmSpec => ({ name, arity, group, cmd });
const command = (name: string, cmd: CmdName): TsvsadmSpec => spec(name, 'none', 'command', cmd);

/** long name -> spec, plus the short letter when there is one. */
const TABLE: ReadonlyArray<readonly [string | undefined, TsvsadmSpec]> = [
  ['A', command('add-service', 'add-service')],
  ['E', command('edit-service', 'edit-service')],
  ['D', command('delete-service', 'delete-service')],
  ['C', command('clear', 'flush')],
  ['L', command('list', 'list')],
  ['l', command('list', 'list')],
  ['Z', command('zero', 'zero')],
  ['a', command('add-server', 'add-server')],
  ['e', command('edit-server', 'edit-server')],
  ['d', command('delete-server', 'delete-server')],
  [undefined, command('set', 'set')],
  ['R', command('restore', 'restore')],
  ['S', command('save', 'save')],
  ['P', command('add-laddr', 'add-laddr')],
  ['Q', command('del-laddr', 'del-laddr')],
  ['G', command('get-laddr', 'get-laddr')],
  ['t', spec('tcp-service', 'required', 'service-address')],
  ['u', spec('udp-service', 'required', 'service-address')],
  ['f', spec('fwmark-service', 'required', 'service-address')],
  ['6', spec('ipv6', 'none')],
  ['s', spec('scheduler', 'required')],
  ['p', spec('persistent', 'optional')],
  ['M', spec('netmask', 'required')],
  ['r', spec('real-server', 'required')],
  ['g', spec('gatewaying', 'none', 'forwarding-method')],
  ['i', spec('ipip', 'none', 'forwarding-method')],
  ['m', spec('masquerading', 'none', 'forwarding-method')],
  [undefined, spec('fullnat', 'none', 'forwarding-method')],
  [undefined, spec('sched-flags', 'required')],
  ['w', spec('weight', 'required')],
  ['x', spec('u-threshold', 'required')],
  ['y', spec('l-threshold', 'required')],
  ['n', spec('numeric', 'none')],
  ['c', spec('connection', 'none')],
  [undefined, spec('timeout', 'none')],
  [undefined, spec('daemon', 'none')],
  [undefined, spec('stats', 'none')],
  [undefined, spec('rate', 'none')],
  [undefined, spec('thresholds', 'none')],
  [undefined, spec('persistent-conn', 'none')],
  [undefined, spec('nosort', 'none')],
  [undefined, spec('sort', 'none')],
  ['X', spec('exact', 'none')],
  [undefined, spec('tun-info', 'none')],
  ['o', spec('ops', 'none')],
  [undefined, spec('tun-type', 'required')],
  [undefined, spec('tun-port', 'required')],
  [undefined, spec('tun-nocsum', 'none')],
  [undefined, spec('tun-csum', 'none')],
  [undefined, spec('tun-remcsum', 'none')],
  ['z', spec('laddr', 'required', 'local-address')],
  ['F', spec('ifname', 'required')],
  [undefined, spec('hash-target', 'required')],
  [undefined, spec('conn-timeout', 'required')],
  [undefined, spec('expire-quiescent', 'none')],
];

const BY_LONG = new Map(TABLE.map(([, s]) => [s.name, s]));
const BY_SHORT = new Map(TABLE.filter(([c]) => c !== undefined).map(([c, s]) => [c!, s]));

/** Options ipvsadm or DPVS know and tsvs refuses, with the reason the operator sees. */
const NOT_SUPPORTED: ReadonlyArray<readonly [string | undefined, string, string]> = [
  ['q', 'icmp-service', 'ICMP services are not supported by tsvs: use -t or -u'],
  ['1', 'icmpv6-service', 'ICMPv6 services are not supported by tsvs: use -t or -u'],
  [undefined, 'sctp-service', 'SCTP services are not supported by tsvs: use -t or -u'],
  ['H', 'match', 'SNAT match services (-H) are not supported by tsvs'],
  ['J', 'snat', 'SNAT forwarding (-J) is not supported by tsvs'],
  ['j', 'synproxy', 'SYN proxy (-j) is not supported by tsvs'],
  [undefined, 'pe', 'persistence engines (--pe) are not supported by tsvs'],
  ['k', 'blklst', 'blacklists are not supported by tsvs'],
  ['U', 'add-blklst', 'blacklists are not supported by tsvs'],
  ['V', 'del-blklst', 'blacklists are not supported by tsvs'],
  ['B', 'get-blklst', 'blacklists are not supported by tsvs'],
  ['2', 'whtlst', 'whitelists are not supported by tsvs'],
  ['O', 'add-whtlst', 'whitelists are not supported by tsvs'],
  ['Y', 'del-whtlst', 'whitelists are not supported by tsvs'],
  ['W', 'get-whtlst', 'whitelists are not supported by tsvs'],
  [undefined, 'proxy-protocol', 'the PROXY protocol (--proxy-protocol) is not supported by tsvs'],
  [undefined, 'quic', 'QUIC connection migration (--quic) is not supported by tsvs'],
  [undefined, 'dest-check', 'per-service dest checks (--dest-check) are not supported by tsvs'],
  [undefined, 'sockpair', '--sockpair is not supported by tsvs'],
  [undefined, 'cpu', 'tsvs has no per-lcore tables: --cpu is not supported'],
  [undefined, 'start-daemon', 'connection sync daemons are not supported by tsvs'],
  [undefined, 'stop-daemon', 'connection sync daemons are not supported by tsvs'],
  [undefined, 'mcast-interface', 'connection sync daemons are not supported by tsvs'],
  [undefined, 'syncid', 'connection sync daemons are not supported by tsvs'],
  ['h', 'help', '-h prints help; it is not a configuration command'],
  ['v', 'version', '-v prints the version; it is not a configuration command'],
];

const REFUSED_LONG = new Map(NOT_SUPPORTED.map(([, l, why]) => [l, why]));
const REFUSED_SHORT = new Map(NOT_SUPPORTED.filter(([c]) => c !== undefined).map(([c, , why]) => [c!, why]));

/**
 * Looks options up for the command seen so far. `-b` is the one context-dependent flag: ipvsadm
 * 1.31 made it --sched-flags (a value) for services; DPVS made it --fullnat (a flag) for servers.
 */
export function tsvsadmLookup(currentCmd: () => CmdName | undefined): OptLookup<TsvsadmSpec> {
  return {
    long(name) {
      const why = REFUSED_LONG.get(name);
      if (why) fail(why);
      return BY_LONG.get(name);
    },
    short(c) {
      if (c === 'b') {
        const cmd = currentCmd();
        return BY_LONG.get(cmd === 'add-service' || cmd === 'edit-service' ? 'sched-flags' : 'fullnat');
      }
      const why = REFUSED_SHORT.get(c);
      if (why) fail(why);
      return BY_SHORT.get(c);
    },
  };
}

interface Rule {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** At most one of these ('1' in ipvsadm's table). */
  readonly oneOf?: readonly string[];
}

const SVC_OPTS = ['scheduler', 'persistent', 'netmask', 'ops', 'sched-flags', 'hash-target', 'conn-timeout', 'expire-quiescent'];
const DEST_OPTS = ['forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
const LIST_ONE = ['connection', 'service-address', 'timeout', 'daemon'];
const LIST_OPTS = ['numeric', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'exact', 'tun-info'];
const SVC = ['service-address'];
const SVC_DEST = ['service-address', 'real-server'];
const LADDR = ['service-address', 'local-address', 'ifname'];

/** ipvsadm's commands_v_options, restricted to what tsvs supports. */
const RULES: Readonly<Record<CmdName, Rule>> = {
  'add-service': { required: SVC, optional: SVC_OPTS },
  'edit-service': { required: SVC, optional: SVC_OPTS },
  'delete-service': { required: SVC, optional: [] },
  flush: { required: [], optional: [] },
  list: { required: [], optional: [...LIST_ONE, ...LIST_OPTS], oneOf: LIST_ONE },
  'add-server': { required: SVC_DEST, optional: DEST_OPTS },
  'edit-server': { required: SVC_DEST, optional: DEST_OPTS },
  'delete-server': { required: SVC_DEST, optional: [] },
  set: { required: [], optional: [] },
  restore: { required: [], optional: [] },
  save: { required: [], optional: ['numeric'] },
  zero: { required: [], optional: SVC },
  'add-laddr': { required: LADDR, optional: [] },
  'del-laddr': { required: LADDR, optional: [] },
  'get-laddr': { required: [], optional: SVC },
};

/** ipvsadm's generic_opt_check, with its messages. `given` holds option groups in the order seen. */
export function checkOptions(cmd: CmdName, given: readonly string[]): void {
  const rule = RULES[cmd];
  for (const g of given) {
    if (!rule.required.includes(g) && !rule.optional.includes(g)) {
      fail(`Illegal '${g}' option with the '${cmd}' command`);
    }
  }
  for (const r of rule.required) {
    if (!given.includes(r)) fail(`You need to supply the '${r}' option for the '${cmd}' command`);
  }
  const ones = given.filter((g) => rule.oneOf?.includes(g));
  if (ones.length > 1) fail(`The option '${ones[1]}' conflicts with the '${ones[0]}' option in the '${cmd}' command`);
}

/** LVS's schedulers (ipvsadm 1.31 SCHEDULERS, plus twos) and DPVS's conhash. */
export const SCHEDULERS: readonly string[] = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos', 'conhash',
];

/** -b / --sched-flags words; the scheduler each needs, if any. */
export const SCHED_FLAGS: Readonly<Record<string, string | undefined>> = {
  'flag-1': undefined, 'flag-2': undefined, 'flag-3': undefined,
  'sh-fallback': 'sh', 'sh-port': 'sh', 'mh-fallback': 'mh', 'mh-port': 'mh',
};

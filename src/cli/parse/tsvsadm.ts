// tsvsadm: ipvsadm 1.31's command line plus DPVS's extensions (laddr, --conn-timeout, ...), read
// with a popt-style scanner and checked against ipvsadm's command/option table, with its messages.

import type {
  Command, DestOptions, FwdMethod, ListOptions, ServiceKey, ServiceOptions, TunType,
} from '../../control/commands.js';
import type { IpAddr } from '../../packet/inet.js';
import { fail, parseIfName, parseUint, prune } from './common.js';
import { scanOptions, type OptHit } from './popt.js';
import { parseHostPort, parseNetmask, parseTimeout } from './tsvsadm-addr.js';
import { checkOptions, SCHED_FLAGS, SCHEDULERS, tsvsadmLookup, type CmdName, type TsvsadmSpec } from './tsvsadm-table.js';

/** ipvsadm's MAX_TIMEOUT (31 days) for -p and --set. */
const MAX_TIMEOUT = 86400 * 31;
/** IPVS_SVC_PERSISTENT_TIMEOUT: what a bare -p means (the man page's 300 is stale). */
const DEFAULT_PERSISTENT = 360;
/** DPVS's IPVS_TIMEOUT_MAX (one year less a second) for --conn-timeout. */
const MAX_CONN_TIMEOUT = 31535999;

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** The options of one line, by ipvsadm option group. */
class Given {
  readonly hits = new Map<string, OptHit<TsvsadmSpec>>();
  has(group: string): boolean {
    return this.hits.has(group);
  }
  value(group: string): string | undefined {
    return this.hits.get(group)?.value;
  }
  /** The value of an option the rules table made compulsory, or of one known to be present. */
  need(group: string): string {
    const v = this.value(group);
    if (v === undefined) fail(`option '${group}' needs a value`);
    return v;
  }
  name(group: string): string | undefined {
    return this.hits.get(group)?.spec.name;
  }
}

/** ipvsadm's parse_fwmark: a decimal integer 1..UINT_MAX. */
function parseFwmark(s: string): number {
  if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > 0xffffffff) {
    fail(`invalid fwmark value '${s}' specified (expected 1..4294967295)`);
  }
  return Number(s);
}

function serviceKey(o: Given): ServiceKey {
  const name = o.name('service-address');
  if (name === 'fwmark-service') return { fwmark: parseFwmark(o.need('service-address')), af: o.has('ipv6') ? 6 : 4 };
  const { addr, port } = parseHostPort(o.need('service-address'), 'virtual server');
  return { proto: name === 'tcp-service' ? 'tcp' : 'udp', addr, port: port ?? 0 };
}

const serviceAf = (k: ServiceKey): 4 | 6 => (k.fwmark !== undefined ? k.af : k.addr.af);

function parseSchedFlags(s: string, scheduler: string | undefined): string[] {
  const out: string[] = [];
  for (const f of s.split(',')) {
    if (!(f in SCHED_FLAGS)) fail(`invalid scheduler flag '${f}': expected ${Object.keys(SCHED_FLAGS).join(', ')}`);
    const needs = SCHED_FLAGS[f];
    if (needs !== undefined && scheduler !== undefined && scheduler !== needs) {
      fail(`incompatible scheduler flag '${f}': it is for the ${needs} scheduler, not ${scheduler}`);
    }
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** The service options this line gives (nothing defaulted: -E changes only what it names). */
function givenServiceOptions(cmd: CmdName, svc: ServiceKey, o: Given): Mutable<ServiceOptions> {
  const out: Mutable<ServiceOptions> = {};
  const sched = o.value('scheduler');
  if (sched !== undefined && !SCHEDULERS.includes(sched)) {
    fail(`illegal scheduler '${sched}' specified: expected one of ${SCHEDULERS.join(', ')}`);
  }
  out.scheduler = sched;
  if (o.has('persistent')) {
    const v = o.value('persistent');
    out.persistent = v === undefined ? DEFAULT_PERSISTENT : parseTimeout(v, 1, MAX_TIMEOUT);
  }
  if (o.has('netmask')) out.netmaskPlen = parseNetmask(o.need('netmask'), serviceAf(svc));
  if (o.has('ops')) {
    // ipvsadm allows it on fwmark services too: the mark may cover UDP.
    if (svc.fwmark === undefined && svc.proto !== 'udp') fail('One-Packet Scheduling is only for UDP virtual services');
    out.ops = true;
  }
  // -A without -s schedules with wlc, so flags are checked against it; -E without -s keeps a
  // scheduler this line does not know, and the engine checks.
  if (o.has('sched-flags')) {
    out.schedFlags = parseSchedFlags(o.need('sched-flags'), cmd === 'add-service' ? (sched ?? 'wlc') : sched);
  }
  if (o.has('conn-timeout')) out.connTimeout = parseUint(o.need('conn-timeout'), 0, MAX_CONN_TIMEOUT, 'conn-timeout');
  if (o.has('expire-quiescent')) out.expireQuiescent = true;
  const target = o.value('hash-target');
  if (target !== undefined) {
    if (target !== 'sip' && target !== 'qid') fail(`hash target '${target}' not supported: expected sip or qid`);
    if (sched !== 'conhash') fail('hash target can only be set when schedule is conhash (-s conhash)');
    if (target === 'qid' && (svc.fwmark !== undefined || svc.proto !== 'udp')) fail('qid hash can only be set in udp service');
    out.hashTarget = target;
  } else if (sched === 'conhash') {
    out.hashTarget = 'sip'; // DPVS's default for conhash
  }
  return prune(out);
}

const METHODS: Readonly<Record<string, FwdMethod>> = { gatewaying: 'dr', ipip: 'tunnel', masquerading: 'nat', fullnat: 'fnat' };
const TUN_TYPES: readonly TunType[] = ['ipip', 'gue', 'gre'];
const CSUMS = ['tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
/** ipvsadm's tunnel_types_v_options: tun-port, then the checksum options; '+' needed, 'x' illegal, '1' one of. */
const TUN_RULES: Readonly<Record<TunType, Readonly<Record<string, '+' | 'x' | '1'>>>> = {
  ipip: { 'tun-port': 'x', 'tun-nocsum': 'x', 'tun-csum': 'x', 'tun-remcsum': 'x' },
  gue: { 'tun-port': '+', 'tun-nocsum': '1', 'tun-csum': '1', 'tun-remcsum': '1' },
  gre: { 'tun-port': 'x', 'tun-nocsum': '1', 'tun-csum': '1', 'tun-remcsum': 'x' },
};

function tunnelOptions(o: Given): Mutable<DestOptions> {
  const name = o.value('tun-type') ?? 'ipip';
  const tunType = TUN_TYPES.find((t) => t === name);
  if (!tunType) fail(`illegal tunnel type specified: '${name}' (expected ipip, gue or gre)`);
  const rules = TUN_RULES[tunType];
  let csum: string | undefined;
  for (const opt of ['tun-port', ...CSUMS]) {
    const r = rules[opt];
    if (!o.has(opt)) {
      if (r === '+') fail(`You need to supply the '${opt}' option for the '${tunType}' tunnel type`);
    } else if (r === 'x') {
      fail(`Illegal '${opt}' option with the '${tunType}' tunnel type`);
    } else if (r === '1') {
      if (csum !== undefined) fail(`The option '${opt}' conflicts with the '${csum}' option in the '${tunType}' tunnel type`);
      csum = opt;
    }
  }
  const out: Mutable<DestOptions> = { tunType };
  if (o.has('tun-port')) {
    const p = o.need('tun-port');
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) fail(`illegal tunnel port specified: '${p}' (expected 1..65535)`);
    out.tunPort = Number(p);
  }
  // Checksums apply to gue and gre; ipvsadm's default is no checksum.
  if (tunType !== 'ipip') out.tunCsum = csum === 'tun-csum' ? 'csum' : csum === 'tun-remcsum' ? 'remcsum' : 'nocsum';
  return out;
}

function counted(o: Given, group: string, what: string): number | undefined {
  const v = o.value(group);
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) fail(`illegal ${what} specified: '${v}' (expected 0..65535)`);
  return Number(v);
}

interface DestParts {
  readonly addr: IpAddr;
  readonly port: number;
  readonly opts: Mutable<DestOptions>;
}

/** -r and the per-server options; only what the line gives, except -a's defaults filled by the caller. */
function givenDest(cmd: CmdName, svc: ServiceKey, o: Given): DestParts {
  const rs = parseHostPort(o.need('real-server'), 'real server');
  const written = o.name('forwarding-method');
  const method = written === undefined ? (cmd === 'add-server' ? 'dr' : undefined) : METHODS[written];
  // ipvsadm: a server without a port gets the service's; DR and tunnel servers always get it,
  // since neither rewrites the destination port. A fwmark service has no port: its servers keep
  // the one written, else 0, which the kernel reads as "the client's destination port".
  const port = svc.fwmark !== undefined ? (rs.port ?? 0)
    : method === 'dr' || method === 'tunnel' ? svc.port : (rs.port ?? svc.port);
  if ((method === 'dr' || method === 'nat') && rs.addr.af !== serviceAf(svc)) {
    fail('Different address family is allowed only for tunneling and FullNAT servers');
  }
  if (cmd === 'delete-server') return { addr: rs.addr, port, opts: {} };
  const tun = CSUMS.some((c) => o.has(c)) || o.has('tun-type') || o.has('tun-port');
  if (tun && method !== 'tunnel') fail('Tunnel options conflict with forward method (tunnel options need -i)');
  const opts: Mutable<DestOptions> = {
    method,
    weight: counted(o, 'weight', 'weight'),
    uThreshold: counted(o, 'u-threshold', 'u_threshold'),
    lThreshold: counted(o, 'l-threshold', 'l_threshold'),
    ...(method === 'tunnel' ? tunnelOptions(o) : {}),
  };
  return { addr: rs.addr, port, opts: prune(opts) };
}

function listCommand(o: Given): Command {
  const opts: ListOptions = {
    numeric: o.has('numeric'), connection: o.has('connection'), stats: o.has('stats'), rate: o.has('rate'),
    exact: o.has('exact'), thresholds: o.has('thresholds'), persistentConn: o.has('persistent-conn'),
    timeout: o.has('timeout'), daemon: o.has('daemon'), nosort: o.has('nosort'), tunInfo: o.has('tun-info'),
  };
  if (((opts.connection || opts.timeout || opts.daemon) && (opts.stats || opts.rate || opts.thresholds)) ||
      ((opts.timeout || opts.daemon) && opts.persistentConn)) {
    fail('options conflicts in the list command');
  }
  return { kind: 'list', svc: o.has('service-address') ? serviceKey(o) : undefined, opts };
}

function build(cmd: CmdName, o: Given, args: readonly string[]): Command {
  if (cmd === 'set') {
    if (args.length < 3) fail('--set option requires 3 timeout values (tcp tcpfin udp)');
    const [tcp, tcpfin, udp] = args.map((a) => parseTimeout(a, 0, MAX_TIMEOUT)) as [number, number, number];
    return { kind: 'set-timeouts', tcp, tcpfin, udp };
  }
  switch (cmd) {
    case 'flush': return { kind: 'clear' };
    case 'restore': return { kind: 'restore' };
    case 'save': return { kind: 'save', numeric: o.has('numeric') };
    case 'list': return listCommand(o);
    case 'zero': return { kind: 'zero', svc: o.has('service-address') ? serviceKey(o) : undefined };
    case 'get-laddr': return { kind: 'laddr-list', svc: o.has('service-address') ? serviceKey(o) : undefined };
    default:
  }
  const svc = serviceKey(o);
  switch (cmd) {
    case 'delete-service': return { kind: 'service-del', svc };
    case 'add-service': {
      const g = givenServiceOptions(cmd, svc, o);
      if (svc.fwmark === undefined && svc.port === 0 && g.persistent === undefined) {
        fail('Zero port specified for non-persistent service (add -p, or give a port)');
      }
      // ipvsadm's defaults: wlc, and a full-length persistence mask (255.255.255.255, or 128).
      const netmaskPlen = serviceAf(svc) === 4 ? 32 : 128;
      const opts: ServiceOptions = { scheduler: 'wlc', ops: false, schedFlags: [], expireQuiescent: false, netmaskPlen, ...g };
      return { kind: 'service-add', svc, opts };
    }
    case 'edit-service': return { kind: 'service-edit', svc, opts: givenServiceOptions(cmd, svc, o) };
    case 'add-laddr': case 'del-laddr': {
      const l = parseHostPort(o.need('local-address'), 'local');
      if (l.port !== undefined) fail(`illegal local address '${o.need('local-address')}': -z takes an address without a port`);
      const dev = parseIfName(o.need('ifname'));
      return { kind: cmd === 'add-laddr' ? 'laddr-add' : 'laddr-del', svc, addr: l.addr, dev };
    }
    default:
  }
  const d = givenDest(cmd, svc, o);
  if (cmd === 'delete-server') return { kind: 'dest-del', svc, addr: d.addr, port: d.port };
  if (cmd === 'edit-server') return { kind: 'dest-edit', svc, addr: d.addr, port: d.port, opts: d.opts };
  const opts: DestOptions = { method: 'dr', weight: 1, uThreshold: 0, lThreshold: 0, tunType: 'ipip', ...d.opts };
  return { kind: 'dest-add', svc, addr: d.addr, port: d.port, opts };
}

/** Parses the words after the program name, e.g. ['-A', '-t', '10.0.0.1:80', '-s', 'rr']. */
export function parseTsvsadm(argv: readonly string[]): Command {
  // Like ipvsadm, no arguments at all means "list everything".
  if (argv.length === 0) return prune(listCommand(new Given()));
  const st: { cmd?: CmdName } = {};
  const given = new Given();
  const args: string[] = [];
  scanOptions(argv, tsvsadmLookup(() => st.cmd), (hit) => {
    if (hit.spec.cmd !== undefined) {
      if (st.cmd !== undefined) fail('multiple commands specified');
      st.cmd = hit.spec.cmd;
      return;
    }
    // ipvsadm reads the command first: it decides what the rest (notably -b) means.
    if (st.cmd === undefined) fail(`the command (-A, -E, -D, -C, -a, -e, -d, -L, -Z, -S, -R, --set, -P, -Q, -G) must come first, before ${hit.written}`);
    if (hit.spec.name === 'sort') return; // ipvsadm: "does nothing, for backwards compatibility"
    if (given.has(hit.spec.group)) fail(`multiple '${hit.spec.group}' options specified`);
    given.hits.set(hit.spec.group, hit);
  }, (w) => args.push(w));
  const cmd = st.cmd;
  if (cmd === undefined) fail(`no command given (unexpected argument '${args[0]}'): e.g. tsvsadm -A -t VIP:PORT -s rr`);
  // -6 is not in ipvsadm's option table: it only qualifies -f (ipvsadm: "-6 used before -f").
  if (given.has('ipv6') && given.name('service-address') !== 'fwmark-service') {
    fail('-6 is for fwmark services (-f MARK -6); an IPv6 -t/-u service is written with its IPv6 address in brackets');
  }
  checkOptions(cmd, [...given.hits.keys()].filter((g) => g !== 'ipv6'));
  const extra = args[cmd === 'set' ? 3 : 0];
  if (extra !== undefined) fail(`unexpected argument ${extra}`);
  return prune(build(cmd, given, args));
}

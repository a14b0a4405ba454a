// `tsvs set KEY VALUE`: the runtime knobs DPVS keeps in dpvs.conf (ipvs_defs) and LVS in sysctls
// (net.ipv4.vs.*), under their anchors' own names so operators recognise them. The list is fixed.

import type { Command } from '../../control/commands.js';
import { fail, parseUint } from './common.js';

export interface TsvsSetKey {
  readonly key: string;
  readonly min: number;
  readonly max: number;
  /** One line for help output: what it sets, and DPVS's / the kernel's default. */
  readonly doc: string;
}

/** DPVS's timeout range: 1 s .. IPVS_TIMEOUT_MAX (one year less a second). */
const T_MIN = 1;
const T_MAX = 31535999;

/** DPVS tcp_timeouts[] defaults (seconds), in its state order. */
const TCP_STATES: ReadonlyArray<readonly [string, number]> = [
  ['none', 2], ['established', 90], ['syn_sent', 3], ['syn_recv', 30], ['fin_wait', 7], ['time_wait', 7],
  ['close', 3], ['close_wait', 7], ['last_ack', 7], ['listen', 120], ['synack', 30], ['last', 2],
];
const UDP_STATES: ReadonlyArray<readonly [string, number]> = [['oneway', 300], ['normal', 300], ['last', 2]];

export const TSVS_SET_KEYS: readonly TsvsSetKey[] = [
  ...TCP_STATES.map(([s, d]) => ({
    key: `ipvs_defs.tcp.timeout.${s}`, min: T_MIN, max: T_MAX, doc: `TCP ${s.toUpperCase()} timeout, seconds (DPVS default ${d})`,
  })),
  ...UDP_STATES.map(([s, d]) => ({
    key: `ipvs_defs.udp.timeout.${s}`, min: T_MIN, max: T_MAX, doc: `UDP ${s.toUpperCase()} timeout, seconds (DPVS default ${d})`,
  })),
  { key: 'ipvs_defs.conn.conn_init_timeout', min: T_MIN, max: T_MAX, doc: 'timeout of a new connection before its first state change, seconds (default 3)' },
  { key: 'ipvs_defs.conn.expire_quiescent_template', min: 0, max: 1, doc: '1: expire persistence templates that point at a weight-0 server (default 0)' },
  { key: 'net.ipv4.vs.expire_nodest_conn', min: 0, max: 1, doc: "1: expire a connection whose server was removed on its next packet; 0: drop that packet (default 0)" },
  { key: 'net.ipv4.vs.conn_reuse_mode', min: 0, max: 3, doc: 'bit 0: reschedule a reused client port when safe; bit 1: also in FIN_WAIT for DR (default 1)' },
  { key: 'ipv4_defs.forwarding', min: 0, max: 1, doc: '1: route transit traffic (TTL, MTU, fragments); 0: hand it to the kernel (DPVS default off)' },
  { key: 'ipv4_defs.default_ttl', min: 1, max: 255, doc: 'TTL / hop limit of packets tsvs originates (DPVS default 64)' },
  { key: 'neigh_defs.timeout', min: 1, max: T_MAX, doc: 'seconds a neighbour stays REACHABLE before it goes STALE (DPVS default 60)' },
  { key: 'neigh_defs.unres_queue_length', min: 1, max: 1024, doc: 'packets queued per unresolved neighbour (DPVS default 128)' },
];

const BY_KEY = new Map(TSVS_SET_KEYS.map((k) => [k.key, k]));

/** Parses the words after `tsvs`: `set` configures; `save` asks the daemon for its script. */
export function parseTsvs(argv: readonly string[]): Command {
  const [sub, key, value, extra] = argv;
  if (sub === 'save') {
    if (key !== undefined) fail(`unexpected argument '${key}': tsvs save`);
    return { kind: 'config-save' };
  }
  if (sub !== 'set') fail(`'tsvs ${sub ?? ''}' is not a configuration command: use tsvs set KEY VALUE`);
  if (key === undefined || value === undefined) fail('usage: tsvs set KEY VALUE');
  if (extra !== undefined) fail(`unexpected argument '${extra}': tsvs set KEY VALUE`);
  const k = BY_KEY.get(key);
  if (!k) {
    fail(`unknown key '${key}': expected ipvs_defs.tcp.timeout.<state>, ipvs_defs.udp.timeout.<oneway|normal|last>, ` +
      'ipvs_defs.conn.conn_init_timeout, ipvs_defs.conn.expire_quiescent_template, ' +
      'net.ipv4.vs.expire_nodest_conn, net.ipv4.vs.conn_reuse_mode, ipv4_defs.forwarding, ipv4_defs.default_ttl, ' +
      'neigh_defs.timeout or neigh_defs.unres_queue_length');
  }
  return { kind: 'tsvs-set', key, value: parseUint(value, k.min, k.max, key) };
}

// `tsvs save`: the whole configuration as a replayable script (tsip, tsvs set and tsvsadm lines)
// that a daemon's startup_script loads at start. Ports stay declared in tsvs.conf: the script
// only sets their state. Everything else is derived from the applied configuration, not its history.

import type { Engine } from '../../worker/engine.js';
import type { ServiceView } from '../views.js';
import { TSVS_SET_KEYS } from '../../cli/parse/tsvs.js';
import { TCP_STATE_KEYS, UDP_STATE_KEYS } from '../../ipvs/proto.js';
import { formatIp, formatMac, ipEquals, maskIp } from '../../packet/inet.js';
import { NUD_PERMANENT } from '../../netif/neigh.js';
import { saveRules } from './ipvsadm-save.js';

/** The value `tsvs set KEY` gave (or the default), read back from the engine. */
export function settingValue(e: Engine, key: string): number {
  const st = e.ipvs.settings;
  const tcp = /^ipvs_defs\.tcp\.timeout\.(\w+)$/.exec(key);
  if (tcp) return st.tcpTimeouts[(TCP_STATE_KEYS as readonly string[]).indexOf(tcp[1]!)]!;
  const udp = /^ipvs_defs\.udp\.timeout\.(\w+)$/.exec(key);
  if (udp) return st.udpTimeouts[(UDP_STATE_KEYS as readonly string[]).indexOf(udp[1]!)]!;
  switch (key) {
    case 'ipvs_defs.conn.conn_init_timeout': return st.connInitTimeout;
    case 'ipvs_defs.conn.expire_quiescent_template': return st.expireQuiescentTemplate;
    case 'net.ipv4.vs.expire_nodest_conn': return st.expireNodestConn;
    case 'net.ipv4.vs.conn_reuse_mode': return st.connReuseMode;
    case 'ipv4_defs.forwarding': return e.stack.settings.forwarding ? 1 : 0;
    case 'ipv4_defs.default_ttl': return e.stack.settings.defaultTtl;
    case 'neigh_defs.timeout': return Math.round(e.stack.neighs.settings.reachableMs / 1000);
    case 'neigh_defs.unres_queue_length': return e.stack.neighs.settings.queueLength;
    default: throw new Error(`settingValue: unknown key ${key}`);
  }
}

/**
 * The script, in the order it must replay: port state, addresses, routes (not the connected
 * routes addresses bring with them), static neighbours, settings that differ from `defaults`
 * (a fresh engine), then the tsvsadm rules of `tsvsadm -S` with the program name in front.
 */
export function configScript(state: Engine, defaults: Engine, svcs: readonly ServiceView[]): string {
  const { ports, addrs, routes, neighs } = state.stack;
  const out: string[] = ['# tsvs save: replay with `tsvs daemon` (startup_script) or `tsvsadm -R`-style as one batch'];
  const dev = (i: number): string => ports[i]!.name;
  for (const p of ports) out.push(`tsip link set ${p.name} lladdr ${formatMac(p.mac)} mtu ${p.mtu} ${p.up ? 'up' : 'down'}`);
  const own = addrs.all().filter((a) => !a.implicit);
  for (const a of own) out.push(`tsip addr add ${formatIp(a.addr)}/${a.plen} dev ${dev(a.port)} scope ${a.scope}${a.sapool ? ' sapool' : ''}`);
  for (const af of [4, 6] as const) {
    for (const r of routes.list(af)) {
      const connected = r.via === null && r.scope === 'link' && r.metric === 0 && r.mtu === 0 && own.some((a) =>
        a.port === r.port && a.plen === r.plen && r.src !== null && ipEquals(a.addr, r.src) && ipEquals(maskIp(a.addr, a.plen), r.prefix));
      if (connected) continue;
      let l = `tsip route add ${formatIp(r.prefix)}/${r.plen}`;
      if (r.via) l += ` via ${formatIp(r.via)}`;
      l += ` dev ${dev(r.port)}`;
      if (r.src) l += ` src ${formatIp(r.src)}`;
      l += ` scope ${r.scope}`;
      if (r.metric) l += ` metric ${r.metric}`;
      if (r.mtu) l += ` mtu ${r.mtu}`;
      out.push(l);
    }
  }
  for (const n of neighs.all()) {
    if (n.state === NUD_PERMANENT) out.push(`tsip neigh add ${formatIp(n.addr)} lladdr ${formatMac(n.mac)} dev ${dev(n.port)}`);
  }
  for (const { key } of TSVS_SET_KEYS) {
    const v = settingValue(state, key);
    if (v !== settingValue(defaults, key)) out.push(`tsvs set ${key} ${v}`);
  }
  for (const rule of saveRules(svcs).split('\n')) if (rule) out.push(`tsvsadm ${rule}`);
  return out.map((l) => l + '\n').join('');
}

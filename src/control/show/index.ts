// Answers the read-only commands (tsvsadm -L/-S/-G/--timeout, tsip ... show, tsvs save) in
// ipvsadm's, DPVS's and dpip's formats, from the daemon's views. Never changes any state.

import type { Command, ServiceKey } from '../commands.js';
import { serviceKeyText, serviceName } from '../service-key.js';
import type { ServiceView } from '../views.js';
import type { Totals } from '../workers.js';
import type { ConnRow, NeighRow } from '../../worker/query.js';
import type { Engine } from '../../worker/engine.js';
import { TsvsError } from '../../errors.js';
import { TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, UDP_S_NORMAL } from '../../ipvs/proto.js';
import { configScript } from './config-save.js';
import { addrShow } from './dpip-addr.js';
import { cpuShow, isCpuName, linkShow } from './dpip-link.js';
import { neighShow } from './dpip-neigh.js';
import { routeShow } from './dpip-route.js';
import { listConns } from './ipvsadm-conns.js';
import { listLaddrs } from './ipvsadm-laddr.js';
import { listAll, listOne, listTimeout } from './ipvsadm-list.js';
import { saveRules } from './ipvsadm-save.js';
import { NUMERIC, resolvingNames } from './names.js';

/** What the listings read: the daemon implements it. */
export interface ShowSource {
  readonly current: Engine;
  /** A fresh engine with no configuration: the defaults `tsvs save` leaves out. */
  defaults(): Engine;
  /** Total connection capacity, for the `(size=N)` of ipvsadm's header. */
  readonly connCapacity: number;
  readonly workers: number;
  services(): Promise<ServiceView[]>;
  connections(): Promise<{ rows: { worker: number; conn: ConnRow }[] }>;
  neighbours(): Promise<{ worker: number; neigh: NeighRow }[]>;
  totals(): Totals;
  workerCounters(): Float64Array[];
}

const READ_ONLY = new Set<Command['kind']>(['list', 'save', 'laddr-list', 'link-show', 'addr-show', 'route-show', 'neigh-show', 'config-save']);

export function isReadOnly(cmd: Command): boolean {
  return READ_ONLY.has(cmd.kind);
}

function oneService(svcs: readonly ServiceView[], k: ServiceKey): ServiceView {
  const key = serviceKeyText(k);
  const s = svcs.find((x) => x.key === key);
  if (!s) throw new TsvsError('TSVS_ERR_NO_SERVICE', `No such service: ${serviceName(k)}`);
  return s;
}

export async function show(cmd: Command, src: ShowSource): Promise<string> {
  const state = src.current;
  switch (cmd.kind) {
    case 'list': {
      const o = cmd.opts;
      const names = o.numeric ? NUMERIC : resolvingNames();
      if (o.connection) {
        // DPVS: -c lists connections; with --persistent-conn, the persistence templates instead.
        const rows = (await src.connections()).rows.filter((r) => r.conn.template === o.persistentConn);
        return listConns(rows, names);
      }
      if (o.timeout) {
        const st = state.ipvs.settings;
        return listTimeout(st.tcpTimeouts[TCP_S_ESTABLISHED]!, st.tcpTimeouts[TCP_S_FIN_WAIT]!, st.udpTimeouts[UDP_S_NORMAL]!);
      }
      if (o.daemon) return '';
      const svcs = await src.services();
      if (cmd.svc) return listOne(oneService(svcs, cmd.svc), o, names);
      return listAll(svcs, o, src.connCapacity, names);
    }
    case 'save':
      return saveRules(await src.services());
    case 'laddr-list': {
      const svcs = await src.services();
      return listLaddrs(cmd.svc ? [oneService(svcs, cmd.svc)] : svcs);
    }
    case 'link-show':
      if (isCpuName(cmd.name)) return cpuShow(state, cmd.name!, cmd.stats, src.workerCounters());
      return linkShow(state, cmd, src.totals().counters, src.workers);
    case 'addr-show': {
      if (cmd.dev !== undefined) state.stack.port(cmd.dev);
      const laddrs = cmd.stats ? (await src.services()).flatMap((s) => s.laddrs) : [];
      return addrShow(state, cmd, laddrs, src.workers);
    }
    case 'route-show':
      if (cmd.dev !== undefined) state.stack.port(cmd.dev);
      return routeShow(state, cmd);
    case 'neigh-show':
      if (cmd.dev !== undefined) state.stack.port(cmd.dev);
      return neighShow(await src.neighbours(), cmd);
    case 'config-save':
      return configScript(state, src.defaults(), await src.services());
    default:
      throw new TsvsError('TSVS_ERR_UNSUPPORTED', `${cmd.kind} is not a read-only command`);
  }
}

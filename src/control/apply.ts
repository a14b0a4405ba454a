// Applies configuration commands to an engine: the one place tsip/tsvsadm/tsvs semantics meet
// the data plane's tables. Replay uses it directly; the daemon will apply the same commands.

import type { Command, RouteSpec } from './commands.js';
import { TsvsError } from '../errors.js';
import { type IpAddr, formatIp, maskIp } from '../packet/inet.js';
import type { Engine } from '../worker/engine.js';

/** Applies one command. Throws TsvsError (state unchanged for that command) when it cannot. */
export function applyCommand(engine: Engine, cmd: Command): void {
  const { stack, ipvs } = engine;
  const now = engine.clock.now();
  switch (cmd.kind) {
    case 'link-add':
      stack.addPort(cmd.name, cmd.mac, cmd.mtu);
      return;
    case 'link-set': {
      const p = stack.port(cmd.name);
      if (cmd.mtu !== undefined) p.mtu = cmd.mtu;
      if (cmd.mac !== undefined) p.mac.set(cmd.mac);
      if (cmd.up !== undefined) p.up = cmd.up;
      stack.neighs.gen++;
      return;
    }
    case 'addr-add': {
      const p = stack.port(cmd.dev);
      stack.addrs.add({ addr: cmd.addr, plen: cmd.plen, port: p.index, sapool: cmd.sapool, scope: cmd.scope, implicit: false });
      // Like dpip: an address brings its connected route (scope link) unless it is a host address.
      const host = cmd.addr.af === 4 ? 32 : 128;
      if (cmd.plen < host) {
        const prefix = maskIp(cmd.addr, cmd.plen);
        if (!stack.routes.list(cmd.addr.af).some((r) => r.plen === cmd.plen && r.port === p.index && sameAddr(r.prefix, prefix))) {
          stack.routes.add({ af: cmd.addr.af, prefix, plen: cmd.plen, via: null, port: p.index, src: cmd.addr, scope: 'link', metric: 0, mtu: 0 });
        }
      }
      stack.neighs.gen++;
      return;
    }
    case 'addr-del': {
      const p = stack.port(cmd.dev);
      stack.addrs.del(cmd.addr, p.index);
      const host = cmd.addr.af === 4 ? 32 : 128;
      if (cmd.plen < host) {
        try { stack.routes.del(cmd.addr.af, maskIp(cmd.addr, cmd.plen), cmd.plen, p.index); } catch { /* route already gone */ }
      }
      stack.neighs.gen++;
      return;
    }
    case 'addr-flush': {
      const p = stack.port(cmd.dev);
      for (const a of [...stack.addrs.all()]) {
        if (a.port === p.index && !a.implicit && (cmd.af === undefined || a.addr.af === cmd.af)) stack.addrs.del(a.addr, p.index);
      }
      stack.neighs.gen++;
      return;
    }
    case 'route-add': {
      const r = cmd.route;
      stack.routes.add(routeEntry(engine, r));
      if (r.scope === 'kni_host') engine.kniHosts.set(r.prefix, true);
      stack.neighs.gen++;
      return;
    }
    case 'route-del': {
      const r = cmd.route;
      stack.routes.del(r.prefix.af, r.prefix, r.plen, r.dev === undefined ? undefined : stack.port(r.dev).index, r.metric || undefined);
      if (r.scope === 'kni_host' || engine.kniHosts.get(r.prefix)) engine.kniHosts.delete(r.prefix);
      stack.neighs.gen++;
      return;
    }
    case 'route-flush':
      stack.routes.flush(cmd.af, cmd.dev === undefined ? undefined : stack.port(cmd.dev).index);
      stack.neighs.gen++;
      return;
    case 'neigh-add':
      stack.neighs.addStatic(cmd.addr, cmd.mac, stack.port(cmd.dev).index, now);
      stack.neighs.gen++;
      return;
    case 'neigh-del':
      for (const slot of stack.neighs.delStatic(cmd.addr, stack.port(cmd.dev).index)) stack.pending.release(slot);
      return;
    case 'service-add':
      ipvs.addService(cmd.svc, cmd.opts);
      return;
    case 'service-edit':
      ipvs.editService(cmd.svc, cmd.opts);
      return;
    case 'service-del':
      ipvs.deleteService(cmd.svc);
      return;
    case 'clear':
      ipvs.clear();
      return;
    case 'dest-add':
      ipvs.addDest(cmd.svc, cmd.addr, cmd.port, cmd.opts);
      return;
    case 'dest-edit':
      ipvs.editDest(cmd.svc, cmd.addr, cmd.port, cmd.opts);
      return;
    case 'dest-del':
      ipvs.deleteDest(cmd.svc, cmd.addr, cmd.port);
      return;
    case 'laddr-add': {
      const p = stack.port(cmd.dev);
      ipvs.addLaddr(cmd.svc, cmd.addr, p.index);
      // DPVS answers ARP for a LIP once it is in a pool: make it one of the port's addresses.
      const a = stack.addrs.get(cmd.addr);
      if (!a) stack.addrs.add({ addr: cmd.addr, plen: cmd.addr.af === 4 ? 32 : 128, port: p.index, sapool: true, scope: 'host', implicit: true });
      return;
    }
    case 'laddr-del': {
      stack.port(cmd.dev);
      ipvs.delLaddr(cmd.svc, cmd.addr);
      const a = stack.addrs.get(cmd.addr);
      if (a && a.implicit && !ipvs.laddrInUse(cmd.addr)) stack.addrs.del(cmd.addr, a.port);
      return;
    }
    case 'zero':
      ipvs.zero(cmd.svc);
      return;
    case 'set-timeouts':
      ipvs.setTimeouts(cmd.tcp, cmd.tcpfin, cmd.udp);
      return;
    case 'tsvs-set':
      if (ipvs.set(cmd.key, cmd.value)) return;
      if (applyStackSetting(engine, cmd.key, cmd.value)) return;
      throw new TsvsError('TSVS_ERR_INVALID_ARG', `unknown setting ${cmd.key}`);
    default:
      throw new TsvsError('TSVS_ERR_UNSUPPORTED', `${(cmd as { kind: string }).kind} is not a configuration command`);
  }
}

function applyStackSetting(engine: Engine, key: string, value: number): boolean {
  const s = engine.stack.settings;
  const n = engine.stack.neighs.settings;
  switch (key) {
    case 'ipv4_defs.forwarding': s.forwarding = value !== 0; return true;
    case 'ipv4_defs.default_ttl': s.defaultTtl = value; return true;
    case 'neigh_defs.timeout': n.reachableMs = value * 1000; return true;
    case 'neigh_defs.unres_queue_length': n.queueLength = value; return true;
    default: return false;
  }
}

function sameAddr(a: IpAddr, b: IpAddr): boolean {
  return a.af === b.af && a.w0 === b.w0 && a.w1 === b.w1 && a.w2 === b.w2 && a.w3 === b.w3;
}

function routeEntry(engine: Engine, r: RouteSpec) {
  const stack = engine.stack;
  let port: number;
  if (r.dev !== undefined) {
    port = stack.port(r.dev).index;
  } else if (r.via !== undefined) {
    const via = r.via;
    const nh = via.af === 4 ? stack.routes.lookup4(via.w0) : stack.routes.lookup6(via.w0, via.w1, via.w2, via.w3);
    if (!nh) throw new TsvsError('TSVS_ERR_NO_ROUTE', `Nexthop ${formatIp(via)} has invalid gateway: no route to it (give dev)`);
    port = nh.port;
  } else {
    throw new TsvsError('TSVS_ERR_INVALID_ARG', 'route needs "dev" or "via"');
  }
  return {
    af: r.prefix.af,
    prefix: r.prefix,
    plen: r.plen,
    via: r.via ?? null,
    port,
    src: r.src ?? null,
    scope: r.scope ?? (r.via ? 'global' : 'link'),
    metric: r.metric,
    mtu: r.mtu ?? 0,
  } as const;
}


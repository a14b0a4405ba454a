// What one engine's configuration owns on the wire: its VIPs, LIPs and interface addresses, as
// the plain snapshot the drivers take (takeover filters, fanout steering). Control path only.

import type { OwnedAddrs } from '../drivers/driver.js';
import { type IpAddr, ipEquals } from '../packet/inet.js';
import type { Engine } from './engine.js';

function sorted(list: Iterable<IpAddr>): IpAddr[] {
  const out: IpAddr[] = [];
  for (const a of list) if (!out.some((b) => ipEquals(a, b))) out.push(a);
  return out.sort((x, y) => x.af - y.af || (x.w0 >>> 0) - (y.w0 >>> 0) || (x.w1 >>> 0) - (y.w1 >>> 0)
    || (x.w2 >>> 0) - (y.w2 >>> 0) || (x.w3 >>> 0) - (y.w3 >>> 0));
}

export function ownedAddrs(engine: Engine): OwnedAddrs {
  const vips = sorted(engine.ipvs.services.flatMap((s) => (s ? [s.addr] : [])));
  const lips = sorted([...engine.ipvs.laddrs.values()].map((l) => l.addr));
  const taken = [...vips, ...lips];
  const local = sorted(engine.stack.addrs.all().map((a) => a.addr).filter((a) => !taken.some((t) => ipEquals(a, t))));
  return { vips, lips, local };
}

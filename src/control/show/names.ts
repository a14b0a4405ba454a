// Address and port names for listings without -n, as ipvsadm's addrport_to_anyname finds them:
// host names by reverse lookup (getnameinfo: hosts file, then DNS), port names from /etc/services.
// Every lookup is bounded in time and falls back to the number; nothing here ever throws.

import { promises as dns } from 'node:dns';
import { readFileSync } from 'node:fs';
import { hostPort } from './printf.js';

/** How long one reverse lookup may take before the listing prints the address instead. */
const LOOKUP_TIMEOUT_MS = 500;
const SERVICES_FILE = '/etc/services';

export interface Names {
  /** `host:port` (IPv6 `[host]:port`), named unless numeric. */
  addrPort(addr: string, port: number, proto: 'tcp' | 'udp'): Promise<string>;
}

/** -n: numbers only. */
export const NUMERIC: Names = { addrPort: (addr, port) => Promise.resolve(hostPort(addr, port, addr.includes(':'))) };

/** getservbyport over /etc/services: the first name listed for port/proto. */
function readServices(): Map<string, string> {
  const m = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(SERVICES_FILE, 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const [name, portProto] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (name && portProto && /^\d+\/(tcp|udp)$/.test(portProto) && !m.has(portProto)) m.set(portProto, name);
  }
  return m;
}

function reverse(addr: string): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(addr), LOOKUP_TIMEOUT_MS).unref());
  const lookup = dns.lookupService(addr, 0).then((r) => r.hostname, () => addr);
  return Promise.race([lookup, timeout]);
}

/** A resolver for one listing: each address is looked up once, all lookups run in parallel. */
export function resolvingNames(): Names {
  const services = readServices();
  const hosts = new Map<string, Promise<string>>();
  return {
    async addrPort(addr, port, proto) {
      let host = hosts.get(addr);
      if (!host) hosts.set(addr, (host = reverse(addr)));
      return hostPort(await host, services.get(`${port}/${proto}`) ?? String(port), addr.includes(':'));
    },
  };
}

// ipvsadm's address arguments: host[:port] with IPv6 in brackets (-t, -u, -r, -z), and the
// persistence netmask (-M), which is dotted for IPv4 and a prefix length for IPv6.

import { netmaskToPrefix, parseIp, parseIp4, type IpAddr } from '../../packet/inet.js';
import { fail } from './common.js';

/**
 * The few /etc/services names ipvsadm users write in ports (it calls getservbyname); a fixed list
 * so a script parses the same on every machine.
 */
const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap: 143, https: 443,
  imaps: 993, pop3s: 995, mysql: 3306,
};

function parsePort(s: string, what: string, whole: string): number {
  const named = WELL_KNOWN_PORTS[s];
  if (named !== undefined) return named;
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) {
    fail(`illegal ${what} address[:port] specified: '${whole}' (port '${s}' is not 0..65535)`);
  }
  return Number(s);
}

/** host[:port] / [v6]:port / bare v6. `port` is undefined when none was written. */
export function parseHostPort(s: string, what: string): { addr: IpAddr; port?: number } {
  let host = s;
  let portStr: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) fail(`illegal ${what} address[:port] specified: '${s}' (missing ']')`);
    host = s.slice(1, close);
    const tail = s.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':')) fail(`illegal ${what} address[:port] specified: '${s}'`);
    if (tail !== '') portStr = tail.slice(1);
  } else if (s.indexOf(':') === s.lastIndexOf(':') && s.includes(':')) {
    // Exactly one colon: IPv4 (or a name) with a port. More colons: a bare IPv6 address.
    host = s.slice(0, s.indexOf(':'));
    portStr = s.slice(s.indexOf(':') + 1);
  }
  const addr = parseIp(host);
  if (!addr) {
    if (/^[A-Za-z0-9.-]+$/.test(host) && /[A-Za-z]/.test(host)) {
      fail(`illegal ${what} address[:port] specified: '${s}' (tsvs does not resolve host names; give an IP address)`);
    }
    fail(`illegal ${what} address[:port] specified: '${s}'`);
  }
  return portStr === undefined ? { addr } : { addr, port: parsePort(portStr, what, s) };
}

/** -M: IPv4 services take a contiguous dotted mask; IPv6 services a prefix length 1..128. */
export function parseNetmask(s: string, af: 4 | 6): number {
  if (af === 6) {
    if (!/^\d{1,3}$/.test(s) || Number(s) < 1 || Number(s) > 128) {
      fail(`illegal ipv6 netmask specified: '${s}' (expected a prefix length 1..128)`);
    }
    return Number(s);
  }
  const m = parseIp4(s);
  const plen = m ? netmaskToPrefix(m) : null;
  if (plen === null) {
    fail(`illegal virtual server persistent mask specified: '${s}' (expected a dotted mask such as 255.255.255.0)`);
  }
  return plen;
}

/** A timeout in seconds, with ipvsadm's message. */
export function parseTimeout(s: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(s) || Number(s) < min || Number(s) > max) {
    fail(`invalid timeout value '${s}' specified (expected ${min}..${max} seconds)`);
  }
  return Number(s);
}

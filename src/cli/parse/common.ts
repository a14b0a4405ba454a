// Small helpers shared by the tsip, tsvsadm and tsvs line parsers: strict numbers, addresses
// and names. Each throws SyntaxError_ with a message that names the offending word.

import { SyntaxError_ } from '../../errors.js';
import { parseIp, parseMac, type IpAddr, type MacAddr } from '../../packet/inet.js';

export function fail(message: string): never {
  throw new SyntaxError_(message);
}

/**
 * A decimal integer in [min, max]. Stricter than the C tools' atoi/strtol on purpose: "8o" or ""
 * is a typo, and silently reading 8 or 0 would configure something the operator did not write.
 */
export function parseUint(s: string, min: number, max: number, what: string): number {
  if (!/^\d{1,10}$/.test(s)) fail(`invalid ${what} '${s}': expected a number ${min}..${max}`);
  const n = Number(s);
  if (n < min || n > max) fail(`${what} ${n} is out of range ${min}..${max}`);
  return n;
}

/** An IPv4 or IPv6 address; `af`, when known, is the family it must have. */
export function parseAddr(s: string, what: string, af?: 4 | 6): IpAddr {
  const a = parseIp(s);
  if (!a) fail(`invalid ${what} '${s}': expected an IPv4 or IPv6 address`);
  if (af !== undefined && a.af !== af) {
    fail(`${what} '${s}' is IPv${a.af} but this command is IPv${af}`);
  }
  return a;
}

export function parseMacArg(s: string): MacAddr {
  const m = parseMac(s);
  if (!m) fail(`invalid link layer address '${s}': expected xx:xx:xx:xx:xx:xx`);
  return m;
}

/** Interface names as DPVS writes them: dpdk0, bond0, dpdk0.100, dpdk0.kni (IFNAMSIZ 16). */
export function parseIfName(s: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/.test(s)) {
    fail(`invalid interface name '${s}': letters, digits, '_', '.', ':', '-', at most 15`);
  }
  return s;
}

/** Reads the value word after a keyword or option, or fails naming the keyword. */
export function valueAfter(argv: readonly string[], i: number, keyword: string): string {
  const v = argv[i + 1];
  if (v === undefined) fail(`missing value after '${keyword}'`);
  return v;
}

/**
 * Drops properties whose value is undefined, so a Command carries only what the line said and
 * deepStrictEqual sees `{}` and `{ mtu: undefined }` as the same thing.
 */
export function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

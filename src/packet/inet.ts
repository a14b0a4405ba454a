// IPv4/IPv6 addresses for the control plane: parsing, formatting, prefix masks.
// Addresses are four big-endian u32 words so the data plane can compare them without strings.

/**
 * An IP address. IPv4 uses w0 only (w1..w3 are 0); IPv6 uses all four words, most significant
 * first. Words are unsigned (>>> 0). Immutable by convention.
 */
export interface IpAddr {
  readonly af: 4 | 6;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
}

export function ip4(w0: number): IpAddr {
  return { af: 4, w0: w0 >>> 0, w1: 0, w2: 0, w3: 0 };
}

export function ip6(w0: number, w1: number, w2: number, w3: number): IpAddr {
  return { af: 6, w0: w0 >>> 0, w1: w1 >>> 0, w2: w2 >>> 0, w3: w3 >>> 0 };
}

export function parseIp4(s: string): IpAddr | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let w = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    w = w * 256 + n;
  }
  return ip4(w);
}

export function parseIp6(s: string): IpAddr | null {
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const groups: number[] = [];
  const parseSide = (side: string): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.includes('.')) {
        if (i !== items.length - 1) return null;
        const v4 = parseIp4(it);
        if (!v4) return null;
        out.push(v4.w0 >>> 16, v4.w0 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    if (!head || !tail) return null;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...tail);
  } else {
    const all = parseSide(s);
    if (!all || all.length !== 8) return null;
    groups.push(...all);
  }
  const g = (i: number) => groups[i]!;
  return ip6(g(0) * 65536 + g(1), g(2) * 65536 + g(3), g(4) * 65536 + g(5), g(6) * 65536 + g(7));
}

/** Parses an IPv4 or IPv6 address (IPv6 may be in brackets). */
export function parseIp(s: string): IpAddr | null {
  return s.includes(':') ? parseIp6(s) : parseIp4(s);
}

export function formatIp4(w0: number): string {
  return `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}`;
}

/** RFC 5952 text form: lower case, longest run of zero groups (len >= 2) compressed. */
export function formatIp6(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped addresses read better in their usual form.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIp4(w3 >>> 0)}`;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatIp(a: IpAddr): string {
  return a.af === 4 ? formatIp4(a.w0) : formatIp6(a.w0, a.w1, a.w2, a.w3);
}

/** "addr:port" the way ipvsadm prints it: IPv6 in brackets. */
export function formatIpPort(a: IpAddr, port: number): string {
  return a.af === 4 ? `${formatIp(a)}:${port}` : `[${formatIp(a)}]:${port}`;
}

export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  return a.af === b.af && a.w0 === b.w0 && a.w1 === b.w1 && a.w2 === b.w2 && a.w3 === b.w3;
}

/** Mask of the top `bits` bits of a 32-bit word (bits may be <= 0 or >= 32). */
export function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** The address with every bit past `plen` cleared. */
export function maskIp(a: IpAddr, plen: number): IpAddr {
  if (a.af === 4) return ip4((a.w0 & wordMask(plen)) >>> 0);
  return ip6(
    (a.w0 & wordMask(plen)) >>> 0,
    (a.w1 & wordMask(plen - 32)) >>> 0,
    (a.w2 & wordMask(plen - 64)) >>> 0,
    (a.w3 & wordMask(plen - 96)) >>> 0,
  );
}

/** IPv4 dotted netmask to prefix length; null when the mask is not contiguous. */
export function netmaskToPrefix(mask: IpAddr): number | null {
  if (mask.af !== 4) return null;
  const m = mask.w0 >>> 0;
  let n = 0;
  while (n < 32 && (m & (0x80000000 >>> n)) !== 0) n++;
  return wordMask(n) === m ? n : null;
}

export type MacAddr = Uint8Array;

export function parseMac(s: string): MacAddr | null {
  const parts = s.split(':');
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    out[i] = parseInt(p, 16);
  }
  return out;
}

export function formatMac(m: ArrayLike<number>, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (m[off + i]! & 255).toString(16).padStart(2, '0');
  return s;
}

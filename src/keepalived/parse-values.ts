// Value readers and the keyword dispatcher the keepalived.conf parser is built from. Each reader
// reports a bad value with its line and returns undefined, so one run lists every mistake.

import type { BraceNode } from '../control/brace-syntax.js';
import { type IpAddr, netmaskToPrefix, parseIp } from '../packet/inet.js';
import type { Diagnostics } from './diagnostics.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Handler = (n: BraceNode) => void;

/**
 * Runs the handler named by each statement's first word. Keywords keepalived knows but tsvs has
 * no use for (`ignored`) pass silently; anything else is warned about and skipped, as keepalived
 * logs "Unknown keyword" and carries on.
 */
export function walk(
  d: Diagnostics, block: readonly BraceNode[], where: string,
  handlers: Readonly<Record<string, Handler>>, ignored: readonly string[] = [],
): void {
  for (const n of block) {
    const kw = n.words[0]!;
    const h = Object.hasOwn(handlers, kw) ? handlers[kw] : undefined;
    if (h) h(n);
    else if (!ignored.includes(kw)) d.warn(n, `unknown keyword '${kw}' in ${where}: ignored`);
  }
}

/** The statement's block; reports `KEYWORD needs a block` when it has none. */
export function blockOf(d: Diagnostics, n: BraceNode): readonly BraceNode[] {
  if (!n.block) {
    d.error(n, `${n.words[0]} needs a block: ${n.words[0]} ${n.words.length > 1 ? '... ' : ''}{ ... }`);
    return [];
  }
  return n.block;
}

/** The one value after the keyword. */
export function oneWord(d: Diagnostics, n: BraceNode): string | undefined {
  if (n.words.length !== 2) {
    d.error(n, `${n.words[0]} takes one value`);
    return undefined;
  }
  return n.words[1];
}

/** The rest of the line after the keyword, as one string (commands, passwords with spaces). */
export function restOfLine(d: Diagnostics, n: BraceNode): string | undefined {
  if (n.words.length < 2) {
    d.error(n, `${n.words[0]} needs a value`);
    return undefined;
  }
  return n.words.slice(1).join(' ');
}

export function uint(d: Diagnostics, n: BraceNode, min: number, max: number): number | undefined {
  const v = n.words[1];
  if (n.words.length !== 2 || v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    d.error(n, `${n.words[0]} takes one whole number from ${min} to ${max}`);
    return undefined;
  }
  return Number(v);
}

/**
 * A time in seconds. keepalived reads timers as decimals with up to 6 fraction digits
 * (microseconds, read_timer), so `delay_loop 0.2` is valid keepalived syntax.
 */
export function seconds(d: Diagnostics, n: BraceNode, min = 0, max = 31_536_000): number | undefined {
  const v = n.words[1];
  if (n.words.length !== 2 || v === undefined || !/^\d+(\.\d{1,6})?$/.test(v) || Number(v) < min || Number(v) > max) {
    d.error(n, `${n.words[0]} takes a time in seconds from ${min} to ${max} (fractions to 6 digits: 0.5)`);
    return undefined;
  }
  return Number(v);
}

/** A flag keyword, alone or with keepalived's optional on/off word. */
export function flag(d: Diagnostics, n: BraceNode): boolean {
  if (n.words.length === 1) return true;
  const v = n.words[1]!.toLowerCase();
  if (n.words.length === 2 && ['on', 'true', 'yes'].includes(v)) return true;
  if (n.words.length === 2 && ['off', 'false', 'no'].includes(v)) return false;
  d.error(n, `${n.words[0]} takes no value, or one of on|off|true|false|yes|no`);
  return true;
}

export function ipWord(d: Diagnostics, n: BraceNode, word: string | undefined, what: string): IpAddr | undefined {
  const a = word === undefined ? null : parseIp(word);
  if (!a) d.error(n, `${what}: '${word ?? ''}' is not an IPv4 or IPv6 address`);
  return a ?? undefined;
}

export function portWord(d: Diagnostics, n: BraceNode, word: string | undefined, what: string): number | undefined {
  if (word === undefined || !/^\d+$/.test(word) || Number(word) > 65535) {
    d.error(n, `${what}: '${word ?? ''}' is not a port number (0-65535)`);
    return undefined;
  }
  return Number(word);
}

/**
 * `IP` or `IP-END` (keepalived and DPVS: END replaces the last IPv4 octet / IPv6 group), expanded.
 * Ranges are capped at 256 addresses so a typo cannot allocate millions.
 */
export function ipRange(d: Diagnostics, n: BraceNode, word: string, what: string): IpAddr[] | undefined {
  const dash = word.lastIndexOf('-');
  if (dash <= 0) {
    const a = ipWord(d, n, word, what);
    return a ? [a] : undefined;
  }
  const first = ipWord(d, n, word.slice(0, dash), what);
  if (!first) return undefined;
  const endText = word.slice(dash + 1);
  const v6 = first.af === 6;
  const end = v6 ? (/^[0-9a-fA-F]{1,4}$/.test(endText) ? parseInt(endText, 16) : NaN) : (/^\d{1,3}$/.test(endText) ? Number(endText) : NaN);
  const start = v6 ? first.w3 & 0xffff : first.w0 & 0xff;
  if (Number.isNaN(end) || end < start || end > (v6 ? 0xffff : 255) || end - start >= 256) {
    d.error(n, `${what}: bad range '${word}' (IP-END, END replaces the last ${v6 ? 'group' : 'octet'} and is >= it, at most 256 addresses)`);
    return undefined;
  }
  const out: IpAddr[] = [];
  for (let i = start; i <= end; i++) {
    out.push(v6 ? { ...first, w3: ((first.w3 & 0xffff0000) | i) >>> 0 } : { ...first, w0: ((first.w0 & 0xffffff00) | i) >>> 0 });
  }
  return out;
}

/** A netmask (255.255.255.0) or prefix length (24, IPv6 64) as a prefix length. */
export function prefixOf(d: Diagnostics, n: BraceNode, word: string | undefined): number | undefined {
  if (word !== undefined && /^\d{1,3}$/.test(word) && Number(word) <= 128) return Number(word);
  const m = word === undefined ? null : parseIp(word);
  const plen = m && m.af === 4 ? netmaskToPrefix(m) : null;
  if (plen === null) d.error(n, `${n.words[0]}: '${word ?? ''}' is neither a netmask nor a prefix length`);
  return plen ?? undefined;
}

/**
 * Hex bytes as keepalived's read_hex_str takes them: pairs of hex digits, spaces allowed between
 * pairs; with `wildcards`, x/X digits match anything (mask bits 0).
 */
export function hexBytes(d: Diagnostics, n: BraceNode, wildcards: boolean): { data: Uint8Array; mask: Uint8Array } | undefined {
  const text = n.words.slice(1).join('');
  const ok = wildcards ? /^([0-9a-fA-FxX]{2})+$/ : /^([0-9a-fA-F]{2})+$/;
  if (!ok.test(text)) {
    d.error(n, `${n.words[0]} takes hex bytes (pairs of hex digits${wildcards ? ', X for any digit' : ''})`);
    return undefined;
  }
  const data = new Uint8Array(text.length / 2);
  const mask = new Uint8Array(text.length / 2);
  for (let i = 0; i < data.length; i++) {
    let v = 0;
    let m = 0;
    for (const c of text.slice(2 * i, 2 * i + 2)) {
      const wild = c === 'x' || c === 'X';
      v = (v << 4) | (wild ? 0 : parseInt(c, 16));
      m = (m << 4) | (wild ? 0 : 0xf);
    }
    data[i] = v;
    mask[i] = m;
  }
  return { data, mask };
}

// Shared test helpers for the command-line parsers: literal addresses and error assertions.

import assert from 'node:assert/strict';
import { SyntaxError_ } from '../../src/errors.js';
import { parseIp, parseMac, type IpAddr, type MacAddr } from '../../src/packet/inet.js';

export function ip(s: string): IpAddr {
  const a = parseIp(s);
  assert.ok(a, `bad test address ${s}`);
  return a;
}

export function mac(s: string): MacAddr {
  const m = parseMac(s);
  assert.ok(m, `bad test MAC ${s}`);
  return m;
}

/** Splits a command line on spaces (tests only use simple lines). */
export function words(line: string): string[] {
  return line.split(' ').filter((w) => w !== '');
}

/** Asserts that parsing `line` fails with a SyntaxError_ whose message matches. */
export function rejects(parse: (argv: string[]) => unknown, line: string, pattern: RegExp): void {
  assert.throws(() => parse(words(line)), (e: unknown) => {
    assert.ok(e instanceof SyntaxError_, `expected a syntax error for '${line}', got ${String(e)}`);
    assert.match(e.message, pattern, `message for '${line}'`);
    return true;
  });
}

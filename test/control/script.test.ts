// Scripts: the operator scenarios S1, S5 and S6 parse verbatim under tsvs's and the anchors'
// program names; comments, quoting and continuations work; the first bad line is named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/control/script.js';
import { splitScript } from '../../src/control/shell-words.js';
import type { Command } from '../../src/control/commands.js';
import { ScriptError } from '../../src/errors.js';
import { ip } from '../cli/helpers.js';
import { S1, S5, S6 } from '../support/scenarios.js';

// ---- scenarios.md, verbatim (test/support/scenarios.ts) ----

const SVC = { scheduler: 'rr', ops: false, schedFlags: [], expireQuiescent: false, netmaskPlen: 32 };
const dest = (method: string) => ({ method, weight: 1, uThreshold: 0, lThreshold: 0, tunType: 'ipip' });
const tcp = (a: string, port: number) => ({ proto: 'tcp', addr: ip(a), port });
const addrAdd = (a: string, plen: number, dev: string) => ({ kind: 'addr-add', addr: ip(a), plen, dev, sapool: false, scope: 'global' });

const S1_COMMANDS = [
  addrAdd('10.0.0.100', 32, 'dpdk1'),
  { kind: 'route-add', route: { prefix: ip('10.0.0.0'), plen: 16, dev: 'dpdk1', metric: 0 } },
  { kind: 'route-add', route: { prefix: ip('192.168.100.0'), plen: 24, dev: 'dpdk0', metric: 0 } },
  { kind: 'service-add', svc: tcp('10.0.0.100', 80), opts: SVC },
  { kind: 'dest-add', svc: tcp('10.0.0.100', 80), addr: ip('192.168.100.2'), port: 80, opts: dest('fnat') },
  { kind: 'dest-add', svc: tcp('10.0.0.100', 80), addr: ip('192.168.100.3'), port: 80, opts: dest('fnat') },
  { kind: 'laddr-add', svc: tcp('10.0.0.100', 80), addr: ip('192.168.100.200'), dev: 'dpdk0' },
];

const S5_COMMANDS = [
  { kind: 'service-add', svc: tcp('192.168.100.254', 80), opts: SVC },
  { kind: 'dest-add', svc: tcp('192.168.100.254', 80), addr: ip('192.168.100.2'), port: 80, opts: dest('dr') },
  { kind: 'dest-add', svc: tcp('192.168.100.254', 80), addr: ip('192.168.100.3'), port: 80, opts: dest('dr') },
];

const S6_COMMANDS = [
  addrAdd('10.140.16.48', 20, 'dpdk0'),
  addrAdd('10.140.31.48', 32, 'dpdk0'),
  { kind: 'route-add', route: { prefix: ip('0.0.0.0'), plen: 0, via: ip('10.140.31.254'), src: ip('10.140.16.48'), dev: 'dpdk0', metric: 0 } },
  { kind: 'service-add', svc: tcp('10.140.31.48', 80), opts: SVC },
  { kind: 'dest-add', svc: tcp('10.140.31.48', 80), addr: ip('10.140.18.33'), port: 80, opts: dest('tunnel') },
  { kind: 'dest-add', svc: tcp('10.140.31.48', 80), addr: ip('10.40.84.170'), port: 80, opts: dest('tunnel') },
];

/** The same script under other program names. */
function renamed(script: string, tsip: string, tsvsadm: string): string {
  return script.replace(/^tsip /gm, `${tsip} `).replace(/^tsvsadm /gm, `${tsvsadm} `);
}

const NAMINGS: ReadonlyArray<readonly [string, string]> = [
  ['tsip', 'tsvsadm'], ['dpip', 'ipvsadm'], ['./dpip', './ipvsadm'], ['/usr/local/bin/dpip', '/usr/sbin/ipvsadm'],
];

for (const [name, script, expected] of [['S1', S1, S1_COMMANDS], ['S5', S5, S5_COMMANDS], ['S6', S6, S6_COMMANDS]] as const) {
  for (const [tsip, tsvsadm] of NAMINGS) {
    test(`scenario ${name} parses verbatim as ${tsip} / ${tsvsadm}`, () => {
      const text = renamed(script, tsip, tsvsadm);
      const got = parseScript(text);
      const lines = text.split('\n');
      assert.equal(got.length, expected.length);
      got.forEach((c, i) => {
        assert.equal(c.line, i + 1);
        assert.equal(c.source, lines[i]);
        assert.deepEqual(c.command, expected[i] as unknown as Command, `line ${i + 1}: ${lines[i]}`);
      });
    });
  }
}

test('scenario S3 (active-active) parses too: laddr per node, /30 uplink, default route', () => {
  const S3 = `tsvsadm -A -t 123.1.2.3:80 -s rr
tsvsadm -a -t 123.1.2.3:80 -r 192.168.100.2 -b
tsvsadm -a -t 123.1.2.3:80 -r 192.168.100.3 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 123.1.2.3:80 -F dpdk0
tsvsadm --add-laddr -z 192.168.100.201 -t 123.1.2.3:80 -F dpdk0
tsip addr add 123.1.2.3/32 dev dpdk1
tsip addr add 172.10.0.2/30 dev dpdk1
tsip route add default via 172.10.0.1 dev dpdk1
`;
  const got = parseScript(S3).map((c) => c.command);
  assert.deepEqual(got.map((c) => c.kind),
    ['service-add', 'dest-add', 'dest-add', 'laddr-add', 'laddr-add', 'addr-add', 'addr-add', 'route-add']);
  assert.deepEqual(got[6], addrAdd('172.10.0.2', 30, 'dpdk1'));
  assert.deepEqual(got[7], { kind: 'route-add', route: { prefix: ip('0.0.0.0'), plen: 0, via: ip('172.10.0.1'), dev: 'dpdk1', metric: 0 } });
});

test('blank lines, whole-line and trailing comments; line numbers count every line', () => {
  const got = parseScript('\n# FullNAT setup\n\n  tsvsadm -C   # start clean\n\t\ntsvs set net.ipv4.vs.conn_reuse_mode 2 #mode\n# end');
  assert.deepEqual(got.map((c) => [c.line, c.command.kind]), [[4, 'clear'], [6, 'tsvs-set']]);
  assert.equal(got[0]!.source, '  tsvsadm -C   # start clean');
  assert.deepEqual(parseScript(''), []);
  assert.deepEqual(parseScript('# only a comment\n\n'), []);
});

test('quotes and backslashes as a shell reads them', () => {
  assert.deepEqual(splitScript(`tsvs set 'net.ipv4.vs.conn_reuse_mode' "1"`)[0]!.words, ['tsvs', 'set', 'net.ipv4.vs.conn_reuse_mode', '1']);
  assert.deepEqual(splitScript(`a 'b c' "d e" f\\ g "h\\"i" 'j\\k' l"m"'n' '' "#x" y#z`)[0]!.words,
    ['a', 'b c', 'd e', 'f g', 'h"i', 'j\\k', 'lmn', '', '#x', 'y#z']);
  // continuation lines: one command, numbered by its first line
  const got = parseScript('tsvsadm -C\ntsvsadm -a -t 10.0.0.100:80 \\\n   -r 192.168.100.2 \\\n   -b\ntsvsadm -C');
  assert.deepEqual(got.map((c) => c.line), [1, 2, 5]);
  assert.equal(got[1]!.command.kind, 'dest-add');
  assert.equal(got[1]!.source, 'tsvsadm -a -t 10.0.0.100:80 \\\n   -r 192.168.100.2 \\\n   -b');
  // Windows line ends
  assert.deepEqual(parseScript('tsvsadm -C\r\ntsvsadm -Z\r\n').map((c) => [c.command.kind, c.source]), [['clear', 'tsvsadm -C'], ['zero', 'tsvsadm -Z']]);
});

function scriptError(text: string, line: number, pattern: RegExp): void {
  assert.throws(() => parseScript(text), (e: unknown) => {
    assert.ok(e instanceof ScriptError, `expected ScriptError, got ${String(e)}`);
    assert.equal(e.line, line);
    assert.equal(e.code, 'TSVS_ERR_SYNTAX');
    assert.match(e.message, new RegExp(`^line ${line}: `));
    assert.match(e.message, pattern);
    return true;
  });
}

test('the first bad line is named, and nothing is returned', () => {
  scriptError('tsvsadm -C\n\ntsvsadm -A -t 10.0.0.100:80 -s nosuch\ntsvsadm -Z\ntsip frob', 3, /illegal scheduler 'nosuch'/);
  scriptError(S1 + 'tsip addr add 10.0.0.1/24\n', 8, /no device specified/);
  scriptError('tsvs set ipvs_defs.tcp.timeout.established 0', 1, /out of range/);
  // the error carries the line's text and the parser's error as its cause
  try {
    parseScript('# x\ntsip route add 10.0.0.0/8 via nowhere');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof ScriptError);
    assert.equal(e.source, 'tsip route add 10.0.0.0/8 via nowhere');
    assert.match(e.message, /\n  tsip route add 10\.0\.0\.0\/8 via nowhere$/);
    assert.ok(e.cause instanceof Error && /invalid gateway 'nowhere'/.test(e.cause.message));
  }
});

test('a line must start with a program name', () => {
  scriptError('tsvsadm -C\naddr add 1.1.1.1 dev d0', 2, /'addr' is not a program tsvs knows/);
  scriptError('-A -t 10.0.0.100:80 -s rr', 1, /ipvsadm-save rules need 'tsvsadm' in front/);
  scriptError('ip addr add 1.1.1.1 dev d0', 1, /'ip' is not a program/);
  scriptError('ipvsadm-restore', 1, /'ipvsadm-restore' is not a program/);
  scriptError('tsvs lab', 1, /'tsvs lab' is not a configuration command/);
});

test('shell syntax the script does not emulate is refused, not misread', () => {
  scriptError('tsvsadm -A -t $VIP:80', 1, /'\$'.*variables are not expanded/);
  scriptError('tsvsadm -A -t "$VIP:80"', 1, /'\$' inside "\.\.\."/);
  scriptError('tsvsadm -C; tsvsadm -Z', 1, /one command per line/);
  scriptError('tsvsadm -C && tsvsadm -Z', 1, /&& are not supported/);
  scriptError('tsvsadm -S > rules', 1, /redirections/);
  scriptError('tsvsadm -C\ntsvsadm -S | sort', 2, /pipes/);
  scriptError('tsvsadm -A -t `cat vip`', 1, /command substitution/);
  scriptError("tsvsadm -C\ntsip addr add '1.1.1.1 dev d0", 2, /unterminated ' quote/);
  scriptError('tsip addr add "1.1.1.1 dev d0\ntsvsadm -C', 1, /unterminated " quote/);
  scriptError('tsvsadm -C \\', 1, /backslash at the end/);
});

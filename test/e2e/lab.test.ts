// `tsvs lab` (what `npm start` runs) as a child process: it gets ready, the printed curl line
// reaches the VIP, and SIGINT makes it exit 0 with its namespaces, processes and files gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labMain } from '../../src/cli/lab.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;
const TSVS = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));

/** Command lines of live processes that mention `s` (the lab's files dir or namespace tag). */
function processesMentioning(s: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(s)) found.push(`${pid}: ${cmd}`);
    } catch { /* gone */ }
  }
  return found;
}

test('tsvs lab: ready, curl through the printed line, SIGINT cleans up and exits 0', { skip, timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [TSVS, 'lab'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line after 60 s:\n${out}\n${err}`)), 60_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (/^tsvs lab: ready\./m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => reject(new Error(`tsvs lab exited (${code}) before ready:\n${out}\n${err}`)));
    });
    const curlLine = /^\s*(ip netns exec (\S+) curl http:\/\/10\.0\.0\.100\/)\s*$/m.exec(out);
    assert.ok(curlLine, `no curl line in:\n${out}`);
    const body = execFileSync('ip', [...curlLine[1]!.split(' ').slice(1, -1), '-sS', '--max-time', '10', 'http://10.0.0.100/'], { encoding: 'utf8' });
    assert.match(body, /^rs[123] 192\.168\.100\.[234]\n$/);
    // Every server got its share of the 30 requests (rr over three: 10 each).
    for (const rs of ['rs1', 'rs2', 'rs3']) assert.match(out, new RegExp(`^  ${rs} +192\\.168\\.100\\.\\d +10 `, 'm'));
    for (const cmd of ['tsvsadm -Ln', 'tsvsadm -Ln --stats', 'tsvsadm -Lnc']) assert.ok(out.includes(`# ${cmd}\n`), cmd);
    // The listings in ipvsadm's format: three FullNAT servers, 10 connections each in --stats.
    assert.match(out, /^TCP  10\.0\.0\.100:80 rr$/m);
    for (const rs of ['2', '3', '4']) {
      assert.match(out, new RegExp(`^  -> 192\\.168\\.100\\.${rs}:80 {13}FullNat 1      \\d+ +\\d+ +$`, 'm'));
      assert.match(out, new RegExp(`^  -> 192\\.168\\.100\\.${rs}:80 {12}       10 `, 'm'));
    }
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, `${out}\n${err}`);
  const namespaces = /^tsvs lab: namespaces (.*)$/m.exec(out)![1]!.split(' ');
  assert.equal(namespaces.length, 6);
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const n of namespaces) assert.ok(!listed.includes(n), `namespace ${n} left behind`);
  const dir = /^tsvs lab: files \(configs, logs\) in (\S+)$/m.exec(out)![1]!;
  assert.equal(existsSync(dir), false, `${dir} left behind`);
  assert.deepEqual(processesMentioning(dir), []);
  assert.deepEqual(processesMentioning(namespaces[0]!.replace(/-cl$/, '')), []);
  assert.match(out, /cleaned up/);
});

test('tsvs lab as non-root: a clear error before anything is made', async (t) => {
  t.mock.method(process as unknown as { getuid: () => number }, 'getuid', () => 1000);
  let printed = '';
  await assert.rejects(labMain({ out: (x) => { printed += x; } }), /lab needs root .*run it as root/);
  assert.equal(printed, '');
});

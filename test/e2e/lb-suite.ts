// The end-to-end checks every two-arm method shares (issue 3, "End to end"): scheduler proportions
// (rr, wrr 3:1, mh), the client address servers see, 100 MB each way, ping, a silent tsvs kernel.

import { after, before, describe, test } from 'node:test';
import { assertRrPerWorker, assertWrr31PerWorker, parseConns, splitByWorker, workerOf } from './per-worker.js';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabOptions, NetnsLab, hostPort } from '../../src/lab/netns-lab.js';

const isRoot = process.getuid?.() === 0;
export const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;

/** Worker counts each method's suite runs with: one, and two steered by the fanout program. */
export const E2E_WORKERS: readonly number[] = [1, 2];

/** The issue's size: 100 MB each way (about a second per direction on veth). */
const BIG = 100 << 20;
const SERVERS = 2;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface ModeSpec {
  /** The suite's title; the worker count follows it. */
  title: string;
  lab: Pick<LabOptions, 'clientAf' | 'serverAf' | 'nat'>;
  /** The configuration as an operator types it: the VIP, routes, VIP:80 rr over both servers. */
  lines: readonly string[];
  /** What servers log as the client: FullNAT's LIP, or (NAT) the client's own address and port. */
  seen: 'lip' | 'client';
  /** Mode-specific tests, run on the same lab before the kernel's counters are checked. */
  more?: (lab: () => NetnsLab) => void;
}

/** One answered request: the server that answered (index) and the client's side of the connection. */
interface Answer { server: number; ip: string; port: number }

/** Access-log fields (the lab's format): remote address and port, method, request URI, status. */
interface LogLine { server: number; addr: string; port: number; uri: string; status: string }

export function lbSuite(spec: ModeSpec, workers: number): void {
  describe(`${spec.title} (${workers} worker${workers > 1 ? 's' : ''})`, { skip, timeout: 180_000 }, () => {
    let lab: NetnsLab;
    const servers: { root: string; accessLog: string }[] = [];
    let kernelBefore: Record<string, number> = {};
    const vip = (): string => lab.cs.vip;
    const service = (port = 80): string => hostPort(vip(), port);
    const dest = (i: number): string => hostPort(lab.ss.rs(i), 80);
    const url = (path: string, port = 80): string => `http://${service(port)}${path}`;
    const curl = (...args: string[]): string => lab.sh(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '60', ...args);

    /** GET path from the client (or one of its extra addresses); which server answered, from where. */
    function get(path: string, from?: string): Answer {
      const out = curl('--max-time', '10', '-w', '%{local_ip} %{local_port}', ...(from ? ['--interface', from] : []), url(path));
      const nl = out.lastIndexOf('\n');
      const m = /^rs(\d+) /.exec(out);
      assert.ok(m && nl > 0, `unexpected answer: ${JSON.stringify(out)}`);
      const [ip, port] = out.slice(nl + 1).split(' ');
      return { server: Number(m[1]) - 1, ip: ip!, port: Number(port) };
    }

    /**
     * The access-log lines of the given request URIs, from every server. nginx logs a request after
     * sending the response, so the last lines may lag the client by a moment: wait for them.
     */
    async function logged(uris: readonly string[]): Promise<LogLine[]> {
      const want = new Set(uris);
      for (let tries = 0; ; tries++) {
        const lines = servers.flatMap((s, server) => readFileSync(s.accessLog, 'utf8').split('\n')
          .map((l) => l.split(' ')).filter((f) => want.has(f[3]!))
          .map(([addr, port, , uri, status]) => ({ server, addr: addr!, port: Number(port), uri: uri!, status: status! })));
        if (lines.length >= want.size || tries === 40) return lines;
        await sleep(50);
      }
    }

    /** Each request was logged once, by the server that answered it, from the source the method implies. */
    async function assertSeen(tagged: readonly (readonly [string, Answer])[]): Promise<void> {
      const lines = await logged(tagged.map(([uri]) => uri));
      assert.equal(lines.length, tagged.length, `log lines: ${JSON.stringify(lines)}`);
      for (const [uri, a] of tagged) {
        const l = lines.find((x) => x.uri === uri)!;
        assert.ok(l, `${uri} not logged`);
        assert.equal(l.server, a.server, `${uri} logged by rs${l.server + 1}, answered by rs${a.server + 1}`);
        assert.equal(l.status, '200');
        if (spec.seen === 'lip') assert.equal(l.addr, lab.ss.lip, `${uri}: FullNAT servers see the LIP`);
        else assert.deepEqual([l.addr, l.port], [a.ip, a.port], `${uri}: NAT servers see the client's address and port`);
      }
    }

    /** n sequential new connections, each tagged so its log line can be found. */
    function burst(tag: string, n: number, from?: string): [string, Answer][] {
      return Array.from({ length: n }, (_, i) => {
        const uri = `/?${tag}=${i}`;
        return [uri, get(uri, from)];
      });
    }

    before(async () => {
      lab = new NetnsLab({ servers: SERVERS, ...spec.lab });
      lab.build();
      for (let i = 0; i < SERVERS; i++) servers.push(lab.startNginx(i));
      await lab.startDaemon(undefined, { workers });
      for (const line of spec.lines) lab.ctl(line);
      kernelBefore = lab.kernelCounters(lab.ns.lb);
    });

    after(async () => {
      await lab?.destroy();
    });

    test('ping to the VIP is answered by tsvs: the kernel holds neither the VIP nor the LIP', () => {
      const out = lab.sh(lab.ns.client, 'ping', `-${lab.cs.af}`, '-c', '3', '-i', '0.2', '-W', '2', vip());
      assert.match(out, /3 packets transmitted, 3 received/);
      const kernelAddrs = lab.sh(lab.ns.lb, 'ip', '-br', 'addr');
      for (const a of [vip(), lab.ss.lip, lab.ss.gw]) assert.equal(kernelAddrs.includes(a), false, `${a} in:\n${kernelAddrs}`);
    });

    /** Each answer's server and the worker that scheduled it (from -Lnc, read while the conns linger). */
    function picks(tagged: readonly (readonly [string, Answer])[]): { server: number; worker: number }[] {
      const conns = parseConns(lab.ctl('tsvsadm -Lnc'));
      return tagged.map(([, a]) => ({ server: a.server, worker: workerOf(conns, a.ip, a.port) }));
    }

    test(`rr: 8 new connections alternate the two servers${workers > 1 ? ' within each worker' : ', 4 each'}; each server logs the source the method implies`, async () => {
      const tagged = burst('rr', 8);
      const order = tagged.map(([, a]) => a.server);
      assertRrPerWorker(splitByWorker(picks(tagged), workers));
      if (workers === 1) assert.deepEqual([0, 1].map((s) => order.filter((x) => x === s).length), [4, 4]);
      await assertSeen(tagged);
    });

    test(`wrr 3:1 (tsvsadm -E -s wrr, -e -w 3): ${workers > 1 ? 'each worker walks its own 0 0 0 1 cycle' : '8 connections split 6:2, any 4 in a row 3:1'}`, async () => {
      lab.ctl(`tsvsadm -E -t ${service()} -s wrr`);
      lab.ctl(`tsvsadm -e -t ${service()} -r ${dest(0)} -w 3`);
      const tagged = burst('wrr', 8);
      const order = tagged.map(([, a]) => a.server);
      // Each worker walks its own 0 0 0 1 cycle; with one worker that is 6:2 over 8.
      assertWrr31PerWorker(splitByWorker(picks(tagged), workers));
      if (workers === 1) assert.deepEqual([0, 1].map((s) => order.filter((x) => x === s).length), [6, 2], `wrr order: ${order.join(' ')}`);
      await assertSeen(tagged);
    });

    test('mh: each of 8 client addresses sticks to one server over 3 connections, and they spread over both', async () => {
      lab.ctl(`tsvsadm -E -t ${service()} -s mh`);
      lab.ctl(`tsvsadm -e -t ${service()} -r ${dest(0)} -w 1`);
      const picked = new Map<string, number>();
      const tagged: [string, Answer][] = [];
      for (const [k, from] of lab.addClientAddrs(8).entries()) {
        const answers = burst(`mh${k}`, 3, from);
        assert.deepEqual(answers.map(([, a]) => a.ip), [from, from, from], 'curl --interface');
        const servers = new Set(answers.map(([, a]) => a.server));
        assert.equal(servers.size, 1, `${from} went to ${[...servers].map((s) => `rs${s + 1}`).join(' and ')}`);
        picked.set(from, answers[0]![1].server);
        tagged.push(...answers);
      }
      assert.deepEqual(new Set(picked.values()), new Set([0, 1]), `mh picks: ${JSON.stringify([...picked])}`);
      await assertSeen(tagged);
    });

    test(`wrk: 8 concurrent keep-alive connections under rr land ${workers > 1 ? 'evenly on the servers within each worker' : '4 on each server'}, no errors`, async () => {
      lab.ctl(`tsvsadm -E -t ${service()} -s rr`);
      const report = lab.wrk(url('/?wrk'), 8, 1);
      assert.match(report, /\d+ requests in /);
      assert.doesNotMatch(report, /Socket errors|Non-2xx/, report);
      const lines = (await logged(['/?wrk'])).filter((l) => l.status === '200');
      const source = spec.seen === 'lip' ? lab.ss.lip : lab.cs.client;
      assert.deepEqual(new Set(lines.map((l) => l.addr)), new Set([source]));
      // One connection is one source address:port (FullNAT: the LIP's port; NAT: the client's).
      const conns = [0, 1].map((s) => new Set(lines.filter((l) => l.server === s).map((l) => `${l.addr} ${l.port}`)).size);
      if (workers === 1) assert.deepEqual(conns, [4, 4], report);
      else {
        // rr per worker: each worker's connections split evenly (to one) over the two servers.
        const listing = parseConns(lab.ctl('tsvsadm -Lnc'));
        const seen = new Map<string, { server: number; worker: number }>();
        for (const l of lines) seen.set(`${l.addr} ${l.port} ${l.server}`, { server: l.server, worker: workerOf(listing, l.addr, l.port, lab.ss.rs(l.server)) });
        assert.equal(seen.size, 8, report);
        for (const [w, servers] of splitByWorker([...seen.values()], workers).entries()) {
          const n0 = servers.filter((x) => x === 0).length;
          assert.ok(Math.abs(n0 - (servers.length - n0)) <= 1, `worker ${w}: ${servers.join(' ')}`);
        }
      }
    });

    test(`a ${BIG >> 20} MB download arrives with the same sha256`, () => {
      const data = randomBytes(BIG);
      // The same file on both servers: whichever the scheduler picks serves identical bytes.
      for (const s of servers) writeFileSync(join(s.root, 'big.bin'), data);
      const out = join(lab.dir, 'down.bin');
      curl('-o', out, url('/big.bin'));
      assert.equal(sha256(readFileSync(out)), sha256(data));
    });

    test(`a ${BIG >> 20} MB upload arrives with the same sha256`, () => {
      const data = randomBytes(BIG);
      const src = join(lab.dir, 'up.bin');
      writeFileSync(src, data);
      curl('-T', src, url('/up/up.bin'));
      const landed = servers.filter((s) => readdirSync(join(s.root, 'up')).includes('up.bin'));
      assert.equal(landed.length, 1, 'exactly one server got the upload');
      assert.equal(sha256(readFileSync(join(landed[0]!.root, 'up', 'up.bin'))), sha256(data));
    });

    spec.more?.(() => lab);

    test('VIP ports without a service answer nothing: SYNs time out (no reset), a UDP datagram draws no unreachable', async () => {
      const unreachables = (): number[] => {
        const k = lab.kernelCounters(lab.ns.client);
        return [k.IcmpInDestUnreachs!, k.Icmp6InDestUnreachs!];
      };
      const before = unreachables();
      let status: number | null = null;
      try {
        curl('--connect-timeout', '1', url('/', 81));
      } catch (e) {
        status = (e as { status: number | null }).status;
      }
      assert.equal(status, 28, 'curl exit 28 (timeout), not 7 (connection refused)');
      const probe = join(lab.dir, 'udp-probe');
      writeFileSync(probe, 'probe\n');
      lab.sh(lab.ns.client, 'socat', '-u', `OPEN:${probe}`, `UDP:${service(9)}`);
      // A port unreachable would be back within a millisecond on veth; allow far more.
      await sleep(300);
      assert.deepEqual(unreachables(), before);
    });

    test('the client\'s and the servers\' kernels counted no bad checksum in anything tsvs rewrote', () => {
      for (const ns of [lab.ns.client, ...lab.ns.rs]) {
        const k = lab.kernelCounters(ns);
        const bad = Object.keys(k).filter((n) => n.endsWith('InCsumErrors') && k[n] !== 0).map((n) => `${n} ${k[n]}`);
        assert.deepEqual(bad, [], ns);
        assert.equal(k.TcpInCsumErrors, 0, `${ns}: nstat has TcpInCsumErrors`);
      }
    });

    test('the kernel in the tsvs namespace answered nothing during all of the above (every *Out* counter unchanged but its own MLD reports)', () => {
      const now = lab.kernelCounters(lab.ns.lb);
      const d = (k: string): number => (now[k] ?? 0) - (kernelBefore[k] ?? 0);
      // With IPv6 on a taken-over interface (a management address may need it) the kernel still
      // reports its own multicast groups (MLDv2, type 143), e.g. after the takeover's sysctls
      // changed them: its chatter, not an answer. Those, and the IPv6 totals they add to, must
      // move by exactly the number of reports; every other *Out* counter not at all.
      const mld = d('Icmp6OutMLDv2Reports');
      const mldCounters = ['Icmp6OutMLDv2Reports', 'Icmp6OutType143', 'Icmp6OutMsgs', 'Ip6OutRequests', 'Ip6OutMcastPkts', 'Ip6OutTransmits'];
      const octets = ['Ip6OutOctets', 'Ip6OutMcastOctets'];
      for (const k of mldCounters) assert.equal(d(k), mld, `${k}: ${kernelBefore[k]} -> ${now[k]}`);
      for (const k of octets) assert.equal(d(k) > 0, mld > 0, `${k}: ${kernelBefore[k]} -> ${now[k]}`);
      const changed = Object.keys(now).filter((k) => k.includes('Out') && d(k) !== 0 && !mldCounters.includes(k) && !octets.includes(k))
        .map((k) => `${k} ${kernelBefore[k]} -> ${now[k]}`);
      assert.deepEqual(changed, []);
      // The counters that would show it answering: TCP resets, ICMP errors or echo replies, any IP.
      for (const k of ['IpOutRequests', 'TcpOutRsts', 'IcmpOutMsgs', 'Ip6OutRequests', 'Icmp6OutMsgs']) assert.ok(k in now, k);
    });
  });
}

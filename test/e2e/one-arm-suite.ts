// The shared end-to-end suite of the one-arm methods, DR (S5) and IP tunnel (S6): tsvs daemon on
// the afpacket driver with one port, two nginx real servers, a client behind a router. Run by
// dr-one-arm.test.ts and tunnel-one-arm.test.ts, once per worker count.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/drivers/pcap.js';
import { assertRrPerWorker, assertWrr31PerWorker, parseConns, splitByWorker, workerOf } from './per-worker.js';
import { rsAddr } from '../../src/lab/netns-lab.js';
import { CLIENT_ADDR, CLIENT_ADDRS, METHOD_FLAG, type Method, OneArmLab, TSVS_ADDR, VIP, clientAddr, oneArmLines } from './one-arm-lab.js';

const isRoot = process.getuid?.() === 0;
export const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;

/** The size: 100 MB each way. */
const BIG = 100 << 20;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface PortCounters { rxPkts: number; rxBytes: number; txPkts: number; txBytes: number; drops: Map<string, number> }
interface IpvsStat { conns: number; inpkts: number; outpkts: number; inbytes: number; outbytes: number }

/** dpdk0's counters (`tsip -s link show dpdk0`) and the drops by reason (its -v xstats list). */
function parseLink(out: string): PortCounters {
  const m = /^ +ipackets +opackets +ibytes +obytes *\n +(\d+) +(\d+) +(\d+) +(\d+)/m.exec(out);
  if (!m) throw new Error(`unexpected link listing:\n${out}`);
  const drops = new Map<string, number>();
  for (const d of out.matchAll(/^ +\d+ +drop_(\w+): (\d+)$/gm)) if (d[2] !== '0') drops.set(d[1]!, Number(d[2]));
  return { rxPkts: Number(m[1]), txPkts: Number(m[2]), rxBytes: Number(m[3]), txBytes: Number(m[4]), drops };
}

/** Per service ("tcp VIP:PORT") and per dest ("tcp VIP:PORT -> RIP:PORT"), from `tsvsadm -Ln --stats --exact`. */
function parseStats(out: string): Map<string, IpvsStat> {
  const res = new Map<string, IpvsStat>();
  let svc = '';
  for (const l of out.split('\n')) {
    const w = l.trim().split(/\s+/);
    if (w.length !== 7 || !/^\d+$/.test(w[2]!)) continue;
    const s = { conns: Number(w[2]), inpkts: Number(w[3]), outpkts: Number(w[4]), inbytes: Number(w[5]), outbytes: Number(w[6]) };
    if (w[0] === '->') res.set(`${svc} -> ${w[1]}`, s);
    else {
      svc = `${w[0]!.toLowerCase()} ${w[1]}`;
      res.set(svc, s);
    }
  }
  return res;
}

const delta = (a: Map<string, number>, b: Map<string, number>, k: string): number => (b.get(k) ?? 0) - (a.get(k) ?? 0);

export function oneArmSuite(method: Method, workers: number): void {
  const name = method === 'dr' ? 'DR (-g) one-arm, S5' : 'IP tunnel (-i --tun-type ipip) one-arm, S6';
  describe(`${name}: tsvs daemon, afpacket, ${workers} worker(s)`, { skip, timeout: 300_000 }, () => {
    let lab: OneArmLab;
    const servers: { root: string; accessLog: string }[] = [];
    let lbKernel0: Map<string, number>;
    const rsKernel0: Map<string, number>[] = [];
    const curl = (...args: string[]): string => lab.sh(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '30', ...args);
    const who = (body: string): string => body.split(' ')[0]!;
    const link = (): PortCounters => parseLink(lab.ctl('tsip -s -v link show dpdk0'));
    const stats = (): Map<string, IpvsStat> => parseStats(lab.ctl('tsvsadm -Ln --stats --exact'));
    const svc80 = `tcp ${VIP}:80`;
    const logLines = (i: number): string[] => readFileSync(servers[i]!.accessLog, 'utf8').split('\n').filter(Boolean);

    before(async () => {
      lab = new OneArmLab(method, 2);
      lab.build();
      servers.push(lab.startServer(0), lab.startServer(1));
      if (method === 'tun') await Promise.all([lab.startDecap(0), lab.startDecap(1)]);
      await lab.startOneArmDaemon(workers);
      for (const line of oneArmLines(method, 2)) lab.ctl(line);
      lbKernel0 = lab.nstat(lab.ns.lb);
      for (const n of lab.ns.rs) rsKernel0.push(lab.nstat(n));
    });

    after(async () => {
      await lab?.destroy();
    });

    /** One request from the client's own port: the server that answered (0/1) and that port. */
    const pick = (first = false): { server: number; port: number } => {
      // The first request also resolves ARP: router <-> tsvs (the VIP), tsvs -> servers.
      const out = curl(...(first ? ['--retry', '3', '--retry-all-errors'] : []), '-w', '%{local_port}', `http://${VIP}/`);
      return { server: Number(/^rs(\d)/.exec(out)![1]) - 1, port: Number(out.slice(out.lastIndexOf('\n') + 1)) };
    };
    /** The worker of each pick, from -Lnc while the connections linger in the table. */
    const withWorkers = (ps: { server: number; port: number }[]): { server: number; worker: number }[] => {
      const conns = parseConns(lab.ctl('tsvsadm -Lnc'));
      return ps.map((p) => ({ server: p.server, worker: workerOf(conns, CLIENT_ADDR, p.port) }));
    };

    test(`rr: sequential connections alternate the two servers${workers > 1 ? ' within each worker' : ', 4 each of 8'}`, () => {
      const ps = [pick(true), ...Array.from({ length: 7 }, () => pick())];
      assertRrPerWorker(splitByWorker(withWorkers(ps), workers));
      if (workers === 1) assert.deepEqual([0, 1].map((s) => ps.filter((p) => p.server === s).length), [4, 4], ps.map((p) => p.server).join(' '));
    });

    test(`the servers see the client's own address ${CLIENT_ADDR} (${method}: no source rewrite)`, () => {
      for (let i = 0; i < 2; i++) {
        const lines = logLines(i);
        if (workers === 1) assert.equal(lines.length, 4, `rs${i + 1}: ${lines.join(' | ')}`);
        assert.equal(logLines(0).length + logLines(1).length, 8);
        for (const l of lines) assert.equal(l, `${CLIENT_ADDR} GET /index.html 200`);
      }
    });

    test(`wrr 3:1: 8 connections give 6 and 2${workers > 1 ? ', each worker walking its own 3:1 cycle' : ''}`, () => {
      lab.ctl(`tsvsadm -E -t ${VIP}:80 -s wrr`);
      lab.ctl(`tsvsadm -e -t ${VIP}:80 -r ${rsAddr(0)} -w 3`);
      const ps = Array.from({ length: 8 }, () => pick());
      const seen = withWorkers(ps);
      lab.ctl(`tsvsadm -e -t ${VIP}:80 -r ${rsAddr(0)} -w 1`);
      assertWrr31PerWorker(splitByWorker(seen, workers));
      // With one worker, any 4 consecutive picks of the 3:1 cycle hold exactly three rs1.
      if (workers === 1) assert.deepEqual([0, 1].map((s) => ps.filter((p) => p.server === s).length), [6, 2], ps.map((p) => p.server).join(' '));
    });

    test(`mh: each of ${CLIENT_ADDRS} client addresses sticks to one server; both servers get some`, () => {
      lab.ctl(`tsvsadm -E -t ${VIP}:80 -s mh`);
      const before = [logLines(0).length, logLines(1).length];
      const chosen = new Map<string, string>();
      for (let a = 0; a < CLIENT_ADDRS; a++) {
        const picks = new Set(Array.from({ length: 3 }, () => who(curl('--interface', clientAddr(a), `http://${VIP}/`))));
        assert.equal(picks.size, 1, `${clientAddr(a)} went to ${[...picks].join(' and ')}`);
        chosen.set(clientAddr(a), [...picks][0]!);
      }
      lab.ctl(`tsvsadm -E -t ${VIP}:80 -s rr`);
      assert.deepEqual(new Set(chosen.values()), new Set(['rs1', 'rs2']), JSON.stringify([...chosen]));
      // Each server logged exactly the addresses mh gave it, three requests each.
      for (let i = 0; i < 2; i++) {
        const got = logLines(i).slice(before[i]).map((l) => l.split(' ')[0]).sort();
        const want = [...chosen].filter(([, s]) => s === `rs${i + 1}`).flatMap(([addr]) => [addr, addr, addr]).sort();
        assert.deepEqual(got, want, `rs${i + 1}`);
      }
    });

    // The 100 MB transfers are also the window of the bypass check: everything tsvs's port sent or
    // received in it must be a forwarded client packet or a frame seen on the switch's capture.
    let window: { link: PortCounters; stats: Map<string, IpvsStat>; devRx: number; stop(): Promise<void>; file: string } | null = null;
    const devStat = (ns: string, dev: string, what: string): number => Number(lab.sh(ns, 'cat', `/sys/class/net/${dev}/statistics/${what}`));


    test(`a ${BIG >> 20} MB download arrives with the same sha256`, async () => {
      const data = randomBytes(BIG);
      for (const s of servers) writeFileSync(join(s.root, 'big.bin'), data);
      // Everything on tsvs's switch port except forwarded client packets: tsvs's inbound TCP to
      // the VIP (DR: also what it sends on), and its IPIP packets (tunnel).
      const file = join(lab.dir, 'bypass.pcap');
      const cap = await lab.capture(lab.ns.sw, lab.switchPort,
        `not ((tcp and dst host ${VIP} and dst port 80) or (ip proto 4 and src host ${TSVS_ADDR}))`, file);
      window = { link: link(), stats: stats(), devRx: devStat(lab.ns.lb, lab.port, 'rx_packets'), stop: cap.stop, file };
      const out = join(lab.dir, 'down.bin');
      curl('-o', out, `http://${VIP}/big.bin`);
      assert.equal(sha256(readFileSync(out)), sha256(data));
    });

    test(`a ${BIG >> 20} MB upload arrives with the same sha256`, () => {
      const data = randomBytes(BIG);
      const src = join(lab.dir, 'up.bin');
      writeFileSync(src, data);
      curl('-T', src, `http://${VIP}/up/up.bin`);
      const landed = servers.filter((s) => readdirSync(join(s.root, 'up')).includes('up.bin'));
      assert.equal(landed.length, 1, 'exactly one server got the upload');
      assert.equal(sha256(readFileSync(join(landed[0]!.root, 'up', 'up.bin'))), sha256(data));
    });

    test('the replies bypass tsvs: its port counts the inbound packets only (exact)', async () => {
      assert.ok(window, 'the download test opened the window');
      // Wait until the connections' last packets (FIN, final ACK) have passed and been counted.
      let l1 = link(), s1 = stats();
      for (let t = 0; t < 20; t++) {
        await sleep(300);
        const l2 = link(), s2 = stats();
        const same = l2.rxPkts === l1.rxPkts && l2.txPkts === l1.txPkts;
        l1 = l2;
        s1 = s2;
        if (same) break;
      }
      const macOf = (b: Uint8Array, o: number): string => Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
      const devRx = devStat(lab.ns.lb, lab.port, 'rx_packets') - window.devRx;
      await window.stop();
      const frames = readCapture(readFileSync(window.file));
      const tsvsMac = lab.sh(lab.ns.lb, 'cat', `/sys/class/net/${lab.port}/address`).trim();
      const fromTsvs = frames.filter((f) => macOf(f.data, 6) === tsvsMac);
      const toTsvs = frames.filter((f) => macOf(f.data, 6) !== tsvsMac);
      const w0 = window.stats.get(svc80)!, w1 = s1.get(svc80)!;
      const inpkts = w1.inpkts - w0.inpkts;
      const dropped = (k: string): number => (l1.drops.get(k) ?? 0) - (window!.link.drops.get(k) ?? 0);
      const tooBig = dropped('tunnel_too_big') + dropped('frag_needed');
      const describeFrames = (fs: typeof frames): string => fs.map((f) => `${macOf(f.data, 6)}>${macOf(f.data, 0)} type ${f.data[12]!.toString(16)}${f.data[13]!.toString(16)} proto ${f.data[23]}`).join('\n');
      // The interface's own count can exceed tsvs's by frames its AF_PACKET ring had no room for
      // (TCP resends them); tsvs does not count those yet, so they are shown, not asserted.
      const diag = `interface rx ${devRx} inpkts ${inpkts} tooBig ${tooBig} rx ${l1.rxPkts - window.link.rxPkts} tx ${l1.txPkts - window.link.txPkts}\nfrom tsvs:\n${describeFrames(fromTsvs)}\nto tsvs:\n${describeFrames(toTsvs)}`;
      // No reply went through tsvs: IPVS saw none, and no frame from the VIP reached its port.
      assert.equal(w1.outpkts - w0.outpkts, 0, diag);
      assert.equal(w1.outbytes - w0.outbytes, 0, diag);
      const fromVip = toTsvs.filter((f) => f.data[12] === 8 && f.data[13] === 0 && f.data.subarray(26, 30).join('.') === VIP);
      assert.equal(fromVip.length, 0, diag);
      // tsvs sent: each forwarded packet once (minus the ones too big for the tunnel, answered
      // with ICMP), plus what the capture saw from it (ARP, ICMP).
      assert.equal(l1.txPkts - window.link.txPkts, inpkts - tooBig + fromTsvs.length, diag);
      for (const f of fromTsvs) {
        const arp = f.data[12] === 8 && f.data[13] === 6;
        const icmp = f.data[12] === 8 && f.data[13] === 0 && f.data[23] === 1;
        assert.ok(arp || icmp, `tsvs sent something other than ARP/ICMP:\n${diag}`);
      }
      // tsvs received the client's packets plus the captured rest (ARP, ...), to the byte: not one
      // byte of the 100 MB download (IPVS counts IP bytes; the port, whole Ethernet frames).
      assert.equal(l1.rxPkts - window.link.rxPkts, inpkts + toTsvs.length, diag);
      const otherBytes = toTsvs.reduce((a, f) => a + f.data.length, 0);
      assert.equal(l1.rxBytes - window.link.rxBytes, w1.inbytes - w0.inbytes + 14 * inpkts + otherBytes, diag);
    });

    test('ping to the VIP is answered by tsvs, not by the servers', () => {
      const rs0 = lab.ns.rs.map((n) => lab.nstat(n));
      const out = lab.sh(lab.ns.client, 'ping', '-c', '3', '-i', '0.2', '-W', '2', VIP);
      assert.match(out, /3 packets transmitted, 3 received/);
      lab.ns.rs.forEach((n, i) => assert.equal(delta(rs0[i]!, lab.nstat(n), 'IcmpInEchos'), 0, `${n} saw an echo request`));
    });

    test('a SYN to a VIP port without a service is dropped by tsvs, unanswered', () => {
      const c0 = lab.nstat(lab.ns.client);
      const d0 = link().drops.get('no_service') ?? 0;
      let status: number | null = null;
      try {
        curl('--max-time', '2', `http://${VIP}:81/`);
      } catch (e) {
        status = (e as { status: number | null }).status;
      }
      assert.equal(status, 28, 'curl timed out (no RST, no ICMP)');
      const c1 = lab.nstat(lab.ns.client);
      // Each SYN (the first and its retransmissions) was one no_service drop.
      const syns = delta(c0, c1, 'TcpActiveOpens') + delta(c0, c1, 'TcpExtTCPSynRetrans');
      assert.equal((link().drops.get('no_service') ?? 0) - d0, syns);
      assert.equal(delta(c0, c1, 'TcpInSegs'), 0);
      assert.equal(delta(c0, c1, 'IcmpInMsgs'), 0);
    });

    test('the kernel selftest\'s check (ipvs.sh): 32 random bytes with socat through the VIP, cmp', async () => {
      lab.ctl(`tsvsadm -A -t ${VIP}:8080 -s rr`);
      lab.ctl(`tsvsadm -a -t ${VIP}:8080 -r ${rsAddr(0)}:8080 ${METHOD_FLAG[method]}`);
      const infile = join(lab.dir, 'socat.in');
      const outfile = join(lab.dir, 'socat.out');
      writeFileSync(infile, randomBytes(32));
      const server = lab.socatSink(0, 8080, outfile);
      await server.listening;
      lab.sh(lab.ns.client, 'timeout', '2', 'socat', '-u', '-4', `OPEN:${infile}`, `TCP:${VIP}:8080`);
      assert.equal(await server.exit, 0);
      lab.sh(lab.ns.client, 'cmp', infile, outfile);
    });

    if (method === 'tun') {
      test('the servers got every IPIP packet tsvs sent, decapsulated each, and their kernels stayed quiet', async () => {
        const s = stats();
        const l = link();
        const sent = [...s].filter(([k]) => k.includes(' -> ')).reduce((a, [, v]) => a + v.inpkts, 0) - (l.drops.get('tunnel_too_big') ?? 0);
        let decapsulated = 0;
        for (let i = 0; i < 2; i++) {
          const d = await lab.stopDecap(i);
          assert.equal(d.txFull, 0);
          assert.equal(d.decapsulated, lab.outerDropped(i), `rs${i + 1}: decapsulated vs outer packets its kernel dropped`);
          decapsulated += d.decapsulated;
          // No "protocol unreachable" (nor anything else) from the server to tsvs.
          assert.equal(delta(rsKernel0[i]!, lab.nstat(lab.ns.rs[i]!), 'IcmpOutMsgs'), 0);
        }
        assert.equal(decapsulated, sent);
      });
    }

    test('the kernel in tsvs\'s namespace never answered or sent anything', () => {
      const k = lab.nstat(lab.ns.lb);
      for (const c of ['IpOutRequests', 'IcmpOutMsgs', 'TcpOutRsts', 'TcpOutSegs', 'UdpOutDatagrams', 'IpInDelivers']) {
        assert.equal(delta(lbKernel0, k, c), 0, c);
      }
    });
  });
}

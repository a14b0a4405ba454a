// The classic-BPF assembler encodes as tcpdump -dd does, and the fanout program steers both
// directions of every connection (FullNAT, NAT, DR), and ICMP errors, to one member (run by an interpreter).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Cbpf, X } from '../../src/drivers/cbpf.js';
import { FANOUT_MAX_LIPS, FANOUT_MAX_VIPS, fanoutProgram } from '../../src/drivers/fanout-program.js';
import { workerPortMask } from '../../src/ipvs/laddr.js';
import { ipv4, ipv6 } from '../support/builder.js';
import { runCbpf } from '../support/cbpf-run.js';
import { addrWords, expectedWorker } from '../support/steering.js';

/** The program's instructions as [code, jt, jf, k] rows, like tcpdump -dd prints them. */
function rows(prog: Uint8Array): number[][] {
  const dv = new DataView(prog.buffer, prog.byteOffset);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return Array.from({ length: prog.length / 8 }, (_, i) =>
    [dv.getUint16(i * 8, le), dv.getUint8(i * 8 + 2), dv.getUint8(i * 8 + 3), dv.getUint32(i * 8 + 4, le)]);
}

describe('cbpf assembler', () => {
  test('encodes `ether proto 0x88b5` exactly as tcpdump -dd', () => {
    const p = new Cbpf().ldh(12).jeq(0x88b5, null, 'drop').ret(0x40000).label('drop').ret(0);
    assert.deepEqual(rows(p.assemble()), [[0x28, 0, 0, 12], [0x15, 0, 1, 0x88b5], [0x06, 0, 0, 0x40000], [0x06, 0, 0, 0]]);
  });

  test('opcodes for every instruction it offers', () => {
    const p = new Cbpf().ld(26).ldb(23).ldInd(4).ldhInd(16).ldbInd(1).ldImm(7).ldLen().ldMem(3).ldxMsh(14).ldxImm(2)
      .ldxMem(1).st(5).tax().txa().and(0xff).rsh(X).xor(X).mul(0x9e3779b1).mod(3).alu('add', 1).alu('neg')
      .jgt(5, 'end').jge(X, 'end').jset(0x1fff, 'end').ja('end').label('end').retA();
    assert.deepEqual(rows(p.assemble()).map((r) => r[0]), [
      0x20, 0x30, 0x40, 0x48, 0x50, 0x00, 0x80, 0x60, 0xb1, 0x01, 0x61, 0x02, 0x07, 0x87, 0x54, 0x7c, 0xac, 0x24, 0x94,
      0x04, 0x84, 0x25, 0x3d, 0x45, 0x05, 0x16,
    ]);
    assert.equal(rows(p.assemble())[17]![3], 0x9e3779b1);
  });

  test('jump offsets count from the next instruction; ja reaches past 255', () => {
    const p = new Cbpf().ldb(0).jeq(1, 'a', 'b').label('a').ret(1).label('b').ja('far');
    for (let i = 0; i < 300; i++) p.ret(i);
    p.label('far').ret(9);
    const r = rows(p.assemble());
    assert.deepEqual(r[1], [0x15, 0, 1, 1]);
    assert.equal(r[3]![3], 300);
  });

  test('refuses what the kernel would reject, naming the problem', () => {
    assert.throws(() => new Cbpf().ldb(0).jeq(1, 'x').ret(0).label('x').assemble(), /past the last/);
    assert.throws(() => new Cbpf().ldb(0).jeq(1, 'nowhere').ret(0).assemble(), /no label nowhere/);
    assert.throws(() => new Cbpf().label('top').ldb(0).jeq(1, 'top').ret(0).assemble(), /only jumps forward/);
    const far = new Cbpf().ldb(0).jeq(1, 'far');
    for (let i = 0; i < 256; i++) far.ret(i);
    assert.throws(() => far.label('far').ret(0).assemble(), /more than 255/);
    assert.throws(() => new Cbpf().st(16), /M\[16\]/);
    assert.throws(() => new Cbpf().assemble(), /1\.\.4096/);
    assert.throws(() => new Cbpf().ldb(0).assemble(), /must end in ret/);
  });

  test('the interpreter agrees with hand-computed results', () => {
    const p = new Cbpf().ldxMsh(0).ldhInd(2).and(3).retA().assemble();
    const pkt = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', options: [1, 1, 1, 1] }).udp({ sport: 9, dport: 1027 }).build();
    assert.equal(runCbpf(p, pkt), 1027 & 3);
    assert.equal(runCbpf(new Cbpf().ld(1000).ret(5).assemble(), pkt), 0, 'a load past the end returns 0');
  });
});

// ------------------------------------------------------------------------------ the fanout program

const VIP = '10.0.0.100', LIP = '192.168.100.200', RIP = '192.168.100.2';
const VIP6 = '2001:db8::100', LIP6 = '2001:db8:1::200', RIP6 = '2001:db8:1::2';
const word = (a: string): number => addrWords(a)[0]!;
const words6 = addrWords;
const expected = expectedWorker;
const ip4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((b) => b.join('.'));
const ip6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => '2001:' + g.slice(1).map((x) => x.toString(16)).join(':'));
const port = fc.integer({ min: 1, max: 65535 });
const lport = fc.integer({ min: 1025, max: 65535 });
const steer = (workers: number, members?: number[]) => fanoutProgram({
  workers, vips4: [word(VIP), word('10.0.0.101')], vips6: [words6(VIP6)], lips4: [word(LIP), word('192.168.100.201')], lips6: [words6(LIP6)], members,
});

describe('fanout program (network-header offsets)', () => {
  const workers = 4;
  const prog = steer(workers);
  const mask = workerPortMask(workers);
  const run = (pkt: Uint8Array): number => runCbpf(prog, pkt);

  test('NAT: client -> VIP and real server -> client reach the member of the client side, exactly', () => {
    fc.assert(fc.property(ip4, port, fc.boolean(), (c, cp, udp) => {
      const mk = (s: string, d: string, sport: number, dport: number) => (udp ? ipv4({ src: s, dst: d }).udp({ sport, dport }) : ipv4({ src: s, dst: d }).tcp({ sport, dport })).build();
      const w = expected(c, cp, workers);
      assert.equal(run(mk(c, VIP, cp, 80)), w, 'client -> VIP');
      assert.equal(run(mk(c, '10.0.0.101', cp, 443)), w, 'client -> second VIP');
      assert.equal(run(mk(RIP, c, 8080, cp)), w, 'real server -> client (NAT reply, before SNAT)');
      assert.equal(run(mk(VIP, c, 80, cp)), w, 'VIP -> client');
    }), { numRuns: 300 });
    fc.assert(fc.property(ip6, port, (c, cp) => {
      const w = expected(c, cp, workers);
      assert.equal(run(ipv6({ src: c, dst: VIP6 }).tcp({ sport: cp, dport: 80 }).build()), w);
      assert.equal(run(ipv6({ src: RIP6, dst: c }).tcp({ sport: 80, dport: cp }).build()), w);
      assert.equal(run(ipv6({ src: c, dst: VIP6 }).udp({ sport: cp, dport: 53 }).build()), w);
    }), { numRuns: 200 });
  });

  test('FullNAT: replies to a LIP go by local port partition, as laddr.ts hands ports out (NAT64 too)', () => {
    fc.assert(fc.property(lport, port, ip6, port, (lp, rport, c, cp) => {
      assert.equal(run(ipv4({ src: RIP, dst: LIP }).tcp({ sport: rport, dport: lp }).build()), lp & mask);
      assert.equal(run(ipv4({ src: RIP, dst: '192.168.100.201', options: [1, 1, 1, 1] }).udp({ sport: rport, dport: lp }).build()), lp & mask);
      assert.equal(run(ipv6({ src: RIP6, dst: LIP6 }).tcp({ sport: rport, dport: lp }).build()), lp & mask);
      // NAT64: an IPv6 client to the IPv6 VIP, the IPv4 real server back to the IPv4 LIP.
      assert.equal(run(ipv6({ src: c, dst: VIP6 }).tcp({ sport: cp, dport: 80 }).build()), expected(c, cp, workers));
      assert.equal(run(ipv4({ src: RIP, dst: LIP }).tcp({ sport: 80, dport: lp }).build()), lp & mask);
    }), { numRuns: 200 });
  });

  test('an ICMP error reaches the worker of the connection it quotes', () => {
    fc.assert(fc.property(ip4, port, lport, (c, cp, lp) => {
      const w = expected(c, cp, workers);
      // A router on the client side reports our reply VIP -> client: sent to the VIP.
      const toVip = ipv4({ src: '10.0.0.1', dst: VIP }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: ipv4({ src: VIP, dst: c }).tcp({ sport: 80, dport: cp }), quoteLen: 28 });
      assert.equal(run(toVip.build()), w);
      // NAT or DR: a router on the real-server side reports client -> RS: sent to the client.
      const toClient = ipv4({ src: '192.168.100.1', dst: c }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: ipv4({ src: c, dst: RIP }).tcp({ sport: cp, dport: 80 }), quoteLen: 28 });
      assert.equal(run(toClient.build()), w);
      // FullNAT: a router on the real-server side reports our LIP -> RS packet: sent to the LIP.
      const toLip = ipv4({ src: '192.168.100.1', dst: LIP }).icmp({ type: 'time-exceeded', quote: ipv4({ src: LIP, dst: RIP }).tcp({ sport: lp, dport: 80 }), quoteLen: 28 });
      assert.equal(run(toLip.build()), lp & mask);
    }), { numRuns: 200 });
    fc.assert(fc.property(ip6, port, lport, (c, cp, lp) => {
      const w = expected(c, cp, workers);
      const ptb = ipv6({ src: '2001:db8::1', dst: VIP6 }).icmpv6({ type: 'packet-too-big', mtu: 1280, quote: ipv6({ src: VIP6, dst: c }).tcp({ sport: 443, dport: cp }) });
      assert.equal(run(ptb.build()), w);
      const toClient = ipv6({ src: '2001:db8:1::1', dst: c }).icmpv6({ type: 'packet-too-big', mtu: 1280, quote: ipv6({ src: c, dst: RIP6 }).tcp({ sport: cp, dport: 443 }) });
      assert.equal(run(toClient.build()), w);
      const toLip = ipv6({ src: '2001:db8:1::1', dst: LIP6 }).icmpv6({ type: 'dest-unreach', quote: ipv6({ src: LIP6, dst: RIP6 }).udp({ sport: lp, dport: 53 }) });
      assert.equal(run(toLip.build()), lp & mask);
    }), { numRuns: 100 });
  });

  test('fragments and other protocols go by the client side\'s address alone; ARP goes to member 0', () => {
    const a = run(ipv4({ src: '1.1.1.1', dst: VIP, flags: 'MF' }).tcp({ sport: 1, dport: 80 }).build());
    assert.equal(a, expected('1.1.1.1', 0, workers));
    assert.equal(run(ipv4({ src: VIP, dst: '1.1.1.1', fragOffset: 100 }).payload('x'.repeat(40)).build()), a);
    assert.equal(run(ipv4({ src: '1.1.1.1', dst: VIP, proto: 47 }).payload('gre!').build()), a);
    const b = run(ipv6({ src: '2001:db8::9', dst: VIP6, ext: [{ kind: 'fragment', mf: true }] }).tcp({ sport: 5, dport: 80 }).build());
    assert.equal(b, expected('2001:db8::9', 0, workers));
    assert.equal(run(ipv6({ src: VIP6, dst: '2001:db8::9', nextHeader: 59 }).build()), b);
    assert.equal(run(Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1])), 0);
  });

  test('the members table sends each worker\'s packets to the slot its socket holds', () => {
    // Worker 1 restarted with 3 workers: the kernel moved worker 2 into slot 1, worker 1 joined last.
    const members = [0, 2, 1];
    const p3 = steer(3, members);
    fc.assert(fc.property(lport.filter((x) => (x & 3) < 3), ip4, port, (lp, c, cp) => {
      assert.equal(runCbpf(p3, ipv4({ src: RIP, dst: LIP }).tcp({ sport: 80, dport: lp }).build()), members.indexOf(lp & 3));
      assert.equal(runCbpf(p3, ipv4({ src: c, dst: VIP }).tcp({ sport: cp, dport: 80 }).build()), members.indexOf(expected(c, cp, 3)));
    }), { numRuns: 200 });
    assert.throws(() => steer(3, [0, 3]), /members/);
    assert.equal(runCbpf(steer(1), ipv4({ src: '1.2.3.4', dst: VIP }).tcp({ sport: 9, dport: 80 }).build()), 0);
  });

  test('spreads flows evenly', () => {
    const per = new Array<number>(workers).fill(0);
    for (let i = 0; i < 8000; i++) {
      const pkt = ipv4({ src: `10.${(i >> 8) & 255}.${i & 255}.7`, dst: VIP }).tcp({ sport: 1024 + ((i * 7919) % 60000), dport: 80 }).build();
      per[run(pkt)]!++;
    }
    for (const n of per) assert.ok(n > 8000 / workers * 0.8 && n < 8000 / workers * 1.2, `per-worker counts ${per}`);
  });

  test(`takes up to ${FANOUT_MAX_LIPS} LIPs and ${FANOUT_MAX_VIPS} VIPs of each family within classic BPF's limits`, () => {
    const lips4 = Array.from({ length: FANOUT_MAX_LIPS }, (_, i) => word(`192.168.${i}.200`));
    const lips6 = Array.from({ length: FANOUT_MAX_LIPS }, (_, i) => words6(`2001:db8:${i.toString(16)}::200`));
    const vips4 = Array.from({ length: FANOUT_MAX_VIPS }, (_, i) => word(`10.1.${i}.100`));
    const vips6 = Array.from({ length: FANOUT_MAX_VIPS }, (_, i) => words6(`2001:db8:a${i.toString(16)}::100`));
    const members = [7, 6, 5, 4, 3, 2, 1, 0];
    const p = fanoutProgram({ workers: 8, lips4, lips6, vips4, vips6, members });
    assert.ok(p.length / 8 <= 4096);
    assert.equal(runCbpf(p, ipv4({ src: RIP, dst: '192.168.63.200' }).tcp({ sport: 80, dport: 40002 }).build()), 7 - (40002 & 7));
    assert.equal(runCbpf(p, ipv6({ src: RIP6, dst: '2001:db8:3f::200' }).tcp({ sport: 80, dport: 40001 }).build()), 7 - (40001 & 7));
    assert.equal(runCbpf(p, ipv4({ src: '1.2.3.4', dst: '10.1.63.100' }).tcp({ sport: 999, dport: 80 }).build()), 7 - expected('1.2.3.4', 999, 8));
    assert.equal(runCbpf(p, ipv6({ src: '2001:db8::77', dst: '2001:db8:a3f::100' }).tcp({ sport: 999, dport: 80 }).build()), 7 - expected('2001:db8::77', 999, 8));
    assert.throws(() => fanoutProgram({ workers: 2, lips4: [...lips4, 1], lips6: [] }), /at most 64 LIPs/);
    assert.throws(() => fanoutProgram({ workers: 2, lips4: [], lips6: [], vips4: [...vips4, 1] }), /at most 64 VIPs/);
  });
});

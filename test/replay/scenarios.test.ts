// `tsvs replay` end to end on the operators' scenarios S1 (FullNAT), S5 (DR) and S6 (tunnel), their
// config lines verbatim: every output frame, its time, the printed summary, and tshark's checksums.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { replay } from '../../src/cli/replay.js';
import { readCapture } from '../../src/drivers/pcap.js';
import { eth } from '../support/builder.js';
import { verifyFrameChecksums } from '../support/csum-ref.js';
import { dissect, matchFields } from '../support/dissect.js';
import { haveTool } from '../support/external.js';
import type { Expect } from '../support/fixture.js';
import { tsharkChecksumStatuses, tsharkPresent, tsharkProblems } from '../support/tshark.js';
import { S1_CONFIG, S1_MAC, S5_CONFIG, S5_MAC, S6_CONFIG, S6_MAC } from './configs.js';
import { capture, type TimedFrame, tsvsIn } from './run.js';

/** Capture time zero (2023-11-14); frames are placed at ms offsets from it. */
const T0 = 1_700_000_000_000;
const at = (ms: number): number => T0 + ms;
const BCAST = 'ff:ff:ff:ff:ff:ff';
const ZERO_MAC = '00:00:00:00:00:00';

interface ExpectedFrame {
  at: number;
  desc: string;
  expect: Expect;
}

interface Scenario {
  config: string;
  inputs: { file: string; port: string; frames: TimedFrame[] }[];
  outputs: { file: string; port: string; frames: ExpectedFrame[] }[];
  /** stdout, line by line. */
  summary: string[];
}

/** The files and the command line of a scenario's replay. */
function filesAndArgs(s: Scenario): { files: Record<string, string | Uint8Array>; args: string[] } {
  const files: Record<string, string | Uint8Array> = { 'lb.conf': s.config };
  for (const i of s.inputs) files[i.file] = capture(i.frames);
  const args = ['replay', '--config', 'lb.conf', ...s.inputs.flatMap((i) => ['--in', `${i.port}=${i.file}`]),
    ...s.outputs.flatMap((o) => ['--out', `${o.port}=${o.file}`])];
  return { files, args };
}

/** Replays through the CLI and checks every output capture frame by frame, then with tshark. */
function replayScenario(t: TestContext, s: Scenario): void {
  const { files, args } = filesAndArgs(s);
  tsvsIn(files, args, (run) => {
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    assert.equal(run.stdout, s.summary.join('\n') + '\n');
    for (const o of s.outputs) {
      const got = run.read(o.file);
      assert.equal(got.length, o.frames.length, `${o.file}: expected ${o.frames.length} frames, got ${got.length}:`
        + got.map((g) => `\n  +${g.tsMs - T0} ms ${JSON.stringify(dissect(g.data))}`).join(''));
      o.frames.forEach((e, k) => {
        const where = `${o.file} frame ${k + 1} (${e.desc})`;
        const g = got[k]!;
        assert.equal(g.tsMs, e.at, `${where}: time`);
        const cs = verifyFrameChecksums(g.data);
        assert.ok(cs.ok, `${where}: checksums: ${cs.problems.join('; ')}`);
        const d = dissect(g.data);
        const miss = matchFields(d, e.expect);
        assert.deepEqual(miss, [], `${where}: ${miss.join('; ')}\n  got ${JSON.stringify(d)}`);
      });
    }
    if (!haveTool(t, tsharkPresent, 'tshark', 'apt-get install -y tshark')) return;
    for (const o of s.outputs) {
      const frames = run.read(o.file);
      const statuses = tsharkChecksumStatuses(join(run.dir, o.file));
      assert.equal(statuses.length, frames.length, `${o.file}: tshark read every frame`);
      frames.forEach((f, k) => assert.deepEqual(tsharkProblems(f.data, statuses[k]!), [], `${o.file} frame ${k + 1}`));
    }
  });
}

/** An ARP request from us (`mac`, `spa`) for `tpa`, broadcast. */
function arpWhoHas(mac: string, spa: string, tpa: string): Expect {
  return { eth: { src: mac, dst: BCAST, type: 0x0806 }, arp: { op: 1, sha: mac, spa, tha: ZERO_MAC, tpa } };
}

/** The ARP reply `mac` sends for `spa` to the asker (`tha`, `tpa`). */
function arpIsAt(mac: string, spa: string, tha: string, tpa: string): Expect {
  return { eth: { src: mac, dst: tha, type: 0x0806 }, arp: { op: 2, sha: mac, spa, tha, tpa } };
}

/** Expectations sharing `base`'s layers: each layer of a frame's own expectation adds to the base's. */
function layered(base: Expect): (own: Expect) => Expect {
  return (own) => {
    const out: Expect = { ...base };
    for (const [k, v] of Object.entries(own)) out[k] = { ...(base[k] as object | undefined), ...(v as object) };
    return out;
  };
}

// ================================================================================== S1: FullNAT

const REQUEST = 'GET / HTTP/1.0\r\n\r\n'; // 18 bytes
const RESPONSE = 'HTTP/1.0 200 OK\r\n\r\n'; // 19 bytes

/**
 * One client (10.0.0.48:40000) fetches a page through the VIP while a second connection
 * (port 40001) waits for RS .3's ARP answer. `isn` is the sequence number tsvs gave the first SYN
 * towards the RS: the RS's segments acknowledge it, as a real server's would.
 */
function s1(isn: number): Scenario {
  const c = eth({ src: S1_MAC.client, dst: S1_MAC.wan }).ipv4({ src: '10.0.0.48', dst: '10.0.0.100', flags: 'DF' });
  const r2 = eth({ src: S1_MAC.rs2, dst: S1_MAC.lan }).ipv4({ src: '192.168.100.2', dst: '192.168.100.200', flags: 'DF' });
  const synOptions = [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 77, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }] as const;
  const toClient = layered({ eth: { src: S1_MAC.wan, dst: S1_MAC.client }, ipv4: { src: '10.0.0.100', dst: '10.0.0.48', ttl: 64 } });
  const toRs2 = layered({ eth: { src: S1_MAC.lan, dst: S1_MAC.rs2 }, ipv4: { src: '192.168.100.200', dst: '192.168.100.2', ttl: 64, flags: 'DF' } });
  const toa = [{ kind: 'toa', port: 40000, addr: '10.0.0.48' }];
  const x = (n: number): number => (isn + n) >>> 0;
  return {
    config: S1_CONFIG,
    inputs: [
      {
        file: 'client.pcap', port: 'dpdk1', frames: [
          { at: at(0), desc: 'client asks for the VIP', frame: eth({ src: S1_MAC.client, dst: BCAST }).arp({ op: 'request', sha: S1_MAC.client, spa: '10.0.0.48', tpa: '10.0.0.100' }) },
          { at: at(5), desc: 'client pings the VIP', frame: c.icmp({ type: 'echo-request', id: 7, seq: 1, data: 'ping' }) },
          { at: at(8), desc: 'a stray ACK of no connection', frame: c.tcp({ sport: 39999, dport: 80, flags: 'A', seq: 1, ack: 1 }) },
          { at: at(10), desc: 'SYN', frame: c.tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000, options: [...synOptions] }) },
          { at: at(14), desc: 'handshake ACK', frame: c.tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1001, ack: 5001 }) },
          { at: at(15), desc: 'request', frame: c.tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 1001, ack: 5001 }).payload(REQUEST) },
          { at: at(18), desc: 'client FIN', frame: c.tcp({ sport: 40000, dport: 80, flags: 'FA', seq: 1019, ack: 5021 }) },
          { at: at(20), desc: 'second SYN', frame: c.tcp({ sport: 40001, dport: 80, flags: 'S', seq: 2000, options: [{ kind: 'mss', value: 1460 }] }) },
        ],
      },
      {
        file: 'servers.pcap', port: 'dpdk0', frames: [
          { at: at(11), desc: 'RS .2 answers ARP', frame: eth({ src: S1_MAC.rs2, dst: S1_MAC.lan }).arp({ op: 'reply', sha: S1_MAC.rs2, spa: '192.168.100.2', tha: S1_MAC.lan, tpa: '192.168.100.200' }) },
          { at: at(12), desc: 'SYN-ACK', frame: r2.tcp({ sport: 80, dport: 1025, flags: 'SA', seq: 5000, ack: x(1), options: [{ kind: 'mss', value: 1460 }] }) },
          { at: at(16), desc: 'response', frame: r2.tcp({ sport: 80, dport: 1025, flags: 'PA', seq: 5001, ack: x(19) }).payload(RESPONSE) },
          { at: at(17), desc: 'RS FIN', frame: r2.tcp({ sport: 80, dport: 1025, flags: 'FA', seq: 5020, ack: x(19) }) },
          { at: at(19), desc: 'RS last ACK', frame: r2.tcp({ sport: 80, dport: 1025, flags: 'A', seq: 5021, ack: x(20) }) },
          { at: at(21), desc: 'RS .3 answers ARP', frame: eth({ src: S1_MAC.rs3, dst: S1_MAC.lan }).arp({ op: 'reply', sha: S1_MAC.rs3, spa: '192.168.100.3', tha: S1_MAC.lan, tpa: '192.168.100.200' }) },
        ],
      },
    ],
    outputs: [
      {
        file: 'to-servers.pcap', port: 'dpdk0', frames: [
          { at: at(10), desc: 'who-has RS .2', expect: arpWhoHas(S1_MAC.lan, '192.168.100.200', '192.168.100.2') },
          {
            at: at(11), desc: 'the queued SYN, once .2 answered', expect: toRs2({
              ipv4: { totalLength: 60 },
              tcp: {
                sport: 1025, dport: 80, seq: isn, ack: 0, flags: 'S', payloadLen: 0,
                // The client's timestamp option is overwritten with NOPs.
                options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, ...Array(11).fill({ kind: 'nop' }), { kind: 'wscale', value: 7 }],
              },
            }),
          },
          { at: at(14), desc: 'handshake ACK with TOA', expect: toRs2({ ipv4: { totalLength: 48 }, tcp: { sport: 1025, dport: 80, seq: x(1), ack: 5001, flags: 'A', options: toa, payloadLen: 0 } }) },
          { at: at(15), desc: 'request with TOA', expect: toRs2({ ipv4: { totalLength: 66 }, tcp: { sport: 1025, dport: 80, seq: x(1), ack: 5001, flags: 'PA', options: toa, payload: REQUEST } }) },
          { at: at(18), desc: 'client FIN, no TOA any more', expect: toRs2({ ipv4: { totalLength: 40 }, tcp: { sport: 1025, dport: 80, seq: x(19), ack: 5021, flags: 'FA', options: [] } }) },
          { at: at(20), desc: 'who-has RS .3', expect: arpWhoHas(S1_MAC.lan, '192.168.100.200', '192.168.100.3') },
          {
            at: at(21), desc: 'second SYN to .3 (rr)', expect: {
              eth: { src: S1_MAC.lan, dst: S1_MAC.rs3 },
              ipv4: { src: '192.168.100.200', dst: '192.168.100.3', ttl: 64, flags: 'DF', totalLength: 44 },
              tcp: { sport: 1025, dport: 80, ack: 0, flags: 'S', options: [{ kind: 'mss', value: 1460 }] },
            },
          },
        ],
      },
      {
        file: 'to-clients.pcap', port: 'dpdk1', frames: [
          { at: at(0), desc: 'VIP is-at', expect: arpIsAt(S1_MAC.wan, '10.0.0.100', S1_MAC.client, '10.0.0.48') },
          { at: at(5), desc: 'echo reply from the VIP', expect: toClient({ ipv4: { proto: 1 }, icmp: { type: 0, code: 0, id: 7, seq: 1, data: 'ping' } }) },
          {
            at: at(12), desc: 'SYN-ACK, MSS lowered by the TOA length', expect: toClient({
              ipv4: { flags: 'DF', totalLength: 44 },
              tcp: { sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: 'SA', options: [{ kind: 'mss', value: 1452 }] },
            }),
          },
          { at: at(16), desc: 'response', expect: toClient({ ipv4: { flags: 'DF', totalLength: 59 }, tcp: { sport: 80, dport: 40000, seq: 5001, ack: 1019, flags: 'PA', payload: RESPONSE } }) },
          { at: at(17), desc: 'RS FIN', expect: toClient({ ipv4: { flags: 'DF', totalLength: 40 }, tcp: { sport: 80, dport: 40000, seq: 5020, ack: 1019, flags: 'FA' } }) },
          { at: at(19), desc: 'RS last ACK', expect: toClient({ ipv4: { flags: 'DF', totalLength: 40 }, tcp: { sport: 80, dport: 40000, seq: 5021, ack: 1020, flags: 'A' } }) },
        ],
      },
    ],
    summary: [
      'port         in       out    kernel     drops',
      'dpdk0         6         7         0         0',
      'dpdk1         8         6         0         1',
      'drops by reason:',
      '  not_syn              1',
      'connections at end: 2',
    ],
  };
}

/** The ISN tsvs gives the first SYN towards the RS (in-process replay of the same captures). */
function s1Isn(): number {
  const s = s1(0);
  const r = replay({ config: s.config, inputs: s.inputs.map((i) => ({ port: i.port, frames: readCapture(capture(i.frames)) })), outputs: ['dpdk0'] });
  const syn = dissect(r.captured.get('dpdk0')![1]!.data);
  assert.equal(syn.tcp?.flags, 'S', 'the second frame to the servers is the SYN');
  return syn.tcp!.seq!;
}

test('S1 FullNAT: client and RS captures interleave; ARP, pending queue, TOA, seq/ack, MSS, echo, not_syn', (t) => {
  replayScenario(t, s1(s1Isn()));
});

// ================================================================================== S5: DR

test('S5 DR, one arm: two captures on one port; the pending queue holds a retransmitted SYN; only the MAC changes', (t) => {
  const c = eth({ src: S5_MAC.client, dst: S5_MAC.lb }).ipv4({ src: '192.168.100.26', dst: '192.168.100.254', flags: 'DF', ttl: 61 });
  const syn = c.tcp({ sport: 41000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'mss', value: 1460 }] });
  const ack = c.tcp({ sport: 41000, dport: 80, flags: 'A', seq: 1001, ack: 7001 });
  const data = c.tcp({ sport: 41000, dport: 80, flags: 'PA', seq: 1001, ack: 7001 }).payload(REQUEST);
  const fin = c.tcp({ sport: 41000, dport: 80, flags: 'FA', seq: 1019, ack: 7100 });
  const syn2 = c.tcp({ sport: 41001, dport: 80, flags: 'S', seq: 3000 });
  /** The client's own frame, re-addressed to a real server's MAC: DR changes nothing else. */
  const dr = (rsMac: string, b: typeof syn): Expect => {
    const d = dissect(b.build());
    return { ...d, eth: { ...d.eth, src: S5_MAC.lb, dst: rsMac } };
  };
  replayScenario(t, {
    config: S5_CONFIG,
    inputs: [
      {
        file: 'client.pcap', port: 'dpdk0', frames: [
          { at: at(0), desc: 'client asks for the VIP', frame: eth({ src: S5_MAC.client, dst: BCAST }).arp({ op: 'request', sha: S5_MAC.client, spa: '192.168.100.26', tpa: '192.168.100.254' }) },
          { at: at(10), desc: 'SYN', frame: syn },
          { at: at(12), desc: 'SYN retransmitted', frame: syn },
          { at: at(20), desc: 'handshake ACK (the SYN-ACK went straight to the client)', frame: ack },
          { at: at(21), desc: 'request', frame: data },
          { at: at(25), desc: 'second connection', frame: syn2 },
          { at: at(26), desc: 'SYN to a port without a service', frame: c.tcp({ sport: 41002, dport: 443, flags: 'S', seq: 9 }) },
          { at: at(30), desc: 'client FIN', frame: fin },
        ],
      },
      {
        file: 'servers.pcap', port: 'dpdk0', frames: [
          { at: at(13), desc: 'RS .2 answers ARP', frame: eth({ src: S5_MAC.rs2, dst: S5_MAC.lb }).arp({ op: 'reply', sha: S5_MAC.rs2, spa: '192.168.100.2', tha: S5_MAC.lb, tpa: '192.168.100.1' }) },
          { at: at(27), desc: 'RS .3 answers ARP', frame: eth({ src: S5_MAC.rs3, dst: S5_MAC.lb }).arp({ op: 'reply', sha: S5_MAC.rs3, spa: '192.168.100.3', tha: S5_MAC.lb, tpa: '192.168.100.1' }) },
        ],
      },
    ],
    outputs: [
      {
        file: 'out.pcap', port: 'dpdk0', frames: [
          { at: at(0), desc: 'VIP is-at', expect: arpIsAt(S5_MAC.lb, '192.168.100.254', S5_MAC.client, '192.168.100.26') },
          { at: at(10), desc: 'who-has RS .2', expect: arpWhoHas(S5_MAC.lb, '192.168.100.1', '192.168.100.2') },
          { at: at(13), desc: 'queued SYN', expect: dr(S5_MAC.rs2, syn) },
          { at: at(13), desc: 'queued retransmission, in order', expect: dr(S5_MAC.rs2, syn) },
          { at: at(20), desc: 'ACK', expect: dr(S5_MAC.rs2, ack) },
          { at: at(21), desc: 'request', expect: dr(S5_MAC.rs2, data) },
          { at: at(25), desc: 'who-has RS .3', expect: arpWhoHas(S5_MAC.lb, '192.168.100.1', '192.168.100.3') },
          { at: at(27), desc: 'second SYN to .3', expect: dr(S5_MAC.rs3, syn2) },
          { at: at(30), desc: 'FIN', expect: dr(S5_MAC.rs2, fin) },
        ],
      },
    ],
    summary: [
      'port         in       out    kernel     drops',
      'dpdk0        10         9         0         1',
      'drops by reason:',
      '  no_service           1',
      'connections at end: 2',
    ],
  });
});

// ================================================================================== S6: tunnel

test('S6 tunnel: IPIP to a server on our subnet and one behind the gateway; too big with DF -> frag-needed', (t) => {
  const c = eth({ src: S6_MAC.gw, dst: S6_MAC.lb }).ipv4({ src: '10.138.85.23', dst: '10.140.31.48', flags: 'DF', ttl: 57 });
  const syn = c.tcp({ sport: 42000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'mss', value: 1460 }] });
  const syn2 = c.tcp({ sport: 42001, dport: 80, flags: 'S', seq: 2000, options: [{ kind: 'mss', value: 1460 }] });
  const ack = c.tcp({ sport: 42000, dport: 80, flags: 'A', seq: 1001, ack: 9001 });
  const data = c.tcp({ sport: 42000, dport: 80, flags: 'PA', seq: 1001, ack: 9001 }).payload(REQUEST);
  const big = c.tcp({ sport: 42000, dport: 80, flags: 'PA', seq: 1019, ack: 9001 }).payload('z'.repeat(1460));
  /** The client's packet inside an outer IPv4 header from our tunnel address to `rs` (TTL copied from it, as DPVS). */
  const ipip = (dstMac: string, rs: string, id: number, inner: typeof syn): Expect => {
    const d = dissect(inner.build());
    return {
      eth: { src: S6_MAC.lb, dst: dstMac, type: 0x0800 },
      ipv4: { src: '10.140.16.48', dst: rs, proto: 4, ttl: d.ipv4!.ttl, flags: 'DF', id, totalLength: 20 + d.ipv4!.totalLength, ihl: 5 },
      inner: { ipv4: d.ipv4, tcp: d.tcp },
    };
  };
  replayScenario(t, {
    config: S6_CONFIG,
    inputs: [{
      file: 'client.pcap', port: 'dpdk0', frames: [
        { at: at(0), desc: 'SYN', frame: syn },
        { at: at(5), desc: 'second SYN', frame: syn2 },
        { at: at(10), desc: 'handshake ACK', frame: ack },
        { at: at(11), desc: 'request', frame: data },
        { at: at(12), desc: 'ping to the VIP', frame: c.icmp({ type: 'echo-request', id: 3, seq: 9, data: 'are you there' }) },
        { at: at(15), desc: '1500-byte segment with DF: no room for the outer header', frame: big },
      ],
    }],
    outputs: [{
      file: 'out.pcap', port: 'dpdk0', frames: [
        { at: at(0), desc: 'SYN to RS 10.140.18.33 on our subnet', expect: ipip(S6_MAC.rs1, '10.140.18.33', 1, syn) },
        { at: at(5), desc: 'second SYN to 10.40.84.170 via the gateway', expect: ipip(S6_MAC.gw, '10.40.84.170', 2, syn2) },
        { at: at(10), desc: 'ACK', expect: ipip(S6_MAC.rs1, '10.140.18.33', 3, ack) },
        { at: at(11), desc: 'request', expect: ipip(S6_MAC.rs1, '10.140.18.33', 4, data) },
        {
          at: at(12), desc: 'echo reply from the VIP, via the gateway', expect: {
            eth: { src: S6_MAC.lb, dst: S6_MAC.gw }, ipv4: { src: '10.140.31.48', dst: '10.138.85.23', ttl: 64 },
            icmp: { type: 0, code: 0, id: 3, seq: 9, data: 'are you there' },
          },
        },
        {
          at: at(15), desc: 'frag-needed, MTU 1480, quoting the segment', expect: {
            eth: { src: S6_MAC.lb, dst: S6_MAC.gw }, ipv4: { src: '10.140.31.48', dst: '10.138.85.23', proto: 1, ttl: 64 },
            icmp: { type: 3, code: 4, mtu: 1480, inner: { ipv4: { src: '10.138.85.23', dst: '10.140.31.48', totalLength: 1500 }, tcp: { sport: 42000, dport: 80, seq: 1019 } } },
          },
        },
      ],
    }],
    summary: [
      'port         in       out    kernel     drops',
      'dpdk0         6         6         0         1',
      'drops by reason:',
      '  tunnel_too_big       1',
      'connections at end: 2',
    ],
  });
});

// A user-space IPIP decapsulator for the tunnel end-to-end test's real servers (test support only,
// not a tsvs feature): what tunl0 does on a production real server, for a kernel without ipip.
//
//   ip netns exec RS node ipip-decap.js --in r0 --local 192.168.100.2 --out dx0 --peer dy0
//
// It reads the real server's interface with the project's AF_PACKET addon, takes IPv4 packets of
// protocol 4 (IPIP) addressed to --local, strips the outer header and sends the inner packet, in a
// new Ethernet header, out of --out: one end of a veth pair whose other end (--peer) is in the same
// namespace. The kernel receives the inner packet on --peer as if tunl0 had decapsulated it, so
// nginx (VIP on lo) answers it and the reply goes straight to the client. No TUN device is needed
// (Node cannot ioctl TUNSETIFF) and no native code was added. The kernel must not also see the
// outer packets (it would answer "protocol unreachable": this kernel has no ipip module); the lab
// drops them with an nftables input rule, which runs after the AF_PACKET tap.
//
// It prints `ipip-decap ready` on stderr once its sockets are open, and on SIGTERM/SIGINT a JSON
// line {"decapsulated": N, "ignored": M} before exiting. No allocation per packet: the outer header
// is overwritten in place in the receive scratch and the frame moves with copyWithin.

import { afPacketAddon } from '../../src/drivers/afpacket-addon.js';
import { AfPacketPorts } from '../../src/drivers/afpacket.js';

const ETH_HLEN = 14;
const IPPROTO_IPIP = 4;

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`ipip-decap: --${name} is required (see the header of ipip-decap.ts)`);
  return v;
}

function ipv4Word(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`ipip-decap: bad IPv4 address ${s}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

const inIf = arg('in');
const outIf = arg('out');
const local = ipv4Word(arg('local'));
const addon = afPacketAddon();
const srcMac = addon.ifaceInfo(outIf).mac;
const dstMac = addon.ifaceInfo(arg('peer')).mac;
// TPACKET_V2: a frame is handed over as soon as it lands (no block retire timer in the RTT).
const io = AfPacketPorts.open([{ ifname: inIf, options: { version: 2 } }, { ifname: outIf, options: { version: 2 } }]);
const rx = io.sockets[0]!;
const tx = io.sockets[1]!;
let decapsulated = 0;
let ignored = 0;

function onFrame(buf: Uint8Array, off: number, len: number): void {
  const l3 = off + ETH_HLEN;
  const ihl = (buf[l3]! & 15) * 4;
  const isIpip = len >= ETH_HLEN + 40 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00 && (buf[l3]! >> 4) === 4
    && buf[l3 + 9] === IPPROTO_IPIP && (((buf[l3 + 16]! << 24) | (buf[l3 + 17]! << 16) | (buf[l3 + 18]! << 8) | buf[l3 + 19]!) >>> 0) === local
    && ihl >= 20 && len >= ETH_HLEN + ihl + 20 && (buf[l3 + ihl]! >> 4) === 4;
  if (!isIpip) {
    ignored++;
    return;
  }
  // The outer total length bounds the inner packet (the frame may carry Ethernet padding).
  const outerLen = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
  const inner = l3 + ihl;
  const innerLen = Math.min(outerLen, len - ETH_HLEN) - ihl;
  // The new Ethernet header goes where the outer IP header's tail was.
  const eth = inner - ETH_HLEN;
  buf.set(dstMac, eth);
  buf.set(srcMac, eth + 6);
  buf[eth + 12] = 0x08;
  buf[eth + 13] = 0x00;
  if (tx.send(buf, eth, innerLen + ETH_HLEN)) decapsulated++;
}

function finish(): void {
  process.stderr.write(`${JSON.stringify({ decapsulated, ignored, txFull: tx.txFull })}\n`);
  io.close();
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
process.stderr.write('ipip-decap ready\n');

// A poll with a short timeout, then a turn of the event loop so the signal handlers can run.
function loop(): void {
  rx.poll(20);
  while (rx.rxBurst(onFrame) > 0) tx.flush();
  tx.flush();
  setImmediate(loop);
}
loop();

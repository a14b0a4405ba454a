// The wire for VRRP: one AF_PACKET socket per kernel interface (Node has no raw IP sockets) with a
// socket filter that lets in only VRRP (IPv4 protocol 112, IPv6 next header 112), the interface's
// MAC and addresses, and unicast peers' MACs from the kernel's neighbour table.
//
// Receiving polls the ring every RX_POLL_MS from the event loop: a VRRP timer is at least 10 ms
// (advert_int 0.01) and keepalived's own timers are as coarse, so a few ms of latency is harmless.

import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { afPacketAddon } from '../../drivers/afpacket-addon.js';
import { AfPacketSocket } from '../../drivers/afpacket.js';
import { Cbpf } from '../../drivers/cbpf.js';
import { TsvsError } from '../../errors.js';
import { ETH_P_IP, ETH_P_IPV6 } from '../../packet/ether.js';
import { type IpAddr, formatIp, parseIp, parseMac } from '../../packet/inet.js';
import { IPPROTO_VRRP } from './advert.js';

export const RX_POLL_MS = 2;

/** The frames a VRRP link carries, whatever carries them (AF_PACKET here, memory in tests). */
export interface VrrpLink {
  readonly ifname: string;
  readonly mac: Uint8Array;
  /** The interface's primary IPv4 address and its IPv6 link-local one, as the kernel has them. */
  readonly addr4?: IpAddr;
  readonly addr6?: IpAddr;
  send(frame: Uint8Array, len: number): void;
  /** Frames the filter passed; buf is only valid during the call. */
  onFrame(handler: (buf: Uint8Array, off: number, len: number) => void): void;
  /** A unicast peer's MAC (the kernel's neighbour entry); resolution starts on first ask. */
  peerMac(peer: IpAddr): Uint8Array | undefined;
  close(): void;
}

/** Socket filter: IPv4 with protocol 112, or IPv6 with next header 112 (adverts carry no extension headers). */
export function vrrpFilter(): Uint8Array {
  const WHOLE = 0xffffffff;
  return new Cbpf()
    .ldh(12).jeq(ETH_P_IP, null, 'v6')
    .ldb(23).jeq(IPPROTO_VRRP, 'yes', 'no')
    .label('v6').jeq(ETH_P_IPV6, null, 'no')
    .ldb(20).jeq(IPPROTO_VRRP, 'yes', 'no')
    .label('yes').ret(WHOLE)
    .label('no').ret(0)
    .assemble();
}

function kernelAddrs(ifname: string): { addr4?: IpAddr; addr6?: IpAddr } {
  const list = networkInterfaces()[ifname] ?? [];
  const v4 = list.find((a) => a.family === 'IPv4');
  const v6 = list.find((a) => a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'));
  const a4 = v4 ? parseIp(v4.address) : null;
  const a6 = v6 ? parseIp(v6.address.split('%')[0]!) : null;
  return { ...(a4 ? { addr4: a4 } : {}), ...(a6 ? { addr6: a6 } : {}) };
}

/** The kernel's neighbour entry for ip on ifname, if it has a usable MAC. */
function neighbourMac(ip: IpAddr, ifname: string): Uint8Array | undefined {
  try {
    const out = execFileSync('ip', ['-j', `-${ip.af}`, 'neigh', 'show', 'to', formatIp(ip), 'dev', ifname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = JSON.parse(out || '[]') as { lladdr?: string; state?: string[] }[];
    const row = rows.find((r) => r.lladdr && !(r.state ?? []).includes('FAILED') && !(r.state ?? []).includes('INCOMPLETE'));
    return row?.lladdr ? parseMac(row.lladdr) ?? undefined : undefined;
  } catch {
    return undefined;
  }
}

export class AfPacketVrrpLink implements VrrpLink {
  readonly mac: Uint8Array;
  readonly addr4?: IpAddr;
  readonly addr6?: IpAddr;
  private readonly sock: AfPacketSocket;
  private handler: ((buf: Uint8Array, off: number, len: number) => void) | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly peers = new Map<string, { mac?: Uint8Array; askedAt: number }>();

  constructor(readonly ifname: string) {
    let info;
    try {
      info = afPacketAddon().ifaceInfo(ifname);
    } catch (e) {
      throw new TsvsError('TSVS_ERR_CONFIG', `vrrp: interface ${ifname} cannot be used: ${(e as Error).message} (check 'interface' in the vrrp_instance)`, { cause: e });
    }
    this.mac = info.mac.slice(0, 6);
    Object.assign(this, kernelAddrs(ifname));
    this.sock = AfPacketSocket.open(ifname, { version: 2, vnetHdr: false, filter: vrrpFilter() });
    this.timer = setInterval(() => {
      const h = this.handler;
      if (h) this.sock.rxBurst(h, 64);
    }, RX_POLL_MS);
  }

  send(frame: Uint8Array, len: number): void {
    this.sock.send(frame, 0, len);
    this.sock.flush();
  }

  onFrame(handler: (buf: Uint8Array, off: number, len: number) => void): void {
    this.handler = handler;
  }

  peerMac(peer: IpAddr): Uint8Array | undefined {
    const key = formatIp(peer);
    let p = this.peers.get(key);
    if (!p) this.peers.set(key, (p = { askedAt: 0 }));
    if (p.mac) return p.mac;
    p.mac = neighbourMac(peer, this.ifname);
    const now = Date.now();
    if (!p.mac && now - p.askedAt > 500) {
      // Make the kernel resolve it: a datagram to the discard port sends an ARP request / NS first.
      p.askedAt = now;
      const s = createSocket(peer.af === 4 ? 'udp4' : 'udp6');
      // A link-local peer (fe80::/10, usual for IPv6 VRRP) is reachable only with its scope.
      const scoped = peer.af === 6 && (peer.w0 >>> 22) === 0x3fa ? `${key}%${this.ifname}` : key;
      s.send(Buffer.alloc(0), 9, scoped, () => s.close());
    }
    return p.mac;
  }

  close(): void {
    clearInterval(this.timer);
    this.sock.close();
  }
}

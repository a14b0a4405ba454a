// A VrrpLink without a network for the VRRP tests: what is sent is kept, frames are delivered by
// the test, and unicast peers never resolve.

import type { VrrpLink } from '../../src/keepalived/vrrp/link.js';
import { parseIp, parseMac } from '../../src/packet/inet.js';

export class MemoryLink implements VrrpLink {
  readonly mac = parseMac('02:00:00:00:00:03')!;
  readonly addr4 = parseIp('192.168.77.3')!;
  sent: Uint8Array[] = [];
  handler: ((buf: Uint8Array, off: number, len: number) => void) | null = null;
  constructor(readonly ifname: string) {}
  send(frame: Uint8Array, len: number): void { this.sent.push(frame.slice(0, len)); }
  onFrame(h: (buf: Uint8Array, off: number, len: number) => void): void { this.handler = h; }
  peerMac(): Uint8Array | undefined { return undefined; }
  close(): void {}
  deliver(f: Uint8Array): void { this.handler!(f, 0, f.length); }
}

// The worker's half of the afpacket driver: one AF_PACKET socket per tsvs port, in port-index
// order, all in one arena (AfPacketPorts). rxBurst feeds the engine, flush kicks, wait polls.

import type { DriverInit, PortDriver, RxHandler } from './driver.js';
import type { FrameHandler } from './afpacket-ring.js';
import { AfPacketPorts, type AfPacketOptions } from './afpacket.js';

export const AFPACKET_DRIVER = 'afpacket';

export interface AfPacketDriverInit extends DriverInit {
  readonly driver: typeof AFPACKET_DRIVER;
  /** Linux interface of tsvs port i, with its ring options. */
  readonly ports: readonly { readonly ifname: string; readonly options: AfPacketOptions }[];
}

const NOOP: RxHandler = () => {};

export class AfPacketPortDriver implements PortDriver {
  readonly io: AfPacketPorts;
  /** The handler of the current burst: the per-port closures below call it, so none is made per burst. */
  private handler: RxHandler = NOOP;
  private readonly perPort: FrameHandler[];
  /** The port a burst starts with rotates, so one busy port cannot starve the others. */
  private next = 0;

  constructor(init: AfPacketDriverInit) {
    this.io = AfPacketPorts.open(init.ports.map((p) => ({ ifname: p.ifname, options: p.options })));
    this.perPort = init.ports.map((_, i) => (buf: Uint8Array, off: number, len: number) => this.handler(i, buf, off, len));
  }

  rxBurst(handler: RxHandler, max: number): number {
    this.handler = handler;
    const socks = this.io.sockets, n = socks.length;
    let got = 0;
    for (let k = 0; k < n && got < max; k++) {
      const i = (this.next + k) % n;
      got += socks[i]!.rxBurst(this.perPort[i]!, max - got);
    }
    this.next = n === 0 ? 0 : (this.next + 1) % n;
    return got;
  }

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.io.transmit(port, buf, off, len);
  }

  toKernel(port: number, buf: Uint8Array, off: number, len: number): void {
    this.io.toKernel(port, buf, off, len);
  }

  flush(): void {
    this.io.flush();
  }

  /** poll() on every port's socket; the host's wake() cannot interrupt it (see DriverHost.wake). */
  wait(timeoutMs: number): void {
    this.io.poll(timeoutMs);
  }

  txDrops(): number {
    let d = 0;
    for (const s of this.io.sockets) d += s.txFull + s.txTooBig;
    return d;
  }

  close(): void {
    this.io.close();
  }
}

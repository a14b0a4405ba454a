// One request/response exchange on a connected UDP socket, shared by UDP_CHECK and DNS_CHECK:
// ICMP errors surface as socket errors (ECONNREFUSED), the deadline decides silence, one verdict.

import { createSocket } from 'node:dgram';
import { type ProbeResult, type ProbeTarget, down, errorReason, host } from './probe.js';

export interface UdpExchange {
  readonly payload: Uint8Array;
  /** The verdict when connect_timeout passes without one. */
  readonly onSilence: () => ProbeResult;
  /** A datagram arrived: return a verdict, or undefined to keep waiting. */
  readonly onMessage: (msg: Buffer) => ProbeResult | undefined;
}

export function udpExchange(t: ProbeTarget, signal: AbortSignal, x: UdpExchange): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const sock = createSocket(t.addr.af === 6 ? 'udp6' : 'udp4');
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.close();
      resolve(r);
    };
    const onAbort = (): void => finish(down('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => finish(down(errorReason(e))));
    sock.on('message', (msg) => {
      const r = x.onMessage(msg);
      if (r) finish(r);
    });
    const start = (): void => {
      sock.connect(t.port, host(t.addr), () => {
        sock.send(x.payload, (e) => { if (e) finish(down(errorReason(e))); });
        timer = setTimeout(() => finish(x.onSilence()), t.timeoutMs);
      });
    };
    if (t.bindto || t.bindPort) sock.bind({ ...(t.bindto ? { address: host(t.bindto) } : {}), port: t.bindPort ?? 0 }, start);
    else start();
  });
}

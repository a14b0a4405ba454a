// TCP_CHECK: up when a TCP connection to the target completes within connect_timeout.
// Goes through the Linux stack (management interface), as DPVS's keepalived does.

import { connect } from 'node:net';
import { type Probe, down, errorReason, host, up, withDeadline } from './probe.js';

export const tcpProbe: Probe = (t, signal) => withDeadline(t.timeoutMs, signal, (s) => new Promise((resolve) => {
  const sock = connect({
    host: host(t.addr), port: t.port,
    ...(t.bindto ? { localAddress: host(t.bindto) } : {}), ...(t.bindPort ? { localPort: t.bindPort } : {}),
  });
  const done = (r: ReturnType<typeof up>): void => {
    sock.destroy();
    resolve(r);
  };
  sock.once('connect', () => done(up('connected')));
  sock.once('error', (e) => done(down(errorReason(e))));
  s.addEventListener('abort', () => sock.destroy(), { once: true });
}));

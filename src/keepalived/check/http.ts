// HTTP_GET and SSL_GET: for each url, one GET (keepalived's exact request) over a fresh TCP or TLS
// connection; up when every url answers with an accepted status and, if set, the body's MD5 digest.

import { createHash } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HttpUrl } from '../model.js';
import { type Probe, type ProbeResult, type ProbeTarget, down, errorReason, host, up, withDeadline } from './probe.js';

export interface HttpSettings {
  readonly tls: boolean;
  readonly urls: readonly HttpUrl[];
  readonly httpProtocol: '1.0' | '1.0C' | '1.0K' | '1.1';
  /** The checker's, else the real server's, else the virtual server's virtualhost. */
  readonly virtualhost?: string;
  readonly enableSni: boolean;
}

/**
 * keepalived's request_template: `GET path HTTP/1.x`, its User-Agent, `Connection: close` for
 * 1.0C and 1.1, and Host = virtualhost, else the address and port ([v6]:port).
 */
export function httpRequest(t: ProbeTarget, s: HttpSettings, url: HttpUrl): string {
  const vhost = url.virtualhost ?? s.virtualhost;
  const hostHeader = vhost ?? (t.addr.af === 6 ? `[${host(t.addr)}]:${t.port}` : `${host(t.addr)}:${t.port}`);
  const close = s.httpProtocol === '1.0C' || s.httpProtocol === '1.1' ? 'Connection: close\r\n' : '';
  return `GET ${url.path} HTTP/1.${s.httpProtocol === '1.1' ? 1 : 0}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${hostHeader}\r\n\r\n`;
}

/** Undoes chunked transfer coding; null when the chunks are malformed or cut short. */
function dechunk(body: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const size = parseInt(body.subarray(pos, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    const start = eol + 2;
    if (start + size > body.length) return null;
    parts.push(body.subarray(start, start + size));
    pos = start + size + 2;
  }
}

/** Judges one response (the bytes read until the server closed) against the url's expectations. */
export function judgeResponse(raw: Buffer, url: HttpUrl): ProbeResult {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = (headEnd < 0 ? raw : raw.subarray(0, headEnd)).toString('latin1');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
  if (!m) return down(`url ${url.path}: no HTTP status line`);
  const status = Number(m[1]);
  if (!url.statusCodes.some(([lo, hi]) => status >= lo && status <= hi)) return down(`url ${url.path}: status ${status}`);
  if (url.digest === undefined) return up(`url ${url.path}: status ${status}`);
  if (headEnd < 0) return down(`url ${url.path}: no body`);
  let body: Buffer | null = raw.subarray(headEnd + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
  if (!body) return down(`url ${url.path}: bad chunked body`);
  const digest = createHash('md5').update(body).digest('hex');
  if (digest !== url.digest) return down(`url ${url.path}: digest ${digest} != ${url.digest}`);
  return up(`url ${url.path}: status ${status}, digest ok`);
}

function fetchOnce(t: ProbeTarget, s: HttpSettings, url: HttpUrl, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const common = { host: host(t.addr), port: t.port, ...(t.bindto ? { localAddress: host(t.bindto) } : {}), ...(t.bindPort ? { localPort: t.bindPort } : {}) };
    const servername = s.enableSni ? url.virtualhost ?? s.virtualhost : undefined;
    // Like keepalived, SSL_GET does not verify the real server's certificate (no CA configured).
    const sock: Socket = s.tls
      ? tlsConnect({ ...common, rejectUnauthorized: false, ...(servername ? { servername } : {}) })
      : tcpConnect(common);
    const chunks: Buffer[] = [];
    sock.once(s.tls ? 'secureConnect' : 'connect', () => sock.write(httpRequest(t, s, url)));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('end', () => {
      sock.destroy();
      resolve(Buffer.concat(chunks));
    });
    sock.once('error', (e) => {
      sock.destroy();
      reject(e);
    });
    signal.addEventListener('abort', () => sock.destroy(), { once: true });
  });
}

export function httpProbe(s: HttpSettings): Probe {
  return (t, signal) => withDeadline(t.timeoutMs, signal, async (sig) => {
    let last = down('no url');
    for (const url of s.urls) {
      try {
        last = judgeResponse(await fetchOnce(t, s, url, sig), url);
      } catch (e) {
        return down(`url ${url.path}: ${errorReason(e)}`);
      }
      if (!last.ok) return last;
    }
    return last;
  });
}

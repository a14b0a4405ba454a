// New connections per second with real HTTP: one nginx answering on every server address in the
// server namespace, and wrk in the generator namespace opening a new connection per request.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitListening } from './forwarders.js';
import { type BenchTopology, GEN_CPU, SERVERS, TCP_PORT, VIP } from './topology.js';

/** One nginx worker on the client side's CPU: the servers, like the clients, are not measured. */
export async function startNginx(topo: BenchTopology): Promise<void> {
  const d = join(topo.dir, 'nginx');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  server {
${SERVERS.map((s) => `    listen ${s}:${TCP_PORT} backlog=4096;`).join('\n')}
    location / { return 200 "ok $server_addr\\n"; }
  }
}
`);
  const s = topo.start(topo.ns.srv, [GEN_CPU], 'nginx', ['-p', d, '-e', `${d}/error.log`, '-c', join(d, 'nginx.conf')]);
  await waitListening(topo, topo.ns.srv, s);
}

export interface WrkResult { requests: number; seconds: number; perSec: number; errors: string | null }

/** wrk, one thread, `connections` in flight, `Connection: close`: every request a new TCP connection. */
export async function runWrk(topo: BenchTopology, seconds: number, connections = 32): Promise<WrkResult> {
  const s = topo.start(topo.ns.gen, [GEN_CPU], 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-H', 'Connection: close', `http://${VIP}/`], 'pipe');
  let out = '';
  s.child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const code = await new Promise<number | null>((r) => s.child.once('close', (c) => r(c)));
  if (code !== 0) throw new Error(`wrk failed (${code}): ${s.err()}${out}`);
  return parseWrk(out);
}

/** wrk's summary: "N requests in Xs, ...", "Requests/sec: R", and its error lines if any. */
export function parseWrk(out: string): WrkResult {
  const m = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  const r = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m || !r) throw new Error(`cannot read wrk's output:\n${out}`);
  const errs = out.split('\n').filter((l) => /Socket errors|Non-2xx/.test(l)).map((l) => l.trim());
  return { requests: Number(m[1]), seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1), perSec: Number(r[1]), errors: errs.length ? errs.join('; ') : null };
}

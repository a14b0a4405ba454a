// The control socket: a unix stream socket (mode 0600, so only its owner — root for the real
// daemon — may connect) speaking JSON lines. One request per line, one response line each.

import { mkdirSync, unlinkSync, existsSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { TsvsError } from '../errors.js';

/** A command line as argv (program name first), or a whole script applied atomically. */
export type ControlRequest =
  | { readonly id: number | string; readonly argv: readonly string[] }
  | { readonly id: number | string; readonly batch: string };

export interface ControlResponse {
  readonly id: number | string | null;
  readonly ok: boolean;
  readonly output?: string;
  readonly error?: string;
}

export type ControlHandler = (req: ControlRequest) => Promise<ControlResponse>;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

function parseRequest(line: string): ControlRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'request is not JSON: send one {"id", "argv": [...]} or {"id", "batch": "..."} per line';
  }
  if (typeof v !== 'object' || v === null) return 'request must be a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'number' && typeof r.id !== 'string') return 'request needs an id (number or string)';
  if (Array.isArray(r.argv) && r.argv.every((w) => typeof w === 'string')) return { id: r.id, argv: r.argv as string[] };
  if (typeof r.batch === 'string') return { id: r.id, batch: r.batch };
  return 'request needs argv (array of strings) or batch (string)';
}

/** Refuses to take over a socket another daemon answers on; removes a stale one. */
async function clearStale(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (live) throw new TsvsError('TSVS_ERR_CONFIG', `another daemon is listening on ${path}`);
  unlinkSync(path);
}

export async function listenControl(path: string, handle: ControlHandler): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await clearStale(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const lines = createInterface({ input: sock, crlfDelay: Infinity });
    // readline re-emits the socket's errors: a client that vanishes must not take the daemon down.
    lines.on('error', () => sock.destroy());
    // Requests on one connection are answered in order: the next waits for the previous.
    let chain = Promise.resolve();
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      chain = chain.then(async () => {
        const req = parseRequest(line);
        const res: ControlResponse = typeof req === 'string' ? { id: null, ok: false, error: req } : await handle(req);
        if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
      });
    });
  });
  // The socket file is created by listen(): a umask makes it 0600 from birth, with no window in
  // which another user could connect.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  return {
    path,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      try { unlinkSync(path); } catch { /* already gone */ }
    },
  };
}

/** Sends one request and resolves with its response (the client side of the protocol). */
export function controlRequest(path: string, req: ControlRequest): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const lines = createInterface({ input: sock, crlfDelay: Infinity });
    // readline re-emits the socket's errors; one listener (on the interface) reports them.
    lines.once('error', (e) => reject(new TsvsError('TSVS_ERR_CONFIG', `cannot reach the tsvs daemon at ${path}: ${e.message}`)));
    sock.once('connect', () => sock.write(JSON.stringify(req) + '\n'));
    lines.once('line', (line) => {
      sock.end();
      try {
        resolve(JSON.parse(line) as ControlResponse);
      } catch {
        reject(new TsvsError('TSVS_ERR_CONFIG', `the daemon answered with something that is not JSON: ${line.slice(0, 200)}`));
      }
    });
    lines.once('close', () => reject(new TsvsError('TSVS_ERR_CONFIG', `the daemon at ${path} closed the connection without answering`)));
  });
}

// The two ways the keepalived process reaches the daemon: its control socket (a JSON-lines batch
// request) and its HTTP API (POST /api/v1/batch). Both are all-or-nothing on the daemon's side.

import { readFileSync } from 'node:fs';
import { TsvsError } from '../errors.js';
import { controlRequest } from '../control/socket.js';
import type { KeepalivedTarget } from './batch.js';
import { type ApiAddressJson, type ApiServiceJson, stateFromApi, stateFromSave } from './daemon-state.js';

let nextId = 1;

/** A refusal by the daemon (a line it would not take), as opposed to not reaching it at all. */
export class RefusedBatchError extends TsvsError {
  constructor(message: string) {
    super('TSVS_ERR_CONFIG', message);
  }
}

/** Batches over the control socket: one `{"batch": ...}` request, applied atomically. */
export function socketTarget(path: string): KeepalivedTarget {
  return {
    async apply(batch) {
      const res = await controlRequest(path, { id: `keepalived-${nextId++}`, batch: batch.join('\n') + '\n' });
      if (!res.ok) throw new RefusedBatchError(`the daemon refused the batch: ${res.error ?? 'no reason given'}`);
    },
    async read() {
      const res = await controlRequest(path, { id: `keepalived-${nextId++}`, argv: ['tsvs', 'save'] });
      if (!res.ok) throw new TsvsError('TSVS_ERR_CONFIG', `the daemon would not list its state: ${res.error ?? 'no reason given'}`);
      return stateFromSave(res.output ?? '');
    },
  };
}

/** Batches over the HTTP API (`api_listen`), with the bearer token of `api_token_file` if given. */
export function apiTarget(baseUrl: string, tokenFile?: string): KeepalivedTarget {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new TsvsError('TSVS_ERR_CONFIG', `cannot read the API token file ${tokenFile}: ${(e as Error).message}`);
    }
  }
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const url = new URL('api/v1/batch', base).toString();
  const auth: Record<string, string> = token !== undefined ? { authorization: `Bearer ${token}` } : {};
  const get = async <T>(path: string): Promise<T> => {
    const u = new URL(path, base).toString();
    let res: Response;
    try {
      res = await fetch(u, { headers: auth });
    } catch (e) {
      throw new TsvsError('TSVS_ERR_CONFIG', `cannot reach the tsvs API at ${u}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new TsvsError('TSVS_ERR_CONFIG', `the tsvs API answered GET ${u} with HTTP ${res.status}: ${await res.text()}`);
    return await res.json() as T;
  };
  return {
    async read() {
      return stateFromApi(await get<ApiServiceJson[]>('api/v1/services'), await get<ApiAddressJson[]>('api/v1/addresses'));
    },
    async apply(batch) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify({ lines: batch }),
        });
      } catch (e) {
        throw new TsvsError('TSVS_ERR_CONFIG', `cannot reach the tsvs API at ${url}: ${(e as Error).message}`);
      }
      if (res.ok) return;
      const text = await res.text();
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch { /* not JSON: keep the text */ }
      throw new RefusedBatchError(`the daemon refused the batch (HTTP ${res.status}): ${msg}`);
    },
  };
}

// /api/v1/links, addresses, routes and neighbours: the tsip (dpip) operations as REST resources.
// Reads come from the current engine and the workers; every change goes through applyOps.

import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../daemon.js';
import { ApiError } from './errors.js';
import { addressesJson, linksJson, routesJson } from './json.js';
import { applyOps } from './ops.js';
import { canonicalIp, pathNumber } from './routes-ipvs.js';
import {
  addrParams, addressBody, linkBody, linkPatch, nameParams, neighBody, neighQuery, routeBody, routeParams, routeQuery,
} from './schemas.js';

interface AddressJson {
  addr: string; plen?: number; dev: string; sapool?: boolean; scope?: string; validLft?: number; preferredLft?: number; broadcast?: string;
}
interface RouteJson { prefix: string; via?: string; dev?: string; src?: string; scope?: string; metric?: number; mtu?: number }

/** `key value` pairs for the fields that are set. */
function pairs(o: object, names: Readonly<Record<string, string>>): string[] {
  const v = o as Record<string, unknown>;
  return Object.entries(names).flatMap(([field, word]) => (v[field] === undefined ? [] : [word, String(v[field])]));
}

export function netRoutes(app: FastifyInstance, daemon: Daemon): void {
  const apply = (words: string[]): Promise<void> => applyOps(daemon, [{ path: '', words: ['tsip', ...words] }]);

  // ---- links (tsvs ports) ----
  app.get('/api/v1/links', { schema: { tags: ['links'], summary: 'Ports with their counters summed over the workers (tsip -s link show)' } },
    async () => linksJson(daemon.current, daemon.totals()));
  app.post<{ Body: { name: string; mac: string; mtu?: number } }>('/api/v1/links', {
    schema: { tags: ['links'], summary: 'Add a port (tsip link add; the memory driver only: afpacket ports come from tsvs.conf)', body: linkBody },
  }, async (req, reply) => {
    await apply(['link', 'add', req.body.name, 'lladdr', req.body.mac, ...pairs(req.body, { mtu: 'mtu' })]);
    return reply.code(201).send(linksJson(daemon.current, daemon.totals()).find((l) => l.name === req.body.name));
  });
  app.patch<{ Params: { name: string }; Body: { mac?: string; mtu?: number; up?: boolean } }>('/api/v1/links/:name', {
    schema: { tags: ['links'], summary: 'Change a port\'s MTU, MAC or state (tsip link set)', params: nameParams, body: linkPatch },
  }, async (req) => {
    const b = req.body;
    await apply(['link', 'set', req.params.name, ...pairs(b, { mtu: 'mtu', mac: 'lladdr' }), ...(b.up === undefined ? [] : [b.up ? 'up' : 'down'])]);
    return linksJson(daemon.current, daemon.totals()).find((l) => l.name === req.params.name);
  });

  // ---- addresses ----
  app.get('/api/v1/addresses', { schema: { tags: ['addresses'], summary: 'Interface addresses (tsip addr show)' } }, async () => addressesJson(daemon.current));
  app.post<{ Body: AddressJson }>('/api/v1/addresses', {
    schema: { tags: ['addresses'], summary: 'Add an address (tsip addr add)', body: addressBody },
  }, async (req, reply) => {
    const b = req.body;
    const addr = canonicalIp(b.addr, 'addr');
    await apply(['addr', 'add', b.plen === undefined ? addr : `${addr}/${b.plen}`, 'dev', b.dev,
      ...pairs(b, { scope: 'scope', broadcast: 'broadcast', validLft: 'valid_lft', preferredLft: 'preferred_lft' }), ...(b.sapool ? ['sapool'] : [])]);
    return reply.code(201).send(addressesJson(daemon.current).find((a) => a.addr === addr));
  });
  app.delete<{ Params: { addr: string } }>('/api/v1/addresses/:addr', {
    schema: { tags: ['addresses'], summary: 'Delete an address (tsip addr del), whatever its device and prefix length', params: addrParams },
  }, async (req, reply) => {
    const addr = canonicalIp(req.params.addr, 'params addr');
    const a = addressesJson(daemon.current).find((x) => x.addr === addr);
    if (!a) throw new ApiError(404, `no address ${addr}`, 'TSVS_ERR_NO_ADDR');
    await apply(['addr', 'del', `${addr}/${a.plen}`, 'dev', a.dev]);
    return reply.code(204).send();
  });

  // ---- routes ----
  app.get('/api/v1/routes', { schema: { tags: ['routes'], summary: 'The routing table (tsip route show)' } }, async () => routesJson(daemon.current));
  app.post<{ Body: RouteJson }>('/api/v1/routes', {
    schema: { tags: ['routes'], summary: 'Add a route (tsip route add)', body: routeBody },
  }, async (req, reply) => {
    const b = req.body;
    const v6 = b.prefix.includes(':');
    await apply([...(v6 ? ['-6'] : []), 'route', 'add', b.prefix, ...pairs(b, { via: 'via', dev: 'dev', src: 'src', scope: 'scope', metric: 'metric', mtu: 'mtu' })]);
    return reply.code(201).send();
  });
  app.delete<{ Params: { prefix: string; plen: string }; Querystring: { dev?: string; metric?: string } }>('/api/v1/routes/:prefix/:plen', {
    schema: { tags: ['routes'], summary: 'Delete a route (tsip route del PREFIX/PLEN [dev DEV] [metric N])', params: routeParams, querystring: routeQuery },
  }, async (req, reply) => {
    const prefix = canonicalIp(req.params.prefix, 'params prefix');
    await apply([...(prefix.includes(':') ? ['-6'] : []), 'route', 'del', `${prefix}/${pathNumber(req.params.plen, 'plen', 128)}`, ...pairs(req.query, { dev: 'dev', metric: 'metric' })]);
    return reply.code(204).send();
  });

  // ---- neighbours ----
  app.get('/api/v1/neighbours', { schema: { tags: ['neighbours'], summary: 'Each worker\'s neighbour table (tsip neigh show); workers learn separately' } },
    async () => (await daemon.neighbours()).map(({ worker, neigh }) => ({ worker, ...neigh })));
  app.post<{ Body: { addr: string; mac: string; dev: string } }>('/api/v1/neighbours', {
    schema: { tags: ['neighbours'], summary: 'Add a static neighbour (tsip neigh add)', body: neighBody },
  }, async (req, reply) => {
    await apply(['neigh', 'add', canonicalIp(req.body.addr, 'addr'), 'lladdr', req.body.mac, 'dev', req.body.dev]);
    return reply.code(201).send();
  });
  app.delete<{ Params: { addr: string }; Querystring: { dev: string } }>('/api/v1/neighbours/:addr', {
    schema: { tags: ['neighbours'], summary: 'Delete a static neighbour (tsip neigh del ADDR dev DEV)', params: addrParams, querystring: neighQuery },
  }, async (req, reply) => {
    await apply(['neigh', 'del', canonicalIp(req.params.addr, 'params addr'), 'dev', req.query.dev]);
    return reply.code(204).send();
  });
}

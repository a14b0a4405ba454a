// /api/v1/services and what hangs under a service (dests, laddrs): the tsvsadm operations as REST
// resources. Reads come from the daemon's views; every change goes through applyOps.

import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../daemon.js';
import { serviceKeyText } from '../service-key.js';
import { formatIp, parseIp } from '../../packet/inet.js';
import { ApiError } from './errors.js';
import { serviceJson } from './json.js';
import {
  type ApiOp, type DestOptionsJson, type ServiceId, type ServiceIdJson, type ServiceOptionsJson, applyOps, destOptionArgs, hostPort,
  serviceAf, serviceArgs, serviceOptionArgs,
} from './ops.js';
import {
  destBody, destParams, destPatch, fwmDestParams, fwmLaddrParams, fwmParams, laddrBody, laddrParams, serviceBody, serviceParams, servicePatch,
} from './schemas.js';

/** A service's path parameters: /services/tcp/ADDR/PORT, or /services/fwm/MARK/ipv4|ipv6. */
type ServiceParams = { proto: 'tcp' | 'udp'; addr: string; port: string } | { fwmark: string; family: 'ipv4' | 'ipv6' };
interface DestJson extends DestOptionsJson { addr: string; port?: number }
interface LaddrJson { addr: string; dev: string }
interface ServiceJson extends ServiceOptionsJson, ServiceIdJson { dests?: DestJson[]; laddrs?: LaddrJson[] }

/** An address from a path or a body, in its canonical text (so `2001:db8:0::1` finds `2001:db8::1`). */
export function canonicalIp(s: string, field: string): string {
  const a = parseIp(s);
  if (!a) throw new ApiError(400, `${field}: '${s}' is not an IPv4 or IPv6 address`, 'TSVS_ERR_INVALID_ARG');
  return formatIp(a);
}

/** A path's digits as a number no larger than `max` (the schema checked they are digits). */
export function pathNumber(v: string, field: string, max: number): number {
  const n = Number(v);
  if (n > max) throw new ApiError(400, `params ${field}: must be an integer 0..${max}`, 'TSVS_ERR_INVALID_ARG');
  return n;
}

export function serviceId(p: ServiceParams): ServiceId {
  if ('fwmark' in p) return { fwmark: fwmarkNumber(pathNumber(p.fwmark, 'fwmark', 0xffffffff), 'params fwmark'), af: p.family === 'ipv6' ? 6 : 4 };
  return { proto: p.proto, addr: canonicalIp(p.addr, 'params addr'), port: pathNumber(p.port, 'port', 65535) };
}

function fwmarkNumber(n: number, field: string): number {
  if (n < 1) throw new ApiError(400, `${field}: must be an integer 1..4294967295`, 'TSVS_ERR_INVALID_ARG');
  return n;
}

/** A body's service: `fwmark` (with `af`), or all of `proto`, `addr` and `port`, never both. */
export function bodyServiceId(b: ServiceIdJson, field: string): ServiceId {
  const at = field === '' ? '' : `${field}.`;
  if (b.fwmark !== undefined) {
    if (b.proto !== undefined || b.addr !== undefined || b.port !== undefined) {
      throw new ApiError(400, `${at}fwmark: a fwmark service has no proto, addr or port`, 'TSVS_ERR_INVALID_ARG');
    }
    return { fwmark: b.fwmark, af: b.af ?? 4 };
  }
  if (b.af !== undefined) throw new ApiError(400, `${at}af: only for a fwmark service (the address gives the family)`, 'TSVS_ERR_INVALID_ARG');
  // As the schema would say it, had it required them (it cannot: a fwmark service has none).
  if (b.proto === undefined) throw new ApiError(400, `${at}proto: required`, 'TSVS_ERR_INVALID_ARG');
  if (b.addr === undefined) throw new ApiError(400, `${at}addr: required`, 'TSVS_ERR_INVALID_ARG');
  if (b.port === undefined) throw new ApiError(400, `${at}port: required`, 'TSVS_ERR_INVALID_ARG');
  return { proto: b.proto, addr: canonicalIp(b.addr, `${at}addr`), port: b.port };
}

/** The key the views list the service under (`tcp 10.0.0.1:80`, `fwm 1 ipv6`). */
const idKey = (id: ServiceId): string => serviceKeyText(id.fwmark !== undefined ? id : { ...id, addr: parseIp(id.addr)! });

const TSVSADM = 'tsvsadm';

/** -r's argument: a bare address takes the service's port (ipvsadm's rule). */
const realServer = (d: { addr: string; port?: number }): string =>
  d.port === undefined ? (d.addr.includes(':') ? `[${d.addr}]` : d.addr) : hostPort(d.addr, d.port);

async function findService(daemon: Daemon, id: ServiceId) {
  const key = idKey(id);
  const s = (await daemon.services()).find((v) => v.key === key);
  if (!s) throw new ApiError(404, `no service ${key}`, 'TSVS_ERR_NO_SERVICE');
  return s;
}

export function ipvsRoutes(app: FastifyInstance, daemon: Daemon): void {
  const tags = ['services'];
  app.get('/api/v1/services', { schema: { tags, summary: 'Every virtual service with its dests, local addresses, stats and rates (tsvsadm -L)' } },
    async () => (await daemon.services()).map(serviceJson));

  app.post<{ Body: ServiceJson }>('/api/v1/services', {
    schema: { tags, summary: 'Create a service, optionally with its dests and laddrs, as one atomic change (tsvsadm -A, -a, -P)', body: serviceBody },
  }, async (req, reply) => {
    const b = req.body;
    const id = bodyServiceId(b, '');
    const svc = serviceArgs(id);
    const ops: ApiOp[] = [
      { path: '', words: [TSVSADM, '-A', ...svc, ...serviceOptionArgs(serviceAf(id), b)] },
      ...(b.dests ?? []).map((d, i) => ({ path: `dests[${i}]`, words: [TSVSADM, '-a', ...svc, '-r', realServer(d), ...destOptionArgs(d)] })),
      ...(b.laddrs ?? []).map((l, i) => ({ path: `laddrs[${i}]`, words: [TSVSADM, '-P', ...svc, '-z', l.addr, '-F', l.dev] })),
    ];
    await applyOps(daemon, ops);
    return reply.code(201).send(serviceJson(await findService(daemon, id)));
  });

  app.delete('/api/v1/services', { schema: { tags, summary: 'Delete every service (tsvsadm -C)' } }, async (_req, reply) => {
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-C'] }]);
    return reply.code(204).send();
  });

  serviceRoutes(app, daemon, '/api/v1/services/:proto/:addr/:port', { service: serviceParams, dest: destParams, laddr: laddrParams });
  serviceRoutes(app, daemon, '/api/v1/services/fwm/:fwmark/:family', { service: fwmParams, dest: fwmDestParams, laddr: fwmLaddrParams });
}

type DestParams = ServiceParams & { raddr: string; rport: string };

/** Everything under one service, for either path shape (an address service or a fwmark service). */
function serviceRoutes(app: FastifyInstance, daemon: Daemon, one: string, p: { service: object; dest: object; laddr: object }): void {
  const tags = ['services'];
  app.get<{ Params: ServiceParams }>(one, { schema: { tags, summary: 'One service', params: p.service } },
    async (req) => serviceJson(await findService(daemon, serviceId(req.params))));

  app.patch<{ Params: ServiceParams; Body: ServiceOptionsJson }>(one, {
    schema: { tags, summary: 'Change a service\'s options; fields left out keep their value (tsvsadm -E)', params: p.service, body: servicePatch },
  }, async (req) => {
    const id = serviceId(req.params);
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-E', ...serviceArgs(id), ...serviceOptionArgs(serviceAf(id), req.body)] }]);
    return serviceJson(await findService(daemon, id));
  });

  app.delete<{ Params: ServiceParams }>(one, { schema: { tags, summary: 'Delete a service (tsvsadm -D)', params: p.service } }, async (req, reply) => {
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-D', ...serviceArgs(serviceId(req.params))] }]);
    return reply.code(204).send();
  });

  // ---- dests ----
  app.get<{ Params: ServiceParams }>(`${one}/dests`, { schema: { tags, summary: 'A service\'s real servers', params: p.service } },
    async (req) => serviceJson(await findService(daemon, serviceId(req.params))).dests);

  app.post<{ Params: ServiceParams; Body: DestJson }>(`${one}/dests`, {
    schema: { tags, summary: 'Add a real server (tsvsadm -a)', params: p.service, body: destBody },
  }, async (req, reply) => {
    const id = serviceId(req.params);
    const d = { ...req.body, addr: canonicalIp(req.body.addr, 'addr') };
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-a', ...serviceArgs(id), '-r', realServer(d), ...destOptionArgs(d)] }]);
    // DR and tunnel dests take the service's port whatever was written: find the one just added.
    const dests = serviceJson(await findService(daemon, id)).dests.filter((x) => x.addr === d.addr);
    return reply.code(201).send(dests.find((x) => x.port === (d.port ?? (id.fwmark === undefined ? id.port : 0))) ?? dests[0]);
  });

  const destOne = `${one}/dests/:raddr/:rport`;
  const destWords = (cmd: string, p: DestParams): string[] => [TSVSADM, cmd, ...serviceArgs(serviceId(p)), '-r', hostPort(canonicalIp(p.raddr, 'params raddr'), pathNumber(p.rport, 'rport', 65535))];

  app.patch<{ Params: DestParams; Body: DestOptionsJson }>(destOne, {
    schema: { tags, summary: 'Change a real server (tsvsadm -e): weight 0 drains it', params: p.dest, body: destPatch },
  }, async (req) => {
    await applyOps(daemon, [{ path: '', words: [...destWords('-e', req.params), ...destOptionArgs(req.body)] }]);
    const addr = canonicalIp(req.params.raddr, 'params raddr');
    return serviceJson(await findService(daemon, serviceId(req.params))).dests.find((x) => x.addr === addr && x.port === Number(req.params.rport));
  });

  app.delete<{ Params: DestParams }>(destOne, { schema: { tags, summary: 'Remove a real server (tsvsadm -d)', params: p.dest } }, async (req, reply) => {
    await applyOps(daemon, [{ path: '', words: destWords('-d', req.params) }]);
    return reply.code(204).send();
  });

  // ---- laddrs (FullNAT local addresses) ----
  app.get<{ Params: ServiceParams }>(`${one}/laddrs`, { schema: { tags, summary: 'A service\'s local addresses (tsvsadm -G)', params: p.service } },
    async (req) => serviceJson(await findService(daemon, serviceId(req.params))).laddrs);

  app.post<{ Params: ServiceParams; Body: LaddrJson }>(`${one}/laddrs`, {
    schema: { tags, summary: 'Add a local address (tsvsadm -P)', params: p.service, body: laddrBody },
  }, async (req, reply) => {
    const id = serviceId(req.params);
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-P', ...serviceArgs(id), '-z', req.body.addr, '-F', req.body.dev] }]);
    const addr = canonicalIp(req.body.addr, 'addr');
    return reply.code(201).send(serviceJson(await findService(daemon, id)).laddrs.find((l) => l.addr === addr));
  });

  app.delete<{ Params: ServiceParams & { laddr: string } }>(`${one}/laddrs/:laddr`, {
    schema: { tags, summary: 'Remove a local address (tsvsadm -Q)', params: p.laddr },
  }, async (req, reply) => {
    const id = serviceId(req.params);
    const addr = canonicalIp(req.params.laddr, 'params laddr');
    const l = serviceJson(await findService(daemon, id)).laddrs.find((x) => x.addr === addr);
    if (!l) throw new ApiError(404, `service ${idKey(id)} has no local address ${addr}`, 'TSVS_ERR_NO_LADDR');
    await applyOps(daemon, [{ path: '', words: [TSVSADM, '-Q', ...serviceArgs(id), '-z', addr, '-F', l.dev] }]);
    return reply.code(204).send();
  });
}

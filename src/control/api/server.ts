// The daemon's HTTP server (fastify, in the main thread): the REST API under /api/v1, its OpenAPI
// document, and /metrics. Authentication, error answers and request logs are decided here.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Daemon } from '../daemon.js';
import type { Logger } from '../log.js';
import { DaemonMetrics } from '../metrics.js';
import { ApiError, type ErrorBody, validationMessage } from './errors.js';
import { ipvsRoutes } from './routes-ipvs.js';
import { miscRoutes } from './routes-misc.js';
import { netRoutes } from './routes-net.js';

export interface ApiOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly log: Logger;
}

/** tsvs's version, from the package it runs from (dist/src/control/api -> the package root). */
export const TSVS_VERSION: string = (() => {
  for (const up of ['../../../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string }).version;
    } catch { /* try the next layout */ }
  }
  return 'unknown';
})();

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Builds the server with every route, ready for inject() or listen(). */
export async function buildApi(daemon: Daemon, o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Strict bodies: no type coercion, no silent removal of unknown fields, the failing schema
    // at hand (verbose) so a range error can say "0..65535".
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true } },
    schemaErrorFormatter: (errors, part) => new ApiError(400, validationMessage(errors, part), 'TSVS_ERR_INVALID_ARG'),
    bodyLimit: 4 << 20,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tsvs daemon API', version: TSVS_VERSION,
        description: 'Every tsvsadm and tsip operation as REST. A change is validated and applied atomically: '
          + 'a request that fails anywhere changes nothing, and the error names the field or line.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(o.token === undefined ? {} : { security: [{ bearer: [] }] }),
    },
  });

  if (o.token !== undefined) {
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on the first byte.
    const expected = sha256(o.token);
    app.addHook('onRequest', async (req) => {
      const m = /^Bearer +(\S+) *$/.exec(req.headers.authorization ?? '');
      if (!m) throw new ApiError(401, 'authentication required: send Authorization: Bearer <token> (tsvs.conf api_token_file)');
      if (!timingSafeEqual(sha256(m[1]!), expected)) throw new ApiError(401, 'wrong bearer token');
    });
  }

  app.setErrorHandler((e: FastifyError | ApiError, req, reply) => {
    let status: number;
    let body: ErrorBody;
    if (e instanceof ApiError) {
      status = e.status;
      body = { error: e.message, ...(e.code ? { code: e.code } : {}) };
    } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own: malformed JSON, wrong content type, body too large.
      status = e.statusCode;
      body = { error: e.message, code: e.code };
    } else {
      status = 500;
      body = { error: `internal error: ${e.message}` };
      o.log({ level: 'error', event: 'api_internal_error', method: req.method, url: req.url, error: e.message, stack: e.stack });
    }
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]} (the API is described at /openapi.json)` } satisfies ErrorBody));

  // One line per request that changes something (info) or fails (warn); reads are debug.
  app.addHook('onResponse', async (req, reply) => {
    const failed = reply.statusCode >= 400;
    const level = failed ? 'warn' : req.method === 'GET' ? 'debug' : 'info';
    o.log({ level, event: 'api_request', method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });

  ipvsRoutes(app, daemon);
  netRoutes(app, daemon);
  miscRoutes(app, daemon);

  const metrics = new DaemonMetrics(daemon, { version: TSVS_VERSION, connCapacity: daemon.connCapacity });
  app.get('/metrics', { schema: { tags: ['metrics'], summary: 'Prometheus metrics (text exposition format)' } }, async (_req, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.contentType).send(text);
  });
  app.get('/openapi.json', { schema: { tags: ['meta'], summary: 'This document' } }, async () => app.swagger());
  await app.ready();
  return app;
}

export interface ApiServer {
  /** The bound address (port 0 in tsvs.conf picks a free one). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenApi(daemon: Daemon, listen: { host: string; port: number }, o: ApiOptions): Promise<ApiServer> {
  const app = await buildApi(daemon, o);
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    await app.close();
    throw e;
  }
  const a = app.server.address();
  const port = typeof a === 'object' && a !== null ? a.port : listen.port;
  return { host: listen.host, port, close: () => app.close() };
}

// /api/v1/connections (paged), stats, zero, timeouts, settings and batch: the tsvsadm -c / --stats
// / -Z / --set / -R operations and `tsvs set`, plus a batch of CLI lines applied all or nothing.

import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../daemon.js';
import { parseScript } from '../script.js';
import { ScriptError, TsvsError } from '../../errors.js';
import { TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, UDP_S_NORMAL } from '../../ipvs/proto.js';
import { ApiError, statusOf } from './errors.js';
import { linksJson, workerJson } from './json.js';
import { type ServiceIdJson, applyOps, serviceArgs } from './ops.js';
import { bodyServiceId } from './routes-ipvs.js';
import { batchBody, connQuery, settingBody, timeoutsBody, zeroBody } from './schemas.js';

const MAX_PAGE = 10000;
const DEFAULT_PAGE = 1000;

export function miscRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/api/v1/connections', {
    schema: {
      tags: ['connections'], querystring: connQuery,
      summary: 'The connection tables of every worker, a page at a time (tsvsadm -Lnc); follow next as cursor until it is null',
    },
  }, async (req) => {
    const limit = req.query.limit === undefined ? DEFAULT_PAGE : Number(req.query.limit);
    if (limit < 1 || limit > MAX_PAGE) throw new ApiError(400, `query limit: must be an integer 1..${MAX_PAGE}`);
    let from = { worker: 0, slot: 0 };
    if (req.query.cursor !== undefined) {
      const [w, s] = req.query.cursor.split('.').map(Number) as [number, number];
      if (w >= daemon.pool.size) throw new ApiError(400, `query cursor: worker ${w} does not exist (the daemon has ${daemon.pool.size})`);
      from = { worker: w, slot: s };
    }
    const page = await daemon.connections(limit, from);
    return {
      connections: page.rows.map(({ worker, conn }) => ({ worker, ...conn })),
      next: page.next && `${page.next.worker}.${page.next.slot}`,
    };
  });

  app.get('/api/v1/stats', {
    schema: { tags: ['stats'], summary: 'Counters and rates of services and dests (tsvsadm -L --stats --rate), ports, and each worker with drops by reason' },
  }, async () => {
    const services = await daemon.services();
    const state = daemon.current;
    return {
      services: services.map((s) => ({
        key: s.key, stats: s.stats, rate: s.rate, dests: s.dests.map((d) => ({ key: d.key, stats: d.stats, rate: d.rate, activeConns: d.activeConns, inactConns: d.inactConns })),
      })),
      links: linksJson(state, daemon.totals()).map((l) => ({ name: l.name, stats: l.stats })),
      workers: Array.from({ length: daemon.pool.size }, (_, i) => workerJson(state, i, daemon.pool.counters(i), daemon.pool.restarts(i))),
    };
  });

  app.post<{ Body: { service?: ServiceIdJson } }>('/api/v1/stats/zero', {
    schema: { tags: ['stats'], summary: 'Zero the IPVS counters of one service or all (tsvsadm -Z)', body: zeroBody },
  }, async (req, reply) => {
    const s = req.body.service;
    await applyOps(daemon, [{ path: '', words: ['tsvsadm', '-Z', ...(s ? serviceArgs(bodyServiceId(s, 'service')) : [])] }]);
    return reply.code(204).send();
  });

  app.get('/api/v1/timeouts', { schema: { tags: ['settings'], summary: 'Connection timeouts in seconds (tsvsadm -L --timeout)' } }, async () => {
    const st = daemon.current.ipvs.settings;
    return { tcp: st.tcpTimeouts[TCP_S_ESTABLISHED], tcpfin: st.tcpTimeouts[TCP_S_FIN_WAIT], udp: st.udpTimeouts[UDP_S_NORMAL] };
  });

  app.put<{ Body: { tcp: number; tcpfin: number; udp: number } }>('/api/v1/timeouts', {
    schema: { tags: ['settings'], summary: 'Connection timeouts (tsvsadm --set tcp tcpfin udp)', body: timeoutsBody },
  }, async (req, reply) => {
    const b = req.body;
    await applyOps(daemon, [{ path: '', words: ['tsvsadm', '--set', String(b.tcp), String(b.tcpfin), String(b.udp)] }]);
    return reply.code(204).send();
  });

  app.post<{ Body: { key: string; value: number } }>('/api/v1/settings', {
    schema: { tags: ['settings'], summary: 'A runtime setting (tsvs set KEY VALUE)', body: settingBody },
  }, async (req, reply) => {
    await applyOps(daemon, [{ path: '', words: ['tsvs', 'set', req.body.key, String(req.body.value)] }]);
    return reply.code(204).send();
  });

  app.post<{ Body: { lines?: string[]; script?: string } }>('/api/v1/batch', {
    schema: {
      tags: ['batch'], body: batchBody,
      summary: 'Command lines (tsvsadm, tsip, tsvs; ipvsadm-save lines with tsvsadm in front) applied as one atomic change: any bad line changes nothing and the error names it',
    },
  }, async (req) => {
    const { lines, script } = req.body;
    const bad = lines?.findIndex((l) => /[\r\n]/.test(l)) ?? -1;
    if (bad >= 0) throw new ApiError(400, `lines[${bad}]: one command per line (no newline inside); send a text as script`);
    try {
      const batch = parseScript(script ?? lines!.join('\n'));
      if (batch.length === 0) throw new ApiError(400, 'the batch has no command (only blank lines or comments)');
      await daemon.applyBatch(batch);
      return { applied: batch.length };
    } catch (e) {
      if (e instanceof ScriptError) throw new ApiError(statusOf(e.code), e.message, e.code);
      if (e instanceof TsvsError) throw new ApiError(statusOf(e.code), e.message, e.code);
      throw e;
    }
  });
}

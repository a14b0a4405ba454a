// The daemon's control plane: holds the current configuration, validates each batch on a shadow
// engine before any worker sees it, broadcasts it, and answers the control socket. No frames here.

import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { applyCommand } from './apply.js';
import type { Command } from './commands.js';
import type { DaemonConfig } from './config-file.js';
import { type Logger, levelFilter, stderrLogger } from './log.js';
import { type ApiServer, listenApi } from './api/server.js';
import { type ScriptCommand, parseScript } from './script.js';
import { type ControlRequest, type ControlResponse, type ControlServer, listenControl } from './socket.js';
import { type Totals, WorkerPool } from './workers.js';
import { RateEstimator } from './rates.js';
import { serviceKeyText } from './service-key.js';
import { type ServiceView, serviceViews, sumCounts } from './views.js';
import { type ShowSource, isReadOnly, show } from './show/index.js';
import type { ConnPage, ConnRow, CountsAnswer, NeighRow } from '../worker/query.js';
import { programOf, parseProgramArgs } from '../cli/parse/program.js';
import { MEMORY_DRIVER, MemoryRingHost } from '../drivers/memory-rings.js';
import { AfPacketHost } from '../drivers/afpacket-host.js';
import { AFPACKET_DRIVER } from '../drivers/afpacket-port-driver.js';
import { ScriptError, TsvsError } from '../errors.js';
import { formatMac } from '../packet/inet.js';
import { Engine } from '../worker/engine.js';
import { ownedAddrs } from '../worker/owned.js';
import { type DriverHost, type OwnedAddrs, sameOwnedAddrs } from '../drivers/driver.js';

export interface DaemonOptions {
  readonly config: DaemonConfig;
  /** Overrides the driver the config names (tests pass their own memory host to reach its rings). */
  readonly driver?: DriverHost;
  readonly log?: Logger;
  /** Enables test-only hooks in the workers (WorkerPool.crash). */
  readonly testHooks?: boolean;
  /** Pins the LIP port-ring seed (0: every ring from port 1025), for tests comparing exact listings. */
  readonly lportSeed?: number;
}

/** The shadow engine's sink: it never sees traffic, so nothing is ever sent. */
const NULL_SINK = { transmit(): void {}, toKernel(): void {} };
/** Shadow engines carry configuration only: a small connection table is enough. */
const SHADOW_CONNS = 1024;

/** Logged when a fwmark service is created (docs/cli-syntax.md). */
export const FWMARK_WARNING = 'fwmark services match no traffic: tsvs frames carry no firewall mark (as in DPVS)';

export function createDriver(cfg: DaemonConfig): DriverHost {
  if (cfg.driver === MEMORY_DRIVER) return new MemoryRingHost(cfg.workers, { slots: cfg.ring.frames, frameSize: cfg.ring.frameSize });
  if (cfg.driver === AFPACKET_DRIVER) return new AfPacketHost(cfg.workers, cfg.ports, cfg.ring, cfg.socket);
  throw new TsvsError('TSVS_ERR_CONFIG', `driver '${cfg.driver}' is not available (available: ${MEMORY_DRIVER}, ${AFPACKET_DRIVER})`);
}

/** `tsip link add` lines for the ports tsvs.conf declares, so scripts can say `dev dpdk0`. */
function portScript(cfg: DaemonConfig, driver: DriverHost): string {
  // afpacket read each interface's MAC and MTU; the memory driver has no interface to read.
  const resolved = driver instanceof AfPacketHost ? driver.ports : null;
  return cfg.ports.map((p, i) => {
    const mac = resolved?.[i]?.mac ?? p.mac ?? new Uint8Array([0x02, 0x75, 0x73, 0x76, 0x73, i]);
    const mtu = resolved?.[i]?.mtu ?? p.mtu ?? 1500;
    return `tsip link add ${p.name} lladdr ${formatMac(mac)} mtu ${mtu}\n`;
  }).join('');
}

export class Daemon {
  readonly pool: WorkerPool;
  readonly driver: DriverHost;
  /** Every command applied so far, in order: a restarted worker and each shadow start from it. */
  private history: Command[] = [];
  private version = 0;
  /** The configuration as applied: what listings read. Replaced whole by each batch's shadow. */
  private state: Engine;
  /** Batches are applied one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private server: ControlServer | null = null;
  private api: ApiServer | null = null;
  readonly rates: RateEstimator;
  private readonly log: Logger;
  private owned: OwnedAddrs = { vips: [], lips: [], local: [] };

  private constructor(private readonly o: DaemonOptions) {
    this.log = levelFilter(o.config.logLevel ?? 'info', o.log ?? stderrLogger);
    this.driver = o.driver ?? createDriver(o.config);
    this.state = this.shadow();
    this.pool = new WorkerPool({
      workers: o.config.workers, driver: this.driver, connCapacity: o.config.connCapacity, log: this.log,
      answerServiceAddrs: o.config.serviceAddrArp ?? true,
      // Drawn per daemon start unless tsvs.conf pins the secret (a VRRP pair sharing LIPs).
      fnat: { seqSecret: o.config.fnatSeqSecret ?? randomInt(1, 2 ** 32) | 0, lportSeed: o.lportSeed ?? randomInt(1, 2 ** 32) | 0 },
      testHooks: o.testHooks ?? false, current: () => ({ version: this.version, commands: this.history }),
    });
    this.rates = new RateEstimator(() => this.pool.totals());
  }

  /** Applies the ports and the startup script, starts the workers, then opens the control socket. */
  static async start(o: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(o);
    try {
      d.commit(d.validate(parseScript(portScript(o.config, d.driver))));
      if (o.config.startupScript !== undefined) d.runStartupScript(o.config.startupScript);
      await d.pool.start();
      try {
        d.server = await listenControl(o.config.socket, (req) => d.handle(req));
        if (o.config.api) d.api = await d.startApi(o.config.api);
      } catch (e) {
        await d.server?.close();
        await d.pool.stop();
        throw e;
      }
    } catch (e) {
      // The driver may have changed the host (afpacket's takeover): give it back.
      d.driver.close();
      throw e;
    }
    d.rates.start();
    d.log({
      level: 'info', event: 'daemon_ready', workers: o.config.workers, driver: d.driver.name, socket: o.config.socket, version: d.version,
      ...(d.api ? { api: `${d.api.host}:${d.api.port}` } : {}),
      ...(d.driver instanceof AfPacketHost ? { nft_table: d.driver.table } : {}),
    });
    return d;
  }

  /** The HTTP API and /metrics; the token file is read once, at start. */
  private async startApi(a: NonNullable<DaemonConfig['api']>): Promise<ApiServer> {
    let token: string | undefined;
    if (a.tokenFile !== undefined) {
      try {
        token = readFileSync(a.tokenFile, 'utf8').trim();
      } catch (e) {
        throw new TsvsError('TSVS_ERR_CONFIG', `cannot read api_token_file ${a.tokenFile}: ${(e as Error).message}`);
      }
      if (token === '') throw new TsvsError('TSVS_ERR_CONFIG', `api_token_file ${a.tokenFile} is empty`);
    }
    try {
      return await listenApi(this, a, { log: this.log, ...(token === undefined ? {} : { token }) });
    } catch (e) {
      throw new TsvsError('TSVS_ERR_CONFIG', `cannot serve the API on ${a.host}:${a.port}: ${(e as Error).message}`);
    }
  }

  /** Where the API listens (null: not configured). */
  get apiAddress(): { host: string; port: number } | null {
    return this.api && { host: this.api.host, port: this.api.port };
  }

  /** Connection slots per worker (tsvs.conf conn_pool_size). */
  get connCapacity(): number {
    return this.o.config.connCapacity;
  }

  private runStartupScript(file: string): void {
    try {
      this.commit(this.validate(parseScript(readFileSync(file, 'utf8'))));
    } catch (e) {
      if (e instanceof TsvsError) throw new TsvsError(e.code, `startup script ${file}: ${e.message}`, { cause: e });
      throw new TsvsError('TSVS_ERR_CONFIG', `cannot read startup script ${file}: ${(e as Error).message}`);
    }
  }

  get socketPath(): string {
    return this.o.config.socket;
  }

  /** A fresh engine with the current configuration: built from the history, never shared. */
  private shadow(): Engine {
    const e = new Engine(NULL_SINK, { now: () => 0 }, { connCapacity: SHADOW_CONNS, worker: 0, workers: this.o.config.workers });
    for (const c of this.history) applyCommand(e, c);
    return e;
  }

  /** Applies the batch to a shadow copy; throws ScriptError naming the first line that fails. */
  private validate(batch: readonly ScriptCommand[]): { engine: Engine; batch: readonly ScriptCommand[] } {
    const engine = this.shadow();
    for (const s of batch) {
      try {
        applyCommand(engine, s.command);
      } catch (e) {
        if (e instanceof TsvsError) throw new ScriptError(s.line, s.source, e);
        throw e;
      }
    }
    const last = batch[batch.length - 1];
    if (this.driver.check && last !== undefined) {
      try {
        this.driver.check(engine.stack.ports.map((p) => p.name), ownedAddrs(engine));
      } catch (e) {
        // The batch as a whole leads there; its last line is where it became so.
        if (e instanceof TsvsError) throw new ScriptError(last.line, last.source, e);
        throw e;
      }
    }
    return { engine, batch };
  }

  /** Makes a validated batch the current configuration; returns its version. */
  private commit(v: { engine: Engine; batch: readonly ScriptCommand[] }): number {
    const owned = ownedAddrs(v.engine);
    if (!sameOwnedAddrs(owned, this.owned)) {
      // First, and it may throw (afpacket: nft failed): the batch is then refused whole.
      this.driver.addressesChanged?.(owned);
      this.owned = owned;
    }
    this.state = v.engine;
    this.history = [...this.history, ...v.batch.map((s) => s.command)];
    for (const s of v.batch) {
      const c = s.command;
      if (c.kind === 'zero') this.pool.zeroRetired(c.svc && serviceKeyText(c.svc));
      // Accepted as DPVS accepts them, but no tsvs frame carries a mark: say so once per service.
      if (c.kind === 'service-add' && c.svc.fwmark !== undefined) {
        this.log({ level: 'warn', event: 'fwmark_service', service: serviceKeyText(c.svc), message: FWMARK_WARNING });
      }
    }
    return ++this.version;
  }

  /** Validates, commits and broadcasts one batch; resolves once every worker has applied it. */
  applyBatch(batch: readonly ScriptCommand[]): Promise<void> {
    const run = async (): Promise<void> => {
      const version = this.commit(this.validate(batch));
      await this.pool.broadcast({ version, commands: batch.map((s) => s.command) });
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async handle(req: ControlRequest): Promise<ControlResponse> {
    try {
      if ('batch' in req) {
        await this.applyBatch(parseScript(req.batch));
        return { id: req.id, ok: true, output: '' };
      }
      return { id: req.id, ok: true, output: await this.runArgv(req.argv) };
    } catch (e) {
      if (e instanceof ScriptError && 'argv' in req && e.cause instanceof TsvsError) return { id: req.id, ok: false, error: e.cause.message };
      if (e instanceof TsvsError) return { id: req.id, ok: false, error: e.message };
      this.log({ level: 'error', event: 'control_internal_error', error: String(e), stack: (e as Error).stack });
      return { id: req.id, ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private async runArgv(argv: readonly string[]): Promise<string> {
    const [first, ...args] = argv;
    const program = first === undefined ? undefined : programOf(first);
    if (program === undefined) throw new TsvsError('TSVS_ERR_SYNTAX', `argv must start with tsip, tsvsadm or tsvs (or dpip, ipvsadm), got '${first ?? ''}'`);
    const command = parseProgramArgs(program, args);
    if (isReadOnly(command)) return show(command, this.showSource());
    if (command.kind === 'restore') {
      throw new TsvsError('TSVS_ERR_INVALID_ARG', 'restore takes its rules as a batch: tsvsadm -R reads them from stdin and sends them whole');
    }
    await this.applyBatch([{ line: 1, source: argv.join(' '), command }]);
    return '';
  }

  /** What the ipvsadm/dpip listings read (show/index.ts). */
  private showSource(): ShowSource {
    return {
      current: this.state, connCapacity: this.o.config.connCapacity * this.o.config.workers, workers: this.pool.size,
      defaults: () => new Engine(NULL_SINK, { now: () => 0 }, { connCapacity: 16 }),
      services: () => this.services(), connections: () => this.connections(), neighbours: () => this.neighbours(),
      totals: () => this.pool.totals(), workerCounters: () => this.pool.workerCounters(),
    };
  }

  /** The configuration as applied (read-only: listings and the API read it, never change it). */
  get current(): Engine {
    return this.state;
  }

  totals(): Totals {
    return this.pool.totals();
  }

  /** Services with dests, LIPs, summed stats, live counts and rates. */
  async services(): Promise<ServiceView[]> {
    const counts = sumCounts(await this.pool.query({ what: 'counts' }) as (CountsAnswer | null)[]);
    return serviceViews(this.state, this.pool.totals(), counts, this.rates.table());
  }

  /**
   * Connections of every worker, worker by worker, at most `limit` in all (the API pages with
   * `from`, a position returned as `next`: worker index and slot).
   */
  async connections(limit = Number.MAX_SAFE_INTEGER, from: { worker: number; slot: number } = { worker: 0, slot: 0 }): Promise<{
    rows: { worker: number; conn: ConnRow }[]; next: { worker: number; slot: number } | null;
  }> {
    const rows: { worker: number; conn: ConnRow }[] = [];
    let w = from.worker, slot = from.slot;
    // Pages bound each worker's answer, so a million connections never travel as one message.
    const PAGE = 4096;
    while (w < this.pool.size) {
      if (rows.length >= limit) return { rows, next: { worker: w, slot } };
      const page = (await this.pool.queryOne(w, { what: 'conns', from: slot, limit: Math.min(PAGE, limit - rows.length) })) as ConnPage | null;
      for (const conn of page?.rows ?? []) rows.push({ worker: w, conn });
      if (page && page.next >= 0) slot = page.next;
      else {
        w++;
        slot = 0;
      }
    }
    return { rows, next: null };
  }

  /** Each worker's neighbour table (they learn separately, as DPVS's per-lcore tables do). */
  async neighbours(): Promise<{ worker: number; neigh: NeighRow }[]> {
    const answers = (await this.pool.query({ what: 'neigh' })) as (NeighRow[] | null)[];
    return answers.flatMap((a, worker) => (a ?? []).map((neigh) => ({ worker, neigh })));
  }

  /** Stops accepting requests, stops the workers, removes the socket. */
  async stop(): Promise<void> {
    this.rates.stop();
    await this.api?.close();
    this.api = null;
    await this.server?.close();
    this.server = null;
    await this.pool.stop();
    this.driver.close();
    this.log({ level: 'info', event: 'daemon_stopped' });
  }
}

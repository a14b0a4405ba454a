// The long-running `tsvs keepalived -f FILE`: holds the configuration, runs the checkers and the
// VRRP seam, and keeps the daemon equal to desiredState() by sending diffBatch() batches through a
// KeepalivedTarget, one at a time, retried with backoff. Each batch is diffed from what the daemon
// holds, read just before. SIGHUP reloads; stop releases.
//
// Never talks to the data plane: everything goes through the daemon's control socket or API,
// as DPVS's keepalived goes through dpvs's ipvsadm socket.

import { setTimeout as sleep } from 'node:timers/promises';
import { TsvsError } from '../errors.js';
import type { Logger } from '../control/log.js';
import { type KeepalivedTarget, diffBatch, sameVip } from './batch.js';
import { type HealthEvent, HealthMonitor, runScriptDetached } from './check/monitor.js';
import { checkerSchedule } from './check/runner.js';
import { adoptedState, configuredVips, describeState } from './daemon-state.js';
import { type DesiredState, type DesiredVip, desiredState, haSuspendAddrs, rsId } from './desired.js';
import { type Diagnostics, formatDiagnostic } from './diagnostics.js';
import { formatRs, formatVs, healthEventMessages } from './messages.js';
import type { KeepalivedConfig } from './model.js';
import { parseKeepalivedFile } from './parser.js';
import { RefusedBatchError } from './target.js';
import { ConfiguredStateVrrp, type VrrpDriver } from './vrrp-driver.js';
import { type IpAddr, ipEquals } from '../packet/inet.js';

export interface KeepalivedProcessOptions {
  readonly file: string;
  readonly target: KeepalivedTarget;
  readonly log: Logger;
  /** VRRP; default: each instance stays in its configured state (ConfiguredStateVrrp). */
  readonly vrrp?: VrrpDriver;
  /** Runs notify scripts (default: detached, as keepalived). */
  readonly runScript?: (command: string) => void;
  readonly random?: () => number;
  /** Wait after a failed apply: `firstMs`, doubling up to `maxMs`. Default 200 ms .. 5 s. */
  readonly retry?: { readonly firstMs: number; readonly maxMs: number };
  /** keepalived -I/--dont-release-ipvs when false: leave the services in the daemon on stop. */
  readonly releaseServices?: boolean;
  /** keepalived -V/--dont-release-vrrp when false: leave the VIPs on stop. */
  readonly releaseVips?: boolean;
  /**
   * How often the daemon's state is read with nothing else happening, so a daemon that restarted
   * (or a service deleted by hand) gets its configuration back without waiting for an event.
   * Default 5000 ms; 0: only before each batch.
   */
  readonly stateCheckMs?: number;
}

const EMPTY: DesiredState = { services: [], vips: [] };

/** Parses FILE; throws a TsvsError listing every error (FILE:LINE) when it cannot be run. */
export function loadKeepalivedConfig(file: string): { config: KeepalivedConfig; diagnostics: Diagnostics } {
  const { config, diagnostics } = parseKeepalivedFile(file);
  if (!config || diagnostics.hasErrors) {
    const errors = diagnostics.list.filter((d) => d.severity === 'error').map(formatDiagnostic);
    throw new TsvsError('TSVS_ERR_CONFIG', errors.length ? errors.join('\n') : `${file}: cannot be used`);
  }
  return { config, diagnostics };
}

export class KeepalivedProcess {
  #config: KeepalivedConfig;
  #monitor: HealthMonitor;
  readonly #vrrp: VrrpDriver;
  /**
   * What the daemon holds of ours: read back before each batch (adoptedState), then the state the
   * batch was accepted for.
   */
  #applied: DesiredState = EMPTY;
  /** Whether the daemon's state has been read once (the first read adopts what it holds). */
  #read = false;
  /** lvs_flush: the first batch starts with `tsvsadm -C` (at start only, as keepalived). */
  #flushPending: boolean;
  #stateCheck: NodeJS.Timeout | undefined;
  /** Every `tsip addr` address the daemon holds (last read, then our accepted VIP changes): ha_suspend reads it. */
  #daemonAddrs: readonly DesiredVip[] = [];
  #dirty = false;
  #loop: Promise<void> | undefined;
  #stopping = false;
  readonly #wake = new AbortController();
  /** Reloads and stop run one after the other. */
  #lifecycle: Promise<unknown> = Promise.resolve();
  #applies = 0;

  constructor(config: KeepalivedConfig, private readonly opts: KeepalivedProcessOptions) {
    this.#config = config;
    this.#flushPending = config.globalDefs.lvsFlush;
    this.#vrrp = opts.vrrp ?? new ConfiguredStateVrrp();
    this.#monitor = this.#newMonitor(config);
  }

  /** Loads `opts.file` and starts: VRRP, the first batch (retried until the daemon takes it), the checkers. */
  static start(opts: KeepalivedProcessOptions): KeepalivedProcess {
    const { config, diagnostics } = loadKeepalivedConfig(opts.file);
    for (const d of diagnostics.list) opts.log({ level: 'warn', event: 'config_warning', message: formatDiagnostic(d) });
    const p = new KeepalivedProcess(config, opts);
    p.#start();
    return p;
  }

  get config(): KeepalivedConfig {
    return this.#config;
  }

  /** The state the daemon last accepted from us. */
  get applied(): DesiredState {
    return this.#applied;
  }

  /** Batches accepted by the daemon so far (tests). */
  get appliedBatches(): number {
    return this.#applies;
  }

  /** Resolves once every change known so far has been applied (or stop() was called). */
  async settled(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  #start(): void {
    const c = this.#config;
    this.opts.log({
      level: 'info', event: 'keepalived_start', file: this.opts.file,
      message: `Starting tsvs keepalived: ${c.virtualServers.length} virtual_server, ${c.vrrpInstances.length} vrrp_instance`,
    });
    // VRRP logs the change itself ({"event":"vrrp_state", "message":"(VI_1) Entering MASTER STATE"}).
    this.#vrrp.start(c, () => {
      this.#kick();
      return this.settled();
    });
    this.#kick();
    this.#monitor.start();
    const every = this.opts.stateCheckMs ?? 5000;
    if (every > 0) {
      this.#stateCheck = setInterval(() => this.#kick(), every);
      this.#stateCheck.unref();
    }
  }

  #newMonitor(config: KeepalivedConfig, initial?: ReturnType<HealthMonitor['health']>): HealthMonitor {
    const m = new HealthMonitor(config, {
      onEvent: (e) => this.#onHealth(config, e),
      ...(this.opts.runScript ? { runScript: this.opts.runScript } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
      ...(initial ? { initial } : {}),
    });
    // ha_suspend: checkers start suspended unless the daemon already holds an address of their
    // virtual server (keepalived's register_checkers_thread: "Deactivating healthchecker").
    for (const vs of config.virtualServers) {
      const addrs = haSuspendAddrs(config, vs);
      if (addrs.length === 0 || this.#holdsAny(addrs)) continue;
      for (const rs of m.setActive(vs, false)) {
        this.opts.log({ level: 'info', event: 'checker_suspended', message: `Deactivating healthchecker for service ${formatRs(config, vs, rs)} for VS ${formatVs(vs)}` });
      }
    }
    return m;
  }

  #onHealth(config: KeepalivedConfig, e: HealthEvent): void {
    // A stopped monitor's last word (a probe in flight at reload) must not touch the new config.
    if (config !== this.#config || this.#stopping) return;
    const retryOf = (vs: Parameters<typeof checkerSchedule>[0], rs: Parameters<typeof checkerSchedule>[1], checker: string): number => {
      const i = Number(checker.split('#')[1] ?? '1') - 1;
      const c = rs.checkers[i];
      return c ? checkerSchedule(vs, rs, c).retry : 0;
    };
    for (const message of healthEventMessages(config, e, retryOf)) {
      this.opts.log({ level: 'info', event: e.type, message, vs: e.vs, ...('rs' in e ? { rs: e.rs } : {}), ...('reason' in e ? { reason: e.reason } : {}) });
    }
    this.#kick();
  }

  #desired(): DesiredState {
    return desiredState(this.#config, this.#monitor.health(), this.#vrrp.states());
  }

  /** Something changed: make sure the apply loop runs (once more) after it. */
  #kick(): void {
    this.#dirty = true;
    this.#loop ??= this.#applyLoop().finally(() => { this.#loop = undefined; });
  }

  /**
   * Reads the daemon's state and keeps the part that is ours (adoptedState): what this
   * configuration names, or what we put there before. The first read adopts what a previous run
   * (or an operator) left; a later one that differs from what was applied means the daemon
   * restarted or someone changed it by hand, and the next diff repairs it.
   */
  async #readDaemon(desired: DesiredState): Promise<DesiredState> {
    const seen = await this.opts.target.read();
    this.#daemonAddrs = seen.vips;
    const held = adoptedState(seen, desired, this.#applied, configuredVips(this.#config));
    if (!this.#read) {
      this.#read = true;
      if (held.services.length || held.vips.length) {
        this.opts.log({ level: 'info', event: 'daemon_state_adopted', message: `The daemon already holds ${describeState(held)}: adopting it` });
      }
    } else if (diffBatch(this.#applied, held).length) {
      this.opts.log({
        level: 'warn', event: 'daemon_state_changed',
        message: `The daemon no longer holds what tsvs keepalived applied (restarted, or changed by hand); it holds ${describeState(held) || 'none of it'}`,
      });
    }
    this.#applied = held;
    this.#haSuspend();
    return held;
  }

  /** Whether the daemon holds one of `addrs` as a `tsip addr` address. */
  #holdsAny(addrs: readonly IpAddr[]): boolean {
    return addrs.some((a) => this.#daemonAddrs.some((v) => ipEquals(v.addr, a)));
  }

  /**
   * ha_suspend (keepalived's update_checker_activity): the checkers of such a virtual server run
   * only while the daemon holds one of its addresses, as a VIP this node is MASTER for does, and
   * are suspended, their verdicts frozen, while it holds none.
   */
  #haSuspend(): void {
    for (const vs of this.#config.virtualServers) {
      const addrs = haSuspendAddrs(this.#config, vs);
      if (addrs.length === 0) continue;
      const active = this.#holdsAny(addrs);
      for (const rs of this.#monitor.setActive(vs, active)) {
        this.opts.log({
          level: 'info', event: active ? 'checker_activated' : 'checker_suspended',
          message: `${active ? 'Activating' : 'Suspending'} healthchecker for service ${formatRs(this.#config, vs, rs)} for VS ${formatVs(vs)}`,
        });
      }
    }
  }

  /**
   * One batch at a time. The desired state is computed when a batch is about to go, so a burst of
   * events becomes one batch. It is diffed from what the daemon holds, read just before, so a
   * service left by a previous run is edited rather than added twice, and a daemon that lost its
   * state gets it back. The daemon applies a batch all or nothing; a refused one is retried, and
   * its retry reads the daemon again.
   */
  async #applyLoop(): Promise<void> {
    const { firstMs, maxMs } = this.opts.retry ?? { firstMs: 200, maxMs: 5000 };
    let delay = firstMs;
    while (this.#dirty && !this.#stopping) {
      this.#dirty = false;
      let batch: string[] = [];
      try {
        await this.#readDaemon(this.#desired());
        // Computed after the read: VRRP may have moved meanwhile.
        const desired = this.#desired();
        // lvs_flush: everything goes, others' services too, in the same atomic batch as ours.
        const flush = this.#flushPending;
        batch = flush ? ['tsvsadm -C', ...diffBatch({ services: [], vips: this.#applied.vips }, desired)] : diffBatch(this.#applied, desired);
        if (batch.length === 0) continue;
        await this.opts.target.apply(batch);
        if (flush) this.#flushPending = false;
        // The VIPs this batch added or removed: ha_suspend follows them once the daemon holds them.
        const before = this.#applied.vips;
        this.#daemonAddrs = [...this.#daemonAddrs.filter((v) => !before.some((b) => sameVip(b, v))), ...desired.vips];
        this.#applied = desired;
        this.#applies++;
        this.opts.log({ level: 'info', event: 'batch_applied', lines: batch });
        this.#haSuspend();
        delay = firstMs;
      } catch (e) {
        const refused = e instanceof RefusedBatchError;
        this.opts.log({
          level: refused ? 'error' : 'warn', event: refused ? 'batch_refused' : 'daemon_unreachable',
          message: `${(e as Error).message}; retrying in ${delay} ms`, retry_ms: delay, lines: batch,
        });
        this.#dirty = true;
        try {
          await sleep(delay, undefined, { signal: this.#wake.signal });
        } catch { /* woken by stop() */ }
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  /**
   * SIGHUP: re-read the file. On an error the running configuration stays (logged, as keepalived
   * does). Otherwise the checkers restart on the new file, real servers that still exist keep their
   * health, and the daemon gets the diff: edits (-e/-E) for what changed, so established
   * connections survive. Resolves true when the new file was taken.
   */
  reload(): Promise<boolean> {
    const run = this.#lifecycle.then(() => this.#reload());
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #reload(): Promise<boolean> {
    if (this.#stopping) return false;
    this.opts.log({ level: 'info', event: 'reload', message: 'Reloading', file: this.opts.file });
    const { config, diagnostics } = parseKeepalivedFile(this.opts.file);
    for (const d of diagnostics.list) this.opts.log({ level: d.severity === 'error' ? 'error' : 'warn', event: 'config_' + d.severity, message: formatDiagnostic(d) });
    if (!config || diagnostics.hasErrors) {
      this.opts.log({ level: 'error', event: 'reload_failed', message: `${this.opts.file} has errors: keeping the running configuration` });
      return false;
    }
    // First VRRP, which may refuse the file (an interface with no address for adverts): then
    // nothing changes, services and checkers included, as for a file with errors.
    try {
      this.#vrrp.reload(config);
    } catch (e) {
      this.opts.log({ level: 'error', event: 'reload_failed', message: `${(e as Error).message}: keeping the running configuration` });
      return false;
    }
    const old = this.#monitor;
    await old.stop();
    const health = old.health();
    // Only real servers of the new file are looked up, so dropping the others is implicit.
    this.#config = config;
    this.#monitor = this.#newMonitor(config, health);
    this.#kick();
    this.#monitor.start();
    this.opts.log({ level: 'info', event: 'reload_done', message: `Reloaded ${this.opts.file}: ${config.virtualServers.length} virtual_server, ${config.vrrpInstances.length} vrrp_instance` });
    return true;
  }

  /**
   * SIGTERM: stop the checkers and VRRP, run the omega notifiers, then (keepalived's
   * clear_services) remove the services and VIPs of this configuration, unless told not to release
   * them. `lvs_flush_on_stop` flushes the whole table instead; `lvs_flush_on_stop VS` removes each
   * service whole, without logging its real servers.
   */
  stop(): Promise<void> {
    const run = this.#lifecycle.then(() => this.#stop());
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#stateCheck);
    this.#wake.abort();
    await this.#loop;
    await this.#monitor.stop();
    await this.#vrrp.stop();
    this.#omegaNotifies();
    try {
      // What to remove is what the daemon still holds of ours (it may have restarted).
      await this.#readDaemon(this.#desired());
    } catch { /* unreachable: the release below fails and says so */ }
    const keep = {
      services: this.opts.releaseServices === false ? this.#applied.services : [],
      vips: this.opts.releaseVips === false ? this.#applied.vips : [],
    };
    const flush = this.opts.releaseServices !== false ? this.#config.globalDefs.lvsFlushOnStop : 'none';
    // keepalived logs each real server only when it removes them one by one (no lvs_flush_on_stop).
    if (keep.services.length === 0 && flush === 'none') this.#logShutdown();
    // lvs_flush_on_stop without VS flushes the whole table (ipvs_flush_cmd), others' services too,
    // but only when the configuration has virtual servers (clear_services returns early otherwise).
    const batch = flush === 'full' && this.#config.virtualServers.length
      ? ['tsvsadm -C', ...diffBatch({ services: [], vips: this.#applied.vips }, keep)]
      : diffBatch(this.#applied, keep);
    if (batch.length) {
      try {
        await this.opts.target.apply(batch);
        this.#applied = keep;
        this.opts.log({ level: 'info', event: 'batch_applied', lines: batch });
      } catch (e) {
        this.opts.log({ level: 'error', event: 'release_failed', message: `could not remove the services on stop: ${(e as Error).message}`, lines: batch });
      }
    }
    this.opts.log({ level: 'info', event: 'keepalived_stop', message: 'Stopped tsvs keepalived' });
  }

  /** clear_service_rs's "Shutting down service X from VS Y", one per real server in the pool. */
  #logShutdown(): void {
    const health = this.#monitor.health();
    for (const vs of this.#config.virtualServers) {
      for (const rs of vs.realServers) {
        const alive = health.rs.get(rsId(vs, rs))?.alive ?? false;
        const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
        if (!alive && !inhibit) continue;
        this.opts.log({
          level: 'info', event: 'rs_shutdown',
          message: `Shutting down ${inhibit && !alive ? '(inhibited) ' : ''}service ${formatRs(this.#config, vs, rs)} from VS ${formatVs(vs)}`,
        });
      }
    }
  }

  /** keepalived runs notify_down (live real servers) and quorum_down on shutdown only with omega. */
  #omegaNotifies(): void {
    const run = this.opts.runScript ?? runScriptDetached;
    const health = this.#monitor.health();
    for (const vs of this.#config.virtualServers) {
      if (!vs.omega) continue;
      for (const rs of vs.realServers) {
        if (rs.notifyDown !== undefined && health.rs.get(rsId(vs, rs))?.alive) this.#runScript(run, rs.notifyDown);
      }
      if (vs.quorumDown !== undefined) this.#runScript(run, vs.quorumDown);
    }
  }

  #runScript(run: (command: string) => void, command: string): void {
    this.opts.log({ level: 'info', event: 'omega_notify', message: `Running ${command}` });
    run(command);
  }
}

// Runs every checker of a KeepalivedConfig and turns their transitions into real-server state:
// alive when all its checkers are up, misc_dynamic weights, notify_up/notify_down scripts, and the
// virtual servers' quorum (quorum_up/quorum_down). Its HealthState feeds desiredState().

import { spawn } from 'node:child_process';
import { type HealthState, type RsHealth, liveWeight, nextQuorumUp, rsId, startsDown, vsId, vsPort } from '../desired.js';
import type { Checker, KeepalivedConfig, RealServer, VirtualServer } from '../model.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { miscProbe, scriptArgv } from './misc.js';
import type { Probe } from './probe.js';
import { CheckerRunner, checkerSchedule } from './runner.js';
import { tcpProbe } from './tcp.js';
import { udpProbe } from './udp.js';

export type HealthEvent =
  | { readonly type: 'rs-up' | 'rs-down'; readonly vs: string; readonly rs: string; readonly checker: string; readonly reason: string }
  | { readonly type: 'rs-weight'; readonly vs: string; readonly rs: string; readonly weight: number | undefined }
  | { readonly type: 'quorum-up' | 'quorum-down'; readonly vs: string; readonly weight: number };

export interface MonitorOptions {
  readonly onEvent: (e: HealthEvent) => void;
  /** Runs notify/quorum scripts; default: spawn detached, output ignored (keepalived does not wait). */
  readonly runScript?: (command: string) => void;
  readonly random?: () => number;
  /**
   * SIGHUP: the previous monitor's verdicts. A real server that still exists (same rsId) keeps its
   * alive state and misc_dynamic weight, and each virtual server its quorum state, as keepalived
   * carries them over on reload: a dead server is not put back before a check says so.
   */
  readonly initial?: HealthState;
}

function probeFor(c: Checker, vs: VirtualServer, rs: RealServer): Probe {
  switch (c.kind) {
    case 'TCP_CHECK': return tcpProbe;
    case 'HTTP_GET':
    case 'SSL_GET': {
      const vhost = c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
      return httpProbe({ tls: c.kind === 'SSL_GET', urls: c.urls, httpProtocol: c.httpProtocol, enableSni: c.enableSni, ...(vhost !== undefined ? { virtualhost: vhost } : {}) });
    }
    case 'UDP_CHECK': return udpProbe(c);
    case 'MISC_CHECK': return miscProbe({ command: c.miscPath, dynamic: c.miscDynamic });
    case 'DNS_CHECK': return dnsProbe(c.type, c.name);
  }
}

/** keepalived's notify_exec: the script runs detached, nobody waits for it. */
export function runScriptDetached(command: string): void {
  const [cmd, ...args] = scriptArgv(command);
  if (cmd === undefined) return;
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => { /* a missing script is the operator's to see in -t; nothing to undo here */ });
  child.unref();
}

interface RsEntry {
  readonly vs: VirtualServer;
  readonly rs: RealServer;
  readonly id: string;
  readonly runners: CheckerRunner[];
  alive: boolean;
  weight: number | undefined;
}

export class HealthMonitor {
  readonly #entries: RsEntry[] = [];
  readonly #quorumUp = new Map<string, boolean>();
  readonly #run: (command: string) => void;

  constructor(config: KeepalivedConfig, private readonly opts: MonitorOptions) {
    this.#run = opts.runScript ?? runScriptDetached;
    for (const vs of config.virtualServers) {
      const port = vsPort(config, vs);
      for (const rs of vs.realServers) {
        const id = rsId(vs, rs);
        const prev = opts.initial?.rs.get(id);
        const entry: RsEntry = { vs, rs, id, runners: [], alive: prev?.alive ?? !startsDown(vs, rs), weight: prev?.weight };
        rs.checkers.forEach((c, i) => {
          const target = {
            addr: c.connectIp ?? rs.addr, port: c.connectPort ?? rs.port ?? port,
            ...(c.bindto ? { bindto: c.bindto } : {}), ...(c.bindPort ? { bindPort: c.bindPort } : {}),
          };
          const name = `${c.kind}#${i + 1}`;
          const runner = new CheckerRunner(probeFor(c, vs, rs), target, checkerSchedule(vs, rs, c), (e) => this.#onChecker(entry, name, e.type, e.reason, e.weight), opts.random, prev?.alive);
          entry.runners.push(runner);
        });
        this.#entries.push(entry);
      }
      const id = vsId(vs);
      this.#quorumUp.set(id, nextQuorumUp(vs, opts.initial?.quorumUp.get(id), liveWeight(vs, this.health())));
    }
  }

  start(): void {
    for (const e of this.#entries) for (const r of e.runners) r.start();
  }

  /**
   * ha_suspend: enables or suspends the checkers of `vs`; returns the real servers whose checkers
   * changed, once per checker (keepalived logs each checker).
   */
  setActive(vs: VirtualServer, active: boolean): RealServer[] {
    const changed: RealServer[] = [];
    for (const e of this.#entries) {
      if (e.vs !== vs) continue;
      for (const r of e.runners) {
        if (r.enabled === active) continue;
        r.enabled = active;
        changed.push(e.rs);
      }
    }
    return changed;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#entries.flatMap((e) => e.runners.map((r) => r.stop())));
  }

  /** The current verdicts, for desiredState(). */
  health(): HealthState {
    const rs = new Map<string, RsHealth>();
    for (const e of this.#entries) rs.set(e.id, e.weight === undefined ? { alive: e.alive } : { alive: e.alive, weight: e.weight });
    return { rs, quorumUp: new Map(this.#quorumUp) };
  }

  #onChecker(e: RsEntry, checker: string, type: 'up' | 'down' | 'weight', reason: string, weight: number | undefined): void {
    const vs = vsId(e.vs);
    // misc_dynamic: the last weight a script set, back to the configured one on exit 0.
    if (type !== 'down' && weight !== e.weight) {
      e.weight = weight;
      if (e.alive && type === 'weight') this.opts.onEvent({ type: 'rs-weight', vs, rs: e.id, weight });
    }
    const alive = e.runners.every((r) => r.isUp);
    if (alive !== e.alive) {
      e.alive = alive;
      this.opts.onEvent({ type: alive ? 'rs-up' : 'rs-down', vs, rs: e.id, checker, reason });
      const script = alive ? e.rs.notifyUp : e.rs.notifyDown;
      if (script !== undefined) this.#run(script);
    }
    this.#updateQuorum(e.vs);
  }

  #updateQuorum(v: VirtualServer): void {
    const id = vsId(v);
    const weight = liveWeight(v, this.health());
    const prev = this.#quorumUp.get(id);
    const next = nextQuorumUp(v, prev, weight);
    if (next === prev) return;
    this.#quorumUp.set(id, next);
    this.opts.onEvent({ type: next ? 'quorum-up' : 'quorum-down', vs: id, weight });
    const script = next ? v.quorumUp : v.quorumDown;
    if (script !== undefined) this.#run(script);
  }
}

// The seam between the keepalived process and VRRP: who says, per vrrp_instance, MASTER, BACKUP
// or FAULT. Until VRRP itself runs, each instance stays in the `state` its configuration names.

import type { VrrpState } from './desired.js';
import type { KeepalivedConfig } from './model.js';

/**
 * Called on every transition. The promise it returns settles once the daemon holds the state the
 * transition calls for (the VIPs added or removed); VRRP sends its GARPs after that.
 */
export type VrrpStateListener = (instance: string, state: VrrpState) => void | Promise<void>;

/** What the process needs of VRRP: the current states, and a call on every change. */
export interface VrrpDriver {
  /** Starts the instances of `config`; `onStateChange` is called on every transition after this. */
  start(config: KeepalivedConfig, onStateChange: VrrpStateListener): void;
  /** The state of every instance (by name). */
  states(): ReadonlyMap<string, VrrpState>;
  /** SIGHUP: the new configuration (instances added, removed or changed); throws, changing nothing, if VRRP cannot run it. */
  reload(config: KeepalivedConfig): void;
  /** Shutdown: release what VRRP holds (keepalived sends priority-0 adverts here). */
  stop(): Promise<void>;
}

/**
 * Each instance in its configured `state MASTER|BACKUP`, never changing: the stand-in until
 * VRRP adverts are exchanged. A node configured MASTER holds its VIPs; a BACKUP holds none.
 */
export class ConfiguredStateVrrp implements VrrpDriver {
  #states = new Map<string, VrrpState>();

  start(config: KeepalivedConfig): void {
    this.reload(config);
  }

  states(): ReadonlyMap<string, VrrpState> {
    return this.#states;
  }

  reload(config: KeepalivedConfig): void {
    this.#states = new Map(config.vrrpInstances.map((vi) => [vi.name, vi.state]));
  }

  async stop(): Promise<void> {
    this.#states = new Map();
  }
}

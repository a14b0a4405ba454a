// vrrp_sync_group: its instances move together. When one becomes MASTER the others follow, when
// one falls back to BACKUP so do the others (keepalived's vrrp_sync_master / vrrp_sync_backup), and
// the group's own notify scripts run once per group transition with `GROUP NAME STATE 0`.

import type { VrrpSyncGroup } from '../model.js';
import type { VrrpMachine, VrrpRunState } from './instance.js';

export class SyncGroup {
  private moving = false;

  /** `state`: INIT at start; a reload carries the group's state over (no repeated notify). */
  constructor(readonly def: VrrpSyncGroup, private readonly members: readonly VrrpMachine[], private readonly notify: (state: VrrpRunState) => void, public state: VrrpRunState = 'INIT') {}

  /** A member changed state by itself: pull the others along (`from` undefined: the group itself, at a reload). */
  memberMoved(from: VrrpMachine | undefined, to: VrrpRunState): void {
    if (this.moving || to === this.state) return;
    if (to !== 'MASTER' && to !== 'BACKUP') return;
    this.moving = true;
    try {
      this.state = to;
      for (const m of this.members) {
        if (m === from || m.state === 'INIT') continue;
        if (to === 'MASTER') m.becomeMaster();
        else m.becomeBackup();
      }
    } finally {
      this.moving = false;
    }
    this.notify(to);
  }
}

// The scheduler registry: names as ipvsadm -s spells them, each mapped to a factory that makes
// one scheduler instance per service. Control plane only.

import { TsvsError } from '../../errors.js';
import { ConhashScheduler } from './conhash.js';
import { DhScheduler } from './dh.js';
import { FoScheduler } from './fo.js';
import { LblcScheduler } from './lblc.js';
import { LblcrScheduler } from './lblcr.js';
import { LcScheduler } from './lc.js';
import { MhScheduler } from './mh.js';
import { NqScheduler } from './nq.js';
import { OvfScheduler } from './ovf.js';
import { RrScheduler } from './rr.js';
import { SedScheduler } from './sed.js';
import { ShScheduler } from './sh.js';
import { TwosScheduler } from './twos.js';
import { WlcScheduler } from './wlc.js';
import { WrrScheduler } from './wrr.js';
import type { Scheduler, SchedulerFactory } from './types.js';

const FACTORIES: ReadonlyMap<string, SchedulerFactory> = new Map<string, SchedulerFactory>([
  ['rr', () => new RrScheduler()],
  ['wrr', () => new WrrScheduler()],
  ['lc', () => new LcScheduler()],
  ['wlc', () => new WlcScheduler()],
  ['sed', () => new SedScheduler()],
  ['nq', () => new NqScheduler()],
  ['sh', () => new ShScheduler()],
  ['dh', () => new DhScheduler()],
  ['lblc', () => new LblcScheduler()],
  ['lblcr', () => new LblcrScheduler()],
  ['fo', () => new FoScheduler()],
  ['ovf', () => new OvfScheduler()],
  ['mh', () => new MhScheduler()],
  ['twos', () => new TwosScheduler()],
  ['conhash', () => new ConhashScheduler()],
]);

const NAMES: readonly string[] = Object.freeze([...FACTORIES.keys()]);

/** The scheduler names createScheduler() knows. */
export function schedulerNames(): readonly string[] {
  return NAMES;
}

/** A fresh scheduler for one service; call update() with its dests before schedule(). */
export function createScheduler(name: string): Scheduler {
  const factory = FACTORIES.get(name);
  if (factory === undefined) {
    throw new TsvsError('TSVS_ERR_SCHED', `unknown scheduler "${name}": use one of ${NAMES.join(', ')}`);
  }
  return factory();
}

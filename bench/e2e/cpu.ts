// CPU time of the forwarding side: per-CPU busy time from /proc/stat (everything that ran there:
// softirq forwarding, the tsvs process, the sink's drop) and a process's own time from
// /proc/<pid>/stat. Both are tick-sampled (USER_HZ), so they need runs of a second or more.

import { readFileSync } from 'node:fs';

/** /proc/stat and /proc/<pid>/stat count in USER_HZ ticks; 100 on every Linux ABI we run on. */
const NS_PER_TICK = 1e9 / 100;

/** Busy and softirq time of a set of CPUs, in ns. */
export interface CpuSample { busyNs: number; softirqNs: number }

/** Sums the CPUs' non-idle time (user nice system irq softirq steal) and their softirq time. */
export function sampleCpus(cpus: readonly number[]): CpuSample {
  let busy = 0, softirq = 0;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m || !cpus.includes(Number(m[1]))) continue;
    const [user, nice, system, , , irq, sirq, steal] = m[2]!.trim().split(/\s+/).map(Number);
    busy += user! + nice! + system! + irq! + sirq! + steal!;
    softirq += sirq!;
  }
  return { busyNs: busy * NS_PER_TICK, softirqNs: softirq * NS_PER_TICK };
}

/** A process's user + system time, all its threads, in ns (NaN when it is gone). */
export function processCpuNs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is field 14.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * NS_PER_TICK;
  } catch {
    return NaN;
  }
}

// Two network namespaces joined by a veth pair, named with a per-run prefix (tsvs-<pid>-<rand>) so
// parallel runs never collide; always removed, by destroy() or by an exit/signal handler.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Job } from './afpacket-peer.js';

const PEER = fileURLToPath(new URL('./afpacket-peer.js', import.meta.url));

export class VethLab {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly macA = '02:00:00:00:0a:01';
  readonly macB = '02:00:00:00:0b:01';
  private readonly onExit = (): void => this.destroy();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroy();
    process.kill(process.pid, sig);
  };
  private alive = true;

  private constructor() {
    const tag = randomBytes(3).toString('hex');
    this.nsA = `tsvs-${process.pid}-${tag}-a`;
    this.nsB = `tsvs-${process.pid}-${tag}-b`;
    this.ifA = `tva${tag}`;
    this.ifB = `tvb${tag}`;
  }

  static create(): VethLab {
    const lab = new VethLab();
    process.on('exit', lab.onExit);
    process.once('SIGINT', lab.onSignal);
    process.once('SIGTERM', lab.onSignal);
    try {
      ip('netns', 'add', lab.nsA);
      ip('netns', 'add', lab.nsB);
      ip('link', 'add', lab.ifA, 'netns', lab.nsA, 'address', lab.macA, 'type', 'veth', 'peer', 'name', lab.ifB, 'netns', lab.nsB, 'address', lab.macB);
      for (const [ns, dev] of [[lab.nsA, lab.ifA], [lab.nsB, lab.ifB]] as const) {
        // No IPv6: the kernel's own ND/MLD chatter would mix with the test's frames.
        lab.sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'link', 'set', dev, 'up');
      }
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  /** Runs a command inside a namespace and returns its stdout. */
  sh(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Starts the peer in a namespace. `ready` resolves once it has its sockets set up (receivers),
   * `done` with its report. A peer still running after timeoutMs is killed by its PID.
   */
  peer<R = Record<string, unknown>>(ns: string, job: Job, timeoutMs = 20000): { ready: Promise<void>; done: Promise<R> } {
    // `ip netns exec` execs node in place, so the PID we hold is the peer's own.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    let onReady!: () => void;
    const ready = new Promise<void>((res) => (onReady = res));
    const done = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(new Error(`peer ${job.mode} in ${ns} timed out after ${timeoutMs} ms; stderr: ${err}`));
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          const msg = JSON.parse(line) as { event: string; message?: string };
          if (msg.event === 'ready') onReady();
          else if (msg.event === 'done') resolve(msg as R);
          else if (msg.event === 'error') reject(new Error(`peer error: ${msg.message}`));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('exit', (code) => {
        clearTimeout(timer);
        onReady();
        if (code !== 0) reject(new Error(`peer ${job.mode} in ${ns} exited with ${code}: ${err}`));
      });
    });
    return { ready, done };
  }

  destroy(): void {
    if (!this.alive) return;
    this.alive = false;
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    // Deleting a namespace takes its end of the veth with it, and the pair goes too.
    for (const ns of [this.nsA, this.nsB]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

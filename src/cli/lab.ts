// `tsvs lab` (what `npm start` runs): scenario S7's layout in network namespaces — a client, tsvs
// with a WAN port (VIP), a LAN port (LIP) and a kernel management interface, three nginx real
// servers — with `tsvs daemon` (afpacket) serving FullNAT rr. Sends traffic, prints what tsvs saw,
// then serves until SIGINT/SIGTERM and removes everything it made.

import { fileURLToPath } from 'node:url';
import { TsvsError } from '../errors.js';
import { ensureLabPackages } from '../lab/deps.js';
import { CLIENT_ADDR, LIP, MGMT_ADDR, NetnsLab, VIP, fnatRrLines, rsAddr } from '../lab/netns-lab.js';

const SERVERS = 3;
const REQUESTS = 30;
/** Each stops the lab cleanly (SIGHUP: the terminal went away). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface LabRun {
  out: (text: string) => void;
  requests?: number;
}

/** Resolves on the first SIGINT/SIGTERM, or rejects when the daemon dies meanwhile. */
function serveUntilSignal(lab: NetnsLab): Promise<NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    const onSig = (sig: NodeJS.Signals): void => {
      for (const s of STOP_SIGNALS) process.off(s, onSig);
      resolve(sig);
    };
    for (const sig of STOP_SIGNALS) process.on(sig, onSig);
    lab.onDaemonExit((code) => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSig);
      reject(new TsvsError('TSVS_ERR_CONFIG', `the tsvs daemon exited (${code}) while serving:\n${lab.daemonLog}`));
    });
  });
}

export async function labMain(run: LabRun = { out: (t) => process.stdout.write(t) }): Promise<number> {
  if (process.getuid?.() !== 0) {
    throw new TsvsError('TSVS_ERR_INVALID_ARG',
      'lab needs root (network namespaces, veth interfaces, AF_PACKET sockets): run it as root, e.g. sudo npm start');
  }
  const say = (line = ''): void => run.out(line + '\n');
  // Signals that arrive while the lab is being built or torn down must not kill us half way (the
  // children run in their own process groups and would be left): note them, and stop once the lab
  // is up; cleanup runs in `finally` either way.
  let early: NodeJS.Signals | null = null;
  const noteEarly = (sig: NodeJS.Signals): void => { early ??= sig; };
  for (const sig of STOP_SIGNALS) process.on(sig, noteEarly);

  ensureLabPackages((l) => say(`tsvs lab: ${l}`));
  const lab = new NetnsLab({ servers: SERVERS, mgmt: true, prefix: 'tsvs-lab', signals: false });
  try {
    say(`tsvs lab: namespaces ${lab.namespaces.join(' ')}`);
    say(`tsvs lab: files (configs, logs) in ${lab.dir}`);
    lab.build();
    for (let i = 0; i < SERVERS; i++) lab.startNginx(i);
    await lab.startDaemon();
    say(`tsvs lab: tsvs daemon running in ${lab.ns.lb} (pid ${lab.daemonPid}), control socket ${lab.socket}`);
    say('tsvs lab: configuration (FullNAT, rr):');
    for (const line of fnatRrLines(SERVERS)) {
      say(`  ${line}`);
      lab.ctl(line);
    }
    if (early) return 0;

    const n = run.requests ?? REQUESTS;
    say(`\n${n} requests: ip netns exec ${lab.ns.client} curl http://${VIP}/`);
    const counts = new Map<string, number>();
    let failed = 0;
    for (let i = 0; i < n; i++) {
      // The first request also resolves ARP both ways; retries cover that.
      const retry = i === 0 ? ['--retry', '3', '--retry-all-errors'] : [];
      try {
        const body = lab.sh(lab.ns.client, 'curl', '-sS', '--fail', '--max-time', '5', ...retry, `http://${VIP}/`).trim();
        counts.set(body, (counts.get(body) ?? 0) + 1);
      } catch {
        failed++;
      }
    }
    say('distribution per real server:');
    for (let i = 0; i < SERVERS; i++) {
      const body = `rs${i + 1} ${rsAddr(i)}`;
      const c = counts.get(body) ?? 0;
      say(`  rs${i + 1}  ${rsAddr(i).padEnd(15)} ${String(c).padStart(3)}  ${'#'.repeat(c)}`);
      counts.delete(body);
    }
    for (const [body, c] of counts) say(`  other (${JSON.stringify(body)}) ${c}`);
    if (failed) say(`  failed  ${failed}`);

    for (const cmd of ['tsvsadm -Ln', 'tsvsadm -Ln --stats', 'tsvsadm -Lnc']) {
      say(`\n# ${cmd}`);
      run.out(lab.ctl(cmd));
    }

    say(`
tsvs lab: ready. While it runs, from another shell (as root):
  ip netns exec ${lab.ns.client} curl http://${VIP}/
  ip netns exec ${lab.ns.client} ping -c 3 ${VIP}
  TSVS_SOCKET=${lab.socket} node ${fileURLToPath(new URL('./tsvsadm.js', import.meta.url))} -Ln --stats
  ip netns exec ${lab.ns.lb} curl http://${rsAddr(0)}/      # management path (kernel, ${MGMT_ADDR})
Client ${CLIENT_ADDR} -> VIP ${VIP} (tsvs, WAN dpdk1) -> LIP ${LIP} (LAN dpdk0) -> ${Array.from({ length: SERVERS }, (_, i) => rsAddr(i)).join(', ')}.
Ctrl-C stops tsvs, nginx and removes the namespaces.`);
    const sig = early ?? await serveUntilSignal(lab);
    say(`\ntsvs lab: ${sig}: stopping`);
    return 0;
  } finally {
    await lab.destroy();
    for (const sig of STOP_SIGNALS) process.off(sig, noteEarly);
    say('tsvs lab: cleaned up (daemon, nginx, namespaces, files)');
  }
}

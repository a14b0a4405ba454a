// `tsvs keepalived`: -t -f FILE validates a keepalived.conf and prints FILE:LINE diagnostics;
// -f FILE runs it (checkers + the VRRP seam, applying state through the daemon) until SIGTERM.

import { parseArgs } from 'node:util';
import { DEFAULT_SOCKET } from '../control/config-file.js';
import { LOG_LEVELS, type LogLevel, levelFilter, stderrLogger } from '../control/log.js';
import { TsvsError } from '../errors.js';
import type { KeepalivedTarget } from '../keepalived/batch.js';
import { formatDiagnostic } from '../keepalived/diagnostics.js';
import { parseKeepalivedFile } from '../keepalived/parser.js';
import { KeepalivedProcess } from '../keepalived/process.js';
import { portMap, readDaemonConfig } from '../keepalived/port-map.js';
import { apiTarget, socketTarget } from '../keepalived/target.js';
import { AdvertVrrp } from '../keepalived/vrrp-adverts.js';

/** keepalived's `-t` exit codes (lib/scheduler.h KEEPALIVED_CHK_EXIT_*): 0 ok, 4 cannot run. */
export const EXIT_CONFIG_OK = 0;
export const EXIT_CONFIG_ERROR = 4;

export const KEEPALIVED_USAGE = `  tsvs keepalived -t -f keepalived.conf   check the file: FILE:LINE diagnostics, exit 0 ok / 4 errors
  tsvs keepalived -f keepalived.conf [--tsvs-conf FILE] [--kni-map PORT=IF]... [--socket PATH | --api URL [--token-file F]]
                [-I] [-V] [-D] [--log-level L]
                run health checks and VRRP, apply the services/VIPs to the daemon; SIGHUP reloads.
                --tsvs-conf: the daemon's tsvs.conf (its netif_defs map dpdk0.kni to a Linux
                interface; its control_socket is the default --socket)
`;

const OPTIONS = {
  'config-test': { type: 'boolean', short: 't' },
  'use-file': { type: 'string', short: 'f' },
  socket: { type: 'string' },
  api: { type: 'string' },
  'token-file': { type: 'string' },
  'tsvs-conf': { type: 'string' },
  'kni-map': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  // keepalived's: -I/-V keep the services/VIPs on stop; -D logs detail (debug level here).
  'dont-release-ipvs': { type: 'boolean', short: 'I' },
  'dont-release-vrrp': { type: 'boolean', short: 'V' },
  'log-detail': { type: 'boolean', short: 'D' },
  // Accepted for keepalived command lines: tsvs keepalived never forks and always logs to stderr.
  'dont-fork': { type: 'boolean', short: 'n' },
  'log-console': { type: 'boolean', short: 'l' },
  'check': { type: 'boolean', short: 'C' },
} as const;

function check(file: string, out: (s: string) => void, err: (s: string) => void): number {
  const { config, diagnostics } = parseKeepalivedFile(file);
  for (const d of diagnostics.list) err(formatDiagnostic(d) + '\n');
  if (!config || diagnostics.hasErrors) {
    const n = diagnostics.list.filter((d) => d.severity === 'error').length;
    err(`${file}: ${n} error${n === 1 ? '' : 's'}: tsvs keepalived will not run this configuration\n`);
    return EXIT_CONFIG_ERROR;
  }
  out(`${file}: configuration OK (${config.vrrpInstances.length} vrrp_instance, ${config.virtualServers.length} virtual_server)\n`);
  return EXIT_CONFIG_OK;
}

export async function keepalivedMain(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const file = values['use-file'] ?? '/etc/keepalived/keepalived.conf';
  if (values['config-test']) return check(file, out, err);
  // Bad input changes nothing: a file with errors is reported like -t and never applied.
  const { config, diagnostics } = parseKeepalivedFile(file);
  if (!config || diagnostics.hasErrors) return check(file, out, err);

  if (values.socket !== undefined && values.api !== undefined) throw new TsvsError('TSVS_ERR_INVALID_ARG', 'give --socket or --api, not both');
  if (values['token-file'] !== undefined && values.api === undefined) throw new TsvsError('TSVS_ERR_INVALID_ARG', '--token-file goes with --api URL');
  const level = values['log-level'] ?? (values['log-detail'] ? 'debug' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new TsvsError('TSVS_ERR_INVALID_ARG', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const daemonConf = readDaemonConfig(values['tsvs-conf']);
  const ports = portMap(daemonConf, values['kni-map'] ?? []);
  const target: KeepalivedTarget = values.api !== undefined
    ? apiTarget(values.api, values['token-file'])
    : socketTarget(values.socket ?? daemonConf?.socket ?? (process.env.TSVS_SOCKET || DEFAULT_SOCKET));

  const log = levelFilter(level as LogLevel, stderrLogger);
  const proc = KeepalivedProcess.start({
    file, target, log, vrrp: new AdvertVrrp({ log, ports }),
    releaseServices: !values['dont-release-ipvs'], releaseVips: !values['dont-release-vrrp'],
  });
  const onHup = (): void => void proc.reload();
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  process.off('SIGHUP', onHup);
  await proc.stop();
  return 0;
}

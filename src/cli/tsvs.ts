#!/usr/bin/env node
// The `tsvs` program: subcommands daemon (workers + control socket), replay (offline engine over
// captures), save/set (to the running daemon), lab (the daemon in network namespaces, `npm start`)
// and keepalived (-t checks a keepalived.conf; -f runs it against the daemon).
// Errors print to stderr, exit non-zero.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Daemon } from '../control/daemon.js';
import { parseDaemonConfig } from '../control/config-file.js';
import { TsvsError } from '../errors.js';
import { runClient } from './client.js';
import { KEEPALIVED_USAGE, keepalivedMain } from './keepalived.js';
import { labMain } from './lab.js';
import { replayMain } from './replay.js';

const USAGE = `Usage:
  tsvs daemon -f tsvs.conf [--socket PATH]
  tsvs replay --config FILE --in PORT=FILE.pcap [--in ...] [--out PORT=FILE.pcap ...]
  tsvs save     print the running daemon's whole configuration as a script (startup_script loads it)
  tsvs set KEY VALUE   change a runtime setting of the running daemon
  tsvs lab      (root) FullNAT in network namespaces with 3 nginx servers, until Ctrl-C
${KEEPALIVED_USAGE}`;

/** Runs until SIGTERM or SIGINT, then stops the workers and removes the socket. */
async function daemonMain(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { file: { type: 'string', short: 'f' }, socket: { type: 'string' } },
    strict: true,
  });
  if (!values.file) throw new TsvsError('TSVS_ERR_INVALID_ARG', 'daemon needs -f tsvs.conf');
  let text: string;
  try {
    text = await readFile(values.file, 'utf8');
  } catch (e) {
    throw new TsvsError('TSVS_ERR_CONFIG', `cannot read ${values.file}: ${(e as Error).message}`);
  }
  let config;
  try {
    config = parseDaemonConfig(text, values.file);
  } catch (e) {
    if (e instanceof TsvsError) throw new TsvsError(e.code, `${values.file}: ${e.message}`);
    throw e;
  }
  if (values.socket) config = { ...config, socket: values.socket };
  const daemon = await Daemon.start({ config });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await daemon.stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'daemon':
      return daemonMain(rest);
    case 'replay': {
      const { values } = parseArgs({
        args: rest,
        options: {
          config: { type: 'string', short: 'c' },
          in: { type: 'string', multiple: true },
          out: { type: 'string', multiple: true },
        },
        strict: true,
      });
      if (!values.config) throw new TsvsError('TSVS_ERR_INVALID_ARG', 'replay needs --config FILE');
      const summary = await replayMain({ config: values.config, in: values.in ?? [], out: values.out ?? [] });
      process.stdout.write(summary + '\n');
      return 0;
    }
    case 'save':
    case 'set':
      // Sent to the running daemon like tsvsadm and tsip lines (TSVS_SOCKET overrides the socket).
      return runClient('tsvs', [sub, ...rest]);
    case 'keepalived':
      return keepalivedMain(rest, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    case 'lab':
      if (rest.length) throw new TsvsError('TSVS_ERR_INVALID_ARG', `lab takes no arguments\n${USAGE}`);
      return labMain();
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return sub === undefined ? 2 : 0;
    default:
      process.stderr.write(`tsvs: unknown command "${sub}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`tsvs: ${msg}\n`);
    process.exitCode = 1;
  },
);

#!/usr/bin/env node
// The `tsvs` program: subcommands replay (offline engine over captures); daemon, lab and
// keepalived arrive with their issues. Errors print to stderr and exit non-zero.

import { parseArgs } from 'node:util';
import { TsvsError } from '../errors.js';
import { replayMain } from './replay.js';

const USAGE = `Usage:
  tsvs replay --config FILE --in PORT=FILE.pcap [--in ...] [--out PORT=FILE.pcap ...]
`;

async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
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
    case 'lab':
      // The lab runs the daemon on real interfaces in network namespaces: it needs the native
      // AF_PACKET I/O, which is not built yet. Say so instead of pretending.
      process.stderr.write('tsvs lab: not available yet: it needs real NIC I/O (AF_PACKET addon and daemon), still to be built.\n'
        + 'Meanwhile the engine runs offline: tsvs replay --help\n');
      return 2;
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

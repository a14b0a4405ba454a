#!/usr/bin/env node
// `tsvsadm`: ipvsadm's syntax, sent to the running daemon (see client.ts); the daemon parses,
// validates and applies. `tsvsadm -R` reads rules from stdin and applies them as one batch.

import { runClient } from './client.js';

runClient('tsvsadm', process.argv.slice(2)).then((code) => { process.exitCode = code; });

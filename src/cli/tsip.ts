#!/usr/bin/env node
// `tsip`: dpip's syntax, sent to the running daemon (see client.ts); the daemon parses,
// validates and applies.

import { runClient } from './client.js';

runClient('tsip', process.argv.slice(2)).then((code) => { process.exitCode = code; });

// Reads a keepalived.conf and splices in the files its `include` lines name (globs, relative to
// the including file's directory, as keepalived chdirs there). Never interprets statements.

import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type SourceLine, sourceLines } from '../control/brace-syntax.js';
import type { Diagnostics } from './diagnostics.js';
import { glob } from './glob.js';

/** keepalived has no limit (a loop exhausts file descriptors); we stop loops with a clear error. */
const MAX_DEPTH = 32;

/** `include`, `includer`, `includem`, `includew`, `includeb`, `includea` (keepalived 2.2.8+). */
const INCLUDE_RE = /^\s*include([rmwba]?)\s+(.*)$/;

function stripComment(s: string): string {
  return s.replace(/[!#].*$/, '').trim();
}

/** Reads `file` and its includes into one list of lines, each still naming its own file and line. */
export function loadSource(file: string, diags: Diagnostics): SourceLine[] | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    diags.error({ file, line: 0 }, `cannot read the configuration: ${(e as Error).message}`);
    return null;
  }
  const out: SourceLine[] = [];
  splice(sourceLines(text, file), 0, diags, out);
  return out;
}

function splice(lines: readonly SourceLine[], depth: number, diags: Diagnostics, out: SourceLine[]): void {
  for (const l of lines) {
    const trimmed = l.text.trimStart();
    if (trimmed.startsWith('@')) {
      diags.error(l, "'@' conditional lines (config_id / instance selection) are not supported by tsvs: write one file per node");
      continue;
    }
    if (trimmed.startsWith('$') || trimmed.startsWith('~SEQ')) {
      diags.error(l, 'parameter definitions and substitutions ($NAME, ~SEQ) are not supported by tsvs: expand them before use');
      continue;
    }
    const m = INCLUDE_RE.exec(l.text);
    if (!m) {
      out.push(l);
      continue;
    }
    const kind = m[1]!;
    const pattern = stripComment(m[2]!);
    if (pattern === '') {
      diags.error(l, `include${kind} needs a file name or glob`);
      continue;
    }
    if (depth >= MAX_DEPTH) {
      diags.error(l, `includes nested deeper than ${MAX_DEPTH}: does a file include itself?`);
      continue;
    }
    const matches = glob(pattern, dirname(l.file));
    if (matches.length === 0) {
      // Plain `include` tolerates no match (keepalived logs it); includem/w/a make it an error.
      if ('mwa'.includes(kind) && kind !== '') diags.error(l, `no config files matched '${pattern}'`);
      else diags.warn(l, `no config files matched '${pattern}'`);
      continue;
    }
    for (const f of matches) {
      let text: string;
      try {
        const st = statSync(f);
        if (!st.isFile() || (st.mode & 0o111) !== 0) {
          diags.warn(l, `'${f}' is not a regular non-executable file: skipped (as keepalived does)`);
          continue;
        }
        text = readFileSync(f, 'utf8');
      } catch (e) {
        diags.error(l, `cannot read included file '${f}': ${(e as Error).message}`);
        continue;
      }
      splice(sourceLines(text, f), depth + 1, diags, out);
    }
  }
}

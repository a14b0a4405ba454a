// A configuration script: one tsip / tsvsadm / tsvs command per line (dpip and ipvsadm accepted as
// names too). The whole script is parsed before anything is returned, so a bad line applies nothing.

import { programOf, parseProgramArgs } from '../cli/parse/program.js';
import { ScriptError, SyntaxError_, TsvsError } from '../errors.js';
import type { Command } from './commands.js';
import { splitScript } from './shell-words.js';

export interface ScriptCommand {
  readonly line: number;
  readonly source: string;
  readonly command: Command;
}

/** Parses every line; throws ScriptError naming the first bad line. */
export function parseScript(text: string): ScriptCommand[] {
  return splitScript(text).map(({ line, source, words }) => {
    const [first, ...args] = words as [string, ...string[]];
    const program = programOf(first);
    try {
      if (program === undefined) {
        const hint = first.startsWith('-') ? "; ipvsadm-save rules need 'tsvsadm' in front" : '';
        throw new SyntaxError_(`'${first}' is not a program tsvs knows: start the line with tsip, tsvsadm or tsvs (or dpip, ipvsadm)${hint}`);
      }
      return { line, source, command: parseProgramArgs(program, args) };
    } catch (e) {
      if (e instanceof TsvsError && !(e instanceof ScriptError)) throw new ScriptError(line, source, e);
      throw e;
    }
  });
}

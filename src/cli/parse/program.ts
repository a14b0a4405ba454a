// Which parser reads a line: tsvs's program names, and the anchors' (dpip, ipvsadm) so operators'
// scripts and habits work unchanged. A path in front (./dpip, /usr/sbin/ipvsadm) is ignored.

import type { Command } from '../../control/commands.js';
import { parseTsip } from './tsip.js';
import { parseTsvs } from './tsvs.js';
import { parseTsvsadm } from './tsvsadm.js';

export type Program = 'tsip' | 'tsvsadm' | 'tsvs';

const PROGRAMS: Readonly<Record<string, Program>> = {
  tsip: 'tsip', dpip: 'tsip', tsvsadm: 'tsvsadm', ipvsadm: 'tsvsadm', tsvs: 'tsvs',
};

const PARSERS: Readonly<Record<Program, (argv: readonly string[]) => Command>> = {
  tsip: parseTsip, tsvsadm: parseTsvsadm, tsvs: parseTsvs,
};

/** The program a command word names, or undefined when it is none of ours. */
export function programOf(word: string): Program | undefined {
  const base = word.slice(word.lastIndexOf('/') + 1);
  return Object.hasOwn(PROGRAMS, base) ? PROGRAMS[base] : undefined;
}

/** Parses the words after the program name with that program's parser. */
export function parseProgramArgs(program: Program, argv: readonly string[]): Command {
  return PARSERS[program](argv);
}

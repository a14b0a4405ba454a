// A small popt-style option scanner: clustered short flags (-Ln, -Pt VIP), --long=value, options
// whose value is optional (-p [timeout]), and a caller-supplied lookup so a flag can mean different
// things after different commands (ipvsadm's -b).

import { fail } from './common.js';

/** none: a flag. required: always takes a value. optional: takes one if it is attached or the next word does not start with '-'. */
export type Arity = 'none' | 'required' | 'optional';

export interface OptSpec {
  readonly name: string;
  readonly arity: Arity;
}

export interface OptHit<S extends OptSpec> {
  readonly spec: S;
  readonly value?: string;
  /** The option as the operator wrote it ('-p', '--persistent'), for messages. */
  readonly written: string;
}

export interface OptLookup<S extends OptSpec> {
  /** Name without dashes; return undefined for unknown (or throw a more specific error). */
  long(name: string): S | undefined;
  short(c: string): S | undefined;
}

/**
 * Scans argv in order, calling onHit for each option and onArg for each plain word. Lookups run
 * lazily, one option at a time, so an earlier hit may change how later flags are read.
 */
export function scanOptions<S extends OptSpec>(
  argv: readonly string[],
  lookup: OptLookup<S>,
  onHit: (hit: OptHit<S>) => void,
  onArg: (word: string) => void,
): void {
  let i = 0;
  // popt's rule for optional values: the next word is the value unless it looks like an option.
  const nextValue = (arity: Arity, written: string): string | undefined => {
    const next = argv[i + 1];
    if (arity === 'optional' && (next === undefined || next.startsWith('-'))) return undefined;
    if (next === undefined) fail(`option ${written} requires a value`);
    i++;
    return next;
  };
  for (; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') {
      for (i++; i < argv.length; i++) onArg(argv[i]!);
      return;
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      const written = `--${name}`;
      const spec = lookup.long(name);
      if (!spec) fail(`invalid option '${written}'`);
      if (spec.arity === 'none') {
        if (eq >= 0) fail(`option ${written} does not take a value`);
        onHit({ spec, written });
      } else {
        onHit({ spec, written, value: eq >= 0 ? w.slice(eq + 1) : nextValue(spec.arity, written) });
      }
      continue;
    }
    if (!w.startsWith('-') || w.length === 1) {
      onArg(w);
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const written = `-${w[j]}`;
      const spec = lookup.short(w[j]!);
      if (!spec) fail(`invalid option '${written}'`);
      if (spec.arity === 'none') {
        onHit({ spec, written });
        continue;
      }
      // A value-taking flag ends the cluster: its value is the rest of the word or the next word.
      const rest = w.slice(j + 1);
      onHit({ spec, written, value: rest !== '' ? rest : nextValue(spec.arity, written) });
      break;
    }
  }
}

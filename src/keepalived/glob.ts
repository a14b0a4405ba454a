// The glob(3) subset keepalived's `include` uses: `*`, `?`, `[...]` within one path segment, and
// `{a,b}` alternatives (GLOB_BRACE). Node 20 has no fs.glob; results sorted as glob(3) sorts them.

import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** Expands `{a,b}` (one level at a time, recursively) into plain patterns. */
function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const cuts: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) { close = i; break; }
    else if (c === ',' && depth === 1) cuts.push(i);
  }
  if (close < 0) return [pattern];
  const pre = pattern.slice(0, open);
  const post = pattern.slice(close + 1);
  const parts: string[] = [];
  let from = open + 1;
  for (const c of [...cuts, close]) {
    parts.push(pattern.slice(from, c));
    from = c + 1;
  }
  return parts.flatMap((p) => expandBraces(pre + p + post));
}

function hasMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) { re += '\\['; continue; }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Paths matching `pattern`; a relative pattern resolves against `dir` and the results are
 * `join(dir, match)`, so they read as the includer's own path does. Dotfiles need a literal dot.
 */
export function glob(pattern: string, dir: string): string[] {
  const out = new Set<string>();
  for (const p of expandBraces(pattern)) {
    let bases = [isAbsolute(p) ? '/' : dir];
    for (const seg of p.split('/').filter((s) => s !== '')) {
      const next: string[] = [];
      for (const base of bases) {
        if (!hasMagic(seg)) {
          next.push(join(base, seg));
          continue;
        }
        let names: string[];
        try {
          names = readdirSync(base);
        } catch {
          continue;
        }
        const re = segmentRegExp(seg);
        for (const n of names) if ((!n.startsWith('.') || seg.startsWith('.')) && re.test(n)) next.push(join(base, n));
      }
      bases = next;
    }
    for (const b of bases) if (exists(b)) out.add(b);
  }
  return [...out].sort();
}

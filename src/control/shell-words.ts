// Splits a script into command lines and words the way a shell would for simple scripts: '...',
// "...", backslash escapes and continuations, # comments. Anything that needs a real shell is refused.

import { ScriptError, SyntaxError_ } from '../errors.js';

export interface ScriptLine {
  /** 1-based line number where the command starts. */
  readonly line: number;
  /** The text as written (continuation lines included). */
  readonly source: string;
  readonly words: readonly string[];
}

/** Characters that mean something to a shell that we do not emulate; failing beats misreading. */
const SHELL_ONLY: Readonly<Record<string, string>> = {
  $: 'variables are not expanded', '`': 'command substitution is not supported',
  ';': 'one command per line', '|': 'pipes are not supported', '&': 'background jobs and && are not supported',
  '<': 'redirections are not supported', '>': 'redirections are not supported',
  '(': 'subshells are not supported', ')': 'subshells are not supported',
};

export function splitScript(text: string): ScriptLine[] {
  const out: ScriptLine[] = [];
  let words: string[] = [];
  let cur: string | null = null; // the word being built; null between words
  let line = 1;
  let startLine = 1;
  let startIdx = 0;
  const fail = (msg: string): never => {
    const end = text.indexOf('\n', startIdx);
    const source = text.slice(startIdx, end < 0 ? text.length : end);
    throw new ScriptError(startLine, source, new SyntaxError_(msg));
  };
  const endWord = (): void => {
    if (cur !== null) words.push(cur);
    cur = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      endWord();
      if (words.length) out.push({ line: startLine, source: text.slice(startIdx, i).replace(/\r$/, ''), words });
      words = [];
      startLine = ++line;
      startIdx = i + 1;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else if (c === '#' && cur === null) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) fail('backslash at the end of the script');
      i++;
      if (next === '\n') line++; // continuation: the command goes on on the next line
      else cur = (cur ?? '') + next;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (close < 0 || (nl >= 0 && nl < close)) fail("unterminated ' quote");
      cur = (cur ?? '') + text.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      let w: string = cur ?? '';
      for (i++; ; i++) {
        const d = text[i];
        if (d === undefined || d === '\n') fail('unterminated " quote');
        if (d === '"') break;
        if (d === '$' || d === '`') fail(`'${d}' inside "...": ${SHELL_ONLY[d]}; use '...' for a literal`);
        if (d === '\\' && text[i + 1] === '\n') { i++; line++; continue; }
        if (d === '\\' && '"\\$`'.includes(text[i + 1] ?? 'x')) { w += text[++i]; continue; }
        w += d;
      }
      cur = w;
    } else if (Object.hasOwn(SHELL_ONLY, c)) {
      fail(`shell syntax '${c}' in a tsvs script: ${SHELL_ONLY[c]}`);
    } else {
      cur = (cur ?? '') + c;
    }
  }
  endWord();
  if (words.length) out.push({ line: startLine, source: text.slice(startIdx).replace(/\r$/, ''), words });
  return out;
}

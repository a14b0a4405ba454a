// The brace syntax shared by tsvs.conf and keepalived.conf (dpvs.conf's too): `key value...`
// statements, `name words... { ... }` blocks, `!`/`#` comments, `"..."` quoted words. Reads text only.

import { TsvsError } from '../errors.js';

/** One physical line of a config, with where it came from (includes splice lines of other files). */
export interface SourceLine {
  readonly text: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

/** One statement: its words, where it starts, and the block that follows it, if any. */
export interface BraceNode {
  readonly words: readonly string[];
  readonly file: string;
  readonly line: number;
  readonly block?: readonly BraceNode[];
}

/** A structural error (unbalanced braces, unterminated quote): where, and what. */
export class BraceSyntaxError extends TsvsError {
  readonly file: string;
  readonly line: number;
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super('TSVS_ERR_CONFIG', `line ${line}: ${detail}`);
    this.file = file;
    this.line = line;
    this.detail = detail;
    this.name = 'TsvsBraceSyntaxError';
  }
}

export function sourceLines(text: string, file: string): SourceLine[] {
  return text.split('\n').map((t, i) => ({ text: t, file, line: i + 1 }));
}

interface Token {
  readonly t: string;
  /** A bare `{` or `}`; a quoted "{" is an ordinary word. */
  readonly brace: boolean;
}

/**
 * Splits one line into tokens as keepalived's decomment + alloc_strvec do: `!` and `#` start a
 * comment outside quotes, `"..."` is one word (quotes removed, may be empty), `{` and `}` are
 * tokens of their own. Returns null for an unterminated quote.
 */
function lineTokens(text: string): Token[] | null {
  const words: Token[] = [];
  let cur = '';
  let has = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') quoted = false;
      else cur += c;
      continue;
    }
    if (c === '!' || c === '#') break;
    if (c === '"') {
      quoted = true;
      has = true;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      if (has) words.push({ t: cur, brace: false });
      cur = '';
      has = false;
    } else if (c === '{' || c === '}') {
      if (has) words.push({ t: cur, brace: false });
      words.push({ t: c, brace: true });
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quoted) return null;
  if (has) words.push({ t: cur, brace: false });
  return words;
}

/** Parses lines into statements and blocks. A `{` may also open on the line after its name. */
export function parseBraces(lines: readonly SourceLine[]): BraceNode[] {
  const tokens: (Token & { at: SourceLine })[] = [];
  for (const at of lines) {
    const words = lineTokens(at.text);
    if (words === null) throw new BraceSyntaxError(at.file, at.line, 'unterminated quote (")');
    for (const w of words) tokens.push({ ...w, at });
  }
  let pos = 0;
  const isBrace = (i: number, b: string): boolean => i < tokens.length && tokens[i]!.brace && tokens[i]!.t === b;
  const parseBlock = (depth: number, open: SourceLine | undefined): BraceNode[] => {
    const nodes: BraceNode[] = [];
    while (pos < tokens.length) {
      const first = tokens[pos]!;
      if (first.brace && first.t === '}') {
        if (depth === 0) throw new BraceSyntaxError(first.at.file, first.at.line, "'}' without a matching '{'");
        pos++;
        return nodes;
      }
      const words: string[] = [];
      const at = first.at;
      while (pos < tokens.length && tokens[pos]!.at === at && !isBrace(pos, '{') && !isBrace(pos, '}')) words.push(tokens[pos++]!.t);
      if (words.length === 0) throw new BraceSyntaxError(at.file, at.line, "'{' must follow a block name");
      if (isBrace(pos, '{')) {
        pos++;
        nodes.push({ words, file: at.file, line: at.line, block: parseBlock(depth + 1, at) });
      } else {
        nodes.push({ words, file: at.file, line: at.line });
      }
    }
    if (depth > 0 && open) throw new BraceSyntaxError(open.file, open.line, "block not closed: missing '}'");
    return nodes;
  };
  return parseBlock(0, undefined);
}

// What a keepalived.conf check found: errors (tsvs will not run the file) and warnings (ignored
// statements), each with FILE:LINE. Collected, not thrown, so `-t` reports all of them at once.

import type { Where } from './model.js';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(at: Where, message: string): void {
    this.list.push({ severity: 'error', file: at.file, line: at.line, message });
  }

  warn(at: Where, message: string): void {
    this.list.push({ severity: 'warning', file: at.file, line: at.line, message });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}

/** `FILE:LINE: error: message`, the form compilers use so editors can jump to it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}

// The API's error answers: an HTTP status and one precise message. TsvsError codes map to
// statuses here, once, so every route answers a missing service with 404 and a duplicate with 409.

import type { TsvsErrorCode } from '../../errors.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly code?: string;
}

/** TSVS_ERR_NO_* (the thing named does not exist) 404, *_EXISTS 409, anything else 400. */
export function statusOf(code: TsvsErrorCode): number {
  if (code.startsWith('TSVS_ERR_NO_')) return 404;
  if (code.endsWith('_EXISTS')) return 409;
  return 400;
}

interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
  readonly parentSchema?: Record<string, unknown>;
}

/** `/dests/2/weight` -> `dests[2].weight` (what a reader of the JSON calls the field). */
function fieldPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').slice(1)) {
    const p = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out;
}

/** One validation failure as `field: what is wrong` (the first failure; ajv stops there). */
export function validationMessage(errors: readonly AjvError[], part: string): string {
  const e = errors[0];
  if (!e) return `invalid ${part}`;
  const where = fieldPath(e.instancePath);
  const prefix = part === 'body' ? '' : `${part === 'querystring' ? 'query' : part} `;
  const s = e.parentSchema ?? {};
  const name = (field: string): string => `${prefix}${where === '' ? field : `${where}.${field}`}`;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${name(String(e.params.additionalProperty))}: unknown field`;
    case 'required':
      return `${name(String(e.params.missingProperty))}: required`;
    case 'minimum': case 'maximum':
      if (typeof s.minimum === 'number' && typeof s.maximum === 'number') return `${prefix}${where}: must be an integer ${s.minimum}..${s.maximum}`;
      break;
    case 'enum':
      return `${prefix}${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${prefix}${where}: ${typeof s.description === 'string' ? `must be ${s.description}` : `must match ${String(e.params.pattern)}`}`;
    default:
  }
  return `${prefix}${where === '' ? part : where}: ${e.message ?? 'is invalid'}`;
}

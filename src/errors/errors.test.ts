import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DOCS, EXIT_CODE, HTTP_STATUS, MloopError, isMloopError, toMloopError } from './index.js';

describe('error codes', () => {
  it('maps every code once to an HTTP status, an exit code and a doc entry', () => {
    for (const code of ERROR_CODES) {
      expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(EXIT_CODE[code]).toBeGreaterThanOrEqual(2);
      expect(ERROR_DOCS[code].cause.length).toBeGreaterThan(10);
    }
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    expect(Object.keys(EXIT_CODE).sort()).toEqual([...ERROR_CODES].sort());
    expect(new Set(Object.values(EXIT_CODE)).size).toBe(ERROR_CODES.length);
  });

  it('refuses a code outside the closed set', () => {
    expect(() => new MloopError('NOPE' as never, 'x')).toThrow(TypeError);
  });

  it('builds helpers with details, and hides unknown errors as INTERNAL', () => {
    const e = MloopError.notFound('model', 'support@champion');
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe("model 'support@champion' not found");
    expect(e.details).toEqual({ kind: 'model', ref: 'support@champion' });
    const raw = new Error('SQLITE_IOERR: disk I/O error at /secret/path');
    const wrapped = toMloopError(raw);
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).toBe('internal error');
    expect(wrapped.cause).toBe(raw);
    expect(toMloopError(e)).toBe(e);
    expect(isMloopError(e)).toBe(true);
    expect(isMloopError(raw)).toBe(false);
  });
});

describe('docs/errors.md', () => {
  it('is generated from the code tables and up to date', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderErrorsDoc } = await import('./index.js');
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });
});

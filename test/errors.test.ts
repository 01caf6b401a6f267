import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError, ERRORS, type ErrorCode, errorStatus, isErrorCode } from '../src/errors.ts';
import { errorRows, errorsMarkdown } from '../src/http/error-docs.ts';
import { problem } from '../src/http/problem.ts';

const SRC = new URL('../src/', import.meta.url).pathname;
const CATALOGUE = 'errors.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every place in src/ that names a code reaching a problem body or a refusal log line. The dev
 * stand-ins are left out: they answer in Google's and Paystack's formats, with those codes.
 */
function codesUsedInSource(): { code: string; where: string }[] {
  const patterns = [/new AppError\(\s*'([^']*)'/g, /\bproblem\(\s*'([^']*)'/g, /\bcode: '([^']*)'/g];
  return sourceFiles(SRC)
    .filter((path) => relative(SRC, path) !== CATALOGUE && !relative(SRC, path).startsWith('dev/'))
    .flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      return patterns.flatMap((pattern) =>
        [...text.matchAll(pattern)].map((match) => ({
          code: match[1] as string,
          where: relative(SRC, path),
        })),
      );
    })
    .filter(({ code }) => /^[a-z_]+$/.test(code));
}

describe('the error catalogue', () => {
  it('holds every code the source throws or renders, and nothing the source never produces', () => {
    const used = codesUsedInSource();
    const unknown = used.filter(({ code }) => !isErrorCode(code));
    expect(unknown, 'codes used in src/ but missing from src/errors.ts').toEqual([]);
    const produced = new Set(used.map(({ code }) => code));
    const unused = Object.keys(ERRORS).filter((code) => !produced.has(code));
    expect(unused, 'catalogued codes nothing in src/ produces').toEqual([]);
  });

  it('lets the domain throw only catalogued codes and variants, without naming a status', () => {
    // @ts-expect-error: not a code of the catalogue
    expect(() => new AppError('no_such_code', 'x')).toThrow();
    // @ts-expect-error: insufficient_funds has no variants
    expect(() => new AppError('insufficient_funds', 'x', { variant: 'rollover' })).toThrow(
      /Invariant violated/,
    );
    expect(new AppError('insufficient_funds', 'x').status).toBe(422);
    expect(new AppError('api_key_revoked', 'x').status).toBe(401);
    expect(new AppError('api_key_revoked', 'x', { variant: 'rollover' }).status).toBe(409);
    expect(errorStatus('api_key_revoked', 'rollover')).toBe(409);
  });

  it('documents every code: a title and one sentence saying when it comes and what to do', () => {
    for (const row of errorRows()) {
      expect(row.status, row.code).toBeGreaterThanOrEqual(400);
      expect(row.status, row.code).toBeLessThan(600);
      expect(row.title.length, row.code).toBeGreaterThan(0);
      expect(row.description, row.code).toMatch(/^[A-Z`].*: .*\.$/);
      expect(row.description, `${row.code}: one sentence`).not.toMatch(/\. [A-Z]/);
    }
    expect(new Set(errorRows().map((row) => row.code))).toEqual(new Set(Object.keys(ERRORS)));
  });

  it('is what docs/ERRORS.md says (regenerate it with `npm run docs:errors`)', () => {
    const written = readFileSync(new URL('../docs/ERRORS.md', import.meta.url), 'utf8');
    expect(written).toBe(errorsMarkdown());
  });

  it('gives problem details their title and status', () => {
    const code: ErrorCode = 'self_transfer';
    expect(problem(code, 'detail', 'req-1')).toEqual({
      type: 'urn:wallet:problem:self_transfer',
      title: ERRORS.self_transfer.title,
      status: 400,
      detail: 'detail',
      code: 'self_transfer',
      request_id: 'req-1',
    });
    const revoked = new AppError('api_key_revoked', 'gone', { variant: 'rollover', extensions: { id: 'k' } });
    expect(problem(revoked.code, revoked.message, 'req-2', revoked)).toMatchObject({
      status: 409,
      title: 'API key revoked',
      id: 'k',
    });
  });
});

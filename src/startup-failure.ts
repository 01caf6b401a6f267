import type { Config } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';

/** Node's and PostgreSQL's error fields this module reads; everything else about an error is ignored. */
interface CodedError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error and everything it wraps (`cause`, an AggregateError's `errors`), outermost first. */
function chain(error: unknown): CodedError[] {
  const seen: CodedError[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.length < 20) {
    const next = pending.shift();
    if (typeof next !== 'object' || next === null || seen.includes(next)) continue;
    const coded = next as CodedError;
    seen.push(coded);
    pending.push(coded.cause);
    if (Array.isArray(coded.errors)) pending.push(...coded.errors);
  }
  return seen;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/**
 * One line naming the cause of a failed start and its fix, for the failures a newcomer meets
 * (the port taken, PostgreSQL not running or its database not created, DATA_DIR held by another
 * process), or undefined for anything else, which keeps its stack. Codes: Node's errno names and
 * PostgreSQL's SQLSTATE (3D000 invalid_catalog_name, 28P01 invalid_password, 28000
 * invalid_authorization_specification).
 */
export function describeStartupFailure(error: unknown, config: Config): string | undefined {
  const errors = chain(error);
  const locked = errors.find((each) => each instanceof DataDirLockedError);
  if (locked) return (locked as DataDirLockedError).message;
  const codes = new Set(errors.map((each) => each.code));
  if (codes.has('EADDRINUSE'))
    return `port ${config.port} is in use: set PORT to a free port, or stop what uses it`;
  if (codes.has('EADDRNOTAVAIL'))
    return `cannot listen on ${config.host}: set HOST to an address of this machine`;
  if (codes.has('EACCES') && errors.some((each) => String(each.message).includes('listen'))) {
    return `port ${config.port} needs privileges: set PORT to 1024 or above`;
  }
  if (config.databaseUrl === undefined) return undefined;
  const url = new URL(config.databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  const user = decodeURIComponent(url.username) || 'the default user';
  const where = `${url.hostname}:${url.port || '5432'}`;
  if (codes.has('3D000')) return `database ${name} does not exist: createdb ${name} (or fix DATABASE_URL)`;
  if (codes.has('28P01') || codes.has('28000')) {
    return `PostgreSQL at ${where} refused user ${user}: fix the user or password in DATABASE_URL`;
  }
  const timedOut = errors.some((each) =>
    String(each.message).includes('timeout exceeded when trying to connect'),
  );
  if (timedOut || [...codes].some((code) => UNREACHABLE.has(String(code)))) {
    return `cannot reach PostgreSQL at ${where}: start it or fix DATABASE_URL`;
  }
  return undefined;
}

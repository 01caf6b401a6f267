import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { transactionRetries } from '../observability/metrics.ts';
import * as schema from './schema.ts';

type Schema = typeof schema;

/** The one database type the domain modules see, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or an open transaction: domain functions that compose take this. */
export type Queryable = Database | Transaction;

/** A connection pool's state now: connections open, of them idle, and queries waiting for one. */
export interface PoolFigures {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseHandle {
  readonly db: Database;
  readonly driver: 'postgres' | 'pglite';
  /** The pool's state, for `/metrics`; `undefined` for PGlite, one in-process connection and no pool. */
  poolFigures(): PoolFigures | undefined;
  close(): Promise<void>;
}

const POOL_SIZE = 20;
/** Waiting longer than this for a connection means the database is in trouble: fail the request. */
const CONNECT_TIMEOUT_MS = 3_000;
/** No single statement of this service should run for longer; a stuck one must not hold a request. */
export const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * A pool on the PostgreSQL at `url`. `statementTimeoutMs` bounds each statement and each idle
 * moment inside a transaction: the service's 10 s unless a batch job (the ledger check, which
 * reads every entry) needs longer.
 */
export async function openPostgres(
  url: string,
  options: { statementTimeoutMs?: number } = {},
): Promise<DatabaseHandle> {
  const statementTimeoutMs = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs,
    application_name: 'wallet-service',
  });
  // A client losing its connection (a database restart) emits 'error'; unheard, that event would
  // crash the process. Idle clients report through the pool; a checked-out client between two
  // queries reports on itself, and its next query fails (a 503), after which the pool drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return {
    db: drizzlePg(pool, { schema }) as unknown as Database,
    driver: 'postgres',
    poolFigures: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/**
 * PGlite at `dataDir` (`memory://` for none). `template`: a data directory from `dumpDataDir()` to
 * start from instead of an empty one, as the tests start each database from a migrated copy.
 */
export async function openPglite(dataDir: string, template?: Blob): Promise<DatabaseHandle> {
  const client = await PGlite.create(dataDir, template === undefined ? {} : { loadDataDir: template });
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    driver: 'pglite',
    poolFigures: () => undefined,
    close: () => client.close(),
  };
}

/** Runs raw SQL and returns its rows; both drivers answer with a `rows` array. */
export async function queryRows<Row>(db: Queryable, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/**
 * A query built once per database handle and prepared under `name`: the hot paths (API key
 * lookup, balance, transfer) skip Drizzle's query building on every request, and PostgreSQL
 * parses and plans the named statement once per connection. A transaction is a new handle each
 * time, so inside one the query is built afresh, as an unprepared query would be.
 */
export function preparedPerDatabase<Prepared>(
  build: (db: Queryable) => Prepared,
): (db: Queryable) => Prepared {
  const byDatabase = new WeakMap<Queryable, Prepared>();
  return (db) => {
    let prepared = byDatabase.get(db);
    if (prepared === undefined) {
      prepared = build(db);
      byDatabase.set(db, prepared);
    }
    return prepared;
  };
}

/** deadlock_detected and serialization_failure: the transaction did nothing and may simply run again. */
const RETRYABLE_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/** A string field of a database error, looking through the wrappers Drizzle puts around driver errors. */
function databaseErrorField(error: unknown, field: 'code' | 'constraint'): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const value = (current as { code?: unknown; constraint?: unknown })[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** The SQLSTATE (or Node socket error code) of a database error. */
export function databaseErrorCode(error: unknown): string | undefined {
  return databaseErrorField(error, 'code');
}

/** The constraint a database error names (a unique violation's index, say). */
export function violatedConstraint(error: unknown): string | undefined {
  return databaseErrorField(error, 'constraint');
}

/**
 * Runs a whole database transaction again when PostgreSQL aborted it as a deadlock victim or for
 * a serialization failure, a bounded number of times. Lock ordering should make these rare; the
 * retry keeps a rare one from reaching the client as a 500.
 */
export async function retryTransaction<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = databaseErrorCode(error);
      if (attempt >= MAX_ATTEMPTS || code === undefined || !RETRYABLE_CODES.has(code)) throw error;
      transactionRetries.inc({ sqlstate: code });
    }
  }
}

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { adminQuery, databaseUrl } from '../../harness/postgres.ts';
import { type DatabaseHandle, openPglite, openPostgres } from '../../src/db/client.ts';

/**
 * With DATABASE_URL set, every test file gets a fresh database on that server (created next to
 * the one named in the URL, dropped afterwards); without it, an in-memory PGlite. Either starts as
 * a copy of the database `database-template.ts` migrated once for the whole run.
 */
export const onPostgres = Boolean(process.env.DATABASE_URL);

/** Where the migrated database is: a PGlite data directory dump, or a database on the server. */
export type DatabaseTemplate =
  | { driver: 'pglite'; dumpPath: string; emptyDumpPath: string }
  | { driver: 'postgres'; name: string };

declare module 'vitest' {
  export interface ProvidedContext {
    databaseTemplate: DatabaseTemplate;
  }
}

export interface TestDatabase {
  handle: DatabaseHandle;
  /** The URL of the fresh database, for tests that start separate processes; PGlite has none. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * An empty embedded database (nothing migrated), copied from the run's empty PGlite dump rather
 * than made by initdb: for tests of the migrator itself (on a PostgreSQL run, made by initdb).
 */
export async function openEmptyPglite(): Promise<DatabaseHandle> {
  const template = inject('databaseTemplate');
  // A PostgreSQL run has no PGlite dump: initdb it is.
  if (template?.driver !== 'pglite') return openPglite('memory://');
  return openPglite('memory://', new Blob([await readFile(template.emptyDumpPath)]));
}

/** A fresh database for one test file, a copy of the run's migrated template; `drop()` ends it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('databaseTemplate');
  if (template === undefined) {
    throw new Error('no databaseTemplate: the vitest config must list database-template.ts in globalSetup');
  }
  if (template.driver === 'pglite') {
    const handle = await openPglite('memory://', new Blob([await readFile(template.dumpPath)]));
    return { handle, url: undefined, drop: () => handle.close() };
  }
  const serverUrl = process.env.DATABASE_URL as string;
  const name = `wallet_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database "${name}" template "${template.name}"`);
  const url = databaseUrl(serverUrl, name);
  const handle = await openPostgres(url);
  return {
    handle,
    url,
    drop: async () => {
      await handle.close();
      await adminQuery(serverUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

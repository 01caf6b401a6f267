import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openPglite, openPostgres } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';

/**
 * With DATABASE_URL set, every test file gets a fresh database on that server (created next to
 * the one named in the URL, dropped afterwards); without it, an in-memory PGlite.
 */
export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  handle: DatabaseHandle;
  /** The URL of the fresh database, for tests that start separate processes; PGlite has none. */
  url: string | undefined;
  drop(): Promise<void>;
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const handle = await openPglite('memory://');
    await runMigrations(handle.db);
    return { handle, url: undefined, drop: () => handle.close() };
  }
  const name = `wallet_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await openPostgres(url.toString());
  await runMigrations(handle.db);
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await adminQuery(serverUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

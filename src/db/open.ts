import type { Config } from '../config.ts';
import { type DatabaseHandle, openPglite, openPostgres } from './client.ts';
import { runMigrations } from './migrate.ts';

/** Opens the configured database (a server, or PGlite under DATA_DIR) and brings its schema up to date. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<DatabaseHandle> {
  const handle = config.databaseUrl
    ? await openPostgres(config.databaseUrl)
    : await openPglite(`${config.dataDir}/pglite`);
  try {
    await runMigrations(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

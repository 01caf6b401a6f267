import type { Config } from '../config.ts';
import { type DatabaseHandle, openPglite, openPostgres } from './client.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { runMigrations } from './migrate.ts';

/** PGlite under DATA_DIR, held by this process alone until the handle is closed (see lockDataDir). */
async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const lock = lockDataDir(dataDir);
  try {
    const handle = await openPglite(`${dataDir}/pglite`);
    return {
      ...handle,
      close: async () => {
        try {
          await handle.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Opens the configured database (a server, or PGlite under DATA_DIR) and brings its schema up to
 * date. Throws DataDirLockedError, without opening anything, when another live process holds
 * DATA_DIR's embedded database. `statementTimeoutMs`: see `openPostgres`.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  options: { statementTimeoutMs?: number } = {},
): Promise<DatabaseHandle> {
  const handle = config.databaseUrl
    ? await openPostgres(config.databaseUrl, options)
    : await openEmbedded(config.dataDir);
  try {
    await runMigrations(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

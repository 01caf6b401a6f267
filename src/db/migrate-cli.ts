import { reportCliFailure } from '../cli-failure.ts';
import { type Config, loadConfig, loadDotEnv } from '../config.ts';
import { type DatabaseHandle, openPglite, openPostgres } from './client.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { runMigrations } from './migrate.ts';

loadDotEnv();
let config: Config | undefined;
let lock: DataDirLock | undefined;
let handle: DatabaseHandle | undefined;
try {
  config = loadConfig();
  // Migrating the embedded database under a running service would be a second process on it.
  lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  handle = config.databaseUrl
    ? await openPostgres(config.databaseUrl)
    : await openPglite(`${config.dataDir}/pglite`);
  const applied = await runMigrations(handle.db);
  console.log(
    applied.length === 0 ? 'Database schema is up to date' : `Applied ${applied.length} migration(s)`,
  );
} catch (error) {
  reportCliFailure('migrate', error, config);
} finally {
  await handle?.close();
  lock?.release();
}

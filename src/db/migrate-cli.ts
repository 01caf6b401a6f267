import { loadConfig, loadDotEnv } from '../config.ts';
import { openPglite, openPostgres } from './client.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { runMigrations } from './migrate.ts';

loadDotEnv();
const config = loadConfig();
// Migrating the embedded database under a running service would be a second process on it.
const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
const handle = config.databaseUrl
  ? await openPostgres(config.databaseUrl)
  : await openPglite(`${config.dataDir}/pglite`);
try {
  const applied = await runMigrations(handle.db);
  console.log(
    applied.length === 0 ? 'Database schema is up to date' : `Applied ${applied.length} migration(s)`,
  );
} finally {
  await handle.close();
  lock?.release();
}

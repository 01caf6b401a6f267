import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { openDatabase } from './db/open.ts';
import { failAbandonedDepositStarts } from './deposits/start.ts';
import { loggerOptions } from './http/logging.ts';
import { purgeExpiredIdempotencyKeys } from './idempotency/store.ts';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How often expired idempotency keys are purged and abandoned deposit starts marked failed. */
const MAINTENANCE_INTERVAL_MS = 60 * 60_000;

async function main(): Promise<void> {
  loadDotEnv();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const database = await openDatabase(config);
  const app = await buildApp({
    config,
    database,
    logger: loggerOptions(process.env.LOG_LEVEL ?? 'info'),
  });
  app.log.info({ driver: database.driver }, 'database ready');
  for (const warning of config.warnings) app.log.warn(warning);

  const maintenanceTimer = setInterval(() => {
    purgeExpiredIdempotencyKeys(database.db).then(
      (deleted) => deleted > 0 && app.log.info({ deleted }, 'purged expired idempotency keys'),
      (error: unknown) => app.log.warn({ err: error }, 'idempotency key purge failed'),
    );
    failAbandonedDepositStarts(database.db).then(
      (failed) => failed > 0 && app.log.warn({ failed }, 'marked deposits abandoned mid-start as failed'),
      (error: unknown) => app.log.warn({ err: error }, 'abandoned deposit sweep failed'),
    );
  }, MAINTENANCE_INTERVAL_MS);
  maintenanceTimer.unref();

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down');
    const forceExit = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    forceExit.unref();
    clearInterval(maintenanceTimer);
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
}

await main();

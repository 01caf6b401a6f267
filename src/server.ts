import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { isAbsolute, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.ts';
import type { DatabaseHandle } from './db/client.ts';
import type { Tracing } from './observability/tracing.ts';
import { describeStartupFailure } from './startup-failure.ts';

// Only what reading the configuration needs is imported up front: a start refused for a wrong
// variable then answers in a fraction of the time loading the service (Fastify, the database
// drivers, the routes) takes. The rest is imported once the configuration is known to be good.

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How often expired idempotency keys are purged and abandoned deposit starts marked failed. */
const MAINTENANCE_INTERVAL_MS = 60 * 60_000;

function readConfig(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Readable colored lines for a person at a terminal outside production; JSON lines (one object
 * each, for log shippers) in production and whenever stdout is not a terminal.
 */
async function logStream(config: Config): Promise<NodeJS.WritableStream | undefined> {
  if (config.nodeEnv === 'production' || !process.stdout.isTTY) return undefined;
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
}

/** The service's own address for people: loopback and wildcard hosts are shown as localhost. */
function baseUrl(config: Config, address: AddressInfo): string {
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(config.host);
  const host = local ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function main(): Promise<void> {
  const config = readConfig();
  // Before Fastify and pg load: the instrumentations patch them as they are imported.
  const tracing =
    config.otlpEndpoint === undefined
      ? undefined
      : (await import('./observability/tracing.ts')).startTracing(config.otlpEndpoint);
  const [{ default: pino }, { buildApp }, { openDatabase }, { loggerOptions }] = await Promise.all([
    import('pino'),
    import('./app.ts'),
    import('./db/open.ts'),
    import('./http/logging.ts'),
  ]);
  const stream = await logStream(config);
  // Before the app exists, start-up progress goes through a logger of the same level and output.
  const startupLog = pino({ level: config.logLevel }, stream ?? pino.destination({ dest: 1, sync: true }));

  let database: DatabaseHandle | undefined;
  try {
    if (config.databaseUrl === undefined && !existsSync(`${config.dataDir}/pglite`)) {
      const inside = relative(process.cwd(), config.dataDir);
      const where =
        inside === '' || inside.startsWith('..') || isAbsolute(inside) ? config.dataDir : `./${inside}`;
      startupLog.info(`creating the embedded database under ${where} (first start takes a few seconds)…`);
    }
    database = await openDatabase(config);
    const app = await buildApp({ config, database, logger: loggerOptions(config.logLevel, stream) });
    app.log.info({ driver: database.driver }, 'database ready');
    if (config.otlpEndpoint !== undefined)
      app.log.info(
        { collector: new URL(config.otlpEndpoint).origin },
        'tracing: exporting spans over OTLP/HTTP',
      );
    for (const warning of config.warnings) app.log.warn(warning);
    await serve(app, database, config, tracing);
  } catch (error) {
    const line = describeStartupFailure(error, config);
    if (line === undefined) throw error;
    process.stderr.write(`Cannot start: ${line}\n`);
    await database?.close().catch(() => {});
    process.exit(1);
  }
}

async function serve(
  app: FastifyInstance,
  database: DatabaseHandle,
  config: Config,
  tracing: Tracing | undefined,
): Promise<void> {
  const [{ purgeExpiredIdempotencyKeys }, { failAbandonedDepositStarts }] = await Promise.all([
    import('./idempotency/store.ts'),
    import('./deposits/start.ts'),
  ]);
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
    // Last, so the spans of the final requests and queries are exported too.
    await tracing?.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    clearInterval(maintenanceTimer);
    await app.close().catch(() => {});
    throw error;
  }
  const url = baseUrl(config, app.server.address() as AddressInfo);
  app.log.info(`wallet service ready: open ${url}/ · API docs ${url}/docs · sign in ${url}/auth/google`);
}

await main();

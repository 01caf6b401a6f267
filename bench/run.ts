// `npm run bench`: the service in production mode on PostgreSQL against local stand-ins for Google
// and Paystack, loaded over HTTP with autocannon, compared with pgbench on the same server at the
// same concurrency; then a check that no money was created or lost. See docs/PERFORMANCE.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../harness/free-port.ts';
import { adminQuery, databaseUrl } from '../harness/postgres.ts';
import type { PhaseResult } from './load.ts';
import { RssSampler } from './metrics.ts';
import { checkMoney, printMoney } from './money.ts';
import { type PgbenchBaselines, pgbenchBaselines } from './pgbench.ts';
import { floorPhases, servicePhases, type WalletRequests, walletRequests } from './phases.ts';
import { fmt, printPhases, printTargets } from './report.ts';
import { type ServiceProcess, startService } from './service-process.ts';
import {
  CONNECTIONS,
  CPU_PROF_DIR,
  DURATION_S,
  FUNDING_KOBO,
  KEEP_DATABASE,
  NODE_FLAGS,
  PGBENCH_SCALE,
  PGBENCH_THREADS,
  PHASES,
  SERVER_URL,
  SKIP_BUILD,
  USERS,
} from './settings.ts';
import { type StandIns, startStandIns } from './stand-ins.ts';
import { createUsers } from './users.ts';

/** The service's environment: production mode, the stand-ins as Google and Paystack. */
function serviceEnv(
  walletDbUrl: string,
  standIns: StandIns,
  secrets: { clientSecret: string; paystackSecretKey: string },
  redirectUri: string,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: walletDbUrl,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    GOOGLE_CLIENT_ID: standIns.client.clientId,
    GOOGLE_CLIENT_SECRET: secrets.clientSecret,
    GOOGLE_ISSUER: standIns.issuer,
    GOOGLE_REDIRECT_URI: redirectUri,
    PAYSTACK_SECRET_KEY: secrets.paystackSecretKey,
    PAYSTACK_BASE_URL: standIns.paystackUrl,
    // The limits' own defaults already clear this load; they are raised so a faster machine
    // cannot trip them and turn a throughput figure into a count of 429s. The limiter still
    // runs on every request, so its cost stays in the figures.
    RATE_LIMIT_WALLET_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '10000',
    // The outbox phase's receiver listens on loopback, which production otherwise refuses.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  };
}

interface ServiceRun {
  phases: PhaseResult[];
  requests: WalletRequests;
  /** The service's RSS high-water mark over its whole life, setup included. */
  overallPeakMib: number;
}

/** Starts the stand-ins and the service, sets up the users, runs the service's phases, stops both. */
async function measureService(walletDbUrl: string): Promise<ServiceRun> {
  const port = await freePort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  const redirectUri = `${serviceUrl}/auth/google/callback`;
  const secrets = {
    clientSecret: randomBytes(24).toString('base64url'),
    paystackSecretKey: `sk_test_${randomBytes(20).toString('hex')}`,
  };
  const standIns = await startStandIns({
    redirectUri,
    webhookUrl: `${serviceUrl}/wallet/paystack/webhook`,
    ...secrets,
  });
  let service: ServiceProcess | undefined;
  try {
    service = await startService({
      port,
      extraNodeFlags: [
        ...NODE_FLAGS,
        ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
      ],
      env: serviceEnv(walletDbUrl, standIns, secrets, redirectUri),
    });
    console.log(`bench: service pid ${service.pid} on ${service.url}`);
    const users = await createUsers(service, secrets.paystackSecretKey);
    console.log(`bench: ${users.length} users signed in, keyed and funded with ${FUNDING_KOBO} kobo each`);
    const requests = walletRequests(users);
    const phases = await servicePhases(service, walletDbUrl, users, requests, secrets.paystackSecretKey);
    return { phases, requests, overallPeakMib: new RssSampler(service.pid).highWaterMib() };
  } finally {
    // SIGTERM: a graceful exit is also what makes --cpu-prof write its profile.
    await service?.stop();
    await standIns.close();
  }
}

/** Creates database `name` for this run; it is dropped at the end unless `keep`. */
async function createDatabase(name: string, created: string[], keep = false): Promise<string> {
  await adminQuery(SERVER_URL, `create database "${name}"`);
  if (!keep) created.push(name);
  return databaseUrl(SERVER_URL, name);
}

async function dropDatabases(names: readonly string[]): Promise<void> {
  for (const name of names) {
    // FORCE: a connection left by a failed run must not keep a bench database alive.
    await adminQuery(SERVER_URL, `drop database if exists "${name}" with (force)`).catch((error: unknown) => {
      console.error(`bench: could not drop ${name}: ${String(error)}`);
    });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!SKIP_BUILD) {
    console.log('bench: npm run build');
    execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const walletDb = `wallet_bench_${Date.now()}`;
  const created: string[] = [];
  let moneyOk = true;
  try {
    const walletDbUrl = await createDatabase(walletDb, created, KEEP_DATABASE);
    console.log(`bench: database ${walletDb}`);
    const service = await measureService(walletDbUrl);
    const phases = [
      ...service.phases,
      ...(PHASES.has('floor') ? await floorPhases(walletDbUrl, service.requests) : []),
    ];
    const money = await checkMoney(walletDbUrl);
    let pgbench: PgbenchBaselines = {};
    if (PHASES.has('pgbench')) {
      const pgbenchDbUrl = await createDatabase(`${walletDb}_pgbench`, created);
      const options = {
        scale: PGBENCH_SCALE,
        clients: CONNECTIONS,
        threads: PGBENCH_THREADS,
        seconds: DURATION_S,
      };
      pgbench = await pgbenchBaselines(pgbenchDbUrl, options);
    }

    console.log('');
    console.log(`bench: ${CONNECTIONS} connections, ${DURATION_S} s per phase, ${USERS} users`);
    printPhases(phases, pgbench);
    printTargets(phases, pgbench, service.overallPeakMib);
    console.log('');
    printMoney(money);
    moneyOk = money.ok;
    if (KEEP_DATABASE) console.log(`bench: kept ${walletDbUrl} (BENCH_KEEP_DATABASE=1); drop it when done`);
    console.log(`bench: finished in ${fmt((Date.now() - started) / 1000)} s`);
  } finally {
    await dropDatabases(created);
  }
  if (!moneyOk) process.exitCode = 1;
}

await main();

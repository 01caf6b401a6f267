// `npm run bench:scaling`: how the ledger's size and its posting, history and balance queries
// grow from ~100k to 10M ledger entries, each timing next to pgbench's own scripts on the same
// server in the same run. See docs/SCALING.md for what it measures and what the figures mean.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, databaseUrl } from '../../harness/postgres.ts';
import { isValidWalletNumber } from '../../src/ledger/wallet-number.ts';
import { type PgbenchResult, pgbenchInit } from '../pgbench.ts';
import {
  bulkTransfers,
  type Client,
  connect,
  createPopulation,
  entryCount,
  existingPopulation,
  explainHistory,
  explainTransfer,
  functionMeanMs,
  ledgerBlockStats,
  type Population,
  type RelationSize,
  relationSizes,
  resetStats,
  transferCount,
  vacuumLedger,
} from './ledger.ts';
import { countedRun, timedRun, writeScripts } from './pgbench.ts';
import { printReport, type SizeResult } from './report.ts';

function listOf(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback).split(',').map((value) => {
    const n = Number(value.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: ${value} is not a positive integer`);
    return n;
  });
}

function numberOf(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

const SERVER_URL = process.env.SCALING_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Ledger entries (rows of ledger_entries) at which to measure; the ledger grows through them. */
const SIZES = listOf('SCALING_SIZES', '100000,1000000,10000000');
const USERS = numberOf('SCALING_USERS', 100_000);
/** Entries up to this many are written by the real wallet_transfer through pgbench; bulk SQL beyond. */
const REAL_PATH_UP_TO = numberOf('SCALING_REAL_PATH_UP_TO', 1_000_000);
const DURATION_S = numberOf('SCALING_DURATION', 20);
const REPEATS = numberOf('SCALING_REPEATS', 2);
const POSTING_CLIENTS = listOf('SCALING_CLIENTS', '2,32');
const READ_CLIENTS = listOf('SCALING_READ_CLIENTS', '32');
const PGBENCH_SCALE = numberOf('SCALING_PGBENCH_SCALE', 32);
const KEEP_DATABASE = process.env.SCALING_KEEP_DATABASE === '1';
/** Writes every figure as JSON there too, when set. */
const OUT = process.env.SCALING_OUT;
/** ₦1,000,000 per wallet, as the HTTP bench funds its users. */
const FUNDING_KOBO = 100_000_000;
/** Transfers of 1..500 kobo, as the HTTP bench sends. */
const MAX_TRANSFER_KOBO = 500;
const GROW_CLIENTS = 8;
const BULK_BATCH = 500_000;

/** Reuse the databases (`<name>` and `<name>_pgbench`) of an earlier run kept with SCALING_KEEP_DATABASE=1. */
const RESUME = process.env.SCALING_RESUME;
const ATTEMPTS = 3;

const started = Date.now();
function log(message: string): void {
  console.log(`scaling [${((Date.now() - started) / 1000).toFixed(0)} s]: ${message}`);
}

function runNodeCli(script: string, url: string): string {
  return execFileSync(process.execPath, [script], {
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'development' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The bench's one connection, opened again after the server restarted under it. */
class Session {
  client: Client | undefined;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async open(): Promise<Client> {
    await this.client?.end().catch(() => {});
    this.client = await connect(this.url);
    return this.client;
  }
  get(): Client {
    if (!this.client) throw new Error('session not open');
    return this.client;
  }
}

/**
 * Runs a step, and again (up to ATTEMPTS) when it fails: on this shared machine other work
 * restarts PostgreSQL now and then, which ends our connection and any pgbench run. Each step is
 * safe to repeat: growth counts what is there, runs are independent.
 */
async function retrying<T>(
  session: Session,
  label: string,
  step: (client: Client) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(session.get());
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      log(`${label} failed (${(error as Error).message.split('\n')[0]}); waiting for the server, then again`);
      for (let waited = 0; ; waited += 2) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        try {
          await session.open();
          break;
        } catch (connectError) {
          if (waited > 300) throw connectError;
        }
      }
    }
  }
}

/** `npm run ledger:check`, timed; throws when it fails or finds a broken invariant. */
async function ledgerCheck(url: string): Promise<{ seconds: number; cli: string }> {
  const start = Date.now();
  const output = runNodeCli('src/ledger/check-cli.ts', url);
  if (!output.includes('every invariant holds')) throw new Error(`ledger:check failed:\n${output}`);
  return { seconds: (Date.now() - start) / 1000, cli: 'npm run ledger:check passed' };
}

/** Grows the ledger to `target` entries: wallet_transfer through pgbench, then bulk SQL. */
async function grow(
  client: Client,
  url: string,
  population: Population,
  script: string,
  target: number,
): Promise<{ realPath: PgbenchResult | undefined; bulkTransfers: number; bulkSeconds: number }> {
  let current = await entryCount(client);
  let realPath: PgbenchResult | undefined;
  const realTarget = Math.min(target, REAL_PATH_UP_TO);
  if (current < realTarget) {
    const transfers = Math.ceil((realTarget - current) / 2);
    const perClient = Math.ceil(transfers / GROW_CLIENTS);
    log(
      `growing by ${perClient * GROW_CLIENTS} transfers through wallet_transfer (pgbench, ${GROW_CLIENTS} clients)`,
    );
    realPath = await countedRun(url, script, {
      clients: GROW_CLIENTS,
      transactionsPerClient: perClient,
      defines: { users: population.users },
    });
    log(`  ${realPath.transactions} transfers at ${realPath.tps.toFixed(0)}/s, ${realPath.failed} failed`);
    current = await entryCount(client);
  }
  let bulk = 0;
  const bulkStart = Date.now();
  if (current < target) {
    bulk = Math.ceil((target - current) / 2);
    log(`growing by ${bulk} transfers in bulk SQL (batches of ${BULK_BATCH})`);
    await bulkTransfers(client, population, bulk, {
      batch: BULK_BATCH,
      maxKobo: MAX_TRANSFER_KOBO,
      onBatch: (done) => log(`  ${done} / ${bulk}`),
    });
  }
  return { realPath, bulkTransfers: bulk, bulkSeconds: (Date.now() - bulkStart) / 1000 };
}

async function measureSize(
  session: Session,
  urls: { wallet: string; pgbench: string },
  population: Population,
  scripts: ReturnType<typeof writeScripts>,
  target: number,
): Promise<SizeResult> {
  const growStart = Date.now();
  const growth = await retrying(session, 'growth', (client) =>
    grow(client, urls.wallet, population, scripts.transfer, target),
  );
  log(`vacuum analyze (grown in ${((Date.now() - growStart) / 1000).toFixed(0)} s)`);
  await retrying(session, 'vacuum', vacuumLedger);
  const entries = await retrying(session, 'count', entryCount);
  log(`ledger:check at ${entries} entries`);
  const check = await retrying(session, 'ledger:check', () => ledgerCheck(urls.wallet));
  log(`  ${check.cli}; every invariant holds (${check.seconds.toFixed(1)} s)`);
  const checkSeconds = check.seconds;
  const sizes: RelationSize[] = await retrying(session, 'sizes', relationSizes);
  const transfers = await retrying(session, 'count', transferCount);
  const history = await retrying(session, 'explain', (client) => explainHistory(client, population, 21));
  const transferPlan = await retrying(session, 'explain', (client) =>
    explainTransfer(client, population, 51),
  );

  const posting: SizeResult['posting'] = [];
  for (const clients of POSTING_CLIENTS) {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const pair = await retrying(session, 'posting runs', async (client) => {
        await resetStats(client);
        log(`transfer script, ${clients} clients, ${DURATION_S} s`);
        const defines = { users: population.users };
        const transfer = await timedRun(
          urls.wallet,
          { file: scripts.transfer },
          { clients, seconds: DURATION_S, defines },
        );
        // Statistics reach the shared counters when a backend ends or goes idle; pgbench has quit.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const functionMs = await functionMeanMs(client, 'wallet_transfer');
        const blocks = await ledgerBlockStats(client);
        log(`tpcb-like, ${clients} clients, ${DURATION_S} s`);
        const tpcb = await timedRun(urls.pgbench, { builtin: 'tpcb-like' }, { clients, seconds: DURATION_S });
        log(`  transfers ${transfer.tps.toFixed(0)}/s, tpcb-like ${tpcb.tps.toFixed(0)}/s`);
        return { clients, transfer, tpcb, functionMs, blocks };
      });
      posting.push(pair);
    }
  }
  const reads: SizeResult['reads'] = [];
  for (const clients of READ_CLIENTS) {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const defines = { users: population.users, first_account: population.firstAccount };
      const run = { clients, seconds: DURATION_S, defines };
      const triple = await retrying(session, 'read runs', async () => {
        log(`history, balance and select-only, ${clients} clients, ${DURATION_S} s each`);
        const historyRun = await timedRun(urls.wallet, { file: scripts.history }, run);
        const balance = await timedRun(urls.wallet, { file: scripts.balance }, run);
        const select = await timedRun(
          urls.pgbench,
          { builtin: 'select-only' },
          { clients, seconds: DURATION_S },
        );
        log(
          `  history ${historyRun.tps.toFixed(0)}/s, balance ${balance.tps.toFixed(0)}/s, select-only ${select.tps.toFixed(0)}/s`,
        );
        return { clients, history: historyRun, balance, select };
      });
      reads.push(triple);
    }
  }
  return {
    target,
    entries,
    transfers,
    growth,
    checkSeconds,
    checkNote: check.cli,
    sizes,
    historyPlan: history,
    transferPlan,
    posting,
    reads,
  };
}

async function serverSettings(client: Client): Promise<Record<string, string>> {
  const settings: Record<string, string> = {};
  for (const name of [
    'server_version',
    'shared_buffers',
    'effective_cache_size',
    'max_wal_size',
    'synchronous_commit',
  ]) {
    const { rows } = await client.query<Record<string, string>>(`show ${name}`);
    settings[name] = Object.values(rows[0] ?? {})[0] ?? '';
  }
  return settings;
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const walletDb = RESUME ?? `scaling_${stamp}`;
  const pgbenchDb = `${walletDb}_pgbench`;
  const urls = { wallet: databaseUrl(SERVER_URL, walletDb), pgbench: databaseUrl(SERVER_URL, pgbenchDb) };
  const dir = mkdtempSync(join(tmpdir(), 'bench-scaling-'));
  const scripts = writeScripts(dir, MAX_TRANSFER_KOBO);
  const session = new Session(urls.wallet);
  log(`databases ${walletDb} and ${pgbenchDb}; sizes ${SIZES.join(', ')} entries; ${USERS} users`);
  try {
    let population: Population;
    if (RESUME) {
      await session.open();
      population = await existingPopulation(session.get());
      log(`resuming: ${population.users} users, ${await entryCount(session.get())} entries`);
    } else {
      await adminQuery(SERVER_URL, `create database ${walletDb}`);
      await adminQuery(SERVER_URL, `create database ${pgbenchDb}`);
      // Per-function server time for wallet_transfer (pg_stat_user_functions).
      await adminQuery(SERVER_URL, `alter database ${walletDb} set track_functions = 'all'`);
      log('migrate');
      runNodeCli('src/db/migrate-cli.ts', urls.wallet);
      log(`pgbench -i -s ${PGBENCH_SCALE}`);
      await pgbenchInit(urls.pgbench, PGBENCH_SCALE, 20 * 60_000);
      await session.open();
      log(`${USERS} users with a funded wallet each (deposit_credit)`);
      population = await createPopulation(session.get(), USERS, FUNDING_KOBO);
    }
    const sample = await session
      .get()
      .query<{ w: string }>(`select scaling_wallet_number(n) as w from generate_series(1, 1000) n`);
    if (!sample.rows.every((row) => isValidWalletNumber(row.w))) {
      throw new Error('a bench wallet number fails Luhn');
    }
    const settings = await serverSettings(session.get());

    const results: SizeResult[] = [];
    for (const size of SIZES) results.push(await measureSize(session, urls, population, scripts, size));
    const totalSeconds = (Date.now() - started) / 1000;
    const users = population.users;
    printReport({ settings, users, durationS: DURATION_S, repeats: REPEATS, totalSeconds, results });
    if (OUT) writeFileSync(OUT, `${JSON.stringify({ settings, users, results }, null, 2)}\n`);
  } finally {
    await session.client?.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    if (KEEP_DATABASE) {
      log(`kept ${walletDb} and ${pgbenchDb}; drop them yourself`);
    } else {
      await adminQuery(SERVER_URL, `drop database if exists ${walletDb} with (force)`);
      await adminQuery(SERVER_URL, `drop database if exists ${pgbenchDb} with (force)`);
    }
  }
}

await main();

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Database, openPostgres, queryRows } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import * as schema from '../src/db/schema.ts';
import { creditDeposit } from '../src/ledger/deposits.ts';
import { transfer } from '../src/ledger/transfer.ts';
import { createTestDatabase, onPostgres, openEmptyPglite } from './support/database.ts';
import { expectLedgerConsistent } from './support/ledger.ts';
import { timeoutForStarts } from './support/service-process.ts';

const run = promisify(execFile);

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../src/db/migrations', import.meta.url));
const FUNCTIONS_FOLDER = fileURLToPath(new URL('../src/ledger/sql', import.meta.url));
const FUNCTION_FILES = readdirSync(FUNCTIONS_FOLDER)
  .filter((name) => name.endsWith('.sql'))
  .sort();
/** `20_wallet_transfer.sql` defines `wallet_transfer`, as the first test checks. */
const functionOf = (file: string) => file.slice(3, -'.sql'.length);
/** A database as the release at cf90d2a left it; see test/fixtures/dump-release-database.sh. */
const RELEASE_DUMP = readFileSync(new URL('./fixtures/release-cf90d2a.sql', import.meta.url), 'utf8');
const RELEASE_MIGRATION_COUNT = 7;
/** Numbered migrations written since that release: an upgrade applies them before the function files. */
const MIGRATIONS_SINCE_RELEASE: string[] = JSON.parse(
  readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
)
  .entries.slice(RELEASE_MIGRATION_COUNT)
  .map((entry: { tag: string }) => entry.tag);
/** The system accounts migrations make: the sub-accounts of Paystack's clearing and of held withdrawals (0012). */
const CLEARING_SUB_ACCOUNTS = Array.from({ length: 16 }, (_, n) => `paystack:clearing:${n}`);
const SYSTEM_ACCOUNTS = [
  ...CLEARING_SUB_ACCOUNTS,
  ...Array.from({ length: 16 }, (_, n) => `withdrawals:in_flight:${n}`),
].sort();
// Users in the fixture: that release's ledger functions credited Ada a deposit and sent Bola part.
const ADA = '00000000-0000-4000-8000-00000000000a';
const BOLA_WALLET = '1000000000025';

async function withFreshPostgresDatabase(use: (url: string) => Promise<void>): Promise<void> {
  const serverUrl = process.env.DATABASE_URL as string;
  const name = `wallet_migrate_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await use(url.toString());
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

function migrateCli(url: string) {
  return run(process.execPath, ['src/db/migrate-cli.ts'], {
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) },
  });
}

async function loadReleaseDump(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(RELEASE_DUMP);
  } finally {
    await client.end();
  }
}

/** A database restored from the release dump, on PostgreSQL when the suite runs there, else PGlite. */
async function withReleaseDatabase(use: (db: Database) => Promise<void>): Promise<void> {
  if (onPostgres) {
    await withFreshPostgresDatabase(async (url) => {
      await loadReleaseDump(url);
      const handle = await openPostgres(url);
      try {
        await use(handle.db);
      } finally {
        await handle.close();
      }
    });
    return;
  }
  const handle = await openEmptyPglite();
  try {
    // Drizzle keeps the driver's client as `$client`: the dump is a script of many statements.
    const client = (handle.db as unknown as { $client: PGlite }).$client;
    await client.exec(RELEASE_DUMP);
    // The dump's SETs (an empty search_path among them) would otherwise outlive it in this session.
    await client.exec('RESET ALL');
    await use(drizzle(client, { schema }) as unknown as Database);
  } finally {
    await handle.close();
  }
}

/** A function's body as the database holds it. */
async function functionSource(db: Database, name: string): Promise<string | undefined> {
  const [row] = await queryRows<{ prosrc: string }>(
    db,
    sql`select prosrc from pg_proc where proname = ${name}`,
  );
  return row?.prosrc;
}

/** The body of the function a file defines: the text between its dollar quotes. */
function fileSource(text: string): string {
  return text.slice(text.indexOf('$$') + 2, text.lastIndexOf('$$'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The public schema, one line per column, constraint, index and function (its body as a digest):
 * equal for two databases whose tables and functions are the same.
 */
async function schemaOutline(db: Database): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    db,
    sql`select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                 || ' ' || coalesce(column_default, '') as line
          from information_schema.columns where table_schema = 'public'
        union all
        select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
          from pg_constraint where connamespace = 'public'::regnamespace
        union all
        select 'index ' || indexdef from pg_indexes where schemaname = 'public'
        union all
        select 'function ' || proname || '(' || pg_get_function_arguments(oid) || ') '
                 || pg_get_function_result(oid) || ' ' || md5(prosrc)
          from pg_proc where pronamespace = 'public'::regnamespace
        order by 1`,
  );
  return rows.map((row) => row.line);
}

async function recordedFunctions(db: Database): Promise<Record<string, string>> {
  const rows = await queryRows<{ name: string; hash: string }>(
    db,
    sql`select name, hash from schema_functions order by name`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.hash]));
}

/** Copies of the shipped folders, for tests that change them. */
function withFolderCopies(
  use: (copies: { migrationsFolder: string; functionsFolder: string }) => Promise<void>,
) {
  const root = mkdtempSync(join(tmpdir(), 'wallet-migrations-'));
  const copies = { migrationsFolder: join(root, 'migrations'), functionsFolder: join(root, 'functions') };
  cpSync(MIGRATIONS_FOLDER, copies.migrationsFolder, { recursive: true });
  cpSync(FUNCTIONS_FOLDER, copies.functionsFolder, { recursive: true });
  return use(copies).finally(() => rmSync(root, { recursive: true, force: true }));
}

// The concurrent start spawns three migrators.
describe('migrations', { timeout: timeoutForStarts(1) }, () => {
  it('apply once and then find nothing to do', async () => {
    const handle = await openEmptyPglite();
    try {
      expect((await runMigrations(handle.db)).length).toBeGreaterThanOrEqual(4);
      expect(await runMigrations(handle.db)).toEqual([]);
      const [clearing] = await queryRows<{ count: number }>(
        handle.db,
        sql`select count(*)::int as count from accounts where system_code like 'paystack:clearing:%'`,
      );
      expect(clearing?.count).toBe(CLEARING_SUB_ACCOUNTS.length);
    } finally {
      await handle.close();
    }
  });

  it.skipIf(!onPostgres)('are safe when two processes start on an empty database at once', async () => {
    await withFreshPostgresDatabase(async (url) => {
      const outputs = await Promise.all([migrateCli(url), migrateCli(url), migrateCli(url)]);
      const messages = outputs.map((output) => output.stdout.trim()).sort();
      expect(messages.filter((m) => /^Applied \d+ migration/.test(m))).toHaveLength(1);
      expect(messages.filter((m) => m === 'Database schema is up to date')).toHaveLength(2);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query('select count(*)::int as count from schema_migrations');
        const system = await client.query(
          `select system_code from accounts where kind = 'system' order by system_code`,
        );
        expect(rows[0].count).toBeGreaterThanOrEqual(4);
        // One of each, though three migrators ran.
        expect(system.rows.map((row) => row.system_code).sort()).toEqual(SYSTEM_ACCOUNTS);
      } finally {
        await client.end();
      }
    });
  });
});

describe('database function files', () => {
  it('define each function once, with CREATE OR REPLACE, and no numbered migration defines one', () => {
    const definition = /\bcreate\s+(or\s+replace\s+)?function\s+(\w+)/i;
    const definitions = new RegExp(definition, 'gi');
    const defined: string[] = [];
    for (const file of FUNCTION_FILES) {
      const matches = [...readFileSync(join(FUNCTIONS_FOLDER, file), 'utf8').matchAll(definitions)];
      expect(
        matches.map((match) => Boolean(match[1])),
        file,
      ).toEqual([true]);
      defined.push(matches[0]?.[2] ?? '');
      // The two-digit prefix orders the files; the rest of the name is the function's.
      expect(file).toMatch(/^\d\d_/);
      expect(functionOf(file)).toBe(defined.at(-1));
    }
    expect(new Set(defined).size).toBe(defined.length);
    expect(defined).toEqual(expect.arrayContaining(['ledger_post', 'wallet_transfer', 'deposit_credit']));
    for (const file of readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql'))) {
      expect(readFileSync(join(MIGRATIONS_FOLDER, file), 'utf8'), file).not.toMatch(definition);
    }
  });

  it('are applied again, alone, when one changes', async () => {
    await withFolderCopies(async (folders) => {
      const handle = await openEmptyPglite();
      try {
        const first = await runMigrations(handle.db, folders);
        expect(first.slice(-FUNCTION_FILES.length)).toEqual(FUNCTION_FILES);

        const path = join(folders.functionsFolder, '20_wallet_transfer.sql');
        const edited = readFileSync(path, 'utf8').replace(
          "'wallet_transfer: self transfer'",
          "'wallet_transfer: a transfer to oneself'",
        );
        writeFileSync(path, edited);
        expect(await runMigrations(handle.db, folders)).toEqual(['20_wallet_transfer.sql']);
        expect(await functionSource(handle.db, 'wallet_transfer')).toBe(fileSource(edited));
        expect((await recordedFunctions(handle.db))['20_wallet_transfer.sql']).toBe(sha256(edited));
        expect(await runMigrations(handle.db, folders)).toEqual([]);
      } finally {
        await handle.close();
      }
    });
  });

  it('are all applied again after a numbered migration, which may have dropped one', async () => {
    await withFolderCopies(async (folders) => {
      const handle = await openEmptyPglite();
      try {
        await runMigrations(handle.db, folders);
        const journalPath = join(folders.migrationsFolder, 'meta', '_journal.json');
        const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
        journal.entries.push({
          idx: 7,
          version: '7',
          when: 1_900_000_000_000,
          tag: '0007_drop',
          breakpoints: true,
        });
        writeFileSync(journalPath, JSON.stringify(journal));
        writeFileSync(
          join(folders.migrationsFolder, '0007_drop.sql'),
          'DROP FUNCTION wallet_transfer(uuid, text, bigint, text);',
        );
        expect(await runMigrations(handle.db, folders)).toEqual(['0007_drop', ...FUNCTION_FILES]);
        expect(await functionSource(handle.db, 'wallet_transfer')).toBeDefined();
      } finally {
        await handle.close();
      }
    });
  });
});

describe('upgrading a database migrated by the release at cf90d2a', { timeout: timeoutForStarts(1) }, () => {
  it('applies the function files once and nothing else, keeps the data, and money still moves', async () => {
    await withReleaseDatabase(async (db) => {
      expect(await runMigrations(db)).toEqual([...MIGRATIONS_SINCE_RELEASE, ...FUNCTION_FILES]);

      const migrations = await queryRows<{ created_at: string }>(
        db,
        sql`select created_at from schema_migrations order by created_at`,
      );
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
      expect(migrations.map((row) => Number(row.created_at))).toEqual(
        journal.entries.map((entry: { when: number }) => entry.when),
      );
      expect(migrations).toHaveLength(RELEASE_MIGRATION_COUNT + MIGRATIONS_SINCE_RELEASE.length);
      const fresh = await createTestDatabase();
      try {
        // Trimmed migrations plus function files build what the release's migrations built.
        expect(await schemaOutline(db)).toEqual(await schemaOutline(fresh.handle.db));
      } finally {
        await fresh.drop();
      }
      const systemAccounts = await queryRows<{ system_code: string }>(
        db,
        sql`select system_code from accounts where kind = 'system' order by system_code`,
      );
      expect(systemAccounts.map((row) => row.system_code).sort()).toEqual(SYSTEM_ACCOUNTS);

      const files = FUNCTION_FILES.map((file) => readFileSync(join(FUNCTIONS_FOLDER, file), 'utf8'));
      expect(await recordedFunctions(db)).toEqual(
        Object.fromEntries(FUNCTION_FILES.map((file, i) => [file, sha256(files[i] ?? '')])),
      );
      for (const [i, file] of FUNCTION_FILES.entries()) {
        expect(await functionSource(db, functionOf(file))).toBe(fileSource(files[i] ?? ''));
      }

      // The release left Ada 400,000 kobo, Bola 100,000 and a pending deposit of 20,000 for Bola.
      const sent = await transfer(db, {
        senderUserId: ADA,
        recipientWalletNumber: BOLA_WALLET,
        amount: 2_500n,
      });
      expect(sent.balance).toBe(397_500n);
      await db.transaction(async (tx) => {
        const [claimed] = await tx
          .update(schema.deposits)
          .set({ status: 'success' })
          .where(
            sql`${schema.deposits.reference} = 'dep-fixture-pending' and ${schema.deposits.status} = 'pending'`,
          )
          .returning({ id: schema.deposits.id });
        if (!claimed) throw new Error('the fixture has no pending deposit');
        await creditDeposit(tx, claimed.id);
      });
      const balances = await queryRows<{ wallet_number: string; balance: string }>(
        db,
        sql`select w.wallet_number, a.balance from wallets w join accounts a on a.id = w.account_id
             order by w.wallet_number`,
      );
      expect(balances.map((row) => [row.wallet_number, BigInt(row.balance)])).toEqual([
        ['1000000000017', 397_500n],
        [BOLA_WALLET, 122_500n],
      ]);
      await expectLedgerConsistent(db);

      expect(await runMigrations(db)).toEqual([]);
    });
  });

  it.skipIf(!onPostgres)('is done by one of three processes starting at once', async () => {
    await withFreshPostgresDatabase(async (url) => {
      await loadReleaseDump(url);
      const outputs = await Promise.all([migrateCli(url), migrateCli(url), migrateCli(url)]);
      expect(outputs.map((output) => output.stdout.trim()).sort()).toEqual([
        `Applied ${MIGRATIONS_SINCE_RELEASE.length + FUNCTION_FILES.length} migration(s)`,
        'Database schema is up to date',
        'Database schema is up to date',
      ]);
    });
  });
});

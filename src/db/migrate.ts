import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { type Database, queryRows, type Transaction } from './client.ts';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
/** The ledger's database functions; `npm run build` copies them next to the compiled code. */
const FUNCTIONS_FOLDER = fileURLToPath(new URL('../ledger/sql', import.meta.url));
/** Arbitrary constant naming this service's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_202_611_28;

export interface MigrationFolders {
  /** drizzle-kit's output: `meta/_journal.json` and one `<tag>.sql` per migration. */
  migrationsFolder?: string;
  /** One `CREATE OR REPLACE FUNCTION` statement per `.sql` file, applied in file-name order. */
  functionsFolder?: string;
}

/**
 * Brings the database schema up to date in one transaction under an advisory lock, so a second
 * instance starting at the same moment waits for the first and then finds nothing left to do:
 *
 * 1. the numbered migrations (tables, indexes, seed rows) that this database has not seen, in
 *    journal order. A migration is known by its journal timestamp (`when`, stored as
 *    `schema_migrations.created_at`), not by its content, so an applied file may later be trimmed
 *    (function bodies moved out of them) without being applied again;
 * 2. the function files whose content hash differs from the one recorded in `schema_functions`
 *    (a repeatable migration), in file-name order: a file's two-digit prefix is higher than those
 *    of the files defining functions it calls. When a numbered migration ran, every function file
 *    is applied again, since such a migration may drop a function (to change its signature, which
 *    `CREATE OR REPLACE` cannot). On a fresh database the functions come after all numbered
 *    migrations, so a numbered migration must not call them.
 *
 * Returns what it applied, in order: numbered migrations by journal tag (`0001_ledger`),
 * function files by file name (`10_ledger_post.sql`); empty when the schema was up to date.
 * The folders default to the ones shipped with the code. Throws the database's error, having
 * applied nothing, when any statement fails.
 */
export async function runMigrations(db: Database, folders: MigrationFolders = {}): Promise<string[]> {
  const migrations = readNumberedMigrations(folders.migrationsFolder ?? MIGRATIONS_FOLDER);
  const functionFiles = readFunctionFiles(folders.functionsFolder ?? FUNCTIONS_FOLDER);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await prepareBookkeeping(tx);

    const applied = await queryRows<{ created_at: string }>(
      tx,
      sql`select created_at from schema_migrations`,
    );
    const appliedTimes = new Set(applied.map((row) => Number(row.created_at)));
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      if (appliedTimes.has(migration.createdAt)) continue;
      for (const statement of migration.statements) {
        if (statement.trim() !== '') await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into schema_migrations (created_at, hash) values (${migration.createdAt}, ${migration.hash})`,
      );
      newlyApplied.push(migration.tag);
    }

    const recorded = await queryRows<{ name: string; hash: string }>(
      tx,
      sql`select name, hash from schema_functions`,
    );
    const recordedHashes = new Map(recorded.map((row) => [row.name, row.hash]));
    const reapplyAll = newlyApplied.length > 0;
    for (const file of functionFiles) {
      if (!reapplyAll && recordedHashes.get(file.name) === file.hash) continue;
      await tx.execute(sql.raw(file.sql));
      await tx.execute(sql`
        insert into schema_functions (name, hash) values (${file.name}, ${file.hash})
        on conflict (name) do update set hash = excluded.hash, applied_at = now()`);
      newlyApplied.push(file.name);
    }
    // Records of files no longer in the folder (removed or renamed) go, so that a file given that
    // name again is applied even when its content matches the old record.
    const fileNames = new Set(functionFiles.map((file) => file.name));
    for (const name of recordedHashes.keys()) {
      if (!fileNames.has(name)) await tx.execute(sql`delete from schema_functions where name = ${name}`);
    }
    return newlyApplied;
  });
}

/**
 * Creates the two bookkeeping tables when missing. Releases up to commit cf90d2a keyed
 * `schema_migrations` by content hash; such a table is re-keyed by `created_at`, so that two
 * migrations may have the same content (two trimmed to a comment, say).
 */
async function prepareBookkeeping(tx: Transaction): Promise<void> {
  await tx.execute(sql`
    create table if not exists schema_migrations (
      created_at bigint primary key,
      hash text not null,
      applied_at timestamptz not null default now()
    )`);
  const keyColumns = await queryRows<{ name: string }>(
    tx,
    sql`select a.attname as name
          from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
         where i.indrelid = 'schema_migrations'::regclass and i.indisprimary`,
  );
  if (keyColumns.some((column) => column.name === 'hash')) {
    await tx.execute(sql`
      alter table schema_migrations
        drop constraint schema_migrations_pkey,
        add constraint schema_migrations_pkey primary key (created_at)`);
  }
  await tx.execute(sql`
    create table if not exists schema_functions (
      name text primary key,
      hash text not null,
      applied_at timestamptz not null default now()
    )`);
}

interface NumberedMigration {
  /** The journal's name for it, such as `0001_ledger`. */
  tag: string;
  /** The journal's `when` (milliseconds since the epoch): the migration's identity. */
  createdAt: number;
  statements: string[];
  /** SHA-256 of the file's bytes, hex, as drizzle's migrator computes it; recorded, not compared. */
  hash: string;
}

/** drizzle-kit's format: the journal lists the migrations in order; statements are split by breakpoints. */
function readNumberedMigrations(folder: string): NumberedMigration[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { when: number; tag: string }[];
  };
  return journal.entries.map((entry) => {
    const text = readFileSync(join(folder, `${entry.tag}.sql`), 'utf8');
    return {
      tag: entry.tag,
      createdAt: entry.when,
      statements: text.split('--> statement-breakpoint'),
      hash: sha256(text),
    };
  });
}

interface FunctionFile {
  name: string;
  sql: string;
  /** SHA-256 of the file's bytes, hex. */
  hash: string;
}

function readFunctionFiles(folder: string): FunctionFile[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => {
      const text = readFileSync(join(folder, name), 'utf8');
      return { name, sql: text, hash: sha256(text) };
    });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

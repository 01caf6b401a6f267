import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { type Database, queryRows, type Transaction } from './client.ts';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
/** Arbitrary constant naming this service's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_202_611_28;

/**
 * Applies the committed SQL migrations that this database has not seen, in journal order, in one
 * transaction under an advisory lock: a second instance starting at the same moment waits for
 * the first and then finds nothing left to do. A migration is known by its journal timestamp
 * (`when`, stored as `schema_migrations.created_at`), not by its content, so an applied file may
 * later be trimmed without being applied again.
 *
 * Returns the journal tags (`0001_ledger`) of the migrations it applied, in order; empty when the
 * schema was up to date. Throws the database's error, having applied nothing, when any statement
 * fails.
 */
export async function runMigrations(db: Database): Promise<string[]> {
  const migrations = readNumberedMigrations(MIGRATIONS_FOLDER);
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
    return newlyApplied;
  });
}

/**
 * Creates the bookkeeping table when missing. Releases up to commit cf90d2a keyed
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

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

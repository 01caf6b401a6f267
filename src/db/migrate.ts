import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { type Database, queryRows } from './client.ts';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
/** Arbitrary constant naming this service's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_202_611_28;

/**
 * Applies the committed SQL migrations that this database has not seen, in order, in one
 * transaction under an advisory lock: a second instance starting at the same moment waits for
 * the first and then finds nothing left to do.
 */
export async function runMigrations(db: Database): Promise<string[]> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`
      create table if not exists schema_migrations (
        hash text primary key,
        created_at bigint not null,
        applied_at timestamptz not null default now()
      )`);
    const applied = await queryRows<{ hash: string }>(tx, sql`select hash from schema_migrations`);
    const appliedHashes = new Set(applied.map((row) => row.hash));
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      if (appliedHashes.has(migration.hash)) continue;
      for (const statement of migration.sql) {
        if (statement.trim() !== '') await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into schema_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
      newlyApplied.push(migration.hash);
    }
    return newlyApplied;
  });
}

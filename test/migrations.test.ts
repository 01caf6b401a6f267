import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPglite, queryRows } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { onPostgres } from './support/database.ts';
import { timeoutForStarts } from './support/service-process.ts';

const run = promisify(execFile);

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

// The concurrent start spawns three migrators.
describe('migrations', { timeout: timeoutForStarts(1) }, () => {
  it('apply once and then find nothing to do', async () => {
    const handle = await openPglite('memory://');
    try {
      expect((await runMigrations(handle.db)).length).toBeGreaterThanOrEqual(4);
      expect(await runMigrations(handle.db)).toEqual([]);
      const [clearing] = await queryRows<{ count: number }>(
        handle.db,
        sql`select count(*)::int as count from accounts where system_code = 'paystack:clearing'`,
      );
      expect(clearing?.count).toBe(1);
    } finally {
      await handle.close();
    }
  });

  it.skipIf(!onPostgres)('are safe when two processes start on an empty database at once', async () => {
    await withFreshPostgresDatabase(async (url) => {
      const migrate = () =>
        run(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts'], {
          env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) },
        });
      const outputs = await Promise.all([migrate(), migrate(), migrate()]);
      const messages = outputs.map((output) => output.stdout.trim()).sort();
      expect(messages.filter((m) => /^Applied \d+ migration/.test(m))).toHaveLength(1);
      expect(messages.filter((m) => m === 'Database schema is up to date')).toHaveLength(2);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query('select count(*)::int as count from schema_migrations');
        const clearing = await client.query(
          `select count(*)::int as count from accounts where kind = 'system'`,
        );
        expect(rows[0].count).toBeGreaterThanOrEqual(4);
        expect(clearing.rows[0].count).toBe(1);
      } finally {
        await client.end();
      }
    });
  });
});

// vitest's globalSetup: migrates one database per run, before any test file starts, so that each
// test file's fresh database is a copy of it instead of a new database migrated from scratch. On
// PGlite most of that cost is initdb (seconds per database), which a copied data directory skips;
// on PostgreSQL, `CREATE DATABASE … TEMPLATE` copies files instead of replaying every migration.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { adminQuery, databaseUrl } from '../../harness/postgres.ts';
import { openPglite, openPostgres } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import type { DatabaseTemplate } from './database.ts';

/** A PGlite data directory, migrated or not, dumped so that copies skip initdb. */
async function pgliteDump(migrate: boolean): Promise<Blob> {
  const handle = await openPglite('memory://');
  try {
    if (migrate) await runMigrations(handle.db);
    // Drizzle keeps the driver's client as `$client`; only PGlite can dump its data directory.
    const client = (handle.db as unknown as { $client: PGlite }).$client;
    // Every copy starts a PostgreSQL of its own, and 128 MB of shared buffers made up half of that
    // start (1.2 s against 0.75 s with 16 MB here): a test's few rows need far less.
    await client.exec(`alter system set shared_buffers = '16MB'`);
    // A checkpoint last, so each copy starts without replaying the migrations' WAL.
    await client.exec('checkpoint');
    return await client.dumpDataDir('none');
  } finally {
    await handle.close();
  }
}

async function pgliteTemplate(): Promise<{ template: DatabaseTemplate; remove(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'wallet-test-template-'));
  const dumpPath = join(directory, 'pgdata.tar');
  const emptyDumpPath = join(directory, 'empty-pgdata.tar');
  await writeFile(dumpPath, new Uint8Array(await (await pgliteDump(true)).arrayBuffer()));
  // For the tests of the migrator itself, which start from a database with nothing in it.
  await writeFile(emptyDumpPath, new Uint8Array(await (await pgliteDump(false)).arrayBuffer()));
  return {
    template: { driver: 'pglite', dumpPath, emptyDumpPath },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

async function postgresTemplate(
  serverUrl: string,
): Promise<{ template: DatabaseTemplate; remove(): Promise<void> }> {
  const name = `wallet_template_${randomBytes(6).toString('hex')}`;
  // FORCE: a test that failed with a connection open must not keep the template alive.
  const remove = () => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`);
  await adminQuery(serverUrl, `create database "${name}"`);
  try {
    // Closed before any test runs: PostgreSQL copies a template only while nobody is connected to it.
    const handle = await openPostgres(databaseUrl(serverUrl, name));
    try {
      await runMigrations(handle.db);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { template: { driver: 'postgres', name }, remove };
}

/**
 * Builds the migrated template (a PGlite dump in a temporary directory, or a database next to
 * the one `DATABASE_URL` names), hands it to the test workers as `databaseTemplate`, and returns
 * the teardown that removes it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  const { template, remove } = serverUrl ? await postgresTemplate(serverUrl) : await pgliteTemplate();
  project.provide('databaseTemplate', template);
  return remove;
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { signInUser } from '../src/auth/users.ts';
import { type DatabaseHandle, openPostgres, queryRows } from '../src/db/client.ts';
import { createEndpoint } from '../src/notifications/endpoints.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.ts';
import { quietPeriod, waitFor } from './support/wait.ts';

// Two instances of the service (two apps, each with its own connection pool) on one PostgreSQL
// database, as two processes behind a load balancer would be: their workers share the outbox and
// the deliveries through the database alone.

const EVENTS = 1_000;

describe.skipIf(!onPostgres)('two instances on one database', () => {
  let database: TestDatabase;
  let second: DatabaseHandle;
  const apps: FastifyInstance[] = [];
  let receiver: Server;
  let url: string;
  /** Every request received: its webhook-id, and whether its signature verified. */
  const received: { id: string; verified: boolean }[] = [];
  let secret = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    second = await openPostgres(database.url as string);
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let verified = true;
        try {
          new Webhook(secret).verify(
            Buffer.concat(chunks).toString(),
            request.headers as Record<string, string>,
          );
        } catch {
          verified = false;
        }
        received.push({ id: String(request.headers['webhook-id']), verified });
        // A few milliseconds of work, so sends of both instances overlap.
        setTimeout(() => response.end(), Math.floor(Math.random() * 4));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const config = testConfig();
    for (const handle of [database.handle, second]) {
      apps.push(await buildApp({ config, database: handle, webhooks: { pollIntervalMs: 20 } }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await second?.close();
    await database?.drop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it(`deliver ${EVENTS} events once each, none missed, none sent twice`, async () => {
    const db = database.handle.db;
    const user = await signInUser(db, {
      subject: 'sub-instances',
      email: 'instances@example.com',
      name: null,
    });
    const endpoint = await createEndpoint(db, { userId: user.id, url }, { allowPrivateUrls: true });
    secret = endpoint.secret;
    const started = Date.now();
    await db.execute(
      sql`select outbox_emit(${user.id}::uuid, 'transfer.received', jsonb_build_object('n', n))
            from generate_series(1, ${EVENTS}) n`,
    );
    await waitFor(() => received.length >= EVENTS, 120_000);
    const elapsedMs = Date.now() - started;
    // Anything sent twice would arrive within the lease; the workers keep polling meanwhile.
    await quietPeriod(1_000);

    const ids = received.map((hit) => hit.id);
    expect(received).toHaveLength(EVENTS);
    expect(new Set(ids).size).toBe(EVENTS);
    expect(received.every((hit) => hit.verified)).toBe(true);
    const [rows] = await queryRows<{ delivered: number; single: number; events: number }>(
      db,
      sql`select count(*) filter (where status = 'delivered')::int as delivered,
                 count(*) filter (where attempt = 1)::int as single,
                 (select count(*) from outbox_events where dispatched_at is not null)::int as events
            from webhook_deliveries`,
    );
    expect(rows).toEqual({ delivered: EVENTS, single: EVENTS, events: EVENTS });

    const metrics = await Promise.all(apps.map((app) => app.webhookWorker.metrics()));
    const delivered = metrics.map((figures) => figures.outcomes.delivered);
    expect(delivered[0] as number).toBeGreaterThan(0);
    expect(delivered[1] as number).toBeGreaterThan(0);
    expect((delivered[0] as number) + (delivered[1] as number)).toBe(EVENTS);
    expect(metrics.reduce((sum, figures) => sum + figures.dispatchedEvents, 0)).toBe(EVENTS);
    expect(metrics.every((figures) => figures.outcomes.lost === 0 && figures.errors === 0)).toBe(true);
    console.info(`${EVENTS} deliveries by two instances in ${elapsedMs} ms: ${delivered.join(' + ')}`);
  });
});

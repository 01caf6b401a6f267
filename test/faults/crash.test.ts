import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { startTestPaystack, type TestPaystack } from '../support/paystack.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import {
  createFundedUsers,
  deliverChargeSuccess,
  driveTransfers,
  expectOneTransferPerKey,
  faultServiceEnv,
  sendTransfer,
  sleep,
  type WebhookDelivery,
} from './support.ts';

const DEPOSITS = 60;

let database: TestDatabase;
let paystack: TestPaystack;

beforeAll(async () => {
  database = await createTestDatabase();
  paystack = await startTestPaystack();
});
afterAll(async () => {
  await paystack.close();
  await database.drop();
});

function serviceEnv(): Record<string, string> {
  return faultServiceEnv(database.url as string, paystack);
}

describe('kill -9 under load', () => {
  it('reflects every answered transfer and webhook once; retries of interrupted ones do the work once', async () => {
    const env = serviceEnv();
    const users = await createFundedUsers(database.handle.db, 12, 10_000_000);
    let service: ServiceProcess = await startServiceProcess({ env });
    const port = service.port;

    // Pending deposits whose charge.success webhooks arrive, twice each, while the service dies.
    const deposits: { reference: string; amount: number }[] = [];
    for (let i = 0; i < DEPOSITS; i++) {
      const user = users[i % users.length] as (typeof users)[number];
      const response = await fetch(`${service.url}/wallet/deposit`, {
        method: 'POST',
        headers: { authorization: user.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 1_000 + i }),
      });
      expect(response.status).toBe(201);
      deposits.push({
        reference: ((await response.json()) as { reference: string }).reference,
        amount: 1_000 + i,
      });
    }
    const webhookQueue = [...deposits, ...deposits];
    const deliveries: WebhookDelivery[] = [];

    const stop = sleep(1_500)
      .then(() => service.crash())
      .then(() => sleep(300));
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    const webhookWorkers = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = webhookQueue.shift(); next && !stopped; next = webhookQueue.shift()) {
          deliveries.push(await deliverChargeSuccess(service.url, paystack.secretKey, next));
          await sleep(40);
        }
      }),
    );
    const attempts = await driveTransfers(() => service.url, users, 28, stop, 'crash');
    await webhookWorkers;
    service = await startServiceProcess({ env, port });
    try {
      const answered = attempts.filter((a) => a.status !== undefined);
      const interrupted = attempts.filter((a) => a.status === undefined);
      expect(answered.length).toBeGreaterThan(50);
      expect(interrupted.length).toBeGreaterThan(0);
      expect(answered.every((a) => a.status === 200)).toBe(true);

      const retries = await Promise.all(interrupted.map((a) => sendTransfer(service.url, a)));
      expect(retries.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);

      const references = [...answered, ...retries].map((a) => a.response?.reference as string);
      expect(new Set(references).size).toBe(references.length);

      const db = database.handle.db;
      await expectOneTransferPerKey(db, references);

      // Webhooks: every answer before the crash was a 200; then, as Paystack does, every event is
      // delivered again (late duplicates for some, the first 200 for others) and each deposit is
      // credited exactly once.
      expect(deliveries.filter((d) => d.status === 200).length).toBeGreaterThan(0);
      expect(deliveries.filter((d) => d.status !== undefined && d.status !== 200)).toEqual([]);
      const redeliveries = await Promise.all(
        deposits.map((deposit) => deliverChargeSuccess(service.url, paystack.secretKey, deposit)),
      );
      expect(redeliveries.filter((d) => d.status !== 200)).toEqual([]);
      const [credited] = await queryRows<{ success: number; credits: number }>(
        db,
        sql`select (select count(*)::int from deposits d where d.status = 'success' and d.amount < 10000000) as success,
                   (select count(*)::int from ledger_transactions t join deposits d on d.reference = t.reference
                     where d.amount < 10000000) as credits`,
      );
      expect(credited).toEqual({ success: DEPOSITS, credits: DEPOSITS });
      const replayed = retries.filter((r) => r.replayed).length;
      console.info(
        `crash: ${answered.length} transfers answered before kill -9, ${interrupted.length} interrupted ` +
          `(${replayed} had committed and were replayed, ${interrupted.length - replayed} ran on retry); ` +
          `${deliveries.length} webhooks before the crash, ${DEPOSITS} deposits credited once`,
      );
      await expectLedgerConsistent(db);
    } finally {
      await service.stop();
    }
  });

  it('lets a retry take over a deposit start killed while Paystack was answering', async () => {
    const env = serviceEnv();
    const [user] = await createFundedUsers(database.handle.db, 1, 1_000);
    if (!user) throw new Error('no user');
    const db = database.handle.db;
    const key = `killed-start-${Date.now()}`;
    const start = (url: string) =>
      fetch(`${url}/wallet/deposit`, {
        method: 'POST',
        headers: {
          authorization: user.authorization,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ amount: 4_321 }),
      });
    const pendingWithoutUrl = () =>
      queryRows<{ reference: string; status: string; failure_reason: string | null }>(
        db,
        sql`select reference, status, failure_reason from deposits where amount = 4321 and authorization_url is null`,
      );

    let service: ServiceProcess = await startServiceProcess({ env });
    const port = service.port;
    paystack.behaviour.api = 'slow';
    paystack.behaviour.slowMs = 5_000;
    const interrupted = start(service.url).then(
      (response) => response.status,
      () => undefined,
    );
    // Killed once the claim has committed and the call to Paystack is under way.
    while ((await pendingWithoutUrl()).length === 0) await sleep(20);
    await service.crash();
    expect(await interrupted).toBeUndefined();
    paystack.reset();

    service = await startServiceProcess({ env, port });
    try {
      // The first request might still be alive as far as anyone can tell: refused for now.
      const early = await start(service.url);
      expect(early.status).toBe(409);
      expect(((await early.json()) as { code: string }).code).toBe('idempotency_request_in_progress');

      // Two minutes later (the clock moved by rewriting the timestamps) the start is known dead.
      await db.execute(
        sql`update idempotency_keys set updated_at = now() - interval '3 minutes' where key = ${key}`,
      );
      await db.execute(
        sql`update deposits set created_at = now() - interval '3 minutes' where amount = 4321 and authorization_url is null`,
      );
      const retried = await start(service.url);
      expect(retried.status).toBe(201);
      const fresh = (await retried.json()) as { reference: string; authorization_url: string };
      expect(fresh.authorization_url).toMatch(/^http/);
      const [abandoned, ...others] = await pendingWithoutUrl();
      expect(others).toEqual([]);
      expect(abandoned).toMatchObject({ status: 'failed', failure_reason: 'interrupted_before_checkout' });
      expect(abandoned?.reference).not.toBe(fresh.reference);

      const replay = await start(service.url);
      expect(replay.headers.get('idempotency-hit')).toBe('true');
      expect(((await replay.json()) as { reference: string }).reference).toBe(fresh.reference);
      await expectLedgerConsistent(db);
    } finally {
      await service.stop();
    }
  });
});

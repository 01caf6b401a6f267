import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { startTestPaystack, type TestPaystack } from '../support/paystack.ts';
import { deliverChargeSuccess } from './support.ts';

const PAYSTACK_TIMEOUT_MS = 800;

let t: TestApp;
let paystack: TestPaystack;

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
    deps: { paystack: { timeoutMs: PAYSTACK_TIMEOUT_MS } },
  });
});
afterAll(async () => {
  await t.close();
  await paystack.close();
});

describe('Paystack slow or down during deposits', () => {
  it('answers 502 within the timeout while webhooks for earlier deposits are still credited once', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => t.createUser()));
    const deposit = (authorization: string, amount: number) =>
      fetch(`${t.url}/wallet/deposit`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ amount }),
      });

    const earlier: { reference: string; amount: number }[] = [];
    for (const [i, user] of users.entries()) {
      const response = await deposit(user.auth.authorization, 10_000 + i);
      expect(response.status).toBe(201);
      earlier.push({
        reference: ((await response.json()) as { reference: string }).reference,
        amount: 10_000 + i,
      });
    }

    for (const mode of ['slow', 'down'] as const) {
      paystack.behaviour.api = mode;
      paystack.behaviour.slowMs = 5_000;
      const started = performance.now();
      const [refused, deliveries] = await Promise.all([
        Promise.all(users.map((user) => deposit(user.auth.authorization, 20_000))),
        Promise.all(
          earlier.flatMap((d) => [d, d]).map((d) => deliverChargeSuccess(t.url, paystack.secretKey, d)),
        ),
      ]);
      const elapsed = performance.now() - started;
      expect(refused.map((r) => r.status)).toEqual(users.map(() => 502));
      expect(elapsed).toBeLessThan(PAYSTACK_TIMEOUT_MS + 2_000);
      expect(deliveries.map((d) => d.status)).toEqual(deliveries.map(() => 200));
    }
    paystack.reset();

    const [counts] = await queryRows<{ success: number; failed: number; credits: number }>(
      t.db,
      sql`select (select count(*)::int from deposits where status = 'success') as success,
                 (select count(*)::int from deposits where status = 'failed') as failed,
                 (select count(*)::int from ledger_transactions where kind = 'deposit') as credits`,
    );
    expect(counts).toEqual({ success: earlier.length, failed: 2 * users.length, credits: earlier.length });
    await expectLedgerConsistent(t.db);
  });
});

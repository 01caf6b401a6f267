import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { startTestPaystack, type TestPaystack } from '../support/paystack.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { waitFor } from '../support/wait.ts';
import { createFundedUsers, faultServiceEnv } from './support.ts';

const FUNDED_KOBO = 1_000_000;
const AMOUNT_KOBO = 250_000;
/** Paystack's fee for ₦2,500 (SPEC "Money out"): ₦10. */
const TOTAL_KOBO = AMOUNT_KOBO + 1_000;

let database: TestDatabase;
let paystack: TestPaystack;

beforeAll(async () => {
  database = await createTestDatabase();
  paystack = await startTestPaystack({ transferWebhookDelayMs: 20 });
});
afterAll(async () => {
  await paystack.close();
  await database.drop();
});

function serviceEnv(): Record<string, string> {
  // The reconciler looks every second at anything pending, however young.
  return faultServiceEnv(database.url as string, paystack, {
    RECONCILE_INTERVAL: '1s',
    RECONCILE_MIN_AGE: '0s',
  });
}

interface WithdrawalRow {
  reference: string;
  status: string;
  balance: string;
}

const CRASH_POINTS = {
  before_create: 'between the hold and Paystack creating the transfer',
  after_create: 'between Paystack creating the transfer and the service recording its answer',
} as const;

describe('kill -9 during a withdrawal', () => {
  for (const [hold, moment] of Object.entries(CRASH_POINTS) as [keyof typeof CRASH_POINTS, string][]) {
    it(`pays once and leaves no money stuck when the service dies ${moment}`, async () => {
      const env = serviceEnv();
      const db = database.handle.db;
      const [user] = await createFundedUsers(db, 1, FUNDED_KOBO);
      if (!user) throw new Error('no user');
      let service: ServiceProcess = await startServiceProcess({ env });
      const port = service.port;
      paystack.webhookUrl = `${service.url}/wallet/paystack/webhook`;
      const saved = await fetch(`${service.url}/wallet/bank-accounts`, {
        method: 'POST',
        headers: { authorization: user.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ bank_code: '058', account_number: '0123456789' }),
      });
      expect(saved.status).toBe(201);
      const { id: bankAccountId } = (await saved.json()) as { id: string };

      paystack.behaviour.transferHold = hold;
      const merchantBefore = paystack.merchantBalanceKobo;
      /** Kobo Paystack paid out since: amount + fee once the transfer exists, and never twice. */
      const paid = () => merchantBefore - paystack.merchantBalanceKobo;
      const callsBefore = paystack.received.filter((line) => line === 'POST /transfer').length;
      const interrupted = fetch(`${service.url}/wallet/withdrawals`, {
        method: 'POST',
        headers: { authorization: user.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: AMOUNT_KOBO, bank_account_id: bankAccountId }),
      }).then(
        (response) => response.status,
        () => undefined,
      );
      // Killed while its call to Paystack is held open: the hold has committed by then.
      await waitFor(() => paystack.received.filter((line) => line === 'POST /transfer').length > callsBefore);
      await service.crash();
      const killedAt = performance.now();
      expect(await interrupted).toBeUndefined();

      const withdrawalOf = async (): Promise<WithdrawalRow> => {
        const [row] = await queryRows<WithdrawalRow>(
          db,
          sql`select w.reference, w.status, a.balance
                from withdrawals w join wallets wl on wl.user_id = w.user_id join accounts a on a.id = wl.account_id
               where w.user_id = ${user.id}`,
        );
        if (!row) throw new Error('the withdrawal was not recorded');
        return row;
      };
      const held = await withdrawalOf();
      expect(held).toMatchObject({ status: 'pending', balance: String(FUNDED_KOBO - TOTAL_KOBO) });
      paystack.releaseHeldTransfers();
      paystack.behaviour.transferHold = 'none';
      expect(paid()).toBe(hold === 'after_create' ? TOTAL_KOBO : 0);

      service = await startServiceProcess({ env, port });
      try {
        await waitFor(async () => (await withdrawalOf()).status === 'success');
        const settledAfterMs = Math.round(performance.now() - killedAt);
        const done = await withdrawalOf();
        expect(done.balance).toBe(String(FUNDED_KOBO - TOTAL_KOBO));
        expect(paid()).toBe(TOTAL_KOBO);
        const [ledger] = await queryRows<{ holds: number; payouts: number; returns: number }>(
          db,
          sql`select count(*) filter (where kind = 'withdrawal')::int as holds,
                     count(*) filter (where kind = 'withdrawal_payout')::int as payouts,
                     count(*) filter (where kind = 'withdrawal_return')::int as returns
                from ledger_transactions where reference like ${`${held.reference}%`}`,
        );
        expect(ledger).toEqual({ holds: 1, payouts: 1, returns: 0 });
        await expectLedgerConsistent(db);
        console.info(
          `withdrawal crash ${hold}: killed with ${TOTAL_KOBO} kobo held and ${hold === 'after_create' ? 'one transfer' : 'no transfer'} ` +
            `at Paystack; after the restart the reconciler ${hold === 'after_create' ? 'verified' : 're-initiated'} it ` +
            `and it was paid once, ${settledAfterMs} ms after the kill (restart included)`,
        );
      } finally {
        await service.stop();
      }
    });
  }
});

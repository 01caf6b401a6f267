import { inArray } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdrawals } from '../src/db/schema.ts';
import { checkLedger } from '../src/ledger/check.ts';
import { PaystackClient } from '../src/paystack/client.ts';
import { withdrawalFeeKobo } from '../src/withdrawals/fees.ts';
import { reconcileWithdrawals } from '../src/withdrawals/reconcile.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

const WALLETS = 3;
const STARTING_KOBO = 400_000;
/** The simulator's outcome by the account number's last digit (SPEC "Money out"). */
const ENDINGS = { '0': 'success', '1': 'failed', '2': 'reversed' } as const;
type Ending = keyof typeof ENDINGS;
/** How Paystack treats the initiation: as it should, down (an unknown outcome), or refusing. */
type Initiation = 'normal' | 'down' | 'otp' | 'broke';

type Operation =
  | { kind: 'deposit'; to: number; amount: number }
  | { kind: 'transfer'; from: number; to: number; amount: number }
  | { kind: 'withdraw'; from: number; ending: Ending; amount: number; initiation: Initiation }
  | { kind: 'reconcile' };

const wallet = fc.integer({ min: 0, max: WALLETS - 1 });
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    to: wallet,
    amount: fc.integer({ min: 10_000, max: 300_000 }),
  }),
  fc.record({
    kind: fc.constant('transfer' as const),
    from: wallet,
    to: wallet,
    amount: fc.integer({ min: 1, max: 100_000 }),
  }),
  fc.record({
    kind: fc.constant('withdraw' as const),
    from: wallet,
    ending: fc.constantFrom<Ending>('0', '1', '2'),
    amount: fc.integer({ min: 10_000, max: 150_000 }),
    initiation: fc.constantFrom<Initiation>('normal', 'normal', 'down', 'otp', 'broke'),
  }),
  fc.constant({ kind: 'reconcile' as const }),
);

let paystack: TestPaystack;
let t: TestApp;
let client: PaystackClient;

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
  });
  paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
  client = new PaystackClient({ secretKey: paystack.secretKey, baseUrl: paystack.url });
});
afterAll(async () => {
  await t.close();
  await paystack.close();
});

interface ModelWithdrawal {
  reference: string;
  from: number;
  total: number;
  /** Where it must end: the ending's outcome, or `failed` for a refused initiation. */
  expected: 'success' | 'failed' | 'reversed';
}

/**
 * Random deposits, transfers, withdrawals (to accounts whose Paystack outcome is success, failure
 * or reversal, through an initiation that works, meets Paystack down, an OTP demand or an empty
 * merchant balance) and reconciler passes. After every step: every ledger invariant holds, and each
 * balance is what the model says given the statuses the withdrawals have reached so far (money
 * held while pending or paid, back once failed or reversed). At the end every withdrawal has
 * reached the status its account and initiation dictate.
 */
describe('money model with withdrawals', { timeout: 300_000 }, () => {
  it('keeps every invariant after every step of random deposits, transfers and withdrawals', async () => {
    const reached = { success: 0, failed: 0, reversed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(operationArb, { minLength: 1, maxLength: 12 }), async (operations) => {
        const users: TestUser[] = [];
        const accounts: Record<Ending, string>[] = [];
        for (let i = 0; i < WALLETS; i++) {
          const user = await t.createUser();
          users.push(user);
          const saved = {} as Record<Ending, string>;
          for (const ending of Object.keys(ENDINGS) as Ending[]) {
            const response = await fetch(`${t.url}/wallet/bank-accounts`, {
              method: 'POST',
              headers: { ...user.auth, 'content-type': 'application/json' },
              body: JSON.stringify({ bank_code: '058', account_number: `01234${i}567${ending}` }),
            });
            expect(response.status).toBe(201);
            saved[ending] = (await json(response)).id;
          }
          accounts.push(saved);
        }
        // Every wallet starts with money, so most withdrawals have something to take.
        for (const user of users) await fundWallet(t.db, user.id, STARTING_KOBO);
        /** Kobo each wallet received and sent, withdrawals aside. */
        const net: number[] = Array(WALLETS).fill(STARTING_KOBO);
        const made: ModelWithdrawal[] = [];

        const statuses = async (): Promise<Map<string, string>> => {
          if (made.length === 0) return new Map();
          const rows = await t.db
            .select({ reference: withdrawals.reference, status: withdrawals.status })
            .from(withdrawals)
            .where(
              inArray(
                withdrawals.reference,
                made.map((w) => w.reference),
              ),
            );
          return new Map(rows.map((row) => [row.reference, row.status]));
        };
        /** The balance the model expects, given the withdrawals' statuses now. */
        const expectedBalances = async (): Promise<number[]> => {
          const now = await statuses();
          const balances = [...net];
          for (const w of made) {
            const status = now.get(w.reference);
            if (status === 'pending' || status === 'success')
              balances[w.from] = (balances[w.from] as number) - w.total;
          }
          return balances;
        };
        const balanceOf = async (i: number): Promise<number> =>
          (await json(await fetch(`${t.url}/wallet/balance`, { headers: (users[i] as TestUser).auth })))
            .balance;

        for (const operation of operations) {
          if (operation.kind === 'deposit') {
            await fundWallet(t.db, (users[operation.to] as TestUser).id, operation.amount);
            net[operation.to] = (net[operation.to] as number) + operation.amount;
          } else if (operation.kind === 'transfer') {
            const { from, to, amount } = operation;
            const available = await balanceOf(from);
            const response = await fetch(`${t.url}/wallet/transfer`, {
              method: 'POST',
              headers: { ...(users[from] as TestUser).auth, 'content-type': 'application/json' },
              body: JSON.stringify({ wallet_number: (users[to] as TestUser).walletNumber, amount }),
            });
            if (from === to) expect(response.status).toBe(400);
            else if (response.status === 200) {
              expect(available).toBeGreaterThanOrEqual(amount);
              net[from] = (net[from] as number) - amount;
              net[to] = (net[to] as number) + amount;
            } else expect(response.status).toBe(422);
          } else if (operation.kind === 'withdraw') {
            const { from, ending, amount, initiation } = operation;
            const total = amount + Number(withdrawalFeeKobo(BigInt(amount)));
            if (initiation === 'down') paystack.behaviour.api = 'down';
            if (initiation === 'otp') paystack.behaviour.transferOtp = true;
            if (initiation === 'broke') paystack.merchantBalanceKobo = 0;
            const response = await fetch(`${t.url}/wallet/withdrawals`, {
              method: 'POST',
              headers: { ...(users[from] as TestUser).auth, 'content-type': 'application/json' },
              body: JSON.stringify({
                amount,
                bank_account_id: (accounts[from] as Record<Ending, string>)[ending],
              }),
            });
            paystack.reset();
            const body = await json(response);
            if (response.status === 202) {
              made.push({
                reference: body.reference,
                from,
                total,
                expected: initiation === 'otp' || initiation === 'broke' ? 'failed' : ENDINGS[ending],
              });
            } else {
              expect([422, 409]).toContain(response.status);
            }
          } else {
            await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 0 });
          }

          const report = await checkLedger(t.db);
          expect(report.problems).toEqual([]);
          // Webhooks may land between reading statuses and balances: read until both agree.
          await waitFor(async () => {
            const expected = await expectedBalances();
            const actual = await Promise.all(users.map((_, i) => balanceOf(i)));
            return actual.every((balance, i) => balance === expected[i]);
          }, 5_000);
        }

        // Whatever is still pending (Paystack was down) is settled by the reconciler.
        await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 0 });
        await waitFor(async () => {
          const now = await statuses();
          return made.every((w) => now.get(w.reference) === w.expected);
        }, 10_000);
        for (const w of made) reached[w.expected]++;
        const final = await expectedBalances();
        expect(await Promise.all(users.map((_, i) => balanceOf(i)))).toEqual(final);
        expect((await checkLedger(t.db)).problems).toEqual([]);
      }),
      { numRuns: onPostgres ? 12 : 6, seed: 20261130 },
    );
    // The runs went through every ending, not only the easy one.
    expect(reached.success).toBeGreaterThan(0);
    expect(reached.failed).toBeGreaterThan(0);
    expect(reached.reversed).toBeGreaterThan(0);
  });
});

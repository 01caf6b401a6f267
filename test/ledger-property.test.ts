import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from '../src/ledger/check.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';

const WALLETS = 4;

type Operation =
  | { kind: 'deposit'; to: number; amount: number }
  | { kind: 'transfer'; from: number; to: number; amount: number }
  | { kind: 'concurrent'; transfers: { from: number; to: number; amount: number }[] };

const walletIndex = fc.integer({ min: 0, max: WALLETS - 1 });
const transferArb = fc.record({
  from: walletIndex,
  to: walletIndex,
  amount: fc.integer({ min: 1, max: 6_000 }),
});
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    to: walletIndex,
    amount: fc.integer({ min: 100, max: 10_000 }),
  }),
  transferArb.map((transfer) => ({ kind: 'transfer' as const, ...transfer })),
  fc
    .array(transferArb, { minLength: 2, maxLength: 8 })
    .map((transfers) => ({ kind: 'concurrent' as const, transfers })),
);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

// A hundred random runs of HTTP requests: seconds on an idle machine, but a whole minute on
// PostgreSQL shared with other work, where the default timeout cut it short.
describe('ledger model', { timeout: 300_000 }, () => {
  it('keeps every invariant and matches an in-memory model over random deposits and transfers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operationArb, { minLength: 1, maxLength: 12 }), async (operations) => {
        const users: TestUser[] = [];
        for (let i = 0; i < WALLETS; i++) users.push(await t.createUser());
        const model: number[] = Array(WALLETS).fill(0);

        const transfer = async (from: number, to: number, amount: number) => {
          const response = await fetch(`${t.url}/wallet/transfer`, {
            method: 'POST',
            headers: { ...(users[from] as TestUser).auth, 'content-type': 'application/json' },
            body: JSON.stringify({ wallet_number: (users[to] as TestUser).walletNumber, amount }),
          });
          return { status: response.status, body: await json(response) };
        };
        const balances = () =>
          Promise.all(
            users.map(
              async (user) =>
                (await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }))).balance,
            ),
          );

        for (const operation of operations) {
          if (operation.kind === 'deposit') {
            await fundWallet(t.db, (users[operation.to] as TestUser).id, operation.amount);
            model[operation.to] = (model[operation.to] as number) + operation.amount;
          } else if (operation.kind === 'transfer') {
            const { from, to, amount } = operation;
            const { status } = await transfer(from, to, amount);
            if (from === to) expect(status).toBe(400);
            else if ((model[from] as number) < amount) expect(status).toBe(422);
            else {
              expect(status).toBe(200);
              model[from] = (model[from] as number) - amount;
              model[to] = (model[to] as number) + amount;
            }
          } else {
            // Which of a concurrent batch wins depends on timing; every answer must be one the
            // model allows, and the successes alone must explain the new balances.
            const results = await Promise.all(
              operation.transfers.map((x) => transfer(x.from, x.to, x.amount)),
            );
            for (const [i, { status }] of results.entries()) {
              const { from, to, amount } = operation.transfers[i] as {
                from: number;
                to: number;
                amount: number;
              };
              if (from === to) {
                expect(status).toBe(400);
                continue;
              }
              expect([200, 422]).toContain(status);
              if (status === 200) {
                model[from] = (model[from] as number) - amount;
                model[to] = (model[to] as number) + amount;
              }
            }
          }
          expect(await balances()).toEqual(model);
          expect(model.every((balance) => balance >= 0)).toBe(true);
          const report = await checkLedger(t.db);
          expect(report.problems).toEqual([]);
        }
      }),
      { numRuns: onPostgres ? 25 : 10, seed: 20261128 },
    );
  });
});

import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { bankAccounts, flaggedEvents, wallets } from '../src/db/schema.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';
import { expectLedgerConsistent, fundWallet } from './support/ledger.ts';
import { deliverPaystackEvent } from './support/paystack.ts';

let t: TestApp;
let secretKey: string;

beforeAll(async () => {
  // Paystack itself is not called here: only its signed webhooks arrive, so any key will do.
  secretKey = `sk_test_${'r'.repeat(40)}`;
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: secretKey, PAYSTACK_BASE_URL: 'http://127.0.0.1:9' },
  });
});
afterAll(() => t.close());

let refundCounter = 0;
let disputeCounter = 0;

function deliver(event: string, data: Record<string, unknown>): Promise<Response> {
  return deliverPaystackEvent(t.url, secretKey, event, data);
}

/** Paystack's refund.processed, with `amount` as the string its example carries. */
function refund(reference: string, amount: number, refundReference = `rf${++refundCounter}${Date.now()}`) {
  return deliver('refund.processed', {
    status: 'processed',
    transaction_reference: reference,
    refund_reference: refundReference,
    amount: String(amount),
    currency: 'NGN',
  });
}

function dispute(
  event: 'create' | 'resolve',
  reference: string,
  amount: number,
  id: string,
  resolution?: string,
) {
  return deliver(`charge.dispute.${event}`, {
    id,
    refund_amount: amount,
    currency: 'NGN',
    status: event === 'create' ? 'awaiting-merchant-feedback' : 'resolved',
    resolution: resolution ?? null,
    transaction: { reference, amount, status: 'success' },
    transaction_reference: null,
  });
}

async function wallet(user: TestUser): Promise<JsonBody> {
  return json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }));
}

function transfer(from: TestUser, to: TestUser, amount: number): Promise<Response> {
  return fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...from.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ wallet_number: to.walletNumber, amount }),
  });
}

async function flagsFor(reference: string): Promise<string[]> {
  const rows = await t.db.select().from(flaggedEvents).where(eq(flaggedEvents.reference, reference));
  return rows.map((row) => row.reason);
}

describe('refund.processed', () => {
  it('takes a full refund out of the wallet once, however often it is delivered', async () => {
    const user = await t.createUser();
    const reference = await fundWallet(t.db, user.id, 50_000);
    for (let i = 0; i < 3; i++) expect((await refund(reference, 50_000, 'rf-full-1')).status).toBe(200);
    expect(await wallet(user)).toMatchObject({ balance: 0, frozen: false, debt: 0 });
    const history = await json(await fetch(`${t.url}/wallet/transactions`, { headers: user.auth }));
    expect(history[0]).toMatchObject({
      type: 'refund',
      direction: 'debit',
      amount: 50_000,
      status: 'success',
    });
    await expectLedgerConsistent(t.db);
  });

  it('takes partial refunds each once, and never more than the deposit brought', async () => {
    const user = await t.createUser();
    const reference = await fundWallet(t.db, user.id, 30_000);
    await fundWallet(t.db, user.id, 70_000);
    await refund(reference, 10_000, 'rf-part-1');
    await refund(reference, 15_000, 'rf-part-2');
    await refund(reference, 10_000, 'rf-part-1');
    expect((await wallet(user)).balance).toBe(100_000 - 25_000);
    // A third part beyond the 30,000 paid is not ours to take: flagged, nothing moves.
    expect((await refund(reference, 5_001, 'rf-part-3')).status).toBe(200);
    expect((await wallet(user)).balance).toBe(75_000);
    expect(await flagsFor(reference)).toEqual([expect.stringMatching(/rf-part-3/)]);
    await expectLedgerConsistent(t.db);
  });

  it('flags a refund it cannot take exactly once or at all, and moves nothing', async () => {
    const user = await t.createUser();
    const reference = await fundWallet(t.db, user.id, 20_000);
    const unnamed = await deliver('refund.processed', {
      transaction_reference: reference,
      refund_reference: null,
      amount: 20_000,
      currency: 'NGN',
    });
    expect(unnamed.status).toBe(200);
    expect((await refund(reference.replace('dep', 'xxx'), 1_000)).status).toBe(200);
    const dollars = await deliver('refund.processed', {
      transaction_reference: reference,
      refund_reference: 'rf-usd',
      amount: 1_000,
      currency: 'USD',
    });
    expect(dollars.status).toBe(200);
    expect((await wallet(user)).balance).toBe(20_000);
    expect(await flagsFor(reference)).toHaveLength(2);
  });

  it('takes what the wallet holds, records the rest as debt and freezes the wallet; money received repays it first', async () => {
    const user = await t.createUser();
    const friend = await t.createUser();
    await fundWallet(t.db, friend.id, 100_000);
    const reference = await fundWallet(t.db, user.id, 40_000);
    expect((await transfer(user, friend, 30_000)).status).toBe(200);
    await refund(reference, 40_000);
    expect(await wallet(user)).toMatchObject({ balance: 0, frozen: true, debt: 30_000 });
    const [row] = await t.db.select().from(wallets).where(eq(wallets.userId, user.id));
    expect(row?.frozenReason).toMatch(/debt of 30000 kobo/);

    // Frozen: nothing leaves; money still arrives, and repays the debt before it can be spent.
    await expectProblem(await transfer(user, friend, 1), 403, 'wallet_frozen');
    const [account] = await t.db
      .insert(bankAccounts)
      .values({
        userId: user.id,
        bankCode: '058',
        bankName: 'GTBank',
        accountNumber: '0123456789',
        accountName: 'Ada',
      })
      .returning({ id: bankAccounts.id });
    const withdrawal = await fetch(`${t.url}/wallet/withdrawals`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 10_000, bank_account_id: account?.id }),
    });
    await expectProblem(withdrawal, 403, 'wallet_frozen');
    expect((await transfer(friend, user, 20_000)).status).toBe(200);
    expect(await wallet(user)).toMatchObject({ balance: 0, frozen: true, debt: 10_000 });
    await fundWallet(t.db, user.id, 15_000);
    expect(await wallet(user)).toMatchObject({ balance: 5_000, frozen: false, debt: 0 });
    expect((await transfer(user, friend, 5_000)).status).toBe(200);
    await expectLedgerConsistent(t.db);
  });

  it.skipIf(!onPostgres)(
    'concurrent with a transfer out of the same wallet, never leaves it below zero',
    async () => {
      for (let round = 0; round < 5; round++) {
        const user = await t.createUser();
        const friend = await t.createUser();
        const reference = await fundWallet(t.db, user.id, 10_000);
        const [sent, refunded] = await Promise.all([transfer(user, friend, 6_000), refund(reference, 8_000)]);
        expect(refunded.status).toBe(200);
        const after = await wallet(user);
        if (sent.status === 200) {
          // The transfer went first: the refund took the 4,000 left and 4,000 became debt.
          expect(after).toMatchObject({ balance: 0, debt: 4_000, frozen: true });
        } else {
          expect(sent.status).toBe(422);
          expect(after).toMatchObject({ balance: 2_000, debt: 0, frozen: false });
        }
        await expectLedgerConsistent(t.db);
      }
    },
  );
});

describe('disputes', () => {
  it('freeze the wallet when opened and unfreeze it when won', async () => {
    const user = await t.createUser();
    const friend = await t.createUser();
    const reference = await fundWallet(t.db, user.id, 25_000);
    const id = `${++disputeCounter}${Date.now()}`;
    expect((await dispute('create', reference, 25_000, id)).status).toBe(200);
    expect((await dispute('create', reference, 25_000, id)).status).toBe(200);
    expect(await wallet(user)).toMatchObject({ balance: 25_000, frozen: true, debt: 0 });
    await expectProblem(await transfer(user, friend, 1_000), 403, 'wallet_frozen');
    await fundWallet(t.db, friend.id, 1_000);
    expect((await transfer(friend, user, 1_000)).status).toBe(200);
    await dispute('resolve', reference, 25_000, id, 'declined');
    expect(await wallet(user)).toMatchObject({ balance: 26_000, frozen: false, debt: 0 });
    expect((await transfer(user, friend, 1_000)).status).toBe(200);
  });

  it('take the disputed amount back when lost, and leave a shortfall as debt', async () => {
    const user = await t.createUser();
    const friend = await t.createUser();
    const reference = await fundWallet(t.db, user.id, 25_000);
    const id = `${++disputeCounter}${Date.now()}`;
    await dispute('create', reference, 25_000, id);
    // Receiving still works while frozen.
    await fundWallet(t.db, friend.id, 5_000);
    expect((await transfer(friend, user, 5_000)).status).toBe(200);
    await dispute('resolve', reference, 25_000, id, 'merchant-accepted');
    await dispute('resolve', reference, 25_000, id, 'merchant-accepted');
    expect(await wallet(user)).toMatchObject({ balance: 5_000, frozen: false, debt: 0 });

    const other = await t.createUser();
    const paid = await fundWallet(t.db, other.id, 10_000);
    expect((await transfer(other, friend, 8_000)).status).toBe(200);
    const lost = `${++disputeCounter}${Date.now()}`;
    await dispute('create', paid, 10_000, lost);
    await dispute('resolve', paid, 10_000, lost, 'auto-accepted');
    expect(await wallet(other)).toMatchObject({ balance: 0, frozen: true, debt: 8_000 });
    await expectLedgerConsistent(t.db);
  });

  it('stay frozen while another dispute is open, and flag a resolution they do not know', async () => {
    const user = await t.createUser();
    const first = await fundWallet(t.db, user.id, 10_000);
    const second = await fundWallet(t.db, user.id, 10_000);
    const [a, b] = [`${++disputeCounter}a${Date.now()}`, `${++disputeCounter}b${Date.now()}`];
    await dispute('create', first, 10_000, a);
    await dispute('create', second, 10_000, b);
    await dispute('resolve', first, 10_000, a, 'declined');
    expect((await wallet(user)).frozen).toBe(true);
    await dispute('resolve', second, 10_000, b, 'pending-review');
    expect((await wallet(user)).frozen).toBe(true);
    expect(await flagsFor(second)).toEqual([expect.stringMatching(/pending-review/)]);
  });

  it('on a deposit never credited are flagged and freeze nothing', async () => {
    const user = await t.createUser();
    const [row] = await queryRows<{ reference: string }>(
      t.db,
      sql`insert into deposits (user_id, reference, amount, status) values (${user.id}, ${`dep-pending-${Date.now()}`}, 5000, 'pending') returning reference`,
    );
    const reference = row?.reference as string;
    await dispute('create', reference, 5_000, `${++disputeCounter}${Date.now()}`);
    expect((await wallet(user)).frozen).toBe(false);
    expect(await flagsFor(reference)).toHaveLength(1);
  });
});

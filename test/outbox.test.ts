import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxEvents, webhookEndpoints } from '../src/db/schema.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import { deliverPaystackEvent } from './support/paystack.ts';

let t: TestApp;
const secretKey = `sk_test_${'o'.repeat(40)}`;

beforeAll(async () => {
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: secretKey, PAYSTACK_BASE_URL: 'http://127.0.0.1:9' },
  });
});
afterAll(() => t.close());

/** A user with an enabled endpoint taking `events` (all when absent), so their events are recorded. */
async function subscribedUser(events?: string[]): Promise<TestUser> {
  const user = await t.createUser();
  await t.db.insert(webhookEndpoints).values({
    userId: user.id,
    url: 'https://example.com/hooks',
    events: events ?? null,
    secret: 'whsec_dGVzdA==',
    status: 'enabled',
  });
  return user;
}

async function eventsOf(user: TestUser): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await t.db
    .select({ type: outboxEvents.type, data: outboxEvents.data })
    .from(outboxEvents)
    .where(eq(outboxEvents.userId, user.id))
    .orderBy(asc(outboxEvents.createdAt));
  return rows.map((row) => ({ type: row.type, data: row.data as Record<string, unknown> }));
}

function transfer(from: TestUser, to: TestUser, amount: number): Promise<Response> {
  return fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...from.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ wallet_number: to.walletNumber, amount }),
  });
}

function deliver(event: string, data: Record<string, unknown>): Promise<Response> {
  return deliverPaystackEvent(t.url, secretKey, event, data);
}

describe('the transactional outbox', () => {
  it('records a transfer for both sides, as their history shows it, in the same transaction', async () => {
    const alice = await subscribedUser();
    const bob = await subscribedUser();
    await fundWallet(t.db, alice.id, 10_000);
    const sent = await json(await transfer(alice, bob, 2_500));
    const [aliceHistory] = await json(await fetch(`${t.url}/wallet/transactions`, { headers: alice.auth }));
    const [bobHistory] = await json(await fetch(`${t.url}/wallet/transactions`, { headers: bob.auth }));
    const aliceEvents = await eventsOf(alice);
    expect(aliceEvents.map((event) => event.type)).toEqual(['deposit.succeeded', 'transfer.sent']);
    expect(aliceEvents[1]?.data).toEqual(aliceHistory);
    expect(aliceEvents[1]?.data).toMatchObject({
      reference: sent.reference,
      amount: 2_500,
      direction: 'debit',
    });
    expect(await eventsOf(bob)).toEqual([{ type: 'transfer.received', data: bobHistory }]);
  });

  it('records nothing for a movement that rolled back, nor for users without an endpoint', async () => {
    const alice = await subscribedUser();
    const carol = await t.createUser();
    expect((await transfer(alice, carol, 1)).status).toBe(422);
    expect(await eventsOf(alice)).toEqual([]);
    await fundWallet(t.db, carol.id, 5_000);
    expect((await transfer(carol, alice, 1_000)).status).toBe(200);
    expect(await eventsOf(carol)).toEqual([]);
    expect((await eventsOf(alice)).map((event) => event.type)).toEqual(['transfer.received']);
  });

  it('records only the types an endpoint takes', async () => {
    const alice = await subscribedUser(['transfer.received']);
    const bob = await subscribedUser(['deposit.succeeded']);
    await fundWallet(t.db, alice.id, 5_000);
    await transfer(alice, bob, 1_000);
    expect((await eventsOf(alice)).map((event) => event.type)).toEqual([]);
    expect((await eventsOf(bob)).map((event) => event.type)).toEqual([]);
  });

  it('records refunds, freezes and unfreezes', async () => {
    const alice = await subscribedUser();
    const bob = await t.createUser();
    const reference = await fundWallet(t.db, alice.id, 10_000);
    await transfer(alice, bob, 8_000);
    await deliver('refund.processed', {
      transaction_reference: reference,
      refund_reference: `rf-outbox-${Date.now()}`,
      amount: '10000',
      currency: 'NGN',
    });
    await fundWallet(t.db, bob.id, 9_000);
    await transfer(bob, alice, 9_000);
    const types = (await eventsOf(alice)).map((event) => event.type);
    expect(types).toEqual([
      'deposit.succeeded',
      'transfer.sent',
      'refund.processed',
      'wallet.frozen',
      'wallet.unfrozen',
      'transfer.received',
    ]);
    const events = await eventsOf(alice);
    expect(events[2]?.data).toMatchObject({ reference, amount: 10_000, taken: 2_000, shortfall: 8_000 });
    expect(events[3]?.data).toMatchObject({ wallet_number: alice.walletNumber, frozen: true, debt: 8_000 });
    expect(events[4]?.data).toEqual({ wallet_number: alice.walletNumber, frozen: false, debt: 0 });
  });
});

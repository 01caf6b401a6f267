import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredIdempotencyKeys } from '../src/idempotency/store.ts';
import { generateWalletNumber } from '../src/ledger/wallet-number.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, json } from './support/http.ts';
import { expectLedgerConsistent, fundWallet } from './support/ledger.ts';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

function transfer(from: TestUser, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...from.auth, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function balanceOf(user: TestUser): Promise<number> {
  return (await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }))).balance;
}

describe('POST /wallet/transfer', () => {
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await t.createUser();
    bob = await t.createUser();
    await fundWallet(t.db, alice.id, 50_000);
  });

  it('moves the amount and answers with the new balance', async () => {
    const response = await transfer(alice, { wallet_number: bob.walletNumber, amount: 12_345 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      status: 'success',
      message: 'Transfer completed',
      reference: expect.stringMatching(/^trf-[0-9A-Za-z]{22}$/),
      amount: 12_345,
      recipient_wallet_number: bob.walletNumber,
      balance: 50_000 - 12_345,
    });
    expect(await balanceOf(alice)).toBe(50_000 - 12_345);
    expect(await balanceOf(bob)).toBe(12_345);
  });

  it('refuses a transfer to oneself', async () => {
    await expectProblem(
      await transfer(alice, { wallet_number: alice.walletNumber, amount: 1 }),
      400,
      'self_transfer',
    );
  });

  it('refuses an unknown wallet', async () => {
    let unknown = generateWalletNumber();
    while (unknown === bob.walletNumber || unknown === alice.walletNumber) unknown = generateWalletNumber();
    await expectProblem(
      await transfer(alice, { wallet_number: unknown, amount: 1 }),
      404,
      'wallet_not_found',
    );
  });

  it('refuses a wallet number whose check digit is wrong', async () => {
    const last = Number(bob.walletNumber.at(-1));
    const typo = bob.walletNumber.slice(0, -1) + String((last + 1) % 10);
    await expectProblem(
      await transfer(alice, { wallet_number: typo, amount: 1 }),
      400,
      'invalid_wallet_number',
    );
  });

  it('refuses more than the balance and changes nothing', async () => {
    const before = await balanceOf(alice);
    const body = await expectProblem(
      await transfer(alice, { wallet_number: bob.walletNumber, amount: before + 1 }),
      422,
      'insufficient_funds',
    );
    expect(body.detail).toMatch(/balance/);
    expect(await balanceOf(alice)).toBe(before);
  });

  const malformed: [string, unknown][] = [
    ['a string amount', { wallet_number: '0', amount: '100' }],
    ['a float amount', { amount: 100.5 }],
    ['a negative amount', { amount: -1 }],
    ['a zero amount', { amount: 0 }],
    ['a missing amount', {}],
    ['an amount over ₦1bn', { amount: 100_000_000_001 }],
    ['an unknown field', { amount: 100, memo: 'hi' }],
    ['a short wallet number', { amount: 100, wallet_number: '123' }],
    ['a numeric wallet number', { amount: 100, wallet_number: 1234567890123 }],
    ['a missing wallet number', { amount: 100, wallet_number: undefined }],
    ['an array body', [1, 2]],
    ['a null body', null],
  ];
  it.each(malformed)('refuses %s with 400 problem+json', async (_, body) => {
    const request =
      Array.isArray(body) || body === null ? body : { wallet_number: bob.walletNumber, ...body };
    const problem = await expectProblem(await transfer(alice, request), 400, 'validation_failed');
    expect(problem.detail).toMatch(/^body/);
  });

  it('refuses a body that is not JSON', async () => {
    await expectProblem(await transfer(alice, '{"amount": 1,'), 400, 'invalid_json');
  });

  it('needs credentials', async () => {
    const response = await fetch(`${t.url}/wallet/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wallet_number: bob.walletNumber, amount: 1 }),
    });
    await expectProblem(response, 401, 'unauthenticated');
  });
});

describe('Idempotency-Key on POST /wallet/transfer', () => {
  let payer: TestUser;
  let payee: TestUser;

  beforeAll(async () => {
    payer = await t.createUser();
    payee = await t.createUser();
    await fundWallet(t.db, payer.id, 10_000);
  });

  it('replays the first response on a retry without moving money again', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await transfer(payer, { wallet_number: payee.walletNumber, amount: 1_000 }, headers);
    const second = await transfer(payer, { amount: 1_000, wallet_number: payee.walletNumber }, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotency-hit')).toBe('true');
    expect(first.headers.get('idempotency-hit')).toBeNull();
    expect(await json(second)).toEqual(await json(first));
    expect(await balanceOf(payer)).toBe(9_000);
    expect(await balanceOf(payee)).toBe(1_000);
  });

  it('refuses the same key with a different body', async () => {
    const headers = { 'idempotency-key': 'retry-2' };
    expect((await transfer(payer, { wallet_number: payee.walletNumber, amount: 100 }, headers)).status).toBe(
      200,
    );
    await expectProblem(
      await transfer(payer, { wallet_number: payee.walletNumber, amount: 101 }, headers),
      409,
      'idempotency_key_reused',
    );
    expect(await balanceOf(payer)).toBe(8_900);
  });

  it('replays a refusal as the same problem', async () => {
    const headers = { 'idempotency-key': 'retry-3' };
    await expectProblem(
      await transfer(payer, { wallet_number: payee.walletNumber, amount: 1_000_000 }, headers),
      422,
      'insufficient_funds',
    );
    await fundWallet(t.db, payer.id, 1_000_000);
    const replay = await transfer(payer, { wallet_number: payee.walletNumber, amount: 1_000_000 }, headers);
    await expectProblem(replay, 422, 'insufficient_funds');
    expect(replay.headers.get('idempotency-hit')).toBe('true');
  });

  it('keeps keys per user: another user may use the same key', async () => {
    const other = await t.createUser();
    await fundWallet(t.db, other.id, 500);
    const response = await transfer(
      other,
      { wallet_number: payee.walletNumber, amount: 500 },
      { 'idempotency-key': 'retry-1' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('idempotency-hit')).toBeNull();
  });

  it('refuses a key longer than 255 characters and stores nothing', async () => {
    await expectProblem(
      await transfer(
        payer,
        { wallet_number: payee.walletNumber, amount: 1 },
        { 'idempotency-key': 'k'.repeat(256) },
      ),
      400,
      'validation_failed',
    );
  });

  it('forgets keys after 24 hours, so an old key may start a new request', async () => {
    const headers = { 'idempotency-key': 'old-key' };
    expect((await transfer(payer, { wallet_number: payee.walletNumber, amount: 1 }, headers)).status).toBe(
      200,
    );
    expect(await purgeExpiredIdempotencyKeys(t.db)).toBe(0);
    await t.db.execute(
      sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'old-key'`,
    );
    expect(await purgeExpiredIdempotencyKeys(t.db)).toBe(1);
    const fresh = await transfer(payer, { wallet_number: payee.walletNumber, amount: 2 }, headers);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('idempotency-hit')).toBeNull();
  });

  it.skipIf(!onPostgres)('moves money once for 20 concurrent requests with one key', async () => {
    const sender = await t.createUser();
    const receiver = await t.createUser();
    await fundWallet(t.db, sender.id, 10_000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        transfer(
          sender,
          { wallet_number: receiver.walletNumber, amount: 700 },
          { 'idempotency-key': 'concurrent' },
        ),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => json(r)));
    const statuses = responses.map((r) => r.status);
    // Concurrent retries wait for the first and replay it; none may move money a second time.
    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    const references = new Set(bodies.filter((_, i) => statuses[i] === 200).map((b) => b.reference));
    expect(references.size).toBe(1);
    expect(await balanceOf(sender)).toBe(9_300);
    expect(await balanceOf(receiver)).toBe(700);
  });
});

describe.skipIf(!onPostgres)('transfers under concurrency (PostgreSQL)', () => {
  it('lets exactly 100 of 150 concurrent 100-kobo transfers through a 10,000-kobo wallet', async () => {
    const sender = await t.createUser();
    const receiver = await t.createUser();
    await fundWallet(t.db, sender.id, 10_000);
    const responses = await Promise.all(
      Array.from({ length: 150 }, () =>
        transfer(sender, { wallet_number: receiver.walletNumber, amount: 100 }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 422)).toHaveLength(50);
    expect(statuses.filter((s) => s >= 500)).toHaveLength(0);
    expect(await balanceOf(sender)).toBe(0);
    expect(await balanceOf(receiver)).toBe(10_000);
    await expectLedgerConsistent(t.db);
  });

  it('completes 80 crossing transfers between two wallets without deadlock', async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    await fundWallet(t.db, a.id, 100_000);
    await fundWallet(t.db, b.id, 100_000);
    const responses = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        i % 2 === 0
          ? transfer(a, { wallet_number: b.walletNumber, amount: 100 + i })
          : transfer(b, { wallet_number: a.walletNumber, amount: 100 + i }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(80).fill(200));
    const sentByA = Array.from({ length: 40 }, (_, k) => 100 + 2 * k).reduce((x, y) => x + y, 0);
    const sentByB = Array.from({ length: 40 }, (_, k) => 101 + 2 * k).reduce((x, y) => x + y, 0);
    expect(await balanceOf(a)).toBe(100_000 - sentByA + sentByB);
    expect(await balanceOf(b)).toBe(100_000 - sentByB + sentByA);
    await expectLedgerConsistent(t.db);
  });
});

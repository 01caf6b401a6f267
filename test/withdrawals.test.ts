import { createServer, type Server } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { bankAccounts, withdrawals } from '../src/db/schema.ts';
import { PaystackClient } from '../src/paystack/client.ts';
import { withdrawalFeeKobo } from '../src/withdrawals/fees.ts';
import { reconcileWithdrawals } from '../src/withdrawals/reconcile.ts';
import { createKeyAt, keyAuth, sendTo } from './support/api-keys.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';
import { expectLedgerConsistent, fundWallet } from './support/ledger.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

/** Short, so an unhealthy Paystack fails a request in seconds; long enough for a loaded machine. */
const PAYSTACK_TIMEOUT_MS = 2_000;

let paystack: TestPaystack;
let t: TestApp;
let client: PaystackClient;
/** Answers 200 to every webhook and keeps the bodies: where a test sends the ones the service must not see. */
let sink: Server;
let sinkUrl: string;
const swallowed: string[] = [];

beforeAll(async () => {
  paystack = await startTestPaystack({ transferWebhookDelayMs: 20 });
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
    deps: { paystack: { timeoutMs: PAYSTACK_TIMEOUT_MS } },
  });
  paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
  client = new PaystackClient({
    secretKey: paystack.secretKey,
    baseUrl: paystack.url,
    timeoutMs: PAYSTACK_TIMEOUT_MS,
  });
  sink = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      swallowed.push(body);
      response.end('{"status": true}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const address = sink.address();
  sinkUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});
afterEach(() => paystack.reset());
afterAll(async () => {
  await t.close();
  await paystack.close();
  await new Promise((resolve) => sink.close(resolve));
});

const send = (user: TestUser | Record<string, string>, method: string, path: string, body?: unknown) =>
  sendTo(t.url, method, path, 'auth' in user ? (user.auth as Record<string, string>) : user, body);

async function balanceOf(user: TestUser): Promise<number> {
  return (await json(await send(user, 'GET', '/wallet/balance'))).balance;
}

/** A funded user with one saved account whose number ends in `ending` (the simulator's outcome). */
async function userWithAccount(
  fundKobo: number,
  ending = '0',
): Promise<{ user: TestUser; accountId: string }> {
  const user = await t.createUser();
  if (fundKobo > 0) await fundWallet(t.db, user.id, fundKobo);
  const number = `${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}4${ending}`;
  const response = await send(user, 'POST', '/wallet/bank-accounts', {
    bank_code: '058',
    account_number: number,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return { user, accountId: (await json(response)).id };
}

function withdraw(
  user: TestUser | Record<string, string>,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const auth = 'auth' in user ? (user.auth as Record<string, string>) : user;
  return sendTo(t.url, 'POST', '/wallet/withdrawals', { ...auth, ...headers }, body);
}

async function withdrawal(user: TestUser, reference: string): Promise<JsonBody> {
  const response = await send(user, 'GET', `/wallet/withdrawals/${reference}`);
  expect(response.status).toBe(200);
  return json(response);
}

async function settledAs(user: TestUser, reference: string, status: string): Promise<JsonBody> {
  await waitFor(async () => (await withdrawal(user, reference)).status === status);
  return withdrawal(user, reference);
}

function transferEvent(event: string, data: Record<string, unknown>): string {
  return JSON.stringify({ event, data: { currency: 'NGN', status: event.split('.')[1], ...data } });
}

function deliver(body: string): Promise<Response> {
  return fetch(`${t.url}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: signedWebhookHeaders(body, paystack.secretKey),
    body,
  });
}

describe('GET /banks', () => {
  it('lists Paystack’s Nigerian banks, asking Paystack once for many reads', async () => {
    const user = await t.createUser();
    const before = paystack.received.filter((line) => line.startsWith('GET /bank?')).length;
    const first = await send(user, 'GET', '/banks');
    expect(first.status).toBe(200);
    const banks = await json(first);
    expect(banks).toContainEqual({ name: expect.any(String), code: '058' });
    for (const bank of banks) expect(Object.keys(bank).sort()).toEqual(['code', 'name']);
    await Promise.all(Array.from({ length: 5 }, () => send(user, 'GET', '/banks')));
    const after = paystack.received.filter((line) => line.startsWith('GET /bank?')).length;
    expect(after - before).toBeLessThanOrEqual(1);
  });

  it('takes any API key, whatever its permissions', async () => {
    const user = await t.createUser();
    const { api_key } = await createKeyAt(t.url, user, { permissions: ['deposit'] });
    expect((await send(keyAuth(api_key), 'GET', '/banks')).status).toBe(200);
  });
});

describe('saved bank accounts', () => {
  it('resolves the account and shows its holder, once however often it is saved', async () => {
    const user = await t.createUser();
    const body = { bank_code: '058', account_number: '0123456789' };
    const created = await send(user, 'POST', '/wallet/bank-accounts', body);
    expect(created.status).toBe(201);
    const account = await json(created);
    expect(account).toEqual({
      id: expect.any(String),
      bank_code: '058',
      bank_name: expect.any(String),
      account_number: '0123456789',
      account_name: expect.stringMatching(/\S/),
      created_at: expect.any(String),
    });
    const again = await send(user, 'POST', '/wallet/bank-accounts', body);
    expect(again.status).toBe(200);
    expect(await json(again)).toEqual(account);
    expect(await json(await send(user, 'GET', '/wallet/bank-accounts'))).toEqual([account]);
  });

  it('refuses an unresolvable account, an unknown bank and a number that is not a NUBAN', async () => {
    const user = await t.createUser();
    await expectProblem(
      await send(user, 'POST', '/wallet/bank-accounts', { bank_code: '058', account_number: '0000000000' }),
      422,
      'bank_account_unresolvable',
    );
    await expectProblem(
      await send(user, 'POST', '/wallet/bank-accounts', { bank_code: '99999', account_number: '0123456789' }),
      400,
      'invalid_bank_code',
    );
    for (const account_number of ['012345678', '01234567890', '012345678a', 123456789]) {
      await expectProblem(
        await send(user, 'POST', '/wallet/bank-accounts', { bank_code: '058', account_number }),
        400,
        'validation_failed',
      );
    }
    expect(await json(await send(user, 'GET', '/wallet/bank-accounts'))).toEqual([]);
  });

  it('are added and removed only by a signed-in user; keys with read or withdraw list them', async () => {
    const { user, accountId } = await userWithAccount(0);
    const withdrawKey = (await createKeyAt(t.url, user, { permissions: ['withdraw'] })).api_key;
    const readKey = (await createKeyAt(t.url, user, { permissions: ['read'] })).api_key;
    const transferKey = (await createKeyAt(t.url, user, { permissions: ['transfer'] })).api_key;
    const body = { bank_code: '058', account_number: '0123456780' };
    await expectProblem(
      await send(keyAuth(withdrawKey), 'POST', '/wallet/bank-accounts', body),
      403,
      'permission_denied',
    );
    await expectProblem(
      await send(keyAuth(withdrawKey), 'DELETE', `/wallet/bank-accounts/${accountId}`),
      403,
      'permission_denied',
    );
    expect((await json(await send(keyAuth(withdrawKey), 'GET', '/wallet/bank-accounts'))).length).toBe(1);
    expect((await json(await send(keyAuth(readKey), 'GET', '/wallet/bank-accounts'))).length).toBe(1);
    await expectProblem(
      await send(keyAuth(transferKey), 'GET', '/wallet/bank-accounts'),
      403,
      'permission_denied',
    );
  });

  it('are another user’s to see or remove: 404', async () => {
    const { accountId } = await userWithAccount(0);
    const mallory = await t.createUser();
    expect(await json(await send(mallory, 'GET', '/wallet/bank-accounts'))).toEqual([]);
    await expectProblem(
      await send(mallory, 'DELETE', `/wallet/bank-accounts/${accountId}`),
      404,
      'bank_account_not_found',
    );
    await fundWallet(t.db, mallory.id, 100_000);
    await expectProblem(
      await withdraw(mallory, { amount: 10_000, bank_account_id: accountId }),
      404,
      'bank_account_not_found',
    );
    expect(await balanceOf(mallory)).toBe(100_000);
  });

  it('stop taking withdrawals once removed, and removing twice is 404', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    expect((await send(user, 'DELETE', `/wallet/bank-accounts/${accountId}`)).status).toBe(204);
    await expectProblem(
      await send(user, 'DELETE', `/wallet/bank-accounts/${accountId}`),
      404,
      'bank_account_not_found',
    );
    expect(await json(await send(user, 'GET', '/wallet/bank-accounts'))).toEqual([]);
    await expectProblem(
      await withdraw(user, { amount: 10_000, bank_account_id: accountId }),
      404,
      'bank_account_not_found',
    );
  });

  it('are at most 10 per user', async () => {
    const user = await t.createUser();
    for (let i = 0; i < 10; i++) {
      const response = await send(user, 'POST', '/wallet/bank-accounts', {
        bank_code: '058',
        account_number: `01234567${String(i).padStart(2, '0')}`,
      });
      expect(response.status).toBe(201);
    }
    await expectProblem(
      await send(user, 'POST', '/wallet/bank-accounts', { bank_code: '058', account_number: '0123456799' }),
      409,
      'bank_account_limit_reached',
    );
  });
});

describe('fees and bounds', () => {
  it('charges ₦10 up to ₦5,000, ₦25 up to ₦50,000 and ₦50 above, at each boundary', () => {
    const tiers: [bigint, bigint][] = [
      [10_000n, 1_000n],
      [500_000n, 1_000n],
      [500_001n, 2_500n],
      [5_000_000n, 2_500n],
      [5_000_001n, 5_000n],
      [1_000_000_000n, 5_000n],
    ];
    for (const [amount, fee] of tiers) expect(withdrawalFeeKobo(amount), String(amount)).toBe(fee);
  });

  it('takes amount + fee from the wallet and answers 202 pending with both', async () => {
    const { user, accountId } = await userWithAccount(600_000);
    const response = await withdraw(user, { amount: 500_001, bank_account_id: accountId });
    expect(response.status).toBe(202);
    const body = await json(response);
    expect(body).toEqual({
      reference: expect.stringMatching(/^wdr_[a-z0-9]{26}$/),
      status: 'pending',
      amount: 500_001,
      fee: 2_500,
      total: 502_501,
      bank_account: expect.objectContaining({ id: accountId, bank_code: '058' }),
      created_at: expect.any(String),
    });
    expect(await balanceOf(user)).toBe(600_000 - 502_501);
  });

  it('refuses amounts outside ₦100 to ₦10m, or not whole kobo, holding nothing', async () => {
    const { user, accountId } = await userWithAccount(1_000_000_000);
    await fundWallet(t.db, user.id, 1_000_000_000);
    for (const amount of [9_999, 1_000_000_001, 0, -10_000, '10000', 10_000.5, '1e4']) {
      await expectProblem(
        await withdraw(user, { amount, bank_account_id: accountId }),
        400,
        'validation_failed',
      );
    }
    expect(await balanceOf(user)).toBe(2_000_000_000);
  });

  it('refuses a withdrawal the balance cannot pay with its fee', async () => {
    const { user, accountId } = await userWithAccount(10_999);
    await expectProblem(
      await withdraw(user, { amount: 10_000, bank_account_id: accountId }),
      422,
      'insufficient_funds',
    );
    expect(await balanceOf(user)).toBe(10_999);
  });
});

describe('a withdrawal’s life', () => {
  it('succeeds: the held money leaves for Paystack, and history shows the debit', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    const { reference } = await json(await withdraw(user, { amount: 50_000, bank_account_id: accountId }));
    const done = await settledAs(user, reference, 'success');
    expect(done).toMatchObject({ amount: 50_000, fee: 1_000, total: 51_000, failure_reason: null });
    expect(await balanceOf(user)).toBe(49_000);
    const history = await json(await send(user, 'GET', '/wallet/transactions'));
    expect(history[0]).toMatchObject({
      reference,
      type: 'withdrawal',
      direction: 'debit',
      amount: 51_000,
      status: 'success',
    });
    await expectLedgerConsistent(t.db);
  });

  it('fails (account ending in 1): the money returns, shown as a withdrawal_return', async () => {
    const { user, accountId } = await userWithAccount(100_000, '1');
    const { reference } = await json(await withdraw(user, { amount: 50_000, bank_account_id: accountId }));
    const done = await settledAs(user, reference, 'failed');
    expect(done.failure_reason).toEqual(expect.any(String));
    expect(await balanceOf(user)).toBe(100_000);
    const history = await json(await send(user, 'GET', '/wallet/transactions'));
    expect(history.slice(0, 2)).toMatchObject([
      { reference, type: 'withdrawal_return', direction: 'credit', amount: 51_000, status: 'success' },
      { reference, type: 'withdrawal', direction: 'debit', amount: 51_000, status: 'failed' },
    ]);
    await expectLedgerConsistent(t.db);
  });

  it('is reversed after success (account ending in 2): the money returns', async () => {
    const { user, accountId } = await userWithAccount(100_000, '2');
    const { reference } = await json(await withdraw(user, { amount: 50_000, bank_account_id: accountId }));
    await settledAs(user, reference, 'reversed');
    expect(await balanceOf(user)).toBe(100_000);
    await expectLedgerConsistent(t.db);
  });

  it('answers a retry with the same Idempotency-Key from the first, holding once', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    const body = { amount: 20_000, bank_account_id: accountId };
    const first = await withdraw(user, body, { 'idempotency-key': 'payout-1' });
    const second = await withdraw(user, body, { 'idempotency-key': 'payout-1' });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotency-hit')).toBe('true');
    expect(await json(second)).toEqual(await json(first));
    expect(await balanceOf(user)).toBe(100_000 - 21_000);
    await expectProblem(
      await withdraw(user, { ...body, amount: 20_001 }, { 'idempotency-key': 'payout-1' }),
      409,
      'idempotency_key_reused',
    );
  });

  it('is another user’s to read: 404; a key with transfer only cannot withdraw', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    const { reference } = await json(await withdraw(user, { amount: 10_000, bank_account_id: accountId }));
    const mallory = await t.createUser();
    await expectProblem(
      await send(mallory, 'GET', `/wallet/withdrawals/${reference}`),
      404,
      'withdrawal_not_found',
    );
    const transferKey = (await createKeyAt(t.url, user, { permissions: ['transfer', 'read'] })).api_key;
    await expectProblem(
      await withdraw(keyAuth(transferKey), { amount: 10_000, bank_account_id: accountId }),
      403,
      'permission_denied',
    );
    const withdrawKey = (await createKeyAt(t.url, user, { permissions: ['withdraw'] })).api_key;
    expect(
      (await withdraw(keyAuth(withdrawKey), { amount: 10_000, bank_account_id: accountId })).status,
    ).toBe(202);
  });
});

describe('when Paystack refuses, fails or does not answer the initiation', () => {
  /** A withdrawal made while `behave` has Paystack misbehave; `paid()` is what Paystack paid out since. */
  async function pendingWithdrawal(behave: () => void) {
    const { user, accountId } = await userWithAccount(100_000);
    const merchantBefore = paystack.merchantBalanceKobo;
    behave();
    const response = await withdraw(user, { amount: 30_000, bank_account_id: accountId });
    expect(response.status).toBe(202);
    Object.assign(paystack.behaviour, { api: 'normal', transferOtp: false, transferHold: 'none' });
    const { reference } = await json(response);
    return { user, reference, paid: () => merchantBefore - paystack.merchantBalanceKobo };
  }

  it('insufficient Paystack balance fails it and returns the money', async () => {
    const { user, reference } = await pendingWithdrawal(() => {
      paystack.merchantBalanceKobo = 0;
    });
    const done = await withdrawal(user, reference);
    expect(done.status).toBe('failed');
    expect(done.failure_reason).toMatch(/balance is not enough/);
    expect(await balanceOf(user)).toBe(100_000);
  });

  it('an OTP demand fails it and returns the money', async () => {
    const { user, reference } = await pendingWithdrawal(() => {
      paystack.behaviour.transferOtp = true;
    });
    expect(await withdrawal(user, reference)).toMatchObject({
      status: 'failed',
      failure_reason: 'paystack_otp',
    });
    expect(await balanceOf(user)).toBe(100_000);
  });

  for (const api of ['down', 'malformed', 'not_json'] as const) {
    it(`a ${api} answer leaves it pending with the money held, until the reconciler settles it`, async () => {
      const { user, reference, paid } = await pendingWithdrawal(() => {
        paystack.behaviour.api = api;
      });
      expect((await withdrawal(user, reference)).status).toBe('pending');
      expect(await balanceOf(user)).toBe(100_000 - 31_000);
      const [row] = await t.db.select().from(withdrawals).where(eq(withdrawals.reference, reference));
      expect(row?.lastProviderError).toEqual(expect.any(String));

      const report = await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 0 });
      expect(report.checks.map((check) => check.reference)).toContain(reference);
      await settledAs(user, reference, 'success');
      expect(await balanceOf(user)).toBe(100_000 - 31_000);
      expect(paid()).toBe(31_000);
    });
  }

  for (const hold of ['before_create', 'after_create'] as const) {
    it(`a timeout (Paystack stalled ${hold.replace('_', ' ')}) is an unknown outcome: verified, paid once`, async () => {
      // Paystack's own webhook would tell the service first: here only the reconciler may.
      paystack.webhookUrl = sinkUrl;
      const { user, reference, paid } = await pendingWithdrawal(() => {
        paystack.behaviour.transferHold = hold;
      });
      expect((await withdrawal(user, reference)).status).toBe('pending');
      expect(await balanceOf(user)).toBe(100_000 - 31_000);
      paystack.releaseHeldTransfers();
      expect(paid()).toBe(hold === 'after_create' ? 31_000 : 0);
      if (hold === 'after_create') await waitFor(() => swallowed.some((body) => body.includes(reference)));
      paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
      const report = await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 0 });
      expect(report.reinitiated).toBe(hold === 'after_create' ? 0 : 1);
      await settledAs(user, reference, 'success');
      expect(paid()).toBe(31_000);
      expect(await balanceOf(user)).toBe(100_000 - 31_000);
      await expectLedgerConsistent(t.db);
    });
  }
});

describe('transfer webhooks', () => {
  /** A withdrawal held and initiated, whose own webhook went to the sink instead of the service. */
  async function heldWithdrawal(): Promise<{ user: TestUser; reference: string }> {
    const { user, accountId } = await userWithAccount(100_000);
    paystack.webhookUrl = sinkUrl;
    try {
      const { reference } = await json(await withdraw(user, { amount: 40_000, bank_account_id: accountId }));
      await waitFor(() => swallowed.some((body) => body.includes(reference)));
      return { user, reference };
    } finally {
      paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
    }
  }

  it('success, then failed: the failure is logged and ignored', async () => {
    const { user, reference } = await heldWithdrawal();
    expect((await deliver(transferEvent('transfer.success', { reference, amount: 40_000 }))).status).toBe(
      200,
    );
    expect((await deliver(transferEvent('transfer.failed', { reference, amount: 40_000 }))).status).toBe(200);
    expect((await withdrawal(user, reference)).status).toBe('success');
    expect(await balanceOf(user)).toBe(100_000 - 41_000);
  });

  it('failed, then success: nothing moves twice, and the contradiction is flagged', async () => {
    const { user, reference } = await heldWithdrawal();
    await deliver(transferEvent('transfer.failed', { reference, amount: 40_000 }));
    await deliver(transferEvent('transfer.success', { reference, amount: 40_000 }));
    expect((await withdrawal(user, reference)).status).toBe('failed');
    expect(await balanceOf(user)).toBe(100_000);
    const [row] = await t.db.select().from(withdrawals).where(eq(withdrawals.reference, reference));
    expect(row?.flaggedReason).toMatch(/success/);
  });

  it('reversed while pending returns the money once, however often it arrives', async () => {
    const { user, reference } = await heldWithdrawal();
    for (let i = 0; i < 3; i++)
      await deliver(transferEvent('transfer.reversed', { reference, amount: 40_000 }));
    expect((await withdrawal(user, reference)).status).toBe('reversed');
    expect(await balanceOf(user)).toBe(100_000);
  });

  it('of another amount moves nothing and is flagged', async () => {
    const { user, reference } = await heldWithdrawal();
    await deliver(transferEvent('transfer.success', { reference, amount: 4_000_000 }));
    expect((await withdrawal(user, reference)).status).toBe('pending');
    const [row] = await t.db.select().from(withdrawals).where(eq(withdrawals.reference, reference));
    expect(row?.flaggedReason).toMatch(/4000000/);
  });

  it('for an unknown reference is acknowledged and changes nothing', async () => {
    const response = await deliver(
      transferEvent('transfer.success', { reference: 'wdr_nobody', amount: 40_000 }),
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: true });
  });

  it.skipIf(!onPostgres)(
    '25 concurrent duplicates of success, or of failed, make one transition',
    async () => {
      for (const event of ['transfer.success', 'transfer.failed']) {
        const { user, reference } = await heldWithdrawal();
        const body = transferEvent(event, { reference, amount: 40_000 });
        const responses = await Promise.all(Array.from({ length: 25 }, () => deliver(body)));
        expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
        expect(await balanceOf(user)).toBe(event === 'transfer.success' ? 100_000 - 41_000 : 100_000);
        await expectLedgerConsistent(t.db);
      }
    },
  );
});

describe('limits under concurrency', () => {
  it('refuses a sixth pending withdrawal', async () => {
    const { user, accountId } = await userWithAccount(1_000_000);
    paystack.behaviour.api = 'down';
    for (let i = 0; i < 5; i++) {
      expect((await withdraw(user, { amount: 10_000, bank_account_id: accountId })).status).toBe(202);
    }
    await expectProblem(
      await withdraw(user, { amount: 10_000, bank_account_id: accountId }),
      409,
      'too_many_pending_withdrawals',
    );
    expect(await balanceOf(user)).toBe(1_000_000 - 5 * 11_000);
  });

  it.skipIf(!onPostgres)('20 concurrent withdrawals take exactly what the balance covers', async () => {
    const { user, accountId } = await userWithAccount(3 * 11_000 + 10_999);
    paystack.behaviour.api = 'down';
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => withdraw(user, { amount: 10_000, bank_account_id: accountId })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(3).fill(202), ...Array(17).fill(422)]);
    expect(await balanceOf(user)).toBe(10_999);
    await expectLedgerConsistent(t.db);
  });
});

describe('the reconciler', () => {
  it('leaves young withdrawals alone and asks about each one once per interval', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    paystack.behaviour.api = 'down';
    const { reference } = await json(await withdraw(user, { amount: 10_000, bank_account_id: accountId }));
    paystack.behaviour.api = 'normal';
    const young = await reconcileWithdrawals(t.db, client, { minAgeMs: 60_000, reverifyAfterMs: 0 });
    expect(young.checks.map((check) => check.reference)).not.toContain(reference);
    const first = await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 60_000 });
    expect(first.checks.map((check) => check.reference)).toContain(reference);
    const again = await reconcileWithdrawals(t.db, client, { minAgeMs: 0, reverifyAfterMs: 60_000 });
    expect(again.checks.map((check) => check.reference)).not.toContain(reference);
    await settledAs(user, reference, 'success');
    expect(await client.verifyTransfer(reference)).toMatchObject({ status: 'success', amount: 10_000n });
  });
});

describe('bank account rows', () => {
  it('keep the Paystack recipient, created once and reused', async () => {
    const { user, accountId } = await userWithAccount(100_000);
    const recipientCalls = () =>
      paystack.received.filter((line) => line.startsWith('POST /transferrecipient')).length;
    const before = recipientCalls();
    for (let i = 0; i < 2; i++) {
      const { reference } = await json(await withdraw(user, { amount: 10_000, bank_account_id: accountId }));
      await settledAs(user, reference, 'success');
    }
    expect(recipientCalls() - before).toBe(1);
    const [row] = await t.db.select().from(bankAccounts).where(eq(bankAccounts.id, accountId));
    expect(row?.recipientCode).toMatch(/^RCP_/);
  });
});

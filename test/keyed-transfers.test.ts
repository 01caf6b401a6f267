import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key-format.ts';
import { apiKeys } from '../src/db/schema.ts';
import { createKeyAt, type Headers, keyAuth, sendTo } from './support/api-keys.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import { expectLedgerConsistent, fundWallet } from './support/ledger.ts';

// Issue #15, item 5: a transfer sent with an API key and no Idempotency-Key checks the key in the
// transfer's own statement (`wallet_transfer_by_api_key`). These are the checks the credential
// check made before, now made there: each refusal as before, with nothing moved.

let t: TestApp;
let sender: TestUser;
let recipient: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  sender = await t.createUser();
  recipient = await t.createUser();
  await fundWallet(t.db, sender.id, 100_000);
});
afterAll(() => t.close());

const transferWith = (headers: Headers, amount = 1_000, extra: Headers = {}) =>
  sendTo(
    t.url,
    'POST',
    '/wallet/transfer',
    { ...headers, ...extra },
    {
      wallet_number: recipient.walletNumber,
      amount,
    },
  );

async function balanceOf(user: TestUser): Promise<number> {
  const response = await sendTo(t.url, 'GET', '/wallet/balance', user.auth);
  expect(response.status).toBe(200);
  return (await json(response)).balance;
}

async function lastUsedAt(keyId: string): Promise<Date | null> {
  const [row] = await t.db
    .select({ lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(eq(apiKeys.id, keyId));
  if (!row) throw new Error(`no key ${keyId}`);
  return row.lastUsedAt;
}

/** Runs `refused`, expecting it to move no money. */
async function expectNothingMoved(refused: () => Promise<void>): Promise<void> {
  const before = [await balanceOf(sender), await balanceOf(recipient)];
  await refused();
  expect([await balanceOf(sender), await balanceOf(recipient)]).toEqual(before);
}

describe('a transfer sent with an API key', () => {
  it('moves the money and records the key’s use', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['transfer'] });
    expect(await lastUsedAt(key.id)).toBeNull();
    const before = await balanceOf(sender);
    const response = await transferWith(keyAuth(key.api_key), 2_500);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'success', amount: 2_500, balance: before - 2_500 });
    expect(await lastUsedAt(key.id)).not.toBeNull();
  });

  it('refuses a revoked key at once, moving nothing', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['transfer'] });
    expect((await transferWith(keyAuth(key.api_key))).status).toBe(200);
    expect((await sendTo(t.url, 'DELETE', `/keys/${key.id}`, sender.auth)).status).toBe(204);
    await expectNothingMoved(async () => {
      await expectProblem(await transferWith(keyAuth(key.api_key)), 401, 'api_key_revoked');
    });
  });

  it('refuses an expired key, moving nothing', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['transfer'] });
    await t.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(apiKeys.id, key.id));
    await expectNothingMoved(async () => {
      await expectProblem(await transferWith(keyAuth(key.api_key)), 401, 'api_key_expired');
    });
  });

  it('refuses unknown and malformed keys as invalid_api_key', async () => {
    await expectNothingMoved(async () => {
      await expectProblem(await transferWith(keyAuth(generateApiKey('test').key)), 401, 'invalid_api_key');
      await expectProblem(await transferWith(keyAuth('sk_test_nope')), 401, 'invalid_api_key');
    });
  });

  it('refuses a key without the transfer permission, naming it, and records the use', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['read', 'deposit', 'withdraw'] });
    await expectNothingMoved(async () => {
      const body = await expectProblem(await transferWith(keyAuth(key.api_key)), 403, 'permission_denied');
      expect(body.required_permission).toBe('transfer');
      expect(body.detail).toBe('This API key lacks the "transfer" permission');
    });
    expect(await lastUsedAt(key.id)).not.toBeNull();
  });

  it('records the key’s use when the transfer itself is refused, which undoes its statement', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['transfer'] });
    await expectNothingMoved(async () => {
      await expectProblem(await transferWith(keyAuth(key.api_key), 90_000_000), 422, 'insufficient_funds');
    });
    expect(await lastUsedAt(key.id)).not.toBeNull();
  });

  it('with an Idempotency-Key, pays once and replays the first answer', async () => {
    const key = await createKeyAt(t.url, sender, { permissions: ['transfer'] });
    const before = await balanceOf(sender);
    const retry = { 'idempotency-key': `keyed-${Date.now()}` };
    const first = await transferWith(keyAuth(key.api_key), 700, retry);
    const second = await transferWith(keyAuth(key.api_key), 700, retry);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotency-hit')).toBe('true');
    expect(await json(second)).toEqual(await json(first));
    expect(await balanceOf(sender)).toBe(before - 700);
    await expectLedgerConsistent(t.db);
  });
});

describe('rate limits of keyed transfers', () => {
  let limited: TestApp;
  let owner: TestUser;
  let payee: TestUser;

  beforeAll(async () => {
    limited = await startTestApp({
      env: { RATE_LIMIT_WALLET_PER_MINUTE: '3', RATE_LIMIT_FAILED_KEY_PER_MINUTE: '2' },
    });
    owner = await limited.createUser();
    payee = await limited.createUser();
    await fundWallet(limited.db, owner.id, 10_000);
  });
  afterAll(() => limited.close());

  const send = (key: string) =>
    sendTo(limited.url, 'POST', '/wallet/transfer', keyAuth(key), {
      wallet_number: payee.walletNumber,
      amount: 100,
    });

  it('counts a key’s transfers and reads against one allowance', async () => {
    const { api_key: key } = await createKeyAt(limited.url, owner, { permissions: ['read', 'transfer'] });
    expect((await sendTo(limited.url, 'GET', '/wallet/balance', keyAuth(key))).status).toBe(200);
    expect((await send(key)).status).toBe(200);
    expect((await sendTo(limited.url, 'GET', '/wallet/balance', keyAuth(key))).status).toBe(200);
    await expectProblem(await send(key), 429, 'rate_limited');
  });

  it('counts keys the transfer’s statement refuses as failed attempts from the address', async () => {
    const { api_key: key, id } = await createKeyAt(limited.url, owner, { permissions: ['transfer'] });
    expect((await sendTo(limited.url, 'DELETE', `/keys/${id}`, owner.auth)).status).toBe(204);
    await expectProblem(await send(key), 401, 'api_key_revoked');
    await expectProblem(await send(generateApiKey('test').key), 401, 'invalid_api_key');
    await expectProblem(await send(generateApiKey('test').key), 429, 'rate_limited');
  });
});

import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { expiresAtFor } from '../src/auth/api-key-expiry.ts';
import { generateApiKey, isWellFormedApiKey } from '../src/auth/api-key-format.ts';
import { apiKeyModeFor } from '../src/auth/api-key-management.ts';
import { apiKeys } from '../src/db/schema.ts';
import {
  type CreateBody,
  createKeyAt,
  type Headers,
  KEY_FORMAT,
  keyAuth,
  sendTo,
} from './support/api-keys.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const send = (method: string, path: string, headers: Headers, body?: unknown, base = t.url) =>
  sendTo(base, method, path, headers, body);
const balance = (headers: Headers, base = t.url) => send('GET', '/wallet/balance', headers, undefined, base);
const createKey = (user: TestUser, body: CreateBody = {}, base = t.url) => createKeyAt(base, user, body);

async function keyRow(id: string) {
  const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, id));
  if (!row) throw new Error(`no key ${id}`);
  return row;
}

async function expireKey(id: string): Promise<void> {
  await t.db
    .update(apiKeys)
    .set({ expiresAt: new Date(Date.now() - 1_000) })
    .where(eq(apiKeys.id, id));
}

const rollover = (user: TestUser, expiredKeyId: string, expiry = '1D') =>
  send('POST', '/keys/rollover', user.auth, { expired_key_id: expiredKeyId, expiry });
const revoke = (user: TestUser, id: string) => send('DELETE', `/keys/${id}`, user.auth);
const listKeys = async (user: TestUser): Promise<JsonBody[]> => {
  const response = await send('GET', '/keys', user.auth);
  expect(response.status).toBe(200);
  return json(response);
};

describe('key expiry arithmetic', () => {
  const at = (iso: string) => new Date(iso);

  it('adds an hour and a day exactly', () => {
    expect(expiresAtFor(at('2025-03-30T00:30:00.000Z'), '1H').toISOString()).toBe('2025-03-30T01:30:00.000Z');
    expect(expiresAtFor(at('2025-03-30T00:30:00.000Z'), '1D').toISOString()).toBe('2025-03-31T00:30:00.000Z');
  });

  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(expiresAtFor(at('2025-01-31T10:20:30.456Z'), '1M').toISOString()).toBe('2025-02-28T10:20:30.456Z');
    expect(expiresAtFor(at('2024-01-31T10:20:30.456Z'), '1M').toISOString()).toBe('2024-02-29T10:20:30.456Z');
    expect(expiresAtFor(at('2025-03-31T23:59:59.999Z'), '1M').toISOString()).toBe('2025-04-30T23:59:59.999Z');
    expect(expiresAtFor(at('2025-12-15T08:00:00.000Z'), '1M').toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(expiresAtFor(at('2025-02-28T08:00:00.000Z'), '1M').toISOString()).toBe('2025-03-28T08:00:00.000Z');
  });

  it('adds calendar years, Feb 29 becoming Feb 28', () => {
    expect(expiresAtFor(at('2024-02-29T12:00:00.000Z'), '1Y').toISOString()).toBe('2025-02-28T12:00:00.000Z');
    expect(expiresAtFor(at('2025-06-01T12:00:00.000Z'), '1Y').toISOString()).toBe('2026-06-01T12:00:00.000Z');
  });

  it('makes test keys for the simulator and Paystack test keys, live keys otherwise', () => {
    expect(apiKeyModeFor(undefined)).toBe('test');
    expect(apiKeyModeFor('sk_test_abc')).toBe('test');
    expect(apiKeyModeFor('sk_live_abc')).toBe('live');
  });
});

describe('POST /keys/create', () => {
  let alice: TestUser;

  beforeAll(async () => {
    alice = await t.createUser();
  });

  it('answers 201 with the key once, in the SPEC shape, and stores only its hash', async () => {
    const response = await send('POST', '/keys/create', alice.auth, {
      name: 'billing service',
      permissions: ['transfer', 'read', 'deposit'],
      expiry: '1H',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(
      ['api_key', 'created_at', 'expires_at', 'id', 'name', 'permissions'].sort(),
    );
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'billing service',
      api_key: expect.stringMatching(KEY_FORMAT),
      permissions: ['deposit', 'transfer', 'read'],
      expires_at: expect.stringMatching(ISO),
      created_at: expect.stringMatching(ISO),
    });
    expect(isWellFormedApiKey(body.api_key)).toBe(true);
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(3_600_000);
    expect(Math.abs(Date.parse(body.created_at) - Date.now())).toBeLessThan(10_000);

    const row = await keyRow(body.id);
    expect(Buffer.from(row.keyHash).equals(createHash('sha256').update(body.api_key).digest())).toBe(true);
    expect(row.prefix).toBe(body.api_key.slice(0, 12));
    expect(JSON.stringify(row)).not.toContain(body.api_key);
    expect(row.userId).toBe(alice.id);
    expect(row.revokedAt).toBeNull();
    expect(row.lastUsedAt).toBeNull();
    expect(row.replacesKeyId).toBeNull();
  });

  it('sets expires_at one hour, day, calendar month or calendar year ahead', async () => {
    const user = await t.createUser();
    for (const expiry of ['1H', '1D', '1M', '1Y'] as const) {
      const body = await createKey(user, { expiry });
      expect(body.expires_at).toBe(expiresAtFor(new Date(body.created_at), expiry).toISOString());
    }
  });

  it('trims the name', async () => {
    const body = await createKey(await t.createUser(), { name: '  reporting  ' });
    expect(body.name).toBe('reporting');
  });

  const invalidBodies: [string, unknown][] = [
    ['no permissions', { name: 'x', permissions: [], expiry: '1D' }],
    ['a duplicate permission', { name: 'x', permissions: ['read', 'read'], expiry: '1D' }],
    ['an unknown permission', { name: 'x', permissions: ['admin'], expiry: '1D' }],
    ['permissions in a different case', { name: 'x', permissions: ['READ'], expiry: '1D' }],
    ['four permissions', { name: 'x', permissions: ['read', 'deposit', 'transfer', 'read'], expiry: '1D' }],
    ['permissions as a string', { name: 'x', permissions: 'read', expiry: '1D' }],
    ['expiry 2D', { name: 'x', permissions: ['read'], expiry: '2D' }],
    ['expiry in lower case', { name: 'x', permissions: ['read'], expiry: '1h' }],
    ['no expiry', { name: 'x', permissions: ['read'] }],
    ['no name', { permissions: ['read'], expiry: '1D' }],
    ['an empty name', { name: '', permissions: ['read'], expiry: '1D' }],
    ['a blank name', { name: '   ', permissions: ['read'], expiry: '1D' }],
    ['a name with a newline', { name: 'a\nb', permissions: ['read'], expiry: '1D' }],
    ['a name of 101 characters', { name: 'n'.repeat(101), permissions: ['read'], expiry: '1D' }],
    ['an unknown field', { name: 'x', permissions: ['read'], expiry: '1D', admin: true }],
  ];
  for (const [what, body] of invalidBodies) {
    it(`refuses ${what} with 400`, async () => {
      await expectProblem(await send('POST', '/keys/create', alice.auth, body), 400, 'validation_failed');
    });
  }
});

describe('the limit of 5 active keys', () => {
  it('refuses a sixth active key, and counts neither revoked nor expired keys', async () => {
    const user = await t.createUser();
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await createKey(user, { name: `key ${i}` }));
    const refused = await expectProblem(
      await send('POST', '/keys/create', user.auth, { name: 'six', permissions: ['read'], expiry: '1D' }),
      409,
      'api_key_limit_reached',
    );
    expect(refused.detail).toMatch(/5/);

    expect((await revoke(user, keys[0].id)).status).toBe(204);
    await createKey(user, { name: 'after a revocation' });
    await expectProblem(
      await send('POST', '/keys/create', user.auth, { name: 'six', permissions: ['read'], expiry: '1D' }),
      409,
      'api_key_limit_reached',
    );
    await expireKey(keys[1].id);
    await createKey(user, { name: 'after an expiry' });
  });

  it('is per user', async () => {
    const user = await t.createUser();
    const other = await t.createUser();
    for (let i = 0; i < 5; i++) await createKey(user);
    await createKey(other);
  });
});

describe.skipIf(!onPostgres)('the limit under concurrency (PostgreSQL)', () => {
  it('makes exactly 5 keys out of 10 concurrent creates', async () => {
    const user = await t.createUser();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        send('POST', '/keys/create', user.auth, { name: `race ${i}`, permissions: ['read'], expiry: '1D' }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 201, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      await expectProblem(response, 409, 'api_key_limit_reached');
    }
    const rows = await t.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id));
    expect(rows).toHaveLength(5);
  });

  it('rolls an expired key over exactly once out of 8 concurrent rollovers', async () => {
    const user = await t.createUser();
    const old = await createKey(user);
    await expireKey(old.id);
    const responses = await Promise.all(Array.from({ length: 8 }, () => rollover(user, old.id)));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 201)) {
      await expectProblem(response, 409, 'api_key_already_rolled_over');
    }
    const successors = await t.db.select().from(apiKeys).where(eq(apiKeys.replacesKeyId, old.id));
    expect(successors).toHaveLength(1);
  });
});

describe('GET /keys', () => {
  it('lists the caller’s keys with their status and never a secret, active ones first', async () => {
    const user = await t.createUser();
    const other = await t.createUser();
    const othersKey = await createKey(other);
    const expired = await createKey(user, { name: 'expired', permissions: ['deposit'] });
    const revoked = await createKey(user, { name: 'revoked', permissions: ['transfer'] });
    const active = await createKey(user, { name: 'active', permissions: ['read', 'deposit'] });
    await expireKey(expired.id);
    expect((await revoke(user, revoked.id)).status).toBe(204);

    const response = await send('GET', '/keys', user.auth);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of [expired.api_key, revoked.api_key, active.api_key, othersKey.api_key]) {
      expect(text).not.toContain(secret);
    }
    const keys: JsonBody[] = JSON.parse(text);
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(
        ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'permissions', 'prefix', 'status'].sort(),
      );
    }
    expect(keys[0]).toEqual({
      id: active.id,
      name: 'active',
      prefix: active.api_key.slice(0, 12),
      permissions: ['deposit', 'read'],
      status: 'active',
      expires_at: active.expires_at,
      created_at: active.created_at,
      last_used_at: null,
    });
    const byId = new Map(keys.map((key) => [key.id, key]));
    expect(byId.get(expired.id)).toMatchObject({
      status: 'expired',
      name: 'expired',
      permissions: ['deposit'],
    });
    expect(byId.get(revoked.id)).toMatchObject({
      status: 'revoked',
      name: 'revoked',
      permissions: ['transfer'],
    });
    expect(byId.has(othersKey.id)).toBe(false);
  });

  it('answers an empty array to a user without keys', async () => {
    expect(await listKeys(await t.createUser())).toEqual([]);
  });
});

describe('POST /keys/rollover', () => {
  let user: TestUser;

  beforeAll(async () => {
    user = await t.createUser();
  });

  it('replaces an expired key once, keeping its name and permissions', async () => {
    const old = await createKey(user, { name: 'nightly export', permissions: ['transfer', 'read'] });
    await expireKey(old.id);
    await expectProblem(await balance(keyAuth(old.api_key)), 401, 'api_key_expired');

    const response = await rollover(user, old.id, '1M');
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const fresh = await json(response);
    expect(Object.keys(fresh).sort()).toEqual(
      ['api_key', 'created_at', 'expires_at', 'id', 'name', 'permissions'].sort(),
    );
    expect(fresh).toMatchObject({ name: 'nightly export', permissions: ['transfer', 'read'] });
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.api_key).toMatch(KEY_FORMAT);
    expect(fresh.api_key).not.toBe(old.api_key);
    expect(fresh.expires_at).toBe(expiresAtFor(new Date(fresh.created_at), '1M').toISOString());
    expect((await keyRow(fresh.id)).replacesKeyId).toBe(old.id);

    expect((await balance(keyAuth(fresh.api_key))).status).toBe(200);
    await expectProblem(await balance(keyAuth(old.api_key)), 401, 'api_key_expired');

    const again = await expectProblem(await rollover(user, old.id), 409, 'api_key_already_rolled_over');
    expect(again.detail).toMatch(/already/);
  });

  it('refuses a key that has not expired yet', async () => {
    const live = await createKey(user);
    await expectProblem(await rollover(user, live.id), 409, 'api_key_not_expired');
  });

  it('refuses a revoked key, expired or not', async () => {
    const live = await createKey(user);
    expect((await revoke(user, live.id)).status).toBe(204);
    await expectProblem(await rollover(user, live.id), 409, 'api_key_revoked');
    await expireKey(live.id);
    await expectProblem(await rollover(user, live.id), 409, 'api_key_revoked');
  });

  it('answers 404 for another user’s key and for an unknown one', async () => {
    const other = await t.createUser();
    const theirs = await createKey(other);
    await expireKey(theirs.id);
    await expectProblem(await rollover(user, theirs.id), 404, 'api_key_not_found');
    await expectProblem(
      await rollover(user, '00000000-0000-4000-8000-000000000000'),
      404,
      'api_key_not_found',
    );
    expect((await rollover(other, theirs.id)).status).toBe(201);
  });

  it('refuses a malformed id or expiry with 400', async () => {
    await expectProblem(await rollover(user, 'not-a-uuid'), 400, 'validation_failed');
    const old = await createKey(user);
    await expireKey(old.id);
    await expectProblem(await rollover(user, old.id, '3D'), 400, 'validation_failed');
    await expectProblem(
      await send('POST', '/keys/rollover', user.auth, { expired_key_id: old.id }),
      400,
      'validation_failed',
    );
  });

  it('counts the new key toward the limit of 5', async () => {
    const full = await t.createUser();
    const old = await createKey(full);
    await expireKey(old.id);
    for (let i = 0; i < 5; i++) await createKey(full);
    await expectProblem(await rollover(full, old.id), 409, 'api_key_limit_reached');
  });
});

describe('DELETE /keys/{key_id}', () => {
  it('revokes at once, on every instance, and is idempotent', async () => {
    const user = await t.createUser();
    const key = await createKey(user);
    // A second instance on the same database: it used the key before the revocation.
    const other = await buildApp({ config: t.config, database: t.database.handle });
    const otherUrl = await other.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await balance(keyAuth(key.api_key))).status).toBe(200);
      expect((await balance(keyAuth(key.api_key), otherUrl)).status).toBe(200);

      const response = await revoke(user, key.id);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      await expectProblem(await balance(keyAuth(key.api_key)), 401, 'api_key_revoked');
      await expectProblem(await balance(keyAuth(key.api_key), otherUrl), 401, 'api_key_revoked');

      const revokedAt = (await keyRow(key.id)).revokedAt;
      expect(revokedAt).not.toBeNull();
      expect((await revoke(user, key.id)).status).toBe(204);
      expect((await keyRow(key.id)).revokedAt).toEqual(revokedAt);
    } finally {
      await other.close();
    }
  });

  it('answers 404 for another user’s key and leaves it working', async () => {
    const owner = await t.createUser();
    const intruder = await t.createUser();
    const key = await createKey(owner);
    await expectProblem(await revoke(intruder, key.id), 404, 'api_key_not_found');
    await expectProblem(
      await revoke(intruder, '00000000-0000-4000-8000-000000000000'),
      404,
      'api_key_not_found',
    );
    expect((await balance(keyAuth(key.api_key))).status).toBe(200);
  });

  it('refuses a malformed or over-long id with a problem, not a 500', async () => {
    const user = await t.createUser();
    await expectProblem(await revoke(user, 'not-a-uuid'), 400, 'validation_failed');
    await expectProblem(await revoke(user, "1' or '1'='1"), 400, 'validation_failed');
    const long = await revoke(user, 'a'.repeat(300));
    expect(long.status).toBe(414);
    expect(long.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('credentials on /keys*', () => {
  let user: TestUser;
  let key: string;

  beforeAll(async () => {
    user = await t.createUser();
    key = (await createKey(user, { permissions: ['deposit', 'transfer', 'read'] })).api_key;
  });

  const routes: [string, string, unknown][] = [
    ['POST', '/keys/create', { name: 'x', permissions: ['read'], expiry: '1D' }],
    ['GET', '/keys', undefined],
    ['POST', '/keys/rollover', { expired_key_id: '00000000-0000-4000-8000-000000000000', expiry: '1D' }],
    ['DELETE', '/keys/00000000-0000-4000-8000-000000000000', undefined],
  ];
  for (const [method, path, body] of routes) {
    it(`${method} ${path}: refuses an API key (403), both headers (400), none (401)`, async () => {
      const refused = await expectProblem(
        await send(method, path, keyAuth(key), body),
        403,
        'permission_denied',
      );
      expect(refused.detail).toMatch(/sign in/);
      await expectProblem(
        await send(method, path, { ...user.auth, ...keyAuth(key) }, body),
        400,
        'ambiguous_credentials',
      );
      await expectProblem(await send(method, path, {}, body), 401, 'unauthenticated');
    });
  }
});

describe('authenticating with x-api-key', () => {
  let owner: TestUser;
  let recipient: TestUser;

  beforeAll(async () => {
    owner = await t.createUser();
    recipient = await t.createUser();
    await fundWallet(t.db, owner.id, 1_000_000);
  });

  it('acts for the key’s owner', async () => {
    const key = await createKey(owner);
    const response = await balance(keyAuth(key.api_key));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      balance: 1_000_000,
      currency: 'NGN',
      wallet_number: owner.walletNumber,
      frozen: false,
      debt: 0,
    });
  });

  it('refuses an expired key with 401 api_key_expired', async () => {
    const key = await createKey(owner);
    await expireKey(key.id);
    await expectProblem(await balance(keyAuth(key.api_key)), 401, 'api_key_expired');
  });

  it('refuses malformed, truncated, checksum-broken and unknown keys with 401 invalid_api_key', async () => {
    const { api_key: key } = await createKey(owner);
    const last = key.at(-1) as string;
    // Two neighbouring characters that differ, so swapping them really changes the key.
    const swapAt = [...key].findIndex((char, index) => index >= 10 && char !== key[index + 1]);
    const candidates = [
      'sk_test_abc',
      'not a key',
      key.slice(0, -1),
      key.slice(0, 20),
      key.slice(0, -1) + (last === 'A' ? 'B' : 'A'),
      `${key.slice(0, swapAt)}${key[swapAt + 1]}${key[swapAt]}${key.slice(swapAt + 2)}`,
      key.replace('sk_test_', 'sk_live_'),
      `${key}0`,
      key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase(),
      generateApiKey('test').key,
      generateApiKey('live').key,
    ];
    expect(candidates).not.toContain(key);
    for (const candidate of candidates) {
      const body = await expectProblem(await balance(keyAuth(candidate)), 401, 'invalid_api_key');
      expect(JSON.stringify(body)).not.toContain(candidate);
    }
  });

  it('refuses a key together with a JWT with 400 ambiguous_credentials', async () => {
    const key = await createKey(owner);
    await expectProblem(
      await balance({ ...owner.auth, ...keyAuth(key.api_key) }),
      400,
      'ambiguous_credentials',
    );
  });

  const others = (permission: string) => ['deposit', 'transfer', 'read'].filter((p) => p !== permission);

  async function expectDenied(response: Response, permission: string): Promise<void> {
    const body = await expectProblem(response, 403, 'permission_denied');
    expect(body.required_permission).toBe(permission);
    expect(body.detail).toContain(permission);
  }

  it('GET /wallet/balance needs read', async () => {
    const user = await t.createUser();
    const allowed = await createKey(user, { permissions: ['read'] });
    const denied = await createKey(user, { permissions: others('read') });
    expect((await balance(keyAuth(allowed.api_key))).status).toBe(200);
    await expectDenied(await balance(keyAuth(denied.api_key)), 'read');
  });

  it('GET /wallet/transactions needs read', async () => {
    const user = await t.createUser();
    await fundWallet(t.db, user.id, 500);
    const allowed = await createKey(user, { permissions: ['read'] });
    const denied = await createKey(user, { permissions: others('read') });
    const response = await send('GET', '/wallet/transactions', keyAuth(allowed.api_key));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject([{ type: 'deposit', direction: 'credit', amount: 500 }]);
    await expectDenied(await send('GET', '/wallet/transactions', keyAuth(denied.api_key)), 'read');
  });

  it('POST /wallet/transfer needs transfer', async () => {
    const sender = await t.createUser();
    await fundWallet(t.db, sender.id, 1_000);
    const allowed = await createKey(sender, { permissions: ['transfer'] });
    const denied = await createKey(sender, { permissions: others('transfer') });
    const body = { wallet_number: recipient.walletNumber, amount: 100 };
    const response = await send('POST', '/wallet/transfer', keyAuth(allowed.api_key), body);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'success', amount: 100 });
    await expectDenied(await send('POST', '/wallet/transfer', keyAuth(denied.api_key), body), 'transfer');
  });

  it('POST /wallet/deposit needs deposit', async () => {
    const user = await t.createUser();
    const allowed = await createKey(user, { permissions: ['deposit'] });
    const denied = await createKey(user, { permissions: others('deposit') });
    const response = await send('POST', '/wallet/deposit', keyAuth(allowed.api_key), { amount: 10_000 });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ amount: 10_000, status: 'pending' });
    await expectDenied(
      await send('POST', '/wallet/deposit', keyAuth(denied.api_key), { amount: 10_000 }),
      'deposit',
    );
  });

  it('GET /wallet/deposit/{reference}/status needs read', async () => {
    const user = await t.createUser();
    const started = await send('POST', '/wallet/deposit', user.auth, { amount: 20_000 });
    expect(started.status).toBe(201);
    const { reference } = await json(started);
    const allowed = await createKey(user, { permissions: ['read'] });
    const denied = await createKey(user, { permissions: others('read') });
    const path = `/wallet/deposit/${reference}/status`;
    const response = await send('GET', path, keyAuth(allowed.api_key));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ reference, status: 'pending', amount: 20_000 });
    await expectDenied(await send('GET', path, keyAuth(denied.api_key)), 'read');
  });

  it('records last_used_at at most once a minute', async () => {
    const user = await t.createUser();
    const key = await createKey(user);
    expect((await keyRow(key.id)).lastUsedAt).toBeNull();

    const before = Date.now();
    expect((await balance(keyAuth(key.api_key))).status).toBe(200);
    const first = (await keyRow(key.id)).lastUsedAt;
    expect(first).not.toBeNull();
    expect((first as Date).getTime()).toBeGreaterThanOrEqual(before - 1_000);

    expect((await balance(keyAuth(key.api_key))).status).toBe(200);
    expect((await keyRow(key.id)).lastUsedAt).toEqual(first);
    const listed = (await listKeys(user)).find((k) => k.id === key.id);
    expect(listed.last_used_at).toBe((first as Date).toISOString());

    const longAgo = new Date(Date.now() - 5 * 60_000);
    await t.db.update(apiKeys).set({ lastUsedAt: longAgo }).where(eq(apiKeys.id, key.id));
    expect((await balance(keyAuth(key.api_key))).status).toBe(200);
    const refreshed = (await keyRow(key.id)).lastUsedAt as Date;
    expect(refreshed.getTime()).toBeGreaterThan(longAgo.getTime() + 60_000);
  });
});

describe('key mode', () => {
  it('makes sk_live_ keys when Paystack runs with a live secret key', async () => {
    const live = await startTestApp({ env: { PAYSTACK_SECRET_KEY: 'sk_live_0123456789abcdef' } });
    try {
      const user = await live.createUser();
      const response = await send(
        'POST',
        '/keys/create',
        user.auth,
        { name: 'live', permissions: ['read'], expiry: '1H' },
        live.url,
      );
      expect(response.status).toBe(201);
      const { api_key: key } = await json(response);
      expect(key).toMatch(/^sk_live_[0-9A-Za-z]{38}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
      expect((await balance(keyAuth(key), live.url)).status).toBe(200);
    } finally {
      await live.close();
    }
  });
});

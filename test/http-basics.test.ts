import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { users, wallets } from '../src/db/schema.ts';
import { ERRORS, type ErrorCode } from '../src/errors.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.createUser('alice@example.com');
});
afterAll(() => t.close());

describe('HTTP basics', () => {
  it('answers liveness and readiness', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('renders unknown routes as problem+json 404 and echoes a request id', async () => {
    const response = await fetch(`${t.url}/no/such/route`, { headers: { 'x-request-id': 'trace-123' } });
    const body = await expectProblem(response, 404, 'not_found');
    expect(body.request_id).toBe('trace-123');
    expect(response.headers.get('x-request-id')).toBe('trace-123');
  });

  it('refuses bodies over 1 MiB with problem+json 413', async () => {
    // A route that takes a body: one that does not exist answers before reading it (404 or 405).
    const response = await fetch(`${t.url}/wallet/transfer`, {
      method: 'POST',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
    });
    await expectProblem(response, 413, 'payload_too_large');
  });

  it('serves the OpenAPI 3.1 document and the interactive docs', async () => {
    const document = await json(await fetch(`${t.url}/openapi.json`));
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/wallet/balance'].get.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }]);
    expect(document.paths['/wallet/balance'].get['x-required-permission']).toBe('read');
    expect(document.components.securitySchemes).toHaveProperty('bearerAuth');
    expect(document.components.securitySchemes).toHaveProperty('apiKeyAuth');
    const docs = await fetch(`${t.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('documents every error code in the OpenAPI document, and refusals match its ProblemDetails', async () => {
    const document = await json(await fetch(`${t.url}/openapi.json`));
    const schema = document.components.schemas.ProblemDetails;
    expect(schema.properties.code.enum).toEqual(Object.keys(ERRORS));
    const operations = Object.values(document.paths as Record<string, Record<string, JsonBody>>).flatMap(
      (methods) => Object.values(methods),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const operation of operations) {
      expect(operation.responses.default.content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/ProblemDetails',
      });
    }
    expect(document.info.description).toContain('| `insufficient_funds` | 422 | Insufficient funds |');

    // Route schemas are module constants: another app built in this process documents them alike.
    const again = await buildApp({ config: t.config, database: t.database.handle });
    try {
      await again.ready();
      expect(again.swagger()).toEqual(document);
      expect(document.paths['/keys/create'].post.description.match(/\*\*Access:\*\*/g)).toHaveLength(1);
    } finally {
      await again.close();
    }

    const matchesSchema = Compile(schema);
    const refusals = [
      await fetch(`${t.url}/no/such/route`),
      await fetch(`${t.url}/wallet/balance`),
      await fetch(`${t.url}/wallet/transfer`, {
        method: 'POST',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ wallet_number: alice.walletNumber, amount: 1 }),
      }),
    ];
    for (const response of refusals) {
      const body = await json(response);
      expect(matchesSchema.Check(body), JSON.stringify(body)).toBe(true);
      expect(body.title).toBe(ERRORS[body.code as ErrorCode].title);
    }
  });
});

describe('JWT authentication', () => {
  const balance = (headers: Record<string, string>) => fetch(`${t.url}/wallet/balance`, { headers });

  it('returns a zero balance and the wallet number to a signed-in user', async () => {
    const response = await balance(alice.auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      balance: 0,
      currency: 'NGN',
      wallet_number: alice.walletNumber,
      frozen: false,
      debt: 0,
    });
  });

  it('requires credentials', async () => {
    await expectProblem(await balance({}), 401, 'unauthenticated');
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = alice.token.split('.');
    const claims: Record<string, unknown> = JSON.parse(
      Buffer.from(payload as string, 'base64url').toString(),
    );
    const forged = Buffer.from(
      JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
    ).toString('base64url');
    await expectProblem(
      await balance({ authorization: `Bearer ${header}.${forged}.${signature}` }),
      401,
      'invalid_token',
    );
  });

  it('refuses alg none', async () => {
    const claims: Record<string, unknown> = JSON.parse(
      Buffer.from(alice.token.split('.')[1] as string, 'base64url').toString(),
    );
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    await expectProblem(await balance({ authorization: `Bearer ${header}.${body}.` }), 401, 'invalid_token');
  });

  it('refuses a token signed with another key', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.id)
      .setIssuer('wallet-service')
      .setAudience('wallet-service')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-to-sign'));
    await expectProblem(await balance({ authorization: `Bearer ${token}` }), 401, 'invalid_token');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.id)
      .setIssuer('wallet-service')
      .setAudience('wallet-service')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const body = await expectProblem(
      await balance({ authorization: `Bearer ${token}` }),
      401,
      'invalid_token',
    );
    expect(body.detail).toMatch(/expired/);
  });

  it('refuses a malformed Authorization header', async () => {
    await expectProblem(await balance({ authorization: `Basic abc` }), 401, 'invalid_token');
  });

  it('refuses both credentials at once', async () => {
    await expectProblem(
      await balance({ ...alice.auth, 'x-api-key': 'sk_test_x' }),
      400,
      'ambiguous_credentials',
    );
  });
});

describe('a valid token of a user who no longer exists', () => {
  let gone: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    gone = await t.createUser();
    bob = await t.createUser();
    await t.db.delete(wallets).where(eq(wallets.userId, gone.id));
    await t.db.delete(users).where(eq(users.id, gone.id));
  });

  const send = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${t.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...gone.auth,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it('is 401 invalid_token on the balance, transfers and the history, not a missing wallet', async () => {
    const transfer = { wallet_number: bob.walletNumber, amount: 100 };
    for (const response of [
      await send('/wallet/balance'),
      await send('/wallet/transactions'),
      await send('/wallet/transfer', { method: 'POST', body: transfer }),
      await send('/wallet/transfer', {
        method: 'POST',
        body: transfer,
        headers: { 'idempotency-key': 'gone-1' },
      }),
    ]) {
      const body = await expectProblem(response, 401, 'invalid_token');
      expect(body.detail).toBe('The signed-in user no longer exists');
    }
  });

  it('is 401 invalid_token on deposits and key management too', async () => {
    for (const response of [
      await send('/wallet/deposit', { method: 'POST', body: { amount: 10_000 } }),
      await send('/wallet/deposit', {
        method: 'POST',
        body: { amount: 10_000 },
        headers: { 'idempotency-key': 'gone-2' },
      }),
      await send('/keys/create', {
        method: 'POST',
        body: { name: 'k', permissions: ['read'], expiry: '1D' },
      }),
    ]) {
      await expectProblem(response, 401, 'invalid_token');
    }
  });
});

import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users, wallets } from '../src/db/schema.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';

let t: TestApp;
let gone: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  gone = await t.createUser();
  await t.db.delete(wallets).where(eq(wallets.userId, gone.id));
  await t.db.delete(users).where(eq(users.id, gone.id));
});
afterAll(() => t.close());

/** Every route the OpenAPI document marks as taking credentials, with its path parameters filled in. */
async function protectedRoutes(): Promise<{ method: string; template: string; path: string }[]> {
  const document: JsonBody = await json(await fetch(`${t.url}/openapi.json`));
  const routes: { method: string; template: string; path: string }[] = [];
  for (const [path, operations] of Object.entries(document.paths as Record<string, JsonBody>)) {
    for (const [method, operation] of Object.entries(operations as Record<string, JsonBody>)) {
      if (!Array.isArray(operation.security)) continue;
      routes.push({
        method: method.toUpperCase(),
        template: path,
        path: path.replace(/\{[^}]+\}/g, randomUUID()),
      });
    }
  }
  return routes;
}

describe('a valid token of a user who no longer exists', () => {
  it('is 401 invalid_token on every protected route', async () => {
    const routes = await protectedRoutes();
    // The routes the issue named must be among them, so the loop cannot pass by finding none.
    expect(routes.map((route) => `${route.method} ${route.template}`)).toEqual(
      expect.arrayContaining([
        'GET /keys',
        'DELETE /keys/{key_id}',
        'POST /keys/rollover',
        'GET /wallet/deposit/{reference}/status',
        'POST /wallet/deposit',
      ]),
    );
    for (const route of routes) {
      const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
      const response = await fetch(`${t.url}${route.path}`, {
        method: route.method,
        headers: { ...gone.auth, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? '{}' : undefined,
      });
      const body = await expectProblem(response, 401, 'invalid_token').catch((error: unknown) => {
        throw new Error(`${route.method} ${route.path}: ${String(error)}`);
      });
      expect(body.detail).toBe('The signed-in user no longer exists');
    }
  });
});

describe('an API key sent as a Bearer token', () => {
  it('is 401 invalid_token whose detail says to send it in x-api-key', async () => {
    for (const key of ['sk_test_0123456789abcdefghijABCDEFGHIJ012345', 'sk_live_whatever']) {
      const response = await fetch(`${t.url}/wallet/balance`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = await expectProblem(response, 401, 'invalid_token');
      expect(body.detail).toMatch(/x-api-key/);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem } from './support/http.ts';

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  user = await t.createUser();
});
afterAll(() => t.close());

function cursorOf(text: string): string {
  return Buffer.from(text).toString('base64url');
}

describe('values decoded from a client are range-checked before SQL sees them', () => {
  it.each([
    ['one past the largest bigint', 'e:9223372036854775808'],
    ['the largest 19-digit number', 'e:9999999999999999999'],
    ['zero', 'e:0'],
    ['leading zeros', 'e:007'],
  ])('refuses a history cursor holding %s with 400 invalid_cursor', async (_name, text) => {
    const response = await fetch(`${t.url}/wallet/transactions?cursor=${cursorOf(text)}`, {
      headers: user.auth,
    });
    const body = await expectProblem(response, 400, 'invalid_cursor');
    expect(body.detail).toMatch(/cursor/);
  });

  it('takes the largest bigint as a cursor', async () => {
    const response = await fetch(`${t.url}/wallet/transactions?cursor=${cursorOf('e:9223372036854775807')}`, {
      headers: user.auth,
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['a URN', 'urn:uuid:6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e'],
    ['braces', '{6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e}'],
    ['no dashes', '6f1c1b4e8d6a4b8e9d7e1f2a3b4c5d6e'],
    ['a number', '12345'],
  ])('refuses a key id written as %s with 400', async (_name, id) => {
    for (const [method, path] of [
      ['DELETE', `/keys/${encodeURIComponent(id)}`],
      ['POST', '/keys/rollover'],
    ] as const) {
      const response = await fetch(`${t.url}${path}`, {
        method,
        headers: { ...user.auth, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        body: method === 'POST' ? JSON.stringify({ expired_key_id: id, expiry: '1D' }) : undefined,
      });
      const body = await expectProblem(response, 400, 'validation_failed');
      expect(body.detail).toMatch(/key_id/);
    }
  });

  it.each(['0', '101', '1e2', '-1', '99999999999999999999', '1.5', ' 1'])(
    'refuses a history limit of %j with 400',
    async (limit) => {
      const response = await fetch(`${t.url}/wallet/transactions?limit=${encodeURIComponent(limit)}`, {
        headers: user.auth,
      });
      const body = await expectProblem(response, 400, 'validation_failed');
      expect(body.detail).toMatch(/limit/);
    },
  );

  it.each(['dep_underscore', 'dep%20space', '%C3%A9'])(
    'refuses a deposit reference %j with 400',
    async (reference) => {
      const response = await fetch(`${t.url}/wallet/deposit/${reference}/status`, { headers: user.auth });
      const body = await expectProblem(response, 400, 'validation_failed');
      expect(body.detail).toMatch(/reference/);
    },
  );
});

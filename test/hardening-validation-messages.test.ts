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

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function detailOf(response: Response): Promise<string> {
  return (await expectProblem(response, 400, 'validation_failed')).detail;
}

/** Characters of a regular expression a message must never show. */
const REGEX_SYNTAX = /[\^$\\[\]{}]|\(\?|\.\*|\+\$/;

describe('validation messages speak the user’s language', () => {
  it('says kobo with an example for amounts that are fractions, strings, too small or too large', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/wallet/transfer', { wallet_number: '4829103756218', amount: 500_000.5 }, /whole number of kobo/],
      ['/wallet/transfer', { wallet_number: '4829103756218', amount: '5000' }, /whole number of kobo/],
      ['/wallet/transfer', { wallet_number: '4829103756218', amount: 0 }, /at least 1 kobo/],
      [
        '/wallet/transfer',
        { wallet_number: '4829103756218', amount: 1e12 },
        /at most 100000000000 kobo \(₦1,000,000,000\)/,
      ],
      ['/wallet/deposit', { amount: 50 }, /at least 100 kobo \(₦1\)/],
      ['/wallet/deposit', { amount: 2_000_000_000 }, /at most 1000000000 kobo \(₦10,000,000\)/],
    ];
    for (const [path, body, expected] of cases) {
      const detail = await detailOf(await post(path, body));
      expect(detail, JSON.stringify(body)).toMatch(/^body\.amount: /);
      expect(detail, JSON.stringify(body)).toMatch(expected);
      expect(detail, JSON.stringify(body)).toContain('₦5,000 is 500000');
    }
  });

  it('lists the allowed values of an enumeration', async () => {
    expect(
      await detailOf(await post('/keys/create', { name: 'k', permissions: ['read'], expiry: '2D' })),
    ).toBe('body.expiry: must be one of 1H, 1D, 1M, 1Y');
    expect(
      await detailOf(await post('/keys/create', { name: 'k', permissions: ['admin'], expiry: '1D' })),
    ).toBe('body.permissions.0: must be one of deposit, transfer, read, withdraw');
  });

  it('describes formats in words, never as a regular expression', async () => {
    const cases: [Promise<Response>, RegExp][] = [
      [
        fetch(`${t.url}/wallet/transactions?limit=500`, { headers: user.auth }),
        /^querystring\.limit: must be a whole number from 1 to 100/,
      ],
      [
        fetch(`${t.url}/wallet/transactions?cursor=a.b`, { headers: user.auth }),
        /^querystring\.cursor: must be the cursor from/,
      ],
      [
        post('/wallet/transfer', { wallet_number: '12ab', amount: 100 }),
        /^body\.wallet_number: must be a wallet number: 13 digits/,
      ],
      [
        post(
          '/wallet/transfer',
          { wallet_number: '4829103756218', amount: 100 },
          { 'idempotency-key': 'has space' },
        ),
        /^headers\.idempotency-key: must be a key of 1 to 255 visible ASCII characters/,
      ],
      [
        fetch(`${t.url}/wallet/deposit/dep_x/status`, { headers: user.auth }),
        /^params\.reference: must be a deposit reference/,
      ],
      [
        fetch(`${t.url}/keys/not-a-uuid`, { method: 'DELETE', headers: user.auth }),
        /^params\.key_id: must be an API key id: a UUID/,
      ],
      [
        post('/keys/rollover', { expired_key_id: 'x', expiry: '1D' }),
        /^body\.expired_key_id: must be an API key id/,
      ],
      [
        post('/keys/create', { name: '\t', permissions: ['read'], expiry: '1D' }),
        /^body\.name: must be text with at least one visible character/,
      ],
    ];
    for (const [response, expected] of cases) {
      const detail = await detailOf(await response);
      expect(detail).toMatch(expected);
      expect(detail).not.toMatch(REGEX_SYNTAX);
    }
  });
});

describe('validation messages on the money-out routes', () => {
  const get = (path: string) => fetch(`${t.url}${path}`, { headers: user.auth });

  it('describe each format by what it is, not by the field’s name', async () => {
    expect(await detailOf(await get('/wallet/withdrawals/WDR_NOT_OURS'))).toBe(
      'params.reference: must be a withdrawal reference: wdr_ and 26 lowercase letters or digits',
    );
    expect(await detailOf(await get('/wallet/deposit/dep_x!/status'))).toMatch(/a deposit reference/);
    expect(
      await detailOf(await post('/wallet/bank-accounts', { bank_code: '058', account_number: '012345678' })),
    ).toBe('body.account_number: must be a 10-digit NUBAN account number, such as 0123456789');
    expect(
      await detailOf(
        await post('/wallet/bank-accounts', { bank_code: '../x', account_number: '0123456789' }),
      ),
    ).toBe('body.bank_code: must be a bank code from GET /banks, such as 058');
    expect(
      await detailOf(await post('/wallet/withdrawals', { amount: 10_000, bank_account_id: 'nope' })),
    ).toBe('body.bank_account_id: must be a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e');
    // Ajv's uuid format would take a urn:uuid: prefix; PostgreSQL would not, failing in SQL.
    const urn = 'urn:uuid:6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e';
    expect(
      await detailOf(await post('/wallet/withdrawals', { amount: 10_000, bank_account_id: urn })),
    ).toMatch(/must be a UUID/);
    const removed = await fetch(`${t.url}/wallet/bank-accounts/${urn}`, {
      method: 'DELETE',
      headers: user.auth,
    });
    await expectProblem(removed, 400, 'validation_failed');
  });

  it('name JSON types in words', async () => {
    expect(await detailOf(await post('/wallet/withdrawals', { amount: 10_000, bank_account_id: 12 }))).toBe(
      'body.bank_account_id: must be text (a JSON string)',
    );
    expect(await detailOf(await post('/wallet/withdrawals', []))).toBe('body: must be a JSON object');
  });

  it('do not echo an over-long path parameter', async () => {
    const response = await get(`/wallet/withdrawals/${'a'.repeat(5_000)}`);
    const problem = await expectProblem(response, 414, 'bad_request');
    expect(problem.detail).toBe('A path parameter is longer than 100 characters');
  });
});

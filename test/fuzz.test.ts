import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';

/**
 * Throws random requests at every route of the OpenAPI document: random methods' bodies, headers,
 * encodings and sizes. Whatever arrives, the service answers below 500 and every refusal is
 * problem+json; the ledger stays consistent. A fixed seed keeps CI repeatable.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let routes: { method: string; path: string }[];

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.createUser();
  bob = await t.createUser();
  await fundWallet(t.db, alice.id, 1_000_000);
  const document = await json(await fetch(`${t.url}/openapi.json`));
  routes = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
});
afterAll(() => t.close());

const nasty = fc.constantFrom(
  '',
  ' ',
  'null',
  '\u0000',
  '%00',
  '../../etc/passwd',
  "' or 1=1 --",
  '😀'.repeat(50),
  'a'.repeat(5_000),
  '9'.repeat(40),
  '-1',
  '1e309',
  'NaN',
  '{"__proto__": {"admin": true}}',
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), nasty);

function amountArb(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer({ min: -1_000, max: 2_000_000 }),
    fc.double(),
    fc.constantFrom(0, 1, 99, 100, 100_000_000_000, 100_000_000_001, Number.MAX_SAFE_INTEGER, -0),
    fc.bigInt().map(String),
    text,
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
  );
}

const bodyArb: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        wallet_number: fc.oneof(text, fc.constantFrom('BOB'), fc.stringMatching(/^\d{13}$/)),
        amount: amountArb(),
        name: text,
        permissions: fc.array(fc.oneof(fc.constantFrom('read', 'transfer', 'deposit'), text), {
          maxLength: 5,
        }),
        expiry: fc.oneof(fc.constantFrom('1H', '1D', '1M', '1Y', '1h', '2D'), text),
        expired_key_id: fc.oneof(fc.uuid(), text),
        event: fc.oneof(fc.constantFrom('charge.success', 'transfer.success'), text),
        data: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body).replace('"BOB"', JSON.stringify(bob.walletNumber))),
  text,
  fc.uint8Array({ maxLength: 300 }),
);

const headersArb = fc.record(
  {
    authorization: fc.oneof(
      // Mostly a valid user, so requests get past authentication into validation and the domain.
      { arbitrary: fc.constant('ALICE'), weight: 6 },
      text.map((value) => `Bearer ${value}`),
      text,
      fc.constant('Bearer eyJhbGciOiJub25lIn0.e30.'),
    ),
    'x-api-key': fc.oneof(text, fc.stringMatching(/^sk_(live|test)_[0-9A-Za-z]{38}$/)),
    'content-type': fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 6 },
      fc.constantFrom(
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
      ),
    ),
    'idempotency-key': text,
    'x-paystack-signature': fc.oneof(text, fc.stringMatching(/^[0-9a-f]{128}$/)),
    accept: fc.constantFrom('application/json', '*/*', 'text/html'),
  },
  { requiredKeys: [] },
);

const queryArb = fc.option(
  fc.dictionary(fc.constantFrom('limit', 'cursor', 'code', 'state', 'error', 'x'), text, { maxKeys: 3 }),
  { nil: undefined },
);

function headerSafe(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

describe('fuzzing every route', () => {
  it('never answers 5xx, and every refusal is problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
        fc.boolean(),
        text,
        headersArb,
        bodyArb,
        queryArb,
        async (routeIndex, otherMethod, useOtherMethod, pathParam, rawHeaders, body, query) => {
          const route = routes[routeIndex % routes.length] as { method: string; path: string };
          const method = useOtherMethod ? otherMethod : route.method;
          const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(pathParam || 'x'));
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(rawHeaders)) {
            const resolved = value === 'ALICE' ? `Bearer ${alice.token}` : (value as string);
            if (headerSafe(resolved)) headers[name] = resolved;
          }
          const search = query ? `?${new URLSearchParams(query)}` : '';
          const sendsBody = body !== undefined && method !== 'GET';
          const response = await fetch(`${t.url}${path}${search}`, {
            method,
            headers,
            body: sendsBody ? body : undefined,
            redirect: 'manual',
          });
          const responseText = await response.text();
          const context = `${method} ${path}${search} -> ${response.status} ${responseText.slice(0, 300)}`;
          expect(response.status, context).toBeLessThan(500);
          if (response.status >= 400) {
            expect(response.headers.get('content-type'), context).toMatch(/^application\/problem\+json/);
            const problem = JSON.parse(responseText);
            expect(problem.status, context).toBe(response.status);
            expect(typeof problem.code, context).toBe('string');
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { deposits } from '../src/db/schema.ts';
import { exactSafeInteger } from '../src/exact-json.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';

let paystack: TestPaystack;
let t: TestApp;
let sender: TestUser;
let recipient: TestUser;

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
  });
  sender = await t.createUser();
  recipient = await t.createUser();
  await fundWallet(t.db, sender.id, 900_000_000);
});
afterAll(async () => {
  await t.close();
  await paystack.close();
});

/** A transfer whose amount is the JSON literal `amount`, spelled as given. */
function transfer(amount: string): Promise<Response> {
  return fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...sender.auth, 'content-type': 'application/json' },
    body: `{"wallet_number":"${recipient.walletNumber}","amount":${amount}}`,
  });
}

async function balanceOf(user: TestUser): Promise<number> {
  return (await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }))).balance;
}

describe('money amounts are read exactly from the JSON text', () => {
  it.each(['100.000000000000001', '99.99999999999999999', '100.5', '1e400', '9007199254740993', '1e-400'])(
    'refuses a transfer of %s with 400 and moves nothing',
    async (literal) => {
      const before = await balanceOf(sender);
      const body = await expectProblem(await transfer(literal), 400, 'validation_failed');
      expect(body.detail).toMatch(/amount/);
      expect(await balanceOf(sender)).toBe(before);
    },
  );

  it.each(['99.99999999999999999', '100.000000000000001', '1e400'])(
    'refuses a deposit of %s with 400 and starts nothing',
    async (literal) => {
      const user = await t.createUser();
      const response = await fetch(`${t.url}/wallet/deposit`, {
        method: 'POST',
        headers: { ...user.auth, 'content-type': 'application/json' },
        body: `{"amount":${literal}}`,
      });
      const body = await expectProblem(response, 400, 'validation_failed');
      expect(body.detail).toMatch(/amount.*kobo/);
      expect(await t.db.select().from(deposits).where(eq(deposits.userId, user.id))).toEqual([]);
    },
  );

  it.each([
    ['100.0', 100],
    ['1e2', 100],
    ['1.5E+2', 150],
    ['2500e-2', 25],
  ])('takes %s, an exact integer, as %i kobo', async (literal, kobo) => {
    const response = await transfer(literal);
    expect(response.status).toBe(200);
    expect((await json(response)).amount).toBe(kobo);
  });

  it('refuses -0 as out of range', async () => {
    await expectProblem(await transfer('-0'), 400, 'validation_failed');
  });

  it('accepts every spelling of an integer and refuses every non-integer, moving exactly what was accepted', async () => {
    const integer = fc.integer({ min: 1, max: 1_000_000 });
    const exactSpelling = fc.oneof(
      integer.map((n) => ({ literal: String(n), kobo: n })),
      fc
        .tuple(integer, fc.nat(4))
        .map(([n, zeros]) => ({ literal: `${n}.${'0'.repeat(zeros + 1)}`, kobo: n })),
      fc.tuple(integer, fc.nat(6)).map(([n, shift]) => {
        const digits = String(n).padStart(shift + 1, '0');
        const point = digits.length - shift;
        return { literal: `${digits.slice(0, point)}.${digits.slice(point) || '0'}e${shift}`, kobo: n };
      }),
      fc
        .tuple(integer, fc.nat(3))
        .map(([n, zeros]) => ({ literal: `${n}${'0'.repeat(zeros)}E-${zeros}`, kobo: n })),
    );
    const inexactSpelling = fc.oneof(
      fc.tuple(integer, fc.nat(25)).map(([n, zeros]) => `${n}.${'0'.repeat(zeros)}1`),
      fc.tuple(integer, fc.integer({ min: 1, max: 25 })).map(([n, nines]) => `${n - 1}.${'9'.repeat(nines)}`),
      fc
        .tuple(integer, fc.integer({ min: 1, max: 3 }))
        .map(([n, shift]) => `${n}${'0'.repeat(shift - 1)}1e-${shift}`),
    );
    const spelling = fc.oneof(
      exactSpelling.map((exact) => ({ ...exact, exact: true as const })),
      inexactSpelling.map((literal) => ({ literal, kobo: 0, exact: false as const })),
    );

    let moved = 0;
    const before = await balanceOf(sender);
    await fc.assert(
      fc.asyncProperty(spelling, async ({ literal, kobo, exact }) => {
        expect(exactSafeInteger(literal) !== undefined, literal).toBe(exact);
        const response = await transfer(literal);
        if (exact) {
          expect(response.status, literal).toBe(200);
          expect((await json(response)).amount, literal).toBe(kobo);
          moved += kobo;
        } else {
          await expectProblem(response, 400, 'validation_failed');
        }
      }),
      { numRuns: 60 },
    );
    expect(await balanceOf(sender)).toBe(before - moved);
  });

  it('reads the webhook’s amount exactly: a signed charge.success with a fraction credits nothing', async () => {
    const user = await t.createUser();
    const started = await fetch(`${t.url}/wallet/deposit`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: '{"amount":2500}',
    });
    const { reference } = await json(started);
    const event = (amount: string) =>
      `{"event":"charge.success","data":{"reference":"${reference}","amount":${amount},"currency":"NGN","status":"success"}}`;

    const inexact = event('2500.0000000000000001');
    const refused = await fetch(`${t.url}/wallet/paystack/webhook`, {
      method: 'POST',
      headers: signedWebhookHeaders(inexact, paystack.secretKey),
      body: inexact,
    });
    expect(refused.status).toBe(400);
    expect(await balanceOf(user)).toBe(0);

    // The same amount spelled another exact way credits once.
    const exact = event('25e2');
    const credited = await fetch(`${t.url}/wallet/paystack/webhook`, {
      method: 'POST',
      headers: signedWebhookHeaders(exact, paystack.secretKey),
      body: exact,
    });
    expect(credited.status).toBe(200);
    expect(await balanceOf(user)).toBe(2500);
  });
});

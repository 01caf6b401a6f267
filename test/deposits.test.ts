import { Writable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { deposits, idempotencyKeys, ledgerTransactions } from '../src/db/schema.ts';
import { failAbandonedDepositStarts } from '../src/deposits/start.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { idempotencyScope } from '../src/idempotency/store.ts';
import { newReference } from '../src/ledger/reference.ts';
import { signWebhookBody } from '../src/paystack/signature.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, json } from './support/http.ts';
import { expectLedgerConsistent } from './support/ledger.ts';
import {
  pressCheckoutButton,
  startTestPaystack,
  type TestPaystack,
  testSecretKey,
} from './support/paystack.ts';
import { quietPeriod, waitFor } from './support/wait.ts';

/**
 * Short, so a stalled Paystack fails a test request in seconds, yet long enough for the local
 * simulator to answer on a loaded machine (300 ms failed healthy calls at a load average of 15).
 */
const PAYSTACK_TIMEOUT_MS = 2_000;
/** A stall no test outlasts: what ends the request is the client's timeout, not Paystack. */
const PAYSTACK_STALL_MS = 60_000;

interface LogLine {
  level: number;
  msg: string;
  reference?: string;
  reason?: string;
}

let paystack: TestPaystack;
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const logs: LogLine[] = [];

async function startAppFor(env: Record<string, string>): Promise<TestApp> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return startTestApp({
    env,
    deps: { paystack: { timeoutMs: PAYSTACK_TIMEOUT_MS }, logger: loggerOptions('info', sink) },
  });
}

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startAppFor({ PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url });
  paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
  alice = await t.createUser();
  bob = await t.createUser();
});
afterEach(() => paystack.reset());
afterAll(async () => {
  await t.close();
  await paystack.close();
});

function deposit(user: TestUser, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}/wallet/deposit`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function startDeposit(
  user: TestUser,
  amount: number,
): Promise<{ reference: string; authorization_url: string }> {
  const response = await deposit(user, { amount });
  expect(response.status).toBe(201);
  return json(response);
}

async function statusOf(user: TestUser, reference: string): Promise<Response> {
  return fetch(`${t.url}/wallet/deposit/${encodeURIComponent(reference)}/status`, { headers: user.auth });
}

async function balanceOf(user: TestUser): Promise<number> {
  return (await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }))).balance;
}

/** A charge.success body as Paystack sends it: pretty-printed, keys in Paystack's order. */
function chargeSuccess(reference: string, amount: number, currency = 'NGN'): string {
  return JSON.stringify(
    {
      event: 'charge.success',
      data: {
        id: 302961,
        domain: 'test',
        status: 'success',
        reference,
        amount,
        message: null,
        gateway_response: 'Approved by Financial Institution',
        paid_at: '2016-09-30T21:10:19.000Z',
        channel: 'card',
        currency,
        metadata: 0,
        customer: { id: 68324, email: 'payer@example.com', customer_code: 'CUS_qo38as2hpsgk2r0' },
        plan: {},
      },
    },
    null,
    2,
  );
}

/** Posts a webhook body signed with the right key, unless told otherwise (`null`: no header at all). */
function deliver(
  body: string | Buffer,
  options: { signature?: string | null; contentType?: string } = {},
): Promise<Response> {
  const signature =
    options.signature === undefined ? signWebhookBody(body, paystack.secretKey) : options.signature;
  return fetch(`${t.url}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(signature === null ? {} : { 'x-paystack-signature': signature }),
    },
    body,
  });
}

async function depositRow(reference: string) {
  const [row] = await t.db.select().from(deposits).where(eq(deposits.reference, reference));
  if (!row) throw new Error(`no deposit ${reference}`);
  return row;
}

async function ledgerCount(reference: string): Promise<number> {
  const rows = await t.db
    .select()
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.reference, reference));
  return rows.length;
}

describe('POST /wallet/deposit', () => {
  it('records a pending deposit and answers with Paystack’s checkout URL', async () => {
    const response = await deposit(alice, { amount: 150_000 });
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(body).toEqual({
      reference: expect.stringMatching(/^dep-[0-9A-Za-z]{22}$/),
      authorization_url: expect.stringMatching(new RegExp(`^${paystack.url}/checkout/[a-z0-9]{15}$`)),
      amount: 150_000,
      status: 'pending',
    });
    const row = await depositRow(body.reference);
    expect(row).toMatchObject({ userId: alice.id, amount: 150_000n, currency: 'NGN', status: 'pending' });
    expect(row.authorizationUrl).toBe(body.authorization_url);
    expect(await json(await statusOf(alice, body.reference))).toEqual({
      reference: body.reference,
      status: 'pending',
      amount: 150_000,
    });
    expect(await balanceOf(alice)).toBe(0);

    // Paystack was given the user's email, the amount in kobo and metadata naming the deposit.
    const verified = await json(
      await fetch(`${paystack.url}/transaction/verify/${body.reference}`, {
        headers: { authorization: `Bearer ${paystack.secretKey}` },
      }),
    );
    expect(verified.data).toMatchObject({
      amount: 150_000,
      currency: 'NGN',
      customer: { email: alice.email },
      metadata: { user_id: alice.id, deposit_id: row.id },
    });
  });

  it('accepts exactly the SPEC range: integers from 100 to 1,000,000,000 kobo', async () => {
    for (const amount of [100, 1_000_000_000]) {
      expect((await deposit(alice, { amount })).status, String(amount)).toBe(201);
    }
    const refused: unknown[] = [
      { amount: '5000' },
      { amount: 5000.5 },
      { amount: 0 },
      { amount: -100 },
      { amount: 99 },
      { amount: 1_000_000_001 },
      { amount: null },
      {},
      { amount: 5000, currency: 'USD' },
      [5000],
      '5000',
    ];
    for (const body of refused) {
      const problem = await expectProblem(await deposit(alice, body), 400, 'validation_failed');
      expect(problem.detail, JSON.stringify(body)).toMatch(/body/);
    }
    await expectProblem(await deposit(alice, '{"amount": 5000'), 400, 'invalid_json');
  });

  it('requires credentials', async () => {
    const response = await fetch(`${t.url}/wallet/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 5000 }),
    });
    await expectProblem(response, 401, 'unauthenticated');
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses it with another body', async () => {
    const key = `deposit-${Date.now()}`;
    const first = await deposit(alice, { amount: 7_000 }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const firstBody = await json(first);
    const again = await deposit(alice, { amount: 7_000 }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-hit')).toBe('true');
    expect(await json(again)).toEqual(firstBody);
    const rows = await t.db
      .select()
      .from(deposits)
      .where(and(eq(deposits.userId, alice.id), eq(deposits.amount, 7_000n)));
    expect(rows).toHaveLength(1);
    await expectProblem(
      await deposit(alice, { amount: 8_000 }, { 'idempotency-key': key }),
      409,
      'idempotency_key_reused',
    );
  });
});

describe('Paystack down, slow, malformed or refusing', () => {
  async function expectProviderFailure(response: Response, reasonPattern: RegExp): Promise<void> {
    const problem = await expectProblem(response, 502, 'payment_provider_error');
    expect(problem.reference).toMatch(/^dep-/);
    expect(await json(await statusOf(alice, problem.reference))).toMatchObject({ status: 'failed' });
    const row = await depositRow(problem.reference);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toMatch(reasonPattern);
    expect(row.authorizationUrl).toBeNull();
  }

  it('answers 502 and fails the deposit when Paystack is down (5xx)', async () => {
    paystack.behaviour.api = 'down';
    await expectProviderFailure(await deposit(alice, { amount: 5_000 }), /^unavailable: .*503/);
  });

  it('answers 502 within the timeout when Paystack stalls', async () => {
    paystack.behaviour.api = 'slow';
    paystack.behaviour.slowMs = PAYSTACK_STALL_MS;
    const started = Date.now();
    const response = await deposit(alice, { amount: 5_000 });
    // Answered by the client's timeout, long before Paystack would have.
    expect(Date.now() - started).toBeLessThan(PAYSTACK_STALL_MS / 2);
    await expectProviderFailure(response, /^timeout: /);
  });

  it('answers 502 when Paystack’s answer is malformed or not JSON', async () => {
    paystack.behaviour.api = 'malformed';
    await expectProviderFailure(await deposit(alice, { amount: 5_000 }), /^malformed_response: .*shape/);
    paystack.behaviour.api = 'not_json';
    await expectProviderFailure(await deposit(alice, { amount: 5_000 }), /^malformed_response: .*not JSON/);
  });

  it('lets a retry with the same Idempotency-Key start afresh once Paystack is back', async () => {
    const key = `retry-after-outage-${Date.now()}`;
    paystack.behaviour.api = 'down';
    const failed = await expectProblem(
      await deposit(alice, { amount: 6_000 }, { 'idempotency-key': key }),
      502,
      'payment_provider_error',
    );
    paystack.reset();
    const retried = await deposit(alice, { amount: 6_000 }, { 'idempotency-key': key });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotency-hit')).toBeNull();
    expect((await json(retried)).reference).not.toBe(failed.reference);
  });

  it('refuses a concurrent retry while the first request waits for Paystack', async () => {
    const key = `in-flight-${Date.now()}`;
    paystack.behaviour.api = 'slow';
    paystack.behaviour.slowMs = PAYSTACK_TIMEOUT_MS / 2;
    const calls = paystack.received.length;
    const first = deposit(alice, { amount: 6_500 }, { 'idempotency-key': key });
    // Paystack is called after the key is claimed: from then on the first request is in flight.
    await waitFor(() => paystack.received.slice(calls).includes('POST /transaction/initialize'));
    await expectProblem(
      await deposit(alice, { amount: 6_500 }, { 'idempotency-key': key }),
      409,
      'idempotency_request_in_progress',
    );
    expect((await first).status).toBe(201);
  });

  it('lets a retry take over a key left in progress by a process that died mid-start', async () => {
    // What a kill -9 between the claim and the checkout URL leaves: the key claimed and a pending
    // deposit without a URL, both older than any live start can be.
    const key = `abandoned-${Date.now()}`;
    const reference = newReference('dep');
    const scope = idempotencyScope(alice.id, key, {
      method: 'POST',
      path: '/wallet/deposit',
      body: { amount: 7_000 },
    });
    if (!scope) throw new Error('no scope');
    const backdated = sql`now() - interval '3 minutes'`;
    await t.db.insert(idempotencyKeys).values({
      userId: alice.id,
      key,
      requestHash: scope.requestHash,
      state: 'in_progress',
      createdAt: backdated,
      updatedAt: backdated,
    });
    await t.db
      .insert(deposits)
      .values({ userId: alice.id, reference, amount: 7_000n, status: 'pending', createdAt: backdated });

    const retried = await deposit(alice, { amount: 7_000 }, { 'idempotency-key': key });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotency-hit')).toBeNull();
    const started = await json(retried);
    expect(started.reference).not.toBe(reference);
    const [abandoned] = await t.db.select().from(deposits).where(eq(deposits.reference, reference));
    expect(abandoned).toMatchObject({ status: 'failed', failureReason: 'interrupted_before_checkout' });

    const replayed = await deposit(alice, { amount: 7_000 }, { 'idempotency-key': key });
    expect(replayed.headers.get('idempotency-hit')).toBe('true');
    expect((await json(replayed)).reference).toBe(started.reference);
  });

  it('leaves starts in flight alone: only old pending deposits without a checkout URL are abandoned', async () => {
    const [inFlight] = await t.db
      .insert(deposits)
      .values({ userId: bob.id, reference: newReference('dep'), amount: 8_000n, status: 'pending' })
      .returning({ id: deposits.id });
    const { reference: withUrl } = await startDeposit(bob, 8_000);
    await t.db
      .update(deposits)
      .set({ createdAt: sql`now() - interval '3 minutes'` })
      .where(eq(deposits.reference, withUrl));

    expect(await failAbandonedDepositStarts(t.db)).toBe(0);
    if (!inFlight) throw new Error('no deposit row');
    const [stillStarting] = await t.db.select().from(deposits).where(eq(deposits.id, inFlight.id));
    expect(stillStarting?.status).toBe('pending');
    const [paid] = await t.db.select().from(deposits).where(eq(deposits.reference, withUrl));
    expect(paid?.status).toBe('pending');
  });

  it('answers 502 when Paystack refuses the key or cannot be reached', async () => {
    const wrongKey = await startAppFor({
      PAYSTACK_SECRET_KEY: testSecretKey(),
      PAYSTACK_BASE_URL: paystack.url,
    });
    const unreachable = await startAppFor({
      PAYSTACK_SECRET_KEY: paystack.secretKey,
      PAYSTACK_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      for (const [app, reason] of [
        [wrongKey, /^refused: .*401.*Invalid key/],
        [unreachable, /^unreachable: /],
      ] as const) {
        const user = await app.createUser();
        const response = await fetch(`${app.url}/wallet/deposit`, {
          method: 'POST',
          headers: { ...user.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 5_000 }),
        });
        const problem = await expectProblem(response, 502, 'payment_provider_error');
        const [row] = await app.db.select().from(deposits).where(eq(deposits.reference, problem.reference));
        expect(row?.status).toBe('failed');
        expect(row?.failureReason).toMatch(reason);
      }
    } finally {
      await wrongKey.close();
      await unreachable.close();
    }
    // Two more apps, each with a database of its own: minutes on a loaded machine, not seconds.
  }, 180_000);
});

describe('POST /wallet/paystack/webhook', () => {
  it('credits a pending deposit once for a correctly signed charge.success', async () => {
    const { reference } = await startDeposit(bob, 25_000);
    const response = await deliver(chargeSuccess(reference, 25_000));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: true });
    expect(await balanceOf(bob)).toBe(25_000);
    expect(await json(await statusOf(bob, reference))).toEqual({
      reference,
      status: 'success',
      amount: 25_000,
    });
    const row = await depositRow(reference);
    expect(row.ledgerTransactionId).not.toBeNull();
    expect(logs.some((line) => line.msg === 'deposit credited' && line.reference === reference)).toBe(true);
    expect(logs.some((line) => line.msg.includes('paid after all') && line.reference === reference)).toBe(
      false,
    );

    // Redelivered later, after the money has moved on: nothing more is credited.
    await fetch(`${t.url}/wallet/transfer`, {
      method: 'POST',
      headers: { ...bob.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ wallet_number: alice.walletNumber, amount: 25_000 }),
    });
    for (let i = 0; i < 3; i++) expect((await deliver(chargeSuccess(reference, 25_000))).status).toBe(200);
    expect(await balanceOf(bob)).toBe(0);
    expect(await ledgerCount(reference)).toBe(1);
    expect((await depositRow(reference)).updatedAt).toEqual(row.updatedAt);
  });

  it('refuses a forged, missing or malformed signature with 401 and changes nothing', async () => {
    const { reference } = await startDeposit(bob, 9_000);
    const body = chargeSuccess(reference, 9_000);
    const forged = signWebhookBody(body, testSecretKey());
    for (const signature of [forged, null, '', 'nothex', forged.slice(0, 64)]) {
      await expectProblem(await deliver(body, { signature }), 401, 'invalid_signature');
    }
    expect((await depositRow(reference)).status).toBe('pending');
    expect(await ledgerCount(reference)).toBe(0);
  });

  it('computes the signature over the raw bytes: re-serialized JSON does not verify', async () => {
    const { reference } = await startDeposit(bob, 9_500);
    const sent = chargeSuccess(reference, 9_500);
    const reserialized = JSON.stringify(JSON.parse(sent));
    expect(reserialized).not.toBe(sent);
    // Signed over the compact form, sent pretty-printed: a receiver that re-serialized would accept it.
    await expectProblem(
      await deliver(sent, { signature: signWebhookBody(reserialized, paystack.secretKey) }),
      401,
      'invalid_signature',
    );
    await expectProblem(
      await deliver(reserialized, { signature: signWebhookBody(sent, paystack.secretKey) }),
      401,
      'invalid_signature',
    );
    expect((await depositRow(reference)).status).toBe('pending');
    // The same bytes with their own signature are accepted, charset parameter and all.
    const accepted = await deliver(sent, { contentType: 'application/json; charset=utf-8' });
    expect(accepted.status).toBe(200);
    expect((await depositRow(reference)).status).toBe('success');
  });

  it('credits a deposit failed earlier when Paystack confirms its payment after all, with a warning', async () => {
    const dave = await t.createUser();
    paystack.behaviour.api = 'down';
    const failed = await expectProblem(
      await deposit(dave, { amount: 12_000 }),
      502,
      'payment_provider_error',
    );
    paystack.reset();
    const reference = failed.reference as string;
    expect((await depositRow(reference)).status).toBe('failed');

    expect((await deliver(chargeSuccess(reference, 12_000))).status).toBe(200);
    expect((await depositRow(reference)).status).toBe('success');
    expect(await ledgerCount(reference)).toBe(1);
    expect(await balanceOf(dave)).toBe(12_000);
    expect(
      logs.some(
        (line) =>
          line.level === 40 &&
          line.msg === 'failed deposit paid after all: credited' &&
          line.reference === reference,
      ),
    ).toBe(true);
  });

  it('credits nothing for an amount or currency mismatch, fails and flags the deposit, and logs an error', async () => {
    const carol = await t.createUser();
    const short = await startDeposit(carol, 50_000);
    expect((await deliver(chargeSuccess(short.reference, 100))).status).toBe(200);
    const foreign = await startDeposit(carol, 50_000);
    expect((await deliver(chargeSuccess(foreign.reference, 50_000, 'USD'))).status).toBe(200);

    for (const { reference } of [short, foreign]) {
      const row = await depositRow(reference);
      expect(row.status).toBe('failed');
      expect(row.failureReason).toBe('payment_mismatch');
      expect(row.ledgerTransactionId).toBeNull();
      expect(await ledgerCount(reference)).toBe(0);
      expect(logs.some((line) => line.level === 50 && line.reference === reference)).toBe(true);
    }
    expect((await depositRow(short.reference)).flaggedReason).toMatch(/100 kobo for a deposit of 50000 kobo/);
    expect((await depositRow(foreign.reference)).flaggedReason).toMatch(/currency USD for a deposit in NGN/);
    expect(await balanceOf(carol)).toBe(0);

    // The right payment arriving afterwards is not credited either: the deposit is under review.
    expect((await deliver(chargeSuccess(short.reference, 50_000))).status).toBe(200);
    expect(await ledgerCount(short.reference)).toBe(0);
    expect((await depositRow(short.reference)).flaggedReason).toMatch(/100 kobo/);
  });

  it('acknowledges unknown events and unknown references and changes nothing', async () => {
    const dave = await t.createUser();
    const { reference } = await startDeposit(dave, 4_000);
    const other = JSON.stringify({ event: 'subscription.create', data: { reference, amount: 4_000 } });
    expect(await json(await deliver(other))).toEqual({ status: true });
    // A transfer event naming a deposit's reference: no withdrawal has it.
    const transfer = JSON.stringify({
      event: 'transfer.success',
      data: { reference, amount: 4_000, currency: 'NGN' },
    });
    expect(await json(await deliver(transfer))).toEqual({ status: true });
    const unknown = await deliver(chargeSuccess('dep-nobodyknowsthisreference', 4_000));
    expect(unknown.status).toBe(200);
    expect(await json(unknown)).toEqual({ status: true });
    expect((await depositRow(reference)).status).toBe('pending');
    expect(await balanceOf(dave)).toBe(0);
  });

  it('refuses a signed body it cannot read, so Paystack redelivers it', async () => {
    await expectProblem(await deliver('not json at all'), 400, 'invalid_event');
    await expectProblem(await deliver('{"data": {}}'), 400, 'invalid_event');
    const stringAmount = JSON.stringify({
      event: 'charge.success',
      data: { reference: 'x', amount: '100', currency: 'NGN' },
    });
    const problem = await expectProblem(await deliver(stringAmount), 400, 'invalid_event');
    expect(problem.detail).toMatch(/amount/);
    await expectProblem(await deliver('{}', { contentType: 'text/plain' }), 415, 'unsupported_media_type');
  });
});

describe.skipIf(!onPostgres)('concurrent webhook deliveries (PostgreSQL)', () => {
  it('credits 25 concurrent identical deliveries exactly once', async () => {
    const user = await t.createUser();
    const { reference } = await startDeposit(user, 77_700);
    const body = chargeSuccess(reference, 77_700);
    const responses = await Promise.all(Array.from({ length: 25 }, () => deliver(body)));
    expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
    expect(await balanceOf(user)).toBe(77_700);
    expect(await ledgerCount(reference)).toBe(1);
    expect(
      logs.filter((line) => line.msg === 'deposit credited' && line.reference === reference),
    ).toHaveLength(1);
    await expectLedgerConsistent(t.db);
  });

  it('credits each of many deposits once under concurrent duplicate deliveries', async () => {
    const user = await t.createUser();
    const started = await Promise.all(Array.from({ length: 10 }, (_, i) => startDeposit(user, 1_000 + i)));
    await Promise.all(
      started.flatMap(({ reference }, i) =>
        Array.from({ length: 5 }, () => deliver(chargeSuccess(reference, 1_000 + i))),
      ),
    );
    expect(await balanceOf(user)).toBe(started.reduce((sum, _, i) => sum + 1_000 + i, 0));
  });
});

describe('GET /wallet/deposit/{reference}/status', () => {
  it('shows a user only their own deposits', async () => {
    const { reference } = await startDeposit(alice, 3_000);
    await expectProblem(await statusOf(bob, reference), 404, 'deposit_not_found');
    await expectProblem(await statusOf(bob, 'dep-doesnotexist'), 404, 'deposit_not_found');
    await expectProblem(await statusOf(bob, 'bad reference!'), 400, 'validation_failed');
    expect((await statusOf(alice, reference)).status).toBe(200);
  });

  it('never credits, even when Paystack says the payment succeeded', async () => {
    const user = await t.createUser();
    const { reference, authorization_url } = await startDeposit(user, 12_000);
    paystack.webhookUrl = `http://127.0.0.1:${await freePort()}/nobody-listens`;
    try {
      expect((await pressCheckoutButton(authorization_url, 'pay')).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        expect(await json(await statusOf(user, reference))).toMatchObject({ status: 'pending' });
      }
      expect(await balanceOf(user)).toBe(0);
    } finally {
      paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
    }
    expect((await deliver(chargeSuccess(reference, 12_000))).status).toBe(200);
    expect(await balanceOf(user)).toBe(12_000);
  });

  it('answers from what it knows when Paystack cannot be asked', async () => {
    const { reference } = await startDeposit(alice, 3_500);
    paystack.behaviour.api = 'down';
    expect(await json(await statusOf(alice, reference))).toMatchObject({ status: 'pending' });
  });
});

describe('the simulator’s checkout page', () => {
  it('Pay delivers a signed webhook that credits exactly once', async () => {
    const user = await t.createUser();
    const { reference, authorization_url } = await startDeposit(user, 40_000);
    const paid = await pressCheckoutButton(authorization_url, 'pay');
    expect(paid.status).toBe(200);
    await waitFor(async () => (await json(await statusOf(user, reference))).status === 'success');
    expect(await balanceOf(user)).toBe(40_000);
    // A second press neither pays nor notifies again.
    expect(
      (await fetch(authorization_url, { method: 'POST', body: new URLSearchParams({ action: 'pay' }) }))
        .status,
    ).toBe(409);
    await quietPeriod(200);
    expect(await balanceOf(user)).toBe(40_000);
    expect(await ledgerCount(reference)).toBe(1);
  });

  it('Decline leaves the wallet alone and the deposit failed', async () => {
    const user = await t.createUser();
    const { reference, authorization_url } = await startDeposit(user, 40_000);
    expect((await pressCheckoutButton(authorization_url, 'decline')).status).toBe(200);
    expect(await json(await statusOf(user, reference))).toEqual({
      reference,
      status: 'failed',
      amount: 40_000,
    });
    expect((await depositRow(reference)).failureReason).toBe('paystack_failed');
    expect(await balanceOf(user)).toBe(0);

    // Should Paystack confirm the payment after all, its signed word that money arrived wins.
    expect((await deliver(chargeSuccess(reference, 40_000))).status).toBe(200);
    expect(await balanceOf(user)).toBe(40_000);
    expect(logs.some((line) => line.level === 40 && line.reference === reference)).toBe(true);
  });
});

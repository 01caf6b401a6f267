import { eq, sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deposits } from '../src/db/schema.ts';
import { paystackSimulator, type SimulatorBehaviour } from '../src/dev/paystack/simulator.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import { FAST_WEBHOOK_RETRY, testSecretKey } from './support/paystack.ts';

/** Paystack's API calls the service made, by kind. */
const calls = { initialize: 0, verify: 0 };
let paystack: FastifyInstance;
let t: TestApp;

beforeAll(async () => {
  const secretKey = testSecretKey();
  const behaviour: SimulatorBehaviour = { api: 'normal', slowMs: 0 };
  paystack = Fastify();
  paystack.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/transaction/initialize')) calls.initialize++;
    if (request.url.startsWith('/transaction/verify/')) calls.verify++;
  });
  await paystack.register(paystackSimulator, {
    secretKey,
    webhookUrl: () => `${t.url}/wallet/paystack/webhook`,
    webhookRetry: FAST_WEBHOOK_RETRY,
    behaviour,
  });
  const paystackUrl = await paystack.listen({ port: 0, host: '127.0.0.1' });
  t = await startTestApp({ env: { PAYSTACK_SECRET_KEY: secretKey, PAYSTACK_BASE_URL: paystackUrl } });
});
beforeEach(() => {
  calls.initialize = 0;
  calls.verify = 0;
});
afterAll(async () => {
  await t.close();
  await paystack.close();
});

function startDeposit(user: TestUser, amount: number): Promise<Response> {
  return fetch(`${t.url}/wallet/deposit`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ amount }),
  });
}

function readStatus(user: TestUser, reference: string): Promise<Response> {
  return fetch(`${t.url}/wallet/deposit/${reference}/status`, { headers: user.auth });
}

describe('pending deposits per user', () => {
  it('refuses the eleventh pending deposit with 409 too_many_pending_deposits, without calling Paystack', async () => {
    const user = await t.createUser();
    for (let i = 0; i < 10; i++) expect((await startDeposit(user, 1_000 + i)).status).toBe(201);
    const body = await expectProblem(await startDeposit(user, 5_000), 409, 'too_many_pending_deposits');
    expect(body.detail).toMatch(/10 deposits/);
    expect(calls.initialize).toBe(10);

    // Another user is not held back by this one.
    expect((await startDeposit(await t.createUser(), 5_000)).status).toBe(201);
  });

  it('starts exactly 10 of 30 concurrent deposits of one user', async () => {
    const user = await t.createUser();
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => startDeposit(user, 2_000 + i)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(20);
    expect(calls.initialize).toBe(10);
    const pending = await t.db.select().from(deposits).where(eq(deposits.userId, user.id));
    expect(pending).toHaveLength(10);
  });

  it('counts only deposits still pending: a failed one frees its place', async () => {
    const user = await t.createUser();
    for (let i = 0; i < 10; i++) expect((await startDeposit(user, 3_000 + i)).status).toBe(201);
    await t.db
      .update(deposits)
      .set({ status: 'failed', failureReason: 'test' })
      .where(eq(deposits.amount, 3_000n));
    expect((await startDeposit(user, 4_000)).status).toBe(201);
  });

  it('counts old pending deposits too: SPEC sets no window, the reconciler ends abandoned ones', async () => {
    const user = await t.createUser();
    for (let i = 0; i < 10; i++) expect((await startDeposit(user, 7_000 + i)).status).toBe(201);
    await t.db
      .update(deposits)
      .set({ createdAt: sql`now() - interval '3 days'` })
      .where(eq(deposits.userId, user.id));
    await expectProblem(await startDeposit(user, 8_000), 409, 'too_many_pending_deposits');
  });
});

describe('status reads ask Paystack at most once a minute per deposit', () => {
  it('makes one verify call for 20 concurrent and 5 later reads, and another once a minute has passed', async () => {
    const user = await t.createUser();
    const { reference } = await json(await startDeposit(user, 6_000));

    const reads = await Promise.all(Array.from({ length: 20 }, () => readStatus(user, reference)));
    for (const response of reads) expect(response.status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await readStatus(user, reference)).status).toBe(200);
    expect(calls.verify).toBe(1);

    await t.db
      .update(deposits)
      .set({ lastVerifiedAt: sql`now() - interval '61 seconds'` })
      .where(eq(deposits.reference, reference));
    expect(await json(await readStatus(user, reference))).toMatchObject({ reference, status: 'pending' });
    expect(calls.verify).toBe(2);
  });
});

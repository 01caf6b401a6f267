import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deposits, ledgerTransactions } from '../src/db/schema.ts';
import { type DepositCheck, reconcileDeposits } from '../src/deposits/reconcile.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { newReference } from '../src/ledger/reference.ts';
import { PaystackClient } from '../src/paystack/client.ts';
import { reconcilerPasses } from '../src/reconciler/passes.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { json } from './support/http.ts';
import { expectLedgerConsistent } from './support/ledger.ts';
import { pressCheckoutButton, startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

// The webhook is lost in every test here: the simulator sends it to a sink that answers 200 and
// keeps it, so only the reconciler (or a test delivering the kept webhook late) tells the service.

/** Short, so an unhealthy Paystack fails a pass in seconds; long enough for a loaded machine. */
const PAYSTACK_TIMEOUT_MS = 2_000;

interface LogLine {
  level: number;
  msg: string;
  component?: string;
  reference?: string;
  reason?: string;
  by?: string;
}

/** A webhook Paystack sent: the bytes and their signature, to deliver late exactly as sent. */
interface KeptWebhook {
  body: string;
  signature: string;
}

let paystack: TestPaystack;
let t: TestApp;
let client: PaystackClient;
let sink: Server;
const kept: KeptWebhook[] = [];
const logs: LogLine[] = [];

function logSink(into: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) into.push(JSON.parse(line));
      done();
    },
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => resolve(body));
  });
}

beforeAll(async () => {
  paystack = await startTestPaystack();
  sink = createServer(async (request, response) => {
    const body = await readBody(request);
    kept.push({ body, signature: String(request.headers['x-paystack-signature']) });
    response.end('{"status": true}');
  });
  paystack.webhookUrl = `${await listen(sink)}/`;
  t = await startTestApp({
    // The app's own loop stays out of the way: the tests run passes themselves.
    env: {
      PAYSTACK_SECRET_KEY: paystack.secretKey,
      PAYSTACK_BASE_URL: paystack.url,
      RECONCILE_INTERVAL: '1h',
    },
    deps: { paystack: { timeoutMs: PAYSTACK_TIMEOUT_MS }, logger: loggerOptions('info', logSink(logs)) },
  });
  client = new PaystackClient({
    secretKey: paystack.secretKey,
    baseUrl: paystack.url,
    timeoutMs: PAYSTACK_TIMEOUT_MS,
  });
});
afterEach(async () => {
  paystack.reset();
  // Each test starts with no pending deposit, so a pass claims only the test's own.
  await t.db
    .update(deposits)
    .set({ status: 'failed', failureReason: 'test_over' })
    .where(eq(deposits.status, 'pending'));
});
afterAll(async () => {
  await t.close();
  await paystack.close();
  await new Promise((resolve) => sink.close(resolve));
});

/** One pass as a test runs it: no minimum age, no pause between calls. */
function reconcile(
  options: { minAgeMs?: number; batchSize?: number } = {},
  paystackApi: Pick<PaystackClient, 'verifyTransaction'> = client,
) {
  return reconcileDeposits(t.db, paystackApi, { minAgeMs: 0, reverifyAfterMs: 0, pauseMs: 0, ...options });
}

function checkOf(checks: readonly DepositCheck[], reference: string): DepositCheck | undefined {
  return checks.find((check) => check.reference === reference);
}

async function startDeposit(
  user: TestUser,
  amount: number,
  app: TestApp = t,
): Promise<{ reference: string; authorization_url: string }> {
  const response = await fetch(`${app.url}/wallet/deposit`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ amount }),
  });
  expect(response.status).toBe(201);
  return json(response);
}

/** A deposit paid on the simulator's checkout whose charge.success went to the sink, not the service. */
async function paidDeposit(
  user: TestUser,
  amount: number,
  app: TestApp = t,
): Promise<{ reference: string; webhook: KeptWebhook }> {
  const { reference, authorization_url } = await startDeposit(user, amount, app);
  expect((await pressCheckoutButton(authorization_url, 'pay')).status).toBe(200);
  await waitFor(() => kept.some((webhook) => webhook.body.includes(reference)));
  const webhook = kept.find((candidate) => candidate.body.includes(reference));
  if (!webhook) throw new Error(`no webhook for ${reference}`);
  return { reference, webhook };
}

function deliverLate(webhook: KeptWebhook): Promise<Response> {
  return fetch(`${t.url}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-paystack-signature': webhook.signature },
    body: webhook.body,
  });
}

/** How often the simulator was asked to verify `reference`. */
function verifyCalls(reference: string): number {
  return paystack.received.filter((line) => line === `GET /transaction/verify/${reference}`).length;
}

async function depositRow(reference: string, app: TestApp = t) {
  const [row] = await app.db.select().from(deposits).where(eq(deposits.reference, reference));
  if (!row) throw new Error(`no deposit ${reference}`);
  return row;
}

async function ledgerCount(reference: string, app: TestApp = t): Promise<number> {
  const rows = await app.db
    .select()
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.reference, reference));
  return rows.length;
}

async function balanceOf(user: TestUser, app: TestApp = t): Promise<number> {
  return (await json(await fetch(`${app.url}/wallet/balance`, { headers: user.auth }))).balance;
}

async function statusOf(user: TestUser, reference: string): Promise<string> {
  const response = await fetch(`${t.url}/wallet/deposit/${reference}/status`, { headers: user.auth });
  expect(response.status).toBe(200);
  return (await json(response)).status;
}

/** Moves a deposit's start `hours` into the past. */
async function startedHoursAgo(reference: string, hours: number): Promise<void> {
  await t.db
    .update(deposits)
    .set({ createdAt: sql`now() - make_interval(hours => ${hours})` })
    .where(eq(deposits.reference, reference));
}

function webhookCredits(reference: string): number {
  return logs.filter((line) => line.msg === 'deposit credited' && line.reference === reference && !line.by)
    .length;
}

describe('a paid deposit whose webhook was lost', () => {
  it('is credited by one pass, once; a second pass and the late webhook change nothing', async () => {
    const user = await t.createUser();
    const { reference, webhook } = await paidDeposit(user, 25_000);
    expect(await depositRow(reference)).toMatchObject({ status: 'pending' });
    expect(await balanceOf(user)).toBe(0);

    const first = await reconcile();
    expect(first).toMatchObject({ checked: 1, credited: 1, flagged: 0, unknown: 0 });
    expect(checkOf(first.checks, reference)).toEqual({
      kind: 'credited',
      reference,
      amount: 25_000n,
      previouslyFailed: false,
    });
    expect(await balanceOf(user)).toBe(25_000);
    expect(await ledgerCount(reference)).toBe(1);
    const credited = await depositRow(reference);
    expect(credited.status).toBe('success');

    const second = await reconcile();
    expect(second.checked).toBe(0);
    expect(verifyCalls(reference)).toBe(1);

    expect((await deliverLate(webhook)).status).toBe(200);
    expect(await balanceOf(user)).toBe(25_000);
    expect(await ledgerCount(reference)).toBe(1);
    expect((await depositRow(reference)).updatedAt).toEqual(credited.updatedAt);
    await expectLedgerConsistent(t.db);
  });

  it('is credited once when the late webhook comes 25 times, one after another, before or after the pass', async () => {
    const user = await t.createUser();
    const before = await paidDeposit(user, 31_000);
    for (let i = 0; i < 25; i++) expect((await deliverLate(before.webhook)).status).toBe(200);
    const after = await paidDeposit(user, 32_000);
    const report = await reconcile();
    expect(checkOf(report.checks, before.reference)).toBeUndefined();
    expect(checkOf(report.checks, after.reference)?.kind).toBe('credited');
    for (let i = 0; i < 25; i++) expect((await deliverLate(after.webhook)).status).toBe(200);
    expect(await balanceOf(user)).toBe(63_000);
    expect(await ledgerCount(before.reference)).toBe(1);
    expect(await ledgerCount(after.reference)).toBe(1);
    expect(webhookCredits(before.reference)).toBe(1);
    expect(webhookCredits(after.reference)).toBe(0);
  });

  it.skipIf(!onPostgres)(
    'is credited once when the late webhook comes 25 times at once while a pass runs',
    async () => {
      for (const timing of ['while Paystack answers the pass', 'as Paystack’s answer arrives'] as const) {
        const user = await t.createUser();
        const { reference, webhook } = await paidDeposit(user, 44_400);
        let pass: ReturnType<typeof reconcile>;
        let deliveries: Promise<Response[]> | undefined;
        const deliverAll = () => Promise.all(Array.from({ length: 25 }, () => deliverLate(webhook)));
        if (timing === 'while Paystack answers the pass') {
          // Verify answers after 100 ms: the webhooks credit while the pass waits for it.
          paystack.behaviour.api = 'slow';
          paystack.behaviour.slowMs = 100;
          pass = reconcile();
          await waitFor(() => verifyCalls(reference) === 1);
          deliveries = deliverAll();
        } else {
          // The webhooks leave as the pass gets Paystack's answer: its confirmation and theirs race.
          pass = reconcile(
            {},
            {
              verifyTransaction: async (asked) => {
                const answer = await client.verifyTransaction(asked);
                deliveries = deliverAll();
                return answer;
              },
            },
          );
        }
        const report = await pass;
        const responses = await (deliveries ?? Promise.reject(new Error('no deliveries')));
        paystack.reset();
        expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
        const check = checkOf(report.checks, reference);
        const byPass = check?.kind === 'credited' ? 1 : 0;
        if (check) expect(['credited', 'already_credited']).toContain(check.kind);
        expect(byPass + webhookCredits(reference), timing).toBe(1);
        expect(await balanceOf(user)).toBe(44_400);
        expect(await ledgerCount(reference)).toBe(1);
        expect(await depositRow(reference)).toMatchObject({ status: 'success', flaggedReason: null });
      }
      await expectLedgerConsistent(t.db);
    },
  );
});

/**
 * Paystack's verify as a tiny server of its own, for answers the simulator never gives: another
 * amount or currency, the statuses between start and end, a refusal, an outage. The service's
 * real client talks to it over HTTP.
 */
interface StandIn {
  url: string;
  /** What verify answers for a reference; unknown references get Paystack's 400. */
  answers: Map<string, { status: string; amount: number; currency?: string } | 'outage'>;
  calls: string[];
  client: PaystackClient;
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const answers: StandIn['answers'] = new Map();
  const calls: string[] = [];
  const server = createServer((request, response) => {
    const reference = decodeURIComponent(
      /^\/transaction\/verify\/([^/?]+)$/.exec(request.url ?? '')?.[1] ?? '',
    );
    calls.push(reference);
    const answer = answers.get(reference);
    response.setHeader('content-type', 'application/json');
    if (answer === 'outage') {
      response.statusCode = 500;
      response.end('{"status": false, "message": "An error occurred"}');
      return;
    }
    if (answer === undefined) {
      response.statusCode = 400;
      response.end('{"status": false, "message": "Transaction reference not found"}');
      return;
    }
    const paid = answer.status === 'success';
    response.end(
      JSON.stringify({
        status: true,
        message: 'Verification successful',
        data: {
          id: 4099260516,
          domain: 'test',
          status: answer.status,
          reference,
          amount: answer.amount,
          currency: answer.currency ?? 'NGN',
          paid_at: paid ? '2024-08-22T09:15:02.000Z' : null,
          created_at: '2024-08-22T09:14:24.000Z',
          channel: 'card',
          gateway_response: paid ? 'Successful' : 'The transaction was not completed',
          metadata: '',
          fees: paid ? 10_000 : null,
          customer: { id: 181873746, email: 'payer@example.com', customer_code: 'CUS_1rkzaqsv4rrhqo6' },
          authorization: {},
        },
      }),
    );
  });
  const url = await listen(server);
  return {
    url,
    answers,
    calls,
    client: new PaystackClient({
      secretKey: paystack.secretKey,
      baseUrl: url,
      timeoutMs: PAYSTACK_TIMEOUT_MS,
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('what Paystack reports', () => {
  it('another amount or currency: never credited, failed, flagged and logged at error by the pass', async () => {
    const standIn = await startStandIn();
    try {
      const user = await t.createUser();
      const short = await startDeposit(user, 50_000);
      const foreign = await startDeposit(user, 50_000);
      standIn.answers.set(short.reference, { status: 'success', amount: 100 });
      standIn.answers.set(foreign.reference, { status: 'success', amount: 50_000, currency: 'USD' });
      const passLogs: { level: string; fields: Record<string, unknown>; message: string }[] = [];
      const record = (level: string) => (fields: Record<string, unknown>, message: string) => {
        passLogs.push({ level, fields, message });
      };
      const [depositsPass, withdrawalsPass] = reconcilerPasses({
        db: t.db,
        paystack: standIn.client,
        minAgeMs: 0,
        intervalMs: 1_000,
        log: { info: record('info'), warn: record('warn'), error: record('error') },
      });
      expect([depositsPass?.name, withdrawalsPass?.name]).toEqual(['deposits', 'withdrawals']);
      expect(await depositsPass?.run()).toEqual({
        checked: 2,
        credited: 0,
        alreadyCredited: 0,
        flagged: 2,
        failed: 0,
        stillPending: 0,
        unknown: 0,
      });
      expect(standIn.calls.sort()).toEqual([short.reference, foreign.reference].sort());

      for (const { reference } of [short, foreign]) {
        expect(await depositRow(reference)).toMatchObject({
          status: 'failed',
          failureReason: 'payment_mismatch',
          ledgerTransactionId: null,
        });
        expect(await ledgerCount(reference)).toBe(0);
        expect(passLogs).toContainEqual({
          level: 'error',
          fields: { reference, by: 'reconciler', reason: expect.stringMatching(/Paystack reported/) },
          message: 'Paystack payment NOT credited and flagged for review',
        });
      }
      expect((await depositRow(short.reference)).flaggedReason).toMatch(
        /100 kobo for a deposit of 50000 kobo/,
      );
      expect((await depositRow(foreign.reference)).flaggedReason).toMatch(
        /currency USD for a deposit in NGN/,
      );
      expect(await balanceOf(user)).toBe(0);
    } finally {
      await standIn.close();
    }
  });

  it('an abandoned or declined checkout fails the deposit only a day after it started', async () => {
    const user = await t.createUser();
    const oldAbandoned = await startDeposit(user, 10_000);
    const youngAbandoned = await startDeposit(user, 11_000);
    const oldDeclined = await startDeposit(user, 12_000);
    const youngDeclined = await startDeposit(user, 13_000);
    for (const { authorization_url } of [oldDeclined, youngDeclined]) {
      expect((await pressCheckoutButton(authorization_url, 'decline')).status).toBe(200);
    }
    await startedHoursAgo(oldAbandoned.reference, 25);
    await startedHoursAgo(oldDeclined.reference, 25);
    await startedHoursAgo(youngAbandoned.reference, 23);
    await startedHoursAgo(youngDeclined.reference, 23);

    const report = await reconcile();
    expect(report).toMatchObject({ checked: 4, failed: 2, stillPending: 2 });
    // Oldest first.
    expect(
      report.checks
        .map((check) => check.reference)
        .slice(0, 2)
        .sort(),
    ).toEqual([oldAbandoned.reference, oldDeclined.reference].sort());
    expect(checkOf(report.checks, youngAbandoned.reference)).toEqual({
      kind: 'still_pending',
      reference: youngAbandoned.reference,
      paystackStatus: 'abandoned',
    });
    expect(await depositRow(oldAbandoned.reference)).toMatchObject({
      status: 'failed',
      failureReason: 'paystack_abandoned',
    });
    expect(await depositRow(oldDeclined.reference)).toMatchObject({
      status: 'failed',
      failureReason: 'paystack_failed',
    });
    expect((await depositRow(youngAbandoned.reference)).status).toBe('pending');
    expect((await depositRow(youngDeclined.reference)).status).toBe('pending');
    expect(await balanceOf(user)).toBe(0);
  });

  it('no final word, an unknown reference or an outage: left pending, whatever the age', async () => {
    const standIn = await startStandIn();
    try {
      const user = await t.createUser();
      const references: Record<string, string> = {};
      for (const status of ['ongoing', 'pending', 'processing', 'queued', 'reversed', 'unknown', 'outage']) {
        const { reference } = await startDeposit(user, 20_000);
        await startedHoursAgo(reference, 48);
        references[status] = reference;
        if (status === 'outage') standIn.answers.set(reference, 'outage');
        else if (status !== 'unknown') standIn.answers.set(reference, { status, amount: 20_000 });
      }
      const report = await reconcile({}, standIn.client);
      expect(report).toMatchObject({ checked: 7, stillPending: 4, failed: 1, unknown: 2, credited: 0 });
      for (const status of ['ongoing', 'pending', 'processing', 'queued']) {
        expect(checkOf(report.checks, references[status] ?? '')?.kind, status).toBe('still_pending');
        expect((await depositRow(references[status] ?? '')).status).toBe('pending');
      }
      expect(await depositRow(references.reversed ?? '')).toMatchObject({
        status: 'failed',
        failureReason: 'paystack_reversed',
      });
      for (const status of ['unknown', 'outage']) {
        const check = checkOf(report.checks, references[status] ?? '');
        expect(check?.kind, status).toBe('unknown');
        expect(check && 'error' in check ? check.error.failure : undefined).toBe(
          status === 'unknown' ? 'refused' : 'unavailable',
        );
        expect((await depositRow(references[status] ?? '')).status).toBe('pending');
      }
    } finally {
      await standIn.close();
    }
  });
});

describe('what a pass claims', () => {
  it('not young deposits, nor ones without a checkout URL', async () => {
    const user = await t.createUser();
    const { reference } = await startDeposit(user, 15_000);
    const young = await reconcile({ minAgeMs: 60_000 });
    expect(checkOf(young.checks, reference)).toBeUndefined();
    expect(verifyCalls(reference)).toBe(0);
    expect((await depositRow(reference)).lastVerifiedAt).toBeNull();

    // A start whose process died before Paystack answered: nobody can pay it; failAbandonedDepositStarts ends it.
    const unstarted = newReference('dep');
    await t.db.insert(deposits).values({
      userId: user.id,
      reference: unstarted,
      amount: 15_000n,
      status: 'pending',
      createdAt: sql`now() - interval '1 hour'`,
    });
    const report = await reconcile();
    expect(report.checks.map((check) => check.reference)).toEqual([reference]);
    expect(verifyCalls(unstarted)).toBe(0);
  });

  it('deposits never asked about first, then those asked about least recently, whatever their age', async () => {
    const user = await t.createUser();
    const [oldest, older, newest] = [
      await startDeposit(user, 3_001),
      await startDeposit(user, 3_002),
      await startDeposit(user, 3_003),
    ].map(({ reference }) => reference);
    if (!oldest || !older || !newest) throw new Error('three deposits');
    await startedHoursAgo(oldest, 3);
    await startedHoursAgo(older, 2);
    const first = await reconcile({ batchSize: 2 });
    expect(first.checks.map((check) => check.reference)).toEqual([oldest, older]);

    // A few passes later: asked 5 and 10 minutes ago, and still unpaid.
    for (const [reference, minutes] of [
      [oldest, 5],
      [older, 10],
    ] as const) {
      await t.db
        .update(deposits)
        .set({ lastReconciledAt: sql`now() - make_interval(mins => ${minutes})` })
        .where(eq(deposits.reference, reference));
    }
    const second = await reconcile({ batchSize: 2 });
    expect(second.checks.map((check) => check.reference)).toEqual([older, newest]);
  });

  it('never the same deposit in two passes running at once', async () => {
    const user = await t.createUser();
    const paid = await Promise.all([
      paidDeposit(user, 1_001),
      paidDeposit(user, 1_002),
      paidDeposit(user, 1_003),
    ]);
    const unpaid = await Promise.all([
      startDeposit(user, 2_001),
      startDeposit(user, 2_002),
      startDeposit(user, 2_003),
    ]);
    const all = [...paid, ...unpaid].map(({ reference }) => reference);

    const passes = await Promise.all([reconcile({ batchSize: 4 }), reconcile({ batchSize: 4 })]);
    const checked = passes.flatMap((pass) => pass.checks.map((check) => check.reference));
    expect(checked.sort()).toEqual([...all].sort());
    for (const reference of all) expect(verifyCalls(reference), reference).toBe(1);
    expect(passes.reduce((sum, pass) => sum + pass.credited, 0)).toBe(3);
    expect(await balanceOf(user)).toBe(1_001 + 1_002 + 1_003);

    // Asked within the minute: not again, however many passes run.
    const again = await Promise.all([reconcile(), reconcile()]);
    expect(again.map((pass) => pass.checked)).toEqual([0, 0]);
    for (const reference of all) expect(verifyCalls(reference), reference).toBe(1);
  });
});

describe('with the status endpoint', () => {
  it('a read right after the pass asked does not ask Paystack again', async () => {
    const user = await t.createUser();
    const { reference } = await startDeposit(user, 16_000);
    expect(checkOf((await reconcile()).checks, reference)?.kind).toBe('still_pending');
    for (let i = 0; i < 3; i++) expect(await statusOf(user, reference)).toBe('pending');
    expect(verifyCalls(reference)).toBe(1);
  });

  it('a read never credits, and a user polling it cannot hold the reconciler off', async () => {
    const user = await t.createUser();
    const { reference } = await paidDeposit(user, 17_000);
    for (let i = 0; i < 3; i++) expect(await statusOf(user, reference)).toBe('pending');
    expect(verifyCalls(reference)).toBe(1);
    expect(await balanceOf(user)).toBe(0);

    // The read asked Paystack a moment ago; the reconciler keeps its own time and credits now.
    expect(checkOf((await reconcile()).checks, reference)?.kind).toBe('credited');
    expect(verifyCalls(reference)).toBe(2);
    expect(await statusOf(user, reference)).toBe('success');
    expect(await balanceOf(user)).toBe(17_000);
  });
});

describe('the service’s own loop', () => {
  it('credits a deposit whose webhook was lost, every RECONCILE_INTERVAL', async () => {
    const loopLogs: LogLine[] = [];
    const service = await startTestApp({
      env: {
        PAYSTACK_SECRET_KEY: paystack.secretKey,
        PAYSTACK_BASE_URL: paystack.url,
        RECONCILE_INTERVAL: '1s',
        RECONCILE_MIN_AGE: '0s',
      },
      deps: {
        paystack: { timeoutMs: PAYSTACK_TIMEOUT_MS },
        logger: loggerOptions('info', logSink(loopLogs)),
      },
    });
    try {
      const user = await service.createUser();
      const { reference } = await paidDeposit(user, 18_000, service);
      // The loop may have asked between the start and Pay, when Paystack still said abandoned;
      // it would then wait the once-a-minute rule out. Asking afresh is what this test is about.
      await service.db
        .update(deposits)
        .set({ lastReconciledAt: null })
        .where(eq(deposits.reference, reference));
      await waitFor(async () => (await balanceOf(user, service)) === 18_000);
      expect(await ledgerCount(reference, service)).toBe(1);
      expect((await depositRow(reference, service)).status).toBe('success');
      await waitFor(() =>
        loopLogs.some((line) => line.msg === 'deposit credited' && line.reference === reference),
      );
      expect(
        loopLogs.filter((line) => line.msg === 'deposit credited' && line.reference === reference),
      ).toEqual([expect.objectContaining({ level: 30, component: 'reconciler', by: 'reconciler' })]);
    } finally {
      await service.close();
    }
  }, 60_000);
});

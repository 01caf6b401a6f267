import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../src/app.ts';
import { signInUser } from '../src/auth/users.ts';
import { queryRows } from '../src/db/client.ts';
import { webhookEndpoints } from '../src/db/schema.ts';
import { startWebhookWorker } from '../src/notifications/worker.ts';
import { signWebhookBody } from '../src/paystack/signature.ts';
import { sendTo } from './support/api-keys.ts';
import { startTestApp, type TestApp, type TestUser, testConfig } from './support/app.ts';
import { createTestDatabase } from './support/database.ts';
import { type JsonBody, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { quietPeriod, waitFor } from './support/wait.ts';

// Real HTTP end to end: movements through the API and Paystack's signed webhooks, the worker of
// the app delivering to small node:http receivers here, signatures checked with the
// standardwebhooks package as a client application would.

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request had arrived whole (ms since the epoch). */
  at: number;
}

/** What a receiver does with a request: answer with a status (and headers), or never answer. */
type Behaviour = (hit: Hit, index: number) => { status: number; headers?: Record<string, string> } | 'stall';

interface Receiver {
  url: string;
  hits: Hit[];
  /** Requests received and not answered yet, now and at most. */
  open: number;
  maxOpen: number;
  behave: Behaviour;
  close(): Promise<void>;
}

const answer200: Behaviour = () => ({ status: 200 });
const receivers: Receiver[] = [];

async function startReceiver(behave: Behaviour = answer200): Promise<Receiver> {
  const stalled: ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    hits: [],
    open: 0,
    maxOpen: 0,
    behave,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((request, response) => {
    receiver.open++;
    receiver.maxOpen = Math.max(receiver.maxOpen, receiver.open);
    response.on('close', () => receiver.open--);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const hit = { headers: request.headers, body: Buffer.concat(chunks).toString(), at: Date.now() };
      receiver.hits.push(hit);
      const reply = receiver.behave(hit, receiver.hits.length - 1);
      if (reply === 'stall') {
        stalled.push(response);
        return;
      }
      response.writeHead(reply.status, reply.headers).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receivers.push(receiver);
  return receiver;
}

let paystack: TestPaystack;
let t: TestApp;

// startTestApp hands its `deps` to buildApp whole: the worker polls every 20 ms here.
const deps: Pick<AppDeps, 'paystack' | 'webhooks'> = {
  paystack: { timeoutMs: 2_000 },
  webhooks: { pollIntervalMs: 20 },
};

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: {
      PAYSTACK_SECRET_KEY: paystack.secretKey,
      PAYSTACK_BASE_URL: paystack.url,
      WEBHOOK_RETRY_SCHEDULE: '1s,1s',
      WEBHOOK_TIMEOUT: '1s',
    },
    deps,
  });
  paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
});
afterEach(() => paystack.reset());
afterAll(async () => {
  await t.close();
  await paystack.close();
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

const send = (user: TestUser, method: string, path: string, body?: unknown) =>
  sendTo(t.url, method, path, user.auth, body);

/** Registers `url` for the user's events (`events`: every type when absent); returns the endpoint with its secret. */
async function subscribe(
  user: TestUser,
  url: string,
  events?: string[],
): Promise<{ id: string; secret: string }> {
  const response = await send(user, 'POST', '/webhooks', { url, ...(events ? { events } : {}) });
  expect(response.status, await response.clone().text()).toBe(201);
  return json(response);
}

/** The hit's body, once its signature verifies under `secret` (throws otherwise). */
function verified(hit: Hit, secret: string): JsonBody {
  return new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>);
}

async function deliveriesOf(user: TestUser, endpointId: string): Promise<JsonBody[]> {
  const response = await send(user, 'GET', `/webhooks/${endpointId}/deliveries`);
  expect(response.status).toBe(200);
  return json(response);
}

/** Waits for the receiver to have received an event of each of `types`; returns the bodies by type, verified. */
async function receivedTypes(
  receiver: Receiver,
  secret: string,
  types: string[],
): Promise<Record<string, JsonBody>> {
  const byType = (): Record<string, JsonBody> =>
    Object.fromEntries(receiver.hits.map((hit) => verified(hit, secret)).map((body) => [body.type, body]));
  await waitFor(() => types.every((type) => type in byType()));
  return byType();
}

function transfer(from: TestUser, to: TestUser, amount: number): Promise<Response> {
  return send(from, 'POST', '/wallet/transfer', { wallet_number: to.walletNumber, amount });
}

function paystackEvent(body: string): Promise<Response> {
  return fetch(`${t.url}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-paystack-signature': signWebhookBody(body, paystack.secretKey),
    },
    body,
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('each event type reaches the endpoint, signed, with the object as the API shows it', () => {
  it('deposit.succeeded, deposit.failed, transfer.sent and transfer.received', async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const aliceHooks = await startReceiver();
    const bobHooks = await startReceiver();
    const aliceEndpoint = await subscribe(alice, aliceHooks.url);
    const bobEndpoint = await subscribe(bob, bobHooks.url);

    const funded = await fundWallet(t.db, alice.id, 100_000);
    const started = await json(await send(alice, 'POST', '/wallet/deposit', { amount: 7_000 }));
    // Paystack reports another amount: the deposit fails (and is flagged), nothing is credited.
    const mismatch = JSON.stringify({
      event: 'charge.success',
      data: { status: 'success', reference: started.reference, amount: 7_001, currency: 'NGN' },
    });
    expect((await paystackEvent(mismatch)).status).toBe(200);
    const sent = await json(await transfer(alice, bob, 2_500));

    const aliceEvents = await receivedTypes(aliceHooks, aliceEndpoint.secret, [
      'deposit.succeeded',
      'deposit.failed',
      'transfer.sent',
    ]);
    const bobEvents = await receivedTypes(bobHooks, bobEndpoint.secret, ['transfer.received']);
    expect(aliceEvents['deposit.succeeded']).toEqual({
      type: 'deposit.succeeded',
      timestamp: expect.stringMatching(ISO),
      data: { reference: funded, status: 'success', amount: 100_000 },
    });
    const failedStatus = await json(await send(alice, 'GET', `/wallet/deposit/${started.reference}/status`));
    expect(aliceEvents['deposit.failed']?.data).toEqual(failedStatus);
    expect(failedStatus).toMatchObject({ reference: started.reference, status: 'failed', amount: 7_000 });
    const [aliceHistory] = await json(await send(alice, 'GET', '/wallet/transactions'));
    const [bobHistory] = await json(await send(bob, 'GET', '/wallet/transactions'));
    expect(aliceEvents['transfer.sent']?.data).toEqual(aliceHistory);
    expect(aliceHistory).toMatchObject({ reference: sent.reference, direction: 'debit', amount: 2_500 });
    expect(bobEvents['transfer.received']).toEqual({
      type: 'transfer.received',
      timestamp: expect.stringMatching(ISO),
      data: bobHistory,
    });
    expect(Math.abs(Date.parse(bobEvents['transfer.received']?.timestamp) - Date.now())).toBeLessThan(60_000);

    // The Standard Webhooks headers, and the delivery each one is.
    for (const hit of [...aliceHooks.hits, ...bobHooks.hits]) {
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['user-agent']).toMatch(/^wallet-service-webhooks\//);
      expect(hit.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
      expect(Math.abs(Number(hit.headers['webhook-timestamp']) * 1000 - hit.at)).toBeLessThan(5_000);
      expect(hit.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    }
    expect(aliceHooks.hits).toHaveLength(3);
    expect(bobHooks.hits).toHaveLength(1);
    await waitFor(async () =>
      (await deliveriesOf(alice, aliceEndpoint.id)).every((d) => d.status === 'delivered'),
    );
    const deliveries = await deliveriesOf(alice, aliceEndpoint.id);
    expect(deliveries.map((delivery) => delivery.id).sort()).toEqual(
      aliceHooks.hits.map((hit) => hit.headers['webhook-id']).sort(),
    );
    expect(deliveries.every((delivery) => delivery.attempt === 1 && delivery.response_status === 200)).toBe(
      true,
    );
  });

  it('withdrawal.succeeded, withdrawal.failed and withdrawal.reversed', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver();
    const endpoint = await subscribe(user, hooks.url, [
      'withdrawal.succeeded',
      'withdrawal.failed',
      'withdrawal.reversed',
    ]);
    await fundWallet(t.db, user.id, 500_000);
    const references: Record<string, string> = {};
    for (const [ending, outcome] of [
      ['0', 'succeeded'],
      ['1', 'failed'],
      ['2', 'reversed'],
    ] as const) {
      const number = `${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}4${ending}`;
      const account = await json(
        await send(user, 'POST', '/wallet/bank-accounts', { bank_code: '058', account_number: number }),
      );
      const withdrawal = await send(user, 'POST', '/wallet/withdrawals', {
        amount: 50_000,
        bank_account_id: account.id,
      });
      expect(withdrawal.status, await withdrawal.clone().text()).toBe(202);
      references[outcome] = (await json(withdrawal)).reference;
    }
    await waitFor(() => hooks.hits.length === 4);
    const bodies = hooks.hits.map((hit) => verified(hit, endpoint.secret));
    const shown = async (reference: string) =>
      json(await send(user, 'GET', `/wallet/withdrawals/${reference}`));
    const ofType = (type: string) => bodies.filter((body) => body.type === type).map((body) => body.data);
    expect(ofType('withdrawal.failed')).toEqual([await shown(references.failed as string)]);
    expect(ofType('withdrawal.reversed')).toEqual([await shown(references.reversed as string)]);
    // Two successes: the one that stays, and the one later reversed, as it was then.
    const succeeded = ofType('withdrawal.succeeded');
    expect(succeeded).toHaveLength(2);
    expect(succeeded).toContainEqual(await shown(references.succeeded as string));
    expect(succeeded.map((data) => data.reference).sort()).toEqual(
      [references.succeeded, references.reversed].sort(),
    );
    expect(succeeded[0]).toMatchObject({ status: 'success', amount: 50_000, fee: expect.any(Number) });
  });

  it('refund.processed, wallet.frozen and wallet.unfrozen', async () => {
    const carol = await t.createUser();
    const dave = await t.createUser();
    const hooks = await startReceiver();
    const endpoint = await subscribe(carol, hooks.url, [
      'refund.processed',
      'wallet.frozen',
      'wallet.unfrozen',
    ]);
    const reference = await fundWallet(t.db, carol.id, 10_000);
    expect((await transfer(carol, dave, 8_000)).status).toBe(200);
    const refundReference = `rf-hooks-${Date.now()}`;
    const refund = JSON.stringify({
      event: 'refund.processed',
      data: {
        transaction_reference: reference,
        refund_reference: refundReference,
        amount: '10000',
        currency: 'NGN',
      },
    });
    expect((await paystackEvent(refund)).status).toBe(200);
    const frozen = await receivedTypes(hooks, endpoint.secret, ['refund.processed', 'wallet.frozen']);
    expect(frozen['refund.processed']?.data).toEqual({
      reference,
      refund_reference: refundReference,
      amount: 10_000,
      taken: 2_000,
      shortfall: 8_000,
      wallet_number: carol.walletNumber,
    });
    expect(frozen['wallet.frozen']?.data).toEqual({
      wallet_number: carol.walletNumber,
      frozen: true,
      debt: 8_000,
      reason: expect.stringContaining(refundReference),
    });
    // Money received repays the debt first, which lifts the freeze.
    await fundWallet(t.db, dave.id, 9_000);
    expect((await transfer(dave, carol, 9_000)).status).toBe(200);
    const unfrozen = await receivedTypes(hooks, endpoint.secret, ['wallet.unfrozen']);
    expect(unfrozen['wallet.unfrozen']?.data).toEqual({
      wallet_number: carol.walletNumber,
      frozen: false,
      debt: 0,
    });
    const balance = await json(await send(carol, 'GET', '/wallet/balance'));
    expect(balance).toMatchObject({ frozen: false, debt: 0 });
    expect(hooks.hits).toHaveLength(3);
  });

  it('webhook.test, to that endpoint only', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver();
    const other = await startReceiver();
    const endpoint = await subscribe(user, hooks.url);
    await subscribe(user, other.url);
    const accepted = await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    expect(accepted.status).toBe(202);
    const { delivery_id: deliveryId } = await json(accepted);
    await waitFor(() => hooks.hits.length === 1);
    expect(verified(hooks.hits[0] as Hit, endpoint.secret)).toEqual({
      type: 'webhook.test',
      timestamp: expect.stringMatching(ISO),
      data: { endpoint_id: endpoint.id, message: expect.any(String) },
    });
    expect(hooks.hits[0]?.headers['webhook-id']).toBe(deliveryId);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'delivered');
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      id: deliveryId,
      type: 'webhook.test',
      attempt: 1,
      response_status: 200,
    });
    await quietPeriod(200);
    expect(other.hits).toHaveLength(0);
  });
});

describe('secret rotation', () => {
  it('signs with both secrets for 24 hours, then with the new one only', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver();
    const endpoint = await subscribe(user, hooks.url);
    const { secret } = await json(await send(user, 'POST', `/webhooks/${endpoint.id}/rotate-secret`));

    expect((await send(user, 'POST', `/webhooks/${endpoint.id}/test`)).status).toBe(202);
    await waitFor(() => hooks.hits.length === 1);
    const both = hooks.hits[0] as Hit;
    expect(String(both.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(both, secret).type).toBe('webhook.test');
    expect(verified(both, endpoint.secret).type).toBe('webhook.test');

    await t.db.execute(
      sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second'
           where id = ${endpoint.id}`,
    );
    expect((await send(user, 'POST', `/webhooks/${endpoint.id}/test`)).status).toBe(202);
    await waitFor(() => hooks.hits.length === 2);
    const single = hooks.hits[1] as Hit;
    expect(String(single.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verified(single, secret).type).toBe('webhook.test');
    expect(() => verified(single, endpoint.secret)).toThrow(WebhookVerificationError);
  });

  it('verifies by hand: HMAC-SHA256 of "{id}.{timestamp}.{body}" under the base64-decoded secret', async () => {
    const { createHmac } = await import('node:crypto');
    const user = await t.createUser();
    const hooks = await startReceiver();
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(() => hooks.hits.length === 1);
    const hit = hooks.hits[0] as Hit;
    const key = Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64');
    const signed = `${hit.headers['webhook-id']}.${hit.headers['webhook-timestamp']}.${hit.body}`;
    const expected = createHmac('sha256', key).update(signed).digest('base64');
    expect(hit.headers['webhook-signature']).toBe(`v1,${expected}`);
  });
});

describe('retries on WEBHOOK_RETRY_SCHEDULE=1s,1s (three attempts) with WEBHOOK_TIMEOUT=1s', () => {
  it('delivers on the third attempt to a receiver failing twice, with one webhook-id', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver((_hit, index) => ({ status: index < 2 ? 503 : 200 }));
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'delivered');
    expect(hooks.hits).toHaveLength(3);
    expect(new Set(hooks.hits.map((hit) => hit.headers['webhook-id'])).size).toBe(1);
    expect(new Set(hooks.hits.map((hit) => hit.body)).size).toBe(1);
    for (let i = 1; i < hooks.hits.length; i++) {
      // 1 s less at most 10% jitter, measured at the receiver.
      expect((hooks.hits[i] as Hit).at - (hooks.hits[i - 1] as Hit).at).toBeGreaterThanOrEqual(850);
    }
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 3,
      status: 'delivered',
      response_status: 200,
      last_error: null,
      next_attempt_at: null,
    });
  });

  it('gives up after three failures, recording the last answer', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver(() => ({ status: 500 }));
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    let pending = true;
    await waitFor(async () => {
      const [delivery] = await deliveriesOf(user, endpoint.id);
      // While pending, it shows when the next attempt is due.
      if (delivery?.status === 'pending' && delivery.attempt > 0)
        expect(delivery.next_attempt_at).toMatch(ISO);
      pending = delivery?.status === 'pending';
      return !pending;
    });
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 3,
      status: 'failed',
      response_status: 500,
      last_error: 'receiver answered 500',
      next_attempt_at: null,
    });
    await quietPeriod(1_500);
    expect(hooks.hits).toHaveLength(3);
  });

  it('counts a receiver that does not answer within the timeout as a failed attempt', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver(() => 'stall');
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'failed');
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 3,
      response_status: null,
      last_error: 'no answer within 1000 ms',
    });
    expect(hooks.hits).toHaveLength(3);
  });

  it('records a connection refused and stops at once when the endpoint is deleted meanwhile', async () => {
    const user = await t.createUser();
    // Nothing listens on port 9.
    const endpoint = await subscribe(user, 'http://127.0.0.1:9/hooks');
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.attempt === 1);
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      status: 'pending',
      response_status: null,
      last_error: expect.stringMatching(/^could not connect: .*ECONNREFUSED/),
    });
    expect((await send(user, 'DELETE', `/webhooks/${endpoint.id}`)).status).toBe(204);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'failed');
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 1,
      last_error: 'endpoint deleted',
    });
  });

  it('does not follow a redirect: a 3xx is a failed attempt, and its target gets nothing', async () => {
    const user = await t.createUser();
    const target = await startReceiver();
    const hooks = await startReceiver(() => ({ status: 302, headers: { location: target.url } }));
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.attempt === 1);
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      response_status: 302,
      last_error: 'receiver answered 302 (redirects are not followed)',
    });
    expect(target.hits).toHaveLength(0);
  });
});

describe('the receiver’s answer', () => {
  it('counts by its status; a body past 64 KiB is not read to the end', async () => {
    const user = await t.createUser();
    let finished: boolean | undefined;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.on('close', () => {
          finished = response.writableFinished;
        });
        response.on('error', () => {});
        response.writeHead(200, { 'content-type': 'text/plain' });
        // 16 MiB: more than loopback buffers hold, so only a reader that reads it all lets it finish.
        response.end(Buffer.alloc(16 * 1024 * 1024, 'x'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = await subscribe(user, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
      await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'delivered');
      expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({ attempt: 1, response_status: 200 });
      await waitFor(() => finished !== undefined);
      expect(finished).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('410 Gone', () => {
  it('disables the endpoint and fails the delivery; nothing more is recorded or sent', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver(() => ({ status: 410 }));
    const endpoint = await subscribe(user, hooks.url);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id))[0]?.status === 'failed');
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 1,
      response_status: 410,
      last_error: 'receiver answered 410 Gone: endpoint disabled',
    });
    const [listed] = await json(await send(user, 'GET', '/webhooks'));
    expect(listed).toMatchObject({
      id: endpoint.id,
      status: 'disabled',
      disabled_reason: expect.stringMatching(/^the receiver answered 410 Gone at \d{4}-\d{2}-\d{2}T/),
    });

    // A disabled endpoint takes no new events, and a test sent to it ends failed without a request.
    await fundWallet(t.db, user.id, 1_000);
    const [events] = await queryRows<{ events: number }>(
      t.db,
      sql`select count(*)::int as events from outbox_events where user_id = ${user.id} and type <> 'webhook.test'`,
    );
    expect(events?.events).toBe(0);
    await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
    await waitFor(async () => (await deliveriesOf(user, endpoint.id)).every((d) => d.status === 'failed'));
    expect((await deliveriesOf(user, endpoint.id))[0]).toMatchObject({
      attempt: 0,
      last_error: 'endpoint disabled',
    });
    expect(hooks.hits).toHaveLength(1);
  });
});

describe('a slow endpoint', () => {
  let slowApp: TestApp;
  beforeAll(async () => {
    slowApp = await startTestApp({ env: { WEBHOOK_TIMEOUT: '30s' }, deps });
  });
  afterAll(() => slowApp.close());

  it('holds at most two sends and does not delay another user’s deliveries', async () => {
    const slow = await slowApp.createUser();
    const quick = await slowApp.createUser();
    const stalling = await startReceiver(() => 'stall');
    const answering = await startReceiver();
    const slowEndpoint = await json(
      await sendTo(slowApp.url, 'POST', '/webhooks', slow.auth, { url: stalling.url }),
    );
    const quickEndpoint = await json(
      await sendTo(slowApp.url, 'POST', '/webhooks', quick.auth, { url: answering.url }),
    );
    await slowApp.db.execute(
      sql`select outbox_emit(${slow.id}::uuid, 'transfer.received', jsonb_build_object('n', n))
            from generate_series(1, 30) n`,
    );
    await waitFor(() => stalling.open === 2);

    await slowApp.db.execute(
      sql`select outbox_emit(${quick.id}::uuid, 'transfer.received', jsonb_build_object('n', 1))`,
    );
    await waitFor(() => answering.hits.length === 1);
    expect(verified(answering.hits[0] as Hit, quickEndpoint.secret).data).toEqual({ n: 1 });
    // Delivered while both stalled requests were still open (their timeout is 30 s): nothing
    // waited for them.
    expect(stalling.open).toBe(2);
    expect(stalling.maxOpen).toBe(2);
    expect(stalling.hits).toHaveLength(2);

    // The quick send is counted out once its outcome is recorded, a moment after its answer.
    await waitFor(async () => (await slowApp.app.webhookWorker.metrics()).inFlight === 2);
    const metrics = await slowApp.app.webhookWorker.metrics();
    expect(metrics.inFlight).toBe(2);
    expect(metrics.outcomes.delivered).toBeGreaterThanOrEqual(1);
    expect(metrics.backlog).toMatchObject({ dueDeliveries: 28, undispatchedEvents: 0 });
    expect(metrics.backlog.oldestDueAgeMs).toBeGreaterThan(0);
    expect(slowEndpoint.id).toBeDefined();
  });
});

describe('the purge', () => {
  it('deletes finished deliveries and their events after 30 days, keeping pending ones and anything younger', async () => {
    const user = await t.createUser();
    const hooks = await startReceiver();
    const endpoint = await subscribe(user, hooks.url);
    await t.db.execute(
      sql`select outbox_emit(${user.id}::uuid, 'deposit.succeeded', jsonb_build_object('n', n))
            from generate_series(1, 4) n`,
    );
    await waitFor(
      async () =>
        (await deliveriesOf(user, endpoint.id)).filter((d) => d.status === 'delivered').length === 4,
    );
    const rows = await queryRows<{ id: string; event_id: string }>(
      t.db,
      sql`select id, event_id from webhook_deliveries where endpoint_id = ${endpoint.id} order by id`,
    );
    const [old, oldPending, oldFailed, young] = rows as { id: string; event_id: string }[];
    await t.db.execute(sql`update webhook_deliveries set created_at = now() - interval '31 days'
                            where id in (${old?.id}, ${oldPending?.id}, ${oldFailed?.id})`);
    await t.db.execute(sql`update outbox_events set created_at = now() - interval '31 days'
                            where id in (${old?.event_id}, ${oldPending?.event_id}, ${oldFailed?.event_id})`);
    // Far in the future, so no worker sends it meanwhile.
    await t.db.execute(sql`update webhook_deliveries set status = 'pending', next_attempt_at = now() + interval '1 day'
                            where id = ${oldPending?.id}`);
    await t.db.execute(sql`update webhook_deliveries set status = 'failed' where id = ${oldFailed?.id}`);

    const purged = await t.app.webhookWorker.purge();
    expect(purged.deliveries).toBeGreaterThanOrEqual(2);
    const left = await queryRows<{ id: string }>(
      t.db,
      sql`select id from webhook_deliveries where endpoint_id = ${endpoint.id} order by id`,
    );
    expect(left.map((row) => row.id)).toEqual([oldPending?.id, young?.id].sort());
    const events = await queryRows<{ id: string }>(
      t.db,
      sql`select id from outbox_events where id in (${old?.event_id}, ${oldPending?.event_id}, ${oldFailed?.event_id})`,
    );
    expect(events.map((row) => row.id)).toEqual([oldPending?.event_id]);
  });
});

describe('the worker alone', () => {
  it('does one step on demand: fans out, sends, reports, and counts', async () => {
    const database = await createTestDatabase();
    try {
      const db = database.handle.db;
      const user = await signInUser(db, {
        subject: 'sub-worker-step',
        email: 'worker@example.com',
        name: null,
      });
      const hooks = await startReceiver((_hit, index) => ({ status: index === 0 ? 500 : 204 }));
      await db.insert(webhookEndpoints).values({
        userId: user.id,
        url: hooks.url,
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        status: 'enabled',
      });
      await db.execute(
        sql`select outbox_emit(${user.id}::uuid, 'deposit.succeeded', jsonb_build_object('n', n))
              from generate_series(1, 3) n`,
      );
      const logged: string[] = [];
      const log = {
        debug: () => {},
        info: () => {},
        warn: (_fields: Record<string, unknown>, message: string) => logged.push(message),
        error: (_fields: Record<string, unknown>, message: string) => logged.push(message),
      };
      const worker = startWebhookWorker({ db, config: testConfig().webhooks, log, background: false });
      try {
        const report = await worker.step();
        expect(report.dispatched).toEqual({ events: 3, deliveries: 3 });
        expect(report.attempted).toBe(2);
        expect(report.outcomes).toEqual({ retrying: 1, delivered: 1 });
        const second = await worker.step();
        expect(second).toMatchObject({ attempted: 1, outcomes: { delivered: 1 } });
        // The failed one waits for the schedule's 5 s.
        expect(await worker.step()).toMatchObject({ attempted: 0 });
        const metrics = await worker.metrics();
        expect(metrics).toMatchObject({
          outcomes: { delivered: 2, retrying: 1, failed: 0 },
          errors: 0,
          dispatchedEvents: 3,
          createdDeliveries: 3,
          inFlight: 0,
          backlog: { dueDeliveries: 0, undispatchedEvents: 0, oldestDueAgeMs: 0 },
        });
        expect(logged).toEqual([]);
        expect(hooks.hits).toHaveLength(3);
      } finally {
        await worker.stop();
      }
    } finally {
      await database.drop();
    }
  });
});

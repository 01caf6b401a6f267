import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRegistry } from '../src/observability/metrics.ts';
import { startReconciler } from '../src/reconciler/loop.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import {
  deliverPaystackEvent,
  pressCheckoutButton,
  startTestPaystack,
  type TestPaystack,
} from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123';

let paystack: TestPaystack;
let t: TestApp;
let guarded: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
  });
  paystack.webhookUrl = `${t.url}/wallet/paystack/webhook`;
  guarded = await startTestApp({ env: { METRICS_TOKEN } });
  alice = await t.createUser();
  bob = await t.createUser();
});
afterAll(async () => {
  await Promise.all([t.close(), guarded.close()]);
  await paystack.close();
});

async function scrape(app: TestApp = t, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${app.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of the sample `name{labels}` in Prometheus text, 0 when absent (a counter not yet counted). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return 0;
}

function transfer(from: TestUser, to: TestUser, amount: number): Promise<Response> {
  return fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...from.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ wallet_number: to.walletNumber, amount }),
  });
}

describe('GET /metrics', () => {
  it('answers loopback requests in Prometheus text, with the process figures', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE wallet_http_requests_total counter');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('without METRICS_TOKEN, refuses a request that came through a proxy, even from loopback', async () => {
    for (const header of [
      { 'x-forwarded-for': '203.0.113.7' },
      { forwarded: 'for=203.0.113.7' },
      { 'x-real-ip': '203.0.113.7' },
      { 'cf-connecting-ip': '203.0.113.7' },
    ]) {
      await expectProblem(await fetch(`${t.url}/metrics`, { headers: header }), 404, 'not_found');
    }
  });

  it('with METRICS_TOKEN, requires it as a bearer token, from loopback too', async () => {
    const refused = await fetch(`${guarded.url}/metrics`);
    await expectProblem(refused, 401, 'unauthenticated');
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      await expectProblem(
        await fetch(`${guarded.url}/metrics`, { headers: { authorization } }),
        401,
        'unauthenticated',
      );
    }
    const text = await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(text).toContain('wallet_http_requests_total');
  });

  it('counts requests by route template and status, never by the ids in the path', async () => {
    const reference = 'dep_not_a_real_reference_123';
    const status = (await fetch(`${t.url}/wallet/deposit/${reference}/status`, { headers: alice.auth }))
      .status;
    await fetch(`${t.url}/no/such/route/42`);
    const text = await scrape();
    expect(
      sample(text, 'wallet_http_requests_total', {
        method: 'GET',
        route: '/wallet/deposit/:reference/status',
        status: String(status),
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'wallet_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(reference);
    expect(text).not.toContain('/no/such/route');
    expect(
      sample(text, 'wallet_http_request_duration_seconds_count', { route: '/wallet/balance' }),
    ).toBeGreaterThanOrEqual(0);
  });

  it('counts money moved and postings by kind, and refusals by code, once per committed transfer', async () => {
    await fundWallet(t.db, alice.id, 10_000);
    const before = await scrape();
    expect((await transfer(alice, bob, 2_500)).status).toBe(200);
    await expectProblem(await transfer(alice, bob, 1_000_000), 422, 'insufficient_funds');
    // A replay of an idempotent transfer moves nothing, so it counts nothing.
    const keyed = { ...alice.auth, 'content-type': 'application/json', 'idempotency-key': 'metrics-once' };
    const body = JSON.stringify({ wallet_number: bob.walletNumber, amount: 100 });
    for (let i = 0; i < 2; i++) {
      expect((await fetch(`${t.url}/wallet/transfer`, { method: 'POST', headers: keyed, body })).status).toBe(
        200,
      );
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wallet_money_moved_kobo_total', { kind: 'transfer' })).toBe(2_600);
    expect(delta('wallet_ledger_postings_total', { kind: 'transfer' })).toBe(2);
    expect(delta('wallet_refusals_total', { code: 'insufficient_funds' })).toBe(1);
    expect(
      delta('wallet_http_requests_total', { method: 'POST', route: '/wallet/transfer', status: '200' }),
    ).toBe(3);
  });

  it('counts Paystack calls by operation with their latency, and webhooks by type and outcome', async () => {
    const before = await scrape();
    const started = await json(
      await fetch(`${t.url}/wallet/deposit`, {
        method: 'POST',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 50_000 }),
      }),
    );
    await pressCheckoutButton(started.authorization_url, 'pay');
    await waitFor(async () => {
      const text = await scrape();
      return (
        sample(text, 'wallet_paystack_webhooks_total', { type: 'charge.success', outcome: 'credited' }) >
        sample(before, 'wallet_paystack_webhooks_total', { type: 'charge.success', outcome: 'credited' })
      );
    });
    // Paystack's retry of the same event: counted as what it did, a duplicate, and no money.
    await deliverPaystackEvent(t.url, paystack.secretKey, 'charge.success', {
      reference: started.reference,
      amount: 50_000,
      currency: 'NGN',
      status: 'success',
    });
    await deliverPaystackEvent(t.url, paystack.secretKey, 'subscription.create', { id: 1 });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wallet_paystack_calls_total', { operation: 'initialize', outcome: 'ok' })).toBe(1);
    expect(delta('wallet_paystack_call_duration_seconds_count', { operation: 'initialize' })).toBe(1);
    expect(delta('wallet_money_moved_kobo_total', { kind: 'deposit' })).toBe(50_000);
    expect(delta('wallet_ledger_postings_total', { kind: 'deposit' })).toBe(1);
    expect(
      delta('wallet_paystack_webhooks_total', { type: 'charge.success', outcome: 'already_credited' }),
    ).toBe(1);
    expect(delta('wallet_paystack_webhooks_total', { type: 'other', outcome: 'ignored' })).toBe(1);
    expect(after).not.toContain('subscription.create');
  });

  it('counts a withdrawal held and paid out, amount plus fee, and its Paystack calls', async () => {
    await fundWallet(t.db, bob.id, 1_000_000);
    const send = (path: string, body: unknown) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { ...bob.auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const account = await json(
      await send('/wallet/bank-accounts', { bank_code: '058', account_number: '0123456740' }),
    );
    const before = await scrape();
    const accepted = await json(
      await send('/wallet/withdrawals', { bank_account_id: account.id, amount: 500_000 }),
    );
    const total = accepted.amount + accepted.fee;
    await waitFor(async () => {
      const text = await scrape();
      return (
        sample(text, 'wallet_ledger_postings_total', { kind: 'withdrawal_payout' }) >
        sample(before, 'wallet_ledger_postings_total', { kind: 'withdrawal_payout' })
      );
    });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wallet_money_moved_kobo_total', { kind: 'withdrawal' })).toBe(total);
    expect(delta('wallet_money_moved_kobo_total', { kind: 'withdrawal_payout' })).toBe(total);
    expect(delta('wallet_paystack_calls_total', { operation: 'transfer', outcome: 'ok' })).toBe(1);
    expect(delta('wallet_paystack_webhooks_total', { type: 'transfer.success', outcome: 'settled' })).toBe(1);
  });

  it('reports the outbox backlog and delivery outcomes, and on PostgreSQL the pool', async () => {
    const text = await scrape();
    expect(text).toMatch(/^wallet_outbox_backlog\{kind="due_deliveries"\} \d+$/m);
    expect(text).toMatch(/^wallet_outbox_backlog\{kind="undispatched_events"\} \d+$/m);
    expect(text).toContain('# TYPE wallet_webhook_deliveries_total counter');
    if (onPostgres) {
      expect(sample(text, 'wallet_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^wallet_db_pool_connections\{state="waiting"\} \d+$/m);
      expect(text).toMatch(/^wallet_db_lock_waits \d+$/m);
    } else {
      expect(text).not.toContain('wallet_db_pool_connections{');
      expect(text).not.toMatch(/^wallet_db_lock_waits \d/m);
    }
  });

  it('counts reconciler passes by outcome and what each found', async () => {
    const before = await processRegistry.metrics();
    const quiet = { info: () => {}, error: () => {} };
    const reconciler = startReconciler({
      intervalMs: 3_600_000,
      log: quiet,
      passes: [
        { name: 'deposits', run: async () => ({ verified: 3, credited: 2, failed: 0 }) },
        {
          name: 'withdrawals',
          run: async () => {
            throw new Error('Paystack is down');
          },
        },
      ],
    });
    await reconciler.runNow();
    await reconciler.stop();
    const after = await processRegistry.metrics();
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('wallet_reconciler_runs_total', { pass: 'deposits', outcome: 'done' })).toBe(1);
    expect(delta('wallet_reconciler_runs_total', { pass: 'withdrawals', outcome: 'failed' })).toBe(1);
    expect(delta('wallet_reconciler_findings_total', { pass: 'deposits', finding: 'verified' })).toBe(3);
    expect(delta('wallet_reconciler_findings_total', { pass: 'deposits', finding: 'credited' })).toBe(2);
  });
});

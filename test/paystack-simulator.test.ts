import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { paystackSimulator } from '../src/dev/paystack/simulator.ts';
import { PaystackClient } from '../src/paystack/client.ts';
import { verifyWebhookSignature } from '../src/paystack/signature.ts';
import { json } from './support/http.ts';
import { pressCheckoutButton, startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { timeoutForStarts } from './support/service-process.ts';
import { quietPeriod, waitFor } from './support/wait.ts';

/** A webhook receiver that answers each delivery with the next status of `answers` (then 200). */
interface Receiver {
  url: string;
  deliveries: { body: Buffer; signature: string | undefined; at: number }[];
  answers: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', deliveries: [], answers: [], close: async () => {} };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signature = request.headers['x-paystack-signature'];
      receiver.deliveries.push({
        body: Buffer.concat(chunks),
        signature: typeof signature === 'string' ? signature : undefined,
        at: Date.now(),
      });
      response.statusCode = receiver.answers.shift() ?? 200;
      response.end('{"status":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  receiver.url = `http://127.0.0.1:${address.port}/webhook`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

let paystack: TestPaystack;
let receiver: Receiver;
let client: PaystackClient;
let counter = 0;

const newReference = () => `test-${process.pid}-${Date.now()}-${++counter}`;
const initialize = (reference = newReference(), overrides: Partial<{ amount: bigint; email: string }> = {}) =>
  client.initializeTransaction({
    email: overrides.email ?? 'payer@example.com',
    amount: overrides.amount ?? 50_000n,
    reference,
    currency: 'NGN',
    metadata: { user_id: 'u1', deposit_id: 'd1' },
  });

beforeAll(async () => {
  receiver = await startReceiver();
  paystack = await startTestPaystack();
  paystack.webhookUrl = receiver.url;
  client = new PaystackClient({ secretKey: paystack.secretKey, baseUrl: paystack.url, timeoutMs: 500 });
});
afterEach(() => {
  paystack.reset();
  receiver.answers = [];
});
afterAll(async () => {
  await paystack.close();
  await receiver.close();
});

describe('Paystack simulator API', () => {
  const post = (body: unknown, key = paystack.secretKey) =>
    fetch(`${paystack.url}/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('checks the secret key as Paystack does', async () => {
    const missing = await fetch(`${paystack.url}/transaction/initialize`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(await json(missing)).toEqual({ status: false, message: 'No Authorization Header was found' });
    const wrong = await post({ email: 'a@example.com', amount: 100 }, 'sk_test_wrong');
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toEqual({ status: false, message: 'Invalid key' });
  });

  it('refuses a duplicate reference with Paystack’s documented body', async () => {
    const reference = newReference();
    expect((await post({ email: 'a@example.com', amount: 100, reference })).status).toBe(200);
    const duplicate = await post({ email: 'a@example.com', amount: 100, reference });
    expect(duplicate.status).toBe(400);
    expect(await json(duplicate)).toEqual({
      status: false,
      message: 'Duplicate Transaction Reference',
      meta: { nextStep: 'Try and create the Transaction or Charge with a new reference' },
      type: 'validation_error',
      code: 'duplicate_reference',
    });
  });

  it('validates email, amount, currency and reference with Paystack’s messages', async () => {
    const cases: [unknown, string][] = [
      [{ amount: 100 }, 'Email is not allowed to be empty'],
      [{ email: 'not-an-email', amount: 100 }, 'Invalid Email Address Passed'],
      [{ email: 'a@example.com' }, 'Invalid Amount Sent'],
      [{ email: 'a@example.com', amount: 10.5 }, 'Invalid Amount Sent'],
      [{ email: 'a@example.com', amount: -5 }, 'Invalid Amount Sent'],
      [{ email: 'a@example.com', amount: 0 }, 'You must specify a valid amount'],
      [{ email: 'a@example.com', amount: 1_000_000_001 }, 'Transaction amount limit exceeded'],
      [{ email: 'a@example.com', amount: 100, currency: 'USD' }, 'Currency not supported by merchant'],
      [
        { email: 'a@example.com', amount: 100, reference: 'bad ref!' },
        'Invalid character in transaction reference',
      ],
    ];
    for (const [body, message] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json(response)).message, JSON.stringify(body)).toBe(message);
    }
    // Paystack's own examples send the amount as a string.
    const stringAmount = await post({ email: 'a@example.com', amount: '20000' });
    expect(stringAmount.status).toBe(200);
    expect(await json(stringAmount)).toMatchObject({ status: true, message: 'Authorization URL created' });
  });
});

describe('Paystack simulator checkout and webhooks', () => {
  it('shows a checkout page with a simulated-payment banner, escaping what it shows', async () => {
    const { authorizationUrl } = await initialize(newReference(), { email: "o'brien&co@example.com" });
    const page = await fetch(authorizationUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('SIMULATED PAYSTACK CHECKOUT');
    expect(html).toContain('₦500.00');
    expect(html).toContain('o&#39;brien&#38;co@example.com');
    expect(html).not.toContain("o'brien");
    expect((await fetch(`${paystack.url}/checkout/unknowncode`)).status).toBe(404);
  });

  it('on Pay sends one signed charge.success shaped like Paystack’s example', async () => {
    const reference = newReference();
    const { authorizationUrl } = await initialize(reference, { amount: 250_000n });
    const before = receiver.deliveries.length;
    expect((await pressCheckoutButton(authorizationUrl, 'pay')).status).toBe(200);
    await waitFor(() => receiver.deliveries.length > before);
    const delivery = receiver.deliveries[before] as Receiver['deliveries'][number];
    expect(verifyWebhookSignature(delivery.body, delivery.signature, paystack.secretKey)).toBe(true);
    const event = JSON.parse(delivery.body.toString());
    expect(event).toMatchObject({
      event: 'charge.success',
      data: {
        status: 'success',
        reference,
        amount: 250_000,
        currency: 'NGN',
        gateway_response: 'Successful',
        channel: 'card',
        metadata: { user_id: 'u1', deposit_id: 'd1' },
        customer: { email: 'payer@example.com', customer_code: expect.stringMatching(/^CUS_/) },
        authorization: { authorization_code: expect.stringMatching(/^AUTH_/) },
      },
    });
    expect(typeof event.data.id).toBe('number');
    expect(typeof event.data.paid_at).toBe('string');

    // Paying twice neither charges nor notifies twice.
    const again = await fetch(authorizationUrl, {
      method: 'POST',
      body: new URLSearchParams({ action: 'pay' }),
    });
    expect(again.status).toBe(409);
    await quietPeriod(100);
    expect(receiver.deliveries.length).toBe(before + 1);
  });

  it('on Decline fails the transaction and sends nothing', async () => {
    const reference = newReference();
    const { authorizationUrl } = await initialize(reference);
    const before = receiver.deliveries.length;
    const declined = await pressCheckoutButton(authorizationUrl, 'decline');
    expect(declined.status).toBe(200);
    expect(await declined.text()).toContain('declined');
    expect((await client.verifyTransaction(reference)).status).toBe('failed');
    await quietPeriod(100);
    expect(receiver.deliveries.length).toBe(before);
  });

  it('retries with growing delays until the receiver answers 200', async () => {
    const { authorizationUrl } = await initialize();
    const before = receiver.deliveries.length;
    receiver.answers = [500, 503, 401];
    await pressCheckoutButton(authorizationUrl, 'pay');
    await waitFor(() => receiver.deliveries.length === before + 4);
    const times = receiver.deliveries.slice(before).map((delivery) => delivery.at);
    const gaps = times.slice(1).map((at, i) => at - (times[i] as number));
    // 20 ms, then 40, then 80 (FAST_WEBHOOK_RETRY), with room for a busy machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[2]).toBeGreaterThanOrEqual(70);
    const bodies = new Set(receiver.deliveries.slice(before).map((delivery) => delivery.body.toString()));
    expect(bodies.size).toBe(1);
    await quietPeriod(200);
    expect(receiver.deliveries.length).toBe(before + 4);
  });

  it('gives up after the bounded number of attempts', async () => {
    const { authorizationUrl } = await initialize();
    const before = receiver.deliveries.length;
    receiver.answers = Array(10).fill(500);
    await pressCheckoutButton(authorizationUrl, 'pay');
    await waitFor(() => receiver.deliveries.length === before + 5);
    await quietPeriod(800);
    expect(receiver.deliveries.length).toBe(before + 5);
  });

  it('redirects the payer to callback_url with trxref and reference, as Paystack does', async () => {
    const reference = newReference();
    const response = await fetch(`${paystack.url}/transaction/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${paystack.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'a@example.com',
        amount: 100,
        reference,
        callback_url: 'http://localhost:1/done?x=1',
      }),
    });
    const { data } = await json(response);
    const paid = await pressCheckoutButton(data.authorization_url, 'pay');
    expect(paid.status).toBe(302);
    const location = new URL(paid.headers.get('location') as string);
    expect(location.origin + location.pathname).toBe('http://localhost:1/done');
    expect(Object.fromEntries(location.searchParams)).toEqual({ x: '1', trxref: reference, reference });
  });

  it('stops retrying when closed', async () => {
    const port = await freePort();
    const simulator = Fastify();
    const secretKey = 'sk_test_closing';
    let attempts = 0;
    await simulator.register(paystackSimulator, {
      secretKey,
      webhookUrl: () => {
        attempts++;
        return `http://127.0.0.1:${port}/nobody-listens`;
      },
      webhookRetry: { maxAttempts: 50, initialDelayMs: 30, attemptTimeoutMs: 1_000 },
    });
    const url = await simulator.listen({ port: 0, host: '127.0.0.1' });
    const own = new PaystackClient({ secretKey, baseUrl: url });
    const { authorizationUrl } = await own.initializeTransaction({
      email: 'a@example.com',
      amount: 100n,
      reference: newReference(),
      currency: 'NGN',
      metadata: {},
    });
    await pressCheckoutButton(authorizationUrl, 'pay');
    await waitFor(() => attempts >= 2);
    await simulator.close();
    const afterClose = attempts;
    await quietPeriod(300);
    expect(attempts).toBe(afterClose);
  });

  it('does not keep a process alive while it waits to retry', { timeout: timeoutForStarts(1) }, async () => {
    const port = await freePort();
    // A process whose only work left is a retry far beyond its start deadline must exit at once.
    const script = `
      import pino from 'pino';
      import { WebhookSender } from './src/dev/paystack/webhook-sender.ts';
      const sender = new WebhookSender({
        secretKey: 'sk_test_x',
        url: () => 'http://127.0.0.1:${port}/nobody',
        retry: { maxAttempts: 5, initialDelayMs: ${2 * START_TIMEOUT_MS}, attemptTimeoutMs: 1000 },
        log: pino({ level: 'silent' }),
      });
      sender.send({ event: 'charge.success', data: { reference: 'r' } });
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      stdio: 'inherit',
    });
    const stuck = setTimeout(() => child.kill(), START_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(stuck);
    expect(code, `the process was still alive after ${START_TIMEOUT_MS} ms`).toBe(0);
    expect(Date.now() - started).toBeLessThan(START_TIMEOUT_MS);
  });
});

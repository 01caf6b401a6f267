import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { PaystackClient, parseMetadata } from '../src/paystack/client.ts';
import { signWebhookBody, verifyWebhookSignature } from '../src/paystack/signature.ts';
import {
  paystackFailure,
  pressCheckoutButton,
  startTestPaystack,
  type TestPaystack,
} from './support/paystack.ts';

let paystack: TestPaystack;
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
  paystack = await startTestPaystack();
  client = new PaystackClient({ secretKey: paystack.secretKey, baseUrl: paystack.url, timeoutMs: 500 });
});
afterEach(() => paystack.reset());
afterAll(() => paystack.close());

describe('webhook signature', () => {
  const body = Buffer.from('{"event":"charge.success","data":{"reference":"r1","amount":100}}');
  const secret = 'sk_test_secret';

  it('accepts the HMAC-SHA512 hex of the exact bytes, in either case', () => {
    const signature = signWebhookBody(body, secret);
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyWebhookSignature(body, signature, secret)).toBe(true);
    expect(verifyWebhookSignature(body, signature.toUpperCase(), secret)).toBe(true);
  });

  it('refuses another key, other bytes, a truncated, missing, repeated or non-hex header', () => {
    const signature = signWebhookBody(body, secret);
    expect(verifyWebhookSignature(body, signWebhookBody(body, 'sk_test_other'), secret)).toBe(false);
    expect(verifyWebhookSignature(Buffer.from(`${body} `), signature, secret)).toBe(false);
    expect(verifyWebhookSignature(body, signature.slice(0, 127), secret)).toBe(false);
    expect(verifyWebhookSignature(body, `${signature}00`, secret)).toBe(false);
    expect(verifyWebhookSignature(body, undefined, secret)).toBe(false);
    expect(verifyWebhookSignature(body, [signature, signature], secret)).toBe(false);
    expect(verifyWebhookSignature(body, 'z'.repeat(128), secret)).toBe(false);
    expect(verifyWebhookSignature(body, '', secret)).toBe(false);
  });

  it('refuses a signature of the same JSON re-serialized', () => {
    const sent = Buffer.from('{"event": "charge.success", "data": {"reference": "r1", "amount": 100}}');
    const reserialized = JSON.stringify(JSON.parse(sent.toString()));
    expect(verifyWebhookSignature(sent, signWebhookBody(reserialized, secret), secret)).toBe(false);
    expect(verifyWebhookSignature(sent, signWebhookBody(sent, secret), secret)).toBe(true);
  });
});

describe('Paystack client against the simulator', () => {
  it('initializes a transaction and returns the checkout URL', async () => {
    const reference = newReference();
    const initialized = await initialize(reference);
    expect(initialized.reference).toBe(reference);
    expect(initialized.accessCode).toMatch(/^[a-z0-9]{15}$/);
    expect(initialized.authorizationUrl).toBe(`${paystack.url}/checkout/${initialized.accessCode}`);
  });

  it('verifies a transaction: abandoned until paid, then success with the amount and metadata', async () => {
    const reference = newReference();
    const { authorizationUrl } = await initialize(reference, { amount: 123_456n });
    const before = await client.verifyTransaction(reference);
    expect(before).toMatchObject({ status: 'abandoned', amount: 123_456n, currency: 'NGN', paidAt: null });
    expect(before.metadata).toEqual({ user_id: 'u1', deposit_id: 'd1' });
    expect((await pressCheckoutButton(authorizationUrl, 'pay')).status).toBe(200);
    const after = await client.verifyTransaction(reference);
    expect(after.status).toBe('success');
    expect(after.customerEmail).toBe('payer@example.com');
    expect(after.paidAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('turns Paystack refusals into a typed error with Paystack’s message', async () => {
    const reference = newReference();
    await initialize(reference);
    const duplicate = await paystackFailure(initialize(reference));
    expect(duplicate).toMatchObject({
      failure: 'refused',
      details: { httpStatus: 400, providerMessage: 'Duplicate Transaction Reference' },
    });
    const unknown = await paystackFailure(client.verifyTransaction('no-such-reference'));
    expect(unknown.details.providerMessage).toBe('Transaction reference not found');

    const wrongKey = new PaystackClient({ secretKey: 'sk_test_wrong', baseUrl: paystack.url });
    const invalid = await paystackFailure(wrongKey.verifyTransaction(reference));
    expect(invalid).toMatchObject({
      failure: 'refused',
      details: { httpStatus: 401, providerMessage: 'Invalid key' },
    });
  });

  it('reports a Paystack outage, a stall, a malformed or non-JSON answer and a refused connection', async () => {
    paystack.behaviour.api = 'down';
    expect(await paystackFailure(initialize())).toMatchObject({
      failure: 'unavailable',
      details: { httpStatus: 503 },
    });

    paystack.behaviour.api = 'slow';
    paystack.behaviour.slowMs = 2_000;
    const started = Date.now();
    expect((await paystackFailure(initialize())).failure).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);

    paystack.behaviour.api = 'malformed';
    const malformed = await paystackFailure(initialize());
    expect(malformed.failure).toBe('malformed_response');
    expect(malformed.message).toMatch(/documented shape: \/data/);

    paystack.behaviour.api = 'not_json';
    expect((await paystackFailure(client.verifyTransaction('anything'))).failure).toBe('malformed_response');

    const closed = new PaystackClient({
      secretKey: 'sk_test_x',
      baseUrl: `http://127.0.0.1:${await freePort()}`,
    });
    expect((await paystackFailure(closed.verifyTransaction('anything'))).failure).toBe('unreachable');
  });

  it('reads metadata defensively', () => {
    expect(parseMetadata({ a: 1 })).toEqual({ a: 1 });
    expect(parseMetadata('{"a":1}')).toEqual({ a: 1 });
    expect(parseMetadata('')).toBeUndefined();
    expect(parseMetadata(0)).toBeUndefined();
    expect(parseMetadata('[1]')).toBeUndefined();
    expect(parseMetadata(null)).toBeUndefined();
  });
});

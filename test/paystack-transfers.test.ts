import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDuplicateTransferReference, PaystackClient } from '../src/paystack/client.ts';
import { verifyWebhookSignature } from '../src/paystack/signature.ts';
import { json } from './support/http.ts';
import { paystackFailure, startTestPaystack, type TestPaystack } from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

/** The real client against the simulator over HTTP: banks, recipients, transfers and their webhooks. */

interface Delivery {
  body: Buffer;
  signature: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: test-only access to the parsed event
  event: any;
}

/** A webhook receiver that answers 200 to everything and keeps what it got. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const signature = request.headers['x-paystack-signature'];
      deliveries.push({
        body,
        signature: typeof signature === 'string' ? signature : undefined,
        event: JSON.parse(body.toString()),
      });
      response.end('{"status":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/webhook`,
    deliveries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let paystack: TestPaystack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let client: PaystackClient;
/** Gives up long before the simulator's `slowMs`: for timeouts. */
let hasty: PaystackClient;

/** A reference by Paystack's rule: lowercase letters, digits, `-` and `_`, at least 16. */
const newReference = () => `wd_${randomUUID()}`;
/** A fresh 10-digit account number ending in `last` (never 0000000000). */
const accountEndingIn = (last: number) => `${randomInt(100_000_000, 999_999_999)}${last}`;
const eventsFor = (reference: string) =>
  receiver.deliveries.filter((delivery) => delivery.event.data?.reference === reference);

async function recipientFor(accountNumber: string, bankCode = '058'): Promise<string> {
  const { recipientCode } = await client.createTransferRecipient({
    name: 'Jane Doe',
    accountNumber,
    bankCode,
  });
  return recipientCode;
}

async function transferTo(accountNumber: string, amount = 100_000n, reference = newReference()) {
  const recipientCode = await recipientFor(accountNumber);
  const initiated = await client.initiateTransfer({ amount, recipientCode, reference, reason: 'Withdrawal' });
  return { recipientCode, reference, initiated };
}

beforeAll(async () => {
  receiver = await startReceiver();
  paystack = await startTestPaystack();
  paystack.webhookUrl = receiver.url;
  // Generous: two cores are shared with other test runs. Timeouts are `hasty`'s.
  client = new PaystackClient({ secretKey: paystack.secretKey, baseUrl: paystack.url, timeoutMs: 5_000 });
  hasty = new PaystackClient({ secretKey: paystack.secretKey, baseUrl: paystack.url, timeoutMs: 300 });
});
afterEach(() => paystack.reset());
afterAll(async () => {
  await paystack.close();
  await receiver.close();
});

describe('bank list', () => {
  it('lists the active NGN banks by name, following the cursor page by page', async () => {
    const whole = await client.listBanks();
    paystack.behaviour.bankPageLimit = 7;
    const before = paystack.received.length;
    const paged = await client.listBanks();
    const requests = paystack.received.slice(before);

    expect(paged).toEqual(whole);
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests[0]).toMatch(/^GET \/bank\?currency=NGN&perPage=100&use_cursor=true$/);
    for (const later of requests.slice(1)) expect(later).toMatch(/&use_cursor=true&next=[A-Za-z0-9%]+/);
    expect(paged.map((bank) => bank.name)).toEqual(
      [...paged.map((bank) => bank.name)].sort((a, b) => a.localeCompare(b, 'en')),
    );
    expect(new Set(paged.map((bank) => bank.code)).size).toBe(paged.length);
    expect(paged).toEqual(
      expect.arrayContaining([
        { name: 'Access Bank', code: '044' },
        { name: 'Guaranty Trust Bank', code: '058' },
        { name: 'Kuda Bank', code: '50211' },
        { name: 'Moniepoint MFB', code: '50515' },
      ]),
    );
    // An inactive and a deleted bank are listed by Paystack but cannot be paid.
    expect(paged.map((bank) => bank.code)).not.toContain('030');
    expect(paged.map((bank) => bank.code)).not.toContain('063');
  });

  it('refuses a list that pages on beyond ten pages', async () => {
    paystack.behaviour.bankPageLimit = 2;
    const before = paystack.received.length;
    const error = await paystackFailure(client.listBanks());
    expect(error.failure).toBe('malformed_response');
    expect(error.message).toMatch(/beyond 10 pages/);
    expect(paystack.received.length - before).toBe(10);
  });
});

describe('account resolution', () => {
  it('resolves any 10-digit number at a known bank to the same made-up holder', async () => {
    const accountNumber = accountEndingIn(7);
    const first = await client.resolveAccount({ accountNumber, bankCode: '058' });
    expect(first).toEqual({
      accountNumber,
      accountName: expect.stringMatching(/^[A-Z][a-z]+( [A-Z][a-z]+){2}$/),
    });
    expect(await client.resolveAccount({ accountNumber, bankCode: '044' })).toEqual(first);
  });

  it('is undefined for 0000000000, an unknown or inactive bank and a non-numeric number', async () => {
    expect(await client.resolveAccount({ accountNumber: '0000000000', bankCode: '058' })).toBeUndefined();
    expect(
      await client.resolveAccount({ accountNumber: accountEndingIn(3), bankCode: '999' }),
    ).toBeUndefined();
    expect(
      await client.resolveAccount({ accountNumber: accountEndingIn(3), bankCode: '030' }),
    ).toBeUndefined();
    expect(await client.resolveAccount({ accountNumber: '12345abcde', bankCode: '058' })).toBeUndefined();

    const raw = await fetch(`${paystack.url}/bank/resolve?account_number=0000000000&bank_code=058`, {
      headers: { authorization: `Bearer ${paystack.secretKey}` },
    });
    expect(raw.status).toBe(422);
    expect(await json(raw)).toEqual({
      status: false,
      message: 'Could not resolve account name. Check parameters or try again.',
    });
  });

  it('throws, not undefined, for a wrong key, an outage and a malformed answer', async () => {
    const input = { accountNumber: accountEndingIn(4), bankCode: '058' };
    const wrongKey = new PaystackClient({ secretKey: 'sk_test_wrong', baseUrl: paystack.url });
    expect(await paystackFailure(wrongKey.resolveAccount(input))).toMatchObject({
      failure: 'refused',
      details: { httpStatus: 401, providerMessage: 'Invalid key' },
    });
    paystack.behaviour.api = 'down';
    expect((await paystackFailure(client.resolveAccount(input))).failure).toBe('unavailable');
    paystack.behaviour.api = 'malformed';
    expect((await paystackFailure(client.resolveAccount(input))).failure).toBe('malformed_response');
  });
});

describe('transfer recipients', () => {
  it('makes one recipient per account and returns it again, 201 then 200', async () => {
    const accountNumber = accountEndingIn(5);
    const post = () =>
      fetch(`${paystack.url}/transferrecipient`, {
        method: 'POST',
        headers: { authorization: `Bearer ${paystack.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'nuban',
          name: 'Jane Doe',
          account_number: accountNumber,
          bank_code: '058',
        }),
      });
    const created = await post();
    expect(created.status).toBe(201);
    const { data } = await json(created);
    expect(data).toMatchObject({
      recipient_code: expect.stringMatching(/^RCP_[a-z0-9]{15}$/),
      type: 'nuban',
      details: { account_number: accountNumber, bank_code: '058', bank_name: 'Guaranty Trust Bank' },
    });
    const holder = await client.resolveAccount({ accountNumber, bankCode: '058' });
    expect(data.details.account_name).toBe(holder?.accountName);

    expect((await post()).status).toBe(200);
    const again = await client.createTransferRecipient({
      name: 'Someone Else',
      accountNumber,
      bankCode: '058',
    });
    expect(again.recipientCode).toBe(data.recipient_code);
    // Another bank's account of the same number is another recipient.
    expect(await recipientFor(accountNumber, '044')).not.toBe(data.recipient_code);
  });

  it('refuses an unknown bank and an unresolvable account', async () => {
    const unknownBank = await paystackFailure(recipientFor(accountEndingIn(5), '999'));
    expect(unknownBank).toMatchObject({
      failure: 'refused',
      details: { httpStatus: 400, providerMessage: 'Unknown bank code' },
    });
    const unresolvable = await paystackFailure(recipientFor('0000000000'));
    expect(unresolvable.details).toMatchObject({
      httpStatus: 422,
      providerMessage: 'Cannot resolve account',
    });
  });
});

describe('transfers and their webhooks', () => {
  it('queues a transfer as pending, then sends one signed transfer.success', async () => {
    const balance = paystack.merchantBalanceKobo;
    const accountNumber = accountEndingIn(0);
    const { reference, recipientCode, initiated } = await transferTo(accountNumber, 100_000n);
    expect(initiated).toEqual({ status: 'pending', transferCode: expect.stringMatching(/^TRF_/), reference });

    await waitFor(() => eventsFor(reference).length === 1);
    const [delivery] = eventsFor(reference) as [Delivery];
    expect(verifyWebhookSignature(delivery.body, delivery.signature, paystack.secretKey)).toBe(true);
    expect(verifyWebhookSignature(delivery.body, delivery.signature, 'sk_test_other')).toBe(false);
    expect(delivery.event).toMatchObject({
      event: 'transfer.success',
      data: {
        reference,
        amount: 100_000,
        currency: 'NGN',
        status: 'success',
        transfer_code: initiated.transferCode,
        reason: 'Withdrawal',
        fee_charged: 1_000,
        integration: { id: expect.any(Number) },
        recipient: {
          recipient_code: recipientCode,
          type: 'nuban',
          details: { account_number: accountNumber, bank_code: '058' },
        },
        createdAt: expect.any(String),
      },
    });
    expect(typeof delivery.event.data.id).toBe('number');

    expect(await client.verifyTransfer(reference)).toEqual({
      status: 'success',
      reference,
      amount: 100_000n,
      currency: 'NGN',
      transferCode: initiated.transferCode,
      failureReason: null,
    });
    // ₦1,000 costs Paystack's ₦10 fee, kept on success.
    expect(paystack.merchantBalanceKobo).toBe(balance - 101_000);
  });

  it('fails a transfer to an account ending in 1: transfer.failed, amount and fee back', async () => {
    const balance = paystack.merchantBalanceKobo;
    const { reference } = await transferTo(accountEndingIn(1), 1_000_000n);
    await waitFor(() => eventsFor(reference).length === 1);
    const [delivery] = eventsFor(reference) as [Delivery];
    expect(verifyWebhookSignature(delivery.body, delivery.signature, paystack.secretKey)).toBe(true);
    expect(delivery.event).toMatchObject({
      event: 'transfer.failed',
      data: { reference, status: 'failed', amount: 1_000_000, created_at: expect.any(String) },
    });
    const verified = await client.verifyTransfer(reference);
    expect(verified).toMatchObject({ status: 'failed', amount: 1_000_000n });
    expect(verified?.failureReason).toMatch(/ending in 1/);
    expect(paystack.merchantBalanceKobo).toBe(balance);
  });

  it('succeeds, then reverses, a transfer to an account ending in 2', async () => {
    const balance = paystack.merchantBalanceKobo;
    const { reference } = await transferTo(accountEndingIn(2), 6_000_000n);
    await waitFor(() => eventsFor(reference).length === 2);
    const events = eventsFor(reference);
    for (const delivery of events) {
      expect(verifyWebhookSignature(delivery.body, delivery.signature, paystack.secretKey)).toBe(true);
    }
    // Sent in this order, though one delivery may overtake the other.
    const byName = new Map(events.map((delivery) => [delivery.event.event, delivery.event.data]));
    expect([...byName.keys()].sort()).toEqual(['transfer.reversed', 'transfer.success']);
    // Above ₦50,000 the fee is ₦50.
    expect(byName.get('transfer.success')).toMatchObject({ status: 'success', fee_charged: 5_000 });
    expect(byName.get('transfer.reversed')).toMatchObject({
      status: 'reversed',
      transferred_at: expect.any(String),
    });
    const verified = await client.verifyTransfer(reference);
    expect(verified).toMatchObject({ status: 'reversed', failureReason: expect.stringMatching(/reversed/) });
    expect(paystack.merchantBalanceKobo).toBe(balance);
  });

  it('verifies an unknown reference as undefined, but throws for other refusals', async () => {
    expect(await client.verifyTransfer(newReference())).toBeUndefined();
    const wrongKey = new PaystackClient({ secretKey: 'sk_test_wrong', baseUrl: paystack.url });
    expect((await paystackFailure(wrongKey.verifyTransfer(newReference()))).details.httpStatus).toBe(401);
  });

  it('refuses a reused reference, which isDuplicateTransferReference tells from other refusals', async () => {
    const { reference, recipientCode } = await transferTo(accountEndingIn(0));
    const again = { amount: 100_000n, recipientCode, reference, reason: 'Withdrawal' };
    const duplicate = await paystackFailure(client.initiateTransfer(again));
    expect(duplicate.details).toMatchObject({
      httpStatus: 400,
      providerMessage: 'Please provide a unique reference. Reference already exists on a transfer',
    });
    expect(isDuplicateTransferReference(duplicate)).toBe(true);

    const invalid = await paystackFailure(
      client.initiateTransfer({ ...again, recipientCode: 'RCP_nobody', reference: newReference() }),
    );
    expect(invalid.details).toMatchObject({
      httpStatus: 400,
      providerMessage: 'Recipient specified is invalid',
      providerCode: 'invalid_transfer_recipient',
    });
    expect(isDuplicateTransferReference(invalid)).toBe(false);
  });

  it('refuses a transfer the merchant balance cannot cover, fee included', async () => {
    const recipientCode = await recipientFor(accountEndingIn(0));
    paystack.merchantBalanceKobo = 100_999;
    const reference = newReference();
    const refused = await paystackFailure(
      client.initiateTransfer({ amount: 100_000n, recipientCode, reference, reason: 'Withdrawal' }),
    );
    expect(refused.details).toMatchObject({
      httpStatus: 400,
      providerMessage: 'Your balance is not enough to fulfil this request',
    });
    expect(await client.verifyTransfer(reference)).toBeUndefined();
    expect(paystack.merchantBalanceKobo).toBe(100_999);

    paystack.merchantBalanceKobo = 101_000;
    const accepted = await client.initiateTransfer({
      amount: 100_000n,
      recipientCode,
      reference,
      reason: 'Withdrawal',
    });
    expect(accepted.status).toBe('pending');
    expect(paystack.merchantBalanceKobo).toBe(0);
  });

  it('answers otp when the integration asks for one: nothing moves and no webhook comes', async () => {
    const balance = paystack.merchantBalanceKobo;
    paystack.behaviour.transferOtp = true;
    const { reference, initiated } = await transferTo(accountEndingIn(0));
    expect(initiated.status).toBe('otp');
    expect(paystack.merchantBalanceKobo).toBe(balance);
    expect(await client.verifyTransfer(reference)).toMatchObject({ status: 'otp', failureReason: null });

    // A transfer queued after it settles and is announced; the OTP one never is.
    paystack.behaviour.transferOtp = false;
    const later = await transferTo(accountEndingIn(0));
    await waitFor(() => eventsFor(later.reference).length === 1);
    expect(eventsFor(reference)).toEqual([]);
  });

  it('reports outages, stalls and answers not of Paystack’s shape', async () => {
    const recipientCode = await recipientFor(accountEndingIn(0));
    const initiate = (reference = newReference()) =>
      client.initiateTransfer({ amount: 50_000n, recipientCode, reference, reason: 'Withdrawal' });

    paystack.behaviour.api = 'down';
    expect(await paystackFailure(initiate())).toMatchObject({
      failure: 'unavailable',
      details: { httpStatus: 503 },
    });
    expect((await paystackFailure(client.verifyTransfer(newReference()))).failure).toBe('unavailable');

    paystack.behaviour.api = 'malformed';
    for (const call of [initiate(), client.verifyTransfer(newReference()), client.listBanks()]) {
      const malformed = await paystackFailure(call);
      expect(malformed.failure).toBe('malformed_response');
      expect(malformed.message).toMatch(/documented shape: \/data/);
    }
    expect((await paystackFailure(recipientFor(accountEndingIn(0)))).failure).toBe('malformed_response');

    paystack.behaviour.api = 'not_json';
    expect((await paystackFailure(initiate())).failure).toBe('malformed_response');

    // A stalled initiation is an unknown outcome: Paystack may still make the transfer.
    paystack.behaviour.api = 'slow';
    paystack.behaviour.slowMs = 1_000;
    const reference = newReference();
    const stalled = hasty.initiateTransfer({
      amount: 50_000n,
      recipientCode,
      reference,
      reason: 'Withdrawal',
    });
    expect((await paystackFailure(stalled)).failure).toBe('timeout');
    paystack.behaviour.api = 'normal';
    await waitFor(async () => (await client.verifyTransfer(reference)) !== undefined);
  });

  it('asserts Paystack’s reference rule before calling it; the simulator refuses it as Paystack does', async () => {
    const recipientCode = await recipientFor(accountEndingIn(0));
    const before = paystack.received.length;
    for (const reference of [
      'too-short-ref',
      'UPPERCASE_REFERENCE_0001',
      'has space in the reference',
      'x'.repeat(101),
    ]) {
      await expect(
        client.initiateTransfer({ amount: 10_000n, recipientCode, reference, reason: 'Withdrawal' }),
      ).rejects.toThrow(/Invariant violated: a transfer reference/);
    }
    await expect(
      client.initiateTransfer({ amount: 0n, recipientCode, reference: newReference(), reason: 'Withdrawal' }),
    ).rejects.toThrow(/Invariant violated/);
    expect(paystack.received.slice(before)).toEqual([]);

    const post = async (reference: string) => {
      const response = await fetch(`${paystack.url}/transfer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${paystack.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'balance', amount: 10_000, recipient: recipientCode, reference }),
      });
      return { status: response.status, message: (await json(response)).message };
    };
    expect(await post('has space!')).toEqual({
      status: 400,
      message: 'Your reference contains illegal special characters',
    });
    expect(await post('too-short')).toEqual({ status: 400, message: 'Invalid entries found' });
    expect(await post('UPPERCASE_REFERENCE_0001')).toEqual({ status: 400, message: 'Invalid entries found' });
  });

  it('holds POST /transfer before or after creating the transfer until released or abandoned', async () => {
    const recipientCode = await recipientFor(accountEndingIn(0));
    const balance = paystack.merchantBalanceKobo;
    const input = (reference: string) => ({
      amount: 20_000n,
      recipientCode,
      reference,
      reason: 'Withdrawal',
    });

    paystack.behaviour.transferHold = 'before_create';
    const before = newReference();
    const heldBefore = client.initiateTransfer(input(before));
    await waitFor(() => paystack.heldTransfers === 1);
    expect(await client.verifyTransfer(before)).toBeUndefined();
    expect(paystack.merchantBalanceKobo).toBe(balance);
    expect(paystack.releaseHeldTransfers()).toBe(1);
    expect((await heldBefore).status).toBe('pending');

    paystack.behaviour.transferHold = 'after_create';
    const after = newReference();
    const heldAfter = client.initiateTransfer(input(after));
    await waitFor(() => paystack.heldTransfers === 1);
    expect(await client.verifyTransfer(after)).toMatchObject({ reference: after, amount: 20_000n });
    expect(paystack.merchantBalanceKobo).toBe(balance - 2 * 21_000);
    paystack.releaseHeldTransfers();
    expect((await heldAfter).reference).toBe(after);

    // The caller gives up (or dies) while held: the hold ends, the transfer stands and settles.
    const abandoned = newReference();
    expect((await paystackFailure(hasty.initiateTransfer(input(abandoned)))).failure).toBe('timeout');
    await waitFor(() => paystack.heldTransfers === 0);
    await waitFor(() => eventsFor(abandoned).length === 1);
    expect(eventsFor(abandoned)[0]?.event.event).toBe('transfer.success');
  });
});

describe('the simulator’s state file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'paystack-transfers-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps recipients, transfers and the balance across a restart, and settles what was pending', async () => {
    const stateFile = join(directory, 'restart.json');
    // Settles long after this test: the transfer is still pending when the simulator stops.
    const first = await startTestPaystack({ stateFile, transferWebhookDelayMs: 60_000 });
    first.webhookUrl = receiver.url;
    const firstClient = new PaystackClient({ secretKey: first.secretKey, baseUrl: first.url });
    const accountNumber = accountEndingIn(0);
    const { recipientCode } = await firstClient.createTransferRecipient({
      name: 'Jane Doe',
      accountNumber,
      bankCode: '058',
    });
    first.merchantBalanceKobo = 5_000_000;
    const reference = newReference();
    await firstClient.initiateTransfer({ amount: 200_000n, recipientCode, reference, reason: 'Withdrawal' });
    expect((await firstClient.verifyTransfer(reference))?.status).toBe('pending');
    await first.close();
    expect(eventsFor(reference)).toEqual([]);

    const second = await startTestPaystack({ stateFile, secretKey: first.secretKey });
    second.webhookUrl = receiver.url;
    try {
      const secondClient = new PaystackClient({ secretKey: second.secretKey, baseUrl: second.url });
      await waitFor(() => eventsFor(reference).length === 1);
      expect(eventsFor(reference)[0]?.event).toMatchObject({
        event: 'transfer.success',
        data: { reference },
      });
      expect((await secondClient.verifyTransfer(reference))?.status).toBe('success');
      expect(second.merchantBalanceKobo).toBe(5_000_000 - 201_000);
      const again = await secondClient.createTransferRecipient({
        name: 'Jane Doe',
        accountNumber,
        bankCode: '058',
      });
      expect(again.recipientCode).toBe(recipientCode);
      const duplicate = await paystackFailure(
        secondClient.initiateTransfer({ amount: 200_000n, recipientCode, reference, reason: 'Withdrawal' }),
      );
      expect(isDuplicateTransferReference(duplicate)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('still reads a version 1 file, from before transfers', async () => {
    const stateFile = join(directory, 'version-1.json');
    const reference = `v1-${randomUUID()}`;
    const transaction = {
      id: 1_234_567_890,
      reference,
      accessCode: 'abcdefghij12345',
      amount: 50_000,
      currency: 'NGN',
      email: 'payer@example.com',
      customer: { id: 100_000, code: 'CUS_abcdefghij12345' },
      metadata: { deposit_id: 'd1' },
      status: 'abandoned',
      createdAt: new Date().toISOString(),
    };
    writeFileSync(
      stateFile,
      JSON.stringify({
        version: 1,
        transactions: [transaction],
        customers: [['payer@example.com', transaction.customer]],
      }),
    );
    const simulator = await startTestPaystack({ stateFile });
    try {
      const own = new PaystackClient({ secretKey: simulator.secretKey, baseUrl: simulator.url });
      expect(await own.verifyTransaction(reference)).toMatchObject({
        reference,
        amount: 50_000n,
        status: 'abandoned',
      });
      expect(simulator.merchantBalanceKobo).toBe(10_000_000_000);
      const { recipientCode } = await own.createTransferRecipient({
        name: 'Jane Doe',
        accountNumber: accountEndingIn(0),
        bankCode: '058',
      });
      await own.initiateTransfer({
        amount: 10_000n,
        recipientCode,
        reference: newReference(),
        reason: 'Withdrawal',
      });
    } finally {
      await simulator.close();
    }
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved).toMatchObject({ version: 2, merchantBalanceKobo: 10_000_000_000 - 11_000 });
    expect(saved.transactions.map((kept: { reference: string }) => kept.reference)).toEqual([reference]);
    expect(saved.transfers).toHaveLength(1);
    expect(saved.recipients).toHaveLength(1);
  });
});

describe('answers the simulator does not give', () => {
  /** A stand-in Paystack that answers every request with the next `[status, body]`. */
  let answers: [number, string][] = [];
  let fake: Server;
  let fakeClient: PaystackClient;

  beforeAll(async () => {
    fake = createServer((_request, response) => {
      const [status, body] = answers.shift() ?? [500, ''];
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const address = fake.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    fakeClient = new PaystackClient({
      secretKey: 'sk_test_fake',
      baseUrl: `http://127.0.0.1:${address.port}`,
    });
  });
  afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

  const verifyBody = (reference: string, amount: string, status = 'success') =>
    `{"status":true,"message":"Transfer retrieved","data":{"reference":"${reference}","status":"${status}",` +
    `"amount":${amount},"currency":"NGN","transfer_code":"TRF_abc123","gateway_response":"Account closed"}}`;

  it('reads amounts exactly: kobo a double would lose are a malformed answer', async () => {
    const reference = newReference();
    answers = [[200, verifyBody(reference, '100000.0')]];
    expect((await fakeClient.verifyTransfer(reference))?.amount).toBe(100_000n);
    for (const amount of ['100000.0000000000001', '9007199254740993', '1e400', '100.5']) {
      answers = [[200, verifyBody(reference, amount)]];
      expect((await paystackFailure(fakeClient.verifyTransfer(reference))).failure, amount).toBe(
        'malformed_response',
      );
    }
  });

  it('tells not-found from other answers, and checks what comes back is ours', async () => {
    const reference = newReference();
    answers = [[400, '{"status":false,"message":"Transfer not found"}']];
    expect(await fakeClient.verifyTransfer(reference)).toBeUndefined();
    answers = [[400, '{"status":false,"message":"Invalid reference"}']];
    expect((await paystackFailure(fakeClient.verifyTransfer(reference))).failure).toBe('refused');
    answers = [[404, '<html>Not Found</html>']];
    expect((await paystackFailure(fakeClient.verifyTransfer(reference))).failure).toBe('malformed_response');
    answers = [[200, verifyBody(newReference(), '100')]];
    expect((await paystackFailure(fakeClient.verifyTransfer(reference))).message).toMatch(/instead of/);
    answers = [[200, verifyBody(reference, '100', 'failed')]];
    expect((await fakeClient.verifyTransfer(reference))?.failureReason).toBe('Account closed');
    answers = [[200, verifyBody(reference, '100', 'in_limbo')]];
    expect((await paystackFailure(fakeClient.verifyTransfer(reference))).failure).toBe('malformed_response');

    answers = [
      [
        200,
        `{"status":true,"message":"Transfer has been queued","data":{"reference":"${reference}","status":"pending","transfer_code":"TRF_x1","amount":999}}`,
      ],
    ];
    const initiate = fakeClient.initiateTransfer({
      amount: 1_000n,
      recipientCode: 'RCP_x',
      reference,
      reason: '',
    });
    expect((await paystackFailure(initiate)).message).toMatch(/999 kobo instead of 1000/);

    answers = [[400, '{"status":false,"message":"Duplicate","code":"duplicate_reference"}']];
    const byCode = await paystackFailure(
      fakeClient.initiateTransfer({ amount: 1_000n, recipientCode: 'RCP_x', reference, reason: '' }),
    );
    expect(byCode.details.providerCode).toBe('duplicate_reference');
    expect(isDuplicateTransferReference(byCode)).toBe(true);

    answers = [
      [200, `{"status":true,"message":"ok","data":{"account_number":"1111111111","account_name":"A B"}}`],
    ];
    const other = await paystackFailure(
      fakeClient.resolveAccount({ accountNumber: '2222222222', bankCode: '058' }),
    );
    expect(other.message).toMatch(/instead of 2222222222/);
    answers = [
      [
        200,
        `{"status":true,"message":"ok","data":{"account_number":"2222222222","account_name":"A\\u0000B"}}`,
      ],
    ];
    expect(
      (await paystackFailure(fakeClient.resolveAccount({ accountNumber: '2222222222', bankCode: '058' })))
        .failure,
    ).toBe('malformed_response');
  });

  it('stops reading an answer beyond 1 MiB', async () => {
    answers = [[200, `{"status":true,"data":[],"padding":"${'x'.repeat(1024 * 1024)}"}`]];
    const error = await paystackFailure(fakeClient.listBanks());
    expect(error.failure).toBe('malformed_response');
    expect(error.message).toMatch(/larger than 1 MiB/);
  });
});

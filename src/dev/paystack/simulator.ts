// A local stand-in for Paystack's transaction API and checkout, speaking the shapes of Paystack's
// OpenAPI document and example bodies, so the service's real client, signature check and webhook
// handling run against it over HTTP. Paystack publishes no official sandbox server to run offline.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { checkoutPage, resultPage } from './checkout-page.ts';
import { DEFAULT_WEBHOOK_RETRY, type WebhookRetryPolicy, WebhookSender } from './webhook-sender.ts';

/** How the API endpoints answer; tests change it between requests to play an unhealthy Paystack. */
export interface SimulatorBehaviour {
  /**
   * `normal`; `down`: 503 with an HTML error page, as from a failing edge proxy; `slow`: the
   * normal answer after `slowMs`; `malformed`: 200 JSON that is not Paystack's shape; `not_json`:
   * 200 with an HTML body.
   */
  api: 'normal' | 'down' | 'slow' | 'malformed' | 'not_json';
  slowMs: number;
}

export interface PaystackSimulatorOptions {
  /** The only key the API accepts, and the webhook signing key, as with Paystack. */
  secretKey: string;
  /** Where `charge.success` goes; a function when it is known only once the receiver listens. */
  webhookUrl: string | (() => string);
  webhookRetry?: WebhookRetryPolicy;
  /** A test hook: the same object, mutated by the test, is read on every API call. */
  behaviour?: SimulatorBehaviour;
}

type SimulatedStatus = 'abandoned' | 'success' | 'failed';

interface SimulatedTransaction {
  id: number;
  reference: string;
  accessCode: string;
  amount: number;
  currency: string;
  email: string;
  customer: { id: number; code: string };
  metadata: unknown;
  callbackUrl: string | undefined;
  status: SimulatedStatus;
  createdAt: Date;
  paidAt: Date | undefined;
  payerIp: string | undefined;
}

/** Transactions live in memory; past this many the oldest are forgotten. */
const MAX_TRANSACTIONS = 10_000;
/** Paystack's per-transaction cap: 10,000,000 in the major unit. */
const MAX_AMOUNT = 1_000_000_000;
const REFERENCE = /^[A-Za-z0-9.=-]{1,100}$/;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}\.[^\s@<>".]{2,}$/;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return code;
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual requires.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Paystack's card fee in Nigeria: 1.5%, plus ₦100 from ₦2,500, capped at ₦2,000. */
function paystackFee(amount: number): number {
  const fee = Math.round(amount * 0.015) + (amount >= 250_000 ? 10_000 : 0);
  return Math.min(fee, 200_000);
}

class PaystackApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Amounts arrive as JSON integers or, as in Paystack's own examples, digit strings. */
function parseAmount(value: unknown): number {
  const amount =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,16}$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(amount) || amount < 0) throw new PaystackApiError(400, 'Invalid Amount Sent');
  if (amount === 0) throw new PaystackApiError(400, 'You must specify a valid amount');
  if (amount > MAX_AMOUNT) throw new PaystackApiError(400, 'Transaction amount limit exceeded');
  return amount;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new PaystackApiError(400, `${name} must be a string`);
  return value;
}

export const paystackSimulator: FastifyPluginAsync<PaystackSimulatorOptions> = async (app, options) => {
  const behaviour = options.behaviour ?? { api: 'normal', slowMs: 0 };
  const { webhookUrl } = options;
  const transactions = new Map<string, SimulatedTransaction>();
  const referenceByAccessCode = new Map<string, string>();
  const customers = new Map<string, { id: number; code: string }>();
  const webhooks = new WebhookSender({
    secretKey: options.secretKey,
    url: typeof webhookUrl === 'string' ? () => webhookUrl : webhookUrl,
    retry: options.webhookRetry ?? DEFAULT_WEBHOOK_RETRY,
    log: app.log,
  });
  app.addHook('onClose', () => webhooks.close());

  await app.register(formbody);

  // Paystack's clients expect {"status": false, "message"}, not the service's problem details.
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof PaystackApiError) {
      return reply.code(error.statusCode).send({ status: false, message: error.message, ...error.extra });
    }
    const { statusCode, message } = error as Partial<FastifyError>;
    if (statusCode !== undefined && statusCode < 500) {
      return reply.code(statusCode).send({ status: false, message: message ?? 'Bad request' });
    }
    request.log.error({ err: error }, 'Paystack simulator failed');
    return reply.code(500).send({ status: false, message: 'An error occurred' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ status: false, message: 'Entity not found' }),
  );

  function authorize(request: FastifyRequest): void {
    const header = request.headers.authorization;
    if (header === undefined) throw new PaystackApiError(401, 'No Authorization Header was found');
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) throw new PaystackApiError(401, 'Format is Authorization Bearer [secret key]');
    if (!sameSecret(match[1] as string, options.secretKey)) throw new PaystackApiError(401, 'Invalid key');
  }

  /** Applies the test behaviour; returns true when it has answered in place of the endpoint. */
  async function misbehave(reply: FastifyReply): Promise<boolean> {
    switch (behaviour.api) {
      case 'normal':
        return false;
      case 'slow':
        await sleep(behaviour.slowMs, undefined, { ref: false });
        return false;
      case 'down':
        reply.code(503).type('text/html').send('<html><body><h1>503 Service Unavailable</h1></body></html>');
        return true;
      case 'malformed':
        reply.send({ status: true, message: 'Authorization URL created', data: { authorization_url: 42 } });
        return true;
      case 'not_json':
        reply.type('text/html').send('<html><body>Welcome to nginx!</body></html>');
        return true;
    }
  }

  function customerFor(email: string): { id: number; code: string } {
    let customer = customers.get(email);
    if (!customer) {
      customer = { id: 100_000 + customers.size, code: `CUS_${randomCode(15)}` };
      customers.set(email, customer);
    }
    return customer;
  }

  function remember(transaction: SimulatedTransaction): void {
    if (transactions.size >= MAX_TRANSACTIONS) {
      const [oldest] = transactions.values();
      if (oldest) {
        transactions.delete(oldest.reference);
        referenceByAccessCode.delete(oldest.accessCode);
      }
    }
    transactions.set(transaction.reference, transaction);
    referenceByAccessCode.set(transaction.accessCode, transaction.reference);
  }

  /** The transaction fields common to verify answers and webhook events (Paystack's examples). */
  function chargeData(transaction: SimulatedTransaction) {
    const paid = transaction.status === 'success';
    return {
      id: transaction.id,
      domain: 'test',
      status: transaction.status,
      reference: transaction.reference,
      amount: transaction.amount,
      message: null,
      gateway_response:
        transaction.status === 'success'
          ? 'Successful'
          : transaction.status === 'failed'
            ? 'Declined'
            : 'The transaction was not completed',
      paid_at: transaction.paidAt?.toISOString() ?? null,
      created_at: transaction.createdAt.toISOString(),
      channel: 'card',
      currency: transaction.currency,
      ip_address: transaction.payerIp ?? null,
      // Paystack answers "" when the transaction was initialized without metadata.
      metadata: transaction.metadata ?? '',
      log: null,
      fees: paid ? paystackFee(transaction.amount) : null,
      customer: {
        id: transaction.customer.id,
        first_name: null,
        last_name: null,
        email: transaction.email,
        customer_code: transaction.customer.code,
        phone: null,
        metadata: null,
        risk_action: 'default',
        international_format_phone: null,
      },
      authorization: paid
        ? {
            authorization_code: `AUTH_${randomCode(10)}`,
            bin: '408408',
            last4: '4081',
            exp_month: '12',
            exp_year: '2030',
            channel: 'card',
            card_type: 'visa ',
            bank: 'TEST BANK',
            country_code: 'NG',
            brand: 'visa',
            reusable: true,
            signature: `SIG_${randomCode(20)}`,
            account_name: null,
          }
        : {},
    };
  }

  app.post('/transaction/initialize', { schema: { hide: true } }, async (request, reply) => {
    authorize(request);
    if (await misbehave(reply)) return reply;
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new PaystackApiError(400, 'Invalid request body');
    }
    const fields = body as Record<string, unknown>;
    const email = optionalString(fields, 'email');
    if (email === undefined) throw new PaystackApiError(400, 'Email is not allowed to be empty');
    if (!EMAIL.test(email)) throw new PaystackApiError(400, 'Invalid Email Address Passed');
    const amount = parseAmount(fields.amount);
    const currency = optionalString(fields, 'currency') ?? 'NGN';
    if (currency !== 'NGN') throw new PaystackApiError(400, 'Currency not supported by merchant');
    const callbackUrl = optionalString(fields, 'callback_url');
    if (callbackUrl !== undefined && !URL.canParse(callbackUrl)) {
      throw new PaystackApiError(400, 'Invalid callback_url');
    }
    const reference = optionalString(fields, 'reference') ?? randomCode(10);
    if (!REFERENCE.test(reference)) {
      throw new PaystackApiError(400, 'Invalid character in transaction reference');
    }
    if (transactions.has(reference)) {
      throw new PaystackApiError(400, 'Duplicate Transaction Reference', {
        meta: { nextStep: 'Try and create the Transaction or Charge with a new reference' },
        type: 'validation_error',
        code: 'duplicate_reference',
      });
    }
    const accessCode = randomCode(15);
    remember({
      id: randomInt(1_000_000_000, 9_999_999_999),
      reference,
      accessCode,
      amount,
      currency,
      email,
      customer: customerFor(email),
      metadata: fields.metadata,
      callbackUrl,
      status: 'abandoned',
      createdAt: new Date(),
      paidAt: undefined,
      payerIp: undefined,
    });
    // The checkout lives beside the API, on whatever address the caller reached it by.
    const authorizationUrl = `${request.protocol}://${request.host}${app.prefix}/checkout/${accessCode}`;
    return {
      status: true,
      message: 'Authorization URL created',
      data: { authorization_url: authorizationUrl, access_code: accessCode, reference },
    };
  });

  app.get<{ Params: { reference: string } }>(
    '/transaction/verify/:reference',
    { schema: { hide: true } },
    async (request, reply) => {
      authorize(request);
      if (await misbehave(reply)) return reply;
      const transaction = transactions.get(request.params.reference);
      if (!transaction) {
        throw new PaystackApiError(400, 'Transaction reference not found', {
          meta: {
            nextStep:
              "Ensure that you're passing the reference of a transaction that exists on this integration",
          },
          type: 'validation_error',
          code: 'transaction_not_found',
        });
      }
      const data = chargeData(transaction);
      return {
        status: true,
        message: 'Verification successful',
        data: {
          ...data,
          receipt_number: null,
          fees_split: null,
          plan: null,
          split: {},
          order_id: null,
          paidAt: data.paid_at,
          createdAt: data.created_at,
          requested_amount: transaction.amount,
          pos_transaction_data: null,
          source: null,
          fees_breakdown: null,
          connect: null,
          transaction_date: data.created_at,
          plan_object: {},
          subaccount: {},
        },
      };
    },
  );

  function checkoutTransaction(accessCode: string): SimulatedTransaction | undefined {
    const reference = referenceByAccessCode.get(accessCode);
    return reference === undefined ? undefined : transactions.get(reference);
  }

  function html(reply: FastifyReply, status: number, page: string): FastifyReply {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(page);
  }

  const unknownCheckout = resultPage('Payment not found', 'This checkout link is unknown or has expired.');

  app.get<{ Params: { accessCode: string } }>(
    '/checkout/:accessCode',
    { schema: { hide: true } },
    async (request, reply) => {
      const transaction = checkoutTransaction(request.params.accessCode);
      if (!transaction) return html(reply, 404, unknownCheckout);
      if (transaction.status !== 'abandoned') {
        return html(
          reply,
          200,
          resultPage('Payment complete', `This payment is already ${transaction.status}.`),
        );
      }
      return html(
        reply,
        200,
        checkoutPage({
          formAction: `${app.prefix}/checkout/${transaction.accessCode}`,
          reference: transaction.reference,
          email: transaction.email,
          amount: transaction.amount,
          currency: transaction.currency,
        }),
      );
    },
  );

  app.post<{ Params: { accessCode: string }; Body: { action?: unknown } | undefined }>(
    '/checkout/:accessCode',
    { schema: { hide: true } },
    async (request, reply) => {
      const transaction = checkoutTransaction(request.params.accessCode);
      if (!transaction) return html(reply, 404, unknownCheckout);
      const action = request.body?.action;
      if (action !== 'pay' && action !== 'decline') {
        return html(reply, 400, resultPage('Bad request', 'Press Pay or Decline.'));
      }
      if (transaction.status !== 'abandoned') {
        return html(
          reply,
          409,
          resultPage('Payment complete', `This payment is already ${transaction.status}.`),
        );
      }
      transaction.payerIp = request.ip;
      if (action === 'decline') {
        // Paystack sends webhooks for successful charges only.
        transaction.status = 'failed';
        return html(
          reply,
          200,
          resultPage('Payment declined', 'The payment was declined. Nothing was charged.'),
        );
      }
      transaction.status = 'success';
      transaction.paidAt = new Date();
      webhooks.send({ event: 'charge.success', data: { ...chargeData(transaction), plan: {} } });
      if (transaction.callbackUrl !== undefined) {
        const callback = new URL(transaction.callbackUrl);
        callback.searchParams.set('trxref', transaction.reference);
        callback.searchParams.set('reference', transaction.reference);
        return reply.redirect(callback.href, 302);
      }
      return html(
        reply,
        200,
        resultPage(
          'Payment successful',
          `Paid. The merchant has been notified of ${transaction.reference}; you may close this page.`,
        ),
      );
    },
  );
};

import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { invariant } from '../errors.ts';

/**
 * Why a call to Paystack produced no usable answer: it took too long, the connection failed,
 * Paystack refused the request (4xx, `{"status": false, "message"}`), Paystack itself failed
 * (5xx), or the answer was not the documented shape.
 */
export type PaystackFailure = 'timeout' | 'unreachable' | 'refused' | 'unavailable' | 'malformed_response';

/** The one error every call to Paystack fails with, whatever went wrong on the way. */
export class PaystackError extends Error {
  readonly failure: PaystackFailure;
  readonly details: { readonly httpStatus?: number; readonly providerMessage?: string };

  constructor(
    failure: PaystackFailure,
    message: string,
    details: { readonly httpStatus?: number; readonly providerMessage?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PaystackError';
    this.failure = failure;
    this.details = details;
  }
}

export interface PaystackClientOptions {
  secretKey: string;
  /**
   * The API base, e.g. `https://api.paystack.co`. A function when it is known only once the
   * service listens: the in-process simulator is reached through the service's own address.
   */
  baseUrl: string | (() => string);
  /** The longest a call may take, body included. */
  timeoutMs?: number;
}

/** Paystack answers in well under a second; far longer means it is in trouble, and a payer is waiting. */
export const DEFAULT_PAYSTACK_TIMEOUT_MS = 10_000;
/** Paystack's answers are a few kilobytes; anything this large is not one of them. */
const MAX_RESPONSE_CHARS = 1024 * 1024;

export const TRANSACTION_STATUSES = [
  'success',
  'failed',
  'abandoned',
  'ongoing',
  'pending',
  'processing',
  'queued',
  'reversed',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

const ErrorBody = Compile(
  Type.Object({ status: Type.Literal(false), message: Type.String(), code: Type.Optional(Type.String()) }),
);

const InitializeResponse = Type.Object({
  status: Type.Literal(true),
  message: Type.String(),
  data: Type.Object({
    authorization_url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048 }),
    access_code: Type.String({ minLength: 1, maxLength: 256 }),
    reference: Type.String({ minLength: 1 }),
  }),
});

const VerifyResponse = Type.Object({
  status: Type.Literal(true),
  message: Type.String(),
  data: Type.Object({
    id: Type.Integer(),
    status: Type.Union(TRANSACTION_STATUSES.map((status) => Type.Literal(status))),
    reference: Type.String(),
    // Beyond 2^53 a JSON number has already lost kobo by the time it is parsed.
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String(),
    paid_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    customer: Type.Object({ email: Type.String() }),
    metadata: Type.Optional(Type.Unknown()),
  }),
});

const initializeResponse = Compile(InitializeResponse);
const verifyResponse = Compile(VerifyResponse);

export interface InitializeTransactionInput {
  email: string;
  /** Kobo. */
  amount: bigint;
  reference: string;
  currency: 'NGN';
  callbackUrl?: string | undefined;
  metadata: Readonly<Record<string, string>>;
}

export interface InitializedTransaction {
  authorizationUrl: string;
  accessCode: string;
  reference: string;
}

export interface VerifiedTransaction {
  id: number;
  status: TransactionStatus;
  reference: string;
  /** Kobo. */
  amount: bigint;
  currency: string;
  paidAt: string | null;
  customerEmail: string;
  /** Paystack returns what was sent, but also `""` or `0` when nothing was: only an object counts. */
  metadata: Readonly<Record<string, unknown>> | undefined;
}

/** `metadata` as Paystack returns it: an object, a JSON string of one, or a placeholder. */
export function parseMetadata(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (typeof value === 'string') {
    try {
      return parseMetadata(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  return undefined;
}

function transportFailure(error: unknown, what: string, timeoutMs: number): PaystackError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new PaystackError(
      'timeout',
      `Paystack did not answer ${what} within ${timeoutMs} ms`,
      {},
      { cause: error },
    );
  }
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new PaystackError(
    'unreachable',
    `Paystack could not be reached for ${what}: ${reason}`,
    {},
    { cause: error },
  );
}

/** A compiled TypeBox schema, as far as this client needs one. */
interface Checker<T> {
  Check(value: unknown): value is T;
  Errors(value: unknown): readonly { instancePath: string; message: string }[];
}

function firstProblem(validator: Checker<unknown>, value: unknown): string {
  const [first] = validator.Errors(value);
  return first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
}

/**
 * Paystack's transaction API as this service uses it. Every call carries the secret key, ends
 * within the timeout, and either returns a checked, typed answer or throws `PaystackError`.
 */
export class PaystackClient {
  private readonly secretKey: string;
  private readonly baseUrl: () => string;
  private readonly timeoutMs: number;

  constructor(options: PaystackClientOptions) {
    const { baseUrl } = options;
    this.secretKey = options.secretKey;
    this.baseUrl = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PAYSTACK_TIMEOUT_MS;
  }

  async initializeTransaction(input: InitializeTransactionInput): Promise<InitializedTransaction> {
    invariant(
      input.amount > 0n && input.amount <= BigInt(Number.MAX_SAFE_INTEGER),
      'an initialized amount is a positive JSON-safe integer',
    );
    const body = await this.call('POST', '/transaction/initialize', 'initialize', initializeResponse, {
      email: input.email,
      amount: Number(input.amount),
      reference: input.reference,
      currency: input.currency,
      ...(input.callbackUrl === undefined ? {} : { callback_url: input.callbackUrl }),
      metadata: input.metadata,
    });
    if (body.data.reference !== input.reference) {
      throw new PaystackError(
        'malformed_response',
        `Paystack initialized reference ${body.data.reference} instead of ${input.reference}`,
      );
    }
    return {
      authorizationUrl: body.data.authorization_url,
      accessCode: body.data.access_code,
      reference: body.data.reference,
    };
  }

  async verifyTransaction(reference: string): Promise<VerifiedTransaction> {
    const { data } = await this.call(
      'GET',
      `/transaction/verify/${encodeURIComponent(reference)}`,
      'verify',
      verifyResponse,
    );
    if (data.reference !== reference) {
      throw new PaystackError(
        'malformed_response',
        `Paystack verified reference ${data.reference} instead of ${reference}`,
      );
    }
    return {
      id: data.id,
      status: data.status,
      reference: data.reference,
      amount: BigInt(data.amount),
      currency: data.currency,
      paidAt: data.paid_at ?? null,
      customerEmail: data.customer.email,
      metadata: parseMetadata(data.metadata),
    };
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    validator: Checker<T>,
    body?: Record<string, unknown>,
  ): Promise<T> {
    let status: number;
    let text: string;
    try {
      // One signal for the whole exchange: a server that sends headers and then stalls the body
      // is as stuck as one that never answers.
      const response = await fetch(`${this.baseUrl()}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.secretKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect would carry the secret key somewhere Paystack's API is not.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw transportFailure(error, what, this.timeoutMs);
    }

    if (status >= 500) {
      throw new PaystackError('unavailable', `Paystack failed the ${what} call with HTTP ${status}`, {
        httpStatus: status,
      });
    }
    let parsed: unknown;
    try {
      if (text.length > MAX_RESPONSE_CHARS) throw new Error('too large');
      parsed = JSON.parse(text);
    } catch {
      throw new PaystackError(
        'malformed_response',
        `Paystack's ${what} answer (HTTP ${status}) is not JSON`,
        {
          httpStatus: status,
        },
      );
    }
    if (status >= 300 || ErrorBody.Check(parsed)) {
      const providerMessage = ErrorBody.Check(parsed) ? parsed.message : undefined;
      throw new PaystackError(
        'refused',
        `Paystack refused the ${what} call with HTTP ${status}: ${providerMessage ?? 'no message'}`,
        { httpStatus: status, ...(providerMessage === undefined ? {} : { providerMessage }) },
      );
    }
    if (!validator.Check(parsed)) {
      throw new PaystackError(
        'malformed_response',
        `Paystack's ${what} answer does not have the documented shape: ${firstProblem(validator, parsed)}`,
        { httpStatus: status },
      );
    }
    return parsed;
  }
}

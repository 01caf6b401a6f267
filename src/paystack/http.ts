import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { exactSafeInteger, isStorableText } from '../exact-json.ts';
import { paystackCallDuration, paystackCalls } from '../observability/metrics.ts';

/**
 * Why a call to Paystack produced no usable answer: it took too long, the connection failed,
 * Paystack refused the request (4xx, `{"status": false, "message"}`), Paystack itself failed
 * (5xx), or the answer was not the documented shape.
 */
export type PaystackFailure = 'timeout' | 'unreachable' | 'refused' | 'unavailable' | 'malformed_response';

export interface PaystackErrorDetails {
  readonly httpStatus?: number;
  /** Paystack's `message` in a refusal body. */
  readonly providerMessage?: string;
  /** Paystack's `code` in a refusal body, e.g. `invalid_transfer_recipient`; newer endpoints only. */
  readonly providerCode?: string;
}

/** The one error every call to Paystack fails with, whatever went wrong on the way. */
export class PaystackError extends Error {
  readonly failure: PaystackFailure;
  readonly details: PaystackErrorDetails;

  constructor(
    failure: PaystackFailure,
    message: string,
    details: PaystackErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PaystackError';
    this.failure = failure;
    this.details = details;
  }
}

/** Paystack answers in well under a second; far longer means it is in trouble, and a payer is waiting. */
export const DEFAULT_PAYSTACK_TIMEOUT_MS = 10_000;
/** Paystack's answers are a few kilobytes (a page of 100 banks is about 30); anything this large is not one of them. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Where and how calls are made: shared by the transaction and the transfer calls of one client. */
export interface PaystackConnection {
  readonly secretKey: string;
  readonly baseUrl: () => string;
  /** The longest a call may take, body included. */
  readonly timeoutMs: number;
}

export interface PaystackRequest {
  method: 'GET' | 'POST';
  /** Path and query under the base URL, e.g. `/bank?currency=NGN`; path segments already encoded. */
  path: string;
  /** A short name of the call for messages and logs, e.g. `verify`. */
  what: string;
  body?: Record<string, unknown>;
}

/** A compiled TypeBox schema, as far as this client needs one. */
export interface Checker<T> {
  Check(value: unknown): value is T;
  Errors(value: unknown): readonly { instancePath: string; message: string }[];
}

/** Paystack's refusal body (openapi-paystack.yaml components.schemas.Error); `code` on newer endpoints. */
const ErrorBody = Compile(
  Type.Object({
    status: Type.Literal(false),
    message: Type.String(),
    code: Type.Optional(Type.String({ maxLength: 200 })),
  }),
);

function firstProblem(validator: Checker<unknown>, value: unknown): string {
  const [first] = validator.Errors(value);
  return first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
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

/** Thrown inside `readBounded` when the body outgrows MAX_RESPONSE_BYTES. */
class TooLarge extends Error {}

/** The body as text, read no further than MAX_RESPONSE_BYTES: a runaway answer never fills memory. */
async function readBounded(response: Response): Promise<string | TooLarge> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream, which closes the connection.
    if (size > MAX_RESPONSE_BYTES) return new TooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * JSON with amounts read exactly: a number whose double is a whole number although its literal
 * is not exactly that number (`100.0000000000000001`, `9007199254740993`: kobo lost in parsing)
 * stays its literal text, which no integer schema accepts. Other numbers are left as they are,
 * so a genuine fraction somewhere unchecked (`fees_split`) costs nothing. Throws `SyntaxError`.
 */
export function parseAnswer(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value === 'number' && Number.isInteger(value) && context?.source !== undefined) {
      return exactSafeInteger(context.source) === undefined ? context.source : value;
    }
    return value;
  });
}

/**
 * One call to Paystack: `Authorization: Bearer <secret key>`, no redirect followed, one timeout
 * for headers and body, a bounded body. Resolves with the JSON answer once `validator` accepts it
 * (a 200 or 201); otherwise throws `PaystackError`: `timeout`, `unreachable`, `unavailable` (5xx),
 * `refused` (any other status outside 2xx, or `{"status": false}`, with Paystack's message and code)
 * or `malformed_response` (not JSON, too large, or not the shape `validator` checks). Each call
 * is counted in the metrics by operation (`what`) and outcome (`ok` or the failure), with its time.
 */
export async function callPaystack<T>(
  connection: PaystackConnection,
  request: PaystackRequest,
  validator: Checker<T>,
): Promise<T> {
  // The metrics' label: `account_resolve` for the call named `account resolve`.
  const operation = request.what.replaceAll(' ', '_');
  const stopTimer = paystackCallDuration.startTimer({ operation });
  try {
    const answer = await exchange(connection, request, validator);
    paystackCalls.inc({ operation, outcome: 'ok' });
    return answer;
  } catch (error) {
    paystackCalls.inc({
      operation,
      outcome: error instanceof PaystackError ? error.failure : 'error',
    });
    throw error;
  } finally {
    stopTimer();
  }
}

async function exchange<T>(
  connection: PaystackConnection,
  request: PaystackRequest,
  validator: Checker<T>,
): Promise<T> {
  const { method, path, what, body } = request;
  let status: number;
  let text: string | TooLarge;
  try {
    // One signal for the whole exchange: a server that sends headers and then stalls the body
    // is as stuck as one that never answers.
    const response = await fetch(`${connection.baseUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${connection.secretKey}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A redirect would carry the secret key somewhere Paystack's API is not.
      redirect: 'error',
      signal: AbortSignal.timeout(connection.timeoutMs),
    });
    status = response.status;
    text = await readBounded(response);
  } catch (error) {
    throw transportFailure(error, what, connection.timeoutMs);
  }

  if (status >= 500) {
    throw new PaystackError('unavailable', `Paystack failed the ${what} call with HTTP ${status}`, {
      httpStatus: status,
    });
  }
  if (text instanceof TooLarge) {
    throw new PaystackError(
      'malformed_response',
      `Paystack's ${what} answer (HTTP ${status}) is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`,
      { httpStatus: status },
    );
  }
  let parsed: unknown;
  try {
    parsed = parseAnswer(text);
  } catch {
    throw new PaystackError('malformed_response', `Paystack's ${what} answer (HTTP ${status}) is not JSON`, {
      httpStatus: status,
    });
  }
  if (status >= 300 || ErrorBody.Check(parsed)) throw refusal(what, status, parsed);
  if (!validator.Check(parsed)) {
    throw new PaystackError(
      'malformed_response',
      `Paystack's ${what} answer does not have the documented shape: ${firstProblem(validator, parsed)}`,
      { httpStatus: status },
    );
  }
  return parsed;
}

function refusal(what: string, status: number, parsed: unknown): PaystackError {
  const body = ErrorBody.Check(parsed) ? parsed : undefined;
  return new PaystackError(
    'refused',
    `Paystack refused the ${what} call with HTTP ${status}: ${body?.message ?? 'no message'}`,
    {
      httpStatus: status,
      ...(body === undefined ? {} : { providerMessage: body.message }),
      ...(body?.code === undefined ? {} : { providerCode: body.code }),
    },
  );
}

/** An answer that is not what Paystack documents, found after its shape was checked. */
export function malformedResponse(message: string): PaystackError {
  return new PaystackError('malformed_response', message);
}

/**
 * `text` from a Paystack answer that the service will store, or `malformed_response`: PostgreSQL
 * cannot store U+0000 or a lone surrogate (`src/exact-json.ts`), and the failure belongs here,
 * named as Paystack's, not in a later insert.
 */
export function storableText(text: string, what: string): string {
  if (!isStorableText(text)) {
    throw new PaystackError('malformed_response', `Paystack's ${what} contains text that cannot be stored`);
  }
  return text;
}

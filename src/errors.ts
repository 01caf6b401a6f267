/**
 * Every error a client can receive, by its stable `code`: the one list the domain throws from, the
 * problem renderer reads, and the OpenAPI document and `docs/ERRORS.md` (`npm run docs:errors`)
 * are generated from. Modelled on Fastify's `lib/errors.js` registry.
 *
 * A code's status and meaning never change once published: clients branch on them, and stored
 * idempotent refusals are replayed by code. `title` is the problem's short summary; `description`
 * is one sentence for the docs saying when a client gets the code and what to do. A code that one
 * situation answers with another status names that situation in `variants`.
 */
interface ErrorDefinition {
  status: number;
  title: string;
  description: string;
  variants?: Readonly<Record<string, { status: number; description: string }>>;
}

export const ERRORS = {
  // Refusals of the HTTP layer: the request never reached the operation.
  validation_failed: {
    status: 400,
    title: 'Request validation failed',
    description:
      'A field, header or parameter is missing, unknown or malformed (`detail` names it): correct the request before sending it again.',
  },
  invalid_json: {
    status: 400,
    title: 'Malformed JSON body',
    description:
      'The body is empty or not valid JSON although it is sent as JSON: send a well-formed JSON document.',
  },
  payload_too_large: {
    status: 413,
    title: 'Request body too large',
    description:
      'The body is over the size limit (16 KiB; 256 KiB for the Paystack webhook): send a smaller body.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The body is not sent as `application/json`: send JSON with that content type.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    description: 'No operation answers this method and path: check both against the OpenAPI document.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description:
      'The path exists but not with this method; the `Allow` header lists the methods it takes: use one of them.',
  },
  bad_request: {
    status: 400,
    title: 'Bad request',
    description:
      'The request is malformed at the HTTP level in a way no other code covers (a URL that does not decode, a body whose size differs from its `Content-Length`), with the status HTTP gives that fault, such as 414 for a path parameter over 100 characters: correct the request.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description:
      'This account, API key or address has used up its requests for the current minute: wait the seconds given in `Retry-After`, then retry.',
  },
  service_unavailable: {
    status: 503,
    title: 'Service unavailable',
    description:
      'The database does not answer for the moment: retry shortly, with the same `Idempotency-Key` for a deposit or transfer.',
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    description:
      'An unexpected fault, logged under the response’s `request_id`: retry later with the same `Idempotency-Key`, and report the `request_id` if it persists.',
  },

  // Credentials.
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    description:
      'The operation needs credentials and none were sent: send `Authorization: Bearer <token>`, or `x-api-key` where keys are accepted.',
  },
  invalid_token: {
    status: 401,
    title: 'Invalid access token',
    description:
      'The bearer token is malformed, expired or not issued by this service, or its user no longer exists: sign in again for a new token.',
  },
  invalid_api_key: {
    status: 401,
    title: 'Invalid API key',
    description:
      'The `x-api-key` value is malformed or not a key this service issued: check it, or create a new key.',
  },
  api_key_expired: {
    status: 401,
    title: 'API key expired',
    description:
      'The API key’s lifetime is over: roll it over (`POST /keys/rollover`) for a new key with the same name and permissions.',
  },
  api_key_revoked: {
    status: 401,
    title: 'API key revoked',
    description: 'The API key was revoked and no longer works: use another key, or create a new one.',
    variants: {
      rollover: {
        status: 409,
        description:
          'Answered to `POST /keys/rollover` for a revoked key: revocation is final, so create a new key instead.',
      },
    },
  },
  ambiguous_credentials: {
    status: 400,
    title: 'Ambiguous credentials',
    description:
      'The request carries both a bearer token and an API key, or one of those headers twice: send exactly one credential.',
  },
  permission_denied: {
    status: 403,
    title: 'Permission denied',
    description:
      'The API key lacks the permission the operation needs (named in `required_permission`), or the operation takes no API keys: use a key with that permission, or sign in.',
  },
  csrf_refused: {
    status: 403,
    title: 'Cross-site request refused',
    description:
      'A state-changing request authenticated by the web wallet’s session cookie came from another origin or lacks the session’s `x-csrf-token` header: send it from the web wallet’s own page, or use a Bearer token.',
  },

  // API key management.
  api_key_not_found: {
    status: 404,
    title: 'API key not found',
    description:
      'You have no API key with this id (another user’s key answers the same as none): find your keys with `GET /keys`.',
  },
  api_key_limit_reached: {
    status: 409,
    title: 'Too many active API keys',
    description:
      'You already have the most active keys allowed (`limit`): revoke one or let one expire first.',
  },
  api_key_not_expired: {
    status: 409,
    title: 'API key not expired',
    description:
      'Only an expired key can be rolled over, and this one is active until `expires_at`: keep using it, or revoke it and create a new one.',
  },
  api_key_already_rolled_over: {
    status: 409,
    title: 'API key already rolled over',
    description: 'This expired key was rolled over before: use its successor, listed by `GET /keys`.',
  },

  // Google sign-in.
  invalid_sign_in_state: {
    status: 400,
    title: 'Invalid sign-in state',
    description:
      'The sign-in cookie is missing, expired or does not match the callback (a sign-in must finish in the browser that began it, within ten minutes): start again at `/auth/google`.',
  },
  sign_in_denied: {
    status: 400,
    title: 'Sign-in denied',
    description:
      'The identity provider did not sign you in, for the reason in `provider_error` (you cancelled, or it refused): start again at `/auth/google`.',
  },
  sign_in_failed: {
    status: 400,
    title: 'Sign-in failed',
    description:
      'The callback carries no authorization code, or the provider rejected it as expired or already used: start again at `/auth/google`.',
  },
  email_not_verified: {
    status: 403,
    title: 'Email not verified',
    description:
      'The identity provider has not verified your email address: verify it with the provider, then sign in again.',
  },
  identity_provider_error: {
    status: 502,
    title: 'Identity provider error',
    description:
      'The identity provider could not be reached, was too slow, or answered something unusable: sign in again shortly.',
  },

  // Deposits and Paystack.
  payment_provider_error: {
    status: 502,
    title: 'Payment provider error',
    description:
      'Paystack could not start the payment (unreachable, too slow or refusing), so nothing was charged and the deposit named by `reference` is failed: try again shortly.',
  },
  too_many_pending_deposits: {
    status: 409,
    title: 'Too many pending deposits',
    description:
      'You have 10 deposits not yet paid: pay one of them (their checkout links still work) before starting another; an abandoned checkout is failed a day after it was started, which frees its place.',
  },
  deposit_not_found: {
    status: 404,
    title: 'Deposit not found',
    description:
      'You have no deposit with this reference: use the `reference` that `POST /wallet/deposit` returned.',
  },
  invalid_signature: {
    status: 401,
    title: 'Invalid webhook signature',
    description:
      'The webhook’s `x-paystack-signature` is missing or is not the HMAC-SHA512 of the body under the Paystack secret key, so nothing changed: only Paystack can send this webhook.',
  },
  invalid_event: {
    status: 400,
    title: 'Unreadable webhook event',
    description:
      'A correctly signed Paystack event cannot be read (not JSON, no event name, or a `charge.success` without its reference, integer amount or currency): the refusal makes Paystack deliver it again later.',
  },

  // Idempotency.
  idempotency_key_reused: {
    status: 409,
    title: 'Idempotency key reused',
    description:
      'This `Idempotency-Key` was used within the last 24 hours with a different request: use a new key for a new request.',
  },
  idempotency_request_in_progress: {
    status: 409,
    title: 'Request in progress',
    description:
      'The first request with this `Idempotency-Key` is still running: retry with the same key in a moment to get its answer.',
  },

  // Wallets and transfers.
  insufficient_funds: {
    status: 422,
    title: 'Insufficient funds',
    description:
      'The wallet balance is below the transfer amount, or below a withdrawal’s amount plus its fee, and nothing moved: send less, or deposit first.',
  },
  self_transfer: {
    status: 400,
    title: 'Transfer to own wallet',
    description: 'The recipient’s wallet number is your own: transfer to another wallet.',
  },
  wallet_not_found: {
    status: 404,
    title: 'Wallet not found',
    description: 'No wallet has the recipient’s wallet number: check the number with the recipient.',
  },
  invalid_wallet_number: {
    status: 400,
    title: 'Invalid wallet number',
    description:
      'The wallet number’s last digit is not its Luhn check digit, which catches most typos: check the number with the recipient.',
  },
  invalid_cursor: {
    status: 400,
    title: 'Invalid cursor',
    description:
      'The `cursor` is not one this service issued: follow the previous page’s `Link` header, or start without a cursor.',
  },

  // Bank accounts and withdrawals.
  invalid_bank_code: {
    status: 400,
    title: 'Unknown bank code',
    description: 'No Nigerian bank has this `bank_code`: use a `code` from `GET /banks`.',
  },
  bank_account_unresolvable: {
    status: 422,
    title: 'Bank account cannot be resolved',
    description:
      'Paystack found no account with this number at this bank, so it was not saved: check the 10-digit account number and the bank.',
  },
  bank_account_limit_reached: {
    status: 409,
    title: 'Too many bank accounts',
    description: 'You have 10 saved bank accounts: remove one before adding another.',
  },
  bank_account_not_found: {
    status: 404,
    title: 'Bank account not found',
    description:
      'You have no saved bank account with this id (never saved, removed, or another user’s): list yours with `GET /wallet/bank-accounts`.',
  },
  bank_provider_error: {
    status: 502,
    title: 'Bank directory unavailable',
    description:
      'Paystack could not be asked for the bank list or to resolve the account (unreachable, too slow or failing), so nothing was saved: try again shortly.',
  },
  too_many_pending_withdrawals: {
    status: 409,
    title: 'Too many pending withdrawals',
    description:
      'You have 5 withdrawals that Paystack has not finished: wait for one to succeed or fail (`GET /wallet/withdrawals/{reference}`) before starting another.',
  },
  wallet_frozen: {
    status: 403,
    title: 'Wallet frozen',
    description:
      'The wallet is frozen (a refund left it owing money, or a payment into it is disputed): it cannot send transfers or withdrawals until the debt is repaid or the dispute resolved; it still receives money, which repays the debt first. `GET /wallet/balance` shows `frozen` and `debt`.',
  },
  withdrawal_not_found: {
    status: 404,
    title: 'Withdrawal not found',
    description:
      'You have no withdrawal with this reference: use the `reference` that `POST /wallet/withdrawals` returned.',
  },

  // Outgoing webhooks.
  invalid_webhook_url: {
    status: 400,
    title: 'Webhook URL refused',
    description:
      'The endpoint URL is not one the service may call (`detail` says why: not an absolute `https://` URL, over 2048 characters, a user name or password in it, or, in production, a host that does not resolve or resolves to a loopback, private, link-local or metadata address): give a public `https://` URL.',
  },
  webhook_endpoint_not_found: {
    status: 404,
    title: 'Webhook endpoint not found',
    description:
      'You have no webhook endpoint with this id (never created, deleted, or another user’s): list yours with `GET /webhooks`.',
  },
  webhook_endpoint_limit_reached: {
    status: 409,
    title: 'Too many webhook endpoints',
    description:
      'You already have the most webhook endpoints allowed (`limit`): delete one before adding another.',
  },
  too_many_pending_webhook_tests: {
    status: 409,
    title: 'Too many pending test events',
    description:
      'This endpoint already has the most `webhook.test` events waiting to be delivered (`limit`): wait until they are delivered or have failed (`GET /webhooks/{id}/deliveries`) before sending another.',
  },
} as const satisfies Readonly<Record<string, ErrorDefinition>>;

/** A code a client can receive; naming any other string is a compile error. */
export type ErrorCode = keyof typeof ERRORS;

/** The situations in which `C` is answered with another status than its own, if any. */
export type ErrorVariant<C extends ErrorCode> = (typeof ERRORS)[C] extends { variants: infer V }
  ? keyof V
  : never;

/** Whether `value` is a catalogued code: for codes read back from storage, which no compiler checked. */
export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERRORS, value);
}

/** The status `code` is answered with, in `variant`'s situation when given. */
export function errorStatus<C extends ErrorCode>(code: C, variant?: ErrorVariant<C>): number {
  const definition: ErrorDefinition = ERRORS[code];
  if (variant === undefined) return definition.status;
  const other = definition.variants?.[variant as string];
  invariant(other, `error ${code} has a variant ${String(variant)}`);
  return other.status;
}

export interface AppErrorOptions<C extends ErrorCode> {
  /** Extra members for the problem body, e.g. the missing permission. */
  extensions?: Readonly<Record<string, unknown>>;
  /** The catalogue's situation that answers `C` with another status. */
  variant?: ErrorVariant<C>;
  /** What went wrong underneath; logged with the request, never shown to the client. */
  cause?: unknown;
}

/**
 * The one error type the domain throws: a catalogued `code` and a `detail` for this occurrence
 * (the error's message). Its HTTP status comes from the catalogue; the HTTP layer renders it as
 * RFC 9457 problem details.
 */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly status: number;
  readonly extensions: Readonly<Record<string, unknown>>;

  readonly code: C;

  constructor(code: C, detail: string, options: AppErrorOptions<C> = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'AppError';
    this.status = errorStatus(code, options.variant);
    this.extensions = options.extensions ?? {};
  }
}

/** Asserts an invariant of the money path; a failure is a bug, never a user error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}

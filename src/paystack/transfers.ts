// Paystack Transfers as the service uses them to pay money out to a Nigerian bank account (the
// bank list and account resolution are in banks.ts). Facts and their sources:
// /work/shared/paystack/TRANSFERS.md ([D1]… keys below refer to it) and the example bodies
// beside it. `PaystackClient` (client.ts) exposes these functions as its methods.
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { invariant } from '../errors.ts';
import {
  callPaystack,
  malformedResponse,
  type PaystackConnection,
  PaystackError,
  storableText,
} from './http.ts';

export type { PaystackBank, ResolvedAccount } from './banks.ts';

/** A transfer's `data.status`, final or not (TRANSFERS.md "Statuses", [S1][O]). */
export const TRANSFER_STATUSES = [
  'pending',
  'otp',
  'received',
  'success',
  'failed',
  'reversed',
  'abandoned',
  'blocked',
  'rejected',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export interface InitiatedTransfer {
  /** `pending` live, `success` in Paystack's test mode, `otp` when the integration asks for one. */
  status: TransferStatus;
  /** `TRF_…` */
  transferCode: string;
  reference: string;
}

export interface VerifiedTransfer {
  status: TransferStatus;
  reference: string;
  /** Kobo, without the fee. */
  amount: bigint;
  currency: string;
  transferCode: string;
  /** Paystack's reason for a final status other than `success`, when it gives one. */
  failureReason: string | null;
}

/** Paystack's reference rule: lowercase letters, digits, `-` and `_`, at least 16 ([O TransferBase]); at most 100 in an older guide ([S2]). */
const TRANSFER_REFERENCE = /^[a-z0-9_-]{16,100}$/;
/** A JSON amount Paystack can give back exactly (read exactly by `parseAnswer`). */
const Amount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Status = Type.Union(TRANSFER_STATUSES.map((status) => Type.Literal(status)));
const TransferCode = Type.String({ pattern: '^TRF_[A-Za-z0-9]+$', maxLength: 100 });

/** `POST /transferrecipient` ([D3]): the recipient code and the account it pays. */
const recipientResponse = Compile(
  Type.Object({
    status: Type.Literal(true),
    data: Type.Object({
      recipient_code: Type.String({ pattern: '^RCP_[A-Za-z0-9]+$', maxLength: 100 }),
      details: Type.Object({ account_number: Type.String(), bank_code: Type.String() }),
    }),
  }),
);

/** `POST /transfer` ([D4][D6]); `data.recipient` is a numeric id here, unused. */
const initiateResponse = Compile(
  Type.Object({
    status: Type.Literal(true),
    data: Type.Object({
      reference: Type.String(),
      status: Status,
      transfer_code: TransferCode,
      amount: Amount,
    }),
  }),
);

/** `GET /transfer/verify/{reference}` ([D5]). */
const VerifiedData = Type.Object({
  reference: Type.String(),
  status: Status,
  amount: Amount,
  currency: Type.String({ minLength: 1, maxLength: 10 }),
  transfer_code: TransferCode,
  gateway_response: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  failures: Type.Optional(Type.Unknown()),
});
const verifyResponse = Compile(Type.Object({ status: Type.Literal(true), data: VerifiedData }));

/** Whether `reference` follows Paystack's transfer reference rule (checked before every initiation). */
export function isTransferReference(reference: string): boolean {
  return TRANSFER_REFERENCE.test(reference);
}

/**
 * Paystack's refusal of a reference already used on a transfer: "Please provide a unique
 * reference. Reference already exists on a transfer" ([E], published as a message only; matched
 * case-insensitively on "reference already exists"), or a `duplicate_reference` code as
 * `/transaction/initialize` gives. The transfer exists: verify it by its reference, never
 * re-initiate with a new one (TRANSFERS.md "Retry and idempotency").
 */
export function isDuplicateTransferReference(error: PaystackError): boolean {
  if (error.failure !== 'refused') return false;
  const { providerMessage, providerCode } = error.details;
  return /reference already exists/i.test(providerMessage ?? '') || providerCode === 'duplicate_reference';
}

/**
 * A `nuban` transfer recipient for an NGN account: `POST /transferrecipient` ([D3]); Paystack
 * returns the existing recipient for an account it already has ([S3]), with 200 or 201. Throws
 * `PaystackError` (`refused` for an unknown bank or an unresolvable account, `malformed_response`
 * when the recipient is for another account).
 */
export async function createTransferRecipient(
  connection: PaystackConnection,
  input: { name: string; accountNumber: string; bankCode: string },
): Promise<{ recipientCode: string }> {
  const { data } = await callPaystack(
    connection,
    {
      method: 'POST',
      path: '/transferrecipient',
      what: 'transfer recipient',
      body: {
        type: 'nuban',
        name: input.name,
        account_number: input.accountNumber,
        bank_code: input.bankCode,
        currency: 'NGN',
      },
    },
    recipientResponse,
  );
  if (data.details.account_number !== input.accountNumber || data.details.bank_code !== input.bankCode) {
    throw malformedResponse(
      `Paystack made recipient ${data.recipient_code} for ${data.details.bank_code}/${data.details.account_number} ` +
        `instead of ${input.bankCode}/${input.accountNumber}`,
    );
  }
  return { recipientCode: data.recipient_code };
}

/**
 * Sends `amount` kobo from the Paystack balance to `recipientCode`: `POST /transfer` ([D4]).
 * `reference` must follow Paystack's rule (an invariant: the caller makes it) and is the
 * idempotency key: the same reference never pays twice. Resolves with `pending` (live), `success`
 * (test mode) or `otp`; throws `PaystackError`: a `refused` one did not create a transfer, unless
 * `isDuplicateTransferReference`; `timeout`, `unreachable`, `unavailable` and `malformed_response`
 * leave the outcome unknown (verify by the reference).
 */
export async function initiateTransfer(
  connection: PaystackConnection,
  input: { amount: bigint; recipientCode: string; reference: string; reason: string },
): Promise<InitiatedTransfer> {
  invariant(
    input.amount > 0n && input.amount <= BigInt(Number.MAX_SAFE_INTEGER),
    'a transfer amount is a positive JSON-safe integer',
  );
  invariant(isTransferReference(input.reference), 'a transfer reference follows Paystack’s rule');
  const { data } = await callPaystack(
    connection,
    {
      method: 'POST',
      path: '/transfer',
      what: 'transfer',
      body: {
        source: 'balance',
        amount: Number(input.amount),
        recipient: input.recipientCode,
        reference: input.reference,
        reason: input.reason,
      },
    },
    initiateResponse,
  );
  if (data.reference !== input.reference) {
    throw malformedResponse(`Paystack initiated transfer ${data.reference} instead of ${input.reference}`);
  }
  if (BigInt(data.amount) !== input.amount) {
    throw malformedResponse(
      `Paystack initiated a transfer of ${data.amount} kobo instead of ${input.amount}`,
    );
  }
  return { status: data.status, transferCode: data.transfer_code, reference: data.reference };
}

/** Paystack's answer for a reference it has no transfer for: 404 "Transfer not found" ([D5]), or a 400 saying so. */
function isTransferNotFound(error: unknown): boolean {
  if (!(error instanceof PaystackError) || error.failure !== 'refused') return false;
  const { httpStatus, providerMessage } = error.details;
  return httpStatus === 404 || (httpStatus === 400 && /transfer not found/i.test(providerMessage ?? ''));
}

const FINAL_FAILURES: ReadonlySet<TransferStatus> = new Set([
  'failed',
  'reversed',
  'abandoned',
  'blocked',
  'rejected',
]);
/** Enough for any reason Paystack gives; the service stores it. */
const MAX_REASON_CHARS = 500;

/** Paystack publishes no field for why a transfer failed: `gateway_response`, else `failures` when it is text. */
function failureReason(data: Static<typeof VerifiedData>): string | null {
  if (!FINAL_FAILURES.has(data.status)) return null;
  const reason = data.gateway_response ?? (typeof data.failures === 'string' ? data.failures : null);
  if (reason === null || reason === '') return null;
  return storableText(reason, 'failure reason').slice(0, MAX_REASON_CHARS);
}

/**
 * A transfer's state by our reference: `GET /transfer/verify/{reference}` ([D5]). `undefined` only
 * when Paystack says it has no such transfer (404, or 400 "Transfer not found"): no transfer was
 * created, so initiating again with the same reference is safe. Throws `PaystackError` for every
 * other failure, and `malformed_response` when the answer is about another reference.
 */
export async function verifyTransfer(
  connection: PaystackConnection,
  reference: string,
): Promise<VerifiedTransfer | undefined> {
  const body = await callPaystack(
    connection,
    { method: 'GET', path: `/transfer/verify/${encodeURIComponent(reference)}`, what: 'transfer verify' },
    verifyResponse,
  ).catch((error: unknown) => {
    if (isTransferNotFound(error)) return undefined;
    throw error;
  });
  if (body === undefined) return undefined;
  const { data } = body;
  if (data.reference !== reference) {
    throw malformedResponse(`Paystack verified transfer ${data.reference} instead of ${reference}`);
  }
  return {
    status: data.status,
    reference: data.reference,
    amount: BigInt(data.amount),
    currency: data.currency,
    transferCode: data.transfer_code,
    failureReason: failureReason(data),
  };
}

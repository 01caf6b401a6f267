import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { InexactNumberError, parseJsonExactly, UnstorableTextError } from '../exact-json.ts';

/** Every Paystack event: a name and its data; only some names concern this service. */
const Envelope = Compile(Type.Object({ event: Type.String({ maxLength: 100 }), data: Type.Unknown() }));

/** The fields of a `charge.success` event's data (the verify call's data) that a credit depends on. */
const ChargeSuccessData = Compile(
  Type.Object({
    reference: Type.String({ minLength: 1, maxLength: 200 }),
    // Read exactly from the body's text: a fraction or a value beyond 2^53 never gets here.
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String({ maxLength: 10 }),
  }),
);

/** Transfer events carry Paystack's final status of a payout (`TRANSFERS.md` "Transfer webhooks"). */
export const TRANSFER_EVENTS = ['transfer.success', 'transfer.failed', 'transfer.reversed'] as const;
export type TransferEvent = (typeof TRANSFER_EVENTS)[number];

/** The fields of a `transfer.*` event's data that settling a withdrawal depends on. */
const TransferData = Compile(
  Type.Object({
    reference: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String({ maxLength: 10 }),
    transfer_code: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  }),
);

/**
 * `refund.processed`: Paystack paid a refund back to the payer (`TRANSFERS.md` "Refunds").
 * `amount` is a string in Paystack's processed example and a number in others: both are read,
 * exactly. `refund_reference` names the refund (null only while pending or processing).
 */
const RefundData = Compile(
  Type.Object({
    transaction_reference: Type.String({ minLength: 1, maxLength: 200 }),
    refund_reference: Type.Optional(
      Type.Union([Type.String({ maxLength: 200 }), Type.Integer(), Type.Null()]),
    ),
    amount: Type.Union([
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      Type.String({ pattern: '^[0-9]{1,15}$' }),
    ]),
    currency: Type.String({ maxLength: 10 }),
  }),
);

/** Dispute events (`TRANSFERS.md` "Disputes"): the charge is `data.transaction.reference`. */
export const DISPUTE_EVENTS = ['charge.dispute.create', 'charge.dispute.resolve'] as const;
export type DisputeEvent = (typeof DISPUTE_EVENTS)[number];

const DisputeData = Compile(
  Type.Object({
    id: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 100 })]),
    refund_amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String({ maxLength: 10 }),
    resolution: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    transaction: Type.Object({ reference: Type.String({ minLength: 1, maxLength: 200 }) }),
  }),
);

export type PaystackEvent =
  | { kind: 'charge.success'; reference: string; amount: bigint; currency: string }
  | {
      kind: 'refund.processed';
      /** The refunded charge's reference: our deposit's. */
      transactionReference: string;
      refundReference: string | null;
      /** Kobo paid back to the payer. */
      amount: bigint;
      currency: string;
    }
  | {
      kind: DisputeEvent;
      disputeId: string;
      /** The disputed charge's reference: our deposit's. */
      transactionReference: string;
      /** Kobo in dispute. */
      amount: bigint;
      currency: string;
      /** `merchant-accepted`, `auto-accepted` (the payer won) or `declined` (we won); null while open. */
      resolution: string | null;
    }
  | {
      kind: TransferEvent;
      reference: string;
      /** Kobo sent to the bank account (the fee is not in it). */
      amount: bigint;
      currency: string;
      transferCode: string | null;
    }
  | { kind: 'other'; event: string }
  /** Signed by Paystack, with text PostgreSQL cannot store (U+0000, a lone surrogate): not acted on. */
  | { kind: 'unstorable'; detail: string }
  /** Signed by Paystack, yet not an event this service can read. */
  | { kind: 'unreadable'; detail: string };

/**
 * Reads a signed webhook body: `charge.success` and the `transfer.*` events are read for what
 * this service acts on; other events are `other`. Parsing happens only after the signature has been checked, and reads
 * numbers exactly from the text (`src/exact-json.ts`): an amount with a fraction or beyond 2^53 is
 * `unreadable`; text PostgreSQL cannot store is `unstorable`.
 */
export function parsePaystackEvent(rawBody: Buffer): PaystackEvent {
  let parsed: unknown;
  try {
    parsed = parseJsonExactly(rawBody.toString('utf8'));
  } catch (error) {
    if (error instanceof UnstorableTextError) return { kind: 'unstorable', detail: error.message };
    if (error instanceof InexactNumberError) return { kind: 'unreadable', detail: error.message };
    return { kind: 'unreadable', detail: 'the body is not JSON' };
  }
  if (!Envelope.Check(parsed)) return { kind: 'unreadable', detail: 'the body has no event name' };
  const transferEvent = TRANSFER_EVENTS.find((name) => name === parsed.event);
  if (transferEvent !== undefined) return parseTransferEvent(transferEvent, parsed.data);
  const disputeEvent = DISPUTE_EVENTS.find((name) => name === parsed.event);
  if (disputeEvent !== undefined) return parseDisputeEvent(disputeEvent, parsed.data);
  if (parsed.event === 'refund.processed') return parseRefundEvent(parsed.data);
  if (parsed.event !== 'charge.success') return { kind: 'other', event: parsed.event };
  if (!ChargeSuccessData.Check(parsed.data)) {
    const [first] = ChargeSuccessData.Errors(parsed.data);
    return {
      kind: 'unreadable',
      detail: `charge.success data ${first ? `${first.instancePath || '/'} ${first.message}` : 'is malformed'}`,
    };
  }
  const { reference, amount, currency } = parsed.data;
  return { kind: 'charge.success', reference, amount: BigInt(amount), currency };
}

function parseTransferEvent(kind: TransferEvent, data: unknown): PaystackEvent {
  if (!TransferData.Check(data)) {
    const [first] = TransferData.Errors(data);
    return {
      kind: 'unreadable',
      detail: `${kind} data ${first ? `${first.instancePath || '/'} ${first.message}` : 'is malformed'}`,
    };
  }
  return {
    kind,
    reference: data.reference,
    amount: BigInt(data.amount),
    currency: data.currency,
    transferCode: data.transfer_code ?? null,
  };
}

function malformed(
  kind: string,
  checker: { Errors(value: unknown): Iterable<{ instancePath: string; message: string }> },
  data: unknown,
): PaystackEvent {
  const [first] = checker.Errors(data);
  return {
    kind: 'unreadable',
    detail: `${kind} data ${first ? `${first.instancePath || '/'} ${first.message}` : 'is malformed'}`,
  };
}

function parseRefundEvent(data: unknown): PaystackEvent {
  if (!RefundData.Check(data)) return malformed('refund.processed', RefundData, data);
  const { refund_reference: refundReference } = data;
  return {
    kind: 'refund.processed',
    transactionReference: data.transaction_reference,
    refundReference:
      refundReference === undefined || refundReference === null || refundReference === ''
        ? null
        : String(refundReference),
    amount: BigInt(data.amount),
    currency: data.currency,
  };
}

function parseDisputeEvent(kind: DisputeEvent, data: unknown): PaystackEvent {
  if (!DisputeData.Check(data)) return malformed(kind, DisputeData, data);
  return {
    kind,
    disputeId: String(data.id),
    transactionReference: data.transaction.reference,
    amount: BigInt(data.refund_amount),
    currency: data.currency,
    resolution: data.resolution ?? null,
  };
}

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

export type PaystackEvent =
  | { kind: 'charge.success'; reference: string; amount: bigint; currency: string }
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

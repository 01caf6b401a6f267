import { Type } from 'typebox';
import { Compile } from 'typebox/compile';

/** Every Paystack event: a name and its data; only some names concern this service. */
const Envelope = Compile(Type.Object({ event: Type.String({ maxLength: 100 }), data: Type.Unknown() }));

/** The fields of a `charge.success` event's data (the verify call's data) that a credit depends on. */
const ChargeSuccessData = Compile(
  Type.Object({
    reference: Type.String({ minLength: 1, maxLength: 200 }),
    // Beyond 2^53 a JSON number has lost kobo before it reaches us: such an event is not trusted.
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String({ maxLength: 10 }),
  }),
);

export type PaystackEvent =
  | { kind: 'charge.success'; reference: string; amount: bigint; currency: string }
  | { kind: 'other'; event: string }
  /** Signed by Paystack, yet not an event this service can read. */
  | { kind: 'unreadable'; detail: string };

/** Reads a signed webhook body. Parsing happens only after the signature has been checked. */
export function parsePaystackEvent(rawBody: Buffer): PaystackEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { kind: 'unreadable', detail: 'the body is not JSON' };
  }
  if (!Envelope.Check(parsed)) return { kind: 'unreadable', detail: 'the body has no event name' };
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

import { PaystackApiError } from './api-errors.ts';

/** Paystack's per-transaction cap: 10,000,000 in the major unit. */
const MAX_AMOUNT = 1_000_000_000;
const REFERENCE = /^[A-Za-z0-9.=-]{1,100}$/;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}\.[^\s@<>".]{2,}$/;

/** The fields of `POST /transaction/initialize` the simulator uses, checked. */
export interface InitializeRequest {
  email: string;
  /** Minor unit (kobo). */
  amount: number;
  currency: string;
  callbackUrl: string | undefined;
  /** `undefined`: Paystack makes one up. */
  reference: string | undefined;
  metadata: unknown;
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

/**
 * Reads an initialize body (JSON or form) as Paystack does; throws PaystackApiError (400) with
 * Paystack's message for each refusal.
 */
export function parseInitializeRequest(body: unknown): InitializeRequest {
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
  const reference = optionalString(fields, 'reference');
  if (reference !== undefined && !REFERENCE.test(reference)) {
    throw new PaystackApiError(400, 'Invalid character in transaction reference');
  }
  return { email, amount, currency, callbackUrl, reference, metadata: fields.metadata };
}

// The bodies of `POST /transferrecipient` and `POST /transfer`, checked as Paystack checks them.
// Messages are Paystack's where it publishes one (api-errors.json, examples/transfer-errors.json);
// the few it does not (type, source, amount) are the simulator's, in Paystack's manner.
import { PaystackApiError } from './api-errors.ts';
import { randomCode } from './transactions.ts';

function fieldsOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PaystackApiError(400, 'Invalid request body');
  }
  return body as Record<string, unknown>;
}

function optionalText(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new PaystackApiError(400, `${name} must be a string`);
  return value;
}

export interface RecipientRequest {
  name: string;
  /** As sent: `lookUpAccount` checks them. */
  accountNumber: unknown;
  bankCode: unknown;
}

/** `{type: "nuban", name, account_number, bank_code, currency?}`; throws PaystackApiError (400). */
export function parseRecipientRequest(body: unknown): RecipientRequest {
  const fields = fieldsOf(body);
  if (fields.type !== 'nuban') throw new PaystackApiError(400, 'Recipient type is invalid: use nuban');
  const name = optionalText(fields, 'name');
  if (name === undefined) throw new PaystackApiError(400, 'Name is required');
  if (name.length > 100) throw new PaystackApiError(400, 'Name is too long');
  const currency = optionalText(fields, 'currency') ?? 'NGN';
  if (currency !== 'NGN') throw new PaystackApiError(400, 'Currency not supported by merchant');
  if (fields.account_number === undefined) {
    throw new PaystackApiError(400, 'Either authorization_code or account_number must be passed.');
  }
  return { name, accountNumber: fields.account_number, bankCode: fields.bank_code };
}

/** Paystack's transfer reference rule (TRANSFERS.md "Reference rules"). */
const LEGAL_REFERENCE_CHARACTERS = /^[A-Za-z0-9_-]*$/;
const TRANSFER_REFERENCE = /^[a-z0-9_-]{16,100}$/;

export interface TransferRequest {
  /** Kobo. */
  amount: number;
  recipientCode: string;
  reference: string;
  reason: string;
}

/** A positive whole number of kobo, as a JSON integer or, as Paystack's examples send amounts, digits. */
function parseAmount(value: unknown): number {
  const amount = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new PaystackApiError(400, 'Invalid Amount Sent');
  }
  return amount;
}

/**
 * A transfer reference: Paystack's refusals for characters outside letters, digits, `-` and `_`,
 * and for what breaks the rest of the rule (uppercase, fewer than 16 or more than 100); a made-up
 * one when none is sent, as Paystack does.
 */
function parseReference(value: unknown): string {
  if (value === undefined || value === null || value === '') return randomCode(16);
  if (typeof value !== 'string' || !LEGAL_REFERENCE_CHARACTERS.test(value)) {
    throw new PaystackApiError(400, 'Your reference contains illegal special characters');
  }
  if (!TRANSFER_REFERENCE.test(value)) throw new PaystackApiError(400, 'Invalid entries found');
  return value;
}

/**
 * `{source: "balance", amount, recipient, reference?, reason?, currency?}`; throws PaystackApiError
 * (400). Whether the recipient exists is the caller's question.
 */
export function parseTransferRequest(body: unknown): TransferRequest {
  const fields = fieldsOf(body);
  if (fields.source !== 'balance') throw new PaystackApiError(400, 'Invalid transfer source: use balance');
  const amount = parseAmount(fields.amount);
  const currency = optionalText(fields, 'currency') ?? 'NGN';
  if (currency !== 'NGN') throw new PaystackApiError(400, 'Currency not supported by merchant');
  const reference = parseReference(fields.reference);
  const reason = optionalText(fields, 'reason') ?? '';
  const recipient = fields.recipient;
  return { amount, recipientCode: typeof recipient === 'string' ? recipient : '', reference, reason };
}

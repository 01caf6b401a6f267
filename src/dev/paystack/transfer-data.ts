// Transfers and recipients in the JSON Paystack gives them, field for field as in its examples
// (/work/shared/paystack/examples: transferrecipient-create, transfer-initiate, transfer-verify,
// webhook-transfer.*). Dates are camelCase in some bodies and snake_case in others, as published.
import type { SimulatedRecipient } from './recipients.ts';
import type { SimulatedTransfer } from './transfers.ts';

/** The simulated merchant's integration id. */
const INTEGRATION_ID = 100_001;
const INTEGRATION = { id: INTEGRATION_ID, is_live: false, business_name: 'Simulated Merchant' };

type DateStyle = 'camel' | 'snake';

function dates(style: DateStyle, createdAt: Date, updatedAt: Date) {
  return style === 'camel'
    ? { createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() }
    : { created_at: createdAt.toISOString(), updated_at: updatedAt.toISOString() };
}

function details(recipient: SimulatedRecipient) {
  return {
    authorization_code: null,
    account_number: recipient.accountNumber,
    account_name: recipient.accountName,
    bank_code: recipient.bankCode,
    bank_name: recipient.bankName,
  };
}

/** `data` of `POST /transferrecipient`. */
export function createdRecipientData(recipient: SimulatedRecipient) {
  return {
    active: true,
    ...dates('camel', recipient.createdAt, recipient.createdAt),
    currency: 'NGN',
    domain: 'test',
    id: recipient.id,
    integration: INTEGRATION_ID,
    name: recipient.name,
    recipient_code: recipient.code,
    type: 'nuban',
    is_deleted: false,
    details: details(recipient),
  };
}

/** The recipient object inside a verified transfer or a transfer webhook. */
function recipientData(recipient: SimulatedRecipient, style: DateStyle) {
  return {
    active: true,
    currency: 'NGN',
    description: '',
    domain: 'test',
    email: null,
    id: recipient.id,
    integration: INTEGRATION_ID,
    metadata: null,
    name: recipient.name,
    recipient_code: recipient.code,
    type: 'nuban',
    is_deleted: false,
    details: details(recipient),
    ...dates(style, recipient.createdAt, recipient.createdAt),
  };
}

/** `data` of `POST /transfer`: queued (`pending`) or waiting for an OTP; `recipient` is the numeric id here. */
export function initiatedTransferData(transfer: SimulatedTransfer) {
  const common = {
    reference: transfer.reference,
    integration: INTEGRATION_ID,
    domain: 'test',
    amount: transfer.amount,
    currency: 'NGN',
    source: 'balance',
    reason: transfer.reason,
    recipient: transfer.recipient.id,
    status: transfer.status,
    transfer_code: transfer.transferCode,
    id: transfer.id,
    ...dates('camel', transfer.createdAt, transfer.updatedAt),
  };
  if (transfer.status === 'otp') return common;
  return {
    transfersessionid: [],
    transfertrials: [],
    ...common,
    source_details: null,
    failures: null,
    titan_code: null,
    transferred_at: null,
    request: transfer.requestId,
  };
}

function settledFields(transfer: SimulatedTransfer) {
  return {
    amount: transfer.amount,
    currency: 'NGN',
    domain: 'test',
    failures: null,
    id: transfer.id,
    reason: transfer.reason,
    reference: transfer.reference,
    source: 'balance',
    source_details: null,
    status: transfer.status,
    titan_code: null,
    transfer_code: transfer.transferCode,
    transferred_at: transfer.transferredAt?.toISOString() ?? null,
    session:
      transfer.sessionId === undefined
        ? { provider: null, id: null }
        : { provider: 'nip', id: transfer.sessionId },
    gateway_response: transfer.failureReason ?? null,
  };
}

/** The fee kept: none for a transfer that failed, was reversed or never started (both came back). */
function feeCharged(transfer: SimulatedTransfer): number {
  return transfer.status === 'success' || transfer.status === 'pending' ? transfer.fee : 0;
}

/** `data` of `GET /transfer/verify/{reference}`. */
export function verifiedTransferData(transfer: SimulatedTransfer) {
  return {
    ...settledFields(transfer),
    ...dates('camel', transfer.createdAt, transfer.updatedAt),
    integration: INTEGRATION_ID,
    request: transfer.requestId,
    recipient: { ...recipientData(transfer.recipient, 'camel'), isDeleted: false },
    fee_charged: feeCharged(transfer),
    fees_breakdown: null,
  };
}

/**
 * The `transfer.success`, `transfer.failed` or `transfer.reversed` event for the transfer's
 * current status; success comes with camelCase dates and `fee_charged`, the others with
 * snake_case dates, as in Paystack's examples.
 */
export function transferEvent(transfer: SimulatedTransfer) {
  const style: DateStyle = transfer.status === 'success' ? 'camel' : 'snake';
  return {
    event: `transfer.${transfer.status}`,
    data: {
      ...settledFields(transfer),
      ...dates(style, transfer.createdAt, transfer.updatedAt),
      integration: INTEGRATION,
      recipient: recipientData(transfer.recipient, style),
      ...(transfer.status === 'success' ? { fee_charged: feeCharged(transfer) } : {}),
    },
  };
}

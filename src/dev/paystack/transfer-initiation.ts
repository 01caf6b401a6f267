import { randomInt } from 'node:crypto';
import { PaystackApiError } from './api-errors.ts';
import type { SimulatorState } from './state.ts';
import { randomCode } from './transactions.ts';
import type { TransferRequest } from './transfer-requests.ts';
import { type SimulatedTransfer, transferFee } from './transfers.ts';

/** Paystack's published refusal of an unknown recipient code (examples/transfer-initiate.response.json "400"). */
function invalidRecipient(): PaystackApiError {
  return new PaystackApiError(400, 'Recipient specified is invalid', {
    meta: {
      nextStep: 'Provide a valid recipient. Ensure you are passing the recipient code in the recipient param',
    },
    type: 'validation_error',
    code: 'invalid_transfer_recipient',
  });
}

/**
 * Creates the transfer `request` asks for, as Paystack does: refused (PaystackApiError, 400)
 * for an unknown recipient, a reference already used on a transfer, or a balance short of amount
 * plus fee; else kept, with amount and fee taken from the balance, as `pending`, or, with `otp`,
 * as `otp` with the balance untouched until an OTP the simulator never asks for.
 */
export function initiateTransfer(
  request: TransferRequest,
  state: SimulatorState,
  options: { otp: boolean },
): SimulatedTransfer {
  const recipient = state.recipients.get(request.recipientCode);
  if (recipient === undefined) throw invalidRecipient();
  if (state.transfers.get(request.reference) !== undefined) {
    throw new PaystackApiError(
      400,
      'Please provide a unique reference. Reference already exists on a transfer',
    );
  }
  const fee = transferFee(request.amount);
  if (state.balance.kobo < request.amount + fee) {
    throw new PaystackApiError(400, 'Your balance is not enough to fulfil this request');
  }
  const now = new Date();
  const transfer: SimulatedTransfer = {
    id: randomInt(100_000_000, 999_999_999),
    transferCode: `TRF_${randomCode(15)}`,
    reference: request.reference,
    amount: request.amount,
    fee,
    reason: request.reason,
    recipient: { ...recipient },
    status: options.otp ? 'otp' : 'pending',
    failureReason: undefined,
    requestId: randomInt(100_000_000, 999_999_999),
    sessionId: undefined,
    createdAt: now,
    updatedAt: now,
    transferredAt: undefined,
  };
  if (!options.otp) state.balance.debit(request.amount + fee);
  state.transfers.remember(transfer);
  return transfer;
}

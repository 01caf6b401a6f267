import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { bankAccounts, withdrawals } from '../db/schema.ts';
import { type Settlement, settleWithdrawal, type WithdrawalOutcome } from '../ledger/withdrawals.ts';
import { PaystackError } from '../paystack/client.ts';
import { isDuplicateTransferReference, type TransferStatus } from '../paystack/transfers.ts';
import type { TransfersApi } from './paystack-transfers.ts';

/**
 * What asking Paystack about a withdrawal came to: `settled` (Paystack's answer was final and
 * was applied, see `Settlement.result`), `in_progress` (Paystack has the transfer and will say
 * more by webhook), `unknown` (no usable answer: a timeout, 5xx, or malformed answer; it stays
 * `pending` for the reconciler), `not_found` (Paystack does not know the reference: only a
 * verification says this), `not_pending` (it was final already; nothing was asked).
 */
export type PaystackCheck =
  | { kind: 'settled'; settlement: Settlement }
  | { kind: 'in_progress'; paystackStatus: TransferStatus }
  | { kind: 'unknown'; error: PaystackError }
  | { kind: 'not_found' }
  | { kind: 'not_pending' };

/**
 * Paystack's transfer statuses as this service acts on them (`TRANSFERS.md` "Statuses"). `otp`
 * is a refusal: a payout waiting for a person to type a code is not an automated one, and
 * Paystack abandons it after 30 minutes. `pending` and `received` are not final.
 */
const FINAL: Partial<Record<TransferStatus, WithdrawalOutcome>> = {
  success: 'success',
  failed: 'failed',
  abandoned: 'failed',
  blocked: 'failed',
  rejected: 'failed',
  otp: 'failed',
  reversed: 'reversed',
};

/** The reason written on the Paystack transfer, which its dashboard and statements show. */
function narration(reference: string): string {
  return `Wallet withdrawal ${reference}`;
}

/**
 * Asks Paystack to pay the pending withdrawal `reference` out: creates the bank account's
 * transfer recipient when it has none yet (kept and reused), then initiates the transfer with the
 * withdrawal's own reference, so a repeated initiation can never pay twice: Paystack refuses a
 * reference it has seen (`TRANSFERS.md` "Retry and idempotency"), and that refusal leads to a
 * verification here, never to a failure.
 *
 * Outcomes (SPEC "Money out"): a final answer settles the withdrawal (`success`; `failed` for
 * `otp`, `abandoned`, `blocked`, `rejected`, `failed`; `reversed`); a refusal (4xx, including
 * an insufficient Paystack balance) fails it and returns the money; a timeout, 5xx or malformed
 * answer is an unknown outcome: the withdrawal stays `pending` with the reason recorded, and the
 * reconciler verifies it later. Never throws `PaystackError`.
 */
export async function initiateWithdrawal(
  db: Database,
  api: TransfersApi,
  reference: string,
): Promise<PaystackCheck> {
  const [withdrawal] = await db
    .select({
      status: withdrawals.status,
      amount: withdrawals.amount,
      bankAccountId: bankAccounts.id,
      recipientCode: bankAccounts.recipientCode,
      accountNumber: bankAccounts.accountNumber,
      accountName: bankAccounts.accountName,
      bankCode: bankAccounts.bankCode,
    })
    .from(withdrawals)
    .innerJoin(bankAccounts, eq(bankAccounts.id, withdrawals.bankAccountId))
    .where(eq(withdrawals.reference, reference));
  if (withdrawal?.status !== 'pending') return { kind: 'not_pending' };

  let recipientCode = withdrawal.recipientCode;
  try {
    if (recipientCode === null) {
      ({ recipientCode } = await api.createTransferRecipient({
        name: withdrawal.accountName,
        accountNumber: withdrawal.accountNumber,
        bankCode: withdrawal.bankCode,
      }));
      await db
        .update(bankAccounts)
        .set({ recipientCode })
        .where(and(eq(bankAccounts.id, withdrawal.bankAccountId), isNull(bankAccounts.recipientCode)));
    }
    const initiated = await api.initiateTransfer({
      amount: withdrawal.amount,
      recipientCode,
      reference,
      reason: narration(reference),
    });
    return applyTransferStatus(db, reference, initiated.status, initiated.transferCode, undefined);
  } catch (error) {
    if (!(error instanceof PaystackError)) throw error;
    if (error.failure === 'refused' && isDuplicateTransferReference(error)) {
      // Paystack has a transfer with this reference already: what became of it decides.
      const verified = await verifyWithdrawal(db, api, reference);
      return verified.kind === 'not_found' ? recordUnknown(db, reference, error) : verified;
    }
    if (error.failure === 'refused') {
      const why = error.details.providerMessage ?? error.message;
      const settlement = await settleWithdrawal(db, {
        reference,
        outcome: 'failed',
        reason: `paystack_refused: ${why}`.slice(0, 500),
      });
      return { kind: 'settled', settlement };
    }
    return recordUnknown(db, reference, error);
  }
}

/**
 * Asks Paystack what became of the withdrawal `reference` (`GET /transfer/verify/{reference}`)
 * and applies a final answer through `settleWithdrawal`; the amount and currency Paystack reports
 * must match the withdrawal's. `not_found` when Paystack does not know the reference: the caller
 * may then initiate it, with the same reference. Never throws `PaystackError`.
 */
export async function verifyWithdrawal(
  db: Database,
  api: TransfersApi,
  reference: string,
): Promise<PaystackCheck> {
  try {
    const verified = await api.verifyTransfer(reference);
    if (!verified) return { kind: 'not_found' };
    return applyTransferStatus(db, reference, verified.status, verified.transferCode, {
      amount: verified.amount,
      currency: verified.currency,
    });
  } catch (error) {
    if (!(error instanceof PaystackError)) throw error;
    return recordUnknown(db, reference, error);
  }
}

async function applyTransferStatus(
  db: Database,
  reference: string,
  status: TransferStatus,
  transferCode: string,
  reported: { amount: bigint; currency: string } | undefined,
): Promise<PaystackCheck> {
  const outcome = FINAL[status];
  if (outcome === undefined) {
    await db
      .update(withdrawals)
      .set({ paystackStatus: status, transferCode, lastProviderError: null, updatedAt: sql`now()` })
      .where(eq(withdrawals.reference, reference));
    return { kind: 'in_progress', paystackStatus: status };
  }
  const settlement = await settleWithdrawal(db, {
    reference,
    outcome,
    // Paystack's `reason` is our own narration, not why it failed: its status says that.
    reason: outcome === 'success' ? null : `paystack_${status}`,
    transferCode,
    ...(reported ? { reported } : {}),
  });
  return { kind: 'settled', settlement };
}

async function recordUnknown(db: Database, reference: string, error: PaystackError): Promise<PaystackCheck> {
  await db
    .update(withdrawals)
    .set({ lastProviderError: `${error.failure}: ${error.message}`.slice(0, 500), updatedAt: sql`now()` })
    .where(and(eq(withdrawals.reference, reference), eq(withdrawals.status, 'pending')));
  return { kind: 'unknown', error };
}

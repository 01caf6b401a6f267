import { and, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { bankAccounts } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { holdWithdrawal } from '../ledger/withdrawals.ts';
import { BANK_ACCOUNT_FIELDS, type BankAccount } from './bank-accounts.ts';
import {
  MAX_PENDING_WITHDRAWALS,
  MAX_WITHDRAWAL_KOBO,
  MIN_WITHDRAWAL_KOBO,
  newWithdrawalReference,
  withdrawalFeeKobo,
} from './fees.ts';

export interface AcceptedWithdrawal {
  id: string;
  reference: string;
  /** Kobo paid to the bank account. */
  amount: bigint;
  /** Kobo: Paystack's fee, charged on top. */
  fee: bigint;
  bankAccount: BankAccount;
  createdAt: Date;
  /** The wallet's balance after the hold, in kobo. */
  balance: bigint;
}

/**
 * Accepts a withdrawal of `amount` kobo to one of the user's saved bank accounts: a new reference,
 * Paystack's fee (`withdrawalFeeKobo`), and the hold of amount + fee with the withdrawal row in
 * one statement (`holdWithdrawal`), so inside the caller's transaction it commits with the
 * idempotency record. Paystack is not called here: `initiateWithdrawal` does that once this has
 * committed, so money is held before any payout can start.
 *
 * Throws AppError: `422 insufficient_funds`, `409 too_many_pending_withdrawals`
 * (`MAX_PENDING_WITHDRAWALS`), `404 bank_account_not_found`, `401 invalid_token` (user deleted).
 */
export async function acceptWithdrawal(
  db: Queryable,
  input: { userId: string; bankAccountId: string; amount: bigint },
): Promise<AcceptedWithdrawal> {
  invariant(
    input.amount >= MIN_WITHDRAWAL_KOBO && input.amount <= MAX_WITHDRAWAL_KOBO,
    'withdrawal amount validated at the edge',
  );
  const [bankAccount] = await db
    .select(BANK_ACCOUNT_FIELDS)
    .from(bankAccounts)
    .where(
      and(
        eq(bankAccounts.id, input.bankAccountId),
        eq(bankAccounts.userId, input.userId),
        isNull(bankAccounts.deletedAt),
      ),
    );
  if (!bankAccount)
    throw new AppError('bank_account_not_found', 'You have no saved bank account with this id');
  const reference = newWithdrawalReference();
  const fee = withdrawalFeeKobo(input.amount);
  // The hold checks the account again, under the user's lock: a removal meanwhile refuses it.
  const held = await holdWithdrawal(db, { ...input, fee, reference, maxPending: MAX_PENDING_WITHDRAWALS });
  return {
    id: held.withdrawalId,
    reference,
    amount: input.amount,
    fee,
    bankAccount,
    createdAt: held.createdAt,
    balance: held.balance,
  };
}
